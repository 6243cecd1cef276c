import type { LogicalType } from '@sluice/warehouse';
import { snowflakeLiteral } from './snowflake-identifier.js';
import { normalizeStorage, snowflakeTypeName, storedDecimal, type DecimalStorage } from './snowflake-type.js';

/**
 * Prefix of the text a load casts to the column's type to fail on purpose when a value cannot be stored exactly:
 * Snowflake then answers `Numeric value 'SLUICE_UNREPRESENTABLE_VALUE:<column>:<value>' is not recognized`
 * (100038; `Date '…'`, `Timestamp '…'` for those types), which the warehouse turns into an `UNREPRESENTABLE_VALUE`
 * error naming the table, column and value.
 */
export const UNREPRESENTABLE_MARKER = 'SLUICE_UNREPRESENTABLE_VALUE';

/** Where a decoded value goes: the column's position in the load request (for the error a bad value raises). */
export interface DecodeContext {
  readonly columnIndex: number;
}

/**
 * The Snowflake SQL turning `value` (a staged VARCHAR holding chunk-file text, format: `@sluice/warehouse`
 * chunk-file.ts) into a value of logical type `type` for a column stored as `storage` (`''` when unknown).
 *
 * - integers, booleans, dates, timestamps, times: a CAST; dates and timestamps before year 1 (`-0043-03-15`,
 *   `0000-…`) or infinite, and `24:00:00`, fail with `UNREPRESENTABLE_VALUE`: Snowflake documents its dates and
 *   timestamps for the years 1582 to 9999 ("accepts some years outside this range"), none before year 1.
 * - decimals: NaN and ±Infinity fail; checked decimals (unconstrained, or stored narrower) are matched against the
 *   digits the column holds first, so nothing is ever rounded.
 * - real: rounded to the nearest float32, the value Postgres holds (Snowflake has only 64-bit FLOAT).
 * - timestamptz: the chunk's `+00` offset is written `+00:00`, which Snowflake's AUTO format reads.
 * - bytes: hex; arrays: PARSE_JSON, booleans and finite floats turned from JSON strings into JSON values.
 * - json: PARSE_JSON into VARIANT (duplicate keys: the last wins, as in jsonb); a document with a number VARIANT
 *   cannot hold exactly (more than 38 digits, or an exponent) fails with `UNREPRESENTABLE_VALUE`. A column stored as
 *   VARCHAR (loaded before json became VARIANT) gets the text itself.
 * - text, char, enum, uuid, interval: the text itself.
 */
export function decodeChunkValue(value: string, type: LogicalType, storage: string, context: DecodeContext): string {
  // Cast to the column's own type, so that both branches of the CASE have one type (Snowflake refuses a mix; a
  // NUMBER of another scale would widen the CASE to FLOAT and round).
  const fail = (typeSql: string): string =>
    `CAST(${snowflakeLiteral(`${UNREPRESENTABLE_MARKER}:${context.columnIndex}:`)} || ${value} AS ${typeSql})`;
  switch (type.kind) {
    case 'text':
    case 'char':
    case 'enum':
    case 'uuid':
    case 'interval':
      return value;
    case 'json':
      // A column loaded before json became VARIANT keeps the exact text.
      if (storage !== '' && normalizeStorage(storage) !== 'VARIANT') return value;
      return `CASE WHEN ${inexactJsonNumber(value)} THEN TO_VARIANT(${fail('NUMBER(38,0)')}) ELSE PARSE_JSON(${value}, 'd') END`;
    case 'smallint':
    case 'integer':
    case 'bigint':
      return `CAST(${value} AS ${snowflakeTypeName(type)})`;
    case 'boolean':
      return `CAST(${value} AS BOOLEAN)`;
    case 'decimal':
      return decodeDecimal(value, storedDecimal(type, storage === '' ? undefined : storage), fail);
    case 'real':
      return `CASE WHEN ${value} IN ('NaN', 'Infinity', '-Infinity') THEN ${special(value)} ELSE ${float32(`CAST(${value} AS FLOAT)`)} END`;
    case 'double':
      return `CASE WHEN ${value} IN ('NaN', 'Infinity', '-Infinity') THEN ${special(value)} ELSE CAST(${value} AS FLOAT) END`;
    case 'date':
      return `CASE WHEN ${outOfRange(value)} THEN ${fail('DATE')} ELSE CAST(${value} AS DATE) END`;
    case 'timestamp':
      return `CASE WHEN ${outOfRange(value)} THEN ${fail('TIMESTAMP_NTZ(6)')} ELSE CAST(${value} AS TIMESTAMP_NTZ(6)) END`;
    case 'timestamptz':
      return (
        `CASE WHEN ${outOfRange(value)} THEN ${fail('TIMESTAMP_TZ(6)')} ` +
        `ELSE CAST(IFF(REGEXP_LIKE(${value}, '.*[+-][0-9][0-9]'), ${value} || ':00', ${value}) AS TIMESTAMP_TZ(6)) END`
      );
    case 'time':
      return `CASE WHEN ${value} LIKE '24:%' THEN ${fail('TIME(6)')} ELSE CAST(${value} AS TIME(6)) END`;
    case 'bytes':
      return `TO_BINARY(${value}, 'HEX')`;
    case 'array':
      return `PARSE_JSON(${arrayJson(value, type.element)})`;
  }
}

/** 'NaN', 'Infinity', '-Infinity' as Snowflake FLOAT (which spells them NaN, inf, -inf). */
function special(value: string): string {
  return `CAST(DECODE(${value}, 'Infinity', 'inf', '-Infinity', '-inf', ${value}) AS FLOAT)`;
}

/** Years before 1 (written `-0043-…`, `0000-…` in the chunk format) and infinite values: Snowflake holds neither. */
function outOfRange(value: string): string {
  return `${value} LIKE '-%' OR ${value} LIKE '0000-%' OR ${value} ILIKE '%infinity'`;
}

function decodeDecimal(value: string, storage: DecimalStorage, fail: (typeSql: string) => string): string {
  const type = `NUMBER(${storage.precision},${storage.scale})`;
  const special = `${value} IN ('NaN', 'Infinity', '-Infinity')`;
  const bad = storage.checked
    ? `${special} OR NOT REGEXP_LIKE(${value}, ${snowflakeLiteral(exactDecimalPattern(storage))})`
    : special;
  return `CASE WHEN ${bad} THEN ${fail(type)} ELSE CAST(${value} AS ${type}) END`;
}

/**
 * Postgres numeric text (`-123.4500`, never an exponent) that `NUMBER(precision,scale)` holds exactly: at most
 * `precision - scale` integer digits, at most `scale` fraction digits before trailing zeros. No backslashes (they
 * would need escaping in a Snowflake literal): `[.]` for the point.
 */
export function exactDecimalPattern(storage: { readonly precision: number; readonly scale: number }): string {
  const integerDigits = storage.precision - storage.scale;
  const integer = integerDigits >= 1 ? `(0|[1-9][0-9]{0,${integerDigits - 1}})` : '0';
  const fraction = storage.scale >= 1 ? `([.][0-9]{0,${storage.scale}}0*)?` : '([.]0*)?';
  return `-?${integer}${fraction}`;
}

/**
 * The nearest float32 of a FLOAT `d`, as a FLOAT: `round(d / 2^q) * 2^q` with q the float32 quantum of d's
 * binade (24 significant bits; 2^-149 at the least, for subnormals). LOG(2, …) can be off by one next to powers
 * of two, so the exponent is corrected against POWER(2, …). Every step is exact in binary64 arithmetic.
 */
function float32(d: string): string {
  const e0 = `FLOOR(LOG(2, ABS(${d})))`;
  const e = `(${e0} + IFF(ABS(${d}) >= POWER(2, ${e0} + 1), 1, 0) - IFF(ABS(${d}) < POWER(2, ${e0}), 1, 0))`;
  const quantum = `POWER(2, GREATEST(${e} - 23, -149))`;
  return `IFF(${d} = 0, ${d}, ROUND(${d} / ${quantum}) * ${quantum})`;
}

/**
 * The chunk's JSON array text made ready for PARSE_JSON. The chunk format writes every element that is not an
 * integer as a JSON string of its chunk text; booleans and finite floats are turned back into JSON values, every
 * other element (decimals — exact as strings —, text, dates, timestamps, intervals, hex bytes) stays a string.
 */
function arrayJson(value: string, element: LogicalType): string {
  if (element.kind === 'boolean') return `REPLACE(REPLACE(${value}, '"true"', 'true'), '"false"', 'false')`;
  if (element.kind === 'real' || element.kind === 'double') {
    return `REGEXP_REPLACE(${value}, ${snowflakeLiteral('"(-?[0-9][0-9.eE+-]*)"')}, ${snowflakeLiteral('\\1')})`;
  }
  return value;
}

/**
 * True when a JSON document holds a number a VARIANT would not keep exactly. PARSE_JSON stores a number as a
 * fixed-point NUMBER when it fits (at most 38 digits, scale at most 37), else as a DOUBLE — as it does every number
 * written with an exponent (https://docs.snowflake.com/en/sql-reference/functions/parse_json). Strings are taken out
 * first (escapes, then "…"), so digits inside them do not count; then any digit before `e`/`E`, or 39 digits with at
 * most a point between them, is such a number. Postgres writes jsonb numbers without exponents; json keeps the
 * source's text. Conservative: `1.0e0` or trailing zeros past 38 digits are refused too.
 */
export function inexactJsonNumber(value: string): string {
  const withoutEscapes = `REGEXP_REPLACE(${value}, ${snowflakeLiteral('\\\\.')}, '')`;
  const withoutStrings = `REGEXP_REPLACE(${withoutEscapes}, '"[^"]*"', '""')`;
  return `REGEXP_COUNT(${withoutStrings}, ${snowflakeLiteral('[0-9][eE]|[0-9](\\.?[0-9]){38}')}) > 0`;
}
