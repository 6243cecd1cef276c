import { SF_TYPE_OF_MACRO } from './information-schema.js';
import { MARKER_MACROS } from './typed-markers.js';

/** The error a division by zero raises in DuckDB; duckdb-errors.ts makes it Snowflake's 100051. */
export const DIVISION_BY_ZERO = 'SF_DIVISION_BY_ZERO';

/**
 * Session macros that give DuckDB the Snowflake functions it lacks, with Snowflake's result types. They are
 * created as TEMP macros on every session's DuckDB connection (typed overloads need no storage upgrade that way).
 */

const INTERVAL_OF: Record<string, string> = {
  YEAR: 'to_years(CAST(n AS INTEGER))',
  QUARTER: 'to_months(CAST(n AS INTEGER) * 3)',
  MONTH: 'to_months(CAST(n AS INTEGER))',
  WEEK: 'to_days(CAST(n AS INTEGER) * 7)',
  DAY: 'to_days(CAST(n AS INTEGER))',
  HOUR: 'to_hours(CAST(n AS BIGINT))',
  MINUTE: 'to_minutes(CAST(n AS BIGINT))',
  SECOND: 'to_seconds(CAST(n AS BIGINT))',
  MILLISECOND: 'to_milliseconds(CAST(n AS BIGINT))',
  MICROSECOND: 'to_microseconds(CAST(n AS BIGINT))',
};
const DAY_OR_LARGER = new Set(['YEAR', 'QUARTER', 'MONTH', 'WEEK', 'DAY']);

function dateAddMacros(): string[] {
  return Object.entries(INTERVAL_OF).map(([part, interval]) => {
    const dateResult = DAY_OR_LARGER.has(part) ? `CAST(d + ${interval} AS DATE)` : `CAST(d AS TIMESTAMP) + ${interval}`;
    const overloads = [
      `(n DOUBLE, d DATE) AS ${dateResult}`,
      `(n DOUBLE, d TIMESTAMP) AS d + ${interval}`,
      `(n DOUBLE, d TIMESTAMPTZ) AS d + ${interval}`,
      `(n DOUBLE, d VARCHAR) AS CAST(d AS TIMESTAMP) + ${interval}`,
    ];
    if (!DAY_OR_LARGER.has(part)) overloads.push(`(n DOUBLE, d TIME) AS d + ${interval}`);
    return `CREATE OR REPLACE TEMP MACRO SF_DATEADD_${part}${overloads.join(', ')}`;
  });
}

const WORD_DELIMITERS = `'[\\s!?@"^#$&~_,.:;+*%/|\\\\\\[\\](){}<>=-]'`;

/** The macro definitions, one statement each. */
export const SESSION_MACROS: readonly string[] = [
  ...dateAddMacros(),
  `CREATE OR REPLACE TEMP MACRO SF_DATE_TRUNC(p VARCHAR, d DATE) AS CAST(date_trunc(p, d) AS DATE), (p VARCHAR, d TIMESTAMP) AS date_trunc(p, d), (p VARCHAR, d TIMESTAMPTZ) AS date_trunc(p, d), (p VARCHAR, d VARCHAR) AS date_trunc(p, CAST(d AS TIMESTAMP))`,
  `CREATE OR REPLACE TEMP MACRO SF_TO_DATE(x VARCHAR) AS COALESCE(TRY_CAST(x AS DATE), CAST(CAST(x AS TIMESTAMP) AS DATE)), (x DATE) AS x, (x TIMESTAMP) AS CAST(x AS DATE), (x TIMESTAMPTZ) AS CAST(x AS DATE)`,
  `CREATE OR REPLACE TEMP MACRO SF_TRY_TO_DATE(x VARCHAR) AS COALESCE(TRY_CAST(x AS DATE), TRY_CAST(TRY_CAST(x AS TIMESTAMP) AS DATE)), (x DATE) AS x, (x TIMESTAMP) AS CAST(x AS DATE), (x TIMESTAMPTZ) AS CAST(x AS DATE)`,
  `CREATE OR REPLACE TEMP MACRO SF_TO_TIMESTAMP_NTZ(x VARCHAR) AS CAST(x AS TIMESTAMP), (x DATE) AS CAST(x AS TIMESTAMP), (x TIMESTAMP) AS x, (x TIMESTAMPTZ) AS CAST(x AS TIMESTAMP), (x DOUBLE) AS make_timestamp(CAST(round(x * 1000000) AS BIGINT))`,
  `CREATE OR REPLACE TEMP MACRO SF_TO_TIMESTAMP_TZ(x VARCHAR) AS CAST(x AS TIMESTAMPTZ), (x DATE) AS CAST(x AS TIMESTAMPTZ), (x TIMESTAMP) AS CAST(x AS TIMESTAMPTZ), (x TIMESTAMPTZ) AS x, (x DOUBLE) AS to_timestamp(x)`,
  SF_TYPE_OF_MACRO,
  // Typed markers (typed-markers.ts): as written they are DuckDB's own arithmetic, plus Snowflake's error for a
  // division by zero; the executor rewrites them once DuckDB has told the operand types.
  `CREATE OR REPLACE TEMP MACRO SF_DIVISOR(x) AS CASE WHEN x = 0 THEN error('${DIVISION_BY_ZERO}') ELSE x END`,
  `CREATE OR REPLACE TEMP MACRO ${MARKER_MACROS.multiply}(id, a, b) AS a * b`,
  `CREATE OR REPLACE TEMP MACRO ${MARKER_MACROS.divide}(id, a, b) AS a / SF_DIVISOR(b)`,
  `CREATE OR REPLACE TEMP MACRO ${MARKER_MACROS.average}(id, x) AS x`,
  `CREATE OR REPLACE TEMP MACRO ${MARKER_MACROS.tryCast}(id, x) AS x`,
  // Snowflake renders values cast to text with its output formats: timestamps to milliseconds, TIME without
  // fractions, a JSON string without its quotes. DuckDB's own casts differ, so every cast to text goes here.
  `CREATE OR REPLACE TEMP MACRO SF_TO_VARCHAR(x) AS CASE typeof(x)
    WHEN 'TIMESTAMP' THEN strftime(TRY_CAST(CAST(x AS VARCHAR) AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g')
    WHEN 'TIMESTAMP WITH TIME ZONE' THEN strftime(TRY_CAST(CAST(x AS VARCHAR) AS TIMESTAMPTZ), '%Y-%m-%d %H:%M:%S.%g %z')
    WHEN 'TIME' THEN substr(CAST(x AS VARCHAR), 1, 8)
    WHEN 'JSON' THEN CASE WHEN json_type(CAST(x AS VARCHAR)) = 'VARCHAR' THEN json_extract_string(CAST(x AS VARCHAR), '$') ELSE CAST(x AS VARCHAR) END
    ELSE CAST(x AS VARCHAR) END`,
  // INITCAP(s) splits words at Snowflake's default delimiters; INITCAP(s, delimiters) only at the characters given.
  `CREATE OR REPLACE TEMP MACRO INITCAP(s) AS CASE WHEN s = '' THEN '' ELSE list_aggregate(list_transform(range(1, length(s) + 1), lambda i: CASE WHEN i = 1 OR regexp_matches(s[i - 1], ${WORD_DELIMITERS}) THEN upper(s[i]) ELSE lower(s[i]) END), 'string_agg', '') END,
    (s, d) AS CASE WHEN s = '' THEN '' ELSE list_aggregate(list_transform(range(1, length(s) + 1), lambda i: CASE WHEN i = 1 OR contains(d, s[i - 1]) THEN upper(s[i]) ELSE lower(s[i]) END), 'string_agg', '') END`,
];

/** DuckDB settings that make its behaviour match Snowflake's where a setting exists. */
export const SESSION_SETTINGS: readonly string[] = [
  // Snowflake sorts NULL as the largest value: last when ascending, first when descending.
  `SET default_null_order = 'nulls_last_on_asc_first_on_desc'`,
];
