import { parseColumnComment, parseTableComment } from './column-metadata.js';
import type { LogicalType } from './logical-type.js';
import type { TableDialect } from './table-dialect.js';
import { METADATA_COLUMNS, type TableSchema } from './table-schema.js';
import type { RelationState } from './warehouse.js';

/** A column as the warehouse has it. */
export interface WarehouseColumn {
  /** The name the catalog reports (Snowflake: `ID_VENDAS`). */
  readonly name: string;
  /** The engine's type, as the engine spells it (`DECIMAL(10,2)`, `NUMBER(10,0)`, `VARCHAR(255)`). */
  readonly storage: string;
  /** The recorded logical type when it matches the column, else the one mapped back from `storage`. */
  readonly type: LogicalType;
  readonly nullable: boolean;
  /** True when `type` comes from Sluice's column comment. */
  readonly recorded: boolean;
  /** The column's comment as the catalog has it (people's text and Sluice's record), kept when Sluice rewrites it. */
  readonly comment?: string | null;
}

/** A table (or view) as the warehouse has it, metadata columns included. */
export interface WarehouseTable {
  readonly schema: string;
  readonly name: string;
  readonly kind: 'table' | 'view';
  readonly columns: readonly WarehouseColumn[];
  /** The recorded primary key (Sluice names), or undefined when the table carries no Sluice record of one. */
  readonly primaryKey: readonly string[] | undefined;
  /** The table's comment as the catalog has it, kept when Sluice rewrites it. */
  readonly comment?: string | null;
}

/** One column as an engine's catalog describes it. */
export interface CatalogColumn {
  readonly name: string;
  /** The engine's type, spelled as the engine's `TableDialect` spells types. */
  readonly storage: string;
  readonly comment: string | null;
  /** Whether the column admits NULL, where the catalog says (else true). */
  readonly nullable: boolean;
}

/**
 * Build the warehouse's view of a table from its catalog entry (pure): the recorded key and, per column, the
 * recorded logical type when the column still stores it, else the type the dialect maps back.
 *
 * @example warehouseTable({ schema: 'raw', name: 'vendas', kind: 'table', comment }, columns, duckDbTableDialect)
 */
export function warehouseTable(
  relation: {
    readonly schema: string;
    readonly name: string;
    readonly kind: 'table' | 'view';
    readonly comment: string | null;
  },
  columns: readonly CatalogColumn[],
  dialect: TableDialect,
): WarehouseTable {
  return {
    schema: relation.schema,
    name: relation.name,
    kind: relation.kind,
    primaryKey: parseTableComment(relation.comment)?.primaryKey,
    comment: relation.comment,
    columns: columns.map((column) => {
      const recorded = parseColumnComment(column.comment);
      if (recorded && dialect.storesLogicalType(recorded.type, column.storage)) {
        return {
          name: column.name,
          storage: column.storage,
          type: recorded.type,
          nullable: recorded.nullable,
          recorded: true,
          comment: column.comment,
        };
      }
      return {
        name: column.name,
        storage: column.storage,
        type: dialect.logicalType(column.storage),
        nullable: column.nullable,
        recorded: false,
        comment: column.comment,
      };
    }),
  };
}

/**
 * The table as the `Warehouse` contract describes it: Sluice names, the metadata columns left out of tables Sluice
 * created (those with a recorded primary key); a table made elsewhere (a model) shows every column.
 */
export function tableSchemaOf(table: WarehouseTable, dialect: TableDialect): TableSchema {
  const sluiceTable = table.primaryKey !== undefined;
  return {
    schema: table.schema,
    name: table.name,
    columns: table.columns
      .filter((c) => !sluiceTable || !isMetadataColumn(c, dialect))
      .map((c) => ({ name: dialect.sluiceName?.(c.name) ?? c.name, type: c.type, nullable: c.nullable })),
    primaryKey: table.primaryKey ?? [],
  };
}

/** The column of `table` that a Sluice name `name` stands for in this engine. */
export function findColumn(table: WarehouseTable, name: string, dialect: TableDialect): WarehouseColumn | undefined {
  const wanted = dialect.nameKey(name);
  return table.columns.find((c) => catalogKey(c.name, dialect) === wanted);
}

/** True for a warehouse column that is one of Sluice's metadata columns (`_sluice_synced_at`, `_sluice_deleted_at`). */
export function isMetadataColumn(column: WarehouseColumn, dialect: TableDialect): boolean {
  const key = catalogKey(column.name, dialect);
  return METADATA_COLUMNS.some((m) => dialect.nameKey(m) === key);
}

/** True when a Sluice name is, in this engine, one of the names Sluice reserves for its metadata columns. */
export function isMetadataName(name: string, dialect: TableDialect): boolean {
  const key = dialect.nameKey(name);
  return METADATA_COLUMNS.some((m) => dialect.nameKey(m) === key);
}

function catalogKey(stored: string, dialect: TableDialect): string {
  return dialect.catalogNameKey?.(stored) ?? dialect.nameKey(stored);
}

/**
 * A table or view as the contract's `describeRelation` answers: every column, metadata columns included, named by
 * `nameOf` (the names `query` uses: Snowflake maps its stored upper case back).
 */
export function relationStateOf(
  table: WarehouseTable,
  nameOf: (stored: string) => string = (name) => name,
): RelationState {
  return {
    kind: table.kind,
    columns: table.columns.map((c) => ({
      name: nameOf(c.name),
      type: c.type,
      nullable: c.nullable,
      dataType: c.storage,
    })),
  };
}
