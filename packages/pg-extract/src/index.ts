export {
  canReadSql,
  columnSampleSql,
  columnStatsSql,
  countUpToSql,
  cursorIndexSuggestion,
  introspectTableSql,
  listRelationsSql,
  listTablesSql,
  openTransactionsSql,
  serverInfoSql,
  type SourceStatement,
} from './catalog-sql.js';
export { ChunkSink } from './chunk-sink.js';
export { cancelBackend } from './cancel-backend.js';
export { describeEndpoint, ExtractError, type ExtractErrorCode } from './extract-error.js';
export {
  afterCondition,
  changedSinceSql,
  copySql,
  cursorIndexSql,
  formatColumnChoice,
  planExtraction,
  planLateRead,
  selectSql,
  upperBoundSql,
  usesIndex,
  type ColumnChoice,
  type CursorElement,
  type ExtractPlan,
  type ExtractPosition,
  type LateCommits,
  type LateRead,
  type PlannedColumn,
  type TableSpec,
} from './extract-plan.js';
export {
  createExtractor,
  type Extractor,
  type ExtractorOptions,
  type OpenTableOptions,
  type TableExtraction,
  type TableRunOptions,
} from './extractor.js';
export { introspectTable, listTables, type Queryable, type SourceColumn, type SourceTable } from './introspect.js';
export { logicalTypeOf, type PgTypeInfo } from './pg-type.js';
export {
  FIRST_LOAD_RANGE_PAGES,
  lateRowsOf,
  planReads,
  positionAfter,
  unexplainedRead,
  type BlockRange,
  type ReadPlan,
  type ReadPlanOptions,
  type ResumeRanges,
  type RowRead,
} from './read-plan.js';
export { createSourcePool, type SourcePool, type SourcePoolOptions } from './source-pool.js';
export { runExtraction, type ExtractOptions, type ExtractResult, type RangeRead } from './run-extraction.js';
export {
  bucketKey,
  bucketWidth,
  keyRangeSql,
  sourceKeyBucketsSql,
  sourceKeysInBucketsSql,
  sourceRowsWithKeysSql,
  type KeyBucket,
} from './key-buckets.js';
export {
  beginReadSql,
  COMMIT_SQL,
  EXPORT_SNAPSHOT_SQL,
  ROLLBACK_SQL,
  SNAPSHOT_BEGIN_SQL,
  snapshotFacts,
  snapshotSql,
  type HeldBy,
  type SnapshotFacts,
} from './snapshot-sql.js';
export {
  openSourceCatalog,
  sourceCatalog,
  type ColumnSample,
  type ColumnStatistics,
  type CursorIndex,
  type OpenTransaction,
  type SourceCatalog,
  type SourceRelation,
  type SourceServer,
} from './source-catalog.js';
export type { KeyFingerprints, SourceKeys } from './source-keys.js';
/** Re-exported from @sluice/warehouse for the callers that already import it from here. */
export { closestNames } from '@sluice/warehouse';
