import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  builtRelations,
  collectCatalog,
  formatIssue,
  loadProject,
  readState,
  runProject,
  writeArtifacts,
  type Project,
  type NodeResult,
  type ReusedNode,
  type RunEvent,
  type RunnableKind,
  type RunResult,
  type RunTestsMode,
  type TargetConfig as ModelTarget,
} from '@sluice/models';
import type { Warehouse } from '@sluice/warehouse';
import { nodeStates, nodeStateWrites, readBuildState, writeBuildState, type BuildState } from './build-state.js';
import { targetEngine } from './engine-registry.js';
import { planBuild, type BuildDecision, type NodeBuildState, type PlanNode } from './plan-build.js';
import { planNodes } from './plan-nodes.js';
import { ConfigError, type LoadedProject, type TargetConfig } from './project-config.js';

/** dbt's `--state DIR`, `--defer`, `--favor-state`: compare with, and read through, an earlier run's manifest. */
export interface StateFlags {
  /** The folder holding the earlier run's `manifest.json`. */
  readonly dir: string;
  readonly defer?: boolean;
  readonly favorState?: boolean;
}

export interface BuildOptions {
  /** `--state DIR` (with `--defer`, `--favor-state`). */
  readonly state?: StateFlags;
  /** dbt's `--indirect-selection`: `empty` runs only the selected tests (what `retry` uses). */
  readonly indirectSelection?: 'eager' | 'empty';
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
  /**
   * Keep the build state (fingerprints and last results, in the warehouse's state table) and, unless `all` says
   * why everything is built, build only what must be (`planBuild`); the rest is `reused`. Given by `runPipeline`
   * for projects that configure ingestion.
   */
  readonly changeAware?: ChangeAwareOptions;
}

export interface ChangeAwareOptions {
  /** Build everything, for this reason (`--all`, `--full-refresh`, a run that did not ingest). */
  readonly all?: string;
  /** Raw tables whose columns changed in this run (a view over them is re-created). */
  readonly reshapedTables?: ReadonlySet<string>;
  /** Where the cached copy of the build state is kept (the run's work folder). */
  readonly workDir: string;
}

export interface BuildResult {
  readonly run: RunResult;
  /** Files written under the project's `target/` folder. */
  readonly artifacts: readonly string[];
  /** The lineage page, `target/docs/index.html`. */
  readonly lineagePage: string;
  /** Test id → the node it tests (dbt's `attached_node`): a model or snapshot name, or `source.table`. */
  readonly testedNodes: ReadonlyMap<string, string>;
  /** The change-aware build's decisions, when it kept build state: node id → build (why) or reuse (why). */
  readonly plan?: ReadonlyMap<string, BuildDecision>;
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
  const aware = options.changeAware ? await planChangeAware(options, options.changeAware, models, target) : undefined;
  // Read before this run's artifacts are written: --state may name this project's own target/.
  const state = options.state ? await readState(models, options.state.dir) : undefined;
  const run = await runProject(models, options.warehouse, {
    ...(state ? { state } : {}),
    ...(options.state?.defer ? { defer: true } : {}),
    ...(options.state?.favorState ? { favorState: true } : {}),
    ...(options.indirectSelection ? { indirectSelection: options.indirectSelection } : {}),
    ...(aware ? { reuse: aware.reuse } : {}),
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
  if (aware) await recordBuildState(options, aware, run.results);
  const targetDir = path.join(options.project.dir, 'target');
  const catalog = await collectCatalog(models, options.warehouse, target).catch(() => undefined);
  const artifacts = await writeArtifacts(targetDir, { project: models, run, target, ...(catalog ? { catalog } : {}) });
  return {
    run,
    artifacts,
    lineagePage: path.join(targetDir, 'docs', 'index.html'),
    testedNodes: testedNodes(models),
    ...(aware ? { plan: aware.plan } : {}),
  };
}

interface ChangeAwarePlan {
  readonly state: BuildState;
  readonly nodes: ReadonlyMap<string, PlanNode>;
  readonly previous: ReadonlyMap<string, NodeBuildState>;
  readonly plan: ReadonlyMap<string, BuildDecision>;
  readonly reuse: ReadonlyMap<string, ReusedNode>;
  readonly workDir: string;
}

/**
 * Read the build state, fingerprint the project's nodes, see which relations exist, and decide (`planBuild`) what
 * this run builds; what it does not is handed to `runProject` as `reuse`.
 */
async function planChangeAware(
  options: BuildOptions,
  aware: ChangeAwareOptions,
  project: Project,
  target: ModelTarget,
): Promise<ChangeAwarePlan> {
  const rawSchema = options.project.config.raw_schema;
  const state = await readBuildState(options.warehouse, rawSchema, aware.workDir, options.signal);
  const previous = nodeStates(state, options.target.name);
  const ids = buildOrder(project);
  const loadedTables = new Set(Object.keys(options.project.config.tables).map((name) => `${rawSchema}.${name}`));
  const planned = planNodes({
    project,
    ids,
    loadedTables,
    vars: project.vars,
    readText: (file) => {
      try {
        return readFileSync(path.resolve(project.dir, file), 'utf8');
      } catch {
        return undefined;
      }
    },
  });
  const nodes = new Map(planned.map((n) => [n.id, n] as const));
  // Which relations exist: only asked when everything else says reuse (a relation dropped by hand is rebuilt).
  const existing = new Set<string>();
  if (aware.all === undefined) {
    const relations = builtRelations(project, target, options.warehouse.dialect);
    for (const node of planned) {
      const relation = relations.get(node.id);
      if (relation === undefined || !previous.has(node.id)) continue;
      const found = await options.warehouse.describeRelation(relation).catch(() => undefined);
      if (found !== undefined) existing.add(node.id);
    }
  }
  const plan = planBuild({
    nodes: planned,
    previous,
    tableChanges: state.tableChanges,
    existing,
    ...(aware.all === undefined ? {} : { all: aware.all }),
    ...(aware.reshapedTables ? { reshapedTables: aware.reshapedTables } : {}),
    explicit: explicitlyNamed(project, options.select ?? []),
  });
  const reuse = new Map<string, ReusedNode>();
  for (const [id, decision] of plan) {
    if (decision.action !== 'reuse') continue;
    reuse.set(id, {
      reason: decision.reason,
      ...(decision.status === undefined ? {} : { status: decision.status as ReusedNode['status'] & string }),
      ...(decision.failures === undefined ? {} : { failures: decision.failures }),
    });
  }
  return { state, nodes, previous, plan, reuse, workDir: aware.workDir };
}

/** Record what the run built or tested (and views whose inputs it saw change) in the build state. */
async function recordBuildState(
  options: BuildOptions,
  aware: ChangeAwarePlan,
  results: readonly NodeResult[],
): Promise<void> {
  const runId = options.runId ?? 'unknown-run';
  const byId = new Map(results.map((r) => [r.id, r] as const));
  const builtBy = (id: string): string | undefined => {
    const result = byId.get(id);
    if (result && result.reused === undefined && result.status === 'success') return runId;
    return aware.previous.get(id)?.builtBy;
  };
  const writes = new Map<string, NodeBuildState>();
  for (const result of results) {
    const node = aware.nodes.get(result.id);
    if (node === undefined || result.status === 'cancelled') continue;
    const before = aware.previous.get(result.id);
    const tables = Object.fromEntries(node.tables.map((t) => [t, aware.state.tableChanges.get(t) ?? 0] as const));
    const parents: Record<string, string> = {};
    for (const parent of node.parents) {
      const stamp = builtBy(parent);
      if (stamp !== undefined) parents[parent] = stamp;
    }
    const decision = aware.plan.get(result.id);
    if (result.reused !== undefined) {
      // A view kept while its inputs changed: it shows them already; remember that it does.
      if (before && decision?.action === 'reuse' && decision.dataChanged && node.view) {
        writes.set(result.id, { ...before, tables });
      }
      continue;
    }
    const verdict =
      result.status === 'success' || result.status === 'pass' || result.status === 'warn' || result.status === 'fail';
    if (verdict) {
      writes.set(result.id, {
        fingerprint: node.fingerprint,
        status: result.status,
        ...(node.kind === 'test' ? {} : { builtBy: runId }),
        tables,
        parents,
        ...(result.failures === undefined ? {} : { failures: result.failures }),
      });
    } else {
      writes.set(result.id, {
        fingerprint: node.fingerprint,
        status: result.status,
        ...(before?.builtBy === undefined ? {} : { builtBy: before.builtBy }),
        tables: before?.tables ?? {},
        parents: before?.parents ?? {},
      });
    }
  }
  await writeBuildState(
    options.warehouse,
    options.project.config.raw_schema,
    aware.workDir,
    runId,
    nodeStateWrites(aware.state, options.target.name, writes),
  );
}

/** Seeds, models (not ephemeral), snapshots and tests, parents before children. */
function buildOrder(project: Project): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const parent of project.parents.get(id) ?? []) visit(parent);
    const node = project.nodes.get(id);
    if (node === undefined || node.kind === 'source') return;
    if (node.kind === 'model' && node.materialized === 'ephemeral') return;
    order.push(id);
  };
  for (const id of project.nodes.keys()) visit(id);
  return order;
}

/** Nodes `--select` names by their bare name (no graph operator, wildcard or method): dbt users expect them built. */
function explicitlyNamed(project: Project, select: readonly string[]): Set<string> {
  const names = new Set(
    select.flatMap((s) => s.split(/\s+/)).filter((token) => token !== '' && /^[A-Za-z0-9_]+$/.test(token)),
  );
  const ids = new Set<string>();
  if (names.size === 0) return ids;
  for (const node of project.nodes.values()) if (node.kind !== 'source' && names.has(node.name)) ids.add(node.id);
  return ids;
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
