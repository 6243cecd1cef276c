import path from 'node:path';
import { createFileStateStore } from './file-state-store.js';
import { createPostgresStateStore } from './deferred-postgres-state-store.js';
import { StateError } from './state-error.js';
import type { StateStore, StateStoreOptions } from './state-store.js';

/** Where the state lives, as written under `state:` in `sluice.yml`. */
export type StateStoreConfig =
  | { readonly type: 'file'; readonly dir: string; readonly staleLockAfterMs?: number }
  | { readonly type: 'postgres'; readonly url: string; readonly schema?: string };

/** One problem found in a state config, with its path below the config (`['dir']`). */
export interface StateStoreConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The result of {@link parseStateStoreConfig}: the config, or every problem found. */
export type StateStoreConfigResult =
  | { readonly ok: true; readonly config: StateStoreConfig }
  | { readonly ok: false; readonly problems: readonly StateStoreConfigProblem[] };

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Validate a state config (e.g. the `state:` block of `sluice.yml`), returning every problem with its path rather
 * than throwing. Unknown keys are problems too, so a typo is never silently ignored.
 *
 * @example
 * const result = parseStateStoreConfig({ type: 'file', dir: '.sluice/state' });
 * if (!result.ok) for (const p of result.problems) console.error(`state.${p.path.join('.')}: ${p.message}`);
 */
export function parseStateStoreConfig(input: unknown): StateStoreConfigResult {
  const problems: StateStoreConfigProblem[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      problems: [{ path: [], message: 'expected an object such as { type: file, dir: .sluice/state }' }],
    };
  }
  const value = input as Record<string, unknown>;
  const allowed = (keys: string[]) => {
    for (const key of Object.keys(value)) {
      if (!keys.includes(key))
        problems.push({ path: [key], message: `unknown key; expected one of ${keys.join(', ')}` });
    }
  };
  if (value.type === 'file') {
    allowed(['type', 'dir', 'staleLockAfterMs']);
    if (typeof value.dir !== 'string' || value.dir.trim() === '')
      problems.push({ path: ['dir'], message: 'expected a directory path' });
    const stale = value.staleLockAfterMs;
    if (stale !== undefined && !(typeof stale === 'number' && Number.isFinite(stale) && stale > 0)) {
      problems.push({ path: ['staleLockAfterMs'], message: 'expected a positive number of milliseconds' });
    }
    if (problems.length > 0) return { ok: false, problems };
    return {
      ok: true,
      config: {
        type: 'file',
        dir: value.dir as string,
        ...(stale === undefined ? {} : { staleLockAfterMs: stale as number }),
      },
    };
  }
  if (value.type === 'postgres') {
    allowed(['type', 'url', 'schema']);
    if (typeof value.url !== 'string' || !/^postgres(ql)?:\/\//.test(value.url)) {
      problems.push({ path: ['url'], message: 'expected a postgres:// URL (use ${env:NAME} for the password)' });
    }
    if (value.schema !== undefined && !(typeof value.schema === 'string' && SCHEMA_NAME.test(value.schema))) {
      problems.push({ path: ['schema'], message: 'expected a plain identifier (letters, digits, _; at most 63)' });
    }
    if (problems.length > 0) return { ok: false, problems };
    return {
      ok: true,
      config: {
        type: 'postgres',
        url: value.url as string,
        ...(value.schema === undefined ? {} : { schema: value.schema as string }),
      },
    };
  }
  return {
    ok: false,
    problems: [{ path: ['type'], message: `expected "file" or "postgres", got ${JSON.stringify(value.type)}` }],
  };
}

/**
 * Open the state store a config names. A relative `dir` is resolved against `baseDir` (default: the current
 * directory). Throws `INVALID_CONFIG` listing every problem when the config does not validate.
 *
 * @example
 * const store = createStateStore({ type: 'postgres', url }, { onEvent: (e) => logger.warn(e) });
 */
export function createStateStore(
  config: StateStoreConfig,
  options: StateStoreOptions & { readonly baseDir?: string } = {},
): StateStore {
  const result = parseStateStoreConfig(config);
  if (!result.ok) {
    const lines = result.problems.map(
      (problem) => `state${problem.path.map((key) => `.${key}`).join('')}: ${problem.message}`,
    );
    throw new StateError('INVALID_CONFIG', `Invalid state store config:\n${lines.join('\n')}`);
  }
  const events = options.onEvent === undefined ? {} : { onEvent: options.onEvent };
  const valid = result.config;
  if (valid.type === 'file') {
    return createFileStateStore({
      dir: path.resolve(options.baseDir ?? '.', valid.dir),
      ...(valid.staleLockAfterMs === undefined ? {} : { staleLockAfterMs: valid.staleLockAfterMs }),
      ...events,
    });
  }
  return createPostgresStateStore({
    url: valid.url,
    ...(valid.schema === undefined ? {} : { schema: valid.schema }),
    ...events,
  });
}
