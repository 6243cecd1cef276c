export { createTempDir } from './temp-dir.js';
export { createTestDatabase, testServerUrl, type TestDatabase } from './test-database.js';
export {
  canonicalValue,
  diffFingerprints,
  fingerprintPostgresTable,
  fingerprintWarehouseTable,
  type TableFingerprint,
} from './table-fingerprint.js';
