import type { LogicalType } from '@sluice/warehouse';

/** The widest NUMBER Snowflake has, and its largest scale. */
export const MAX_NUMBER_PRECISION = 38;
export const MAX_NUMBER_SCALE = 37;
/**
 * Fraction digits kept for a decimal Snowflake cannot hold for sure (Postgres's unconstrained `numeric`, or a
 * precision above 38): `NUMBER(38,18)` — 20 integer digits and 18 fraction digits, checked value by value on load.
 */
export const UNCONSTRAINED_DECIMAL_SCALE = 18;
/** Snowflake's default VARCHAR length (16 MB); `VARCHAR` with no length is this. */
export const MAX_VARCHAR_LENGTH = 16_777_216;
/**
 * The longest VARCHAR Snowflake allows now: 128 MB (https://docs.snowflake.com/en/sql-reference/data-types-text).
 * Text without a length limit is stored in it, so a value between 16 and 128 MB loads.
 */
export const LARGEST_VARCHAR_LENGTH = 134_217_728;
/** Snowflake's default BINARY length (8 MB); `BINARY` with no length is this. */
export const DEFAULT_BINARY_LENGTH = 8_388_608;
/** The longest BINARY Snowflake allows now: 64 MB (same page). */
export const LARGEST_BINARY_LENGTH = 67_108_864;

/** How a logical decimal is stored: the NUMBER's precision and scale, and whether every value must be checked. */
export interface DecimalStorage {
  readonly precision: number;
  readonly scale: number;
  /** True when some source values may not fit `NUMBER(precision,scale)` exactly: each value is checked on load. */
  readonly checked: boolean;
}

/**
 * The NUMBER storing a logical decimal: `decimal(p,s)` within Snowflake's limits as is (a negative scale or one
 * above the precision becomes the equivalent exact type); wider ones, and the unconstrained decimal,
 * `NUMBER(38, min(s,18))`, checked on load.
 */
export function decimalStorage(type: Extract<LogicalType, { kind: 'decimal' }>): DecimalStorage {
  if (type.precision === undefined)
    return { precision: MAX_NUMBER_PRECISION, scale: UNCONSTRAINED_DECIMAL_SCALE, checked: true };
  const scale = Math.max(type.scale ?? 0, 0);
  const integerDigits = Math.max(type.precision - (type.scale ?? 0), 0);
  const precision = Math.max(integerDigits + scale, 1);
  if (precision <= MAX_NUMBER_PRECISION && scale <= MAX_NUMBER_SCALE) return { precision, scale, checked: false };
  return { precision: MAX_NUMBER_PRECISION, scale: Math.min(scale, UNCONSTRAINED_DECIMAL_SCALE), checked: true };
}

/**
 * The Snowflake column type of a logical type (see the README's table).
 *
 * @example snowflakeTypeName({ kind: 'decimal', precision: 10, scale: 2 }) // 'NUMBER(10,2)'
 */
export function snowflakeTypeName(type: LogicalType): string {
  switch (type.kind) {
    case 'smallint':
      return 'NUMBER(5,0)';
    case 'integer':
      return 'NUMBER(10,0)';
    case 'bigint':
      return 'NUMBER(19,0)';
    case 'decimal': {
      const { precision, scale } = decimalStorage(type);
      return `NUMBER(${precision},${scale})`;
    }
    case 'real':
    case 'double':
      return 'FLOAT';
    case 'boolean':
      return 'BOOLEAN';
    case 'text':
      return type.maxLength === undefined || type.maxLength >= LARGEST_VARCHAR_LENGTH
        ? `VARCHAR(${LARGEST_VARCHAR_LENGTH})`
        : `VARCHAR(${Math.max(type.maxLength, 1)})`;
    case 'char':
      return `VARCHAR(${Math.max(type.length, 1)})`;
    case 'uuid':
      return 'VARCHAR(36)';
    case 'enum':
    case 'interval':
      return 'VARCHAR';
    case 'json':
      return 'VARIANT';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP_NTZ(6)';
    case 'timestamptz':
      return 'TIMESTAMP_TZ(6)';
    case 'time':
      return 'TIME(6)';
    case 'bytes':
      return `BINARY(${LARGEST_BINARY_LENGTH})`;
    case 'array':
      return 'ARRAY';
  }
}

/**
 * A column's type as SHOW COLUMNS reports it (`{"type":"FIXED","precision":10,"scale":0,…}`), spelled the way
 * `snowflakeTypeName` spells types: `NUMBER(10,0)`, `VARCHAR(255)`, `VARCHAR` (the longest), `TIMESTAMP_TZ(6)`, …
 * Unknown JSON is returned upper-cased as is.
 */
export function storageFromShowColumns(dataType: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(dataType) as Record<string, unknown>;
  } catch {
    return dataType.trim().toUpperCase();
  }
  const type = String(parsed.type ?? '').toUpperCase();
  const number = (key: string): number | undefined =>
    typeof parsed[key] === 'number' ? (parsed[key] as number) : undefined;
  switch (type) {
    case 'FIXED':
      return `NUMBER(${number('precision') ?? MAX_NUMBER_PRECISION},${number('scale') ?? 0})`;
    case 'REAL':
      return 'FLOAT';
    case 'TEXT': {
      const length = number('length');
      return length === undefined || length === MAX_VARCHAR_LENGTH ? 'VARCHAR' : `VARCHAR(${length})`;
    }
    case 'BINARY': {
      const length = number('length');
      return length === undefined || length === DEFAULT_BINARY_LENGTH ? 'BINARY' : `BINARY(${length})`;
    }
    case 'TIME':
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return `${type}(${number('scale') ?? 9})`;
    default:
      return type;
  }
}

/**
 * The logical type of a Snowflake column type (as `storageFromShowColumns` spells it), for columns Sluice did not
 * record: NUMBER(p,0) is the smallest integer kind holding p digits (else decimal(p,0)), VARCHAR(n) text(n),
 * TIMESTAMP_LTZ/TZ an instant, VARIANT/OBJECT json, ARRAY an array of json, unknown types text.
 */
export function logicalTypeFromSnowflake(storage: string): LogicalType {
  const number = /^NUMBER\((\d+),(\d+)\)$/.exec(storage);
  if (number) {
    const precision = Number(number[1]);
    const scale = Number(number[2]);
    if (scale === 0 && precision <= 5) return { kind: 'smallint' };
    if (scale === 0 && precision <= 10) return { kind: 'integer' };
    if (scale === 0 && precision <= 19) return { kind: 'bigint' };
    return { kind: 'decimal', precision, scale };
  }
  const varchar = /^VARCHAR\((\d+)\)$/.exec(storage);
  if (varchar) {
    const length = Number(varchar[1]);
    return length >= LARGEST_VARCHAR_LENGTH ? { kind: 'text' } : { kind: 'text', maxLength: length };
  }
  // VARCHAR without a length holds 16 MB: less than Sluice's unbounded text (128 MB), so it is widened in place.
  if (storage === 'VARCHAR') return { kind: 'text', maxLength: MAX_VARCHAR_LENGTH };
  const base = storage.replace(/\(.*$/, '');
  switch (base) {
    case 'FLOAT':
      return { kind: 'double' };
    case 'BOOLEAN':
      return { kind: 'boolean' };
    case 'DATE':
      return { kind: 'date' };
    case 'TIME':
      return { kind: 'time' };
    case 'TIMESTAMP_NTZ':
      return { kind: 'timestamp' };
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return { kind: 'timestamptz' };
    case 'BINARY':
      return { kind: 'bytes' };
    case 'VARIANT':
    case 'OBJECT':
      return { kind: 'json' };
    case 'ARRAY':
      return { kind: 'array', element: { kind: 'json' } };
    default:
      return { kind: 'text' };
  }
}

/**
 * True when a column stored as `storage` is the storage Sluice chooses for `type`, so a recorded logical type can
 * be trusted. A checked decimal accepts any `NUMBER(38,s)` (widening keeps the scale a column already had: Snowflake
 * cannot change a NUMBER's scale in place).
 */
export function storesLogicalType(type: LogicalType, storage: string): boolean {
  if (type.kind === 'decimal' && decimalStorage(type).checked) {
    return /^NUMBER\(38,\d+\)$/.test(storage);
  }
  const normalized = normalizeStorage(storage);
  // json loaded before VARIANT was its type stays VARCHAR (the exact text): see the README, "json and VARIANT".
  if (type.kind === 'json') return normalized === 'VARIANT' || /^VARCHAR(\(\d+\))?$/.test(normalized);
  // BINARY columns of the default 8 MB, made before the 64 MB default, are kept: Snowflake cannot lengthen BINARY.
  if (type.kind === 'bytes') return /^BINARY(\(\d+\))?$/.test(normalized);
  return normalizeStorage(snowflakeTypeName(type)) === normalizeStorage(storage);
}

/** One spelling per Snowflake type, for comparisons (`VARCHAR` and `VARCHAR(16777216)` are one type). */
export function normalizeStorage(storage: string): string {
  const upper = storage.trim().toUpperCase().replace(/\s+/g, '');
  if (upper === `VARCHAR(${MAX_VARCHAR_LENGTH})`) return 'VARCHAR';
  return upper === `BINARY(${DEFAULT_BINARY_LENGTH})` ? 'BINARY' : upper;
}

/** Precision and scale of a `NUMBER(p,s)` storage, or undefined for other types. */
export function numberStorage(storage: string): { precision: number; scale: number } | undefined {
  const match = /^NUMBER\((\d+),(\d+)\)$/.exec(normalizeStorage(storage));
  return match ? { precision: Number(match[1]), scale: Number(match[2]) } : undefined;
}

/**
 * The decimal storage values of `type` meet in a column stored as `storage`: its precision and scale, and whether
 * values need the exactness check — checked logical decimals, and columns narrower than the logical type (e.g. a
 * column widened to unconstrained that kept its scale of 2).
 */
export function storedDecimal(
  type: Extract<LogicalType, { kind: 'decimal' }>,
  storage: string | undefined,
): DecimalStorage {
  const exact = decimalStorage(type);
  const actual = storage === undefined ? undefined : numberStorage(storage);
  if (actual === undefined) return exact;
  const narrower = actual.precision - actual.scale < exact.precision - exact.scale || actual.scale < exact.scale;
  return { precision: actual.precision, scale: actual.scale, checked: exact.checked || narrower };
}

/**
 * The storage a column stored as `current` needs to hold `to` after a widening, when Snowflake can change it in
 * place: a longer VARCHAR, or a NUMBER with more precision and the same scale (Snowflake cannot change a NUMBER's
 * scale, nor turn one type into another). Returns `current` when no DDL is needed, or `undefined` when the change
 * is impossible in place.
 */
export function widenedStorage(current: string, to: LogicalType): string | undefined {
  const now = normalizeStorage(current);
  const wanted = normalizeStorage(snowflakeTypeName(to));
  if (now === wanted) return current;
  const fromNumber = numberStorage(now);
  if (to.kind === 'decimal' && fromNumber) {
    const storage = decimalStorage(to);
    if (storage.checked) {
      // Keep the scale the column has; more integer digits only.
      return fromNumber.precision === MAX_NUMBER_PRECISION
        ? current
        : `NUMBER(${MAX_NUMBER_PRECISION},${fromNumber.scale})`;
    }
    if (storage.scale !== fromNumber.scale || storage.precision < fromNumber.precision) return undefined;
    return `NUMBER(${storage.precision},${storage.scale})`;
  }
  const toNumber = numberStorage(wanted);
  if (fromNumber && toNumber) {
    if (toNumber.scale !== fromNumber.scale || toNumber.precision < fromNumber.precision) return undefined;
    return wanted;
  }
  const fromText = /^VARCHAR(?:\((\d+)\))?$/.exec(now);
  const toText = /^VARCHAR(?:\((\d+)\))?$/.exec(wanted);
  if (fromText && toText) {
    const fromLength = fromText[1] === undefined ? MAX_VARCHAR_LENGTH : Number(fromText[1]);
    const toLength = toText[1] === undefined ? MAX_VARCHAR_LENGTH : Number(toText[1]);
    return toLength >= fromLength ? wanted : undefined;
  }
  return undefined;
}
