import {
  afterCondition,
  copySql,
  planLateRead,
  selectSql,
  upperBoundSql,
  type ExtractPlan,
  type ExtractPosition,
  type LateRead,
} from './extract-plan.js';
import { SERIAL_QUERY_SQL, type SnapshotFacts } from './snapshot-sql.js';

/** One COPY of an extraction, into a chunk sink of its own. */
export interface RowRead {
  /** File name prefix of its chunks. */
  readonly prefix: string;
  /** The `COPY (SELECT …) TO STDOUT` statement. */
  readonly sql: string;
  /**
   * The same read with dates and timestamps written BC-safe (see `PlannedColumn.bcSafeSql`), when `sql` writes
   * some plainly: sent instead once the rows of `sql` showed a year before 1 (read in the same snapshot).
   */
  readonly bcSafeSql?: string;
  /** Hash what it reads (a `full` table's content digest). */
  readonly digest: boolean;
  /** Each record ends in a boolean field to count and strip (see ChunkSink's `flagged`). */
  readonly flagged: boolean;
  /** Every row it reads lies past the cursor (a lookback's first part): each counts as flagged, with no field. */
  readonly pastCursor?: boolean;
  /** Read on a helper connection in the shared snapshot, not on the table's own. */
  readonly helper: boolean;
  /** The block range this read covers, by its index in `ReadPlan.ranges` (a split first load). */
  readonly range?: number;
}

/** A range of a table's blocks: `[from, to)`, `to` null for the last range (open: blocks added later are in it). */
export type BlockRange = readonly [from: number, to: number | null];

/** The ranges a split first load was planned with, and those already in the warehouse (a resumed first load). */
export interface ResumeRanges {
  readonly ranges: readonly BlockRange[];
  /** Indexes into `ranges` of the ranges not to read again. */
  readonly done: readonly number[];
}

/** Everything an extraction sends after its first query, decided from the plan and what that query found. */
export interface ReadPlan {
  /** How the rows are read (see `planLateRead`). */
  readonly late: LateRead;
  /** Export this transaction's snapshot first (`EXPORT_SNAPSHOT_SQL`): helpers read in it, and none was given. */
  readonly exportSnapshot: boolean;
  /** The bound and the rows are read at once (helpers share the snapshot); else the bound first. */
  readonly concurrent: boolean;
  /** The rows: one read, a lookback's two parts, or the block ranges of a large first load (those not done yet). */
  readonly reads: readonly RowRead[];
  /** The block ranges of a split first load, all of them (done ones included); empty when the read is not split. */
  readonly ranges: readonly BlockRange[];
  /**
   * The ranges are to be committed one by one (handed over as they are read, see `ExtractOptions.onRange`): the
   * table is larger than one range (`rangePages`), or the load resumes. A table split only to be read by several
   * connections at once is one load: its ranges come back together, as the files of one read.
   */
  readonly byRange: boolean;
  /** The upper-bound query (none for `full`) and whether a helper reads it. */
  readonly bound: { readonly sql: string; readonly helper: boolean } | undefined;
}

export interface ReadPlanOptions {
  /** Hash the rows (they are then read in key order, on the table's own connection). */
  readonly digest: boolean;
  /** Helper connections can be opened (`connect`). */
  readonly helpers: boolean;
  /** An exported snapshot the extraction already reads in. */
  readonly snapshotId: string | undefined;
  /** Connections reading one table's rows at once: a large first load's block ranges, a lookback's two parts. */
  readonly parallelism: number;
  /** A table of at least this many blocks counts as large. */
  readonly parallelMinPages: number;
  /** The most blocks one range of a split first load covers (default `FIRST_LOAD_RANGE_PAGES`): a larger table is
   *  read as more ranges than connections, each handed over (and committed) as soon as it is read. */
  readonly rangePages?: number;
  /** A resumed first load: read these ranges again, minus the done ones. */
  readonly resume?: ResumeRanges;
}

/** Whether the reads export their snapshot for helper connections (known before the first query: its answer does
 *  not change it): they have helpers, no order to keep, and no snapshot to join. */
export function exportsSnapshot(options: Pick<ReadPlanOptions, 'digest' | 'helpers' | 'snapshotId'>): boolean {
  return options.helpers && !options.digest && !options.snapshotId;
}

/** Whether a lookback may be read in two parts at once (known before the first query; whether it is depends on
 *  its answer, see `planReads`): helpers, no order to keep, and two connections or more per table. */
export function readsInTwoParts(options: Pick<ReadPlanOptions, 'digest' | 'helpers' | 'parallelism'>): boolean {
  return options.helpers && !options.digest && options.parallelism > 1;
}

/** Below this many 8 kB blocks (64 MB) a table is read by one connection. */
export const PARALLEL_MIN_PAGES = 8192;

/** The default size of a first load's block range: 131,072 blocks of 8 kB (1 GiB). */
export const FIRST_LOAD_RANGE_PAGES = 131_072;

/**
 * Plan the reads of one extraction. Pure. A digest needs key order, so a digested table is read on its own
 * connection alone; otherwise, with helper connections, the bound is read on one while the rows stream on this
 * one, a large first load is split into ctid ranges read by helpers while this connection reads the bound, and a
 * lookback of a large table whose cursor an index serves (with `parallelism` 2 or more) reads the rows past the
 * cursor here while a helper checks those behind it: two backends share the work (on a table where 1% of the rows
 * changed at random, the check costs about as much as the rows, each touching every page).
 *
 * @example planReads(plan, snapshotFacts(row), { digest: false, helpers: true, snapshotId: undefined, parallelism: 4, parallelMinPages: 8192 })
 */
export function planReads(plan: ExtractPlan, facts: SnapshotFacts, options: ReadPlanOptions): ReadPlan {
  const late = plan.strategy === 'full' ? ({ kind: 'all', where: undefined } as const) : planLateRead(plan, facts);
  const ordered = options.digest;
  const shares = options.helpers && !ordered;
  const ranges: readonly BlockRange[] =
    shares && late.kind === 'all'
      ? (options.resume?.ranges ??
        blockRanges(
          plan,
          facts.pages,
          facts.version,
          options.parallelism,
          options.parallelMinPages,
          options.rangePages ?? FIRST_LOAD_RANGE_PAGES,
        ))
      : [];
  const split = ranges.length > 1;
  const byRange =
    split && (options.resume !== undefined || facts.pages > (options.rangePages ?? FIRST_LOAD_RANGE_PAGES));
  const done = new Set(split ? (options.resume?.done ?? []) : []);
  // A lookback read in two: the rows past the cursor here, its late-commit check behind the cursor on a helper —
  // on a large table whose cursor an index serves (without one, each part would read the whole table).
  const apart = readsInTwoParts(options) && !split && late.behind !== undefined && facts.cursorIndexed === true;
  // One lookback read flags the rows past the cursor; in two parts, each part's rows all lie on one side of it.
  const flag = late.kind === 'lookback' && !apart ? late.flag : undefined;
  const instants = plan.columns.some((column) => column.bcSafeSql !== undefined);
  const read = (
    where: string | undefined,
    prefix: string,
    place: { helper?: boolean; range?: number; pastCursor?: boolean } = {},
  ): RowRead => ({
    prefix,
    sql: copySql(selectSql(plan, where, { ordered, plain: true, ...(flag ? { flag } : {}) })),
    ...(instants ? { bcSafeSql: copySql(selectSql(plan, where, { ordered, ...(flag ? { flag } : {}) })) } : {}),
    digest: options.digest,
    flagged: flag !== undefined,
    ...(place.pastCursor ? { pastCursor: true } : {}),
    helper: place.helper ?? split,
    ...(place.range === undefined ? {} : { range: place.range }),
  });
  const reads = split
    ? ranges.flatMap((range, index) =>
        done.has(index)
          ? []
          : [
              read(
                [late.where, rangeCondition(range)].filter(Boolean).join(' AND ') || undefined,
                `${filePrefix(plan)}-r${index + 1}`,
                { range: index },
              ),
            ],
      )
    : apart
      ? [
          read(late.flag, filePrefix(plan), { pastCursor: true }),
          read(late.behind, `${filePrefix(plan)}-behind`, { helper: true }),
        ]
      : [read(late.where, filePrefix(plan))];
  // A sweep also finds rows behind the cursor: the bound query counts those past it (a lookback read flags them,
  // or reads them apart).
  const bound =
    plan.strategy === 'full'
      ? undefined
      : {
          sql: `${SERIAL_QUERY_SQL}; ${upperBoundSql(plan, plan.from?.cursor ?? null, { count: late.kind === 'sweep', changed: late.changed, chain: late.kind === 'all' })}`,
          helper: shares && !split,
        };
  return {
    late,
    exportSnapshot: exportsSnapshot(options),
    concurrent: shares,
    reads,
    ranges: split ? ranges : [],
    byRange,
    bound,
  };
}

/** The chunk files' name prefix: the table's name, with what a file name cannot hold (`/`, spaces…) as `_`. */
function filePrefix(plan: ExtractPlan): string {
  return plan.table.name.replace(/[^\p{L}\p{N}_.-]/gu, '_').replace(/^\./, '_');
}

/**
 * The read of rows past the cursor that no transaction since the sweep's base wrote — there are some only when the
 * transaction ids do not continue the previous run's (the source was restored or replaced). Run when the bound
 * query counted any (`unexplained`), so nothing is skipped. `undefined`: the read cannot have such rows.
 */
export function unexplainedRead(plan: ExtractPlan, late: LateRead): RowRead | undefined {
  const from = plan.from?.cursor;
  if (!late.changed || !from) return undefined;
  const missed = `(${afterCondition(plan, from)}) AND NOT (${late.changed})`;
  return {
    prefix: `${filePrefix(plan)}-unexplained`,
    sql: copySql(selectSql(plan, missed)),
    digest: false,
    flagged: false,
    helper: false,
  };
}

/** The position to commit once the rows read are in the warehouse (`undefined` for `full`). Pure. */
export function positionAfter(
  plan: ExtractPlan,
  facts: SnapshotFacts,
  late: LateRead,
  upper: readonly string[] | null,
): ExtractPosition | undefined {
  if (plan.strategy === 'full') return undefined;
  return {
    cursor: upper ?? plan.from?.cursor ?? null,
    snapshotXmin: facts.xmin,
    snapshotXmax: facts.xmax,
    ...(plan.lateCommits === 'lookback' || plan.lateCommits === 'auto' ? { openXids: facts.openXids } : {}),
    ...(late.sweptXmin ? { sweptXmin: late.sweptXmin } : {}),
    ...(late.sweptAt ? { sweptAt: late.sweptAt } : {}),
  };
}

/**
 * Rows read at or before the previous position: late commits and backdated writes (and rows of transactions that
 * had committed just before the previous snapshot, read again). `windowRows`: the rows past the cursor the bound
 * query counted (sweeps); `pastCursor`: the rows of a lookback read past the cursor (flagged, or read apart).
 */
export function lateRowsOf(late: LateRead, rows: number, windowRows: number, pastCursor: number): number {
  if (late.kind === 'sweep') return Math.max(0, rows - windowRows);
  if (late.kind === 'lookback') return rows - pastCursor;
  return 0;
}

/**
 * Block (ctid) ranges splitting a first load of a large table: at least `parallelism` of them (read at once) once the
 * table reaches `minPages`, and none larger than `rangePages`, so that a table of many ranges commits them one by one
 * (a first load interrupted midway resumes at the next range). The last range is open, so blocks added since the
 * size was read are still covered. Postgres 14+ reads a ctid range without a full scan; older servers get one read.
 */
function blockRanges(
  plan: ExtractPlan,
  pages: number,
  version: number,
  parallelism: number,
  minPages: number,
  rangePages: number,
): BlockRange[] {
  if (version < 140000 || plan.table.kind !== 'r') return [];
  const count = Math.max(pages >= minPages ? parallelism : 1, Math.ceil(pages / Math.max(1, rangePages)));
  if (count < 2) return [];
  const size = Math.ceil(pages / count);
  return Array.from({ length: count }, (_, i) => [i * size, i === count - 1 ? null : (i + 1) * size] as const);
}

/** The ctid condition of a block range (none for a range covering every block). */
function rangeCondition([from, to]: BlockRange): string | undefined {
  const lower = from === 0 ? undefined : `ctid >= '(${from},0)'::tid`;
  const upper = to === null ? undefined : `ctid < '(${to},0)'::tid`;
  return [lower, upper].filter(Boolean).join(' AND ') || undefined;
}
