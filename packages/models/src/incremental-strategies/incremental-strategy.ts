import type { Relation, SqlDialect } from '@sluice/warehouse';

/** What an incremental strategy writes with: the model's table, the staged new rows, the keys and the columns. */
export interface IncrementalStrategyInput {
  /** The model's table. */
  readonly target: Relation;
  /** The rows of this run (`<name>__sluice_tmp`), with the model's columns. */
  readonly staging: Relation;
  /** `unique_key` as configured (for messages). */
  readonly uniqueKey: readonly string[];
  /** `unique_key`, spelled as the staged columns spell it. */
  readonly keyColumns: readonly string[];
  /** The columns to write: staged columns the table has (after `on_schema_change`), in the staged order. */
  readonly columns: readonly string[];
  /**
   * dbt's `incremental_predicates`: conditions ANDed to the match of `merge` and `delete+insert`, naming the
   * table `DBT_INTERNAL_DEST` and the staged rows `DBT_INTERNAL_SOURCE`. `append` has no match and ignores them.
   */
  readonly predicates: readonly string[];
  readonly dialect: SqlDialect;
}

/** The statements of one incremental run, and the line that reports it. */
export interface IncrementalStatements {
  /** Run in order. The rows the last one affected are the rows reported. */
  readonly statements: readonly string[];
  /** The statements must take effect together or not at all (one transaction). */
  readonly atomic?: boolean;
  /** The outcome line, given the rows the last statement affected: `merged 12 rows on id`. */
  readonly message: (rowsAffected: number | undefined) => string;
}

/**
 * How an incremental model's new rows reach its table (dbt's `incremental_strategy`): `merge`, `append`,
 * `delete+insert`. Pure: SQL text only. Registered in `strategy-registry.ts`; pinned per engine in `__golden__/`.
 */
export interface IncrementalStrategy {
  /** The `incremental_strategy` config value. */
  readonly name: string;
  /** Whether the strategy matches rows by `unique_key` (a model without one is refused). */
  readonly needsUniqueKey: boolean;
  plan(input: IncrementalStrategyInput): IncrementalStatements;
}

/** `select "a", "b" from "schema"."name__sluice_tmp"`: the staged rows, in the columns to write. */
export function stagedRows(input: IncrementalStrategyInput): { readonly list: string; readonly select: string } {
  const { dialect } = input;
  const list = input.columns.map((c) => dialect.quoteIdentifier(c)).join(', ');
  return { list, select: `select ${list} from ${dialect.qualify(input.staging)}` };
}
