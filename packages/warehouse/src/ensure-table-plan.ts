import { columnComment, tableComment } from './column-metadata.js';
import { WarehouseError } from './errors.js';
import { compareLogicalTypes, formatLogicalType } from './logical-type.js';
import type { ColumnChange, NewColumn, TableChange, TableDialect } from './table-dialect.js';
import { DELETED_AT_COLUMN, SYNCED_AT_COLUMN, tableLabel, type Column, type TableSchema } from './table-schema.js';
import type { EnsureTableResult } from './warehouse.js';
import { findColumn, isMetadataColumn, isMetadataName, type WarehouseTable } from './warehouse-table.js';

/** The statements that bring a table to a schema, and what they change. */
export interface EnsureTablePlan {
  readonly statements: readonly string[];
  readonly result: EnsureTableResult;
}

/**
 * Plan `ensureTable` (pure), for any engine: create the table — its columns, Sluice's metadata columns (instants),
 * the logical types and the primary key recorded as comments — or evolve `existing` towards `desired`: add new
 * columns, widen types in place, record logical types, keep dropped columns. No primary-key constraint is created:
 * the loads keep keys unique. The engine's `TableDialect` says what its names and types are and renders the DDL.
 *
 * Throws `INCOMPATIBLE_SCHEMA_CHANGE` (naming the table, the columns, both types and the remedy) before any
 * statement is planned when a change cannot be followed — narrowing, a changed type kind or key, a widening the
 * engine cannot do in place; `INVALID_LOAD_REQUEST` for a schema no table can have.
 *
 * @example planEnsureTable(undefined, vendas, { softDelete: true }, duckDbTableDialect).statements
 */
export function planEnsureTable(
  existing: WarehouseTable | undefined,
  desired: TableSchema,
  options: { readonly softDelete: boolean },
  dialect: TableDialect,
): EnsureTablePlan {
  validateTableSchema(desired, dialect);
  const table = { schema: desired.schema, name: desired.name };
  const instant = dialect.typeName({ kind: 'timestamptz' });
  const metadata = [SYNCED_AT_COLUMN, ...(options.softDelete ? [DELETED_AT_COLUMN] : [])];
  if (existing === undefined) {
    const change: TableChange = {
      kind: 'create',
      table,
      columns: [
        ...desired.columns.map((c) => newColumn(c, dialect)),
        ...metadata.map((name) => ({ name, typeSql: instant })),
      ],
      tableComment: tableComment(desired.primaryKey),
    };
    return {
      statements: dialect.tableStatements(change),
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
  const columns = planColumnChanges(existing, desired, dialect);
  const change: TableChange = {
    kind: 'evolve',
    table,
    columns: columns.changes,
    metadataColumns: metadata
      .filter((name) => findColumn(existing, name, dialect) === undefined)
      .map((name) => ({ name, typeSql: instant })),
    tableComment: existing.primaryKey === undefined ? tableComment(desired.primaryKey, existing.comment) : undefined,
  };
  const wanted = new Set(desired.columns.map((c) => dialect.nameKey(c.name)));
  const dropped = existing.columns
    .filter(
      (c) => !isMetadataColumn(c, dialect) && !wanted.has(dialect.catalogNameKey?.(c.name) ?? dialect.nameKey(c.name)),
    )
    .map((c) => dialect.sluiceName?.(c.name) ?? c.name);
  return {
    statements: dialect.tableStatements(change),
    result: { created: false, addedColumns: columns.added, widenedColumns: columns.widened, droppedColumns: dropped },
  };
}

/** The per-column changes from `existing` to `desired`; throws before returning when any change is impossible. */
function planColumnChanges(
  existing: WarehouseTable,
  desired: TableSchema,
  dialect: TableDialect,
): { changes: ColumnChange[]; added: string[]; widened: string[] } {
  const problems: string[] = [];
  if (existing.primaryKey !== undefined && !sameNames(existing.primaryKey, desired.primaryKey, dialect)) {
    problems.push(
      `the primary key changed from (${existing.primaryKey.join(', ')}) to (${desired.primaryKey.join(', ')})`,
    );
  }
  const changes: ColumnChange[] = [];
  const added: string[] = [];
  const widened: string[] = [];
  for (const column of desired.columns) {
    const current = findColumn(existing, column.name, dialect);
    if (current === undefined) {
      added.push(column.name);
      changes.push({ kind: 'add', column: newColumn(column, dialect) });
      continue;
    }
    const changedType = () =>
      `column "${column.name}" changed type from ${formatLogicalType(current.type)} to ${formatLogicalType(column.type)}`;
    // A type mapped back from the engine's column type is a guess (one VARCHAR for many kinds, no CHAR or enum):
    // when the column already stores the new type exactly, only the record changes.
    const change =
      !current.recorded && dialect.storesLogicalType(column.type, current.storage)
        ? 'same'
        : compareLogicalTypes(current.type, column.type);
    if (change === 'incompatible') {
      problems.push(changedType());
      continue;
    }
    if (change === 'widen') {
      const widening = dialect.widenedStorage(current.storage, column.type);
      if ('refusal' in widening) {
        problems.push(
          `${changedType()}, which ${dialect.engineName} cannot do in place ` +
            `(${current.storage} to ${dialect.typeName(column.type)}: ${widening.refusal})`,
        );
        continue;
      }
      widened.push(column.name);
      if (dialect.normalizeStorage(widening.storage) !== dialect.normalizeStorage(current.storage)) {
        changes.push({ kind: 'alter-type', column: current.name, typeSql: widening.storage });
      }
    }
    if (change === 'widen' || !current.recorded || current.nullable !== column.nullable) {
      changes.push({ kind: 'comment', column: current.name, comment: columnComment(column, current.comment) });
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
  return { changes, added, widened };
}

/**
 * Reject a table schema no warehouse table can have: no columns, two names the engine takes for one, Sluice's own
 * names, a key that is not a column.
 */
export function validateTableSchema(table: TableSchema, dialect: TableDialect): void {
  const where = tableLabel(table);
  const fail = (problem: string): never => {
    throw new WarehouseError('INVALID_LOAD_REQUEST', `${where}: ${problem}`, { table: where });
  };
  if (table.columns.length === 0) fail('the table has no columns.');
  const seen = new Map<string, string>();
  for (const column of table.columns) {
    if (isMetadataName(column.name, dialect)) {
      fail(
        `column "${column.name}" uses a name Sluice reserves for its own metadata; exclude or rename it in the source query.`,
      );
    }
    const key = dialect.nameKey(column.name);
    const other = seen.get(key);
    if (other !== undefined) {
      fail(
        `columns "${other}" and "${column.name}" are one name in ${dialect.engineName}, which ${dialect.nameRule}; exclude or rename one.`,
      );
    }
    seen.set(key, column.name);
  }
  for (const key of table.primaryKey) {
    if (!seen.has(dialect.nameKey(key))) fail(`primary-key column "${key}" is not one of the table's columns.`);
  }
}

function newColumn(column: Column, dialect: TableDialect): NewColumn {
  return { name: column.name, typeSql: dialect.typeName(column.type), comment: columnComment(column) };
}

function sameNames(a: readonly string[], b: readonly string[], dialect: TableDialect): boolean {
  return a.length === b.length && a.every((name, i) => dialect.nameKey(name) === dialect.nameKey(b[i] ?? ''));
}
