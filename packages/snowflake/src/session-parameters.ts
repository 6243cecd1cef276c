import { snowflakeLiteral } from './snowflake-identifier.js';

/**
 * A session parameter Sluice sets on every session it opens, because an account's (or user's) default could change
 * what Sluice's SQL means. Source: https://docs.snowflake.com/en/sql-reference/parameters — every session parameter
 * defaults to the account's, then the user's setting, which differ between customers.
 */
export interface PinnedParameter {
  readonly name: string;
  /** The value, as SQL (`'UTC'`, `FALSE`, `0`). */
  readonly value: string;
  /** What would break with another value. */
  readonly why: string;
}

const text = snowflakeLiteral;

/** Snowflake's own default timestamp output (milliseconds and the offset): what a model's `CAST(ts AS VARCHAR)` writes. */
const TIMESTAMP_OUTPUT = 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM';

/**
 * The parameters every Sluice session pins, in the order `ALTER SESSION SET` lists them. Values are Snowflake's
 * documented defaults except `TIMEZONE` (UTC, as DuckDB is set) and `TIME_OUTPUT_FORMAT` (microseconds: the driver
 * formats TIME values with it).
 */
export const PINNED_SESSION_PARAMETERS: readonly PinnedParameter[] = [
  { name: 'TIMEZONE', value: text('UTC'), why: 'instants convert and display in UTC, as on DuckDB' },
  {
    name: 'QUOTED_IDENTIFIERS_IGNORE_CASE',
    value: 'FALSE',
    why: 'Sluice quotes every name it writes; with TRUE a column "Observação" would be stored upper-cased and never found again',
  },
  {
    name: 'AUTOCOMMIT',
    value: 'TRUE',
    why: 'every load applies in one statement that commits on its own; with FALSE nothing would be committed before the session ends',
  },
  {
    name: 'DATE_INPUT_FORMAT',
    value: text('AUTO'),
    why: "loads cast the chunk's ISO text ('2024-01-02') with CAST … AS DATE",
  },
  { name: 'TIME_INPUT_FORMAT', value: text('AUTO'), why: "loads cast '13:14:15.123456' with CAST … AS TIME" },
  {
    name: 'TIMESTAMP_INPUT_FORMAT',
    value: text('AUTO'),
    why: "loads cast '2024-01-02 03:04:05.123456+00:00' with CAST … AS TIMESTAMP_*",
  },
  {
    name: 'DATE_OUTPUT_FORMAT',
    value: text('YYYY-MM-DD'),
    why: 'dates cast to text (castToText) in models and key digests',
  },
  {
    name: 'TIME_OUTPUT_FORMAT',
    value: text('HH24:MI:SS.FF6'),
    why: 'snowflake-sdk formats TIME values with it: microseconds, as Sluice returns them',
  },
  { name: 'TIMESTAMP_OUTPUT_FORMAT', value: text(TIMESTAMP_OUTPUT), why: 'timestamps cast to text in models' },
  { name: 'TIMESTAMP_NTZ_OUTPUT_FORMAT', value: text('YYYY-MM-DD HH24:MI:SS.FF3'), why: 'as above, TIMESTAMP_NTZ' },
  { name: 'TIMESTAMP_LTZ_OUTPUT_FORMAT', value: text(TIMESTAMP_OUTPUT), why: 'as above, TIMESTAMP_LTZ' },
  { name: 'TIMESTAMP_TZ_OUTPUT_FORMAT', value: text(TIMESTAMP_OUTPUT), why: 'as above, TIMESTAMP_TZ' },
  {
    name: 'TIMESTAMP_TYPE_MAPPING',
    value: text('TIMESTAMP_NTZ'),
    why: "a model's plain TIMESTAMP (`::timestamp`) is a wall-clock time, as on DuckDB",
  },
  { name: 'BINARY_INPUT_FORMAT', value: text('HEX'), why: 'text cast to BINARY in models reads hex' },
  { name: 'BINARY_OUTPUT_FORMAT', value: text('HEX'), why: 'BINARY cast to text writes hex' },
  {
    name: 'ERROR_ON_NONDETERMINISTIC_MERGE',
    value: 'TRUE',
    why: 'a MERGE whose source holds a key twice fails (100090) instead of writing one of the rows at random',
  },
  {
    name: 'ERROR_ON_NONDETERMINISTIC_UPDATE',
    value: 'FALSE',
    why: "Snowflake's default; an UPDATE … FROM in a hook behaves as documented",
  },
  {
    name: 'JSON_INDENT',
    value: '0',
    why: 'VARIANT values come back as compact JSON text (json columns read as text, as on DuckDB)',
  },
  { name: 'ROWS_PER_RESULTSET', value: '0', why: 'no cap on result rows (catalog reads, key digests, test samples)' },
  {
    name: 'WEEK_START',
    value: '0',
    why: "DATE_TRUNC('week', …) and week parts start on Monday, as on DuckDB",
  },
  { name: 'WEEK_OF_YEAR_POLICY', value: '0', why: 'ISO weeks, as on DuckDB' },
  {
    name: 'TIMESTAMP_DAY_IS_ALWAYS_24H',
    value: 'FALSE',
    why: 'DATEADD(day, …) on instants follows the calendar, not 24-hour steps',
  },
  {
    name: 'ABORT_DETACHED_QUERY',
    value: 'FALSE',
    why: 'a statement whose answer was lost still completes, so a retry meets a settled table',
  },
];

/**
 * `ALTER SESSION SET …` of the pinned parameters and the session's QUERY_TAG (and statement timeout, when one is
 * configured): the first statement of every session. Answered by the cloud services layer: no warehouse.
 */
export function sessionSetup(options: { readonly statementTimeoutSeconds?: number | undefined } = {}): string {
  const settings = PINNED_SESSION_PARAMETERS.map((p) => `${p.name} = ${p.value}`);
  if (options.statementTimeoutSeconds !== undefined)
    settings.push(`STATEMENT_TIMEOUT_IN_SECONDS = ${Math.max(0, Math.floor(options.statementTimeoutSeconds))}`);
  settings.push(`QUERY_TAG = ${text('sluice')}`);
  return `ALTER SESSION SET ${settings.join(' ')}`;
}
