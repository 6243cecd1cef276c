export { createSourcePool, type SourcePool, type SourcePoolOptions } from '@sluice/pg-extract';
export {
  RUN_LOCK,
  runIngest,
  type HeldBack,
  type IngestEvent,
  type IngestOptions,
  type IngestResult,
  type TableResult,
} from './ingest.js';
export {
  ConfigError,
  formatConfigProblem,
  openLineageConfigSchema,
  type OpenLineageConfig,
  DBT_PROJECT_SLUICE_DIR,
  DEFAULT_STATE,
  loadProjectConfig,
  parseProjectConfig,
  postgresUrlProblem,
  projectConfigSchema,
  sluiceFilesDir,
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
export { cleanProject, type CleanResult } from './clean-project.js';
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
  closeAbandonedRuns,
  currentRunHolder,
  isProcessAlive,
  RUN_HEARTBEAT_MS,
  RUN_STALE_AFTER_MS,
  type AbandonedRun,
  type CloseAbandonedRunsOptions,
} from './run-liveness.js';
export { MAX_LOG_LINES, RunLog } from './run-log.js';
export { describePipelineEvent } from './describe-pipeline-event.js';
export {
  buildLineageEvent,
  createLineageTransport,
  lineageEndEventType,
  lineageRunId,
  OPENLINEAGE_SCHEMA_URL,
  type LineageDataset,
  type LineageEvent,
  type LineageEventType,
  type LineageFacet,
  type LineageRunInput,
  type LineageTransport,
} from './openlineage.js';
export {
  buildRunRecord,
  endRunRecord,
  MAX_SAMPLE_ROWS,
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
  type RunHolder,
  type RunLogLine,
  type RunRecordInput,
  type RunScope,
  type TableOutcome,
  type TestOutcome,
} from './run-record.js';
export { durationSchema, scheduleConfigSchema, type ScheduleConfig } from './schedule-config.js';
export { failureStreaks, type FailureStreak, type StreakInput, type StreakRun } from './failure-streaks.js';
export {
  buildModels,
  hasModels,
  loadModels,
  modelTarget,
  type BuildOptions,
  type BuildResult,
  type StateFlags,
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
