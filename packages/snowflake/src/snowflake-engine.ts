import type { WarehouseEngine } from '@sluice/warehouse';
import { snowflakeDialect } from './snowflake-dialect.js';
import { createSnowflakeWarehouse, type SnowflakeWarehouseOptions } from './snowflake-warehouse.js';

/**
 * Snowflake for the engine registry: a server, shown by its database; templates see that database as
 * `target.database`.
 *
 * @example snowflakeEngine.location({ account: 'org-acct', user: 'SLUICE', warehouse: 'WH', database: 'ANALYTICS' })
 */
export const snowflakeEngine: WarehouseEngine<SnowflakeWarehouseOptions> = {
  name: 'snowflake',
  dialect: snowflakeDialect,
  open: createSnowflakeWarehouse,
  location: (options) => `snowflake ${options.database}`,
  targetDatabase: (options) => options.database,
  openFailureHint:
    'check the account, user, role, warehouse and database of the target, and its sign-in: a key (private_key_path), a token (with authenticator) or a password, from the environment',
};
