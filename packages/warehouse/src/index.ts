export type { ChunkFile } from './chunk-file.js';
export { closestNames } from './closest-names.js';
export { KeyedMutex } from './keyed-mutex.js';
export {
  columnComment,
  parseColumnComment,
  parseTableComment,
  tableComment,
  type ColumnMetadata,
} from './column-metadata.js';
export { WarehouseError, type WarehouseErrorCode } from './errors.js';
export {
  compareLogicalTypes,
  formatLogicalType,
  sameLogicalType,
  type LogicalKind,
  type LogicalType,
  type TypeChange,
} from './logical-type.js';
export { qualifiedName, quoteIdentifier, quoteLiteral } from './sql.js';
export {
  DELETED_AT_COLUMN,
  METADATA_COLUMNS,
  SYNCED_AT_COLUMN,
  tableLabel,
  type Column,
  type TableSchema,
} from './table-schema.js';
export type {
  DatePart,
  EnsureTableResult,
  LoadRequest,
  LoadResult,
  Relation,
  RelationColumn,
  RelationState,
  Row,
  SqlDialect,
  Warehouse,
  WarehouseCapabilities,
} from './warehouse.js';
