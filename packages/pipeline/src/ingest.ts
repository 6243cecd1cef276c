import { createHash, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  createExtractor,
  ExtractError,
  type Extractor,
  type ExtractPlan,
  type ExtractPosition,
  type ExtractResult,
  type SourceTable,
  type TableExtraction,
} from '@sluice/pg-extract';
import {
  tableLabel,
  WarehouseError,
  type EnsureTableResult,
  type TableSchema,
  type Warehouse,
} from '@sluice/warehouse';
import type { Position, StateStore, Watermark } from '@sluice/watermark';
import { tableSpecOf, type LoadedProject, type TableConfig } from './project-config.js';
import { reconcileDeletes, type ReconcileResult } from './reconcile-deletes.js';

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
  const extractor = createExtractor({ url: config.source.url });
  // The shared snapshot is taken while the tables connect and look at their catalogs: only reading waits for it.
  // One table without delete reconciliation shares nothing: it takes its own snapshot.
  const shares = names.length > 1 || names.some((name) => config.tables[name]?.deletes === 'reconcile');
  const snapshot = shares ? extractor.shareSnapshot() : Promise.resolve(undefined);
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
        const result = await ingestTable(openTableRun(options, extractor, runId, name, spec), snapshot);
        results.push(result);
        options.onEvent?.({ type: 'table-done', result });
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.ingest.parallelism, names.length) }, worker));
    // A source that cannot be reached fails the run, as it fails every table.
    await snapshot;
  } finally {
    await Promise.all([extractor.close(), rm(path.join(options.workDir, runId), { recursive: true, force: true })]);
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

/** One table of a run, as its phases share it. */
interface TableRun {
  readonly options: IngestOptions;
  readonly extractor: Extractor;
  readonly runId: string;
  readonly name: string;
  readonly spec: TableConfig;
  /** The table's key in the state store: `schema.table`. */
  readonly stateKey: string;
  /** Where its chunk files go (removed when it is done). */
  readonly dir: string;
  /** Its source connections, open from the start. */
  readonly source: TableExtraction;
  /** Stops the reading: the run was cancelled, or the warehouse refused the table. */
  readonly reading: AbortController;
  readonly stopReading: () => void;
  schemaChanges: TableResult['schemaChanges'];
  /** The warehouse table check, settled before the table is done. */
  ensuring: Promise<unknown> | undefined;
}

/** What was read from the source for one table, with what it was read against. */
interface Batch {
  readonly source: SourceTable;
  readonly watermark: Watermark | undefined;
  readonly plan: ExtractPlan;
  readonly target: TableSchema;
  readonly extracted: ExtractResult;
  readonly snapshotId: string | undefined;
}

interface BatchCounts {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly statements: number;
  readonly uploadedBytes: number;
}

const NO_COUNTS: BatchCounts = { inserted: 0, updated: 0, deleted: 0, statements: 0, uploadedBytes: 0 };

function openTableRun(
  options: IngestOptions,
  extractor: Extractor,
  runId: string,
  name: string,
  spec: TableConfig,
): TableRun {
  const schema = spec.schema ?? options.project.config.source.schema;
  const reading = new AbortController();
  return {
    options,
    extractor,
    runId,
    name,
    spec,
    stateKey: `${schema}.${name}`,
    dir: path.join(options.workDir, runId, workDirName(name)),
    // Connects at once; a `full` table is read in key order on its own connection, so it needs no helper.
    source: extractor.openTable(schema, name, { prefetchHelper: spec.strategy !== 'full' }),
    reading,
    stopReading: () => reading.abort(),
    schemaChanges: NO_CHANGES,
    ensuring: undefined,
  };
}

/**
 * One table: read its batch, load it (unless nothing changed), reconcile deletes, and only then commit the
 * watermark. Never throws: a failure is the table's result.
 */
async function ingestTable(run: TableRun, snapshot: Promise<string | undefined>): Promise<TableResult> {
  const started = performance.now();
  const { options, spec, name } = run;
  try {
    const batch = await extractBatch(run, snapshot);
    const { extracted } = batch;
    const reconciles = spec.deletes === 'reconcile' && spec.strategy !== 'full';
    // The source is done with: close it while the warehouse loads.
    if (!reconciles) void run.source.close();
    const previousDigest = batch.watermark?.position.digest;
    const unchanged =
      spec.strategy === 'full'
        ? !run.schemaChanges.created && previousDigest !== undefined && previousDigest === extracted.digest
        : extracted.rows === 0;
    const tag = `sluice run ${run.runId} table ${tableLabel(batch.target)}`;
    let counts = unchanged ? NO_COUNTS : await loadBatch(run, batch, tag);
    const reconcile = reconciles ? await reconcileBatch(run, batch, tag) : undefined;
    if (reconcile) {
      counts = {
        ...counts,
        deleted: counts.deleted + reconcile.deleted,
        inserted: counts.inserted + reconcile.restored,
        statements: counts.statements + reconcile.statements,
      };
    }
    options.onEvent?.({ type: 'table-loaded', table: name });
    await commitPosition(run, batch, unchanged, reconcile);
    return {
      table: name,
      strategy: spec.strategy,
      rows: extracted.rows,
      bytes: extracted.bytes,
      lateRows: extracted.lateRows,
      read: extracted.read,
      ...(extracted.sweepReason ? { sweepReason: extracted.sweepReason } : {}),
      window: spec.strategy === 'full' ? undefined : extracted.window,
      schemaChanges: run.schemaChanges,
      status: unchanged && !reconcile?.deleted && !reconcile?.restored ? 'unchanged' : 'success',
      ...(reconcile ? { reconcile } : {}),
      inserted: counts.inserted,
      updated: counts.updated,
      deleted: counts.deleted,
      seconds: (performance.now() - started) / 1000,
      warehouseStatements: counts.statements,
      uploadedBytes: counts.uploadedBytes,
    };
  } catch (error) {
    const cancelled = options.signal?.aborted === true;
    return {
      ...emptyResult(name, spec, cancelled ? 'cancelled' : 'failed', (performance.now() - started) / 1000),
      schemaChanges: run.schemaChanges,
      error: describeError(error),
    };
  } finally {
    options.signal?.removeEventListener('abort', run.stopReading);
    await Promise.all([run.ensuring, run.source.close(), rm(run.dir, { recursive: true, force: true })]);
  }
}

/**
 * Introspect and plan the table, then stream its rows while the warehouse table is checked (and evolved): the load
 * waits for both, and a table the warehouse refuses stops the reading.
 */
async function extractBatch(run: TableRun, snapshot: Promise<string | undefined>): Promise<Batch> {
  const { options, spec, name } = run;
  const { config } = options.project;
  const [source, watermark] = await Promise.all([
    run.source.introspect(),
    options.fullRefresh ? undefined : options.state.read(run.stateKey),
  ]);
  const plan = run.extractor.plan(source, tableSpecOf(config, spec), toExtractPosition(watermark?.position));
  const target: TableSchema = {
    schema: config.raw_schema,
    name,
    columns: plan.columns.map((column) => ({ name: column.name, type: column.type, nullable: column.nullable })),
    primaryKey: source.primaryKey,
  };
  const ensured = options.warehouse.ensureTable(target, { softDelete: spec.delete_mode === 'mark' });
  run.ensuring = ensured.catch(() => undefined); // awaited below, and settled before this table is done
  const snapshotId = await snapshot;
  options.signal?.addEventListener('abort', run.stopReading, { once: true });
  if (options.signal?.aborted) run.stopReading();
  const extracting = run.source.run(plan, {
    dir: run.dir,
    chunkBytes: config.ingest.chunk_mb * 1024 * 1024,
    digest: spec.strategy === 'full',
    parallelism: config.ingest.first_load_parallelism,
    ...(snapshotId ? { snapshotId } : {}),
    signal: run.reading.signal,
    onProgress: ({ rows, bytes }) => options.onEvent?.({ type: 'table-progress', table: name, rows, bytes }),
  });
  extracting.catch(() => undefined); // awaited below
  try {
    run.schemaChanges = await ensured;
  } catch (error) {
    run.stopReading();
    await extracting.catch(() => undefined);
    throw error;
  }
  return { source, watermark, plan, target, extracted: await extracting, snapshotId };
}

/**
 * Load the batch. Without a watermark (first load, full refresh, state reset) the warehouse copy is replaced,
 * atomically: rows it still holds from before are not trusted.
 */
async function loadBatch(run: TableRun, batch: Batch, tag: string): Promise<BatchCounts> {
  const { options, spec } = run;
  const { source, extracted } = batch;
  const mode =
    spec.strategy === 'full' || !batch.watermark ? 'replace' : source.primaryKey.length > 0 ? 'merge' : 'append';
  options.onEvent?.({ type: 'table-loading', table: run.name, files: extracted.files.length });
  const loaded = await options.warehouse.load({
    table: batch.target,
    files: extracted.files,
    columns: batch.plan.columns.map((column) => column.name),
    mode,
    // One snapshot of a keyed table holds each key once.
    distinctKeys: source.primaryKey.length > 0,
    tag,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    inserted: loaded.inserted,
    updated: loaded.updated,
    deleted: loaded.deleted,
    statements: loaded.statements,
    uploadedBytes: loaded.bytesUploaded ?? 0,
  };
}

/** Compare keys in the very snapshot the batch came from, against the warehouse after the batch merged. */
async function reconcileBatch(run: TableRun, batch: Batch, tag: string): Promise<ReconcileResult> {
  const { options, spec } = run;
  const keys = await run.source.keys(batch.plan, batch.snapshotId);
  try {
    const previous = batch.watermark?.position.keysDigest;
    return await reconcileDeletes({
      source: keys,
      plan: batch.plan,
      warehouse: options.warehouse,
      target: batch.target,
      mode: spec.delete_mode,
      dir: run.dir,
      tag,
      inSync: !batch.watermark,
      ...(typeof previous === 'string' ? { previousDigest: previous } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await keys.end();
  }
}

/** Only now, with the rows committed in the warehouse, does the watermark move (when it changed at all). */
async function commitPosition(
  run: TableRun,
  batch: Batch,
  unchanged: boolean,
  reconcile: ReconcileResult | undefined,
): Promise<void> {
  const { extracted, watermark } = batch;
  const position: Position =
    run.spec.strategy === 'full'
      ? { digest: extracted.digest ?? null }
      : {
          ...(extracted.position ?? { cursor: null, snapshotXmin: null }),
          ...(reconcile ? { keysDigest: reconcile.keysDigest } : {}),
        };
  if (!unchanged || JSON.stringify(position) !== JSON.stringify(watermark?.position)) {
    await run.options.state.commit(run.stateKey, position, { runId: run.runId, rows: extracted.rows });
  }
}

/**
 * A table's folder in the run's work folder: its name when that is a plain file name, else a slug and a hash of
 * the exact name (a table may be called `../x` or `A B`, and `a b` and `a_b` must not share a folder).
 */
function workDirName(name: string): string {
  if (/^[a-z0-9_][a-z0-9_-]*$/.test(name)) return name;
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .slice(0, 40);
  return `${slug}~${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
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
