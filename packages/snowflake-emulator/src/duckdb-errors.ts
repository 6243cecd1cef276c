import { SnowflakeEmulatorError } from './emulator-error.js';
import { DIVISION_BY_ZERO } from './sql/duckdb-macros.js';

/** Where names in DuckDB messages are completed from (the session's current database and schema). */
export interface ErrorContext {
  readonly database: string | null;
  readonly schema: string | null;
}

/** One DuckDB error, recognised by its first line, and the Snowflake error it becomes. */
export interface DuckDbErrorRule {
  /** Tried in order; the first that matches the first line of DuckDB's message decides. */
  readonly patterns: readonly RegExp[];
  readonly code: string;
  readonly sqlState: string;
  /** Snowflake's message; `match.input` is DuckDB's whole first line. */
  readonly message: (match: RegExpExecArray, context: ErrorContext) => string;
}

function qualify(name: string, context: ErrorContext): string {
  const parts = name.split('.').filter((p) => p !== '');
  if (parts.length >= 3) return parts.join('.');
  if (parts.length === 2) return `${context.database ?? ''}.${parts.join('.')}`;
  return `${context.database ?? ''}.${context.schema ?? ''}.${name}`;
}

const INVALID_IDENTIFIER = (m: RegExpExecArray): string =>
  `SQL compilation error: error line 1 at position 0\ninvalid identifier '${m[1]}'`;

/**
 * DuckDB errors and the Snowflake errors they stand for, in the order they are tried (a message can match more
 * than one rule: the specific ones come before the general Binder/Catalog rule). To map another DuckDB error,
 * add a rule above the first one that would otherwise catch it, and a row to duckdb-errors.test.ts.
 */
export const DUCKDB_ERROR_RULES: readonly DuckDbErrorRule[] = [
  {
    patterns: [/(?:Table|View) with name "?([^"!]+)"? does not exist/, /Table "([^"]+)" does not exist/],
    code: '002003',
    sqlState: '42S02',
    message: (m, context) =>
      `SQL compilation error:\nObject '${qualify(m[1] as string, context)}' does not exist or not authorized.`,
  },
  {
    patterns: [/Schema with name "?([^"!]+)"? does not exist/],
    code: '002003',
    sqlState: '02000',
    message: (m, context) =>
      `SQL compilation error:\nSchema '${context.database ?? ''}.${m[1]}' does not exist or not authorized.`,
  },
  {
    patterns: [
      /(?:Scalar|Aggregate|Table) Function with name "?([^"! ]+)"? does not exist/,
      /Function with name "?([^"! ]+)"? does not exist/,
    ],
    code: '002140',
    sqlState: '42601',
    message: (m) => `SQL compilation error:\nUnknown function ${m[1]?.toUpperCase()}`,
  },
  {
    patterns: [/Catalog "([^"]+)" does not exist/, /Catalog with name ([^ !]+) does not exist/],
    code: '002003',
    sqlState: '02000',
    message: (m) => `SQL compilation error:\nDatabase '${m[1]}' does not exist or not authorized.`,
  },
  {
    patterns: [/(?:Table|View) with name "?([^"!]+)"? already exists/],
    code: '002002',
    sqlState: '42710',
    message: (m) => `SQL compilation error:\nObject '${m[1]}' already exists.`,
  },
  {
    patterns: [
      /Referenced column "([^"]+)" not found/,
      /Column with name ([^ ]+) does not exist/,
      /Referenced table "([^"]+)" not found/,
    ],
    code: '000904',
    sqlState: '42000',
    message: INVALID_IDENTIFIER,
  },
  // a cast of text that does not match the session's DATE/TIME/TIMESTAMP_INPUT_FORMAT (expression-translator.ts)
  ...(
    [
      ['DATE', 'Date', '100040'],
      ['TIME', 'Time', '100108'],
      ['TIMESTAMP', 'Timestamp', '100035'],
    ] as const
  ).map(
    ([kind, word, code]): DuckDbErrorRule => ({
      patterns: [new RegExp(`SF_INPUT_FORMAT_MISMATCH:${kind}:(.*)$`)],
      code,
      sqlState: '22007',
      message: (m) => `${word} '${m[1] ?? ''}' is not recognized`,
    }),
  ),
  {
    // a zero divisor (the SF_DIVISOR macro of duckdb-macros.ts)
    patterns: [new RegExp(DIVISION_BY_ZERO)],
    code: '100051',
    sqlState: '22012',
    message: () => 'Division by zero',
  },
  {
    // DuckDB quotes the value with " in some messages and ' in others (`Could not convert string 'abc' to INT32`)
    patterns: [
      /Could not convert string (["'])(.*)\1 to (DECIMAL|U?INT\d*|U?BIGINT|U?HUGEINT|U?SMALLINT|U?TINYINT|DOUBLE|FLOAT)/,
    ],
    code: '100038',
    sqlState: '22018',
    message: (m) => `Numeric value '${m[2]}' is not recognized`,
  },
  {
    patterns: [
      /(?:invalid date field format|date field value out of range): "([^"]*)"/,
      /(?:invalid|Could not convert string) .*?"?'?([^'"]*)'?"? to (?:DATE|date)/i,
    ],
    code: '100040',
    sqlState: '22007',
    message: (m) => `Date '${m[1]}' is not recognized`,
  },
  {
    patterns: [/timestamp field value out of range|Could not convert string .* to TIMESTAMP|invalid timestamp/i],
    code: '100035',
    sqlState: '22007',
    message: (m) => `Timestamp value is not recognized: ${m.input}`,
  },
  {
    patterns: [/NOT NULL constraint failed/],
    code: '100072',
    sqlState: '22000',
    message: () => 'NULL result in a non-nullable column',
  },
  {
    patterns: [/Out of Range Error|out of range|Overflow/i],
    code: '100046',
    sqlState: '22003',
    message: (m) => `Number out of representable range: ${m.input}`,
  },
  {
    patterns: [/Parser Error: syntax error at or near "([^"]*)"/],
    code: '001003',
    sqlState: '42000',
    message: (m) => `SQL compilation error:\nsyntax error line 1 at position 0 unexpected '${m[1]}'.`,
  },
  {
    patterns: [/Parser Error: syntax error at end of input/],
    code: '001003',
    sqlState: '42000',
    message: () => "SQL compilation error:\nsyntax error line 1 at position 0 unexpected '<EOF>'.",
  },
  {
    patterns: [/Current transaction is aborted/],
    code: '000603',
    sqlState: 'XX000',
    message: () =>
      'The open transaction was aborted by an earlier failed statement. Unlike Snowflake, the emulator (DuckDB) cannot keep a transaction open after a statement fails: run ROLLBACK and start again.',
  },
  {
    patterns: [/Conflict|conflict/],
    code: '000625',
    sqlState: '57014',
    message: (m) => `Statement reached its concurrency limit or hit a conflicting change: ${m.input}`,
  },
  {
    patterns: [/Binder Error|Catalog Error/],
    code: '002003',
    sqlState: '42000',
    message: (m) => `SQL compilation error:\n${m.input.replace(/^(Binder|Catalog) Error: /, '')}`,
  },
];

/**
 * Turn a DuckDB error into the error Snowflake would raise for the same mistake, by the first of
 * DUCKDB_ERROR_RULES that matches: a missing table is `002003`, an unknown column `000904`, an unknown function
 * `002140`, a failed cast `100038`, a NOT NULL violation `100072`, a syntax error `001003`. Anything else keeps
 * DuckDB's text under `000603` (SQL execution error), so it is visible rather than hidden.
 */
export function mapDuckDbError(error: unknown, context: ErrorContext): SnowflakeEmulatorError {
  if (error instanceof SnowflakeEmulatorError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] ?? message;
  for (const rule of DUCKDB_ERROR_RULES) {
    for (const pattern of rule.patterns) {
      const match = pattern.exec(firstLine);
      if (match) return SnowflakeEmulatorError.sql(rule.code, rule.sqlState, rule.message(match, context), error);
    }
  }
  return SnowflakeEmulatorError.sql('000603', 'XX000', `SQL execution error: ${firstLine}`, error);
}
