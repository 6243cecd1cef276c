import { METADATA_COLUMNS, type LogicalType, type Relation, type TableSchema } from '@sluice/warehouse';
import { parseColumnComment, parseTableComment } from '@sluice/warehouse';
import { sameSnowflakeName, sluiceName, snowflakeName } from './snowflake-identifier.js';
import { logicalTypeFromSnowflake, storageFromShowColumns, storesLogicalType } from './snowflake-type.js';

/** A column as the warehouse has it. */
export interface WarehouseColumn {
  /** The name Snowflake stores (`ID_VENDAS`). */
  readonly name: string;
  /** The type as `snowflakeTypeName` spells types (`NUMBER(10,0)`, `VARCHAR(255)`, `TIMESTAMP_TZ(6)`). */
  readonly storage: string;
  /** The recorded logical type when it matches the column, else the one mapped back from `storage`. */
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
  /** The recorded primary key (Sluice names), or undefined when the table carries no Sluice record of one. */
  readonly primaryKey: readonly string[] | undefined;
}

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
  const kind = /VIEW/i.test(object.kind) ? 'view' : 'table';
  return {
    schema: relation.schema,
    name: relation.name,
    kind,
    primaryKey: parseTableComment(object.comment)?.primaryKey,
    columns: columns.map((row) => {
      const storage = storageFromShowColumns(row.data_type);
      const recorded = parseColumnComment(row.comment);
      if (recorded && storesLogicalType(recorded.type, storage)) {
        return { name: row.column_name, storage, type: recorded.type, nullable: recorded.nullable, recorded: true };
      }
      return {
        name: row.column_name,
        storage,
        type: logicalTypeFromSnowflake(storage),
        nullable: true,
        recorded: false,
      };
    }),
  };
}

/**
 * The table as the `Warehouse` contract describes it: Sluice names, the metadata columns left out of tables Sluice
 * created (those with a recorded primary key); a table made elsewhere (a model) shows every column.
 */
export function tableSchemaOf(table: WarehouseTable): TableSchema {
  const sluiceTable = table.primaryKey !== undefined;
  return {
    schema: table.schema,
    name: table.name,
    columns: table.columns
      .filter((c) => !sluiceTable || !isMetadataColumn(c.name))
      .map((c) => ({ name: sluiceName(c.name), type: c.type, nullable: c.nullable })),
    primaryKey: table.primaryKey ?? [],
  };
}

/** True for `_sluice_synced_at` and `_sluice_deleted_at` (in any case). */
export function isMetadataColumn(name: string): boolean {
  return METADATA_COLUMNS.some((m) => sameSnowflakeName(m, name));
}

/** The column of `table` named `name` (a Sluice or a Snowflake name). */
export function findColumn(table: WarehouseTable, name: string): WarehouseColumn | undefined {
  const wanted = snowflakeName(name);
  return table.columns.find((c) => c.name === wanted);
}
