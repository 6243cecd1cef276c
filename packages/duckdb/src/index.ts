export {
  createDuckDbWarehouse,
  DuckDbWarehouse,
  type DuckDbStatementOptions,
  type DuckDbWarehouseOptions,
} from './duckdb-warehouse.js';
export {
  decimalStorage,
  duckDbDialect,
  duckDbTypeName,
  MAX_DECIMAL_WIDTH,
  UNCONSTRAINED_DECIMAL_SCALE,
  type DecimalStorage,
} from './duckdb-dialect.js';
export { duckDbEngine } from './duckdb-engine.js';
export { logicalTypeFromDuckDb } from './duckdb-type.js';
export { mergeStatement, type MergeStatementInput } from './merge-statement.js';
export { duckDbTableDialect } from './duckdb-table-dialect.js';
export {
  DEFAULT_MAX_ROW_BYTES,
  planLoad,
  type LoadPlan,
  type LoadPlanOptions,
  type LoadStep,
  type LoadStepRole,
} from './load-plan.js';
