import { mkdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { quoteLiteral, type ChunkFile } from '@sluice/warehouse';
import { ChunkSink } from './chunk-sink.js';
import { ExtractError } from './extract-error.js';
import {
  afterCondition,
  cursorIndexSql,
  needsIndexCheck,
  planLateRead,
  selectSql,
  snapshotFacts,
  snapshotSql,
  upperBoundSql,
  usesIndex,
  type ExtractPlan,
  type ExtractPosition,
  type LateRead,
} from './extract-plan.js';

export interface ExtractOptions {
  /** Where chunk files are written (created if missing). */
  readonly dir: string;
  /** Target size of one chunk file, uncompressed (default 128 MiB). */
  readonly chunkBytes?: number;
  readonly signal?: AbortSignal;
  /** Called as data streams: rows and bytes so far. */
  readonly onProgress?: (progress: { rows: number; bytes: number }) => void;
  /** Read in this exported snapshot (`pg_export_snapshot()` of a coordinating transaction), so that several tables
   *  are read at one consistent point. Default: a snapshot of this connection's own. */
  readonly snapshotId?: string;
  /** Compute a SHA-256 of everything read (to tell whether a `full` table changed since the last run). */
  readonly digest?: boolean;
  /** Opens another connection to the same source: with it, the upper bound is read while rows stream, and a large
   *  first load is read as `parallelism` block ranges at once, all in one snapshot. A caller may have the first
   *  one connecting already (the pipeline opens it alongside the table's own). */
  readonly connect?: () => Promise<pg.Client>;
  /** Connections reading a large first load at once (default 1). */
  readonly parallelism?: number;
  /** A table of at least this many blocks counts as large (default 8192, i.e. 64 MB). */
  readonly parallelMinPages?: number;
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
  /** The position to commit once these rows are in the warehouse (`undefined` for `full`). */
  readonly position: ExtractPosition | undefined;
  /** The window read, for messages: `(a, b] ` in cursor terms. */
  readonly window: { readonly from: readonly string[] | null; readonly to: readonly string[] | null };
  readonly statements: readonly string[];
  /** SHA-256 of the rows read, in the chunk format, when asked for. */
  readonly digest: string | undefined;
  /** Block ranges the rows were read in (1 unless a large first load was split). */
  readonly ranges: number;
  /** Settles once every helper connection is closed (await it before dropping the database, say). */
  readonly closed: Promise<void>;
}

/**
 * Run a planned extraction on a dedicated connection: one REPEATABLE READ, READ ONLY snapshot holds the upper bound
 * and every row read, so nothing committed after the bound is half-seen. Rows stream through `COPY … TO STDOUT`
 * into chunk files; nothing is held in memory.
 *
 * Late commits: the snapshot's xmin (and, for `lookback`, its open transactions) is kept in the position; what the
 * next run reads follows from it (see `LateCommits` and `planLateRead`).
 */
export async function runExtraction(
  client: pg.Client,
  plan: ExtractPlan,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const label = `${plan.table.schema}.${plan.table.name}`;
  const statements: string[] = [];
  const run = async (sql: string) => {
    statements.push(sql);
    return client.query(sql);
  };
  const helpers: pg.Client[] = [];
  /** Helper connections being closed: waited for at the end, not in the middle of the reads. */
  const closing: Promise<unknown>[] = [];
  const abort = () => {
    // Ending the connections stops the COPYs on the server too (the backend sees the client go).
    for (const connection of [client, ...helpers]) void connection.end().catch(() => undefined);
  };
  if (options.signal?.aborted)
    throw new ExtractError('CANCELLED', `extraction of ${label} was cancelled`, { table: label });
  options.signal?.addEventListener('abort', abort, { once: true });
  /** Every helper connection closed. */
  const settle = async (): Promise<void> => {
    await Promise.all(closing);
  };
  const takeHelper = async (): Promise<pg.Client> => {
    const helper = await (options.connect as () => Promise<pg.Client>)();
    helpers.push(helper);
    if (options.signal?.aborted) {
      void helper.end().catch(() => undefined);
      throw new ExtractError('CANCELLED', `extraction of ${label} was cancelled`, { table: label });
    }
    return helper;
  };
  await mkdir(options.dir, { recursive: true });
  const chunkBytes = options.chunkBytes ?? 128 * 1024 * 1024;
  const sinks: ChunkSink[] = [];
  const newSink = (prefix: string, digest: boolean, flagged = false) => {
    const sink = new ChunkSink({ dir: options.dir, prefix, chunkBytes, digest, flagged });
    sinks.push(sink);
    return sink;
  };
  const progress = () => ({
    rows: sinks.reduce((sum, sink) => sum + sink.rows, 0),
    bytes: sinks.reduce((sum, sink) => sum + sink.bytes, 0),
  });
  const copy = async (connection: pg.Client, sink: ChunkSink, select: string) => {
    const sql = `COPY (${select}) TO STDOUT (FORMAT csv)`;
    statements.push(sql);
    await copyInto(connection, sink, sql, options.onProgress ? () => options.onProgress?.(progress()) : undefined);
  };
  try {
    await run(beginSql(options.snapshotId));
    // The first query fixes the snapshot; everything below reads in it.
    const snapshot = (await run(snapshotSql(plan))).rows[0] as Record<string, unknown> | undefined;
    let facts = snapshotFacts(snapshot);
    if (needsIndexCheck(plan, facts)) {
      facts = {
        ...facts,
        cursorIndexed: usesIndex((await run(cursorIndexSql(plan))).rows[0] as Record<string, unknown> | undefined),
      };
    }
    const from = plan.from?.cursor ?? null;
    const late = plan.strategy === 'full' ? ({ kind: 'all', where: undefined } as const) : planLateRead(plan, facts);
    // A digest must not depend on the heap's physical order: read in key order then.
    const ordered = options.digest === true;

    // With a way to open more connections, other connections read in the same (exported) snapshot while this one
    // reads the upper bound: a large first load is split into block (ctid) ranges read at once.
    const canShare = options.connect !== undefined && !ordered;
    const snapshotId = canShare
      ? (options.snapshotId ?? String((await run('SELECT pg_export_snapshot() AS id')).rows[0]?.id))
      : undefined;
    const ranges =
      canShare && late.kind === 'all'
        ? blockRanges(
            plan,
            Number(snapshot?.pages ?? 0),
            Number(snapshot?.version ?? 0),
            options.parallelism ?? 1,
            options.parallelMinPages ?? PARALLEL_MIN_PAGES,
          )
        : [undefined];
    /** Run `work` on a helper connection in the shared snapshot (here when there is none). */
    const elsewhere = async <T>(work: (connection: pg.Client) => Promise<T>): Promise<T> => {
      if (!canShare || !snapshotId) return work(client);
      const helper = await takeHelper();
      try {
        await helper.query(beginSql(snapshotId));
        return await work(helper);
      } finally {
        // Its read-only transaction needs no COMMIT: closing the connection ends it.
        closing.push(helper.end().catch(() => undefined));
      }
    };
    /** Stream one SELECT into a new sink, on this connection or (`helper`) another in the shared snapshot. */
    const read = async (
      prefix: string,
      select: string,
      how: { digest?: boolean; flagged?: boolean; helper?: boolean } = {},
    ) => {
      const sink = newSink(prefix, how.digest ?? false, how.flagged ?? false);
      await (how.helper ? elsewhere((connection) => copy(connection, sink, select)) : copy(client, sink, select));
      return sink;
    };
    // One read goes on this connection while a helper reads the bound; the ranges of a split first load each go on
    // a helper while this connection reads the bound.
    const split = ranges.length > 1;
    const rangeRead = (range: string | undefined, index: number) => {
      const where = [late.where, range].filter(Boolean).join(' AND ') || undefined;
      const prefix = split ? `${plan.table.name}-r${index + 1}` : plan.table.name;
      const flag = late.kind === 'lookback' ? late.flag : undefined;
      return read(prefix, selectSql(plan, where, { ordered, ...(flag ? { flag } : {}) }), {
        digest: options.digest ?? false,
        flagged: flag !== undefined,
        helper: split,
      });
    };
    // A sweep also finds rows behind the cursor: the bound query counts those past it (a lookback read flags them).
    const counts = late.kind === 'sweep';
    let windowRows = 0;
    let unexplained = 0;
    const upperBound = async (): Promise<string[] | null> => {
      if (plan.strategy === 'full') return null;
      const sql = upperBoundSql(plan, from, { count: counts, changed: late.changed });
      const bound = split
        ? await run(sql)
        : await elsewhere((connection) => {
            statements.push(sql);
            return connection.query(sql);
          });
      const row = bound.rows[0] as Record<string, string> | undefined;
      windowRows = Number(row?.window_rows ?? 0);
      unexplained = Number(row?.unexplained ?? 0);
      return row ? plan.cursorSql.map((_, i) => String(row[`c${i}`])) : null;
    };
    // The upper bound and the rows (in ranges) each read the table: at once when other connections can share the
    // snapshot, one after the other otherwise.
    let upper: string[] | null;
    let rowSinks: ChunkSink[];
    if (canShare) {
      [upper, rowSinks] = await Promise.all([upperBound(), Promise.all(ranges.map(rangeRead))]);
    } else {
      upper = await upperBound();
      rowSinks = await Promise.all(ranges.map(rangeRead));
    }
    if (unexplained > 0 && late.changed && from) {
      // Rows past the cursor that no transaction since the sweep's base wrote: the transaction ids do not continue
      // the previous run's (the source was restored or replaced). Read them too; nothing is skipped.
      const missed = `(${afterCondition(plan, from)}) AND NOT (${late.changed})`;
      rowSinks.push(await read(`${plan.table.name}-unexplained`, selectSql(plan, missed)));
    }
    const rows = rowSinks.reduce((sum, sink) => sum + sink.rows, 0);
    await run('COMMIT');
    const position: ExtractPosition | undefined =
      plan.strategy === 'full'
        ? undefined
        : {
            cursor: upper ?? from,
            snapshotXmin: facts.xmin,
            ...(plan.lateCommits === 'lookback' || plan.lateCommits === 'auto' ? { openXids: facts.openXids } : {}),
            ...(late.sweptXmin ? { sweptXmin: late.sweptXmin } : {}),
            ...(late.sweptAt ? { sweptAt: late.sweptAt } : {}),
          };
    return {
      files: rowSinks.flatMap((sink) => sink.files),
      ...progress(),
      // Rows read at or before the previous position: late commits and backdated writes (and rows of transactions
      // that had committed just before the previous snapshot, read again).
      lateRows:
        late.kind === 'sweep'
          ? Math.max(0, rows - windowRows)
          : late.kind === 'lookback'
            ? rows - rowSinks.reduce((sum, sink) => sum + sink.trueFlags, 0)
            : 0,
      read: late.kind,
      ...(late.reason ? { sweepReason: late.reason } : {}),
      position,
      window: { from, to: upper ?? from },
      statements,
      digest: rowSinks[0]?.digest(),
      ranges: ranges.length,
      // Helper connections close in the background: the rows are ready before that.
      closed: settle(),
    };
  } catch (error) {
    for (const sink of sinks) sink.destroy();
    await client.query('ROLLBACK').catch(() => undefined);
    await settle();
    if (options.signal?.aborted) {
      throw new ExtractError('CANCELLED', `extraction of ${label} was cancelled`, { table: label, cause: error });
    }
    if (error instanceof ExtractError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const bc = /invalid input syntax for type integer: "sluice: (.*)"/.exec(message);
    if (bc) {
      throw new ExtractError(
        'UNSUPPORTED_VALUE',
        `${bc[1]}: years before 1 AD cannot be loaded exactly; exclude the column or fix the value`,
        {
          table: label,
          cause: error,
        },
      );
    }
    throw new ExtractError('SOURCE_QUERY_FAILED', `reading ${label} failed: ${message}`, {
      table: label,
      cause: error,
    });
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

const SESSION_SETTINGS =
  "SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; " +
  'SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex';

/** One round trip: a read-only REPEATABLE READ transaction, in `snapshotId` when given, with the text settings the
 *  chunk format needs. None of these statements takes the snapshot: the first query after them does. */
function beginSql(snapshotId: string | undefined): string {
  const snapshot = snapshotId ? `SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotId)}; ` : '';
  return `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ${snapshot}${SESSION_SETTINGS}`;
}

/** Below this many 8 kB blocks (64 MB) a table is read by one connection. */
const PARALLEL_MIN_PAGES = 8192;

/**
 * Block (ctid) ranges splitting a first load of a large table into `parallelism` reads. The last range is open, so
 * blocks added since the size was read are still covered. Postgres 14+ reads a ctid range without a full scan.
 */
function blockRanges(
  plan: ExtractPlan,
  pages: number,
  version: number,
  parallelism: number,
  minPages: number,
): (string | undefined)[] {
  if (parallelism < 2 || version < 140000 || plan.table.kind !== 'r' || pages < minPages) return [undefined];
  const size = Math.ceil(pages / parallelism);
  return Array.from({ length: parallelism }, (_, i) => {
    const lower = i === 0 ? undefined : `ctid >= '(${i * size},0)'::tid`;
    const upper = i === parallelism - 1 ? undefined : `ctid < '(${(i + 1) * size},0)'::tid`;
    return [lower, upper].filter(Boolean).join(' AND ');
  });
}

async function copyInto(
  client: pg.Client,
  sink: ChunkSink,
  sql: string,
  report: (() => void) | undefined,
): Promise<void> {
  const source = client.query(copyTo(sql));
  const timer = report ? setInterval(report, 250) : undefined;
  try {
    // Resolves once the sink has finished: every record written and the last file closed.
    await pipeline(source, sink);
  } finally {
    clearInterval(timer);
    report?.();
  }
}
