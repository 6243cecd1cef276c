import { WarehouseError } from './errors.js';
import type { TableDialect } from './table-dialect.js';
import { DELETED_AT_COLUMN, tableLabel, type Column } from './table-schema.js';
import type { LoadRequest } from './warehouse.js';
import { findColumn, isMetadataName, type WarehouseTable } from './warehouse-table.js';

/** A load request checked against its warehouse table: the files' columns and the key, with their logical types. */
export interface ValidatedLoad {
  /** `request.columns`, in file order. */
  readonly columns: readonly Column[];
  /** The primary-key columns, in key order (empty for a table without a key). */
  readonly keys: readonly Column[];
}

/**
 * Check a load request against the warehouse table, for any engine (pure); every engine calls it before planning.
 * Throws `INVALID_LOAD_REQUEST` naming the table and the problem: a view; a column the schema or the warehouse table
 * lacks, one of Sluice's metadata columns, or one listed twice (as the engine compares names); files without
 * columns; `merge` without a key; a key or `newestBy` column missing from the files; deletes without a key, with
 * `append` (a table without a key), or `mark` without `_sluice_deleted_at`.
 *
 * @example const { columns, keys } = validateLoad(request, table, duckDbTableDialect);
 */
export function validateLoad(request: LoadRequest, table: WarehouseTable, dialect: TableDialect): ValidatedLoad {
  const where = tableLabel(request.table);
  const fail = (problem: string): never => {
    throw new WarehouseError('INVALID_LOAD_REQUEST', `Load into ${where}: ${problem}`, { table: where });
  };
  if (table.kind !== 'table') fail('it is a view in the warehouse, not a table.');
  const columns = request.columns.map((name) => {
    const column = request.table.columns.find((c) => c.name === name);
    if (column === undefined) return fail(`column "${name}" is not a column of the table schema.`);
    if (isMetadataName(name, dialect)) return fail(`column "${name}" is one of Sluice's metadata columns.`);
    if (findColumn(table, name, dialect) === undefined) {
      return fail(
        `column "${name}" does not exist in the warehouse table; run ensureTable with the current schema first.`,
      );
    }
    return column;
  });
  const listed = new Set<string>();
  for (const name of request.columns) {
    const key = dialect.nameKey(name);
    if (listed.has(key)) fail(`column "${name}" is listed twice (${dialect.engineName} ${dialect.nameRule}).`);
    listed.add(key);
  }
  const keys = request.table.primaryKey.map((name) => {
    const key = dialect.nameKey(name);
    const column = request.table.columns.find((c) => dialect.nameKey(c.name) === key);
    return column ?? fail(`primary-key column "${name}" is not one of the table's columns.`);
  });
  if (request.files.length > 0 && columns.length === 0) fail('the files have no columns.');
  if (request.mode === 'merge' && keys.length === 0) {
    fail('mode "merge" needs a primary key; load the table with mode "replace" or "append".');
  }
  if (request.mode === 'merge' || (request.mode === 'replace' && request.files.length > 0)) {
    for (const key of keys) {
      if (!listed.has(dialect.nameKey(key.name)))
        fail(`primary-key column "${key.name}" is not among the files' columns.`);
    }
  }
  for (const name of request.newestBy ?? []) {
    if (!request.columns.includes(name)) fail(`newestBy column "${name}" is not among the files' columns.`);
  }
  if (request.deletes && request.deletes.files.length > 0) {
    if (keys.length === 0) fail('deletes need a primary key to find the rows.');
    if (request.mode === 'append') {
      fail('deletes cannot be combined with mode "append" (a table without a key); use "merge".');
    }
    if (request.deletes.mode === 'mark' && findColumn(table, DELETED_AT_COLUMN, dialect) === undefined) {
      fail(
        `deletes mode "mark" needs the ${DELETED_AT_COLUMN} column; run ensureTable with { softDelete: true } first.`,
      );
    }
  }
  return { columns, keys };
}
