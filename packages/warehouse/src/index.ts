export type { ChunkFile } from './chunk-file.js';
export { closestNames } from './closest-names.js';
export { KeyedMutex } from './keyed-mutex.js';
export {
  columnComment,
  commentText,
  parseColumnComment,
  parseTableComment,
  tableComment,
  type ColumnMetadata,
} from './column-metadata.js';
export { planEnsureTable, validateTableSchema, type EnsureTablePlan } from './ensure-table-plan.js';
export { WarehouseError, type WarehouseErrorCode } from './errors.js';
export { exactInteger } from './exact-integer.js';
export { floorDiv, formatDate, formatTime, formatTimestamp } from './format-timestamp.js';
export {
  compareLogicalTypes,
  formatLogicalType,
  sameLogicalType,
  type LogicalKind,
  type LogicalType,
  type TypeChange,
} from './logical-type.js';
export { NO_RETRY, retryDelayMs, type RetryPolicy } from './retry-policy.js';
export { qualifiedName, quoteIdentifier, quoteLiteral } from './sql.js';
export { isReservedWord } from './reserved-words.js';
export type { ColumnChange, NewColumn, TableChange, TableDialect } from './table-dialect.js';
export {
  DELETED_AT_COLUMN,
  METADATA_COLUMNS,
  SYNCED_AT_COLUMN,
  tableLabel,
  type Column,
  type TableSchema,
} from './table-schema.js';
export { validateLoad, type ValidatedLoad } from './validate-load.js';
export type { WarehouseEngine } from './warehouse-engine.js';
export {
  findColumn,
  isMetadataColumn,
  isMetadataName,
  tableSchemaOf,
  warehouseTable,
  type CatalogColumn,
  type WarehouseColumn,
  type WarehouseTable,
  relationStateOf,
} from './warehouse-table.js';
export {
  parseStateRows,
  STATE_TABLE,
  stateReadStatement,
  stateTableStatement,
  stateToken,
  stateWriteStatements,
  type StateEntry,
  type StateJson,
  type StateReadOptions,
  type StateSnapshot,
  type StateValue,
  type StateWrite,
  type StateWriteSet,
} from './warehouse-state.js';
export type {
  DatePart,
  EnsureTableResult,
  LoadRequest,
  LoadResult,
  Relation,
  RelationColumn,
  RelationPrivileges,
  RelationState,
  Row,
  SqlDialect,
  StatementOptions,
  TableOptions,
  ViewOptions,
  Warehouse,
  WarehouseCapabilities,
} from './warehouse.js';
