export { ChunkSink } from './chunk-sink.js';
export { describeEndpoint, ExtractError, type ExtractErrorCode } from './extract-error.js';
export {
  afterCondition,
  changedSinceSql,
  cursorIndexSql,
  planExtraction,
  planLateRead,
  selectSql,
  upperBoundSql,
  usesIndex,
  type CursorElement,
  type ExtractPlan,
  type ExtractPosition,
  type LateCommits,
  type LateRead,
  type PlannedColumn,
  type TableSpec,
} from './extract-plan.js';
export { introspectTable, listTables, type Queryable, type SourceColumn, type SourceTable } from './introspect.js';
export { logicalTypeOf, type PgTypeInfo } from './pg-type.js';
export { runExtraction, type ExtractOptions, type ExtractResult } from './run-extraction.js';
export {
  bucketKey,
  bucketWidth,
  keyRangeSql,
  sourceKeyBucketsSql,
  sourceKeysInBucketsSql,
  type KeyBucket,
} from './key-buckets.js';
/** Re-exported from @sluice/warehouse for the callers that already import it from here. */
export { closestNames } from '@sluice/warehouse';
