export {
  RUN_LOCK,
  runIngest,
  type IngestEvent,
  type IngestOptions,
  type IngestResult,
  type TableResult,
} from './ingest.js';
export {
  ConfigError,
  formatConfigProblem,
  DEFAULT_STATE,
  loadProjectConfig,
  parseProjectConfig,
  postgresUrlProblem,
  projectConfigSchema,
  tableConfigSchema,
  targetConfigSchema,
  type ConfigProblem,
  type LoadedProject,
  type LoadProjectConfigOptions,
  type ProjectConfig,
  type SluiceFileConfig,
  type StateConfig,
  type TableConfig,
  type TargetConfig,
} from './project-config.js';
export { openStateStore, openWarehouse, resolveTarget, targetDialect } from './open-project.js';
export { resetPositions, type PositionReset } from './reset-positions.js';
export { targetEngine, type TargetEngine } from './engine-registry.js';
export { checkLocalPaths, pathProblem } from './check-local-paths.js';
export {
  hasIngestion,
  NO_RETRY,
  retryDelayMs,
  runPipeline,
  type PipelineEvent,
  type PipelineRunOptions,
  type PipelineRunResult,
  type PipelineStep,
  type RetryPolicy,
} from './run-pipeline.js';
export {
  buildRunRecord,
  endRunRecord,
  isErrorTestFailure,
  isFailingTest,
  NODE_OUTCOME_STATUSES,
  parseRunDetail,
  PIPELINE_STEPS,
  readRunRecord,
  RUN_RECORD_VERSION,
  runDetailSchema,
  runOutcomeDetail,
  RunRecordError,
  TABLE_OUTCOME_STATUSES,
  type ModelOutcome,
  type ParsedRunRecord,
  type RunDetail,
  type RunError,
  type RunRecordInput,
  type RunScope,
  type TableOutcome,
  type TestOutcome,
} from './run-record.js';
export { durationSchema, scheduleConfigSchema, type ScheduleConfig } from './schedule-config.js';
export {
  buildModels,
  hasModels,
  loadModels,
  modelTarget,
  type BuildOptions,
  type BuildResult,
} from './build-models.js';
export {
  checkSource,
  MIN_SOURCE_SERVER_VERSION,
  placeOfPlanProblem,
  type CheckSourceOptions,
  type SourceCheck,
  type SourceTableCheck,
} from './check-source.js';
export { compileModels, type CompileModelsOptions, type CompileModelsResult } from './compile-models.js';
export { profileSearchPath, readDbtProfile, type DbtProfile, type ProfileFolder } from './dbt-profiles.js';
export { parseVars } from './parse-vars.js';
export { sourceFreshness, type SourceFreshnessOptions, type SourceFreshnessResult } from './source-freshness.js';
export { configKeyLineFinder, yamlErrorLines } from './config-key-line.js';
export {
  initProject,
  urlWithoutPassword,
  type InitProjectOptions,
  type InitProjectResult,
} from './init-project.js';
export {
  cursorLabel,
  proposeTable,
  type ColumnFacts,
  type InitTableProposal,
  type ProposeOptions,
  type TableFacts,
} from './propose-table.js';
export {
  identifierFrom,
  modelColumn,
  renderInitFiles,
  stagingModelNames,
  yamlString,
  type InitFilesInput,
  type LeftOutRelation,
} from './render-init-files.js';
