/** Stable codes for warehouse failures; apps map them to messages and exit codes. */
export type WarehouseErrorCode =
  /** The warehouse could not be reached or opened. */
  | 'WAREHOUSE_UNAVAILABLE'
  /** A statement failed. `sql` holds the statement (never bound values or secrets). */
  | 'WAREHOUSE_STATEMENT_FAILED'
  /** A source column changed type in a way the warehouse column cannot follow; resync the table. */
  | 'INCOMPATIBLE_SCHEMA_CHANGE'
  /** A value cannot be represented exactly in this warehouse (e.g. a NaN numeric in a DECIMAL column). */
  | 'UNREPRESENTABLE_VALUE'
  /** A load request that does not fit the table (unknown column, merge without a key, missing file). */
  | 'INVALID_LOAD_REQUEST'
  /** The work was cancelled through its AbortSignal. */
  | 'CANCELLED';

/**
 * The one error class warehouses throw. `table` names the table or model concerned, `column` the column (for a
 * value it cannot hold), `sql` the statement that failed, `cause` the driver's own error.
 */
export class WarehouseError extends Error {
  override readonly name = 'WarehouseError';
  readonly code: WarehouseErrorCode;
  readonly table: string | undefined;
  /** The column concerned, as the load request names it (`UNREPRESENTABLE_VALUE`). */
  readonly column: string | undefined;
  readonly sql: string | undefined;

  constructor(
    code: WarehouseErrorCode,
    message: string,
    options: { table?: string; column?: string; sql?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.table = options.table;
    this.column = options.column;
    this.sql = options.sql;
  }
}
