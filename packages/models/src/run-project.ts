import { runDataTest } from '@sluice/data-tests';
import type { Relation, Row, Warehouse } from '@sluice/warehouse';
import { WarehouseError } from '@sluice/warehouse';
import { compiledPathOf, ProjectCompiler, type CompiledNode, type TargetConfig } from './compile-project.js';
import { materializeNode, statementTag } from './materialize.js';
import { WarehouseCallLog, withWarehouseCalls } from './warehouse-calls.js';
import { ModelsError } from './models-error.js';
import { redactSecrets } from './project-internals.js';
import { formatIssue } from './project-issue.js';
import type { ModelNode, Project, ProjectNode, ProjectRunHook, SeedNode, SnapshotNode, TestNode } from './project.js';
import { loadSeed } from './seeds/load-seed.js';
import { selectNodes } from './select-nodes.js';
import { deferredRelations } from './defer-relations.js';
import type { StateComparison } from './state-changes.js';
import { runUnitTest } from './unit-tests/run-unit-test.js';

/** How a node ended. Models and snapshots: success | error | skipped | cancelled. Tests: pass | warn | fail | error | skipped | cancelled. */
export type NodeStatus = 'success' | 'error' | 'skipped' | 'cancelled' | 'pass' | 'warn' | 'fail';

/** The outcome of one node in a run. Secrets read through `env_var()` are redacted from every text. */
export interface NodeResult {
  readonly id: string;
  readonly name: string;
  readonly kind: RunnableKind;
  readonly status: NodeStatus;
  /** One line for people: what was done, or what went wrong and where. */
  readonly message: string;
  readonly file: string;
  readonly line?: number;
  /** ISO time the node started (absent when it never started). */
  readonly startedAt?: string;
  readonly elapsedMs: number;
  readonly materialized?: string;
  readonly relation?: Relation;
  readonly rowsAffected?: number;
  /** The compiled SQL's path under the target folder (`compiled/<project>/…`) and its text (redacted). */
  readonly compiledPath?: string;
  readonly compiledSql?: string;
  /** Tests: the severity, the number of failing rows, up to five of them, and where they were stored. */
  readonly severity?: 'error' | 'warn';
  readonly failures?: number;
  readonly samples?: readonly Row[];
  readonly storedIn?: Relation;
  /** The error's stable code when there is one (`WAREHOUSE_STATEMENT_FAILED`, `COMPILE_FAILED`, …). */
  readonly errorCode?: string;
  /** Configs the engine could not honour (config, file and line); the node still succeeded. */
  readonly warnings?: readonly string[];
  /** Set when the node was not built (or the test not run) because nothing it depends on changed: why. Its status
   *  is then what it last was (`success`; a test's last result). */
  readonly reused?: string;
}

/** A node the run does not build (or test it does not run): why, and the status that stands (default `success`). */
export interface ReusedNode {
  readonly reason: string;
  readonly status?: NodeStatus;
  readonly failures?: number;
}

/** The outcome of a run. */
export interface RunResult {
  /** `success` when nothing errored, failed or was skipped; warnings do not count. */
  readonly status: 'success' | 'error' | 'cancelled';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly elapsedMs: number;
  /** One result per selected model, snapshot and test, in dependency order. */
  readonly results: readonly NodeResult[];
  readonly counts: Readonly<Record<NodeStatus, number>>;
  /** The options that shaped the run, for run_results.json. */
  readonly args: {
    readonly select: readonly string[];
    readonly exclude: readonly string[];
    readonly threads: number;
    readonly fullRefresh: boolean;
    readonly runTests: RunTestsMode;
    /** The kinds of node the run builds (dbt's verb: `run` models, `seed` seeds, `build` all). */
    readonly resourceTypes: readonly RunnableKind[];
    /** `--state DIR`, `--defer`, `--favor-state`, `--indirect-selection empty`, when given (what `retry` replays). */
    readonly state?: string;
    readonly defer?: boolean;
    readonly favorState?: boolean;
    readonly indirectSelection?: 'empty';
  };
  readonly target: TargetConfig;
  /** dbt_project.yml's `on-run-start` / `on-run-end` statements as they ran (absent when the project has none). */
  readonly hooks?: readonly RunHookResult[];
}

/** How one `on-run-start` / `on-run-end` statement ended. */
export interface RunHookResult {
  /** dbt's id: `operation.<project>.<project>-on-run-start-0`. */
  readonly id: string;
  readonly event: 'on-run-start' | 'on-run-end';
  readonly status: 'success' | 'error' | 'skipped';
  readonly message: string;
  readonly file: string;
  readonly line?: number;
  readonly elapsedMs: number;
  /** The statement as run (secrets redacted). */
  readonly sql?: string;
}

/** `after-each-model` = dbt build; `none` = dbt run; `only` = dbt test. */
export type RunTestsMode = 'after-each-model' | 'none' | 'only';

/** The kinds of node a run builds or checks. */
export type RunnableKind = 'seed' | 'model' | 'snapshot' | 'test';

/** Every runnable kind, in the order dbt's `build` lists them. */
export const RUNNABLE_KINDS: readonly RunnableKind[] = ['seed', 'model', 'snapshot', 'test'];

/** Progress, as it happens. `node-start` is sent before a node's first statement. */
export type RunEvent =
  | { readonly type: 'run-start'; readonly nodes: readonly string[]; readonly threads: number }
  | {
      readonly type: 'node-start';
      readonly id: string;
      readonly name: string;
      readonly kind: RunnableKind;
    }
  | { readonly type: 'node-finish'; readonly result: NodeResult }
  | { readonly type: 'run-finish'; readonly result: RunResult };

export interface RunOptions {
  readonly target: TargetConfig;
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  /** Nodes run at once (default 4). */
  readonly threads?: number;
  /** Rebuild incremental models from scratch (unless a model sets `full_refresh: false`). */
  readonly fullRefresh?: boolean;
  /** Aborting cancels the running statements; they and the nodes not started are recorded `cancelled`. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RunEvent) => void;
  /** Default `after-each-model`. */
  readonly runTests?: RunTestsMode;
  /**
   * Only nodes of these kinds run (dbt's verbs: `run` = models, `seed` = seeds, `snapshot` = snapshots); the others
   * are walked through like unselected nodes. Default: every kind `runTests` allows (`none`: no tests; `only`:
   * tests only).
   */
  readonly resourceTypes?: readonly RunnableKind[];
  /** Failing rows returned per test (default 5). */
  readonly sampleSize?: number;
  /** `run_started_at` in templates, and the time snapshots record for the check strategy and deletes. */
  readonly runStartedAt?: Date;
  /** Prefixes every statement's tag (Snowflake QUERY_TAG) so it names the run, e.g. `sluice run <id>`. */
  readonly tagPrefix?: string;
  /**
   * Nodes not built (tests not run) in this run, by id: each finishes at once with `reused` and the status given,
   * unless an upstream node failed (then it is skipped like any other). The change-aware build decides them.
   */
  readonly reuse?: ReadonlyMap<string, ReusedNode>;
  /** `--state DIR` compared with the project: what `state:` selectors read, and `--defer` resolves to. */
  readonly state?: StateComparison;
  /** `--defer` (needs `state`): refs to nodes this run does not build read the state's relation when this target lacks one. */
  readonly defer?: boolean;
  /** `--favor-state` (with `defer`): read the state's relation even when this target has one. */
  readonly favorState?: boolean;
  /** dbt's `--indirect-selection`: `eager` (default; tests of selected nodes run too) or `empty` (only what is selected). */
  readonly indirectSelection?: 'eager' | 'empty';
}

const BLOCKING: ReadonlySet<NodeStatus> = new Set(['error', 'skipped', 'cancelled', 'fail']);
/** `skipped: model x failed` — a test that errored (its query failed) is said apart from one that found rows. */
function skipMessage(upstream: NodeResult | undefined, blocker: string): string {
  const wording =
    upstream?.kind === 'test' && upstream.status === 'error'
      ? 'errored'
      : UPSTREAM_WORDING[upstream?.status ?? 'error'];
  return `skipped: ${upstream?.kind ?? 'node'} ${upstream?.name ?? blocker} ${wording}`;
}

const UPSTREAM_WORDING: Record<NodeStatus, string> = {
  error: 'failed',
  fail: 'failed',
  skipped: 'was skipped',
  cancelled: 'was cancelled',
  success: 'succeeded',
  pass: 'passed',
  warn: 'warned',
};

function errorMessage(error: unknown): { message: string; code?: string } {
  if (error instanceof ModelsError || error instanceof WarehouseError)
    return { message: error.message, code: error.code };
  if (error instanceof Error) return { message: error.message };
  return { message: String(error) };
}

/**
 * The nodes of a selection that run in this mode, and each one's dependencies among them — through nodes that do not
 * run (ephemeral, unselected) — with, in `build`, the children of a node gated on its tests (dbt's skip rule).
 */
function runnableGraph(
  project: Project,
  selected: readonly ProjectNode[],
  resourceTypes: RunOptions['resourceTypes'],
  mode: NonNullable<RunOptions['runTests']>,
): { runnable: Array<ModelNode | SnapshotNode | TestNode | SeedNode>; deps: Map<string, Set<string>> } {
  const kinds = new Set(resourceTypes ?? RUNNABLE_KINDS);
  const runnable = selected.filter((node): node is ModelNode | SnapshotNode | TestNode | SeedNode => {
    if (node.kind === 'source') return false;
    if (node.kind === 'model' && node.materialized === 'ephemeral') return false;
    if (!kinds.has(node.kind)) return false;
    if (node.kind === 'test') return mode !== 'none';
    return mode !== 'only';
  });
  const runnableIds = new Set(runnable.map((n) => n.id));

  // Dependencies between runnable nodes, through nodes that do not run (ephemeral, unselected).
  const nearest = new Map<string, Set<string>>();
  const nearestRunnable = (id: string): Set<string> => {
    const known = nearest.get(id);
    if (known) return known;
    const out = new Set<string>();
    nearest.set(id, out);
    for (const parent of project.parents.get(id) ?? []) {
      if (runnableIds.has(parent)) out.add(parent);
      else for (const p of nearestRunnable(parent)) out.add(p);
    }
    return out;
  };
  const deps = new Map<string, Set<string>>();
  for (const node of runnable) {
    if (node.kind === 'test' && node.unit !== undefined) {
      // dbt's order: a unit test runs once the model's inputs are built, before the model; a failure skips it.
      const inputs = new Set<string>();
      for (const parent of project.parents.get(node.unit.model) ?? []) {
        if (runnableIds.has(parent)) inputs.add(parent);
        else for (const p of nearestRunnable(parent)) inputs.add(p);
      }
      deps.set(node.id, inputs);
    } else deps.set(node.id, new Set(nearestRunnable(node.id)));
  }
  for (const node of runnable) {
    if (node.kind === 'test' && node.unit !== undefined) deps.get(node.unit.model)?.add(node.id);
  }
  if (mode === 'after-each-model') gateChildrenOnTests(project, runnable, deps);
  return { runnable, deps };
}

/**
 * What a run runs: the selection (an invalid selector throws `INVALID_SELECTOR`), the runnable nodes and their
 * dependencies, and the compiler — with `--defer`'s relations when asked.
 */
async function prepareRun(
  project: Project,
  warehouse: Warehouse,
  options: RunOptions,
  mode: RunTestsMode,
  started: Date,
): Promise<ReturnType<typeof runnableGraph> & { compiler: ProjectCompiler }> {
  const selection = selectNodes(project, {
    ...(options.select === undefined ? {} : { select: options.select }),
    ...(options.exclude === undefined ? {} : { exclude: options.exclude }),
    ...(options.state === undefined ? {} : { state: options.state }),
    indirectTests: mode !== 'none' && options.indirectSelection !== 'empty',
  });
  const selectorErrors = selection.issues.filter((i) => i.severity === 'error');
  if (selectorErrors.length > 0) {
    throw new ModelsError('INVALID_SELECTOR', selectorErrors.map((i) => i.message).join(' '));
  }
  const graph = runnableGraph(project, selection.nodes, options.resourceTypes, mode);
  const compileOptions = {
    target: options.target,
    dialect: warehouse.dialect,
    runStartedAt: started,
    which: mode === 'none' ? 'run' : mode === 'only' ? 'test' : 'build',
    fullRefresh: options.fullRefresh ?? false,
  };
  if (!options.defer || options.state === undefined)
    return { ...graph, compiler: new ProjectCompiler(project, compileOptions) };
  const deferred = await deferredRelations({
    project,
    state: options.state.manifest,
    running: new Set(graph.runnable.map((n) => n.id)),
    target: options.target,
    dialect: warehouse.dialect,
    exists: async (relation) => (await warehouse.describeRelation(relation).catch(() => undefined)) !== undefined,
    ...(options.favorState ? { favorState: true } : {}),
  });
  return { ...graph, compiler: new ProjectCompiler(project, { ...compileOptions, deferred }) };
}

/**
 * Run a project's models, snapshots and tests in dependency order, `threads` at a time. A failed node (or an
 * error-severity test that fails, in `after-each-model` mode) marks what depends on it `skipped`, and the rest
 * goes on. Never throws once started: every node gets a result. Throws before starting only when the project has
 * load errors (`PROJECT_HAS_ERRORS`) or a selector is invalid (`INVALID_SELECTOR`).
 *
 * @example
 * const result = await runProject(project, warehouse, { target: { name: 'dev', type: 'duckdb', schema: 'main' }, threads: 4 });
 * for (const r of result.results) console.log(r.status, r.name, r.message);
 */
export async function runProject(project: Project, warehouse: Warehouse, options: RunOptions): Promise<RunResult> {
  if (project.errors.length > 0) {
    throw new ModelsError(
      'PROJECT_HAS_ERRORS',
      `the project has ${project.errors.length} error(s); fix them before running:\n${project.errors.map(formatIssue).join('\n')}`,
    );
  }
  const mode = options.runTests ?? 'after-each-model';
  const threads = Math.max(1, Math.floor(options.threads ?? 4));
  const fullRefresh = options.fullRefresh ?? false;
  const started = options.runStartedAt ?? new Date();
  const startedMs = Date.now();
  const signal = options.signal;
  const emit = (event: RunEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's failure must not break the run.
    }
  };
  const { runnable, deps, compiler } = await prepareRun(project, warehouse, options, mode, started);
  const schemas = new Map<string, Promise<void>>();
  const ensureSchema = (schema: string): Promise<void> => {
    let pending = schemas.get(schema);
    if (pending === undefined) {
      pending = warehouse.ensureSchema(schema);
      schemas.set(schema, pending);
    }
    return pending;
  };
  const redact = (text: string): string => redactSecrets(project, text);

  const results = new Map<string, NodeResult>();
  const dependents = new Map<string, string[]>();
  const remaining = new Map<string, number>();
  for (const [id, parents] of deps) {
    remaining.set(id, parents.size);
    for (const parent of parents) {
      let list = dependents.get(parent);
      if (!list) dependents.set(parent, (list = []));
      list.push(id);
    }
  }
  const order = new Map(runnable.map((n, i) => [n.id, i] as const));
  const ready: string[] = runnable.filter((n) => remaining.get(n.id) === 0).map((n) => n.id);
  emit({ type: 'run-start', nodes: runnable.map((n) => n.id), threads });

  const runNode = async (node: ModelNode | SnapshotNode | TestNode | SeedNode): Promise<NodeResult> => {
    const startedAt = new Date();
    const t0 = performance.now();
    const base = {
      id: node.id,
      name: node.name,
      kind: node.kind,
      file: node.file,
      ...(node.line === undefined ? {} : { line: node.line }),
      startedAt: startedAt.toISOString(),
      // A seed has no SQL file of its own.
      ...(node.kind === 'seed' ? {} : { compiledPath: compiledPathOf(project, node) }),
    };
    let compiled: CompiledNode | undefined;
    // What the node's templates asked the warehouse, per is_incremental() value (see warehouse-calls.ts).
    const calls = new Map<boolean, WarehouseCallLog>();
    const callsOf = (incremental: boolean): WarehouseCallLog => {
      let log = calls.get(incremental);
      if (log === undefined) calls.set(incremental, (log = new WarehouseCallLog()));
      return log;
    };
    const compile = (incremental: boolean): CompiledNode => {
      const log = callsOf(incremental);
      log.restart();
      compiled = compiler.compileNode(node.id, incremental, log.answer);
      return compiled;
    };
    const elapsed = (): number => Math.round((performance.now() - t0) * 1000) / 1000;
    const withSql = (): { compiledSql?: string } =>
      compiled === undefined ? {} : { compiledSql: redact(compiled.sql) };
    try {
      if (node.kind === 'test') {
        const test = await withWarehouseCalls(callsOf(false), () => compile(false), warehouse, {
          tag: statementTag(options, node.id),
          ...(signal === undefined ? {} : { signal }),
        });
        if (node.unit !== undefined) {
          const outcome = await runUnitTest(warehouse, test.sql, node.unit.expect, {
            tag: statementTag(options, node.id),
            sampleSize: options.sampleSize ?? 5,
            ...(signal === undefined ? {} : { signal }),
          });
          return {
            ...base,
            status: outcome.status,
            message: redact(outcome.message),
            elapsedMs: elapsed(),
            severity: 'error',
            failures: outcome.failures,
            samples: outcome.samples,
            ...withSql(),
          };
        }
        const { status, message, details } = await runTestNode(warehouse, node, test, {
          ...(signal === undefined ? {} : { signal }),
          sampleSize: options.sampleSize ?? 5,
          tag: statementTag(options, node.id),
          ensureSchema,
          compiledPath: compiledPathOf(project, node),
        });
        return { ...base, status, message: redact(message), elapsedMs: elapsed(), ...details, ...withSql() };
      }
      const probe = compiler.relationOf(node);
      if (probe) await ensureSchema(probe.schema);
      const ctx = {
        warehouse,
        fullRefresh,
        runStartedAt: started,
        compile,
        ...(signal === undefined ? {} : { signal }),
        ...(options.tagPrefix === undefined ? {} : { tagPrefix: options.tagPrefix }),
      };
      const outcome = node.kind === 'seed' ? await loadSeed(ctx, node, project.dir) : await materializeNode(ctx, node);
      const warnings = outcome.warnings ?? [];
      return {
        ...base,
        status: 'success',
        message: redact(
          warnings.length === 0 ? outcome.message : `${outcome.message}; warning: ${warnings.join('; warning: ')}`,
        ),
        ...(warnings.length > 0 ? { warnings: warnings.map(redact) } : {}),
        elapsedMs: elapsed(),
        materialized: node.kind === 'model' ? node.materialized : node.kind,
        ...(outcome.compiled.relation === undefined ? {} : { relation: outcome.compiled.relation }),
        ...(outcome.rowsAffected === undefined ? {} : { rowsAffected: outcome.rowsAffected }),
        ...(node.kind === 'seed' ? {} : withSql()),
      };
    } catch (error) {
      const cancelled = signal?.aborted === true;
      const { message, code } = errorMessage(error);
      const label = node.kind === 'test' ? 'test' : node.kind;
      return {
        ...base,
        status: cancelled ? 'cancelled' : 'error',
        message: redact(
          cancelled
            ? 'cancelled: the run was cancelled while this node ran'
            : `${label} ${node.name} (${node.file}) failed: ${message}${compiled === undefined || base.compiledPath === undefined ? '' : ` — compiled SQL: target/${base.compiledPath}`}`,
        ),
        elapsedMs: elapsed(),
        ...(node.kind === 'model'
          ? { materialized: node.materialized }
          : node.kind === 'snapshot' || node.kind === 'seed'
            ? { materialized: node.kind }
            : {}),
        ...(code === undefined ? {} : { errorCode: cancelled ? 'CANCELLED' : code }),
        ...withSql(),
      };
    }
  };

  // dbt's on-run-start: every statement, in order, before any node; a failure skips every node (dbt's rule).
  const hookResults: RunHookResult[] = [];
  const runHooks = async (event: ProjectRunHook['event'], runContext?: Record<string, unknown>): Promise<boolean> => {
    let ok = true;
    for (const hook of (project.runHooks ?? []).filter((h) => h.event === event)) {
      const id = `operation.${project.name}.${project.name}-${hook.event}-${hook.index}`;
      const place = { file: hook.file, ...(hook.line === undefined ? {} : { line: hook.line }) };
      if (!ok || signal?.aborted) {
        hookResults.push({
          id,
          event,
          status: 'skipped',
          message: `skipped: an earlier ${event} statement failed`,
          ...place,
          elapsedMs: 0,
        });
        continue;
      }
      const t0 = performance.now();
      let sql: string | undefined;
      try {
        const tag = statementTag(options, id);
        const calls = new WarehouseCallLog();
        sql = await withWarehouseCalls(
          calls,
          () => compiler.compileRunHook(hook, runContext, calls.answer),
          warehouse,
          {
            tag,
            ...(signal === undefined ? {} : { signal }),
          },
        );
        if (sql !== '') await warehouse.execute(sql, { tag, ...(signal === undefined ? {} : { signal }) });
        hookResults.push({
          id,
          event,
          status: 'success',
          message: 'OK',
          ...place,
          elapsedMs: Math.round(performance.now() - t0),
          sql: redact(sql),
        });
      } catch (error) {
        ok = false;
        const reason = error instanceof Error ? error.message : String(error);
        hookResults.push({
          id,
          event,
          status: 'error',
          message: redact(
            `${event} statement ${hook.index + 1} (${hook.file}${hook.line === undefined ? '' : `:${hook.line}`}) failed: ${reason}`,
          ),
          ...place,
          elapsedMs: Math.round(performance.now() - t0),
          ...(sql === undefined ? {} : { sql: redact(sql) }),
        });
      }
    }
    return ok;
  };
  const startedOk = await runHooks('on-run-start');
  if (!startedOk) {
    const failed = hookResults.find((h) => h.status === 'error');
    for (const node of runnable) {
      const result: NodeResult = {
        id: node.id,
        name: node.name,
        kind: node.kind,
        file: node.file,
        ...(node.line === undefined ? {} : { line: node.line }),
        status: 'skipped',
        message: `skipped: ${failed?.message ?? 'on-run-start failed'}`,
        elapsedMs: 0,
      };
      results.set(node.id, result);
      emit({ type: 'node-finish', result });
    }
    ready.length = 0;
  }

  await new Promise<void>((resolve) => {
    let running = 0;
    const finish = (id: string, result: NodeResult): void => {
      results.set(id, result);
      emit({ type: 'node-finish', result });
      const unlocked: string[] = [];
      for (const child of dependents.get(id) ?? []) {
        const left = (remaining.get(child) as number) - 1;
        remaining.set(child, left);
        if (left === 0) unlocked.push(child);
      }
      // Keep the project's order among nodes that become ready together.
      ready.push(...unlocked.sort((a, b) => (order.get(a) as number) - (order.get(b) as number)));
    };
    const pump = (): void => {
      while (ready.length > 0 && (running < threads || signal?.aborted)) {
        const id = ready.shift() as string;
        const node = project.nodes.get(id) as ModelNode | SnapshotNode | TestNode | SeedNode;
        const blocker = [...(deps.get(id) ?? [])].find((d) => BLOCKING.has(results.get(d)?.status as NodeStatus));
        if (blocker !== undefined || signal?.aborted) {
          const upstream = blocker === undefined ? undefined : results.get(blocker);
          finish(id, {
            id,
            name: node.name,
            kind: node.kind,
            file: node.file,
            ...(node.line === undefined ? {} : { line: node.line }),
            status: signal?.aborted ? 'cancelled' : 'skipped',
            message: signal?.aborted
              ? 'cancelled: not started, the run was cancelled'
              : skipMessage(upstream, blocker as string),
            elapsedMs: 0,
            ...(node.kind === 'seed' ? {} : { compiledPath: compiledPathOf(project, node) }),
            ...(node.kind === 'test' ? { severity: node.config.severity ?? 'error' } : {}),
          });
          continue;
        }
        const reused = options.reuse?.get(id);
        if (reused !== undefined) {
          finish(id, {
            id,
            name: node.name,
            kind: node.kind,
            file: node.file,
            ...(node.line === undefined ? {} : { line: node.line }),
            status: reused.status ?? 'success',
            message: `reused: ${reused.reason}`,
            elapsedMs: 0,
            reused: reused.reason,
            ...(node.kind === 'model'
              ? { materialized: node.materialized }
              : node.kind === 'test'
                ? {}
                : { materialized: node.kind }),
            ...(node.kind === 'test'
              ? {
                  severity: node.config.severity ?? 'error',
                  ...(reused.failures === undefined ? {} : { failures: reused.failures }),
                }
              : {}),
          });
          continue;
        }
        running++;
        emit({ type: 'node-start', id, name: node.name, kind: node.kind });
        void runNode(node).then((result) => {
          running--;
          finish(id, result);
          pump();
        });
      }
      if (running === 0 && ready.length === 0) resolve();
    };
    signal?.addEventListener('abort', () => pump(), { once: true });
    pump();
  });

  // Anything never reached (only possible after a cancel) is recorded as cancelled.
  for (const node of runnable) {
    if (results.has(node.id)) continue;
    results.set(node.id, {
      id: node.id,
      name: node.name,
      kind: node.kind,
      file: node.file,
      status: 'cancelled',
      message: 'cancelled: not started, the run was cancelled',
      elapsedMs: 0,
    });
  }
  const ordered = runnable.map((n) => results.get(n.id) as NodeResult);
  if ((project.runHooks ?? []).some((h) => h.event === 'on-run-end')) {
    await runHooks('on-run-end', runEndContext(project, compiler, ordered, options.target));
  }
  const counts: Record<NodeStatus, number> = {
    success: 0,
    error: 0,
    skipped: 0,
    cancelled: 0,
    pass: 0,
    warn: 0,
    fail: 0,
  };
  for (const r of ordered) counts[r.status]++;
  const finished = new Date();
  const result: RunResult = {
    status: signal?.aborted
      ? 'cancelled'
      : counts.error + counts.fail + counts.skipped + counts.cancelled > 0 ||
          hookResults.some((h) => h.status === 'error')
        ? 'error'
        : 'success',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    elapsedMs: Date.now() - startedMs,
    results: ordered,
    counts,
    args: {
      select: options.select ?? [],
      exclude: options.exclude ?? [],
      threads,
      fullRefresh,
      runTests: mode,
      resourceTypes: [...(options.resourceTypes ?? RUNNABLE_KINDS)],
      ...(options.state === undefined ? {} : { state: options.state.manifest.dir }),
      ...(options.defer && options.state !== undefined ? { defer: true } : {}),
      ...(options.favorState && options.defer ? { favorState: true } : {}),
      ...(options.indirectSelection === 'empty' ? { indirectSelection: 'empty' as const } : {}),
    },
    target: options.target,
    ...(hookResults.length === 0 ? {} : { hooks: hookResults }),
  };
  emit({ type: 'run-finish', result });
  return result;
}

/**
 * Run one data test (its failures stored first when `store_failures` is set): the node's status (`cancelled` when
 * the run was aborted under it), its message (unredacted; with the compiled SQL's path unless it passed) and the
 * result fields of a test.
 */
async function runTestNode(
  warehouse: Warehouse,
  node: TestNode,
  test: CompiledNode,
  context: {
    readonly signal?: AbortSignal;
    readonly sampleSize: number;
    readonly tag: string;
    readonly ensureSchema: (schema: string) => Promise<void>;
    readonly compiledPath: string;
  },
): Promise<{
  status: NodeStatus;
  message: string;
  details: Pick<NodeResult, 'severity' | 'failures' | 'samples' | 'storedIn'>;
}> {
  const { signal } = context;
  // dbt: store_failures_as, when set, decides (ephemeral = not stored); else store_failures does, as a table.
  const storeAs = node.config.store_failures_as;
  const storeFailures = storeAs === undefined ? node.config.store_failures === true : storeAs !== 'ephemeral';
  if (storeFailures && test.relation) await context.ensureSchema(test.relation.schema);
  const outcome = await runDataTest(
    warehouse,
    {
      name: node.name,
      sql: test.sql,
      severity: node.config.severity ?? 'error',
      ...(node.config.warn_if === undefined ? {} : { warnIf: node.config.warn_if }),
      ...(node.config.error_if === undefined ? {} : { errorIf: node.config.error_if }),
      ...(node.config.fail_calc === undefined ? {} : { failCalc: node.config.fail_calc }),
      ...(node.config.limit === undefined ? {} : { limit: node.config.limit }),
      ...(storeFailures && test.relation ? { storeFailuresIn: test.relation } : {}),
      ...(storeAs === 'view' ? { storeFailuresAs: 'view' as const } : {}),
    },
    { ...(signal === undefined ? {} : { signal }), sampleSize: context.sampleSize, tag: context.tag },
  );
  const status: NodeStatus =
    outcome.status === 'cancelled' || (outcome.status === 'error' && signal?.aborted) ? 'cancelled' : outcome.status;
  const where = status === 'pass' ? '' : ` — compiled SQL: target/${context.compiledPath}`;
  return {
    status,
    message: outcome.message + where,
    details: {
      severity: node.config.severity ?? 'error',
      failures: outcome.failures,
      samples: outcome.samples,
      ...(outcome.storedIn === undefined ? {} : { storedIn: outcome.storedIn }),
    },
  };
}

/**
 * In build mode a node waits for the tests that gate it, so an error-severity failure skips it and, through it,
 * everything downstream. dbt's rule (its `add_test_edges`): a test gates every node downstream of ALL the nodes the
 * test depends on — a `not_null` on `orders` gates what is built from `orders`; a `relationships` test from
 * `orders` to `customers`, or a singular test that refs both, gates what is built from both. Only the first such
 * nodes get the edge (what lies below them waits for them anyway); never a node the test itself depends on.
 */
function gateChildrenOnTests(
  project: Project,
  runnable: readonly (ModelNode | SnapshotNode | TestNode | SeedNode)[],
  deps: Map<string, Set<string>>,
): void {
  const descendantsOf = new Map<string, Set<string>>();
  const descendants = (id: string): Set<string> => {
    let known = descendantsOf.get(id);
    if (known) return known;
    known = new Set<string>();
    const stack = [...(project.children.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (known.has(next) || project.nodes.get(next)?.kind === 'test') continue;
      known.add(next);
      stack.push(...(project.children.get(next) ?? []));
    }
    descendantsOf.set(id, known);
    return known;
  };
  for (const test of runnable) {
    // A unit test gates the model it tests (runnableGraph), and through it what is built from the model.
    if (test.kind !== 'test' || test.unit !== undefined) continue;
    const tested = project.parents.get(test.id) ?? test.dependsOn;
    if (tested.length === 0) continue;
    const [first, ...rest] = [...tested].sort((a, b) => descendants(a).size - descendants(b).size);
    const below = [...descendants(first as string)].filter((id) => rest.every((other) => descendants(other).has(id)));
    const gated = new Set(below);
    for (const id of below) {
      // The first gated nodes only: one whose parent is gated and runs waits for that parent already.
      if ((project.parents.get(id) ?? []).some((parent) => gated.has(parent) && deps.has(parent))) continue;
      const waiting = deps.get(id);
      if (waiting === undefined || tested.includes(id)) continue;
      waiting.add(test.id);
    }
  }
}

/**
 * What dbt's on-run-end hooks see besides the usual context: `results` (one per node: `status`, `message`,
 * `execution_time` in seconds, `failures`, `adapter_response`, and `node` with `name`, `unique_id`,
 * `resource_type`, `schema`, `alias`, `database`, `package_name`), `schemas` (the schemas the run's seeds, models
 * and snapshots are built in) and `database_schemas` (`[database, schema]` pairs).
 */
function runEndContext(
  project: Project,
  compiler: ProjectCompiler,
  results: readonly NodeResult[],
  target: TargetConfig,
): Record<string, unknown> {
  const database = target.database ?? null;
  const schemas: string[] = [];
  const resultValues = results.map((r) => {
    const node = project.nodes.get(r.id);
    const relation = node === undefined ? undefined : compiler.relationOf(node);
    if (relation !== undefined && r.kind !== 'test' && !schemas.includes(relation.schema))
      schemas.push(relation.schema);
    return {
      status: r.status,
      message: r.message,
      execution_time: r.elapsedMs / 1000,
      failures: r.failures ?? null,
      adapter_response: r.rowsAffected === undefined ? {} : { rows_affected: r.rowsAffected },
      thread_id: null,
      node: {
        name: r.name,
        unique_id: r.id,
        resource_type: r.kind,
        schema: relation?.schema ?? null,
        alias: relation?.name ?? r.name,
        database,
        package_name: r.id.split('.')[1] ?? project.name,
        original_file_path: r.file,
      },
    };
  });
  return { results: resultValues, schemas, database_schemas: schemas.map((schema) => [database, schema]) };
}
