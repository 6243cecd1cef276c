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
  type RangeRead,
  type SourceTable,
  type TableExtraction,
  type SourcePool,
} from '@sluice/pg-extract';
import {
  tableLabel,
  WarehouseError,
  type EnsureTableResult,
  type LoadRequest,
  type RelationState,
  type StateEntry,
  type StateSnapshot,
  type TableSchema,
  type Warehouse,
} from '@sluice/warehouse';
import type { Position, StateStore, Watermark } from '@sluice/watermark';
import { adoptionStart } from './adopt-table.js';
import {
  copyVersion,
  decideStart,
  firstLoadOf,
  INGEST_NAMESPACE,
  progressValue,
  readRunPositions,
  STATE_VERSION,
  tableStateWrite,
  type FirstLoadProgress,
  type RunPositions,
  type TableStart,
  withoutCopyFields,
} from './ingest-state.js';
import { tableSpecOf, type LoadedProject, type TableConfig } from './project-config.js';
import { reconcileDeletes, type ReconcileResult } from './reconcile-deletes.js';
import { refusalMessage } from './refusal-message.js';
import { createWorkFolder, removeDeadWorkFolders } from './work-folders.js';

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
  /**
   * An open transaction — on any database of the source server — that held the previous run's snapshot back, so
   * that this run read again rows the previous one had loaded: `rows` of them came back unchanged.
   */
  readonly heldBack?: HeldBack;
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
  /** Why the table was loaded as it was, when that is news: its raw table was missing, the warehouse was restored
   *  or replaced, its position was moved into the warehouse, a first load resumed, the table was adopted. */
  readonly notes?: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

/** The transaction that made a run read rows again (see `TableResult.heldBack`). */
export interface HeldBack {
  /** Its transaction id. */
  readonly xid: string;
  /** Its session, when the source role may see it (`pg_read_all_stats` shows other roles' sessions). */
  readonly pid?: number;
  readonly database?: string;
  /** When its transaction began. */
  readonly since?: string;
  /** Rows this run read that the warehouse already held as they are. */
  readonly rows: number;
}

export interface IngestResult {
  readonly runId: string;
  readonly status: 'success' | 'failed' | 'cancelled';
  readonly tables: readonly TableResult[];
  readonly seconds: number;
  /** Where the positions came from: the warehouse's state table, a copy its metadata proved current, or nowhere
   *  (`missing`: no state table — a new or replaced warehouse). Absent when the run failed before reading them. */
  readonly positions?: StateSnapshot['source'];
  /** Each table's position version in the warehouse (its state entry's version) when the run began and when it
   *  ended, by table name, for the tables the run opened: the change-aware build tells a load whose change went
   *  unrecorded (a run killed after a commit) by a version that moved without it. */
  readonly positionVersions?: ReadonlyMap<string, PositionVersions>;
}

/** A table's position version before and after a run (0: no position). */
export interface PositionVersions {
  readonly before: number;
  readonly after: number;
}

/** Progress of an ingest run, for the apps to print. */
export type IngestEvent =
  | { readonly type: 'table-start'; readonly table: string; readonly strategy: string }
  | { readonly type: 'table-progress'; readonly table: string; readonly rows: number; readonly bytes: number }
  /** The chunk files are complete; the warehouse load (staging, merge, commit) begins. */
  | { readonly type: 'table-loading'; readonly table: string; readonly files: number }
  /** The run read every position (from the warehouse's state table, or a copy it proved current). */
  | { readonly type: 'positions-read'; readonly source: StateSnapshot['source']; readonly tables: number }
  /** A warehouse transaction with the table's rows and its position (state version `version`) committed; the
   *  state store's copy is about to be written. */
  | { readonly type: 'table-committed'; readonly table: string; readonly version: number }
  /** A block range of a split first load is in the warehouse, with the load's progress. */
  | {
      readonly type: 'range-committed';
      readonly table: string;
      readonly range: number;
      readonly done: number;
      readonly ranges: number;
    }
  /** The warehouse committed everything of the table; its position's copy is about to be written. */
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
  /** Source connections kept between runs (a long-lived process's; see `SourcePool`): default, the run opens and
   *  closes its own. */
  readonly sourcePool?: SourcePool;
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
  try {
    await createWorkFolder(options.workDir, runId, options.project.file);
  } catch (error) {
    await lock?.release();
    throw error;
  }
  // Holding the run lock (here or in the caller), no other run of this project is alive: folders its runs left
  // are from runs that died. Removed while the run goes on (it never throws).
  const removingDead = removeDeadWorkFolders(options.workDir, runId, options.project.file).catch(() => []);
  // Cancelling the run cancels its statements on the source too (a read waiting on a lock included).
  const extractor = createExtractor({
    url: config.source.url,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.sourcePool ? { pool: options.sourcePool } : {}),
  });
  // The shared snapshot is taken while the tables connect and look at their catalogs: only reading waits for it.
  // One table without delete reconciliation (or adoption, which compares keys too) shares nothing.
  const shares =
    names.length > 1 ||
    names.some((name) => config.tables[name]?.deletes === 'reconcile' || config.tables[name]?.adopt === true);
  const snapshot = shares ? extractor.shareSnapshot() : Promise.resolve(undefined);
  snapshot.catch(() => undefined); // awaited below, and by every table
  // The tables read first connect to the source and look at its catalog while the positions are read.
  const early = openEarly(options, extractor, names.slice(0, Math.min(config.ingest.parallelism, names.length)));
  let positions: RunPositions | undefined;
  const wrote = { state: false };
  const versions = new Map<string, PositionVersions>();
  try {
    positions = await readRunPositions(options.warehouse, options.state, config.raw_schema, {
      tag: `sluice run ${runId} positions`,
      ...(options.signal ? { signal: options.signal } : {}),
    }).catch((error: unknown) => {
      // Cancelled before it began: every table is cancelled, as when the signal comes between tables.
      if (options.signal?.aborted) return undefined;
      throw error;
    });
    if (!positions) {
      for (const name of names) results.push(emptyResult(name, config.tables[name] as TableConfig, 'cancelled', 0));
      return finish();
    }
    options.onEvent?.({ type: 'positions-read', source: positions.source, tables: positions.entries.size });
    if (positions.source === 'warehouse') {
      await copyPositions(options.state, positions.entries, runId, positions.copies);
    }
    const known = positions;
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const spec = config.tables[name] as TableConfig;
        if (options.signal?.aborted) {
          results.push(emptyResult(name, spec, 'cancelled', 0));
          await early.get(name)?.source.close();
          continue;
        }
        options.onEvent?.({ type: 'table-start', table: name, strategy: spec.strategy });
        const opened = early.get(name);
        early.delete(name);
        const run = openTableRun(options, extractor, runId, name, spec, known, wrote, opened);
        const before = run.version;
        const result = await ingestTable(run, snapshot);
        versions.set(name, { before, after: run.version });
        results.push(result);
        options.onEvent?.({ type: 'table-done', result });
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.ingest.parallelism, names.length) }, worker));
    // A source that cannot be reached fails the run, as it fails every table.
    await snapshot;
    // Where reading the state costs compute, read it once more while the warehouse is up: its metadata then proves
    // the state store's copies current, and the next run in which nothing changed needs no warehouse at all.
    if (wrote.state && options.warehouse.capabilities.queriesCostCompute) {
      const after = await options.warehouse.readState(config.raw_schema, INGEST_NAMESPACE, {
        tag: `sluice run ${runId} positions`,
      });
      await copyPositions(options.state, keyed(after.entries), runId, await readCopies(options.state));
    }
  } finally {
    // Tables opened early that the run never took (it failed or was cancelled before them).
    await Promise.all(
      [...early.values()].map((opened) => Promise.all([opened.source.close(), opened.found.catch(() => undefined)])),
    );
    await Promise.all([
      extractor.close(),
      rm(path.join(options.workDir, runId), { recursive: true, force: true }),
      removingDead,
    ]);
    await lock?.release();
  }
  return finish();

  function finish(): IngestResult {
    results.sort((a, b) => names.indexOf(a.table) - names.indexOf(b.table));
    const status = results.some((r) => r.status === 'failed')
      ? 'failed'
      : results.some((r) => r.status === 'cancelled')
        ? 'cancelled'
        : 'success';
    return {
      runId,
      status,
      tables: results,
      seconds: (performance.now() - started) / 1000,
      ...(positions ? { positions: positions.source, positionVersions: versions } : {}),
    };
  }
}

/** A table's source connections, opened before the run reads its positions, its catalog read under way, and its
 *  raw table being looked up in the warehouse (all three alongside the positions read). */
interface OpenedTable {
  readonly source: TableExtraction;
  readonly introspected: Promise<SourceTable>;
  readonly found: Promise<RelationState['kind'] | undefined>;
}

/**
 * Whether the raw table is in the warehouse, and what it is: what a table's start waits for. Where the engine tells
 * that sooner than it describes the table (DuckDB), only that is asked; the warehouse table check reads the rest.
 */
function lookUpRawTable(
  warehouse: Warehouse,
  relation: { schema: string; name: string },
): Promise<RelationState['kind'] | undefined> {
  const found = warehouse.relationKind
    ? warehouse.relationKind(relation)
    : warehouse.describeRelation(relation).then((state) => state?.kind);
  found.catch(() => undefined); // awaited by the table's run
  return found;
}

/** Open `names` on the source now: connect (a `full` table needs no helper) and read each one's catalog; look each
 *  one's raw table up. */
function openEarly(options: IngestOptions, extractor: Extractor, names: readonly string[]): Map<string, OpenedTable> {
  const { config } = options.project;
  const opened = new Map<string, OpenedTable>();
  for (const name of names) {
    const spec = config.tables[name] as TableConfig;
    const source = extractor.openTable(spec.schema ?? config.source.schema, name, {
      prefetchHelper: spec.strategy !== 'full',
    });
    const introspected = source.introspect();
    introspected.catch(() => undefined); // awaited by the table's run; a table never taken is closed
    const found = lookUpRawTable(options.warehouse, { schema: config.raw_schema, name });
    opened.set(name, { source, introspected, found });
  }
  return opened;
}

function keyed<T extends { readonly key: string }>(entries: readonly T[]): Map<string, T> {
  return new Map(entries.map((entry) => [entry.key, entry]));
}

/** The state store's copies, by table. */
async function readCopies(state: StateStore): Promise<ReadonlyMap<string, Watermark>> {
  return new Map((await state.readAll()).map((copy) => [copy.table, copy]));
}

/**
 * Bring the state store's copies in line with the warehouse's entries they lag (a run killed between the warehouse's
 * commit and the copy's, a warehouse another copy of Sluice wrote). A copy of the entry's own version is kept: it
 * may carry bookkeeping that moved without rows. `copies`: the store's copies as they are now (at the start of a
 * run, those `readRunPositions` read a moment before, under the run lock).
 */
async function copyPositions(
  state: StateStore,
  entries: ReadonlyMap<string, StateEntry>,
  runId: string,
  copies: ReadonlyMap<string, Watermark>,
): Promise<void> {
  for (const entry of entries.values()) {
    if (copyVersion(copies.get(entry.key)) === entry.version) continue;
    await state.commit(
      entry.key,
      { ...(entry.value as Position), [STATE_VERSION]: String(entry.version) },
      { runId, note: `copied from the warehouse (version ${entry.version}, run ${entry.runId})` },
    );
  }
}

/** One table of a run, as its phases share it. */
interface TableRun {
  readonly options: IngestOptions;
  readonly extractor: Extractor;
  readonly runId: string;
  readonly name: string;
  readonly spec: TableConfig;
  /** The table's key in the state (the warehouse's and the state store's): `schema.table`. */
  readonly stateKey: string;
  /** Where its chunk files go (removed when it is done). */
  readonly dir: string;
  /** Its source connections, open from the start. */
  readonly source: TableExtraction;
  /** What the source's catalog says about it (asked as soon as it connects). */
  readonly introspected: Promise<SourceTable>;
  /** Whether its raw table is in the warehouse (looked up as soon as the table was opened). */
  readonly found: Promise<RelationState['kind'] | undefined>;
  /** Stops the reading: the run was cancelled, or the warehouse refused the table. */
  readonly reading: AbortController;
  readonly stopReading: () => void;
  /** The positions the run read at its start. */
  readonly positions: RunPositions;
  /** Set when the run writes state (the end of the run then proves the copies current where that saves compute). */
  readonly wrote: { state: boolean };
  schemaChanges: TableResult['schemaChanges'];
  /** The warehouse table check, settled before the table is done. */
  ensuring: Promise<unknown> | undefined;
  /** Rows and bytes read so far (what a table that fails while reading reports). */
  progress: { rows: number; bytes: number };
  /** The warehouse committed this run's rows of the table. */
  loaded: boolean;
  /** How the table started (decided by `decideStart`). */
  start: TableStart | undefined;
  /** The version of the table's state entry the warehouse holds now (0: none). */
  version: number;
  /** What happened that the report should say. */
  readonly notes: string[];
  /** Rows written by the ranges of a split first load. */
  rangeCounts: BatchCounts;
  /** A complete position (not a first load's progress) was committed to the warehouse in this run. */
  positionWritten: boolean;
  /** The state store's copy as it is now (what it copies and holds), when it copies the warehouse's version. */
  copied: { readonly version: number; readonly position: Position } | undefined;
}

/** What was read from the source for one table, with what it was read against. */
interface Batch {
  readonly source: SourceTable;
  /** The position the rows were read from (undefined: everything was read). */
  readonly from: Position | undefined;
  readonly plan: ExtractPlan;
  readonly target: TableSchema;
  readonly extracted: ExtractResult;
  readonly snapshotId: string | undefined;
  /** Every row read is in the warehouse already, with the position (a first load that committed range by range). */
  readonly committed: boolean;
}

interface BatchCounts {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly statements: number;
  readonly uploadedBytes: number;
}

const NO_COUNTS: BatchCounts = { inserted: 0, updated: 0, deleted: 0, statements: 0, uploadedBytes: 0 };

function addCounts(a: BatchCounts, b: BatchCounts): BatchCounts {
  return {
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    deleted: a.deleted + b.deleted,
    statements: a.statements + b.statements,
    uploadedBytes: a.uploadedBytes + b.uploadedBytes,
  };
}

function openTableRun(
  options: IngestOptions,
  extractor: Extractor,
  runId: string,
  name: string,
  spec: TableConfig,
  positions: RunPositions,
  wrote: { state: boolean },
  opened: OpenedTable | undefined,
): TableRun {
  const schema = spec.schema ?? options.project.config.source.schema;
  const reading = new AbortController();
  const stateKey = `${schema}.${name}`;
  // Connects at once; a `full` table is read in key order on its own connection, so it needs no helper.
  const source = opened?.source ?? extractor.openTable(schema, name, { prefetchHelper: spec.strategy !== 'full' });
  const introspected = opened?.introspected ?? source.introspect();
  introspected.catch(() => undefined); // awaited by extractBatch
  const found = opened?.found ?? lookUpRawTable(options.warehouse, { schema: options.project.config.raw_schema, name });
  return {
    options,
    extractor,
    runId,
    name,
    spec,
    stateKey,
    dir: path.join(options.workDir, runId, workDirName(name)),
    source,
    introspected,
    found,
    reading,
    stopReading: () => reading.abort(),
    positions,
    wrote,
    schemaChanges: NO_CHANGES,
    ensuring: undefined,
    progress: { rows: 0, bytes: 0 },
    loaded: false,
    start: undefined,
    version: positions.entries.get(stateKey)?.version ?? 0,
    notes: [],
    rangeCounts: NO_COUNTS,
    positionWritten: false,
    copied: currentCopy(positions, stateKey),
  };
}

/**
 * One table: read its batch, load it with its position (unless nothing changed), reconcile deletes, and keep a copy
 * of the position in the state store. Never throws: a failure is the table's result.
 */
async function ingestTable(run: TableRun, snapshot: Promise<string | undefined>): Promise<TableResult> {
  const started = performance.now();
  const { options, spec, name } = run;
  let read: Batch | undefined;
  try {
    let batch = await extractBatch(run, snapshot);
    read = batch;
    if (run.start?.kind === 'resume' && batch.committed) {
      // Every range is in, read in two snapshots or more: catch up with what changed since the load began.
      batch = await catchUp(run, batch, run.start.progress);
      read = batch;
    }
    const { extracted } = batch;
    const reconciles = (spec.deletes === 'reconcile' && spec.strategy !== 'full') || run.start?.kind === 'adopt';
    // The source is done with: close it while the warehouse loads.
    if (!reconciles) void run.source.close();
    const previousDigest = batch.from?.digest;
    const unchanged =
      batch.committed ||
      (batch.from !== undefined &&
        (spec.strategy === 'full'
          ? !run.schemaChanges.created && previousDigest !== undefined && previousDigest === extracted.digest
          : extracted.rows === 0));
    const tag = `sluice run ${run.runId} table ${tableLabel(batch.target)}`;
    // The position the rows read bring the table to; the key digest follows once deletes are reconciled.
    const reached = positionAfterBatch(run, batch, batch.from?.keysDigest);
    let counts = unchanged ? NO_COUNTS : await loadBatch(run, batch, tag, reached);
    counts = addCounts(counts, run.rangeCounts);
    const reconcile = reconciles ? await reconcileBatch(run, batch, tag, reached) : undefined;
    if (reconcile) {
      counts = {
        ...counts,
        deleted: counts.deleted + reconcile.deleted,
        inserted: counts.inserted + reconcile.restored,
        statements: counts.statements + reconcile.statements,
      };
    }
    const final = reconcile ? { ...reached, keysDigest: reconcile.keysDigest } : reached;
    options.onEvent?.({ type: 'table-loaded', table: name });
    // The table's files are done with: removed while its position's copy is written.
    const removing = rm(run.dir, { recursive: true, force: true });
    removing.catch(() => undefined); // tried again below
    const heldBack = heldBackBy(extracted, unchanged ? NO_COUNTS : counts);
    counts = addCounts(counts, await settlePosition(run, final, extracted.rows, tag));
    await removing.catch(() => undefined);
    return {
      table: name,
      strategy: spec.strategy,
      rows: extracted.rows,
      bytes: extracted.bytes,
      lateRows: extracted.lateRows,
      read: extracted.read,
      ...(extracted.sweepReason ? { sweepReason: extracted.sweepReason } : {}),
      ...(heldBack ? { heldBack } : {}),
      window: spec.strategy === 'full' ? undefined : extracted.window,
      schemaChanges: run.schemaChanges,
      status:
        unchanged &&
        !batch.committed &&
        !reconcile?.deleted &&
        !reconcile?.restored &&
        run.start?.kind === 'incremental'
          ? 'unchanged'
          : 'success',
      ...(reconcile ? { reconcile } : {}),
      ...(run.notes.length > 0 ? { notes: [...run.notes] } : {}),
      inserted: counts.inserted,
      updated: counts.updated,
      deleted: counts.deleted,
      seconds: (performance.now() - started) / 1000,
      warehouseStatements: counts.statements,
      uploadedBytes: counts.uploadedBytes,
    };
  } catch (error) {
    const cancelled = options.signal?.aborted === true;
    const described = describeError(error);
    if (read && error instanceof WarehouseError) {
      described.message = await refusalMessage(error, { name, plan: read.plan, files: read.extracted.files });
    }
    await run.ensuring;
    // A first load that did not commit leaves no table behind: the next run creates it again.
    const dropped = run.schemaChanges.created && !run.loaded;
    if (dropped)
      await options.warehouse.dropTable({ schema: options.project.config.raw_schema, name }).catch(() => undefined);
    // What was read is reported, whether or not it reached the warehouse.
    const { rows, bytes } = read ? read.extracted : run.progress;
    return {
      ...emptyResult(name, spec, cancelled ? 'cancelled' : 'failed', (performance.now() - started) / 1000),
      rows,
      bytes,
      schemaChanges: dropped ? NO_CHANGES : run.schemaChanges,
      ...(run.notes.length > 0 ? { notes: [...run.notes] } : {}),
      error: described,
    };
  } finally {
    options.signal?.removeEventListener('abort', run.stopReading);
    await Promise.all([run.ensuring, run.source.close(), rm(run.dir, { recursive: true, force: true })]);
  }
}

/**
 * Decide where the table starts (`decideStart`), introspect and plan it, then stream its rows while the warehouse
 * table is checked (and evolved): the load waits for both, and a table the warehouse refuses stops the reading.
 * A first load of a large table into an empty raw table commits its block ranges as they are read.
 */
async function extractBatch(run: TableRun, snapshot: Promise<string | undefined>): Promise<Batch> {
  const { options, spec, name } = run;
  const { config } = options.project;
  const relation = { schema: config.raw_schema, name };
  const [source, existing] = await Promise.all([run.introspected, run.found]);
  const start = await decideStart({
    label: tableLabel(relation),
    entry: run.positions.entries.get(run.stateKey),
    copy: run.positions.copies.get(run.stateKey),
    relation: existing,
    rows: () => countRows(options.warehouse, relation),
    fullRefresh: options.fullRefresh === true,
    adopt: spec.adopt,
    stateMissing: run.positions.source === 'missing',
  });
  run.start = start;
  if (start.note) run.notes.push(start.note);
  const tableSpec = tableSpecOf(config, spec);
  // A load split by size (larger than `first_load_range_mb`) commits range by range only into an empty table whose
  // rows have a key (a resumed range may meet rows of an earlier snapshot, which a merge replaces); otherwise it is
  // one atomic replace — also when the extractor reads the table's ranges at once only to read it faster: then no
  // range is handed over, and the files of all of them come back as one batch.
  const keyed = source.primaryKey.length > 0 && spec.strategy !== 'full';
  const ranged = keyed && ((start.kind === 'first' && start.ranged) || start.kind === 'resume');
  let from: Position | undefined;
  let planSpec = tableSpec;
  if (start.kind === 'incremental') from = start.position;
  if (start.kind === 'resume' && !ranged) {
    run.notes.push('the first load cannot resume (the table has no primary key now): loading it from the start');
  }
  if (start.kind === 'adopt') {
    const adoption = await adoptionStart(options.warehouse, relation, source, spec);
    if (adoption.kind === 'reload') {
      run.notes.push(adoption.note);
    } else {
      from = adoption.position;
      // Only rows past the adopted table's newest cursor are read; late commits are looked for from this run on.
      planSpec = { ...tableSpec, lateCommits: 'off' };
      run.notes.push(adoption.note);
    }
  }
  const plan = run.extractor.plan(source, planSpec, toExtractPosition(from));
  const target: TableSchema = {
    schema: config.raw_schema,
    name,
    columns: plan.columns.map((column) => ({ name: column.name, type: column.type, nullable: column.nullable })),
    primaryKey: source.primaryKey,
  };
  const snapshotId = await snapshot;
  options.signal?.addEventListener('abort', run.stopReading, { once: true });
  if (options.signal?.aborted) run.stopReading();
  // The warehouse table is checked (and evolved) once the read's snapshot is fixed — its catalog reads would slow
  // that round trip down on a small machine — or once the read has ended, if that comes first; not at all when the
  // read failed before (`ensured` then fails with the read's error).
  let begin: (failed?: { readonly error: unknown }) => void = () => undefined;
  const begun = new Promise<{ readonly error: unknown } | undefined>((resolve) => {
    begin = resolve;
  });
  const ensured = begun.then((failed) =>
    failed
      ? Promise.reject(failed.error)
      : options.warehouse.ensureTable(target, { softDelete: spec.delete_mode === 'mark' }),
  );
  run.ensuring = ensured.catch(() => undefined); // awaited below, and settled before this table is done
  let extracting: Promise<ExtractResult>;
  try {
    extracting = extractTable(run, plan, { target, ensured, begin, snapshotId, ...(ranged ? { ranged: start } : {}) });
  } catch (error) {
    begin({ error });
    throw error;
  }
  extracting.catch(() => undefined); // awaited below
  try {
    run.schemaChanges = withoutExcluded(await ensured, source, plan);
  } catch (error) {
    run.stopReading();
    await extracting.catch(() => undefined);
    throw error;
  }
  const extracted = await extracting;
  const committed = ranged && extracted.rangePlan.length > 0;
  return { source, from, plan, target, extracted, snapshotId, committed };
}

/**
 * Start a table's read; a split first load (`ranged`: how it started) hands its block ranges over as they come.
 * `begin` is called once: when the read's snapshot is fixed, or when the read ends, if sooner (with its error).
 */
function extractTable(
  run: TableRun,
  plan: ExtractPlan,
  how: {
    readonly target: TableSchema;
    readonly ensured: Promise<unknown>;
    readonly begin: (failed?: { readonly error: unknown }) => void;
    readonly snapshotId: string | undefined;
    readonly ranged?: TableStart;
  },
): Promise<ExtractResult> {
  const { options, spec, name } = run;
  const { config } = options.project;
  const { ranged, snapshotId, begin } = how;
  const rangeState = ranged ? new RangeCommits(run, how.target, how.ensured, ranged) : undefined;
  const extracting = run.source.run(plan, {
    onReading: () => begin(),
    dir: run.dir,
    chunkBytes: config.ingest.chunk_mb * 1024 * 1024,
    digest: spec.strategy === 'full',
    parallelism: config.ingest.first_load_parallelism,
    rangePages: Math.max(1, Math.round(config.ingest.first_load_range_mb * 128)),
    ...(rangeState ? { onRange: (range: RangeRead) => rangeState.commit(range) } : {}),
    ...(ranged?.kind === 'resume' ? { resume: resumeRanges(ranged.progress) } : {}),
    ...(snapshotId ? { snapshotId } : {}),
    signal: run.reading.signal,
    onProgress: ({ rows, bytes }) => {
      run.progress = { rows, bytes };
      options.onEvent?.({ type: 'table-progress', table: name, rows, bytes });
    },
  });
  extracting.then(
    () => begin(),
    (error: unknown) => begin({ error }),
  );
  return extracting;
}

/** Rows in a raw table (Snowflake answers from metadata). */
async function countRows(warehouse: Warehouse, relation: { schema: string; name: string }): Promise<number> {
  const [row] = await warehouse.query<{ n: unknown }>(
    `SELECT COUNT(*) AS n FROM ${warehouse.dialect.qualify(relation)}`,
  );
  return Number(row?.n ?? 0);
}

/** The ranges a resumed first load reads again, and those it skips. */
function resumeRanges(progress: FirstLoadProgress) {
  return {
    ranges: progress.ranges.map(([from, to]) => [Number(from), to === null ? null : Number(to)] as const),
    done: progress.done.map(Number),
  };
}

/**
 * The warehouse keeps a column the load no longer writes; one the source still has but `include`/`exclude` (or a
 * hash) leaves out is excluded, not "gone from the source": only columns the source no longer has are reported.
 */
function withoutExcluded(
  changes: EnsureTableResult,
  source: SourceTable,
  plan: ExtractPlan,
): TableResult['schemaChanges'] {
  const inSource = new Set(source.columns.map((c) => c.name.toLowerCase()));
  const written = new Set(plan.columns.map((c) => c.name.toLowerCase()));
  const gone = changes.droppedColumns.filter(
    (column) => written.has(column.toLowerCase()) || !inSource.has(column.toLowerCase()),
  );
  return gone.length === changes.droppedColumns.length ? changes : { ...changes, droppedColumns: gone };
}

/**
 * The block ranges of a split first load, committed one at a time as they are read: each range's rows and the
 * load's progress in one transaction. A fresh load (every range read in this run's snapshot) appends into the empty
 * table and its last range commits the position; a resumed one merges (a row may have moved into a range an
 * earlier run committed), and `catchUp` brings it to the position.
 */
class RangeCommits {
  #chain: Promise<unknown> = Promise.resolve();
  #progress: FirstLoadProgress | undefined;

  constructor(
    private readonly run: TableRun,
    private readonly target: TableSchema,
    private readonly ensured: Promise<unknown>,
    private readonly start: TableStart,
  ) {
    this.#progress = start.kind === 'resume' ? start.progress : undefined;
  }

  commit(range: RangeRead): Promise<void> {
    const next = this.#chain.then(() => this.#commit(range));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #commit(range: RangeRead): Promise<void> {
    const { run } = this;
    await this.ensured;
    const progress: FirstLoadProgress = this.#progress ?? {
      runId: run.runId,
      position: range.position as unknown as Position,
      ranges: range.ranges.map(([from, to]) => [String(from), to === null ? null : String(to)] as const),
      done: [],
    };
    const done = [...progress.done, String(range.index)];
    const fresh = this.start.kind === 'first';
    const complete = fresh && done.length === progress.ranges.length;
    const value = complete ? positionValue(range.position, undefined) : progressValue({ ...progress, done });
    const counts = await loadWithState(
      run,
      {
        table: this.target,
        files: range.files,
        columns: this.target.columns.map((column) => column.name),
        mode: fresh ? 'append' : 'merge',
        distinctKeys: true,
        tag: `sluice run ${run.runId} table ${tableLabel(this.target)} range ${range.index + 1}/${range.ranges.length}`,
      },
      value,
    );
    this.#progress = { ...progress, done };
    run.rangeCounts = addCounts(run.rangeCounts, counts);
    await Promise.all(range.files.map((file) => rm(file.path, { force: true })));
    run.options.onEvent?.({
      type: 'range-committed',
      table: run.name,
      range: range.index,
      done: done.length,
      ranges: progress.ranges.length,
    });
  }
}

/**
 * A resumed first load has every range in, read in different snapshots: read what changed since the snapshot the
 * load began in (the table's own way of reading changes, in this run's snapshot), as an incremental run would.
 */
async function catchUp(run: TableRun, batch: Batch, progress: FirstLoadProgress): Promise<Batch> {
  const { options, spec } = run;
  const { config } = options.project;
  const plan = run.extractor.plan(batch.source, tableSpecOf(config, spec), toExtractPosition(progress.position));
  const extracted = await run.source.run(plan, {
    dir: run.dir,
    chunkBytes: config.ingest.chunk_mb * 1024 * 1024,
    parallelism: 1,
    ...(batch.snapshotId ? { snapshotId: batch.snapshotId } : {}),
    signal: run.reading.signal,
  });
  return {
    ...batch,
    from: progress.position,
    plan,
    extracted: {
      ...extracted,
      rows: extracted.rows + batch.extracted.rows,
      bytes: extracted.bytes + batch.extracted.bytes,
    },
    committed: false,
  };
}

/**
 * Load the batch, with the position it brings the table to, in one transaction. Without a position to start from
 * (first load, full refresh, a raw table or state that was lost) the warehouse copy is replaced, atomically: rows it
 * still holds from before are not trusted.
 */
async function loadBatch(run: TableRun, batch: Batch, tag: string, reached: Position): Promise<BatchCounts> {
  const { options, spec } = run;
  const { source, extracted } = batch;
  const mode = spec.strategy === 'full' || !batch.from ? 'replace' : source.primaryKey.length > 0 ? 'merge' : 'append';
  options.onEvent?.({ type: 'table-loading', table: run.name, files: extracted.files.length });
  return loadWithState(
    run,
    {
      table: batch.target,
      files: extracted.files,
      columns: batch.plan.columns.map((column) => column.name),
      mode,
      // One snapshot of a keyed table holds each key once.
      distinctKeys: source.primaryKey.length > 0,
      // Rows all read past the position the warehouse committed with its rows each change what it holds (not so
      // after a resumed first load, or from a migrated position the warehouse may have passed).
      ...(mode === 'merge' &&
      run.start?.kind === 'incremental' &&
      !run.start.migrate &&
      readChangesOnly(extracted, spec, batch.plan)
        ? { changesOnly: true }
        : {}),
      tag,
    },
    reached,
  );
}

/** One warehouse load carrying the table's next state version; the state store's copy follows the commit. */
async function loadWithState(
  run: TableRun,
  request: Omit<LoadRequest, 'state' | 'signal'>,
  value: Position,
): Promise<BatchCounts> {
  const { options } = run;
  const version = run.version + 1;
  run.wrote.state = true;
  const loaded = await options.warehouse.load({
    ...request,
    state: tableStateWrite(options.project.config.raw_schema, run.runId, run.stateKey, value, version),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  run.loaded = true;
  await committed(run, value, version);
  return {
    inserted: loaded.inserted,
    updated: loaded.updated,
    deleted: loaded.deleted,
    statements: loaded.statements,
    uploadedBytes: loaded.bytesUploaded ?? 0,
  };
}

/**
 * Whether every row read is a change to what the warehouse holds: all were read past the previous cursor (none
 * at or behind it: no late commit, no row read again), and the load writes the cursor's columns as they are — so
 * each row's cursor value differs from the one the warehouse holds for its key (the previous run read every row up
 * to that cursor). The load then counts matched rows as updates without comparing values.
 */
function readChangesOnly(extracted: ExtractResult, spec: TableConfig, plan: ExtractPlan): boolean {
  if (extracted.lateRows !== 0) return false;
  if (extracted.read !== 'window' && extracted.read !== 'lookback' && extracted.read !== 'sweep') return false;
  const written = new Set(plan.columns.map((c) => c.name));
  const altered = new Set([...(spec.hash ?? []), ...Object.keys(spec.columns ?? {})]);
  const cursorColumns = (spec.cursor ?? []).flatMap((element) =>
    typeof element === 'string' ? [element] : element.coalesce,
  );
  return cursorColumns.length > 0 && cursorColumns.every((c) => written.has(c) && !altered.has(c));
}

/** A transaction with the table's state `version` committed: remember it, and copy it into the state store. */
async function committed(run: TableRun, value: Position, version: number, rows?: number): Promise<void> {
  run.version = version;
  if (firstLoadOf(value) === undefined) run.positionWritten = true;
  run.options.onEvent?.({ type: 'table-committed', table: run.name, version });
  await copyPosition(run, value, version, rows);
}

/** The copy of a table's position the state store holds, when it copies the version the warehouse holds. */
function currentCopy(positions: RunPositions, key: string): TableRun['copied'] {
  const copy = positions.copies.get(key);
  const version = copyVersion(copy);
  return copy && version !== undefined && version === positions.entries.get(key)?.version
    ? { version, position: withoutCopyFields(copy.position) }
    : undefined;
}

/** The state store's copy of the table's position: the warehouse `version` it extends, and what moved since. */
async function copyPosition(run: TableRun, value: Position, version: number, rows?: number): Promise<void> {
  try {
    await run.options.state.commit(
      run.stateKey,
      { ...value, [STATE_VERSION]: String(version) },
      { runId: run.runId, ...(rows === undefined ? {} : { rows }) },
    );
    run.copied = { version, position: value };
  } catch (error) {
    // The warehouse holds the position; the copy only saves work. The next run reads the warehouse's.
    run.notes.push(
      `its position is in the warehouse, but its copy in the state store could not be written: ${describeError(error).message}`,
    );
  }
}

/** Compare keys in the very snapshot the batch came from, against the warehouse after the batch merged. */
async function reconcileBatch(run: TableRun, batch: Batch, tag: string, reached: Position): Promise<ReconcileResult> {
  const { options, spec } = run;
  const adopting = run.start?.kind === 'adopt';
  const keys = await run.source.keys(batch.plan, batch.snapshotId).catch((error: unknown) => {
    if (adopting && error instanceof ExtractError && error.code === 'INVALID_TABLE_CONFIG') {
      throw new ExtractError(
        'INVALID_TABLE_CONFIG',
        `${run.stateKey}: adopt: true compares key ranges, which needs a single integer primary key; remove adopt to load the table from the start`,
        { table: run.stateKey, cause: error },
      );
    }
    throw error;
  });
  try {
    const previous = batch.from?.keysDigest;
    const final = { ...reached, keysDigest: keys.fingerprints.digest };
    return await reconcileDeletes({
      source: keys,
      plan: batch.plan,
      warehouse: options.warehouse,
      target: batch.target,
      mode: spec.delete_mode,
      dir: run.dir,
      tag,
      // A table replaced (or appended range by range) from this very snapshot has nothing to compare.
      inSync: run.start?.kind === 'first',
      ...(typeof previous === 'string' && !adopting ? { previousDigest: previous } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      // When differences are loaded, the position (with the new key digest) commits with them.
      load: (request) => loadWithState(run, request, final),
    });
  } finally {
    await keys.end();
  }
}

/**
 * Rows read again because a transaction still open held the previous snapshot back: those the warehouse already
 * held as they are (read, but neither inserted nor changed). Reported only for reads by transaction id (a scan or a
 * lookback), and only while that transaction is open — a short one that had ended is no news.
 */
function heldBackBy(extracted: ExtractResult, counts: BatchCounts): HeldBack | undefined {
  const held = extracted.heldBy;
  if (!held?.open || (extracted.read !== 'sweep' && extracted.read !== 'lookback')) return undefined;
  const rows = Math.max(0, extracted.rows - counts.inserted - counts.updated);
  if (rows === 0) return undefined;
  return {
    xid: held.xid,
    ...(held.pid !== undefined ? { pid: held.pid } : {}),
    ...(held.database !== undefined ? { database: held.database } : {}),
    ...(held.since !== undefined ? { since: held.since } : {}),
    rows,
  };
}

/**
 * After the table's loads: the position it reached. The warehouse must hold a complete position after a first
 * load, a migration or an adoption (written on its own when no load carried one); otherwise what moved without
 * rows (a later xmin, a sweep, the key digest) is bookkeeping kept only in the state store's copy, extending the
 * version the warehouse holds — a no-change run writes nothing to the warehouse.
 */
async function settlePosition(run: TableRun, position: Position, rows: number, tag: string): Promise<BatchCounts> {
  const { options } = run;
  const start = run.start;
  const mustWrite = start !== undefined && (start.kind !== 'incremental' || start.migrate) && !run.positionWritten;
  if (mustWrite) {
    const version = run.version + 1;
    run.wrote.state = true;
    await options.warehouse.writeState(
      tableStateWrite(options.project.config.raw_schema, run.runId, run.stateKey, position, version),
      { tag, ...(options.signal ? { signal: options.signal } : {}) },
    );
    await committed(run, position, version, rows);
    return { ...NO_COUNTS, statements: 2 };
  }
  if (run.copied?.version !== run.version || !sameJson(position, run.copied.position)) {
    await copyPosition(run, position, run.version, rows);
  }
  return NO_COUNTS;
}

/** The position the batch brings the table to (`keysDigest`: the one it had, until deletes are reconciled). */
function positionAfterBatch(run: TableRun, batch: Batch, keysDigest: unknown): Position {
  return run.spec.strategy === 'full'
    ? { digest: batch.extracted.digest ?? null }
    : positionValue(batch.extracted.position, typeof keysDigest === 'string' ? keysDigest : undefined);
}

/** Equal as JSON, whatever the order of object members (a Postgres state store keeps jsonb, which reorders them). */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
              .map(([k, v]) => [k, canonical(v)]),
          )
        : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function positionValue(position: ExtractPosition | undefined, keysDigest: string | undefined): Position {
  return {
    ...((position ?? { cursor: null, snapshotXmin: null }) as unknown as Position),
    ...(keysDigest ? { keysDigest } : {}),
  };
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
  const { cursor, openXids, sweptXmin, sweptAt, snapshotXmax } = position;
  const open = strings(openXids);
  return {
    cursor: strings(cursor) ?? null,
    snapshotXmin: position.snapshotXmin,
    ...(typeof snapshotXmax === 'string' ? { snapshotXmax } : {}),
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
