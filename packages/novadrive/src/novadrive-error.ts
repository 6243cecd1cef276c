/** Stable codes for NovaDrive failures. */
export type NovaDriveErrorCode =
  /** An option is missing or out of range (scale, seed, day, counts, schema name). */
  | 'INVALID_OPTIONS'
  /** `createNovaDriveSchema` found NovaDrive tables already there (pass `replace: true` to drop them). */
  | 'TABLES_EXIST'
  /** A NovaDrive table the operation needs is missing: run `createNovaDriveSchema` first. */
  | 'TABLES_MISSING'
  /** `generateNovaDrive` needs empty tables. */
  | 'TABLES_NOT_EMPTY'
  /** `simulateDay` would write timestamps that are not later than rows already in the tables. */
  | 'DAY_ALREADY_PASSED'
  /** The late transaction was already committed or rolled back. */
  | 'TRANSACTION_CLOSED'
  /** The database could not be reached. */
  | 'CONNECTION_FAILED'
  /** A statement failed. `sql` holds the statement (never bound values or secrets). */
  | 'STATEMENT_FAILED';

/**
 * The one error class of @sluice/novadrive. `table` names the table concerned (schema-qualified), `sql` the
 * statement that failed, `cause` the driver's own error.
 */
export class NovaDriveError extends Error {
  override readonly name = 'NovaDriveError';
  readonly code: NovaDriveErrorCode;
  readonly table: string | undefined;
  readonly sql: string | undefined;

  constructor(
    code: NovaDriveErrorCode,
    message: string,
    options: { table?: string; sql?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.table = options.table;
    this.sql = options.sql;
  }
}
