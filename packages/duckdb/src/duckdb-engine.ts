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
  openFailureHint:
    'another process may hold the DuckDB file (a running sluice or scheduler): wait for it, or check the file and its permissions',
};
