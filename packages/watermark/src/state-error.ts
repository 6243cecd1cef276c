/** Stable codes for state store failures; apps map them to messages and exit codes. */
export type StateErrorCode =
  /** A state lock is held by another process (or session); `holder` says who, when known. */
  | 'LOCK_HELD'
  /** The state store cannot be reached or written (names host:port or the directory, never a password). */
  | 'STATE_UNAVAILABLE'
  /** A watermark position that cannot be stored exactly (a JS number, a Date, a NUL character…). */
  | 'INVALID_POSITION'
  /** A stored state file or row is not what Sluice wrote; the message names it and the way out. */
  | 'CORRUPT_STATE'
  /** A state store config that does not validate. */
  | 'INVALID_CONFIG'
  /** An argument the store cannot accept (an empty table or lock name, a run record of the wrong shape). */
  | 'INVALID_ARGUMENT'
  /** A wait for a lock was stopped through its AbortSignal. */
  | 'CANCELLED';

/** Who holds a state lock, as recorded when it was taken. */
export interface LockHolder {
  /** A free-text label given by the holder (`scheduler`, `sluice run`), when it gave one. */
  readonly holder?: string;
  readonly pid: number;
  readonly host: string;
  readonly since: Date;
  /** Postgres store only: the server process id of the session holding the advisory lock. */
  readonly backendPid?: number;
}

/**
 * The one error class the state stores throw. `table`, `file`, `lock` and `holder` say where, when they apply;
 * `cause` is the underlying driver or file system error.
 */
export class StateError extends Error {
  override readonly name = 'StateError';
  readonly code: StateErrorCode;
  readonly table: string | undefined;
  readonly file: string | undefined;
  readonly lock: string | undefined;
  readonly holder: LockHolder | undefined;

  constructor(
    code: StateErrorCode,
    message: string,
    options: { table?: string; file?: string; lock?: string; holder?: LockHolder; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.table = options.table;
    this.file = options.file;
    this.lock = options.lock;
    this.holder = options.holder;
  }
}

/** Describe a lock holder in one phrase: `"scheduler" (pid 41 on host web-1, since 2024-05-01T10:00:00.000Z)`. */
export function describeHolder(holder: LockHolder): string {
  const label = holder.holder === undefined ? 'a process' : JSON.stringify(holder.holder);
  const session = holder.backendPid === undefined ? '' : `, Postgres session ${holder.backendPid}`;
  return `${label} (pid ${holder.pid} on host ${holder.host}${session}, since ${holder.since.toISOString()})`;
}
