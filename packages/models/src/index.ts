export { collectCatalog, type Catalog } from './collect-catalog.js';
export {
  builtRelations,
  compiledPathOf,
  compileProject,
  compileProjectWithWarehouse,
  type CompiledNode,
  type CompileOptions,
  type CompileResult,
  type TargetConfig,
} from './compile-project.js';
export {
  hasConfigTemplate,
  renderConfigTemplate,
  renderConfigTree,
  type ConfigTemplateContext,
  type ConfigTemplateResult,
} from './config-template.js';
export { CROSS_ENGINE_MACRO_NAMES, parseTypeSpec } from './cross-engine-macros.js';
export { injectCtes } from './inject-ctes.js';
export { renderLineagePage, type LineageInputs } from './lineage-page.js';
export {
  docsPageData,
  testMark,
  type DocsPageColumn,
  type DocsPageData,
  type DocsPageInputs,
  type DocsPageNode,
  type DocsPageTest,
  type TestMark,
} from './docs-page-data.js';
export {
  lastResultsFromRun,
  lastResultsFromRunResults,
  readLastResults,
  type LastResult,
  type LastResults,
} from './last-results.js';
export { loadProject, type LoadProjectOptions, type LoadProjectResult } from './load-project.js';
export type { ParseTarget } from './parse-hooks.js';
export { SNAPSHOT_COLUMNS } from './materializations/snapshot-materialization.js';
export { ModelsError, type ModelsErrorCode } from './models-error.js';
export {
  configKeys,
  modelConfigShape,
  seedConfigShape,
  snapshotConfigShape,
  testConfigShape,
  type ConfigKind,
  type ModelConfig,
  type NodeConfig,
  type SeedConfig,
  type SnapshotConfig,
  type TestConfig,
} from './node-config.js';
export {
  INGESTION_CONFIG_KEYS,
  MODELS_CONFIG_KEYS,
  modelsProjectConfigSchema,
  type ModelsProjectConfig,
} from './project-config.js';
export { redactSecrets } from './project-internals.js';
export { didYouMean, formatIssue, type ProjectIssue, type ProjectIssueCode } from './project-issue.js';
export {
  nodesOfKind,
  resourceTypeOf,
  type ColumnDoc,
  type FreshnessRule,
  type FreshnessThreshold,
  type ModelNode,
  type NodeKind,
  type Project,
  type ProjectNode,
  type SeedNode,
  type ProjectPackageInfo,
  type ProjectRunHook,
  type SnapshotNode,
  type SourceNode,
  type TestNode,
  type UnitTestInput,
  type UnitTestRows,
  type UnitTestSpec,
} from './project.js';
export { runUnitTest, type UnitTestOutcome } from './unit-tests/run-unit-test.js';
export {
  RUNNABLE_KINDS,
  runProject,
  type RunnableKind,
  type NodeResult,
  type NodeStatus,
  type ReusedNode,
  type RunEvent,
  type RunHookResult,
  type RunOptions,
  type RunResult,
  type RunTestsMode,
} from './run-project.js';
export { readSeedTable, type SeedColumn, type SeedTable } from './seeds/seed-table.js';
export { selectNodes, type Selection, type SelectOptions } from './select-nodes.js';
export {
  checkSourceFreshness,
  freshnessArtifact,
  type FreshnessOptions,
  type FreshnessResult,
  type FreshnessRun,
  type FreshnessStatus,
} from './source-freshness.js';
export { DBT_ARTIFACT_VERSION, DBT_SCHEMA_VERSIONS, manifestNodeEntries } from './dbt-artifacts.js';
export { writeArtifacts, type ArtifactInputs } from './write-artifacts.js';
export {
  compareState,
  macroSqlOf,
  nodeChecksum,
  nodeMacroIds,
  unrenderedConfigOf,
  type StateChange,
  type StateComparison,
} from './state-changes.js';
export {
  parseStateManifest,
  readState,
  seedHashesOf,
  readStateManifest,
  type StateManifest,
  type StateNode,
  type StateRelation,
} from './state-manifest.js';
export { deferredRelations, type DeferInput } from './defer-relations.js';
