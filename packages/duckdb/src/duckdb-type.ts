import type { LogicalType } from '@sluice/warehouse';
import { decimalStorage, duckDbTypeName, MAX_DECIMAL_WIDTH } from './duckdb-dialect.js';

/**
 * The logical type of a DuckDB column type as `duckdb_columns().data_type` spells it. Types with no logical
 * counterpart map to the nearest exact one: unsigned and HUGEINT integers to decimals, STRUCT/MAP/UNION to json,
 * TIME WITH TIME ZONE and BIT to text, GEOMETRY to bytes.
 *
 * @example logicalTypeFromDuckDb('DECIMAL(10,2)[]') // { kind: 'array', element: { kind: 'decimal', precision: 10, scale: 2 } }
 */
export function logicalTypeFromDuckDb(dataType: string): LogicalType {
  const type = dataType.trim();
  const element = arrayElement(type);
  if (element !== undefined) return { kind: 'array', element: logicalTypeFromDuckDb(element) };
  const upper = type.toUpperCase();
  const decimal = /^(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(upper);
  if (decimal) return { kind: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2] ?? 0) };
  if (upper.startsWith('ENUM(')) return { kind: 'enum', name: '', values: enumLabels(type) };
  if (/^(STRUCT|MAP|UNION|VARIANT)\b/.test(upper)) return { kind: 'json' };
  switch (upper) {
    case 'TINYINT':
    case 'UTINYINT':
    case 'SMALLINT':
      return { kind: 'smallint' };
    case 'USMALLINT':
    case 'INTEGER':
      return { kind: 'integer' };
    case 'UINTEGER':
    case 'BIGINT':
      return { kind: 'bigint' };
    case 'UBIGINT':
      return { kind: 'decimal', precision: 20, scale: 0 };
    case 'HUGEINT':
    case 'UHUGEINT':
      return { kind: 'decimal', precision: 39, scale: 0 };
    case 'BIGNUM':
    case 'VARINT':
      return { kind: 'decimal' };
    case 'FLOAT':
    case 'REAL':
      return { kind: 'real' };
    case 'DOUBLE':
      return { kind: 'double' };
    case 'BOOLEAN':
      return { kind: 'boolean' };
    case 'DATE':
      return { kind: 'date' };
    case 'TIMESTAMP':
    case 'TIMESTAMP_S':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_NS':
      return { kind: 'timestamp' };
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMPTZ':
      return { kind: 'timestamptz' };
    case 'TIME':
    case 'TIME_NS':
      return { kind: 'time' };
    case 'INTERVAL':
      return { kind: 'interval' };
    case 'UUID':
      return { kind: 'uuid' };
    case 'JSON':
      return { kind: 'json' };
    case 'BLOB':
    case 'GEOMETRY':
      return { kind: 'bytes' };
    default:
      return { kind: 'text' };
  }
}

/**
 * True when a column of DuckDB type `dataType` is the storage Sluice chooses for `type`, so a recorded logical type
 * can be trusted. A checked decimal (unconstrained, or precision above 38) accepts any `DECIMAL(38,s)`: widening keeps
 * the scale it already had.
 */
export function storesLogicalType(type: LogicalType, dataType: string): boolean {
  const physical = dataType.trim();
  if (type.kind === 'array') {
    const element = arrayElement(physical);
    return element !== undefined && storesLogicalType(type.element, element);
  }
  if (type.kind === 'decimal' && decimalStorage(type).checked) {
    const match = /^DECIMAL\((\d+),(\d+)\)$/i.exec(physical);
    return match !== null && Number(match[1]) === MAX_DECIMAL_WIDTH;
  }
  return normalizeTypeName(duckDbTypeName(type)) === normalizeTypeName(physical);
}

/** One spelling per DuckDB type, for comparisons (`TIMESTAMPTZ` and `TIMESTAMP WITH TIME ZONE` are one type). */
export function normalizeTypeName(dataType: string): string {
  const upper = dataType
    .trim()
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1');
  return upper.replaceAll('TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE');
}

/** For `T[]` or `T[n]`, the element type `T`; otherwise undefined. */
export function arrayElement(dataType: string): string | undefined {
  const type = dataType.trim();
  if (!type.endsWith(']')) return undefined;
  const open = type.lastIndexOf('[');
  if (open <= 0) return undefined;
  if (!/^\d*$/.test(type.slice(open + 1, -1))) return undefined;
  return type.slice(0, open);
}

function enumLabels(type: string): string[] {
  const labels: string[] = [];
  const pattern = /'((?:[^']|'')*)'/g;
  for (let match = pattern.exec(type); match !== null; match = pattern.exec(type)) {
    labels.push((match[1] ?? '').replaceAll("''", "'"));
  }
  return labels;
}
