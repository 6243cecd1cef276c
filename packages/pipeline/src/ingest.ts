import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import {
  ExtractError,
  introspectTable,
  planExtraction,
  runExtraction,
  type ExtractPosition,
  type ExtractResult,
} from '@sluice/pg-extract';
import {
  quoteLiteral,
  tableLabel,
  WarehouseError,
  type EnsureTableResult,
  type TableSchema,
  type Warehouse,
} from '@sluice/warehouse';
import type { Position, StateStore } from '@sluice/watermark';
import { tableSpecOf, type LoadedProject, type TableConfig } from './project-config.js';
import { reconcileDeletes, type ReconcileResult } from './reconcile-deletes.js';
import { connectSource } from './source-connection.js';

/** What happened to one table in an ingest run. */
export interface TableResult {
  readonly table: string;
  readonly strategy: TableConfig['strategy'];
  readonly status: 'success' | 'unchanged' | 'failed' | 'cancelled' | 'skipped';
  /** Rows read from the source (incl. late rows). */
  readonly rows: number;
  readonly bytes: number;
  /** Rows read at or before the previous position: late commits and backdated writes. */
  readonly lateRows: number;
  /** How the rows were read (see `LateRead` in @sluice/pg-extract); `undefined` when nothing was read. */
  readonly read?: ExtractResult['read'];
  /** Why a `late_commits: lookback` table swept this run. */
  readonly sweepReason?: string;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly seconds: number;
  /** The cursor window read: after `from`, up to `to` (null: from the start / empty table). */
  readonly window: { readonly from: readonly string[] | null; readonly to: readonly string[] | null } | undefined;
  readonly schemaChanges: Omit<EnsureTableResult, 'created'> & { readonly created: boolean };
  readonly warehouseStatements: number;
  /** Bytes uploaded to the warehouse (compressed), for engines that stage files remotely. */
  readonly uploadedBytes: number;
  /** What delete detection found (tables with `deletes: reconcile`). */
  readonly reconcile?: ReconcileResult;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface IngestResult {
  readonly runId: string;
  readonly status: 'success' | 'failed' | 'cancelled';
  readonly tables: readonly TableResult[];
  readonly seconds: number;
}

/** Progress of an ingest run, for the apps to print. */
export type IngestEvent =
  | { readonly type: 'table-start'; readonly table: string; readonly strategy: string }
  | { readonly type: 'table-progress'; readonly table: string; readonly rows: number; readonly bytes: number }
  /** The chunk files are complete; the warehouse load (staging, merge, commit) begins. */
  | { readonly type: 'table-loading'; readonly table: string; readonly files: number }
  /** The warehouse committed the rows; the watermark is about to be committed. */
  | { readonly type: 'table-loaded'; readonly table: string }
  | { readonly type: 'table-done'; readonly result: TableResult };

export interface IngestOptions {
  readonly project: LoadedProject;
  readonly warehouse: Warehouse;
  readonly state: StateStore;
  /** Where chunk files are written while a table loads (removed afterwards). */
  readonly workDir: string;
  /** Only these tables (names as in `sluice.yml`); default all. */
  readonly tables?: readonly string[];
  /** Reload the tables from scratch (atomically replacing what the warehouse has). */
  readonly fullRefresh?: boolean;
  readonly runId?: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: IngestEvent) => void;
  /** Take the project's run lock for the duration (default true); a run already holding it makes this one fail
   *  with `LOCK_HELD` before anything is read or written. Pass false when the caller holds it already. */
  readonly lock?: boolean;
  /** Who is running, shown to a second run that finds the lock held. */
  readonly holder?: string;
}

/** The lock every run that writes to the warehouse or the state holds: runs never overlap. */
export const RUN_LOCK = 'pipeline';

const NO_CHANGES = { created: false, addedColumns: [], widenedColumns: [], droppedColumns: [] } as const;

/**
 * Extract every configured table from Postgres and load it into the warehouse, tables in parallel (bounded by
 * `ingest.parallelism`). All tables are read in ONE exported snapshot, so the warehouse receives a consistent cut
 * (a sale never arrives without its customer). Per table: introspect, plan, evolve the warehouse table, stream the
 * window into chunk files, load them atomically, and only then commit the watermark. A failing table is reported
 * and the others go on; this function does not throw for a table's failure.
 */
export async function runIngest(options: IngestOptions): Promise<IngestResult> {
  const started = performance.now();
  const runId = options.runId ?? randomUUID();
  const { config } = options.project;
  const names = options.tables ?? Object.keys(config.tables);
  const unknown = names.filter((name) => !(name in config.tables));
  if (unknown.length > 0) {
    throw new ExtractError(
      'TABLE_NOT_FOUND',
      `unknown table ${unknown.join(', ')}: sluice.yml lists ${Object.keys(config.tables).join(', ')}`,
    );
  }
  const lock =
    options.lock === false
      ? undefined
      : await options.state.acquireLock(RUN_LOCK, { holder: options.holder ?? 'sluice ingest' });
  const results: TableResult[] = [];
  let coordinator: pg.Client | undefined;
  // The shared snapshot is taken while the tables connect and look at their catalogs: only reading waits for it.
  // One table without delete reconciliation shares nothing: it takes its own snapshot.
  const shares = names.length > 1 || names.some((name) => config.tables[name]?.deletes === 'reconcile');
  const snapshot = (async () => {
    if (!shares) return undefined;
    coordinator = await connectSource(config.source.url, 'sluice-coordinator');
    await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const exported = await coordinator.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    return exported.rows[0]?.id;
  })();
  snapshot.catch(() => undefined); // awaited below, and by every table
  try {
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const spec = config.tables[name] as TableConfig;
        if (options.signal?.aborted) {
          results.push(emptyResult(name, spec, 'cancelled', 0));
          continue;
        }
        options.onEvent?.({ type: 'table-start', table: name, strategy: spec.strategy });
        const result = await ingestTable(options, runId, name, spec, snapshot);
        results.push(result);
        options.onEvent?.({ type: 'table-done', result });
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.ingest.parallelism, names.length) }, worker));
    // A source that cannot be reached fails the run, as it fails every table.
    await snapshot;
  } finally {
    await snapshot.catch(() => undefined);
    const ending = coordinator;
    await Promise.all([
      // Ending the connection ends its read-only transaction.
      ending?.end().catch(() => undefined),
      rm(path.join(options.workDir, runId), { recursive: true, force: true }),
    ]);
    await lock?.release();
  }
  results.sort((a, b) => names.indexOf(a.table) - names.indexOf(b.table));
  const status = results.some((r) => r.status === 'failed')
    ? 'failed'
    : results.some((r) => r.status === 'cancelled')
      ? 'cancelled'
      : 'success';
  return { runId, status, tables: results, seconds: (performance.now() - started) / 1000 };
}

async function ingestTable(
  options: IngestOptions,
  runId: string,
  name: string,
  spec: TableConfig,
  snapshot: Promise<string | undefined>,
): Promise<TableResult> {
  const started = performance.now();
  const { config } = options.project;
  const schema = spec.schema ?? config.source.schema;
  const stateKey = `${schema}.${name}`;
  const dir = path.join(options.workDir, runId, name);
  let client: pg.Client | undefined;
  let schemaChanges: TableResult['schemaChanges'] = NO_CHANGES;
  let statements = 0;
  let uploadedBytes = 0;
  let closing: Promise<unknown> | undefined;
  let helpersClosed: Promise<void> | undefined;
  let ensuring: Promise<unknown> | undefined;
  const reading = new AbortController();
  const stopReading = () => reading.abort();
  // Two connections at once: this one, and the first a read in the shared snapshot will take (a `full` table is
  // read in key order on this one).
  let prefetched = spec.strategy === 'full' ? undefined : connectSource(config.source.url, 'sluice-extract');
  prefetched?.catch(() => undefined); // taken (and awaited) by the extraction, or closed at the end
  try {
    client = await connectSource(config.source.url, 'sluice-extract');
    const [source, watermark] = await Promise.all([
      introspectTable(client, schema, name),
      options.fullRefresh ? undefined : options.state.read(stateKey),
    ]);
    const plan = planExtraction(source, tableSpecOf(config, spec), toExtractPosition(watermark?.position));
    const target: TableSchema = {
      schema: config.raw_schema,
      name,
      columns: plan.columns.map((column) => ({ name: column.name, type: column.type, nullable: column.nullable })),
      primaryKey: source.primaryKey,
    };
    // The warehouse table is checked (and evolved) while the rows stream; the load waits for both, and a table the
    // warehouse refuses stops the reading.
    const ensured = options.warehouse.ensureTable(target, { softDelete: spec.delete_mode === 'mark' });
    ensuring = ensured.catch(() => undefined); // awaited below, and settled before this table is done
    const snapshotId = await snapshot;
    options.signal?.addEventListener('abort', stopReading, { once: true });
    if (options.signal?.aborted) stopReading();
    const extracting = runExtraction(client, plan, {
      dir,
      chunkBytes: config.ingest.chunk_mb * 1024 * 1024,
      digest: spec.strategy === 'full',
      connect: () => {
        const next = prefetched ?? connectSource(config.source.url, 'sluice-extract');
        prefetched = undefined;
        return next;
      },
      parallelism: config.ingest.first_load_parallelism,
      ...(snapshotId ? { snapshotId } : {}),
      signal: reading.signal,
      onProgress: ({ rows, bytes }) => options.onEvent?.({ type: 'table-progress', table: name, rows, bytes }),
    });
    extracting.catch(() => undefined); // awaited below
    try {
      schemaChanges = await ensured;
    } catch (error) {
      stopReading();
      await extracting.catch(() => undefined);
      throw error;
    }
    const extracted = await extracting;
    helpersClosed = extracted.closed;
    const reconciles = spec.deletes === 'reconcile' && spec.strategy !== 'full';
    if (!reconciles) {
      // The source is done with: close it while the warehouse loads.
      closing = client.end().catch(() => undefined);
      client = undefined;
    }

    const base = {
      table: name,
      strategy: spec.strategy,
      rows: extracted.rows,
      bytes: extracted.bytes,
      lateRows: extracted.lateRows,
      read: extracted.read,
      ...(extracted.sweepReason ? { sweepReason: extracted.sweepReason } : {}),
      window: spec.strategy === 'full' ? undefined : extracted.window,
      schemaChanges,
    };
    const previousDigest = watermark?.position.digest;
    const unchanged =
      spec.strategy === 'full'
        ? !schemaChanges.created && previousDigest !== undefined && previousDigest === extracted.digest
        : extracted.rows === 0;
    let counts = { inserted: 0, updated: 0, deleted: 0 };
    const tag = `sluice run ${runId} table ${tableLabel(target)}`;
    if (!unchanged) {
      // Without a watermark (first load, full refresh, state reset) the warehouse copy is replaced, atomically:
      // rows it still holds from before are not trusted.
      const mode =
        spec.strategy === 'full' || !watermark ? 'replace' : source.primaryKey.length > 0 ? 'merge' : 'append';
      options.onEvent?.({ type: 'table-loading', table: name, files: extracted.files.length });
      const loaded = await options.warehouse.load({
        table: target,
        files: extracted.files,
        columns: plan.columns.map((column) => column.name),
        mode,
        // One snapshot of a keyed table holds each key once.
        distinctKeys: source.primaryKey.length > 0,
        tag,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      counts = { inserted: loaded.inserted, updated: loaded.updated, deleted: loaded.deleted };
      statements += loaded.statements;
      uploadedBytes += loaded.bytesUploaded ?? 0;
    }
    let reconcile: ReconcileResult | undefined;
    if (reconciles && client) {
      // Compare keys in the very snapshot the batch came from, against the warehouse after the batch merged.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      if (snapshotId) await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotId)}`);
      try {
        reconcile = await reconcileDeletes({
          source: client,
          plan,
          warehouse: options.warehouse,
          target,
          mode: spec.delete_mode,
          dir,
          tag,
          inSync: !watermark,
          ...(typeof watermark?.position.keysDigest === 'string'
            ? { previousDigest: watermark.position.keysDigest }
            : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } finally {
        await client.query('COMMIT').catch(() => undefined);
      }
      counts = {
        ...counts,
        deleted: counts.deleted + reconcile.deleted,
        inserted: counts.inserted + reconcile.restored,
      };
      statements += reconcile.statements;
    }
    options.onEvent?.({ type: 'table-loaded', table: name });
    // Only now, with the rows committed in the warehouse, does the watermark move.
    const position: Position =
      spec.strategy === 'full'
        ? { digest: extracted.digest ?? null }
        : {
            ...(extracted.position ?? { cursor: null, snapshotXmin: null }),
            ...(reconcile ? { keysDigest: reconcile.keysDigest } : {}),
          };
    if (!unchanged || JSON.stringify(position) !== JSON.stringify(watermark?.position)) {
      await options.state.commit(stateKey, position, { runId, rows: extracted.rows });
    }
    return {
      ...base,
      status: unchanged && !reconcile?.deleted && !reconcile?.restored ? 'unchanged' : 'success',
      ...(reconcile ? { reconcile } : {}),
      ...counts,
      seconds: (performance.now() - started) / 1000,
      warehouseStatements: statements,
      uploadedBytes,
    };
  } catch (error) {
    const cancelled = options.signal?.aborted === true;
    return {
      ...emptyResult(name, spec, cancelled ? 'cancelled' : 'failed', (performance.now() - started) / 1000),
      schemaChanges,
      error: describeError(error),
    };
  } finally {
    options.signal?.removeEventListener('abort', stopReading);
    await Promise.all([
      ensuring,
      closing,
      helpersClosed,
      client?.end().catch(() => undefined),
      rm(dir, { recursive: true, force: true }),
    ]);
    await prefetched?.then((unused) => unused.end()).catch(() => undefined);
  }
}

function toExtractPosition(position: Position | undefined): ExtractPosition | undefined {
  if (!position || typeof position.snapshotXmin !== 'string') return undefined;
  const strings = (value: unknown): string[] | undefined =>
    Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
  const { cursor, openXids, sweptXmin, sweptAt } = position;
  const open = strings(openXids);
  return {
    cursor: strings(cursor) ?? null,
    snapshotXmin: position.snapshotXmin,
    // Absent (an older position) or unreadable: undefined, and a lookback table sweeps once.
    ...(openXids === null ? { openXids: null } : open ? { openXids: open } : {}),
    ...(typeof sweptXmin === 'string' ? { sweptXmin } : {}),
    ...(typeof sweptAt === 'string' ? { sweptAt } : {}),
  };
}

function emptyResult(name: string, spec: TableConfig, status: TableResult['status'], seconds: number): TableResult {
  return {
    table: name,
    strategy: spec.strategy,
    status,
    rows: 0,
    bytes: 0,
    lateRows: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    seconds,
    window: undefined,
    schemaChanges: NO_CHANGES,
    warehouseStatements: 0,
    uploadedBytes: 0,
  };
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof ExtractError || error instanceof WarehouseError)
    return { code: error.code, message: error.message };
  if (
    error &&
    typeof error === 'object' &&
    'code' in error &&
    typeof error.code === 'string' &&
    error instanceof Error
  ) {
    return { code: error.code, message: error.message };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
