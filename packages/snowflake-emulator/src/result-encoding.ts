import {
  DuckDBBlobValue,
  type DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBArrayValue,
  DuckDBMapValue,
  DuckDBStructValue,
  type DuckDBTimeValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  type DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBUUIDValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { SnowflakeEmulatorError } from './emulator-error.js';
import { rowType, type RowType, type SnowflakeResultType } from './sql/snowflake-types.js';

/** How one result column is presented: its rowtype entry and how its values are encoded. */
export interface ColumnEncoding {
  readonly rowType: RowType;
  readonly encode: (value: DuckDBValue) => string | null;
}

const FRACTION_DIGITS = 9;

/** `micros` since the epoch as Snowflake's `seconds.fraction` text with nine fraction digits (what the driver decodes). */
export function epochText(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const seconds = abs / 1_000_000n;
  const fraction = `${(abs % 1_000_000n).toString().padStart(6, '0')}000`;
  return `${negative ? '-' : ''}${seconds}.${fraction.slice(0, FRACTION_DIGITS)}`;
}

function finiteMicros(micros: bigint, column: string): bigint {
  // DuckDB's infinity timestamps have no Snowflake counterpart
  if (micros >= 9223372036854775806n || micros <= -9223372036854775806n) {
    throw SnowflakeEmulatorError.sql(
      '100035',
      '22007',
      `Timestamp value in column ${column} is infinite and cannot be represented.`,
    );
  }
  return micros;
}

function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  // String(-0) is '0': negative zero would come back positive.
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/** A JSON-ready JS value for a nested DuckDB value (lists, structs and maps become arrays and objects). */
function toJsonValue(value: DuckDBValue): unknown {
  if (value === null) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(toJsonValue);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toJsonValue(v)]));
  }
  if (value instanceof DuckDBMapValue)
    return Object.fromEntries(value.entries.map((e) => [String(toJsonValue(e.key)), toJsonValue(e.value)]));
  if (value instanceof DuckDBDecimalValue) return Number(value.toString());
  if (value instanceof DuckDBBlobValue) return bytesToHex(value.bytes);
  return String(value);
}

/**
 * How a DuckDB result column maps to Snowflake: the rowtype entry (type, precision, scale, length) and the
 * encoding of values into the strings of a JSON rowset — integers and decimals as exact digits, reals as text,
 * booleans as `1`/`0`, dates as days since the epoch, times and timestamps as epoch seconds with nine fraction
 * digits (`TIMESTAMP_TZ` followed by its offset index, 1440 for UTC), binary as upper-case hex, and
 * semi-structured values as JSON text. `declared` overrides the Snowflake type where the catalog knows it.
 */
export function columnEncoding(
  name: string,
  type: DuckDBType,
  declared?: { type: SnowflakeResultType; params: number[] },
): ColumnEncoding {
  const plain = (t: SnowflakeResultType, options: Parameters<typeof rowType>[2] = {}): RowType =>
    rowType(name, t, options);
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { rowType: plain('boolean'), encode: (v) => (v === null ? null : v ? '1' : '0') };
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
      return { rowType: plain('fixed', { precision: 38, scale: 0 }), encode: (v) => (v === null ? null : String(v)) };
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as unknown as { width: number; scale: number };
      return {
        rowType: plain('fixed', { precision: width, scale }),
        encode: (v) => (v === null ? null : v instanceof DuckDBDecimalValue ? v.toString() : String(v)),
      };
    }
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return { rowType: plain('real'), encode: (v) => (v === null ? null : numberText(Number(v))) };
    case DuckDBTypeId.VARCHAR: {
      if (type.alias === 'JSON') {
        const t = declared && (declared.type === 'object' || declared.type === 'array') ? declared.type : 'variant';
        return { rowType: plain(t), encode: (v) => (v === null ? null : String(v)) };
      }
      const length = declared?.type === 'text' ? declared.params[0] : undefined;
      return {
        rowType: plain('text', length === undefined ? {} : { length }),
        encode: (v) => (v === null ? null : String(v)),
      };
    }
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.ENUM:
      return {
        rowType: plain('text'),
        encode: (v) => (v === null ? null : v instanceof DuckDBUUIDValue ? v.toString() : String(v)),
      };
    case DuckDBTypeId.BLOB: {
      const length = declared?.type === 'binary' ? declared.params[0] : undefined;
      return {
        rowType: plain('binary', length === undefined ? {} : { length }),
        encode: (v) =>
          v === null
            ? null
            : v instanceof DuckDBBlobValue
              ? bytesToHex(v.bytes)
              : Buffer.from(String(v)).toString('hex').toUpperCase(),
      };
    }
    case DuckDBTypeId.DATE:
      return {
        rowType: plain('date'),
        encode: (v) => {
          if (v === null) return null;
          const days = (v as DuckDBDateValue).days;
          if (!Number.isFinite(days) || Math.abs(days) > 100_000_000) {
            throw SnowflakeEmulatorError.sql(
              '100035',
              '22007',
              `Date value in column ${name} is infinite and cannot be represented.`,
            );
          }
          return String(days);
        },
      };
    case DuckDBTypeId.TIME:
      return {
        rowType: plain('time', { scale: declared?.type === 'time' ? (declared.params[0] ?? 9) : 9 }),
        encode: (v) => (v === null ? null : epochText((v as DuckDBTimeValue).micros)),
      };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return {
        rowType: plain('timestamp_ntz', { scale: declared?.type === 'timestamp_ntz' ? (declared.params[0] ?? 9) : 9 }),
        encode: (v) => (v === null ? null : epochText(finiteMicros(timestampMicros(v), name))),
      };
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const tz = declared?.type === 'timestamp_tz';
      const scale =
        declared && (declared.type === 'timestamp_tz' || declared.type === 'timestamp_ltz')
          ? (declared.params[0] ?? 9)
          : 9;
      return {
        rowType: plain(tz ? 'timestamp_tz' : 'timestamp_ltz', { scale }),
        // TIMESTAMP_TZ carries its offset as an index (minutes + 1440); DuckDB keeps instants only, so UTC.
        encode: (v) =>
          v === null
            ? null
            : `${epochText(finiteMicros((v as DuckDBTimestampTZValue).micros, name))}${tz ? ' 1440' : ''}`,
      };
    }
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { rowType: plain('array'), encode: (v) => (v === null ? null : JSON.stringify(toJsonValue(v))) };
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
      return { rowType: plain('object'), encode: (v) => (v === null ? null : JSON.stringify(toJsonValue(v))) };
    case DuckDBTypeId.SQLNULL:
      return { rowType: plain('text'), encode: () => null };
    case DuckDBTypeId.VARIANT:
      return { rowType: plain('variant'), encode: (v) => (v === null ? null : JSON.stringify(toJsonValue(v))) };
    default:
      throw SnowflakeEmulatorError.unsupported(
        `result column ${name} of DuckDB type ${type.toString()} (no Snowflake equivalent, e.g. an INTERVAL from subtracting timestamps; use DATEDIFF)`,
      );
  }
}

function timestampMicros(v: DuckDBValue): bigint {
  if (v instanceof DuckDBTimestampValue) return v.micros;
  if (v instanceof DuckDBTimestampSecondsValue) return v.seconds * 1_000_000n;
  if (v instanceof DuckDBTimestampMillisecondsValue) return v.millis * 1000n;
  if (v instanceof DuckDBTimestampNanosecondsValue) return v.nanos / 1000n;
  throw SnowflakeEmulatorError.sql('000603', 'XX000', 'unexpected timestamp value');
}
