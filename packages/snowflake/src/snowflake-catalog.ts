import { warehouseTable, type Relation, type WarehouseTable } from '@sluice/warehouse';
import { snowflakeName } from './snowflake-identifier.js';
import { snowflakeTableDialect } from './snowflake-table-dialect.js';
import { storageFromShowColumns } from './snowflake-type.js';

/** One row of `SHOW OBJECTS LIKE … IN SCHEMA …` (the columns used). */
export interface ShowObjectRow {
  readonly name: string;
  readonly kind: string;
  readonly comment: string | null;
}

/** One row of `SHOW COLUMNS IN …` (the columns used). */
export interface ShowColumnRow {
  readonly column_name: string;
  /** JSON: `{"type":"FIXED","precision":10,"scale":0,"nullable":true}`. */
  readonly data_type: string;
  readonly comment: string | null;
}

/** The object named `relation` among the rows of SHOW OBJECTS (whose LIKE matched case-insensitively, `_` as any). */
export function findShownObject(rows: readonly ShowObjectRow[], relation: Relation): ShowObjectRow | undefined {
  const wanted = snowflakeName(relation.name);
  return rows.find((row) => row.name === wanted);
}

/** Build the warehouse's view of a table from SHOW OBJECTS and SHOW COLUMNS rows (pure). */
export function warehouseTableFromShow(
  relation: Relation,
  object: ShowObjectRow,
  columns: readonly ShowColumnRow[],
): WarehouseTable {
  return warehouseTable(
    {
      schema: relation.schema,
      name: relation.name,
      kind: /VIEW/i.test(object.kind) ? 'view' : 'table',
      comment: object.comment,
    },
    columns.map((row) => ({
      name: row.column_name,
      storage: storageFromShowColumns(row.data_type),
      comment: row.comment,
      nullable: true,
    })),
    snowflakeTableDialect,
  );
}
