export {
  createSnowflakeWarehouse,
  DEFAULT_RETRY_POLICY,
  isRepeatable,
  SnowflakeWarehouse,
  type SnowflakeEvent,
  type SnowflakeWarehouseOptions,
  type SnowflakeWarehouseStats,
} from './snowflake-warehouse.js';
export {
  authenticatorOf,
  checkConnectionConfig,
  SNOWFLAKE_AUTHENTICATORS,
  type SnowflakeAuthenticator,
  type SnowflakeConnectionConfig,
  type SnowflakeProxy,
} from './snowflake-config.js';
export { PINNED_SESSION_PARAMETERS, sessionSetup, type PinnedParameter } from './session-parameters.js';
export { snowflakeEngine } from './snowflake-engine.js';
export { mergeStatement, snowflakeDialect, type MergeStatementInput } from './snowflake-dialect.js';
export {
  qualifySnowflake,
  quoteSnowflakeIdentifier,
  sluiceName,
  snowflakeLiteral,
  snowflakeName,
} from './snowflake-identifier.js';
export { decimalStorage, logicalTypeFromSnowflake, snowflakeTypeName, type DecimalStorage } from './snowflake-type.js';
export { snowflakeTableDialect } from './snowflake-table-dialect.js';
export {
  CHUNK_FILE_FORMAT,
  loadPreamble,
  planLoad,
  type LoadContext,
  type LoadPlan,
  type LoadStep,
  type LoadStepRole,
  type UploadFile,
} from './load-plan.js';
export { classifyFailure, connectionOptions, type FailureKind, type SessionEvent } from './snowflake-session.js';
export { splitStatements } from './sql-script.js';
export { warehouseTableFromShow, type ShowColumnRow, type ShowObjectRow } from './snowflake-catalog.js';
