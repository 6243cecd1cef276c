import { mkdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { quoteLiteral, type ChunkFile } from '@sluice/warehouse';
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
  const abort = () => {
    // Ending the connection stops the COPY on the server too (the backend sees the client go).
    void client.end().catch(() => undefined);
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
  let lateRows = 0;
  try {
    await run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (options.snapshotId) await run(`SET TRANSACTION SNAPSHOT ${quoteLiteral(options.snapshotId)}`);
    await run(
      "SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; " +
        'SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex',
    );
    // The first query fixes the snapshot; everything below reads in it.
    const snapshot = await run(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`,
    );
    const xmin = String(snapshot.rows[0]?.xmin);
    const xmax = String(snapshot.rows[0]?.xmax);

    let upper: string[] | null = null;
    if (plan.strategy !== 'full') {
      const bound = await run(upperBoundSql(plan));
      const row = bound.rows[0] as Record<string, string> | undefined;
      upper = row ? plan.cursorSql.map((_, i) => String(row[`c${i}`])) : null;
    }
    const from = plan.from?.cursor ?? null;
    const window = from ? afterCondition(plan, from) : undefined;
    // A digest must not depend on the heap's physical order: read in key order then.
    const ordered = options.digest === true;
    const windowSink = newSink(plan.table.name, options.digest ?? false);
    await copyInto(client, windowSink, `COPY (${selectSql(plan, window, { ordered })}) TO STDOUT (FORMAT csv)`, statements, options);

    if (plan.lateCommits && from && plan.from) {
      const distance = BigInt(xmax) - BigInt(plan.from.snapshotXmin);
      // The row's 32-bit xmin, read as a distance back from this snapshot's xmax (wraparound-safe below 2^31).
      const late =
        distance >= 2n ** 31n
          ? `NOT (${window})`
          : `NOT (${window}) AND ((${BigInt(xmax) % 2n ** 32n} - xmin::text::bigint + 4294967296) % 4294967296) <= ${distance}`;
      const lateSink = newSink(`${plan.table.name}-late`, false);
      await copyInto(client, lateSink, `COPY (${selectSql(plan, late)}) TO STDOUT (FORMAT csv)`, statements, options);
      lateRows = lateSink.rows;
    }
    await run('COMMIT');
    const position = plan.strategy === 'full' ? undefined : { cursor: upper ?? from, snapshotXmin: xmin };
    return {
      files: sinks.flatMap((sink) => sink.files),
      rows: sinks.reduce((sum, sink) => sum + sink.rows, 0),
      bytes: sinks.reduce((sum, sink) => sum + sink.bytes, 0),
      lateRows,
      position,
      window: { from, to: upper ?? from },
      statements,
      digest: windowSink.digest(),
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

async function copyInto(
  client: pg.Client,
  sink: ChunkSink,
  sql: string,
  statements: string[],
  options: ExtractOptions,
): Promise<void> {
  statements.push(sql);
  const source = client.query(copyTo(sql));
  if (options.onProgress) {
    const report = options.onProgress;
    const timer = setInterval(() => report({ rows: sink.rows, bytes: sink.bytes }), 250);
    try {
      await pipeline(source, sink);
    } finally {
      clearInterval(timer);
      report({ rows: sink.rows, bytes: sink.bytes });
    }
  } else {
    // Resolves once the sink has finished: every record written and the last file closed.
    await pipeline(source, sink);
  }
}
