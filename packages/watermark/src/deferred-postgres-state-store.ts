import { checkPostgresStateOptions, type PostgresStateStoreOptions } from './postgres-state-options.js';
import type { StateStore } from './state-store.js';

/**
 * `createPostgresStateStore` as the package exports it: the options are checked now, and the store itself — with
 * kysely and pg, about 0.2 s of CPU to import — is loaded on the first call. A command that opens no Postgres state
 * (`sluice ls`, `compile`) then never pays for them. `close()` before any call loads nothing.
 *
 * @example
 * const store = createPostgresStateStore({ url: process.env.STATE_URL!, schema: 'sluice_state' });
 */
export function createPostgresStateStore(options: PostgresStateStoreOptions): StateStore {
  checkPostgresStateOptions(options);
  let loaded: Promise<StateStore> | undefined;
  const store = (): Promise<StateStore> =>
    (loaded ??= import('./postgres-state-store.js').then((module) => module.createPostgresStateStore(options)));
  return {
    read: async (table) => (await store()).read(table),
    readAll: async () => (await store()).readAll(),
    commit: async (table, position, meta) => (await store()).commit(table, position, meta),
    reset: async (table, meta) => (await store()).reset(table, meta),
    history: async (table, historyOptions) => (await store()).history(table, historyOptions),
    acquireLock: async (name, lockOptions) => (await store()).acquireLock(name, lockOptions),
    saveRun: async (run, saveOptions) => (await store()).saveRun(run, saveOptions),
    getRun: async (id) => (await store()).getRun(id),
    listRuns: async (listOptions) => (await store()).listRuns(listOptions),
    pruneRuns: async (olderThan) => (await store()).pruneRuns(olderThan),
    claimSlot: async (schedule, slot, holder) => (await store()).claimSlot(schedule, slot, holder),
    close: async () => (loaded === undefined ? undefined : (await loaded).close()),
  };
}
