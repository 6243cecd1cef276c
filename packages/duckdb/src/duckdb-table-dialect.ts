import {
  qualifiedName,
  quoteIdentifier,
  quoteLiteral,
  type LogicalType,
  type NewColumn,
  type Relation,
  type TableChange,
  type TableDialect,
} from '@sluice/warehouse';
import { MAX_DECIMAL_WIDTH, UNCONSTRAINED_DECIMAL_SCALE, decimalStorage, duckDbTypeName } from './duckdb-dialect.js';
import { arrayElement, logicalTypeFromDuckDb, normalizeTypeName, storesLogicalType } from './duckdb-type.js';

/**
 * DuckDB's answers to the shared table planners (`planEnsureTable`, `validateLoad`, `warehouseTable` of
 * @sluice/warehouse): names compare without case; a column's type is `duckdb_columns().data_type`; every widening
 * is done in place (`ALTER COLUMN … TYPE`); logical types and the key are recorded with `COMMENT ON`. No
 * primary-key constraint: DuckDB checks one on every write and makes updates slow.
 *
 * @example planEnsureTable(undefined, vendas, { softDelete: true }, duckDbTableDialect).statements
 */
export const duckDbTableDialect: TableDialect = {
  engineName: 'DuckDB',
  nameRule: 'compares names without case',
  nameKey: (name) => name.toLowerCase(),
  typeName: duckDbTypeName,
  normalizeStorage: normalizeTypeName,
  storesLogicalType,
  logicalType: logicalTypeFromDuckDb,
  widenedStorage: (current, to) => ({ storage: widenedStorage(current, to) }),
  tableStatements,
};

/**
 * The DuckDB type a column of type `current` becomes when widened to `to`. A checked decimal (unconstrained, or
 * precision above 38) keeps every integer and fraction digit the column already holds: `DECIMAL(38, s)` with
 * `s = max(current scale, min(18, 38 - current integer digits))`.
 */
export function widenedStorage(current: string, to: LogicalType): string {
  if (to.kind === 'array') {
    const element = arrayElement(current);
    return `${element === undefined ? duckDbTypeName(to.element) : widenedStorage(element, to.element)}[]`;
  }
  if (to.kind === 'decimal' && decimalStorage(to).checked) {
    const digits = integerAndScale(current);
    if (digits !== undefined) {
      const integerDigits = digits.width - digits.scale;
      const scale = Math.max(digits.scale, Math.min(UNCONSTRAINED_DECIMAL_SCALE, MAX_DECIMAL_WIDTH - integerDigits));
      return `DECIMAL(${MAX_DECIMAL_WIDTH},${scale})`;
    }
  }
  return duckDbTypeName(to);
}

/** DuckDB DDL, one statement per change: CREATE TABLE, ALTER TABLE … ADD / ALTER COLUMN … TYPE, COMMENT ON. */
function tableStatements(change: TableChange): string[] {
  const table = qualifiedName(change.table);
  const definition = (c: NewColumn) => `${quoteIdentifier(c.name)} ${c.typeSql}`;
  const comments = (columns: readonly NewColumn[]) =>
    columns.flatMap((c) => (c.comment === undefined ? [] : [commentOnColumn(change.table, c.name, c.comment)]));
  if (change.kind === 'create') {
    return [
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(change.table.schema)}`,
      `CREATE TABLE ${table} (\n  ${change.columns.map(definition).join(',\n  ')}\n)`,
      `COMMENT ON TABLE ${table} IS ${quoteLiteral(change.tableComment)}`,
      ...comments(change.columns),
    ];
  }
  const add = (c: NewColumn) => `ALTER TABLE ${table} ADD COLUMN ${definition(c)}`;
  return [
    ...change.columns.flatMap((c) => {
      if (c.kind === 'add') return [add(c.column), ...comments([c.column])];
      if (c.kind === 'alter-type')
        return [`ALTER TABLE ${table} ALTER COLUMN ${quoteIdentifier(c.column)} TYPE ${c.typeSql}`];
      return [commentOnColumn(change.table, c.column, c.comment)];
    }),
    ...(change.tableComment === undefined ? [] : [`COMMENT ON TABLE ${table} IS ${quoteLiteral(change.tableComment)}`]),
    ...change.metadataColumns.map(add),
  ];
}

function integerAndScale(dataType: string): { width: number; scale: number } | undefined {
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/i.exec(dataType.replace(/\s+/g, ''));
  if (decimal) return { width: Number(decimal[1]), scale: Number(decimal[2]) };
  const integers: Record<string, number> = { TINYINT: 3, SMALLINT: 5, INTEGER: 10, BIGINT: 19 };
  const width = integers[dataType.trim().toUpperCase()];
  return width === undefined ? undefined : { width, scale: 0 };
}

function commentOnColumn(table: Relation, column: string, comment: string): string {
  return `COMMENT ON COLUMN ${qualifiedName(table)}.${quoteIdentifier(column)} IS ${quoteLiteral(comment)}`;
}
