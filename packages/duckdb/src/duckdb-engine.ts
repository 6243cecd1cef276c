import type { WarehouseEngine } from '@sluice/warehouse';
import { duckDbDialect } from './duckdb-dialect.js';
import { createDuckDbWarehouse, type DuckDbWarehouseOptions } from './duckdb-warehouse.js';

/**
 * DuckDB for the engine registry: a warehouse in one local file (created by the first run), shown by its path.
 *
 * @example duckDbEngine.localFile?.({ path: '/srv/project/.sluice/warehouse.duckdb' })
 */
export const duckDbEngine: WarehouseEngine<DuckDbWarehouseOptions> = {
  name: 'duckdb',
  dialect: duckDbDialect,
  open: createDuckDbWarehouse,
  location: (options) => options.path,
  localFile: (options) => (options.path === ':memory:' ? undefined : options.path),
  // DuckDB names the catalog of a database file after the file (`warehouse.duckdb` → `warehouse`): what dbt-duckdb
  // gives templates as `target.database` (dbt_utils reads `<database>.information_schema`).
  targetDatabase: (options) =>
    options.path === ':memory:' ? 'memory' : (options.path.split(/[\\/]/).at(-1) ?? '').replace(/\.[^.]*$/, ''),
  openFailureHint:
    'another process may hold the DuckDB file (a running sluice or scheduler): wait for it, or check the file and its permissions',
};
