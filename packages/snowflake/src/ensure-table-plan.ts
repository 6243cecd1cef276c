import {
  DELETED_AT_COLUMN,
  SYNCED_AT_COLUMN,
  WarehouseError,
  compareLogicalTypes,
  formatLogicalType,
  tableLabel,
  type EnsureTableResult,
  type TableSchema,
} from '@sluice/warehouse';
import { columnComment, tableComment } from '@sluice/warehouse';
import {
  qualifySnowflake,
  quoteSnowflakeIdentifier,
  sameSnowflakeName,
  sluiceName,
  snowflakeLiteral,
  snowflakeName,
} from './snowflake-identifier.js';
import { normalizeStorage, snowflakeTypeName, storesLogicalType, widenedStorage } from './snowflake-type.js';
import { findColumn, isMetadataColumn, type WarehouseTable } from './warehouse-table.js';

/** The statements that bring a table to a schema, and what they change. */
export interface EnsureTablePlan {
  readonly statements: readonly string[];
  readonly result: EnsureTableResult;
}

/** The type of Sluice's metadata columns: an instant, kept with its (UTC) offset. */
export const METADATA_COLUMN_TYPE = 'TIMESTAMP_TZ(6)';

/**
 * Plan `ensureTable` (pure): create the table — columns, metadata columns, and the logical types and primary key
 * recorded as COMMENTs, all in one `CREATE TABLE IF NOT EXISTS` — or evolve `existing` towards `desired`: add new
 * columns (`ADD COLUMN IF NOT EXISTS`), widen types where Snowflake can in place (a longer VARCHAR, more NUMBER
 * precision), record new logical types, keep dropped columns. Every statement may run twice without harm.
 * No PRIMARY KEY constraint: Snowflake enforces none; the key is recorded and the loads keep it unique.
 *
 * Throws `INCOMPATIBLE_SCHEMA_CHANGE` (naming the table, the columns, both types and the remedy) before planning
 * anything when a change cannot be followed — narrowing, a changed type kind or key, and widenings Snowflake cannot
 * do in place (a NUMBER's scale, integer → decimal with a fraction); `INVALID_LOAD_REQUEST` for a schema no table
 * can have.
 */
export function planEnsureTable(
  existing: WarehouseTable | undefined,
  desired: TableSchema,
  options: { readonly softDelete: boolean },
): EnsureTablePlan {
  validateTableSchema(desired);
  const table = qualifySnowflake(desired);
  const q = quoteSnowflakeIdentifier;
  if (existing === undefined) {
    const definitions = [
      ...desired.columns.map(
        (c) => `${q(c.name)} ${snowflakeTypeName(c.type)} COMMENT ${snowflakeLiteral(columnComment(c))}`,
      ),
      `${q(SYNCED_AT_COLUMN)} ${METADATA_COLUMN_TYPE}`,
      ...(options.softDelete ? [`${q(DELETED_AT_COLUMN)} ${METADATA_COLUMN_TYPE}`] : []),
    ];
    return {
      statements: [
        `CREATE SCHEMA IF NOT EXISTS ${q(desired.schema)}`,
        `CREATE TABLE IF NOT EXISTS ${table} (\n  ${definitions.join(',\n  ')}\n)\nCOMMENT = ${snowflakeLiteral(tableComment(desired.primaryKey))}`,
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
  const additions: string[] = [];
  const comments: string[] = [];
  const added: string[] = [];
  const widened: string[] = [];
  for (const column of desired.columns) {
    const current = findColumn(existing, column.name);
    if (current === undefined) {
      added.push(column.name);
      additions.push(
        `${q(column.name)} ${snowflakeTypeName(column.type)} COMMENT ${snowflakeLiteral(columnComment(column))}`,
      );
      continue;
    }
    // A type mapped back from Snowflake's column type is a guess (one NUMBER for all integers, one VARCHAR for many
    // kinds): when the column already stores the new type exactly, only the record changes.
    const change =
      !current.recorded && storesLogicalType(column.type, current.storage)
        ? 'same'
        : compareLogicalTypes(current.type, column.type);
    if (change === 'incompatible') {
      problems.push(
        `column "${column.name}" changed type from ${formatLogicalType(current.type)} to ${formatLogicalType(column.type)}`,
      );
      continue;
    }
    if (change === 'widen') {
      const storage = widenedStorage(current.storage, column.type);
      if (storage === undefined) {
        problems.push(
          `column "${column.name}" changed type from ${formatLogicalType(current.type)} to ${formatLogicalType(column.type)}, ` +
            `which Snowflake cannot do in place (${current.storage} to ${snowflakeTypeName(column.type)}: a NUMBER keeps its scale)`,
        );
        continue;
      }
      widened.push(column.name);
      if (normalizeStorage(storage) !== normalizeStorage(current.storage)) {
        statements.push(`ALTER TABLE ${table} ALTER COLUMN ${q(current.name)} SET DATA TYPE ${storage}`);
      }
    }
    if (change === 'widen' || !current.recorded || current.nullable !== column.nullable) {
      comments.push(`COLUMN ${q(current.name)} COMMENT ${snowflakeLiteral(columnComment(column))}`);
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
  if (findColumn(existing, SYNCED_AT_COLUMN) === undefined)
    additions.push(`${q(SYNCED_AT_COLUMN)} ${METADATA_COLUMN_TYPE}`);
  if (options.softDelete && findColumn(existing, DELETED_AT_COLUMN) === undefined)
    additions.push(`${q(DELETED_AT_COLUMN)} ${METADATA_COLUMN_TYPE}`);
  if (additions.length > 0) statements.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${additions.join(',\n  ')}`);
  if (comments.length > 0) statements.push(`ALTER TABLE ${table} ALTER ${comments.join(',\n  ')}`);
  if (existing.primaryKey === undefined)
    statements.push(`ALTER TABLE ${table} SET COMMENT = ${snowflakeLiteral(tableComment(desired.primaryKey))}`);
  const wanted = new Set(desired.columns.map((c) => snowflakeName(c.name)));
  const dropped = existing.columns
    .filter((c) => !isMetadataColumn(c.name) && !wanted.has(c.name))
    .map((c) => sluiceName(c.name));
  return {
    statements,
    result: { created: false, addedColumns: added, widenedColumns: widened, droppedColumns: dropped },
  };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => sameSnowflakeName(name, b[i] ?? ''));
}

/** Reject a table schema no warehouse table can have: no columns, names Snowflake stores alike, Sluice's own names. */
export function validateTableSchema(table: TableSchema): void {
  const where = tableLabel(table);
  const fail = (problem: string): never => {
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
    const other = seen.get(snowflakeName(column.name));
    if (other !== undefined) {
      fail(
        `columns "${other}" and "${column.name}" are one name in Snowflake (which folds plain names to upper case); exclude or rename one.`,
      );
    }
    seen.set(snowflakeName(column.name), column.name);
  }
  for (const key of table.primaryKey) {
    if (!seen.has(snowflakeName(key))) fail(`primary-key column "${key}" is not one of the table's columns.`);
  }
}
