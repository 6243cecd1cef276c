import type { SqlDialect, Warehouse } from './warehouse.js';

/**
 * An engine as the apps meet it before (and besides) a connection: how to open it, its dialect, and what differs
 * between engines in how a target is shown, checked and passed to templates. Each engine package exports one
 * (`duckDbEngine`, `snowflakeEngine`); the pipeline's engine registry maps a target's `type` to it and its target
 * settings to `Options`. Members marked optional have the documented default.
 *
 * @example const warehouse = await duckDbEngine.open({ path: '.sluice/warehouse.duckdb' });
 */
export interface WarehouseEngine<Options> {
  /** The `type` of a target in sluice.yml, and `Warehouse.engine`: `duckdb`, `snowflake`. */
  readonly name: string;
  /** The SQL dialect, available without connecting (compiling models offline). */
  readonly dialect: SqlDialect;
  /** Open (or create) the warehouse. */
  open(options: Options): Promise<Warehouse>;
  /** Where the warehouse is, for people: the database file, `snowflake ANALYTICS`. Never holds a secret. */
  location(options: Options): string;
  /**
   * The local file the warehouse lives in, when it is one: commands that only read (`doctor`, `ls`) check it
   * exists instead of opening, which would create it. Default: none (a server).
   */
  localFile?(options: Options): string | undefined;
  /** The database templates see as `target.database`. Default: none. */
  targetDatabase?(options: Options): string | undefined;
  /** What to check when the warehouse does not open: the fix line of `sluice doctor`. */
  readonly openFailureHint: string;
}
