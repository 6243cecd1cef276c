export { describeGoldenSql, goldenScript } from './golden-sql.js';
export { createTempDir } from './temp-dir.js';
export { createTestDatabase, testServerUrl, type TestDatabase } from './test-database.js';
export {
  canonicalValue,
  diffFingerprints,
  fingerprintPostgresTable,
  fingerprintWarehouseTable,
  fingerprintWarehouseValues,
  type TableFingerprint,
} from './table-fingerprint.js';
export {
  CHUNK_SESSION_SETTINGS,
  copyToChunkFile,
  postgresChunkExpression,
} from './postgres-chunk.js';
export {
  canonicalDecimal,
  describeWarehouseConformance,
} from './warehouse-conformance.js';
export { isCi, requireTool, type MissingTool, type OutsideToolName } from './outside-tool.js';
export { pollUntil, type PollOptions } from './poll-until.js';
