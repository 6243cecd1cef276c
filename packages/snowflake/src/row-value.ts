import { exactInteger, formatDate, formatTimestamp, type Row } from '@sluice/warehouse';
import { sluiceName } from './snowflake-identifier.js';

/** A result column as the driver describes it. */
export interface ResultColumn {
  /** The name Snowflake gives the column (`ID_VENDAS`, `count(*)`, `n` when quoted). */
  readonly name: string;
  /** Snowflake's result type: `fixed`, `real`, `text`, `boolean`, `date`, `time`, `timestamp_ntz`, … */
  readonly type: string;
  readonly scale: number;
}

/** What snowflake-sdk hands out for a TIMESTAMP or DATE value: a Date that also knows its exact instant. */
interface SfDate {
  getEpochSeconds(): number;
  getNanoSeconds(): number;
}

/**
 * The JavaScript value `query` returns for a value snowflake-sdk delivered (fetched with `fetchAsString: ['Number', 'JSON']`
 * and `rowMode: 'array'`), in the shapes the `Warehouse` contract pins for every engine:
 *
 * - NUMBER with scale 0 → number when a safe integer, else its decimal string; with a scale → the exact decimal string;
 * - FLOAT → number (`NaN`, `inf`, `-inf` and `-0` as such);
 * - BOOLEAN → boolean; TEXT → string; BINARY → Uint8Array;
 * - DATE → `'YYYY-MM-DD'`; TIME → `'HH:MM:SS.ffffff'`; TIMESTAMP_NTZ → `'YYYY-MM-DD HH:MM:SS.ffffff'`;
 *   TIMESTAMP_LTZ/TZ → the instant in UTC, `'YYYY-MM-DD HH:MM:SS.ffffff+00'` (microseconds: Sluice's precision);
 * - VARIANT, OBJECT → the JSON text as Snowflake renders it (numbers exactly as held; `JSON_INDENT = 0`: compact);
 * - ARRAY → the parsed JSON array (numbers beyond 2^53 lose digits in JSON.parse).
 */
export function rowValue(value: unknown, column: ResultColumn): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'fixed':
      return column.scale > 0 ? String(value) : exactInteger(String(value));
    case 'real':
      return floatValue(String(value));
    case 'date':
      return isSfDate(value) ? formatDate(Math.floor(value.getEpochSeconds() / 86_400)) : String(value);
    case 'time':
      return timeText(String(value));
    case 'timestamp_ntz':
      return isSfDate(value) ? formatTimestamp(instantMicros(value)) : String(value);
    case 'timestamp_ltz':
    case 'timestamp_tz':
      return isSfDate(value) ? `${formatTimestamp(instantMicros(value))}+00` : String(value);
    case 'binary':
      return value instanceof Uint8Array ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;
    case 'array':
      return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    case 'variant':
    case 'object':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      return value;
  }
}

/** Rows keyed by column name (plain upper-case names in lower case; duplicates as `name`, `name:1`, …). */
export function toRows(columns: readonly ResultColumn[], rows: readonly (readonly unknown[])[]): Row[] {
  const names = uniqueNames(columns.map((c) => sluiceName(c.name)));
  return rows.map((values) => {
    const row: Row = {};
    columns.forEach((column, i) => {
      row[names[i] as string] = rowValue(values[i], column);
    });
    return row;
  });
}

function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = seen.get(name) ?? 0;
    seen.set(name, count + 1);
    return count === 0 ? name : `${name}:${count}`;
  });
}

function floatValue(text: string): number {
  if (text === 'inf' || text === 'Infinity') return Infinity;
  if (text === '-inf' || text === '-Infinity') return -Infinity;
  if (text === 'NaN' || text === 'nan') return Number.NaN;
  return Number(text);
}

function isSfDate(value: unknown): value is SfDate {
  return (
    typeof (value as Partial<SfDate>).getEpochSeconds === 'function' &&
    typeof (value as Partial<SfDate>).getNanoSeconds === 'function'
  );
}

/** `HH:MM:SS` with exactly six fraction digits, whatever fraction the session's TIME_OUTPUT_FORMAT gave. */
function timeText(text: string): string {
  const match = /^(\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  return `${match[1]}.${(match[2] ?? '').padEnd(6, '0').slice(0, 6)}`;
}

/** The instant of a driver date as microseconds since 1970-01-01 UTC (nanoseconds cut to microseconds). */
function instantMicros(value: SfDate): bigint {
  return BigInt(Math.floor(value.getEpochSeconds())) * 1_000_000n + BigInt(Math.floor(value.getNanoSeconds() / 1000));
}
