import { quoteIdentifier, quoteLiteral, type LogicalType } from '@sluice/warehouse';
import { decimalStorage, duckDbTypeName, type DecimalStorage } from './duckdb-dialect.js';
import { arrayElement } from './duckdb-type.js';

/** Prefix of the DuckDB `error()` message a load raises for a value the column cannot hold exactly. */
export const UNREPRESENTABLE_MARKER = 'SLUICE_UNREPRESENTABLE_VALUE ';

/** How one column of a chunk file is read by `read_csv` and turned into the value stored. */
export interface ChunkColumnRead {
  /** The type `read_csv` parses the field as. */
  readonly readType: string;
  /** The SQL expression, over the read column, that yields the stored value. */
  readonly select: string;
}

/** Where a decoded value goes, for the messages of values that cannot be stored. */
export interface DecodeContext {
  /** `schema.table`, for messages. */
  readonly table: string;
  readonly column: string;
  /** The SQL expression naming the file a row came from. */
  readonly fileExpression: string;
}

/**
 * Kinds `read_csv` parses exactly as the chunk format writes them, failing (with file and line) on anything else.
 * Not in the list, and read as text then decoded in SQL: decimals (NaN/Infinity, exactness), bytes (hex), arrays
 * (JSON); dates (and those in arrays, written as Postgres's JSON writes them: DuckDB reads its `0044-03-15 BC` as
 * the year 44 AD); timestamptz, because read_csv (DuckDB 1.5.6) turns a TIMESTAMPTZ field it cannot parse into
 * NULL instead of failing.
 */
const READ_TYPED = new Set<LogicalType['kind']>([
  'smallint',
  'integer',
  'bigint',
  'real',
  'double',
  'boolean',
  'text',
  'char',
  'enum',
  'timestamp',
  'time',
  'interval',
  'uuid',
  'json',
]);

/**
 * How to read a chunk-file column (format: `@sluice/warehouse` chunk-file.ts) of logical type `type` into a DuckDB
 * column of type `storage` (as the catalog spells it; empty when unknown).
 */
export function chunkColumnRead(type: LogicalType, storage: string, context: DecodeContext): ChunkColumnRead {
  const ref = quoteIdentifier(context.column);
  if (READ_TYPED.has(type.kind)) return { readType: duckDbTypeName(type), select: ref };
  return { readType: 'VARCHAR', select: decodeText(ref, type, storage === '' ? undefined : storage, context, 0) };
}

/** SQL turning chunk-format text `value` into a value of `type` stored as `storage`. */
function decodeText(
  value: string,
  type: LogicalType,
  storage: string | undefined,
  context: DecodeContext,
  depth: number,
): string {
  switch (type.kind) {
    case 'text':
    case 'char':
    case 'enum':
      return value;
    case 'decimal':
      return decodeDecimal(value, storedDecimal(type, storage), context);
    case 'bytes':
      return `from_hex(${value})`;
    case 'date':
      // A column's dates come in ISO 8601's astronomical numbering before year 1 (`-0043-03-15`), which DuckDB reads;
      // an array's elements as Postgres's JSON writes them (`0044-03-15 BC`), which DuckDB would read as 44 AD:
      // that text is turned into the other.
      return `CAST(${astronomical(value)} AS DATE)`;
    case 'timestamp':
    case 'timestamptz':
      return `CAST(${astronomical(value)} AS ${duckDbTypeName(type)})`;
    case 'array':
      return decodeArray(
        value,
        type.element,
        storage === undefined ? undefined : arrayElement(storage),
        context,
        depth,
      );
    default:
      return `CAST(${value} AS ${duckDbTypeName(type)})`;
  }
}

/** Postgres's `0044-03-15[ time] BC` as `-0043-03-15[ time]` (1 BC is year 0); any other text as it is. */
function astronomical(value: string): string {
  const year = `CAST(left(${value}, 4) AS INTEGER)`;
  return (
    `CASE WHEN ${value} LIKE '% BC' THEN CASE WHEN ${year} = 1 THEN '0000' ` +
    `ELSE '-' || lpad(CAST(${year} - 1 AS VARCHAR), 4, '0') END || substr(${value}, 5, length(${value}) - 7) ` +
    `ELSE ${value} END`
  );
}

/**
 * A decimal stored in `storage`: its width and scale, and whether values need the exactness check — for checked
 * logical decimals (unconstrained, precision over 38) and for columns narrower than the logical type.
 */
function storedDecimal(type: Extract<LogicalType, { kind: 'decimal' }>, storage: string | undefined): DecimalStorage {
  const exact = decimalStorage(type);
  const match = storage === undefined ? null : /^DECIMAL\((\d+),(\d+)\)$/i.exec(storage.replace(/\s+/g, ''));
  if (!match) return exact;
  const width = Number(match[1]);
  const scale = Number(match[2]);
  const narrower = width - scale < exact.width - exact.scale || scale < exact.scale;
  return { width, scale, checked: exact.checked || narrower };
}

function decodeDecimal(value: string, storage: DecimalStorage, context: DecodeContext): string {
  const type = `DECIMAL(${storage.width},${storage.scale})`;
  const special = `${value} IN ('NaN', 'Infinity', '-Infinity')`;
  const reason = storage.checked
    ? `DuckDB decimals hold no NaN or Infinity, and this column keeps ${storage.width - storage.scale} integer and ${storage.scale} fraction digits`
    : 'DuckDB decimals hold no NaN or Infinity';
  const bad = storage.checked
    ? `${special} OR NOT regexp_full_match(${value}, ${quoteLiteral(exactDecimalPattern(storage))})`
    : special;
  return [
    'CASE',
    `WHEN ${value} IS NULL THEN NULL`,
    `WHEN ${bad} THEN ${unrepresentable(value, type, reason, context)}`,
    `ELSE CAST(${value} AS ${type})`,
    'END',
  ].join(' ');
}

/**
 * Postgres numeric text (`-123.4500`, never an exponent) that `DECIMAL(width,scale)` holds exactly: at most
 * `width - scale` integer digits, and at most `scale` fraction digits before trailing zeros.
 */
export function exactDecimalPattern(storage: { readonly width: number; readonly scale: number }): string {
  const integerDigits = storage.width - storage.scale;
  const integer = integerDigits >= 1 ? `(0|[1-9][0-9]{0,${integerDigits - 1}})` : '0';
  const fraction = storage.scale >= 1 ? `(\\.[0-9]{0,${storage.scale}}0*)?` : '(\\.0*)?';
  return `-?${integer}${fraction}`;
}

/** `error(…)` carrying what the warehouse needs for an `UNREPRESENTABLE_VALUE` error, as JSON. */
function unrepresentable(value: string, type: string, reason: string, context: DecodeContext): string {
  const details =
    `{'table': ${quoteLiteral(context.table)}, 'column': ${quoteLiteral(context.column)}, 'type': ${quoteLiteral(type)}, ` +
    `'reason': ${quoteLiteral(reason)}, 'value': ${value}, 'file': ${context.fileExpression}}`;
  return `error(${quoteLiteral(UNREPRESENTABLE_MARKER)} || CAST(to_json(${details}) AS VARCHAR))`;
}

/**
 * A JSON array of elements rendered as text (chunk format) into a LIST. Decimal elements are cut out of the JSON
 * text with a pattern rather than parsed, because DuckDB's JSON reader turns numbers into doubles and would round
 * them; everything else goes through `json_extract_string`.
 */
function decodeArray(
  value: string,
  element: LogicalType,
  elementStorage: string | undefined,
  context: DecodeContext,
  depth: number,
): string {
  const e = `e${depth}`;
  if (element.kind === 'decimal') {
    const t = `t${depth}`;
    const tokens = `list_transform(regexp_extract_all(${value}, ${quoteLiteral('"[^"]*"|[^\\s\\[\\],]+')}), lambda ${t}: CASE WHEN ${t} = 'null' THEN NULL ELSE trim(${t}, '"') END)`;
    const decoded = `list_transform(${tokens}, lambda ${e}: ${decodeDecimal(e, storedDecimal(element, elementStorage), context)})`;
    const nested = `strpos(substr(${value}, 2), '[') > 0`;
    const message = `error(${quoteLiteral(`${context.table} column "${context.column}": multi-dimensional arrays are not supported: `)} || ${value})`;
    return `CASE WHEN ${nested} THEN ${message} ELSE ${decoded} END`;
  }
  const elements = `json_extract_string(${value}, '$[*]')`;
  const decoded = decodeText(e, element, elementStorage, context, depth + 1);
  return decoded === e ? elements : `list_transform(${elements}, lambda ${e}: ${decoded})`;
}
