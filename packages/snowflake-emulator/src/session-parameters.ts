import { SnowflakeEmulatorError } from './emulator-error.js';
import type { ParameterValue } from './session.js';

/**
 * How the emulator treats a session parameter set by `ALTER SESSION`:
 * - `emulator`: it changes what the emulator does (TIMEZONE, QUERY_TAG, …);
 * - `driver`: it is echoed in every response's `parameters` and snowflake-sdk applies it (output formats, keep-alive);
 * - a list of values: the emulator behaves as Snowflake does with exactly those values (HEX binary, NTZ
 *   timestamps), and refuses any other value as unsupported rather than pretend to honour it;
 * - `accepted`: kept and shown, but changes nothing (the README lists these).
 * A parameter not in the table is refused, as Snowflake refuses a name it does not know.
 * Reference: https://docs.snowflake.com/en/sql-reference/parameters
 */
type ParameterRule = 'emulator' | 'driver' | 'accepted' | readonly string[];

export const SESSION_PARAMETER_RULES: Readonly<Record<string, ParameterRule>> = {
  TIMEZONE: 'emulator',
  QUERY_TAG: 'emulator',
  MULTI_STATEMENT_COUNT: 'emulator',
  ERROR_ON_NONDETERMINISTIC_MERGE: 'emulator',
  TIMESTAMP_OUTPUT_FORMAT: 'driver',
  TIMESTAMP_NTZ_OUTPUT_FORMAT: 'driver',
  TIMESTAMP_LTZ_OUTPUT_FORMAT: 'driver',
  TIMESTAMP_TZ_OUTPUT_FORMAT: 'driver',
  DATE_OUTPUT_FORMAT: 'driver',
  TIME_OUTPUT_FORMAT: 'driver',
  BINARY_OUTPUT_FORMAT: ['HEX'],
  CLIENT_TIMESTAMP_TYPE_MAPPING: 'driver',
  CLIENT_SESSION_KEEP_ALIVE: 'driver',
  CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY: 'driver',
  CLIENT_STAGE_ARRAY_BINDING_THRESHOLD: 'driver',
  JS_TREAT_INTEGER_AS_BIGINT: 'driver',
  QUERY_CONTEXT_CACHE_SIZE: 'driver',
  // Emulated for every value (session-parameter-rules.ts checks the value's form): text cast to a date or time is
  // read with the format (expression-translator.ts), quoted names fold to upper case (statement-planner.ts), DML
  // waits for COMMIT (query-service.ts), WEEK_START moves week truncation, ROWS_PER_RESULTSET caps results,
  // STATEMENT_TIMEOUT_IN_SECONDS cancels.
  DATE_INPUT_FORMAT: 'emulator',
  TIME_INPUT_FORMAT: 'emulator',
  TIMESTAMP_INPUT_FORMAT: 'emulator',
  QUOTED_IDENTIFIERS_IGNORE_CASE: 'emulator',
  AUTOCOMMIT: 'emulator',
  WEEK_START: 'emulator',
  ROWS_PER_RESULTSET: 'emulator',
  STATEMENT_TIMEOUT_IN_SECONDS: 'emulator',
  TIMESTAMP_TYPE_MAPPING: ['TIMESTAMP_NTZ'],
  BINARY_INPUT_FORMAT: ['HEX'],
  WEEK_OF_YEAR_POLICY: ['0'],
  // What the emulator does, and what Sluice pins: compact JSON text, calendar days, no error on a nondeterministic UPDATE.
  JSON_INDENT: ['0'],
  TIMESTAMP_DAY_IS_ALWAYS_24H: ['FALSE'],
  ERROR_ON_NONDETERMINISTIC_UPDATE: ['FALSE'],
  STATEMENT_QUEUED_TIMEOUT_IN_SECONDS: 'accepted',
  ABORT_DETACHED_QUERY: 'accepted',
  LOCK_TIMEOUT: 'accepted',
  USE_CACHED_RESULT: 'accepted',
};

/** Refuse a parameter the emulator does not know, or a value it cannot honour. */
export function checkSessionParameter(name: string, value: ParameterValue): void {
  const rule = SESSION_PARAMETER_RULES[name];
  if (rule === undefined)
    throw SnowflakeEmulatorError.sql('001006', '42601', `SQL compilation error:\ninvalid parameter '${name}'`);
  if (typeof rule === 'string') return;
  const text = String(value).toUpperCase();
  if (!rule.includes(text))
    throw SnowflakeEmulatorError.unsupported(
      `session parameter ${name} = '${value}' (the emulator honours ${rule.join(', ')})`,
    );
}
