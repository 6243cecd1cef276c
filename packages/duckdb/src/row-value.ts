import type { DuckDBValue } from '@duckdb/node-api';
import { exactInteger, floorDiv, formatDate, formatTime, formatTimestamp } from '@sluice/warehouse';
import { duckDbApi } from './duckdb-api.js';

/**
 * The JavaScript value `query` returns for a DuckDB value (the README has the table):
 *
 * - NULL → `null`; BOOLEAN → boolean; TINYINT…INTEGER, FLOAT, DOUBLE → number (NaN and ±Infinity included);
 * - BIGINT, HUGEINT, UBIGINT… → number when it is a safe integer, else its decimal string;
 * - DECIMAL → string, exact, with the column's scale (`'1.50'`);
 * - DATE → `'YYYY-MM-DD'`; TIMESTAMP → `'YYYY-MM-DD HH:MM:SS.ffffff'`; TIMESTAMPTZ → the instant in UTC,
 *   `'YYYY-MM-DD HH:MM:SS.ffffff+00'`; TIME → `'HH:MM:SS.ffffff'` (always six fraction digits); infinite dates and
 *   timestamps → `'infinity'` / `'-infinity'`; years before 1 end in `' BC'`;
 * - INTERVAL → `'<months> months <days> days <microseconds> microseconds'` (the three parts, unnormalized);
 * - VARCHAR, JSON (exact text), UUID, ENUM → string; BLOB → Uint8Array;
 * - LIST/ARRAY → array; STRUCT → object; MAP → `{ key, value }[]`; UNION → `{ tag, value }`.
 */
export function rowValue(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  if (typeof value === 'bigint') return exactInteger(value);
  const api = duckDbApi();
  if (value instanceof api.DuckDBDecimalValue) return value.toString();
  if (value instanceof api.DuckDBTimestampTZValue)
    return value.isFinite ? `${formatTimestamp(value.micros)}+00` : infinity(value.micros);
  if (value instanceof api.DuckDBTimestampValue)
    return value.isFinite ? formatTimestamp(value.micros) : infinity(value.micros);
  if (value instanceof api.DuckDBDateValue)
    return value.isFinite ? formatDate(value.days) : infinity(BigInt(value.days));
  if (value instanceof api.DuckDBTimeValue) return formatTime(value.micros);
  if (value instanceof api.DuckDBIntervalValue)
    return `${value.months} months ${value.days} days ${value.micros} microseconds`;
  if (value instanceof api.DuckDBBlobValue) return new Uint8Array(value.bytes);
  if (value instanceof api.DuckDBListValue || value instanceof api.DuckDBArrayValue) return value.items.map(rowValue);
  if (value instanceof api.DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, rowValue(v)]));
  }
  if (value instanceof api.DuckDBMapValue)
    return value.entries.map((e) => ({ key: rowValue(e.key), value: rowValue(e.value) }));
  if (value instanceof api.DuckDBUnionValue) return { tag: value.tag, value: rowValue(value.value) };
  if (value instanceof api.DuckDBTimestampSecondsValue) {
    return value.isFinite ? formatTimestamp(value.seconds * 1_000_000n) : infinity(value.seconds);
  }
  if (value instanceof api.DuckDBTimestampMillisecondsValue) {
    return value.isFinite ? formatTimestamp(value.millis * 1_000n) : infinity(value.millis);
  }
  if (value instanceof api.DuckDBTimestampNanosecondsValue) {
    if (!value.isFinite) return infinity(value.nanos);
    const micros = floorDiv(value.nanos, 1_000n);
    const nanos = value.nanos - micros * 1_000n;
    return `${formatTimestamp(micros)}${nanos === 0n ? '' : String(nanos).padStart(3, '0')}`;
  }
  // UUID, BIT, TIME WITH TIME ZONE, TIME_NS, VARIANT, GEOMETRY: DuckDB's own text.
  return String(value);
}

function infinity(sign: bigint): string {
  return sign > 0n ? 'infinity' : '-infinity';
}
