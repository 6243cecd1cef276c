import { quoteLiteral, warehouseTable, type WarehouseTable } from '@sluice/warehouse';
import { duckDbTableDialect } from './duckdb-table-dialect.js';

/** One column of a relation, as `duckdb_columns()` has it. */
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

/** The table or view named `schema`.`name` (each SQL: a parameter, or a literal). DuckDB identifiers are
 *  case-insensitive, so the catalog is searched the same way. */
function relationSql(schema: string, name: string): string {
  return `SELECT 'table' AS kind, schema_name, table_name, comment FROM duckdb_tables()
WHERE database_name = current_database() AND lower(schema_name) = lower(${schema}) AND lower(table_name) = lower(${name})
UNION ALL
SELECT 'view' AS kind, schema_name, view_name AS table_name, comment FROM duckdb_views()
WHERE database_name = current_database() AND lower(schema_name) = lower(${schema}) AND lower(view_name) = lower(${name}) AND NOT internal`;
}

/** The table or view named `$1`.`$2`. */
export const CATALOG_RELATION_SQL = relationSql('$1', '$2');

/** The table or view `relation` names, its names as literals: a statement without parameters is sent in one call
 *  (with parameters, the driver prepares it first, in a call of its own). */
export function catalogRelationSql(relation: { readonly schema: string; readonly name: string }): string {
  return relationSql(quoteLiteral(relation.schema), quoteLiteral(relation.name));
}

/** One row of {@link CATALOG_TABLE_SQL}: the relation, with one of its columns (none: a relation without columns). */
export interface CatalogTableRow extends CatalogRelationRow {
  readonly column_name: string | null;
  readonly data_type: string | null;
  readonly column_comment: string | null;
  readonly is_nullable: boolean | null;
}

/**
 * The relation `$1`.`$2` and its columns, in table order, in one statement (a describe before a run's load used to
 * send two: the relation, then its columns). No row: no such relation.
 */
export const CATALOG_TABLE_SQL = `WITH relation AS (
${CATALOG_RELATION_SQL}
)
SELECT relation.kind, relation.schema_name, relation.table_name, relation.comment,
  col.column_name, col.data_type, col.comment AS column_comment, col.is_nullable
FROM relation LEFT JOIN duckdb_columns() AS col
  ON col.database_name = current_database() AND col.schema_name = relation.schema_name AND col.table_name = relation.table_name
ORDER BY relation.kind, relation.schema_name, relation.table_name, col.column_index`;

/** The relation {@link CATALOG_TABLE_SQL} found (the first, should the catalog hold two), or undefined (pure). */
export function warehouseTableFromRows(rows: readonly CatalogTableRow[]): WarehouseTable | undefined {
  const first = rows[0];
  if (first === undefined) return undefined;
  const same = rows.filter(
    (row) => row.kind === first.kind && row.schema_name === first.schema_name && row.table_name === first.table_name,
  );
  const columns = same.flatMap((row) =>
    row.column_name === null
      ? []
      : [
          {
            column_name: row.column_name,
            data_type: row.data_type ?? '',
            comment: row.column_comment,
            is_nullable: row.is_nullable ?? true,
          },
        ],
  );
  return warehouseTableFromCatalog(first, columns);
}

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
