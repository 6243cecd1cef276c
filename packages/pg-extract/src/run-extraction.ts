import { mkdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { quoteIdentifier, quoteLiteral, type ChunkFile } from '@sluice/warehouse';
import { ChunkSink } from './chunk-sink.js';
import { ExtractError } from './extract-error.js';
import { afterCondition, selectSql, upperBoundSql, type ExtractPlan, type ExtractPosition } from './extract-plan.js';

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
   *  first load is read as `parallelism` block ranges at once, all in one snapshot. */
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
  /** Rows re-read because a transaction that was open at the previous run has written them since. */
  readonly lateRows: number;
  /** The position to commit once these rows are in the warehouse (`undefined` for `full`). */
  readonly position: ExtractPosition | undefined;
  /** The window read, for messages: `(a, b] ` in cursor terms. */
  readonly window: { readonly from: readonly string[] | null; readonly to: readonly string[] | null };
  readonly statements: readonly string[];
  /** SHA-256 of the rows read, in the chunk format, when asked for. */
  readonly digest: string | undefined;
  /** Block ranges the rows were read in (1 unless a large first load was split). */
  readonly ranges: number;
}

/**
 * Run a planned extraction on a dedicated connection: one REPEATABLE READ, READ ONLY snapshot holds the upper bound
 * and every row read, so nothing committed after the bound is half-seen. Rows stream through `COPY … TO STDOUT`
 * into chunk files; nothing is held in memory.
 *
 * Late commits: the snapshot's xmin is kept in the position; the next run also reads rows at or before its
 * starting cursor whose writing transaction is not older than that xmin (a transaction still open when this run
 * looked, or one begun since), so a row committed after the run with an old cursor value still arrives.
 */
export async function runExtraction(client: pg.Client, plan: ExtractPlan, options: ExtractOptions): Promise<ExtractResult> {
  const label = `${plan.table.schema}.${plan.table.name}`;
  const statements: string[] = [];
  const run = async (sql: string) => {
    statements.push(sql);
    return client.query(sql);
  };
  const helpers: pg.Client[] = [];
  const abort = () => {
    // Ending the connections stops the COPYs on the server too (the backend sees the client go).
    for (const connection of [client, ...helpers]) void connection.end().catch(() => undefined);
  };
  if (options.signal?.aborted) throw new ExtractError('CANCELLED', `extraction of ${label} was cancelled`, { table: label });
  options.signal?.addEventListener('abort', abort, { once: true });
  await mkdir(options.dir, { recursive: true });
  const chunkBytes = options.chunkBytes ?? 128 * 1024 * 1024;
  const sinks: ChunkSink[] = [];
  const newSink = (prefix: string, digest: boolean) => {
    const sink = new ChunkSink({ dir: options.dir, prefix, chunkBytes, digest });
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
    await run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (options.snapshotId) await run(`SET TRANSACTION SNAPSHOT ${quoteLiteral(options.snapshotId)}`);
    await run(SESSION_SETTINGS);
    // The first query fixes the snapshot; everything below reads in it.
    const snapshot = await run(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
              current_setting('server_version_num')::int AS version,
              pg_relation_size(${quoteLiteral(`${quoteIdentifier(plan.table.schema)}.${quoteIdentifier(plan.table.name)}`)}::regclass)
                / current_setting('block_size')::int AS pages`,
    );
    const xmin = String(snapshot.rows[0]?.xmin);
    const xmax = String(snapshot.rows[0]?.xmax);
    const from = plan.from?.cursor ?? null;
    const window = from ? afterCondition(plan, from) : undefined;
    // A digest must not depend on the heap's physical order: read in key order then.
    const ordered = options.digest === true;

    // With a way to open more connections, other connections read in the same (exported) snapshot while this one
    // reads the upper bound: a large first load is split into block (ctid) ranges read at once.
    const canShare = options.connect !== undefined && !ordered;
    const snapshotId = canShare
      ? (options.snapshotId ?? String((await run('SELECT pg_export_snapshot() AS id')).rows[0]?.id))
      : undefined;
    const ranges = canShare
      ? blockRanges(plan, from, Number(snapshot.rows[0]?.pages ?? 0), Number(snapshot.rows[0]?.version ?? 0), options.parallelism ?? 1, options.parallelMinPages ?? PARALLEL_MIN_PAGES)
      : [undefined];
    /** Stream one SELECT into a new sink: on a helper connection in the shared snapshot when we can, else here. */
    const read = async (prefix: string, select: string, digest: boolean) => {
      const sink = newSink(prefix, digest);
      if (!canShare || !options.connect || !snapshotId) {
        await copy(client, sink, select);
        return sink;
      }
      const helper = await options.connect();
      helpers.push(helper);
      try {
        await helper.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await helper.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotId)}`);
        await helper.query(SESSION_SETTINGS);
        await copy(helper, sink, select);
        await helper.query('COMMIT');
        return sink;
      } finally {
        await helper.end().catch(() => undefined);
      }
    };
    const windowRead = (range: string | undefined, index: number) => {
      const where = [window, range].filter(Boolean).join(' AND ') || undefined;
      const prefix = ranges.length > 1 ? `${plan.table.name}-r${index + 1}` : plan.table.name;
      return read(prefix, selectSql(plan, where, { ordered }), options.digest ?? false);
    };
    const upperBound = async (): Promise<string[] | null> => {
      if (plan.strategy === 'full') return null;
      const bound = await run(upperBoundSql(plan));
      const row = bound.rows[0] as Record<string, string> | undefined;
      return row ? plan.cursorSql.map((_, i) => String(row[`c${i}`])) : null;
    };
    const lateRead = async (): Promise<ChunkSink | undefined> => {
      if (!plan.lateCommits || !window || !plan.from) return undefined;
      const distance = BigInt(xmax) - BigInt(plan.from.snapshotXmin);
      // The row's 32-bit xmin, read as a distance back from this snapshot's xmax (wraparound-safe below 2^31).
      const late =
        distance >= 2n ** 31n
          ? `NOT (${window})`
          : `NOT (${window}) AND ((${BigInt(xmax) % 2n ** 32n} - xmin::text::bigint + 4294967296) % 4294967296) <= ${distance}`;
      return read(`${plan.table.name}-late`, selectSql(plan, late), false);
    };
    // The upper bound, the window (in ranges) and the late-commit scan each read the table: at once when other
    // connections can share the snapshot, one after the other otherwise.
    let upper: string[] | null;
    let windowSinks: ChunkSink[];
    let lateSink: ChunkSink | undefined;
    if (canShare) {
      [upper, windowSinks, lateSink] = await Promise.all([upperBound(), Promise.all(ranges.map(windowRead)), lateRead()]);
    } else {
      upper = await upperBound();
      windowSinks = [await windowRead(undefined, 0)];
      lateSink = await lateRead();
    }
    const lateRows = lateSink?.rows ?? 0;
    await run('COMMIT');
    const position = plan.strategy === 'full' ? undefined : { cursor: upper ?? from, snapshotXmin: xmin };
    return {
      files: [...windowSinks, ...(lateSink ? [lateSink] : [])].flatMap((sink) => sink.files),
      ...progress(),
      lateRows,
      position,
      window: { from, to: upper ?? from },
      statements,
      digest: windowSinks[0]?.digest(),
      ranges: ranges.length,
    };
  } catch (error) {
    for (const sink of sinks) sink.destroy();
    await client.query('ROLLBACK').catch(() => undefined);
    if (options.signal?.aborted) {
      throw new ExtractError('CANCELLED', `extraction of ${label} was cancelled`, { table: label, cause: error });
    }
    if (error instanceof ExtractError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const bc = /invalid input syntax for type integer: "sluice: (.*)"/.exec(message);
    if (bc) {
      throw new ExtractError('UNSUPPORTED_VALUE', `${bc[1]}: years before 1 AD cannot be loaded exactly; exclude the column or fix the value`, {
        table: label,
        cause: error,
      });
    }
    throw new ExtractError('SOURCE_QUERY_FAILED', `reading ${label} failed: ${message}`, { table: label, cause: error });
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

const SESSION_SETTINGS =
  "SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; " +
  'SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex';

/** Below this many 8 kB blocks (64 MB) a table is read by one connection. */
const PARALLEL_MIN_PAGES = 8192;

/**
 * Block (ctid) ranges splitting a first load of a large table into `parallelism` reads. The last range is open, so
 * blocks added since the size was read are still covered. Postgres 14+ reads a ctid range without a full scan.
 */
function blockRanges(
  plan: ExtractPlan,
  from: readonly string[] | null,
  pages: number,
  version: number,
  parallelism: number,
  minPages: number,
): (string | undefined)[] {
  if (from || parallelism < 2 || version < 140000 || plan.table.kind !== 'r' || pages < minPages) return [undefined];
  const size = Math.ceil(pages / parallelism);
  return Array.from({ length: parallelism }, (_, i) => {
    const lower = i === 0 ? undefined : `ctid >= '(${i * size},0)'::tid`;
    const upper = i === parallelism - 1 ? undefined : `ctid < '(${(i + 1) * size},0)'::tid`;
    return [lower, upper].filter(Boolean).join(' AND ');
  });
}

async function copyInto(client: pg.Client, sink: ChunkSink, sql: string, report: (() => void) | undefined): Promise<void> {
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
