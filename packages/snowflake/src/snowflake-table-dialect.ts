import type { NewColumn, TableChange, TableDialect } from '@sluice/warehouse';
import {
  qualifySnowflake,
  quoteSnowflakeIdentifier,
  sluiceName,
  snowflakeLiteral,
  snowflakeName,
} from './snowflake-identifier.js';
import {
  logicalTypeFromSnowflake,
  normalizeStorage,
  snowflakeTypeName,
  storesLogicalType,
  widenedStorage,
} from './snowflake-type.js';

/**
 * Snowflake's answers to the shared table planners (`planEnsureTable`, `validateLoad`, `warehouseTable` of
 * @sluice/warehouse): a plain name is stored upper-cased (see snowflake-identifier.ts) and a catalog name is exact;
 * widening in place is limited to a longer VARCHAR and more NUMBER precision (a NUMBER keeps its scale). Every
 * statement may run twice without harm (`IF NOT EXISTS`, `SET DATA TYPE`, `COMMENT`): a retried `ensureTable`
 * repeats them. New columns, their comments and the table's comment go in as few statements as Snowflake allows.
 * No PRIMARY KEY constraint: Snowflake enforces none; the key is recorded and the loads keep it unique.
 *
 * @example planEnsureTable(undefined, vendas, { softDelete: true }, snowflakeTableDialect).statements
 */
export const snowflakeTableDialect: TableDialect = {
  engineName: 'Snowflake',
  nameRule: 'folds plain names to upper case',
  nameKey: snowflakeName,
  catalogNameKey: (stored) => stored,
  sluiceName,
  typeName: snowflakeTypeName,
  normalizeStorage,
  storesLogicalType,
  logicalType: logicalTypeFromSnowflake,
  widenedStorage: (current, to) => {
    const storage = widenedStorage(current, to);
    return storage === undefined ? { refusal: 'a NUMBER keeps its scale' } : { storage };
  },
  tableStatements,
};

/** Snowflake DDL: CREATE TABLE IF NOT EXISTS with inline comments; one ALTER per kind of change. */
function tableStatements(change: TableChange): string[] {
  const q = quoteSnowflakeIdentifier;
  const table = qualifySnowflake(change.table);
  const definition = (c: NewColumn) =>
    `${q(c.name)} ${c.typeSql}${c.comment === undefined ? '' : ` COMMENT ${snowflakeLiteral(c.comment)}`}`;
  if (change.kind === 'create') {
    return [
      `CREATE SCHEMA IF NOT EXISTS ${q(change.table.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${table} (\n  ${change.columns.map(definition).join(',\n  ')}\n)\nCOMMENT = ${snowflakeLiteral(change.tableComment)}`,
    ];
  }
  const statements: string[] = [];
  const additions: string[] = [];
  const comments: string[] = [];
  for (const c of change.columns) {
    if (c.kind === 'add') additions.push(definition(c.column));
    else if (c.kind === 'alter-type')
      statements.push(`ALTER TABLE ${table} ALTER COLUMN ${q(c.column)} SET DATA TYPE ${c.typeSql}`);
    else comments.push(`COLUMN ${q(c.column)} COMMENT ${snowflakeLiteral(c.comment)}`);
  }
  additions.push(...change.metadataColumns.map(definition));
  if (additions.length > 0) statements.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${additions.join(',\n  ')}`);
  if (comments.length > 0) statements.push(`ALTER TABLE ${table} ALTER ${comments.join(',\n  ')}`);
  if (change.tableComment !== undefined)
    statements.push(`ALTER TABLE ${table} SET COMMENT = ${snowflakeLiteral(change.tableComment)}`);
  return statements;
}
