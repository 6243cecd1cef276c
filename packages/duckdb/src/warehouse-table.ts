import { METADATA_COLUMNS, type LogicalType, type TableSchema } from '@sluice/warehouse';
import { parseColumnComment, parseTableComment } from '@sluice/warehouse';
import { logicalTypeFromDuckDb, storesLogicalType } from './duckdb-type.js';

/** A column as the warehouse has it. */
export interface WarehouseColumn {
  readonly name: string;
  /** DuckDB's type, as `duckdb_columns().data_type` spells it (`DECIMAL(10,2)`, `VARCHAR`, `INTEGER[]`). */
  readonly dataType: string;
  /** The recorded logical type when it matches the column, else the one mapped back from `dataType`. */
  readonly type: LogicalType;
  readonly nullable: boolean;
  /** True when `type` comes from Sluice's column comment. */
  readonly recorded: boolean;
}

/** A table (or view) as the warehouse has it, metadata columns included. */
export interface WarehouseTable {
  readonly schema: string;
  readonly name: string;
  readonly kind: 'table' | 'view';
  readonly columns: readonly WarehouseColumn[];
  /** The recorded primary key, or undefined when the table carries no Sluice record of one. */
  readonly primaryKey: readonly string[] | undefined;
}

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

/** Build the warehouse's view of a table from the catalog rows (pure). */
export function warehouseTableFromCatalog(
  relation: CatalogRelationRow,
  columns: readonly CatalogColumnRow[],
): WarehouseTable {
  return {
    schema: relation.schema_name,
    name: relation.table_name,
    kind: relation.kind,
    primaryKey: parseTableComment(relation.comment)?.primaryKey,
    columns: columns.map((row) => {
      const recorded = parseColumnComment(row.comment);
      if (recorded && storesLogicalType(recorded.type, row.data_type)) {
        return {
          name: row.column_name,
          dataType: row.data_type,
          type: recorded.type,
          nullable: recorded.nullable,
          recorded: true,
        };
      }
      return {
        name: row.column_name,
        dataType: row.data_type,
        type: logicalTypeFromDuckDb(row.data_type),
        nullable: row.is_nullable,
        recorded: false,
      };
    }),
  };
}

/** The logical description of a warehouse table: Sluice's metadata columns left out. */
export function tableSchemaOf(table: WarehouseTable): TableSchema {
  return {
    schema: table.schema,
    name: table.name,
    columns: table.columns
      .filter((c) => !isMetadataColumn(c.name))
      .map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    primaryKey: table.primaryKey ?? [],
  };
}

/** True for `_sluice_synced_at` and `_sluice_deleted_at` (compared as DuckDB does: without case). */
export function isMetadataColumn(name: string): boolean {
  return METADATA_COLUMNS.some((m) => m.toLowerCase() === name.toLowerCase());
}

/** The column of `table` named `name`, compared as DuckDB compares identifiers (without case). */
export function findColumn(table: WarehouseTable, name: string): WarehouseColumn | undefined {
  const lower = name.toLowerCase();
  return table.columns.find((c) => c.name.toLowerCase() === lower);
}
