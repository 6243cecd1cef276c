import { SnowflakeEmulatorError } from './emulator-error.js';
import type { ParameterValue } from './session.js';

/**
 * Session parameters whose values the emulator checks, and what it does with them. Snowflake refuses a value a
 * parameter does not take (`ALTER SESSION SET QUOTED_IDENTIFIERS_IGNORE_CASE = 'maybe'`); so does the emulator, for
 * the parameters below. Parameters not listed are kept and echoed as given.
 *
 * `effect` says how the emulator honours the parameter — `emulated` (statements behave as Snowflake's would),
 * `driver` (the value is echoed in every response and snowflake-sdk applies it, e.g. TIME_OUTPUT_FORMAT), or
 * `accepted` (kept and echoed; its effect on SQL is not emulated).
 *
 * Source: https://docs.snowflake.com/en/sql-reference/parameters
 */
export interface ParameterRule {
  readonly name: string;
  readonly kind: 'boolean' | 'integer' | 'text' | 'choice';
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly effect: 'emulated' | 'driver' | 'accepted';
}

export const PARAMETER_RULES: readonly ParameterRule[] = [
  { name: 'TIMEZONE', kind: 'text', effect: 'emulated' },
  { name: 'QUOTED_IDENTIFIERS_IGNORE_CASE', kind: 'boolean', effect: 'emulated' },
  { name: 'AUTOCOMMIT', kind: 'boolean', effect: 'emulated' },
  { name: 'DATE_INPUT_FORMAT', kind: 'text', effect: 'emulated' },
  { name: 'TIME_INPUT_FORMAT', kind: 'text', effect: 'emulated' },
  { name: 'TIMESTAMP_INPUT_FORMAT', kind: 'text', effect: 'emulated' },
  { name: 'DATE_OUTPUT_FORMAT', kind: 'text', effect: 'driver' },
  { name: 'TIME_OUTPUT_FORMAT', kind: 'text', effect: 'driver' },
  { name: 'TIMESTAMP_OUTPUT_FORMAT', kind: 'text', effect: 'driver' },
  { name: 'TIMESTAMP_NTZ_OUTPUT_FORMAT', kind: 'text', effect: 'driver' },
  { name: 'TIMESTAMP_LTZ_OUTPUT_FORMAT', kind: 'text', effect: 'driver' },
  { name: 'TIMESTAMP_TZ_OUTPUT_FORMAT', kind: 'text', effect: 'driver' },
  {
    name: 'TIMESTAMP_TYPE_MAPPING',
    kind: 'choice',
    choices: ['TIMESTAMP_NTZ', 'TIMESTAMP_LTZ', 'TIMESTAMP_TZ'],
    effect: 'accepted',
  },
  { name: 'BINARY_INPUT_FORMAT', kind: 'choice', choices: ['HEX', 'BASE64', 'UTF8', 'UTF-8'], effect: 'accepted' },
  { name: 'BINARY_OUTPUT_FORMAT', kind: 'choice', choices: ['HEX', 'BASE64'], effect: 'accepted' },
  { name: 'ERROR_ON_NONDETERMINISTIC_MERGE', kind: 'boolean', effect: 'emulated' },
  { name: 'ERROR_ON_NONDETERMINISTIC_UPDATE', kind: 'boolean', effect: 'accepted' },
  { name: 'ROWS_PER_RESULTSET', kind: 'integer', min: 0, effect: 'emulated' },
  { name: 'JSON_INDENT', kind: 'integer', min: 0, effect: 'accepted' },
  { name: 'WEEK_START', kind: 'integer', min: 0, effect: 'emulated' },
  { name: 'WEEK_OF_YEAR_POLICY', kind: 'integer', min: 0, effect: 'accepted' },
  { name: 'TIMESTAMP_DAY_IS_ALWAYS_24H', kind: 'boolean', effect: 'accepted' },
  { name: 'ABORT_DETACHED_QUERY', kind: 'boolean', effect: 'accepted' },
  { name: 'STATEMENT_TIMEOUT_IN_SECONDS', kind: 'integer', min: 0, effect: 'emulated' },
  { name: 'MULTI_STATEMENT_COUNT', kind: 'integer', min: 0, effect: 'emulated' },
];

const RULES = new Map(PARAMETER_RULES.map((r) => [r.name, r]));

/**
 * Account defaults that differ from Snowflake's own in every way that has bitten someone: a session that does not
 * set these itself behaves differently (tests start the emulator with them to prove Sluice pins what it needs).
 */
export const HOSTILE_ACCOUNT_PARAMETERS: Readonly<Record<string, ParameterValue>> = {
  TIMEZONE: 'America/Los_Angeles',
  QUOTED_IDENTIFIERS_IGNORE_CASE: true,
  AUTOCOMMIT: false,
  DATE_INPUT_FORMAT: 'DD/MM/YYYY',
  TIME_INPUT_FORMAT: 'HH12:MI AM',
  TIMESTAMP_INPUT_FORMAT: 'DD/MM/YYYY HH24:MI',
  DATE_OUTPUT_FORMAT: 'DD/MM/YYYY',
  TIME_OUTPUT_FORMAT: 'HH24:MI',
  TIMESTAMP_OUTPUT_FORMAT: 'DD/MM/YYYY HH24:MI',
  TIMESTAMP_TYPE_MAPPING: 'TIMESTAMP_LTZ',
  ERROR_ON_NONDETERMINISTIC_MERGE: false,
  ROWS_PER_RESULTSET: 2,
  WEEK_START: 7,
};

/** A value for a parameter, checked against its rule (Snowflake's error when it does not fit). */
export function checkedParameter(name: string, value: ParameterValue): ParameterValue {
  const rule = RULES.get(name);
  if (rule === undefined) return value;
  const invalid = (): never => {
    throw SnowflakeEmulatorError.sql(
      '001003',
      '22023',
      `SQL compilation error:\ninvalid value [${String(value)}] for parameter '${name}'`,
    );
  };
  switch (rule.kind) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(TRUE|FALSE)$/i.test(value)) return value.toUpperCase() === 'TRUE';
      return invalid();
    case 'integer': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      if (!Number.isInteger(n) || n < (rule.min ?? Number.MIN_SAFE_INTEGER)) return invalid();
      return n;
    }
    case 'choice': {
      const text = String(value).toUpperCase();
      return rule.choices?.includes(text) ? text : invalid();
    }
    case 'text':
      return typeof value === 'string' ? value : invalid();
  }
}

/** The value of a session parameter, as a boolean (for the boolean ones). */
export function booleanParameter(parameters: ReadonlyMap<string, ParameterValue>, name: string): boolean {
  return parameters.get(name) === true;
}

/** A date/time input format other than AUTO, or undefined when Snowflake detects the format itself. */
export function explicitInputFormat(
  parameters: ReadonlyMap<string, ParameterValue> | undefined,
  name: 'DATE_INPUT_FORMAT' | 'TIME_INPUT_FORMAT' | 'TIMESTAMP_INPUT_FORMAT',
): string | undefined {
  const value = parameters?.get(name);
  return typeof value === 'string' && value.toUpperCase() !== 'AUTO' && value !== '' ? value : undefined;
}
