import {
  DELETED_AT_COLUMN,
  SYNCED_AT_COLUMN,
  WarehouseError,
  compareLogicalTypes,
  formatLogicalType,
  qualifiedName,
  quoteIdentifier,
  quoteLiteral,
  tableLabel,
  type EnsureTableResult,
  type LogicalType,
  type TableSchema,
} from '@sluice/warehouse';
import { columnComment, tableComment } from '@sluice/warehouse';
import { MAX_DECIMAL_WIDTH, UNCONSTRAINED_DECIMAL_SCALE, decimalStorage, duckDbTypeName } from './duckdb-dialect.js';
import { arrayElement, normalizeTypeName, storesLogicalType } from './duckdb-type.js';
import { findColumn, isMetadataColumn, type WarehouseTable } from './warehouse-table.js';

/** The statements that bring a table to a schema, and what they change. */
export interface EnsureTablePlan {
  readonly statements: readonly string[];
  readonly result: EnsureTableResult;
}

/**
 * Plan `ensureTable` (pure): create the table, or evolve `existing` towards `desired` — add new columns, widen
 * types in place, keep dropped columns, record logical types and the key in comments. No primary-key constraint
 * is created: DuckDB checks one on every write and makes updates slow; the load's de-duplication and
 * delete-then-insert by key keep keys unique.
 *
 * Throws `INCOMPATIBLE_SCHEMA_CHANGE` (naming table, columns, both types and the remedy) before any statement is
 * planned, so an incompatible change alters nothing; `INVALID_LOAD_REQUEST` for a schema no table can have.
 */
export function planEnsureTable(
  existing: WarehouseTable | undefined,
  desired: TableSchema,
  options: { readonly softDelete: boolean },
): EnsureTablePlan {
  validateTableSchema(desired);
  const table = qualifiedName(desired);
  if (existing === undefined) {
    const definitions = [
      ...desired.columns.map((c) => `${quoteIdentifier(c.name)} ${duckDbTypeName(c.type)}`),
      `${quoteIdentifier(SYNCED_AT_COLUMN)} TIMESTAMPTZ`,
      ...(options.softDelete ? [`${quoteIdentifier(DELETED_AT_COLUMN)} TIMESTAMPTZ`] : []),
    ];
    return {
      statements: [
        `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(desired.schema)}`,
        `CREATE TABLE ${table} (\n  ${definitions.join(',\n  ')}\n)`,
        `COMMENT ON TABLE ${table} IS ${quoteLiteral(tableComment(desired.primaryKey))}`,
        ...desired.columns.map((c) => commentOnColumn(desired, c.name, columnComment(c))),
      ],
      result: { created: true, addedColumns: [], widenedColumns: [], droppedColumns: [] },
    };
  }
  if (existing.kind !== 'table') {
    throw new WarehouseError(
      'INCOMPATIBLE_SCHEMA_CHANGE',
      `${tableLabel(desired)} is a view in the warehouse, not a table. Drop the view or load the source table under another name.`,
      { table: tableLabel(desired) },
    );
  }

  const problems: string[] = [];
  if (existing.primaryKey !== undefined && !sameNames(existing.primaryKey, desired.primaryKey)) {
    problems.push(
      `the primary key changed from (${existing.primaryKey.join(', ')}) to (${desired.primaryKey.join(', ')})`,
    );
  }
  const statements: string[] = [];
  const added: string[] = [];
  const widened: string[] = [];
  for (const column of desired.columns) {
    const current = findColumn(existing, column.name);
    if (current === undefined) {
      added.push(column.name);
      statements.push(`ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(column.name)} ${duckDbTypeName(column.type)}`);
      statements.push(commentOnColumn(desired, column.name, columnComment(column)));
      continue;
    }
    // A type mapped back from DuckDB's column type is a guess (VARCHAR has no length, no CHAR, no enum): when the
    // column already stores the new type exactly, there is nothing to change but the record.
    const change =
      !current.recorded && storesLogicalType(column.type, current.dataType)
        ? 'same'
        : compareLogicalTypes(current.type, column.type);
    if (change === 'incompatible') {
      problems.push(
        `column "${column.name}" changed type from ${formatLogicalType(current.type)} to ${formatLogicalType(column.type)}`,
      );
      continue;
    }
    if (change === 'widen') {
      widened.push(column.name);
      const storage = widenedStorage(current.dataType, column.type);
      if (normalizeTypeName(storage) !== normalizeTypeName(current.dataType)) {
        statements.push(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdentifier(current.name)} TYPE ${storage}`);
      }
    }
    if (
      change === 'widen' ||
      !current.recorded ||
      current.nullable !== column.nullable ||
      current.name !== column.name
    ) {
      statements.push(commentOnColumn(desired, current.name, columnComment(column)));
    }
  }
  if (problems.length > 0) {
    throw new WarehouseError(
      'INCOMPATIBLE_SCHEMA_CHANGE',
      `${tableLabel(desired)}: ${problems.join('; ')}. The warehouse table cannot follow without losing or ` +
        `reinterpreting values, so nothing was changed. Resync the table: drop it and load it again in full ` +
        `(its other tables are not affected).`,
      { table: tableLabel(desired) },
    );
  }
  if (existing.primaryKey === undefined) {
    statements.push(`COMMENT ON TABLE ${table} IS ${quoteLiteral(tableComment(desired.primaryKey))}`);
  }
  if (findColumn(existing, SYNCED_AT_COLUMN) === undefined) {
    statements.push(`ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(SYNCED_AT_COLUMN)} TIMESTAMPTZ`);
  }
  if (options.softDelete && findColumn(existing, DELETED_AT_COLUMN) === undefined) {
    statements.push(`ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(DELETED_AT_COLUMN)} TIMESTAMPTZ`);
  }
  const wanted = new Set(desired.columns.map((c) => c.name.toLowerCase()));
  const dropped = existing.columns
    .filter((c) => !isMetadataColumn(c.name) && !wanted.has(c.name.toLowerCase()))
    .map((c) => c.name);
  return {
    statements,
    result: { created: false, addedColumns: added, widenedColumns: widened, droppedColumns: dropped },
  };
}

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

function integerAndScale(dataType: string): { width: number; scale: number } | undefined {
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/i.exec(dataType.replace(/\s+/g, ''));
  if (decimal) return { width: Number(decimal[1]), scale: Number(decimal[2]) };
  const integers: Record<string, number> = { TINYINT: 3, SMALLINT: 5, INTEGER: 10, BIGINT: 19 };
  const width = integers[dataType.trim().toUpperCase()];
  return width === undefined ? undefined : { width, scale: 0 };
}

function commentOnColumn(table: TableSchema, column: string, comment: string): string {
  return `COMMENT ON COLUMN ${qualifiedName(table)}.${quoteIdentifier(column)} IS ${quoteLiteral(comment)}`;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name.toLowerCase() === b[i]?.toLowerCase());
}

/** Reject a table schema no warehouse table can have: no columns, names DuckDB cannot tell apart, Sluice's own names. */
export function validateTableSchema(table: TableSchema): void {
  const where = tableLabel(table);
  const fail = (problem: string) => {
    throw new WarehouseError('INVALID_LOAD_REQUEST', `${where}: ${problem}`, { table: where });
  };
  if (table.columns.length === 0) fail('the table has no columns.');
  const seen = new Map<string, string>();
  for (const column of table.columns) {
    if (isMetadataColumn(column.name)) {
      fail(
        `column "${column.name}" uses a name Sluice reserves for its own metadata; exclude or rename it in the source query.`,
      );
    }
    const other = seen.get(column.name.toLowerCase());
    if (other !== undefined) {
      fail(
        `columns "${other}" and "${column.name}" differ only in case, which DuckDB cannot tell apart; exclude or rename one.`,
      );
    }
    seen.set(column.name.toLowerCase(), column.name);
  }
  for (const key of table.primaryKey) {
    if (!seen.has(key.toLowerCase())) fail(`primary-key column "${key}" is not one of the table's columns.`);
  }
}
