import type pg from 'pg';
import { ROLLBACK_SQL, SELECT_ONE_SQL } from './snapshot-sql.js';
import { connectSource } from './source-connection.js';

/**
 * Source connections kept between the runs of a long-lived process (the scheduler): a run takes idle ones instead
 * of opening new ones, and gives them back when done. An incremental run of a million-row table took 0.13 s with
 * new connections and 0.11 s with kept ones (bench/ingest-incremental.mjs): a new connection costs its start and
 * authentication (SCRAM: some 6 ms here), and its first queries fill the backend's empty catalog caches.
 *
 * A connection is kept only when it is healthy and idle: it is given back with a ROLLBACK (ending whatever
 * transaction it still had: a helper's read-only snapshot), and one that errs, ends, or does not answer that within
 * `releaseTimeoutMs` is closed instead. One kept longer than 30 s answers a `SELECT 1` before it is handed out (a
 * firewall may drop an idle connection silently); kept connections close after `idleMs` unused (timers that never
 * hold the process open) and on `close()`. The one-shot CLI uses none: each run opens and closes its own.
 *
 * @example
 * const pool = createSourcePool();
 * await runPipeline({ ..., sourcePool: pool }); // and the next runs
 * await pool.close();
 */
export interface SourcePool {
  /** An idle connection kept for `url` and `applicationName`, else a new one (`SOURCE_UNREACHABLE` as `connectSource`). */
  connect(url: string, applicationName: string): Promise<pg.Client>;
  /** Give a connection back: kept when it is healthy and idle, closed otherwise. */
  release(client: pg.Client): Promise<void>;
  /** Close every kept connection; later releases close theirs. */
  close(): Promise<void>;
  /** How many connections are kept (for tests and the status page). */
  readonly size: number;
}

export interface SourcePoolOptions {
  /** Close a kept connection after this long unused (default 5 minutes). */
  readonly idleMs?: number;
  /** Keep at most this many connections per source (default 8). */
  readonly max?: number;
  /** How long a given-back connection may take to answer its ROLLBACK before it is closed instead (default 2 s). */
  readonly releaseTimeoutMs?: number;
}

interface Kept {
  readonly client: pg.Client;
  readonly timer: NodeJS.Timeout;
  /** When it was given back (ms since the epoch). */
  readonly since: number;
}

/** A connection kept longer than this is checked with `SELECT 1` before it is handed out again. */
const VALIDATE_AFTER_MS = 30_000;

/** Whether `client` answers `sql` within `timeoutMs`. */
async function answers(client: pg.Client, sql: string, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, false);
  });
  try {
    return await Promise.race([
      client.query(sql).then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A kept connection's socket is unreferenced while idle, so that it never holds the process open (pg keeps it as
 *  `connection.stream`; a driver without it simply keeps the process up until `close()`). */
function socketOf(client: pg.Client): { ref(): void; unref(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { ref(): void; unref(): void } } }).connection?.stream;
}

export function createSourcePool(options: SourcePoolOptions = {}): SourcePool {
  const idleMs = options.idleMs ?? 5 * 60_000;
  const max = options.max ?? 8;
  const releaseTimeoutMs = options.releaseTimeoutMs ?? 2_000;
  const idle = new Map<string, Kept[]>();
  /** Where each connection handed out belongs, and whether it went bad while out. */
  const out = new Map<pg.Client, { key: string; broken: boolean }>();
  let closed = false;
  const end = (client: pg.Client) => client.end().catch(() => undefined);
  const drop = (key: string, client: pg.Client) => {
    const list = idle.get(key) ?? [];
    const at = list.findIndex((kept) => kept.client === client);
    if (at !== -1) {
      clearTimeout(list[at]?.timer);
      list.splice(at, 1);
    }
  };
  return {
    get size() {
      return [...idle.values()].reduce((sum, list) => sum + list.length, 0);
    },
    async connect(url, applicationName) {
      const key = `${applicationName}\u0000${url}`;
      let kept = idle.get(key)?.pop();
      while (kept) {
        clearTimeout(kept.timer);
        socketOf(kept.client)?.ref();
        // Kept a while: a firewall may have dropped it without a word. A quick query tells (a dead one is closed).
        if (Date.now() - kept.since < VALIDATE_AFTER_MS || (await answers(kept.client, SELECT_ONE_SQL, 5_000))) break;
        // A dead peer may never answer the goodbye either: the socket must not hold the process meanwhile.
        socketOf(kept.client)?.unref();
        void end(kept.client);
        kept = idle.get(key)?.pop();
      }
      const client = kept?.client ?? (await connectSource(url, applicationName));
      if (!kept) {
        client.on('error', () => {
          const entry = out.get(client);
          if (entry) entry.broken = true;
          else drop(key, client);
        });
        // Ended (by a cancellation, or by the server): forgotten, whether it was out or kept.
        client.once('end', () => {
          out.delete(client);
          drop(key, client);
        });
      }
      out.set(client, { key, broken: false });
      return client;
    },
    async release(client) {
      const entry = out.get(client);
      out.delete(client);
      if (!entry || entry.broken || closed) return end(client);
      const clean = await answers(client, ROLLBACK_SQL, releaseTimeoutMs);
      const list = idle.get(entry.key) ?? [];
      if (!clean || closed || list.length >= max) return end(client);
      const timer = setTimeout(() => {
        drop(entry.key, client);
        void end(client);
      }, idleMs).unref();
      socketOf(client)?.unref();
      list.push({ client, timer, since: Date.now() });
      idle.set(entry.key, list);
    },
    async close() {
      closed = true;
      const all = [...idle.values()].flat();
      idle.clear();
      for (const kept of all) clearTimeout(kept.timer);
      await Promise.all(all.map((kept) => end(kept.client)));
    },
  };
}
