/** Stable codes of the scheduler's errors. */
export type SchedulerErrorCode =
  | 'INVALID_SCHEDULE'
  | 'INVALID_OPTION'
  | 'BUSY'
  | 'SHUTTING_DOWN'
  | 'UNKNOWN_TABLE'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'NOT_HERE'
  | 'PORT_IN_USE';

/** An error of the scheduler daemon: a stable `code` and a message that says what to do. */
export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  readonly code: SchedulerErrorCode;

  constructor(code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
