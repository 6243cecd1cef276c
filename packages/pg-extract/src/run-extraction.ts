import { mkdir } from 'node:fs/promises';
import type pg from 'pg';
import type { ChunkFile } from '@sluice/warehouse';
import type { ChunkSink } from './chunk-sink.js';
import {
  asksIndexCheck,
  cursorIndexSql,
  needsIndexCheck,
  usesIndex,
  type ExtractPlan,
  type ExtractPosition,
  type LateRead,
} from './extract-plan.js';
import { ExtractionSession } from './extraction-session.js';
import {
  exportsSnapshot,
  readsInTwoParts,
  lateRowsOf,
  PARALLEL_MIN_PAGES,
  planReads,
  positionAfter,
  unexplainedRead,
  type BlockRange,
  type ReadPlan,
  type ReadPlanOptions,
  type ResumeRanges,
} from './read-plan.js';
import {
  beginReadSql,
  COMMIT_SQL,
  EXPORT_SNAPSHOT_SQL,
  snapshotFacts,
  snapshotSql,
  type HeldBy,
  type SnapshotFacts,
} from './snapshot-sql.js';

export interface ExtractOptions {
  /** Where chunk files are written (created if missing). */
  readonly dir: string;
  /** Target size of one chunk file, uncompressed (default 128 MiB). */
  readonly chunkBytes?: number;
  readonly signal?: AbortSignal;
  /** Called as data streams: rows and bytes so far. */
  readonly onProgress?: (progress: { rows: number; bytes: number }) => void;
  /** Called once the read's first round trip is done (its snapshot fixed; the rows are asked for next): work the
   *  caller holds back so as not to slow that round trip down may start. Not called when the read fails before. */
  readonly onReading?: () => void;
  /** Read in this exported snapshot (`pg_export_snapshot()` of a coordinating transaction), so that several tables
   *  are read at one consistent point. Default: a snapshot of this connection's own. */
  readonly snapshotId?: string;
  /** Compute a SHA-256 of everything read (to tell whether a `full` table changed since the last run). */
  readonly digest?: boolean;
  /** Opens another connection to the same source: with it, the upper bound is read while rows stream, a large
   *  first load is read as `parallelism` block ranges at once, and (`parallelism` 2 or more) a lookback of a large
   *  table checks the rows behind its cursor beside the rows past it, all in one snapshot. A caller may have the
   *  first one connecting already (the pipeline opens it alongside the table's own). */
  readonly connect?: () => Promise<pg.Client>;
  /** Gives back a helper connection `connect` opened once its reads are done (default: close it). */
  readonly release?: (client: pg.Client) => Promise<void>;
  /** Connections reading one table's rows at once (default 1): a large first load's block ranges, a lookback's
   *  two parts. */
  readonly parallelism?: number;
  /** A table of at least this many blocks counts as large (default 8192, i.e. 64 MB). */
  readonly parallelMinPages?: number;
  /** The most blocks in one range of a split first load (default `FIRST_LOAD_RANGE_PAGES`, 1 GiB). */
  readonly rangePages?: number;
  /** A resumed first load: the ranges it was planned with, and those already loaded (not read again). */
  readonly resume?: ResumeRanges;
  /**
   * A first load split by size (a table larger than `rangePages`, or a resumed load) hands each block range over
   * as soon as it is read, with the position the whole load will commit (known once the upper bound is read), while
   * the other ranges keep streaming; the extraction waits for it, and fails when it throws. The files it gets are
   * not in the result. Without it, or when the table fits in one range (split only to be read by several
   * connections at once), the files of every range are in the result, as for any read.
   */
  readonly onRange?: (range: RangeRead) => Promise<void>;
}

/** One block range of a split first load, read (see `ExtractOptions.onRange`). */
export interface RangeRead {
  /** Its index in `ranges`. */
  readonly index: number;
  /** Every range of the load (the plan a resumed load must be given again). */
  readonly ranges: readonly BlockRange[];
  readonly files: readonly ChunkFile[];
  readonly rows: number;
  readonly bytes: number;
  /** The position of the whole load, in this extraction's snapshot. */
  readonly position: ExtractPosition;
}

/** What one extraction produced. */
export interface ExtractResult {
  readonly files: readonly ChunkFile[];
  readonly rows: number;
  readonly bytes: number;
  /** Rows read at or before the previous position: late commits and backdated writes (see `LateCommits`). */
  readonly lateRows: number;
  /** How the rows were read: everything, the window past the cursor, a sweep, or a lookback (see `LateRead`). */
  readonly read: LateRead['kind'];
  /** Why a `lookback` table swept this run. */
  readonly sweepReason?: string;
  /** The transaction that held the previous snapshot's xmin back — on any database of the server — and made this
   *  run read again what the previous one had read (see `snapshotSql`). */
  readonly heldBy?: HeldBy;
  /** The position to commit once these rows are in the warehouse (`undefined` for `full`). */
  readonly position: ExtractPosition | undefined;
  /** The window read, for messages: `(a, b] ` in cursor terms. */
  readonly window: { readonly from: readonly string[] | null; readonly to: readonly string[] | null };
  /** Every statement sent, on every connection (the table's own and its helpers). */
  readonly statements: readonly string[];
  /** SHA-256 of the rows read, in the chunk format, when asked for. */
  readonly digest: string | undefined;
  /** Block ranges the rows were read in (1 unless a large first load was split). */
  readonly ranges: number;
  /** The block ranges of a first load handed over range by range (all of them, those read before a resume
   *  included); else empty. */
  readonly rangePlan: readonly BlockRange[];
  /** Settles once every helper connection is closed (await it before dropping the database, say). */
  readonly closed: Promise<void>;
}

/**
 * Run a planned extraction on a dedicated connection: one REPEATABLE READ, READ ONLY snapshot holds the upper bound
 * and every row read, so nothing committed after the bound is half-seen. Rows stream through `COPY … TO STDOUT`
 * into chunk files; nothing is held in memory. Every statement comes from a pure planner (`beginReadSql`,
 * `snapshotSql`, `planReads`…), pinned in `__golden__`.
 *
 * Late commits: the snapshot's xmin (and, for `lookback`, its open transactions) is kept in the position; what the
 * next run reads follows from it (see `LateCommits` and `planLateRead`).
 */
export async function runExtraction(
  client: pg.Client,
  plan: ExtractPlan,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const session = new ExtractionSession(client, plan, options);
  session.start();
  // The chunk folder is made while the read begins: the first file is opened after the first round trip.
  const making = mkdir(options.dir, { recursive: true });
  making.catch(() => undefined); // awaited below
  try {
    const reading: ReadPlanOptions = {
      digest: options.digest === true,
      helpers: options.connect !== undefined,
      snapshotId: options.snapshotId,
      parallelism: options.parallelism ?? 1,
      parallelMinPages: options.parallelMinPages ?? PARALLEL_MIN_PAGES,
      ...(options.rangePages === undefined ? {} : { rangePages: options.rangePages }),
      ...(options.resume === undefined ? {} : { resume: options.resume }),
    };
    const { facts, exported } = await beginRead(session, beginReadSql(options.snapshotId), exportsSnapshot(reading));
    const reads = planReads(plan, facts, reading);
    const snapshotId = reads.exportSnapshot ? exported : reads.concurrent ? options.snapshotId : undefined;
    options.onReading?.();
    await making;
    const { upper, sinks, windowRows, handedOver } = await readRows(session, reads, snapshotId, facts);
    const rows = sinks.reduce((sum, sink) => sum + sink.rows, 0);
    await session.row(COMMIT_SQL);
    const from = plan.from?.cursor ?? null;
    return {
      files: sinks.filter((sink) => !handedOver.has(sink)).flatMap((sink) => sink.files),
      ...session.progress(),
      lateRows: lateRowsOf(reads.late, rows, windowRows, session.rowsPastCursor(sinks)),
      read: reads.late.kind,
      ...(reads.late.reason ? { sweepReason: reads.late.reason } : {}),
      ...(facts.heldBy ? { heldBy: facts.heldBy } : {}),
      position: positionAfter(plan, facts, reads.late, upper),
      window: { from, to: upper ?? from },
      statements: session.statements,
      digest: sinks[0]?.digest(),
      ranges: reads.ranges.length > 0 ? reads.reads.length : 1,
      rangePlan: reads.byRange ? reads.ranges : [],
      // Helper connections close in the background: the rows are ready before that.
      closed: session.settle(),
    };
  } catch (error) {
    // A folder made after the caller removed it would stay behind.
    await making.catch(() => undefined);
    throw await session.fail(error);
  } finally {
    session.stop();
  }
}

/**
 * Begin the read in one round trip: `begin`, the first query (`snapshotSql`: it fixes the snapshot), the index check
 * `auto` (or a lookback that could be read in two parts) may need (its answer counts on a large table only) and, for
 * helpers, the snapshot's export.
 */
export async function beginRead(
  session: ExtractionSession,
  begin: string,
  exporting: boolean,
): Promise<{ facts: SnapshotFacts; exported: string | undefined }> {
  const { connect, digest, parallelism } = session.options;
  const twoParts = readsInTwoParts({
    helpers: connect !== undefined,
    digest: digest === true,
    parallelism: parallelism ?? 1,
  });
  const asking = asksIndexCheck(session.plan, twoParts);
  const after = [...(asking ? [cursorIndexSql(session.plan)] : []), ...(exporting ? [EXPORT_SNAPSHOT_SQL] : [])];
  // One row from each of the last results: the first query's, then the index check's and the export's.
  const [first, ...rest] = await session.lastRowsOf([begin, snapshotSql(session.plan), ...after], 1 + after.length);
  const facts = snapshotFacts(first);
  const explain = asking ? rest.shift() : undefined;
  const exported = exporting ? String(rest.shift()?.id) : undefined;
  if (!needsIndexCheck(session.plan, facts, twoParts)) return { facts, exported };
  // The catalog's size was too small to ask at once (statistics behind the table): asked now.
  const answer = asking ? explain : await session.row(cursorIndexSql(session.plan));
  return { facts: { ...facts, cursorIndexed: usesIndex(answer) }, exported };
}

/**
 * Read the upper bound and the rows as planned — at once when helpers share the snapshot, one after the other
 * otherwise — and then the rows the bound query found unexplained, if any.
 */
async function readRows(
  session: ExtractionSession,
  reads: ReadPlan,
  snapshotId: string | undefined,
  facts: SnapshotFacts,
): Promise<{ upper: string[] | null; sinks: ChunkSink[]; windowRows: number; handedOver: Set<ChunkSink> }> {
  const handedOver = new Set<ChunkSink>();
  const onRange = session.options.onRange;
  if (onRange && reads.byRange) {
    // A split first load: a few connections read the ranges off a queue; each range is handed over once read and
    // the bound is known, while the others keep streaming.
    const bounding = readBound(session, reads, snapshotId);
    bounding.catch(() => undefined); // awaited below
    const sinks = await session.readQueued(
      reads.reads,
      snapshotId,
      session.options.parallelism ?? 1,
      async (read, sink) => {
        const bound = await bounding;
        await onRange({
          index: read.range ?? 0,
          ranges: reads.ranges,
          files: sink.files,
          rows: sink.rows,
          bytes: sink.bytes,
          position: positionAfter(session.plan, facts, reads.late, bound.upper) as ExtractPosition,
        });
        handedOver.add(sink);
      },
    );
    const bound = await bounding;
    return { upper: bound.upper, sinks, windowRows: bound.windowRows, handedOver };
  }
  const readAll = () => Promise.all(reads.reads.map((read) => session.read(read, snapshotId)));
  let bound: BoundRow;
  let sinks: ChunkSink[];
  if (reads.concurrent) {
    // The rows first: a lookback's second part takes the helper connecting already, the short bound query the next.
    const rows = Promise.all(reads.reads.map((read) => session.endAllOnFailure(session.read(read, snapshotId))));
    [bound, sinks] = await Promise.all([session.endAllOnFailure(readBound(session, reads, snapshotId)), rows]);
  } else {
    bound = await readBound(session, reads, snapshotId);
    sinks = await readAll();
  }
  const missed = unexplainedRead(session.plan, reads.late);
  if (bound.unexplained > 0 && missed) sinks.push(await session.read(missed, snapshotId));
  return { upper: bound.upper, sinks, windowRows: bound.windowRows, handedOver };
}

interface BoundRow {
  /** The cursor of the newest row in the window (`null`: none, or `full`). */
  readonly upper: string[] | null;
  /** Rows past the cursor (counted by a sweep's bound query). */
  readonly windowRows: number;
  /** Rows past the cursor not written since the sweep's base (see `upperBoundSql`). */
  readonly unexplained: number;
}

async function readBound(
  session: ExtractionSession,
  reads: ReadPlan,
  snapshotId: string | undefined,
): Promise<BoundRow> {
  const bound = reads.bound;
  if (!bound) return { upper: null, windowRows: 0, unexplained: 0 };
  const row = bound.helper
    ? await session.onHelper(snapshotId, (connection) => session.row(bound.sql, connection))
    : await session.row(bound.sql);
  return {
    upper: row ? session.plan.cursorSql.map((_, i) => String(row[`c${i}`])) : null,
    windowRows: Number(row?.window_rows ?? 0),
    unexplained: Number(row?.unexplained ?? 0),
  };
}
