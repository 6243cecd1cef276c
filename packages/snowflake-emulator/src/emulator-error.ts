/** Stable codes for what went wrong inside the emulator. */
export type SnowflakeEmulatorErrorCode =
  /** `startSnowflakeEmulator` was given options it cannot use (no data dir, bad user, bad key). */
  | 'INVALID_OPTIONS'
  /** The HTTP server or the DuckDB database could not be started or opened. */
  | 'START_FAILED'
  /** A statement failed the way Snowflake would fail it; `snowflakeCode` and `sqlState` say how. */
  | 'SQL_ERROR'
  /** The statement uses a Snowflake construct the emulator does not implement (`snowflakeCode` 000002, like Snowflake's own "Unsupported feature"). */
  | 'UNSUPPORTED';

/**
 * The one error class of the emulator. Statement failures carry Snowflake's own error code (`snowflakeCode`,
 * e.g. `002003`) and `sqlState` (e.g. `42S02`); the HTTP layer turns them into Snowflake's JSON error shape.
 */
export class SnowflakeEmulatorError extends Error {
  override readonly name = 'SnowflakeEmulatorError';
  readonly code: SnowflakeEmulatorErrorCode;
  /** Snowflake's error code, a string of digits such as `002003`. */
  readonly snowflakeCode: string;
  /** The SQLSTATE Snowflake reports with that code. */
  readonly sqlState: string;

  constructor(
    code: SnowflakeEmulatorErrorCode,
    message: string,
    options: { snowflakeCode?: string; sqlState?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.snowflakeCode = options.snowflakeCode ?? '000603';
    this.sqlState = options.sqlState ?? 'XX000';
  }

  /** A statement error with Snowflake's code and SQLSTATE. */
  static sql(snowflakeCode: string, sqlState: string, message: string, cause?: unknown): SnowflakeEmulatorError {
    return new SnowflakeEmulatorError('SQL_ERROR', message, {
      snowflakeCode,
      sqlState,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** A Snowflake construct the emulator does not implement; the message names it. */
  static unsupported(construct: string): SnowflakeEmulatorError {
    return new SnowflakeEmulatorError(
      'UNSUPPORTED',
      `Unsupported feature '${construct}'. The Sluice Snowflake emulator does not implement it; see its README for what is covered.`,
      { snowflakeCode: '000002', sqlState: '0A000' },
    );
  }
}
