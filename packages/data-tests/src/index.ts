export { DataTestError, type DataTestErrorCode } from './data-test-error.js';
export {
  evaluateThresholds,
  meetsThreshold,
  parseThreshold,
  type TestSeverity,
  type Threshold,
  type ThresholdConfig,
} from './evaluate-thresholds.js';
export {
  GENERIC_TEST_NAMES,
  genericTestSql,
  isGenericTestName,
  validateGenericTestArgs,
  type GenericTestInput,
  type GenericTestName,
} from './generic-test-sql.js';
export {
  runDataTest,
  type DataTest,
  type DataTestResult,
  type DataTestStatus,
  type RunDataTestOptions,
} from './run-data-test.js';
