import type pg from 'pg';
import { planExtraction, type ExtractPlan, type ExtractPosition, type TableSpec } from './extract-plan.js';
import { introspectTable, type SourceTable } from './introspect.js';
import { runExtraction, type ExtractOptions, type ExtractResult } from './run-extraction.js';
import { EXPORT_SNAPSHOT_SQL, SNAPSHOT_BEGIN_SQL } from './snapshot-sql.js';
import { cancelBackend } from './cancel-backend.js';
import { ExtractError } from './extract-error.js';
import { connectSource } from './source-connection.js';
import type { SourcePool } from './source-pool.js';
import { openSourceKeys, type SourceKeys } from './source-keys.js';

/**
 * The Postgres side of an ingest run — the only code that talks to the source. `plan` is pure; a table's `run`
 * streams its rows into chunk files; `shareSnapshot` gives every table one consistent cut of the source.
 *
 * @example
 * const extractor = createExtractor({ url });
 * const table = extractor.openTable('public', 'vendas');
 * try {
 *   const plan = extractor.plan(await table.introspect(), { strategy: 'upsert', cursor: ['data_atualizacao', 'id_vendas'] }, watermark);
 *   const { files, position } = await table.run(plan, { dir: '/tmp/chunks' });
 * } finally {
 *   await table.close();
 *   await extractor.close();
 * }
 */
export interface Extractor {
  /** Check a table's spec against what Postgres says about it and plan its extraction. Pure (`planExtraction`). */
  plan(table: SourceTable, spec: TableSpec, from: ExtractPosition | undefined): ExtractPlan;
  /**
   * Take the run's shared snapshot: a coordinating REPEATABLE READ transaction exports it and holds it until
   * `close()`, so every table read with its id (`TableRunOptions.snapshotId`, `keys`) sees one cut of the source.
   */
  shareSnapshot(): Promise<string>;
  /** Start on one table: its connection (and, unless `prefetchHelper: false`, one helper) connect at once. */
  openTable(schema: string, name: string, options?: OpenTableOptions): TableExtraction;
  /** End the shared snapshot's transaction and its connection. */
  close(): Promise<void>;
}

export interface ExtractorOptions {
  /** The source's `postgres://` URL (never printed; errors name host and port only). */
  readonly url: string;
  /**
   * Cancels the run's work on the source: when it aborts, every connection the extractor opened gets a
   * CancelRequest (`cancelBackend`: the server stops the statement even while it waits on a lock) and is closed,
   * and connections opened afterwards are closed at once. The reads then fail with `CANCELLED`.
   */
  readonly signal?: AbortSignal;
  /** Take connections from this pool and give them back to it, instead of opening and closing them (a long-lived
   *  process's runs: see `SourcePool`). Cancelled connections are closed all the same. */
  readonly pool?: SourcePool;
}

export interface OpenTableOptions {
  /** Connect the first helper connection alongside the table's own (default true): the upper bound is read on it
   *  while the rows stream. A table read in key order (`digest`) uses none. */
  readonly prefetchHelper?: boolean;
}

/** How a table's rows are read: see `ExtractOptions`; helper connections are the extractor's business. */
export type TableRunOptions = Omit<ExtractOptions, 'connect'>;

/** One table of a run. Its connection stays open from `openTable` to `close`. */
export interface TableExtraction {
  /** What Postgres says about the table (`TABLE_NOT_FOUND`, `SOURCE_UNREACHABLE`). */
  introspect(): Promise<SourceTable>;
  /** Run a plan (see `runExtraction`): chunk files, upper bound, counts, and the position to commit. */
  run(plan: ExtractPlan, options: TableRunOptions): Promise<ExtractResult>;
  /** Fingerprint the table's keys in `snapshotId` (delete reconciliation); `end()` the result when done. */
  keys(plan: ExtractPlan, snapshotId: string | undefined): Promise<SourceKeys>;
  /** Close every connection of the table, helpers included. Safe to call again: it returns the same promise. */
  close(): Promise<void>;
}

/** The Postgres `Extractor`. Connects lazily: nothing is opened before `shareSnapshot` or `openTable`. */
export function createExtractor(options: ExtractorOptions): Extractor {
  let coordinator: Promise<pg.Client> | undefined;
  let snapshot: Promise<string> | undefined;
  const connections = new Set<pg.Client>();
  const cancelAll = () => {
    for (const client of connections) void cancelAndEnd(client);
  };
  options.signal?.addEventListener('abort', cancelAll, { once: true });
  /** Every connection of the run goes through here, so a cancellation reaches each one. */
  const pool = options.pool;
  /** Each connection's 'end' listener (a kept connection outlives the run: its listener goes when it is given back). */
  const onEnd = new Map<pg.Client, () => void>();
  const release = (client: pg.Client) => {
    connections.delete(client);
    const listener = onEnd.get(client);
    if (listener) client.off('end', listener);
    onEnd.delete(client);
    return (pool ? pool.release(client) : client.end()).catch(() => undefined);
  };
  const connect = async (applicationName: string): Promise<pg.Client> => {
    const client = await (pool
      ? pool.connect(options.url, applicationName)
      : connectSource(options.url, applicationName));
    if (options.signal?.aborted) {
      void release(client);
      throw new ExtractError('CANCELLED', 'the extraction was cancelled');
    }
    connections.add(client);
    const ended = () => {
      connections.delete(client);
      onEnd.delete(client);
    };
    onEnd.set(client, ended);
    client.once('end', ended);
    return client;
  };
  return {
    plan: planExtraction,
    shareSnapshot() {
      snapshot ??= (async () => {
        coordinator = connect('sluice-coordinator');
        const client = await coordinator;
        await client.query(SNAPSHOT_BEGIN_SQL);
        const exported = await client.query<{ id: string }>(EXPORT_SNAPSHOT_SQL);
        return String(exported.rows[0]?.id);
      })();
      return snapshot;
    },
    openTable: (schema, name, tableOptions = {}) =>
      openTableExtraction(() => connect('sluice-extract'), release, schema, name, tableOptions.prefetchHelper ?? true),
    async close() {
      options.signal?.removeEventListener('abort', cancelAll);
      await snapshot?.catch(() => undefined);
      // Ending the connection ends its read-only transaction.
      await coordinator?.then(release).catch(() => undefined);
    },
  };
}

/** Cancel what the backend is doing, then close the connection (ending alone leaves a waiting backend waiting). */
async function cancelAndEnd(client: pg.Client): Promise<void> {
  await cancelBackend(client);
  await client.end().catch(() => undefined);
}

function openTableExtraction(
  connect: () => Promise<pg.Client>,
  release: (client: pg.Client) => Promise<void>,
  schema: string,
  name: string,
  prefetch: boolean,
): TableExtraction {
  // Two connections at once: the table's own, and the first a read in the shared snapshot will take.
  let prefetched = prefetch ? connect() : undefined;
  prefetched?.catch(() => undefined); // taken (and awaited) by the extraction, or closed by close()
  const connecting = connect();
  connecting.catch(() => undefined); // awaited by every method, and by close()
  let helpersClosed: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  return {
    introspect: async () => introspectTable(await connecting, schema, name),
    async run(plan, runOptions) {
      const result = await runExtraction(await connecting, plan, {
        ...runOptions,
        connect: () => {
          const next = prefetched ?? connect();
          prefetched = undefined;
          return next;
        },
        release,
      });
      // A table may be read twice in a run (a resumed first load, then what changed since): wait for both.
      helpersClosed = Promise.all([helpersClosed, result.closed]).then(() => undefined);
      return result;
    },
    keys: async (plan, snapshotId) => openSourceKeys(await connecting, plan, snapshotId),
    close() {
      closing ??= (async () => {
        await Promise.all([connecting.then(release).catch(() => undefined), helpersClosed]);
        await prefetched?.then(release).catch(() => undefined);
      })();
      return closing;
    },
  };
}
