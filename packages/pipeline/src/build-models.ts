import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  collectCatalog,
  formatIssue,
  loadProject,
  runProject,
  writeArtifacts,
  type Project,
  type RunEvent,
  type RunnableKind,
  type RunResult,
  type RunTestsMode,
  type TargetConfig as ModelTarget,
} from '@sluice/models';
import type { Warehouse } from '@sluice/warehouse';
import { targetEngine } from './engine-registry.js';
import { ConfigError, type LoadedProject, type TargetConfig } from './project-config.js';

export interface BuildOptions {
  readonly project: LoadedProject;
  readonly warehouse: Warehouse;
  readonly target: { readonly name: string; readonly config: TargetConfig };
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly threads?: number;
  readonly fullRefresh?: boolean;
  /** `after-each-model` = build, `none` = models only, `only` = tests only. */
  readonly runTests?: RunTestsMode;
  /** The kinds of node built (dbt's verb: `run` models, `seed` seeds, `snapshot` snapshots; default all). */
  readonly resourceTypes?: readonly RunnableKind[];
  /** `--vars`: values for `var()` over the project's. */
  readonly vars?: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RunEvent) => void;
  /** Environment for `env_var()` and `${env:…}` (default: the process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** The run's id, named in every statement's tag. */
  readonly runId?: string;
}

export interface BuildResult {
  readonly run: RunResult;
  /** Files written under the project's `target/` folder. */
  readonly artifacts: readonly string[];
  /** The lineage page, `target/docs/index.html`. */
  readonly lineagePage: string;
  /** Test id → the node it tests (dbt's `attached_node`): a model or snapshot name, or `source.table`. */
  readonly testedNodes: ReadonlyMap<string, string>;
}

/**
 * Does the project have a model project at all: a `dbt_project.yml`, or a folder of models, seeds or snapshots
 * (`model-paths`, `seed-paths`, `snapshot-paths` of sluice.yml; default `models`, `seeds`, `snapshots`)?
 * Ingest-only projects skip the build step.
 */
export function hasModels(project: LoadedProject): boolean {
  if (project.dbtProjectFile !== undefined) return true;
  const config = project.config as Record<string, unknown>;
  const folders = (key: string, fallback: string): string[] => {
    const value = config[key];
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : [fallback];
  };
  return [
    ...folders('model-paths', 'models'),
    ...folders('seed-paths', 'seeds'),
    ...folders('snapshot-paths', 'snapshots'),
  ].some((folder) => existsSync(path.join(project.dir, folder)));
}

/**
 * The model runner's view of a target: its name, engine and schema, and the settings its engine passes to templates
 * (`target.database`, from the engine registry) — what templates see as `target`.
 */
export function modelTarget(
  target: { readonly name: string; readonly config: TargetConfig },
  threads?: number,
): ModelTarget {
  const engine = targetEngine(target.config);
  return {
    name: target.name,
    type: engine.name,
    schema: target.config.schema,
    ...(engine.database === undefined ? {} : { database: engine.database }),
    ...(threads ? { threads } : {}),
  };
}

/**
 * Load the model project in a project folder (its `sluice.yml` and `dbt_project.yml`); every problem found becomes
 * one `ConfigError`. `vars` (the command line's `--vars`) win over the project's; the ingestion's `raw_schema` is
 * `var('raw_schema')` unless the project defines it. `target` is the target the models will be built for:
 * parse-time `adapter.dispatch` then picks what compile will.
 */
export async function loadModels(
  project: LoadedProject,
  env: NodeJS.ProcessEnv = process.env,
  vars: Readonly<Record<string, unknown>> = {},
  target?: { readonly type: string; readonly name?: string; readonly schema?: string },
): Promise<Project> {
  const loaded = await loadProject(project.dir, {
    defaultVars: { raw_schema: project.config.raw_schema },
    vars,
    env,
    ...(target === undefined ? {} : { target }),
  });
  if (loaded.errors.length > 0) {
    throw new ConfigError(
      loaded.errors.map((issue) => ({
        file: issue.file ?? project.file,
        line: issue.line,
        path: '',
        message: formatIssue(issue),
      })),
    );
  }
  return loaded.project;
}

/**
 * Build the project's models and run their data tests in the warehouse (dbt's `build`), then write
 * `target/manifest.json`, `target/run_results.json`, `target/compiled/…` and the lineage page. A failed model or
 * test is in the result; this throws only for a project that does not load.
 */
export async function buildModels(options: BuildOptions): Promise<BuildResult> {
  const threads = options.threads ?? options.project.threads?.[options.target.name] ?? 4;
  const target = modelTarget(options.target, threads);
  const models = await loadModels(options.project, options.env, options.vars, target);
  const run = await runProject(models, options.warehouse, {
    target,
    threads,
    runTests: options.runTests ?? 'after-each-model',
    ...(options.resourceTypes ? { resourceTypes: options.resourceTypes } : {}),
    ...(options.select ? { select: options.select } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(options.fullRefresh ? { fullRefresh: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.runId ? { tagPrefix: `sluice run ${options.runId}` } : {}),
  });
  const targetDir = path.join(options.project.dir, 'target');
  const catalog = await collectCatalog(models, options.warehouse, target).catch(() => undefined);
  const artifacts = await writeArtifacts(targetDir, { project: models, run, target, ...(catalog ? { catalog } : {}) });
  return {
    run,
    artifacts,
    lineagePage: path.join(targetDir, 'docs', 'index.html'),
    testedNodes: testedNodes(models),
  };
}

/** Each test's tested node: the one it is declared on, else its only dependency (a singular test on one model). */
function testedNodes(project: Project): Map<string, string> {
  const tested = new Map<string, string>();
  for (const node of project.nodes.values()) {
    if (node.kind !== 'test') continue;
    const anchor = node.attachedTo ?? (node.dependsOn.length === 1 ? node.dependsOn[0] : undefined);
    const target = anchor === undefined ? undefined : project.nodes.get(anchor);
    if (target) tested.set(node.id, target.kind === 'source' ? `${target.sourceName}.${target.name}` : target.name);
  }
  return tested;
}
