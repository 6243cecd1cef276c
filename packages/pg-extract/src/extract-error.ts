/** Stable codes for extraction failures. */
export type ExtractErrorCode =
  /** The source could not be reached (the message names host and port, never the password). */
  | 'SOURCE_UNREACHABLE'
  /** A configured table does not exist or cannot be read. */
  | 'TABLE_NOT_FOUND'
  /** A configured column does not exist. */
  | 'COLUMN_NOT_FOUND'
  /** The table's configuration cannot work (e.g. upsert without a primary key, an unorderable cursor). */
  | 'INVALID_TABLE_CONFIG'
  /** A value cannot be extracted faithfully (e.g. a BC date). */
  | 'UNSUPPORTED_VALUE'
  /** A query against the source failed. */
  | 'SOURCE_QUERY_FAILED'
  | 'CANCELLED';

/** The one error class of `@sluice/pg-extract`; `table` is `schema.table` when the error concerns one. */
export class ExtractError extends Error {
  override readonly name = 'ExtractError';
  readonly code: ExtractErrorCode;
  readonly table: string | undefined;

  constructor(code: ExtractErrorCode, message: string, options: { table?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.table = options.table;
  }
}

/** `host:port` of a connection URL, for messages: never the user or password. */
export function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return '(unparsable URL)';
  }
}
