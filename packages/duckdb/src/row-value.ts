import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  DuckDBUnionValue,
  type DuckDBValue,
} from '@duckdb/node-api';

const MICROS_PER_DAY = 86_400_000_000n;

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
  if (value instanceof DuckDBDecimalValue) return value.toString();
  if (value instanceof DuckDBTimestampTZValue)
    return value.isFinite ? `${formatTimestamp(value.micros)}+00` : infinity(value.micros);
  if (value instanceof DuckDBTimestampValue)
    return value.isFinite ? formatTimestamp(value.micros) : infinity(value.micros);
  if (value instanceof DuckDBDateValue) return value.isFinite ? formatDate(value.days) : infinity(BigInt(value.days));
  if (value instanceof DuckDBTimeValue) return formatTime(value.micros);
  if (value instanceof DuckDBIntervalValue)
    return `${value.months} months ${value.days} days ${value.micros} microseconds`;
  if (value instanceof DuckDBBlobValue) return new Uint8Array(value.bytes);
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(rowValue);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, rowValue(v)]));
  }
  if (value instanceof DuckDBMapValue)
    return value.entries.map((e) => ({ key: rowValue(e.key), value: rowValue(e.value) }));
  if (value instanceof DuckDBUnionValue) return { tag: value.tag, value: rowValue(value.value) };
  if (value instanceof DuckDBTimestampSecondsValue) {
    return value.isFinite ? formatTimestamp(value.seconds * 1_000_000n) : infinity(value.seconds);
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) {
    return value.isFinite ? formatTimestamp(value.millis * 1_000n) : infinity(value.millis);
  }
  if (value instanceof DuckDBTimestampNanosecondsValue) {
    if (!value.isFinite) return infinity(value.nanos);
    const micros = floorDiv(value.nanos, 1_000n);
    const nanos = value.nanos - micros * 1_000n;
    return `${formatTimestamp(micros)}${nanos === 0n ? '' : String(nanos).padStart(3, '0')}`;
  }
  // UUID, BIT, TIME WITH TIME ZONE, TIME_NS, VARIANT, GEOMETRY: DuckDB's own text.
  return String(value);
}

/** A 64-bit (or wider) integer as a number when that is exact, else as its decimal string. */
export function exactInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : String(value);
}

/** Microseconds since 1970-01-01 as `YYYY-MM-DD HH:MM:SS.ffffff` (proleptic Gregorian; years before 1 as `… BC`). */
export function formatTimestamp(micros: bigint): string {
  const days = floorDiv(micros, MICROS_PER_DAY);
  const date = formatDate(Number(days));
  const time = formatTime(micros - days * MICROS_PER_DAY);
  return date.endsWith(' BC') ? `${date.slice(0, -3)} ${time} BC` : `${date} ${time}`;
}

/** Days since 1970-01-01 as `YYYY-MM-DD` (years before 1 as `YYYY-MM-DD BC`, Postgres's way). */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const shown = year > 0 ? year : 1 - year;
  return `${String(shown).padStart(4, '0')}-${pad2(month)}-${pad2(day)}${year > 0 ? '' : ' BC'}`;
}

/** Microseconds since midnight as `HH:MM:SS.ffffff` (`24:00:00.000000` included). */
export function formatTime(micros: bigint): string {
  const totalSeconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const hours = totalSeconds / 3600n;
  const minutes = (totalSeconds % 3600n) / 60n;
  const seconds = totalSeconds % 60n;
  return `${pad2(Number(hours))}:${pad2(Number(minutes))}:${pad2(Number(seconds))}.${String(fraction).padStart(6, '0')}`;
}

function infinity(sign: bigint): string {
  return sign > 0n ? 'infinity' : '-infinity';
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Howard Hinnant's days → civil date (proleptic Gregorian, astronomical years: 0 is 1 BC). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}
