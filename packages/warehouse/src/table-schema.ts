import type { LogicalType } from './logical-type.js';

/** One column of a table, as the source describes it. */
export interface Column {
  readonly name: string;
  readonly type: LogicalType;
  readonly nullable: boolean;
}

/** A table in the warehouse: where it lives, its columns (order is not meaningful), and its primary key. */
export interface TableSchema {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly Column[];
  /** Empty when the table has no primary key (then only `append` and `replace` loads are possible). */
  readonly primaryKey: readonly string[];
}

/** Set on every loaded row: when Sluice last wrote it (an instant). */
export const SYNCED_AT_COLUMN = '_sluice_synced_at';
/** Set instead of deleting, when a table's deletes are configured as `mark`. */
export const DELETED_AT_COLUMN = '_sluice_deleted_at';
/** Every column name Sluice adds to a raw table; a source column may not use one of these names. */
export const METADATA_COLUMNS: readonly string[] = [SYNCED_AT_COLUMN, DELETED_AT_COLUMN];

/** `schema.name`, unquoted, for messages. */
export function tableLabel(table: { readonly schema: string; readonly name: string }): string {
  return `${table.schema}.${table.name}`;
}
