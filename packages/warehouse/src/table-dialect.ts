import type { LogicalType } from './logical-type.js';
import type { Relation } from './warehouse.js';

/**
 * What an engine says about the tables Sluice loads: how it tells names apart, how it stores and widens each logical
 * type, and the DDL that creates and evolves a table. The shared planners take it — `planEnsureTable`,
 * `validateLoad`, `warehouseTable` — so an engine package implements only this, never the planning itself.
 * Pure: every member returns values or SQL text.
 *
 * @example planEnsureTable(existing, desired, { softDelete: false }, duckDbTableDialect)
 */
export interface TableDialect {
  /** The engine's name in messages: `DuckDB`, `Snowflake`. */
  readonly engineName: string;
  /** How the engine tells names apart, completing "<engineName> …" in messages: `compares names without case`. */
  readonly nameRule: string;
  /**
   * The key two names share when the engine takes them for one, for a name Sluice writes (quoted as the engine's
   * `quoteIdentifier` quotes it). DuckDB: lower case. Snowflake: the stored name (`id_vendas` → `ID_VENDAS`).
   */
  nameKey(name: string): string;
  /** The same key for a name as the engine's catalog reports it. Default: `nameKey`. Snowflake: the name itself. */
  catalogNameKey?(stored: string): string;
  /** Sluice's spelling of a name the catalog reports (Snowflake `ID_VENDAS` → `id_vendas`). Default: as reported. */
  sluiceName?(stored: string): string;
  /** The column type Sluice creates for a logical type (the engine's `SqlDialect.typeName`). */
  typeName(type: LogicalType): string;
  /** One spelling per column type, for comparisons (`TIMESTAMPTZ` and `TIMESTAMP WITH TIME ZONE` are one). */
  normalizeStorage(storage: string): string;
  /** True when a column stored as `storage` is what Sluice creates for `type`: a recorded type can be trusted. */
  storesLogicalType(type: LogicalType, storage: string): boolean;
  /** The logical type of a column Sluice did not record (a guess: one VARCHAR for many kinds). */
  logicalType(storage: string): LogicalType;
  /**
   * The storage a column stored as `current` needs to hold `to` (a widening `compareLogicalTypes` allowed), or why
   * the engine cannot change it in place (`a NUMBER keeps its scale`). `storage` may equal `current`: no DDL.
   */
  widenedStorage(current: string, to: LogicalType): { readonly storage: string } | { readonly refusal: string };
  /** The statements of a planned change, in the order they run (empty when the change changes nothing). */
  tableStatements(change: TableChange): string[];
}

/** A column to create or add; `comment` is Sluice's record of its logical type (absent on metadata columns). */
export interface NewColumn {
  /** Sluice's name. */
  readonly name: string;
  /** The engine's type (`typeName`). */
  readonly typeSql: string;
  readonly comment?: string;
}

/** One change to an existing column, or a new one. Columns named by the catalog's name (`current.name`). */
export type ColumnChange =
  | { readonly kind: 'add'; readonly column: NewColumn }
  | { readonly kind: 'alter-type'; readonly column: string; readonly typeSql: string }
  | { readonly kind: 'comment'; readonly column: string; readonly comment: string };

/**
 * What `planEnsureTable` decided, for the engine to render as DDL (`TableDialect.tableStatements`).
 *
 * - `create`: the schema if missing, then the table with its columns, metadata columns included, and the records.
 * - `evolve`: column changes in the order of the source's columns, metadata columns to add, and the table's record
 *   of its key when it has none.
 */
export type TableChange =
  | {
      readonly kind: 'create';
      readonly table: Relation;
      readonly columns: readonly NewColumn[];
      readonly tableComment: string;
    }
  | {
      readonly kind: 'evolve';
      readonly table: Relation;
      readonly columns: readonly ColumnChange[];
      readonly metadataColumns: readonly NewColumn[];
      readonly tableComment: string | undefined;
    };
