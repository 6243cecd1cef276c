import { SnowflakeEmulatorError } from './emulator-error.js';

/** Where names in DuckDB messages are completed from (the session's current database and schema). */
export interface ErrorContext {
  readonly database: string | null;
  readonly schema: string | null;
}

function qualify(name: string, context: ErrorContext): string {
  const parts = name.split('.').filter((p) => p !== '');
  if (parts.length >= 3) return parts.join('.');
  if (parts.length === 2) return `${context.database ?? ''}.${parts.join('.')}`;
  return `${context.database ?? ''}.${context.schema ?? ''}.${name}`;
}

/**
 * Turn a DuckDB error into the error Snowflake would raise for the same mistake: a missing table is `002003`,
 * an unknown column `000904`, an unknown function `002140`, a failed cast `100038`, a NOT NULL violation `100072`,
 * a syntax error `001003`. Anything else keeps DuckDB's text under `000603` (SQL execution error), so it is
 * visible rather than hidden.
 */
export function mapDuckDbError(error: unknown, context: ErrorContext): SnowflakeEmulatorError {
  if (error instanceof SnowflakeEmulatorError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] ?? message;
  let m: RegExpExecArray | null;

  if (
    (m = /(?:Table|View) with name "?([^"!]+)"? does not exist/.exec(firstLine)) ||
    (m = /Table "([^"]+)" does not exist/.exec(firstLine))
  ) {
    return SnowflakeEmulatorError.sql(
      '002003',
      '42S02',
      `SQL compilation error:\nObject '${qualify(m[1] as string, context)}' does not exist or not authorized.`,
      error,
    );
  }
  if ((m = /Schema with name "?([^"!]+)"? does not exist/.exec(firstLine))) {
    return SnowflakeEmulatorError.sql(
      '002003',
      '02000',
      `SQL compilation error:\nSchema '${context.database ?? ''}.${m[1]}' does not exist or not authorized.`,
      error,
    );
  }
  if (
    (m = /(?:Scalar|Aggregate|Table) Function with name "?([^"! ]+)"? does not exist/.exec(firstLine)) ||
    (m = /Function with name "?([^"! ]+)"? does not exist/.exec(firstLine))
  ) {
    return SnowflakeEmulatorError.sql(
      '002140',
      '42601',
      `SQL compilation error:\nUnknown function ${m[1]?.toUpperCase()}`,
      error,
    );
  }
  if (
    (m = /Catalog "([^"]+)" does not exist/.exec(firstLine)) ||
    (m = /Catalog with name ([^ !]+) does not exist/.exec(firstLine))
  ) {
    return SnowflakeEmulatorError.sql(
      '002003',
      '02000',
      `SQL compilation error:\nDatabase '${m[1]}' does not exist or not authorized.`,
      error,
    );
  }
  if ((m = /(?:Table|View) with name "?([^"!]+)"? already exists/.exec(firstLine))) {
    return SnowflakeEmulatorError.sql(
      '002002',
      '42710',
      `SQL compilation error:\nObject '${m[1]}' already exists.`,
      error,
    );
  }
  if (
    (m = /Referenced column "([^"]+)" not found/.exec(firstLine)) ||
    (m = /Column with name ([^ ]+) does not exist/.exec(firstLine))
  ) {
    return SnowflakeEmulatorError.sql(
      '000904',
      '42000',
      `SQL compilation error: error line 1 at position 0\ninvalid identifier '${m[1]}'`,
      error,
    );
  }
  if ((m = /Referenced table "([^"]+)" not found/.exec(firstLine))) {
    return SnowflakeEmulatorError.sql(
      '000904',
      '42000',
      `SQL compilation error: error line 1 at position 0\ninvalid identifier '${m[1]}'`,
      error,
    );
  }
  if (
    (m = /(?:Scalar|Aggregate|Table) Function with name "?([^"! ]+)"? does not exist/.exec(firstLine)) ||
    (m = /Function with name "?([^"! ]+)"? does not exist/.exec(firstLine))
  ) {
    return SnowflakeEmulatorError.sql(
      '002140',
      '42601',
      `SQL compilation error:\nUnknown function ${m[1]?.toUpperCase()}`,
      error,
    );
  }
  if ((m = /Could not convert string "([^"]*)" to (DECIMAL|INT|BIGINT|DOUBLE|HUGEINT|FLOAT)/.exec(firstLine))) {
    return SnowflakeEmulatorError.sql('100038', '22018', `Numeric value '${m[1]}' is not recognized`, error);
  }
  if (
    (m = /(?:invalid|Could not convert string) .*?"?'?([^'"]*)'?"? to (?:DATE|date)/i.exec(firstLine)) &&
    /date/i.test(firstLine)
  ) {
    return SnowflakeEmulatorError.sql('100040', '22007', `Date '${m[1]}' is not recognized`, error);
  }
  if (
    /timestamp field value out of range|Could not convert string .* to TIMESTAMP|invalid timestamp/i.test(firstLine)
  ) {
    return SnowflakeEmulatorError.sql('100035', '22007', `Timestamp value is not recognized: ${firstLine}`, error);
  }
  if (/NOT NULL constraint failed/.test(firstLine)) {
    return SnowflakeEmulatorError.sql('100072', '22000', 'NULL result in a non-nullable column', error);
  }
  if (/Out of Range Error|out of range|Overflow/i.test(firstLine)) {
    return SnowflakeEmulatorError.sql('100046', '22003', `Number out of representable range: ${firstLine}`, error);
  }
  if ((m = /Parser Error: syntax error at or near "([^"]*)"/.exec(firstLine))) {
    return SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\nsyntax error line 1 at position 0 unexpected '${m[1]}'.`,
      error,
    );
  }
  if (/Parser Error: syntax error at end of input/.test(firstLine)) {
    return SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      "SQL compilation error:\nsyntax error line 1 at position 0 unexpected '<EOF>'.",
      error,
    );
  }
  if (/Current transaction is aborted/.test(firstLine)) {
    return SnowflakeEmulatorError.sql(
      '000603',
      'XX000',
      'The open transaction was aborted by an earlier failed statement. Unlike Snowflake, the emulator (DuckDB) cannot keep a transaction open after a statement fails: run ROLLBACK and start again.',
      error,
    );
  }
  if (/Conflict|conflict/.test(firstLine)) {
    return SnowflakeEmulatorError.sql(
      '000625',
      '57014',
      `Statement reached its concurrency limit or hit a conflicting change: ${firstLine}`,
      error,
    );
  }
  if (/Binder Error|Catalog Error/.test(firstLine)) {
    return SnowflakeEmulatorError.sql(
      '002003',
      '42000',
      `SQL compilation error:\n${firstLine.replace(/^(Binder|Catalog) Error: /, '')}`,
      error,
    );
  }
  return SnowflakeEmulatorError.sql('000603', 'XX000', `SQL execution error: ${firstLine}`, error);
}
