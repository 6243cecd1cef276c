import type { ChunkFile } from './chunk-file.js';
import type { LogicalType } from './logical-type.js';
import type { Column, TableSchema } from './table-schema.js';
import type { StateReadOptions, StateSnapshot, StateWriteSet } from './warehouse-state.js';

/** A table or view in the warehouse. */
export interface Relation {
  readonly schema: string;
  readonly name: string;
}

/** One result row: column name → value. Engines return exact values: decimals and 64-bit integers as strings
 *  when they do not fit a JS number exactly, timestamps as ISO-like strings with microseconds. */
export type Row = Record<string, unknown>;

/**
 * What differs between engines, as yes/no answers with documented defaults. Shared code branches on these,
 * never on the engine's name.
 */
export interface WarehouseCapabilities {
  /** DDL (CREATE/ALTER/DROP) can be rolled back inside a transaction. DuckDB: yes. Snowflake: no (DDL commits). */
  readonly transactionalDdl: boolean;
  /** Files must be uploaded to a stage before COPY (Snowflake); DuckDB reads local files directly. */
  readonly stagesFiles: boolean;
  /** Resuming the engine to run a query costs money (Snowflake warehouses bill a minute per resume). */
  readonly queriesCostCompute: boolean;
}

/** Statements a warehouse speaks for the parts of SQL that differ between engines. Pure: returns SQL text. */
export interface SqlDialect {
  /** `"name"` in this engine's quoting. */
  quoteIdentifier(name: string): string;
  /** `"schema"."name"`. */
  qualify(relation: Relation): string;
  /** The engine's column type for a logical type, e.g. `DECIMAL(10,2)`, `TIMESTAMP`, `VARCHAR`. */
  typeName(type: LogicalType): string;
  /** `CREATE OR REPLACE VIEW … AS sql`. */
  createOrReplaceView(relation: Relation, sql: string, options?: ViewOptions): string;
  /** `CREATE OR REPLACE TABLE … AS sql` — atomic: readers see the old table or the new one, never half of it. */
  createOrReplaceTableAs(relation: Relation, sql: string, options?: TableOptions): string;
  /**
   * MERGE the rows of `sourceSql` (at most one row per key) into `target` by `keys`: matched rows get every
   * column in `columns` updated, unmatched rows are inserted. The target is aliased `DBT_INTERNAL_DEST` and the
   * source `DBT_INTERNAL_SOURCE` (dbt's names), so `predicates` — extra conditions ANDed to the match, dbt's
   * `incremental_predicates` — can name either.
   */
  mergeInto(
    target: Relation,
    sourceSql: string,
    keys: readonly string[],
    columns: readonly string[],
    options?: { readonly predicates?: readonly string[] },
  ): string;
  /** `DROP TABLE IF EXISTS` / `DROP VIEW IF EXISTS`. */
  dropRelation(relation: Relation, kind: 'table' | 'view'): string;
  /** `expression` as text; an integer as its plain decimal digits. DuckDB and Snowflake: `CAST(x AS VARCHAR)`. */
  castToText(expression: string): string;
  /**
   * The integer `dividend / divisor` rounded towards negative infinity, exact for every 64-bit integer, as a 64-bit
   * integer (`divisor` a positive integer literal): delete reconciliation's key buckets, which must equal Postgres's.
   * Snowflake: `CAST(FLOOR(x / n) AS BIGINT)`; DuckDB: integer `//`, one less for a negative rest.
   */
  floorDivide(dividend: string, divisor: string): string;
  /**
   * A string literal. Optional; default: the ANSI form, quotes doubled (`quoteLiteral`). Snowflake also doubles
   * backslashes, which it reads as escapes inside '…'.
   */
  stringLiteral?(value: string): string;

  // Optional: the SQL of the cross-engine template macros of @sluice/models (`dateadd`, `datediff`, `date_trunc`,
  // `safe_cast`, `initcap`). Arguments are SQL expressions. When a member is absent, @sluice/models uses its
  // documented default, written in DuckDB syntax; engines whose SQL differs (Snowflake) implement the member.
  /** `expression` plus `amount` units of `part`, e.g. Snowflake `DATEADD(day, 7, x)`. */
  dateAdd?(part: DatePart, amount: string, expression: string): string;
  /** Whole `part` boundaries crossed from `start` to `end` (positive when `end` is later). */
  dateDiff?(part: DatePart, start: string, end: string): string;
  /** `expression` truncated to the start of its `part`. */
  dateTrunc?(part: DatePart, expression: string): string;
  /** A cast that yields NULL instead of failing; `typeSql` is already an engine type name. */
  tryCast?(expression: string, typeSql: string): string;
  /** The first letter of each word upper-cased, the rest lower-cased (`INITCAP`). */
  initCap?(expression: string): string;
  /** Whether any value of a boolean column is true, as an aggregate (DuckDB `bool_or`, Snowflake `BOOLOR_AGG`). */
  boolOr?(expression: string): string;
  /**
   * The values of `measure` joined by `delimiter` (an SQL string), as an aggregate: in `orderBy` order (an ORDER BY
   * list without the keywords) when given, at most `limit` of them when given.
   */
  listagg?(measure: string, delimiter: string, orderBy: string | undefined, limit: number | undefined): string;
  /** An array of the given SQL expressions; `elementType` (an engine type name) types an empty one. */
  arrayConstruct?(items: readonly string[], elementType: string): string;
  /** `array` with `element` added at the end. */
  arrayAppend?(array: string, element: string): string;
  /** The elements of `first` then those of `second`. */
  arrayConcat?(first: string, second: string): string;
  /**
   * Privileges on relations (GRANT/REVOKE to roles), where the engine has them (Snowflake); absent where it has none
   * (DuckDB). What @sluice/models uses for a model's `grants` config.
   */
  readonly privileges?: RelationPrivileges;
}

/**
 * How a view is created where an engine offers a choice; an engine ignores what it does not have. Snowflake's
 * default keeps grants (`COPY GRANTS`); DuckDB has no grants.
 */
export interface ViewOptions {
  /** Keep the privileges granted on the relation being replaced. Snowflake default: true. */
  readonly copyGrants?: boolean;
}

/** How a table is created where an engine offers a choice; an engine ignores what it does not have (DuckDB: all). */
export interface TableOptions extends ViewOptions {
  /**
   * What the engine keeps of replaced versions. Snowflake: `permanent` keeps Time Travel and 7 days of Fail-safe,
   * `transient` (default) no Fail-safe, `scratch` — a table dropped again within the step — neither.
   */
  readonly retention?: 'permanent' | 'transient' | 'scratch';
  /** Cluster the table by these expressions (Snowflake `CLUSTER BY`, rows loaded in that order). */
  readonly clusterBy?: readonly string[];
}

/** GRANT and REVOKE on tables and views, and how to read what is granted. */
export interface RelationPrivileges {
  /** The statement listing what is granted on a relation (`SHOW GRANTS ON VIEW …`): metadata only. */
  showGrants(relation: Relation, kind: 'table' | 'view'): string;
  /**
   * Privilege → grantees, from the rows of `showGrants` (names as `granteeName` spells them), leaving out what a
   * `grants` config does not manage: the owner's OWNERSHIP, grants to shares and database roles.
   */
  grantsFromRows(rows: readonly Row[]): ReadonlyMap<string, readonly string[]>;
  grant(relation: Relation, kind: 'table' | 'view', privilege: string, grantee: string): string;
  revoke(relation: Relation, kind: 'table' | 'view', privilege: string, grantee: string): string;
  /** A role name as the engine stores it (Snowflake: `reporter` → `REPORTER`, `"Mixed"` → `Mixed`). */
  granteeName(name: string): string;
}

/** A calendar unit for the date macros (`dateAdd`, `dateDiff`, `dateTrunc`). */
export type DatePart = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second';

/** A column of a relation as the warehouse has it. */
export interface RelationColumn extends Column {
  /** The engine's own spelling of the column's type (`DECIMAL(10,2)`, `NUMBER(10,2)`, `TIMESTAMP_TZ(6)`). */
  readonly dataType: string;
}

/** A table or view as the warehouse has it: what a model is built on top of. */
export interface RelationState {
  readonly kind: 'table' | 'view';
  /** Every column, in the relation's order, Sluice's metadata columns included, named as `query` names them. */
  readonly columns: readonly RelationColumn[];
}

/** What `ensureTable` changed. */
export interface EnsureTableResult {
  readonly created: boolean;
  /** Source columns that were new to the warehouse table and were added. */
  readonly addedColumns: readonly string[];
  /** Columns whose type was widened in place (longer varchar, int → bigint, more precision). */
  readonly widenedColumns: readonly string[];
  /** Warehouse columns the source no longer has: kept, and NULL in rows loaded from now on. */
  readonly droppedColumns: readonly string[];
}

/**
 * Load chunk files into a table, atomically: either all of this request is visible afterwards, or none of it.
 *
 * - `merge`: stage the files, keep the newest row per primary key (`newestBy`, descending; ties and the default:
 *   the row that comes later in the files wins), update matched rows and insert the others.
 * - `replace`: the table's rows become exactly the rows of the files (a full reload).
 * - `append`: insert every row (tables without a primary key).
 *
 * `deletes`: after the merge, in the same transaction, delete the rows whose keys are listed in these files
 * (CSV of the primary-key columns), or set `_sluice_deleted_at` on them when `mode` is `mark`.
 */
export interface LoadRequest {
  readonly table: TableSchema;
  readonly files: readonly ChunkFile[];
  /** The columns of every file, in file order; a subset of `table.columns`. */
  readonly columns: readonly string[];
  readonly mode: 'merge' | 'replace' | 'append';
  readonly newestBy?: readonly string[];
  readonly deletes?: { readonly files: readonly ChunkFile[]; readonly mode: 'delete' | 'mark' };
  /** The caller guarantees at most one row per primary key across the files (rows read from one snapshot of a
   *  table with that key): a `replace` may then skip de-duplication. Default false. */
  readonly distinctKeys?: boolean;
  /**
   * The caller guarantees that every row of the files differs from the row the table holds for its key, if it holds
   * one (rows read past the previous position of a cursor the load writes): a `merge` may then count every matched
   * row as updated without comparing values. Default false: values are compared, and a row that holds what the
   * table holds is neither rewritten nor counted.
   */
  readonly changesOnly?: boolean;
  /** Names the run and table in the engine's query log (Snowflake QUERY_TAG). */
  readonly tag?: string;
  readonly signal?: AbortSignal;
  /**
   * Sluice state written in the same transaction as the rows (see `STATE_TABLE`): both are visible afterwards, or
   * neither. The state table is created first if missing. A load with no rows to write still writes the state.
   */
  readonly state?: StateWriteSet;
}

export interface LoadResult {
  /** Rows read from the files. */
  readonly rowsStaged: number;
  /** Rows after removing older versions of the same key. */
  readonly rowsMerged: number;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  /** Statements sent to the engine for this load. */
  readonly statements: number;
  /** Bytes sent over the network to the engine (compressed files uploaded to a stage); absent when the engine
   *  reads local files. */
  readonly bytesUploaded?: number;
}

/** How a statement is sent. */
export interface StatementOptions {
  /** Names the run and node in the engine's query log (Snowflake QUERY_TAG). */
  readonly tag?: string;
  readonly signal?: AbortSignal;
  /**
   * The compute resource to run on, where an engine has several (Snowflake: a virtual warehouse other than the
   * session's; dbt's `snowflake_warehouse`). Engines with one ignore it.
   */
  readonly compute?: string;
}

/**
 * A warehouse engine. Implementations: `DuckDbWarehouse` (embedded default), `SnowflakeWarehouse`.
 *
 * @example
 * const wh = await createDuckDbWarehouse({ path: '.sluice/warehouse.duckdb' });
 * await wh.ensureTable(table);
 * await wh.load({ table, files, columns, mode: 'merge' });
 * const rows = await wh.query('select count(*) as n from raw.vendas');
 */
export interface Warehouse {
  /** A short engine name for messages and artifacts (`duckdb`, `snowflake`). Never branch on it. */
  readonly engine: string;
  readonly dialect: SqlDialect;
  readonly capabilities: WarehouseCapabilities;
  /** Run one statement (or several separated by `;`); returns the affected row count when the engine knows it. */
  execute(sql: string, options?: StatementOptions): Promise<{ readonly rowsAffected: number | undefined }>;
  /** Run a query and return all its rows. */
  query<T extends Row = Row>(sql: string, options?: StatementOptions): Promise<T[]>;
  /**
   * Run DML statements as one transaction, apart from any other work on this warehouse: all of them take effect, or
   * none (a failure rolls back). Returns the rows each statement affected, in order. An engine whose session is
   * shared by concurrent work runs them on a session of their own (Snowflake).
   *
   * @example await warehouse.executeAtomically([`DELETE FROM t WHERE …`, `INSERT INTO t SELECT …`], { tag })
   */
  executeAtomically(
    statements: readonly string[],
    options?: StatementOptions,
  ): Promise<{ readonly rowsAffected: readonly (number | undefined)[] }>;
  /** Create the schema if it does not exist. */
  ensureSchema(schema: string): Promise<void>;
  /** The table as the warehouse has it (logical types mapped back), or `undefined` when it does not exist. */
  describeTable(relation: Relation): Promise<TableSchema | undefined>;
  /**
   * The table or view that `dialect.qualify(relation)` names — its kind and every column — or `undefined` when
   * there is none. Reads only metadata (on Snowflake: no warehouse is resumed).
   */
  describeRelation(relation: Relation): Promise<RelationState | undefined>;
  /**
   * Whether `describeRelation` would find the relation, and its kind — without its columns. Only on engines that
   * answer this sooner than a whole describe (DuckDB: one catalog scan, not two): the start of an ingest run waits
   * for it, while the describe goes on beside the read. Absent: ask `describeRelation`.
   */
  relationKind?(relation: Relation): Promise<RelationState['kind'] | undefined>;
  /**
   * Create the table (with Sluice's metadata columns) or evolve it to the given schema: add new columns, widen
   * types, keep dropped ones. An incompatible type change throws `INCOMPATIBLE_SCHEMA_CHANGE` and alters nothing.
   */
  ensureTable(table: TableSchema, options?: { readonly softDelete?: boolean }): Promise<EnsureTableResult>;
  /** Drop the table if it exists (a resync starts from nothing). */
  dropTable(relation: Relation): Promise<void>;
  load(request: LoadRequest): Promise<LoadResult>;
  /**
   * The entries of one namespace of the state table in `schema` (see `STATE_TABLE`), in one query — or, on an
   * engine whose queries cost compute, from `options.cached` when metadata proves it current. `source: 'missing'`
   * (and no entries) when the table or the schema does not exist.
   */
  readState(schema: string, namespace: string, options?: StateReadOptions): Promise<StateSnapshot>;
  /** Write state on its own, in one transaction (creating the table if missing); with rows, use `LoadRequest.state`. */
  writeState(set: StateWriteSet, options?: { readonly tag?: string; readonly signal?: AbortSignal }): Promise<void>;
  close(): Promise<void>;
}
