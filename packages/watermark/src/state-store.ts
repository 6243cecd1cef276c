import type { JsonObject, Position } from './position.js';
import type { LockHolder } from './state-error.js';

/** A table's committed position. */
export interface Watermark {
  readonly table: string;
  readonly position: Position;
  /** The run that committed it. */
  readonly runId: string;
  readonly committedAt: Date;
  /** 1 for a table's first commit, +1 for every commit or reset after it (it keeps counting across resets). */
  readonly version: number;
}

/** What a commit records besides the position. */
export interface CommitMeta {
  readonly runId: string;
  /** Rows the run moved for this table (kept in the history). */
  readonly rows?: number;
  readonly note?: string;
}

/** What a reset records. */
export interface ResetMeta {
  readonly runId?: string;
  readonly reason?: string;
}

/** One line of a table's watermark history: a commit, or a reset that cleared the position. */
export type WatermarkHistoryEntry =
  | {
      readonly kind: 'commit';
      readonly table: string;
      readonly version: number;
      readonly position: Position;
      readonly runId: string;
      readonly at: Date;
      readonly rows?: number;
      readonly note?: string;
    }
  | {
      readonly kind: 'reset';
      readonly table: string;
      readonly version: number;
      /** The position the reset cleared, when it was readable. */
      readonly previous?: Position;
      readonly runId?: string;
      readonly reason?: string;
      readonly at: Date;
    };

/**
 * Where each table's incremental position is kept. Positions are stored exactly: every scalar is a string,
 * boolean or null (numbers are refused with `INVALID_POSITION`).
 */
export interface WatermarkStore {
  /** The table's watermark, or undefined when it has none (never loaded, or reset). */
  read(table: string): Promise<Watermark | undefined>;
  /** Every table's watermark, ordered by table name. */
  readAll(): Promise<Watermark[]>;
  /**
   * Store a new position for a table and record it in the history, atomically. Call it only after the warehouse
   * committed the rows up to that position.
   *
   * @example
   * await store.commit('public.vendas', { updated_at: '2024-03-10 02:30:00.123456', id: '981' }, { runId });
   */
  commit(table: string, position: Position, meta: CommitMeta): Promise<Watermark>;
  /** Clear a table's position (the next run loads it from scratch); kept in the history. False when there was none. */
  reset(table: string, meta?: ResetMeta): Promise<boolean>;
  /** The table's history, newest first, resets included. */
  history(table: string, options?: { limit?: number }): Promise<WatermarkHistoryEntry[]>;
}

/** How to take a state lock. */
export interface LockOptions {
  /** Wait for the lock instead of failing at once with `LOCK_HELD` (default false). */
  readonly wait?: boolean;
  /** With `wait`, how long to wait before failing with `LOCK_HELD` (default: no limit). */
  readonly timeoutMs?: number;
  /** A label for whoever holds it, shown to the next one who finds it held (`scheduler`, `sluice run`). */
  readonly holder?: string;
  /** Stop waiting when this aborts (the acquire then fails with `CANCELLED`), e.g. on SIGTERM. */
  readonly signal?: AbortSignal;
  /** With `wait`: called once, when the lock is found held and the acquire starts waiting for it. */
  readonly onWaiting?: () => void;
}

/** A held state lock. */
export interface StateLock {
  readonly name: string;
  readonly holder: LockHolder;
  /** Release it; a no-op when already released. Never removes a lock someone else took over. */
  release(): Promise<void>;
}

/**
 * The states of a run. `abandoned`: it was left `running` by a process that is gone (killed, crashed, its machine
 * lost), and someone who looked later recorded so.
 */
export type RunStatus = 'running' | 'success' | 'failed' | 'interrupted' | 'cancelled' | 'skipped' | 'abandoned';

/** Every run status, in a stable order. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'running',
  'success',
  'failed',
  'interrupted',
  'cancelled',
  'skipped',
  'abandoned',
];

/** Where a page of runs starts: the last run of the page before (runs are ordered by start, newest first, then id). */
export interface RunCursor {
  readonly startedAt: Date;
  readonly id: string;
}

/** Which runs `listRuns` returns. */
export interface ListRunsOptions {
  /** At most this many. */
  readonly limit?: number;
  readonly status?: RunStatus;
  /** Only runs after this one in the order (older, or as old with a smaller id): the next page. */
  readonly before?: RunCursor | undefined;
}

/** How `saveRun` writes. */
export interface SaveRunOptions {
  /**
   * Write only when a record with this id exists and has this status (e.g. `running`: never overwrite a run that
   * has ended); `saveRun` then answers false without writing. Without it, the record is inserted or replaced.
   */
  readonly ifStatus?: RunStatus;
}

/** One run, saved when it starts and again when it ends. */
export interface RunRecord {
  readonly id: string;
  /** What started it: `schedule`, `manual`, `api`, `cli`… */
  readonly trigger: string;
  readonly status: RunStatus;
  readonly startedAt: Date;
  readonly endedAt?: Date;
  /** Anything JSON the runner wants to keep: per table rows and bytes, per model and test status and time, the error. */
  readonly detail: JsonObject;
}

/** Something a store wants its user to know; pass `onEvent` to hear it. */
export type StateEvent =
  | { readonly type: 'lock-taken-over'; readonly lock: string; readonly previous: LockHolder; readonly reason: string }
  | { readonly type: 'lock-lost'; readonly lock: string; readonly reason: string }
  | { readonly type: 'history-line-skipped'; readonly file: string; readonly line: number; readonly reason: string };

/** Options every store takes. */
export interface StateStoreOptions {
  /** Called for events worth logging (a stale lock taken over, a lock lost). Must not throw. */
  readonly onEvent?: (event: StateEvent) => void;
}

/**
 * The project's state: watermarks and their history, run locks, run history and schedule slot claims.
 * `createFileStateStore` keeps it in a directory, `createPostgresStateStore` in a Postgres schema.
 */
export interface StateStore extends WatermarkStore {
  /**
   * Take a named lock shared by every process using this state (`LOCK_HELD` when someone has it).
   *
   * @example
   * const lock = await store.acquireLock('run', { holder: 'scheduler' });
   * try { await run(); } finally { await lock.release(); }
   */
  acquireLock(name: string, options?: LockOptions): Promise<StateLock>;
  /**
   * Insert or replace a run record by id; true when written. With `ifStatus`, only replace a record that has that
   * status (Postgres: one conditional UPDATE; file store: read, compare, replace — see its README).
   */
  saveRun(run: RunRecord, options?: SaveRunOptions): Promise<boolean>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /**
   * Runs, newest start first (ties: larger id first); all of them unless `limit` is given; `before` pages on.
   *
   * @example
   * const page = await store.listRuns({ limit: 50 });
   * const next = await store.listRuns({ limit: 50, before: page.at(-1) });
   */
  listRuns(options?: ListRunsOptions): Promise<RunRecord[]>;
  /** Delete the runs that started before `olderThan` (whatever their status) and slot claims for slots before it; the number of runs deleted. */
  pruneRuns(olderThan: Date): Promise<number>;
  /**
   * Claim one schedule slot: true for exactly one caller across every process sharing this state, false for the rest.
   *
   * @example
   * if (await store.claimSlot('daily', slot, 'scheduler@web-1')) await run();
   */
  claimSlot(schedule: string, slot: Date, holder: string): Promise<boolean>;
  /** Release the locks taken through this store and close its files or connections. */
  close(): Promise<void>;
}
