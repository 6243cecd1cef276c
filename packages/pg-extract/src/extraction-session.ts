import { rm } from 'node:fs/promises';
import type pg from 'pg';
import { ChunkSink } from './chunk-sink.js';
import { copyInto } from './copy-into.js';
import { ExtractError } from './extract-error.js';
import type { ExtractPlan } from './extract-plan.js';
import type { RowRead } from './read-plan.js';
import { beginReadSql, ROLLBACK_SQL } from './snapshot-sql.js';
import type { ExtractOptions } from './run-extraction.js';

/**
 * The connections, chunk sinks and statements of one running extraction. It records every statement sent, opens
 * helper connections in the shared snapshot, and on cancellation or failure ends them all: ending a connection
 * stops its COPY on the server too (the backend sees the client go).
 */
export class ExtractionSession {
  readonly statements: string[] = [];
  readonly label: string;
  private readonly helpers: pg.Client[] = [];
  /** Helper connections being closed: waited for at the end, not in the middle of the reads. */
  private readonly closing: Promise<unknown>[] = [];
  private readonly sinks: ChunkSink[] = [];
  /** Sinks of reads whose rows all lie past the cursor. */
  private readonly pastCursor = new Set<ChunkSink>();
  private readonly abort = () => {
    for (const connection of [this.client, ...this.helpers]) void connection.end().catch(() => undefined);
  };

  constructor(
    readonly client: pg.Client,
    readonly plan: ExtractPlan,
    readonly options: ExtractOptions,
  ) {
    this.label = `${plan.table.schema}.${plan.table.name}`;
  }

  /** Throws `CANCELLED` when the signal fired already; else ends every connection when it fires. */
  start(): void {
    if (this.options.signal?.aborted) throw this.cancelled();
    this.options.signal?.addEventListener('abort', this.abort, { once: true });
  }

  /** Stop listening to the signal. */
  stop(): void {
    this.options.signal?.removeEventListener('abort', this.abort);
  }

  cancelled(cause?: unknown): ExtractError {
    return new ExtractError('CANCELLED', `extraction of ${this.label} was cancelled`, {
      table: this.label,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** Send one statement on a connection (this extraction's own by default) and return its first row (of the last
   *  statement, when `sql` holds several). */
  async row(sql: string, connection: pg.Client = this.client): Promise<Record<string, unknown> | undefined> {
    this.statements.push(sql);
    const result: pg.QueryResult | pg.QueryResult[] = await connection.query(sql);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return last?.rows[0] as Record<string, unknown> | undefined;
  }

  /**
   * Send several statements in one round trip (one simple-query message, each statement recorded as sent) and
   * return the first row of each of the last `count` results. They run in order; the first to fail fails the call.
   */
  async lastRowsOf(sqls: readonly string[], count: number): Promise<(Record<string, unknown> | undefined)[]> {
    this.statements.push(...sqls);
    const result: pg.QueryResult | pg.QueryResult[] = await this.client.query(sqls.join(';\n'));
    const results = Array.isArray(result) ? result : [result];
    return results.slice(-count).map((one) => one.rows[0] as Record<string, unknown> | undefined);
  }

  /** Rows and bytes written so far, across sinks. */
  progress(): { rows: number; bytes: number } {
    return {
      rows: this.sinks.reduce((sum, sink) => sum + sink.rows, 0),
      bytes: this.sinks.reduce((sum, sink) => sum + sink.bytes, 0),
    };
  }

  /**
   * `work`, one of several reads under way at once: when it fails, every connection is ended. A COPY still streaming
   * beside it would otherwise go on into a sink that `fail` destroys, stop reading its socket, and never let its
   * connection answer the ROLLBACK that follows.
   */
  endAllOnFailure<T>(work: Promise<T>): Promise<T> {
    return work.catch((error: unknown) => {
      this.abort();
      throw error;
    });
  }

  /** Stream one planned read into a new sink, on this connection or on a helper in the shared snapshot. */
  async read(read: RowRead, snapshotId: string | undefined): Promise<ChunkSink> {
    const copy = (connection: pg.Client) => this.readOn(connection, read);
    return read.helper ? this.onHelper(snapshotId, copy) : copy(this.client);
  }

  /**
   * Stream many reads on at most `connections` helpers (in the shared snapshot), each helper taking the next read
   * off a queue when it is done with one; `done(read, sink)` is awaited after each read before that helper goes
   * on. The sinks, in the order the reads finished.
   */
  async readQueued(
    reads: readonly RowRead[],
    snapshotId: string | undefined,
    connections: number,
    done: (read: RowRead, sink: ChunkSink) => Promise<void>,
  ): Promise<ChunkSink[]> {
    const queue = [...reads];
    const sinks: ChunkSink[] = [];
    let failed = false;
    const worker = (connection: pg.Client) =>
      (async () => {
        for (let read = queue.shift(); read !== undefined && !failed; read = queue.shift()) {
          const sink = await this.readOn(connection, read);
          sinks.push(sink);
          await done(read, sink);
        }
      })().catch((error: unknown) => {
        // Stop the other readers now rather than after their current range (ending a connection ends its COPY).
        if (!failed) this.abort();
        failed = true;
        throw error;
      });
    const count = Math.max(1, Math.min(connections, reads.length));
    await Promise.all(Array.from({ length: count }, () => this.onHelper(snapshotId, worker)));
    return sinks;
  }

  /**
   * Stream one read into a new sink on `connection`. Dates and timestamps go plainly (see `RowRead.bcSafeSql`); when
   * the sink saw a year before 1 in them, its files are dropped and the read sent again, BC-safe, in the same
   * snapshot.
   */
  private async readOn(connection: pg.Client, read: RowRead): Promise<ChunkSink> {
    const sink = await this.copy(connection, read.sql, this.sinkFor(read, read.bcSafeSql !== undefined));
    if (!sink.bcSeen || read.bcSafeSql === undefined) return sink;
    this.sinks.splice(this.sinks.indexOf(sink), 1);
    await Promise.all(sink.files.map((file) => rm(file.path, { force: true })));
    return this.copy(connection, read.bcSafeSql, this.sinkFor(read, false));
  }

  /** Rows read past the cursor: the flagged ones, and every row of a read that lies past it (`RowRead.pastCursor`). */
  rowsPastCursor(sinks: readonly ChunkSink[]): number {
    return sinks.reduce((sum, sink) => sum + (this.pastCursor.has(sink) ? sink.rows : sink.trueFlags), 0);
  }

  private sinkFor(read: RowRead, watchBc: boolean): ChunkSink {
    const sink = new ChunkSink({
      dir: this.options.dir,
      prefix: read.prefix,
      chunkBytes: this.options.chunkBytes ?? 128 * 1024 * 1024,
      digest: read.digest,
      flagged: read.flagged,
      watchBc,
    });
    this.sinks.push(sink);
    if (read.pastCursor) this.pastCursor.add(sink);
    return sink;
  }

  private async copy(connection: pg.Client, sql: string, sink: ChunkSink): Promise<ChunkSink> {
    const report = this.options.onProgress ? () => this.options.onProgress?.(this.progress()) : undefined;
    this.statements.push(sql);
    await copyInto(connection, sink, sql, report);
    return sink;
  }

  /** Run `work` on a new helper connection reading in `snapshotId` (on this one when there is no snapshot to share). */
  async onHelper<T>(snapshotId: string | undefined, work: (connection: pg.Client) => Promise<T>): Promise<T> {
    if (!snapshotId || !this.options.connect) return work(this.client);
    const helper = await this.options.connect();
    this.helpers.push(helper);
    if (this.options.signal?.aborted) {
      this.helpers.splice(this.helpers.indexOf(helper), 1);
      void (this.options.release?.(helper) ?? helper.end()).catch(() => undefined);
      throw this.cancelled();
    }
    try {
      await this.row(beginReadSql(snapshotId), helper);
      return await work(helper);
    } finally {
      // Given back, it is no longer this extraction's to end on a cancellation (a pool may hand it to another table).
      this.helpers.splice(this.helpers.indexOf(helper), 1);
      // Its read-only transaction needs no COMMIT: closing the connection (or the pool's ROLLBACK) ends it.
      this.closing.push((this.options.release?.(helper) ?? helper.end()).catch(() => undefined));
    }
  }

  /** Settles once every helper connection is closed. */
  async settle(): Promise<void> {
    await Promise.all(this.closing);
  }

  /** Clean up after a failure and turn the error into the `ExtractError` to throw. */
  async fail(error: unknown): Promise<ExtractError> {
    for (const sink of this.sinks) sink.destroy();
    await this.client.query(ROLLBACK_SQL).catch(() => undefined);
    await this.settle();
    if (this.options.signal?.aborted) return this.cancelled(error);
    if (error instanceof ExtractError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new ExtractError('SOURCE_QUERY_FAILED', `reading ${this.label} failed: ${message}`, {
      table: this.label,
      cause: error,
    });
  }
}
