import { warehouseTable, type WarehouseTable } from '@sluice/warehouse';
import { duckDbTableDialect } from './duckdb-table-dialect.js';

/** One row of {@link CATALOG_COLUMNS_SQL}. */
export interface CatalogColumnRow {
  readonly column_name: string;
  readonly data_type: string;
  readonly comment: string | null;
  readonly is_nullable: boolean;
}

/** One row of {@link CATALOG_RELATION_SQL}. */
export interface CatalogRelationRow {
  readonly kind: 'table' | 'view';
  readonly schema_name: string;
  readonly table_name: string;
  readonly comment: string | null;
}

// DuckDB identifiers are case-insensitive, so the catalog is searched the same way. `$1` schema, `$2` name.
const SAME_RELATION = `database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)`;

/** The table or view named `$1`.`$2`. */
export const CATALOG_RELATION_SQL = `SELECT 'table' AS kind, schema_name, table_name, comment FROM duckdb_tables() WHERE ${SAME_RELATION}
UNION ALL
SELECT 'view' AS kind, schema_name, view_name AS table_name, comment FROM duckdb_views()
WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(view_name) = lower($2) AND NOT internal`;

/** The columns of `$1`.`$2`, in table order. */
export const CATALOG_COLUMNS_SQL = `SELECT column_name, data_type, comment, is_nullable FROM duckdb_columns() WHERE ${SAME_RELATION} ORDER BY column_index`;

/** Build the warehouse's view of a table from DuckDB's catalog rows (pure). */
export function warehouseTableFromCatalog(
  relation: CatalogRelationRow,
  columns: readonly CatalogColumnRow[],
): WarehouseTable {
  return warehouseTable(
    { schema: relation.schema_name, name: relation.table_name, kind: relation.kind, comment: relation.comment },
    columns.map((row) => ({
      name: row.column_name,
      storage: row.data_type,
      comment: row.comment,
      nullable: row.is_nullable,
    })),
    duckDbTableDialect,
  );
}
