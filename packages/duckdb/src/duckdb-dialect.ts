import { qualifiedName, quoteIdentifier, type LogicalType, type Relation, type SqlDialect } from '@sluice/warehouse';
import { mergeStatement } from './merge-statement.js';

/** The widest DECIMAL DuckDB has. */
export const MAX_DECIMAL_WIDTH = 38;
/**
 * Fraction digits kept for a decimal whose values DuckDB cannot hold for sure (Postgres's unconstrained `numeric`,
 * or a precision above 38): `DECIMAL(38,18)` — 20 integer digits (every bigint fits) and 18 fraction digits.
 * Such columns are checked value by value at load time (see README, "Decimals").
 */
export const UNCONSTRAINED_DECIMAL_SCALE = 18;

/** How a logical decimal is stored: the DuckDB width and scale, and whether every value must be checked on load. */
export interface DecimalStorage {
  readonly width: number;
  readonly scale: number;
  /** True when some source values may not fit `DECIMAL(width,scale)` exactly: each value is checked on load. */
  readonly checked: boolean;
}

/**
 * The DuckDB storage of a logical decimal. `decimal(p,s)` with `p ≤ 38` is stored as is (a negative scale or a
 * scale above the precision is widened to an equivalent exact type); anything wider, and the unconstrained decimal,
 * is `DECIMAL(38, min(s, 18))`, checked on load.
 *
 * @example decimalStorage({ kind: 'decimal', precision: 10, scale: 2 }) // { width: 10, scale: 2, checked: false }
 */
export function decimalStorage(type: Extract<LogicalType, { kind: 'decimal' }>): DecimalStorage {
  if (type.precision === undefined) {
    return { width: MAX_DECIMAL_WIDTH, scale: UNCONSTRAINED_DECIMAL_SCALE, checked: true };
  }
  const scale = Math.max(type.scale ?? 0, 0);
  const integerDigits = Math.max(type.precision - (type.scale ?? 0), 0);
  const width = Math.max(integerDigits + scale, 1);
  if (width <= MAX_DECIMAL_WIDTH) return { width, scale, checked: false };
  return { width: MAX_DECIMAL_WIDTH, scale: Math.min(scale, UNCONSTRAINED_DECIMAL_SCALE), checked: true };
}

/**
 * The DuckDB column type for a logical type.
 *
 * | logical | DuckDB |
 * |---|---|
 * | smallint, integer, bigint | SMALLINT, INTEGER, BIGINT |
 * | decimal(p,s), p ≤ 38 | DECIMAL(p,s) |
 * | decimal (unconstrained), p > 38 | DECIMAL(38, min(s,18)), checked on load |
 * | real, double | FLOAT, DOUBLE |
 * | text, char(n), enum | VARCHAR (DuckDB keeps no length; char keeps its padding) |
 * | timestamp, timestamptz, time, date, interval | TIMESTAMP, TIMESTAMPTZ, TIME, DATE, INTERVAL (microseconds) |
 * | uuid, json, bytes | UUID, JSON (the exact text), BLOB |
 * | array<T> | T[] (a LIST) |
 *
 * @example duckDbTypeName({ kind: 'array', element: { kind: 'integer' } }) // 'INTEGER[]'
 */
export function duckDbTypeName(type: LogicalType): string {
  switch (type.kind) {
    case 'smallint':
      return 'SMALLINT';
    case 'integer':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'decimal': {
      const { width, scale } = decimalStorage(type);
      return `DECIMAL(${width},${scale})`;
    }
    case 'real':
      return 'FLOAT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'text':
    case 'char':
    case 'enum':
      return 'VARCHAR';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'time':
      return 'TIME';
    case 'interval':
      return 'INTERVAL';
    case 'uuid':
      return 'UUID';
    case 'json':
      return 'JSON';
    case 'bytes':
      return 'BLOB';
    case 'array':
      return `${duckDbTypeName(type.element)}[]`;
  }
}

/**
 * The SQL DuckDB speaks for the statements that differ between engines.
 *
 * @example duckDbDialect.createOrReplaceView({ schema: 'stage', name: 'stg_vendas' }, 'select 1 as x')
 */
export const duckDbDialect: SqlDialect = {
  quoteIdentifier,
  qualify: (relation: Relation) => qualifiedName(relation),
  typeName: duckDbTypeName,
  // DuckDB has no grants, no Fail-safe and no clustering keys: view and table options change nothing here.
  createOrReplaceView: (relation, sql) => `CREATE OR REPLACE VIEW ${qualifiedName(relation)} AS\n${sql}`,
  // One statement, so one transaction: readers see the old table or the new one.
  createOrReplaceTableAs: (relation, sql) => `CREATE OR REPLACE TABLE ${qualifiedName(relation)} AS\n${sql}`,
  mergeInto: (target, sourceSql, keys, columns, options = {}) =>
    mergeStatement({
      target,
      sourceSql,
      keys,
      columns,
      ...(options.predicates ? { predicates: options.predicates } : {}),
    }),
  dropRelation: (relation, kind) => `DROP ${kind === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS ${qualifiedName(relation)}`,
  castToText: (expression) => `CAST(${expression} AS VARCHAR)`,
  // `/` divides integers as DOUBLEs (keys beyond 2^53 lose digits); `//` truncates, so step down for a negative rest.
  floorDivide: (dividend, divisor) =>
    `CAST(${dividend} // ${divisor} - CASE WHEN ${dividend} % ${divisor} < 0 THEN 1 ELSE 0 END AS BIGINT)`,
};
