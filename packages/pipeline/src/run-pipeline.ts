import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { SourcePool } from '@sluice/pg-extract';
import { NO_RETRY, retryDelayMs, type RetryPolicy, type Warehouse } from '@sluice/warehouse';
import type { RunStatus, StateLock, StateStore } from '@sluice/watermark';
import { RUN_LOCK, runIngest, type IngestEvent, type IngestResult, type TableResult } from './ingest.js';
import type { NodeResult, RunEvent, RunnableKind, RunTestsMode } from '@sluice/models';
import { buildModels, hasModels, type BuildResult, type StateFlags } from './build-models.js';
import { readBuildState, tableChangeWrites, writeBuildState } from './build-state.js';
import { targetEngine } from './engine-registry.js';
import { resolveTarget } from './open-project.js';
import { createLineageEmitter } from './lineage-emitter.js';
import type { LineageEventType } from './openlineage.js';
import type { LoadedProject, TargetConfig } from './project-config.js';
import { closeAbandonedRuns, currentRunHolder, RUN_HEARTBEAT_MS, type AbandonedRun } from './run-liveness.js';
import { describePipelineEvent } from './describe-pipeline-event.js';
import { RunLog } from './run-log.js';
import {
  buildRunRecord,
  modelOutcome,
  runOutcomeDetail,
  tableOutcome,
  testOutcome,
  type PipelineStep,
  type RunScope,
} from './run-record.js';

export type { PipelineStep } from './run-record.js';

/** How a step is retried: the one retry policy of @sluice/warehouse, re-exported for the apps. */
export { NO_RETRY, retryDelayMs, type RetryPolicy };

export type PipelineEvent =
  | { readonly type: 'run-start'; readonly runId: string; readonly trigger: string }
  | { readonly type: 'step-start'; readonly runId: string; readonly step: PipelineStep; readonly attempt: number }
  /** An attempt of a step ended: `success`, `failed` (retried if attempts remain) or `cancelled`. */
  | {
      readonly type: 'step-end';
      readonly runId: string;
      readonly step: PipelineStep;
      readonly attempt: number;
      readonly outcome: 'success' | 'failed' | 'cancelled';
      readonly seconds: number;
    }
  | {
      readonly type: 'step-retry';
      readonly runId: string;
      readonly step: PipelineStep;
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: string;
    }
  | { readonly type: 'ingest'; readonly runId: string; readonly event: IngestEvent }
  | { readonly type: 'build'; readonly runId: string; readonly event: RunEvent }
  | { readonly type: 'run-end'; readonly runId: string; readonly status: RunStatus; readonly seconds: number }
  /** Runs left `running` by processes that are gone, recorded `abandoned` by this run once it held the lock. */
  | { readonly type: 'runs-abandoned'; readonly runId: string; readonly runs: readonly AbandonedRun[] }
  /** A heartbeat (the running record re-saved) failed: the state store is unreachable; the run goes on. */
  | { readonly type: 'heartbeat-failed'; readonly runId: string; readonly error: string }
  /** An OpenLineage event was not delivered (the run goes on). */
  | {
      readonly type: 'lineage-failed';
      readonly runId: string;
      readonly eventType: LineageEventType;
      readonly destination: string;
      readonly error: string;
    };

export interface PipelineRunOptions {
  readonly project: LoadedProject;
  readonly warehouse: Warehouse;
  readonly state: StateStore;
  readonly workDir: string;
  /** What started it: `cli`, `schedule`, `api`, `demo`… (kept in the run history). */
  readonly trigger: string;
  readonly runId?: string;
  /** Only these tables. */
  readonly tables?: readonly string[];
  /**
   * Which steps (default both). `ingest` runs only when `sluice.yml` lists tables, `build` only when the project
   * has a model project (the verb rule: `run` and `build` ingest first when there is ingestion to do).
   */
  readonly steps?: readonly PipelineStep[];
  /** The build step: `after-each-model` (default: models and their tests, dbt's `build`), `none` (models only,
   *  dbt's `run`), `only` (tests only, dbt's `test`). */
  readonly runTests?: RunTestsMode;
  /** The kinds of node the build step builds (dbt's verbs: `run` = models, `seed`, `snapshot`; default all). */
  readonly resourceTypes?: readonly RunnableKind[];
  /** `--vars`: values for `var()` over the project's. */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** The CLI command that asked for the run (`run`, `models run`, `test`…), kept in its record. */
  readonly command?: string;
  /** The target (default: the project's); used by the build step. */
  readonly target?: { readonly name: string; readonly config: TargetConfig };
  /** Model selection and parallelism for the build step. */
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly threads?: number;
  readonly fullRefresh?: boolean;
  /**
   * Build every node (`--all`) instead of only what must be. Where ingestion is configured, a run that ingests
   * builds only what its changes (and edits, failures, missing relations) require; the rest is `reused`.
   */
  readonly all?: boolean;
  /** dbt's `--state DIR` (with `--defer`, `--favor-state`): the build compares with, and reads through, that manifest. */
  readonly stateArtifacts?: StateFlags;
  /** dbt's `--indirect-selection` (`empty`: only the selected tests; what `sluice retry` passes). */
  readonly indirectSelection?: 'eager' | 'empty';
  /**
   * Whether the ingest step reloads the tables from scratch; default `fullRefresh`. The CLI's `run` and `build`
   * pass `false`: their `--full-refresh` is dbt's (incremental models and seeds), the ingest only brings the raw
   * tables up to date (`sluice ingest --full-refresh` reloads them).
   */
  readonly ingestFullRefresh?: boolean;
  readonly retry?: RetryPolicy;
  /** A step that runs longer is cancelled (and retried if attempts remain). */
  readonly stepTimeoutMs?: number;
  /** The whole run is cancelled after this long. */
  readonly runTimeoutMs?: number;
  /** Source connections kept between runs (the scheduler's; see `SourcePool`): default, the run opens its own. */
  readonly sourcePool?: SourcePool;
  /** Cancels the run (e.g. SIGTERM): the run is recorded `interrupted`. */
  readonly signal?: AbortSignal;
  /** Stops the run between steps: the step under way finishes, no further step starts, and the run is recorded
   *  `interrupted` (a graceful shutdown). Abort `signal` too to cancel the step under way. */
  readonly drain?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
  /** Injected for tests: waits between attempts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Who runs it, shown to another run that finds the lock held, and kept in the record (with host and pid). */
  readonly holder?: string;
  /** How often the running record is re-saved with the progress so far: its heartbeat (default 10 s). */
  readonly heartbeatMs?: number;
  /**
   * The run lock (`RUN_LOCK`), when the caller already holds it — the scheduler takes it before it opens the
   * warehouse and releases it after closing it, so two daemons never hold one DuckDB file at once. The run then
   * neither takes nor releases it.
   */
  readonly lock?: StateLock;
}

export interface PipelineRunResult {
  readonly runId: string;
  readonly trigger: string;
  readonly status: RunStatus;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly ingest: IngestResult | undefined;
  readonly build: BuildResult | undefined;
  readonly attempts: Readonly<Record<PipelineStep, number>>;
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

/**
 * How a run ended, from what its steps returned: `interrupted` when it was cancelled (its signal, its timeout) or a
 * drain left a step unstarted, `failed` when a step failed, else `success` — and the error the record keeps.
 */
function runOutcome(
  options: PipelineRunOptions,
  steps: readonly PipelineStep[],
  aborted: AbortSignal,
  done: {
    readonly ingest: IngestResult | undefined;
    readonly build: BuildResult | undefined;
    readonly error: PipelineRunResult['error'];
  },
): { status: RunStatus; error: PipelineRunResult['error'] } {
  const { ingest, build } = done;
  let error = done.error;
  // A drain that left a step of this run unstarted makes the run interrupted; one that came after the last step does not.
  const skippedByDrain =
    options.drain?.aborted === true &&
    ((steps.includes('ingest') && ingest === undefined) ||
      (steps.includes('build') && hasModels(options.project) && build === undefined));
  const interrupted =
    aborted.aborted || skippedByDrain || ingest?.status === 'cancelled' || build?.run.status === 'cancelled';
  const buildFailed = build !== undefined && build.run.status !== 'success';
  const status: RunStatus = interrupted
    ? 'interrupted'
    : error || ingest?.status === 'failed' || buildFailed
      ? 'failed'
      : 'success';
  if (!error && buildFailed && !interrupted) {
    const failed = build?.run.results.filter((r) => r.status === 'error' || r.status === 'fail') ?? [];
    error = {
      code: 'BUILD_FAILED',
      message: `${failed.length} model(s) or test(s) failed: ${failed.map((r) => r.name).join(', ')}`,
    };
  }
  // A cancelled run (its signal, its run_timeout) is recorded with that reason, not with the error its step threw
  // because it was cancelled ("the extraction was cancelled"): alerts tell a timeout from a shutdown by it.
  if (interrupted && (!error || aborted.aborted)) {
    const reason = aborted.aborted ? aborted.reason : options.drain?.reason;
    error = {
      code: 'INTERRUPTED',
      message: reason instanceof Error ? reason.message : String(reason ?? 'interrupted'),
    };
  }
  return { status, error };
}

/** The ingest step of a run: load the tables, bump the change counters of those that changed, fail on a failed table. */
async function ingestStep(
  options: PipelineRunOptions,
  runId: string,
  signal: AbortSignal,
  emit: (event: PipelineEvent) => void,
): Promise<IngestResult> {
  const result = await runIngest({
    project: options.project,
    warehouse: options.warehouse,
    state: options.state,
    workDir: options.workDir,
    runId,
    lock: false,
    signal,
    ...(options.tables ? { tables: options.tables } : {}),
    ...(options.sourcePool ? { sourcePool: options.sourcePool } : {}),
    ...((options.ingestFullRefresh ?? options.fullRefresh) ? { fullRefresh: true } : {}),
    onEvent: (event) => emit({ type: 'ingest', runId, event }),
  });
  // Every run that changed raw tables bumps their change counters (in the warehouse), failed or not and
  // whatever it builds next: a later run's build sees them even when this one stops before building.
  await recordTableChanges(options, result, runId);
  if (result.status === 'failed' && !signal.aborted) {
    const failed = result.tables.filter((t) => t.status === 'failed');
    throw Object.assign(new Error(failed.map((t) => `${t.table}: ${t.error?.message ?? 'failed'}`).join('; ')), {
      code: 'TABLES_FAILED',
      result,
    });
  }
  return result;
}

/** The build step of a run: models and tests, change-aware when the project ingests. */
function buildStep(
  options: PipelineRunOptions,
  run: {
    readonly target: ReturnType<typeof resolveTarget>;
    readonly runId: string;
    readonly steps: readonly PipelineStep[];
    readonly ingest: IngestResult | undefined;
  },
  signal: AbortSignal,
  emit: (event: PipelineEvent) => void,
): Promise<BuildResult> {
  const { target, runId, steps, ingest } = run;
  return buildModels({
    project: options.project,
    warehouse: options.warehouse,
    target,
    runId,
    signal,
    ...(options.runTests ? { runTests: options.runTests } : {}),
    ...(options.resourceTypes ? { resourceTypes: options.resourceTypes } : {}),
    ...(options.vars ? { vars: options.vars } : {}),
    ...(options.select ? { select: options.select } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.fullRefresh ? { fullRefresh: true } : {}),
    ...(options.stateArtifacts ? { state: options.stateArtifacts } : {}),
    ...(options.indirectSelection ? { indirectSelection: options.indirectSelection } : {}),
    ...(hasIngestion(options.project)
      ? {
          changeAware: {
            workDir: options.workDir,
            ...optionalAll(changeAwareAll(options, steps)),
            ...(ingest ? { reshapedTables: reshapedTables(options.project, ingest) } : {}),
          },
        }
      : {}),
    onEvent: (event) => emit({ type: 'build', runId, event }),
  });
}

/**
 * Every run, whoever starts it (`sluice run`, `ingest`, `build`, `models run`, `test`, `sluice demo`, the
 * scheduler): take the run lock, record the run as `running` (who runs it, and a heartbeat: the record is re-saved
 * with the progress and the log every `heartbeatMs`), record `abandoned` the runs left running by processes that
 * are gone, send the OpenLineage START event (when `openlineage:` is configured), run each step (ingest; models and
 * tests when the project has them) with retries and timeouts, and record how it ended (`buildRunRecord`), then
 * send COMPLETE, FAIL or ABORT. Never throws for a failure inside a step: the result says what happened. Throws
 * only when the lock is held (`LOCK_HELD`), so a second run never starts.
 */
export async function runPipeline(options: PipelineRunOptions): Promise<PipelineRunResult> {
  const runId = options.runId ?? randomUUID();
  const startedAt = new Date();
  const holderName = options.holder ?? `sluice ${options.trigger}`;
  const ownLock =
    options.lock === undefined ? await options.state.acquireLock(RUN_LOCK, { holder: holderName }) : undefined;
  const holder = currentRunHolder(holderName);
  const log = new RunLog();
  // What the run has done so far: the heartbeat records it, and it stands in for a step that threw.
  const tablesDone: TableResult[] = [];
  const nodesDone: NodeResult[] = [];
  const runController = new AbortController();
  const abortRun = () => runController.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', abortRun, { once: true });
  if (options.signal?.aborted) abortRun(); // cancelled before it started: 'abort' will not fire again
  const runTimer = options.runTimeoutMs
    ? setTimeout(
        () => runController.abort(new Error(`run timed out after ${options.runTimeoutMs} ms`)),
        options.runTimeoutMs,
      )
    : undefined;
  const emit = (event: PipelineEvent) => {
    if (event.type === 'ingest' && event.event.type === 'table-done') tablesDone.push(event.event.result);
    if (event.type === 'build' && event.event.type === 'node-finish') nodesDone.push(event.event.result);
    const line = describePipelineEvent(event);
    if (line) log.add(line.level, line.msg);
    options.onEvent?.(event);
  };
  // No tables to load: the ingest step is not part of the run (the verb rule: only configured ingestion runs).
  const steps = (options.steps ?? ['ingest', 'build']).filter(
    (step) => step !== 'ingest' || hasIngestion(options.project),
  );
  const scope = runScope(options, steps);
  const command = options.command;
  const record = { id: runId, trigger: options.trigger, startedAt };
  const target = options.target ?? resolveTarget(options.project);
  const lineage = createLineageEmitter({
    project: options.project,
    target: targetEngine(target.config, options.project.dir),
    scope,
    runId,
    onFailure: (eventType, destination, error) =>
      emit({ type: 'lineage-failed', runId, eventType, destination, error }),
  });
  let ingest: IngestResult | undefined;
  let build: BuildResult | undefined;
  const attempts: Record<PipelineStep, number> = { ingest: 0, build: 0 };
  let error: PipelineRunResult['error'];
  const runningDetail = () => ({
    ...(command ? { command } : {}),
    scope,
    holder,
    heartbeatAt: new Date().toISOString(),
    attempts: { ...attempts },
    tables: tablesDone.map(tableOutcome),
    models: nodesDone.filter((r) => r.kind !== 'test').map(modelOutcome),
    tests: nodesDone.filter((r) => r.kind === 'test').map((r) => testOutcome(r, undefined)),
    ...log.snapshot(),
  });
  // Heartbeats are saved one after another, and the last one settles before the final record is written.
  let saving: Promise<void> = Promise.resolve();
  const heartbeat = () => {
    saving = saving.then(async () => {
      try {
        await options.state.saveRun(buildRunRecord({ ...record, status: 'running', detail: runningDetail() }));
      } catch (caught) {
        emit({ type: 'heartbeat-failed', runId, error: caught instanceof Error ? caught.message : String(caught) });
      }
    });
  };
  let heartbeats: ReturnType<typeof setInterval> | undefined;
  try {
    await options.state.saveRun(buildRunRecord({ ...record, status: 'running', detail: runningDetail() }));
    heartbeats = setInterval(heartbeat, options.heartbeatMs ?? RUN_HEARTBEAT_MS);
    heartbeats.unref?.();
    lineage.start(startedAt);
    emit({ type: 'run-start', runId, trigger: options.trigger });
    try {
      // This run holds the lock: a run still recorded running whose process is gone can be closed now.
      const abandoned = await closeAbandonedRuns({
        state: options.state,
        holder: holderName,
        lockHeld: true,
        except: runId,
      });
      if (abandoned.length > 0) emit({ type: 'runs-abandoned', runId, runs: abandoned });
    } catch {
      // Only housekeeping: the next look (a daemon, `sluice status`, the next run) tries again.
    }
    const drained = () => options.drain?.aborted === true;
    if (steps.includes('ingest') && !drained() && !runController.signal.aborted)
      ingest = await withRetries('ingest', options, runController.signal, attempts, emit, runId, (signal) =>
        ingestStep(options, runId, signal, emit),
      );
    if (steps.includes('build') && hasModels(options.project) && !runController.signal.aborted && !drained()) {
      build = await withRetries('build', options, runController.signal, attempts, emit, runId, (signal) =>
        buildStep(options, { target, runId, steps, ingest }, signal, emit),
      );
    }
  } catch (caught) {
    const failure = caught as { code?: unknown; result?: IngestResult } | undefined;
    ingest = failure?.result ?? ingest;
    // Whatever was thrown (a driver's numeric code, a string), the record gets a code and a message.
    error = {
      code: typeof failure?.code === 'string' && failure.code !== '' ? failure.code : 'RUN_FAILED',
      message: caught instanceof Error ? caught.message : String(caught),
    };
  } finally {
    clearTimeout(runTimer);
    clearInterval(heartbeats);
    options.signal?.removeEventListener('abort', abortRun);
  }
  const outcome = runOutcome(options, steps, runController.signal, { ingest, build, error });
  const status = outcome.status;
  error = outcome.error;
  const endedAt = new Date();
  const seconds = (endedAt.getTime() - startedAt.getTime()) / 1000;
  log.add(
    status === 'success' ? 'info' : status === 'interrupted' ? 'warn' : 'error',
    `run ${status} after ${seconds.toFixed(1)} s${error ? ` — ${error.code}: ${error.message}` : ''}`,
    endedAt,
  );
  await saving;
  try {
    await options.state.saveRun(
      buildRunRecord({
        ...record,
        status,
        endedAt,
        detail: {
          ...runOutcomeDetail({
            command,
            scope,
            ingest,
            build,
            attempts,
            error,
            reached: { tables: tablesDone, nodes: nodesDone },
          }),
          holder,
          heartbeatAt: endedAt.toISOString(),
          ...log.snapshot(),
        },
      }),
    );
  } finally {
    await ownLock?.release();
  }
  await lineage.end(endedAt, status, {
    tables: ingest?.tables ?? tablesDone,
    nodes: build?.run.results ?? nodesDone,
    error,
  });
  emit({ type: 'run-end', runId, status, seconds });
  return { runId, trigger: options.trigger, status, startedAt, endedAt, ingest, build, attempts, error };
}

async function withRetries<T>(
  step: PipelineStep,
  options: PipelineRunOptions,
  runSignal: AbortSignal,
  attempts: Record<PipelineStep, number>,
  emit: (event: PipelineEvent) => void,
  runId: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const policy = options.retry ?? NO_RETRY;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    attempts[step] = attempt;
    emit({ type: 'step-start', runId, step, attempt });
    const stepController = new AbortController();
    // Every statement in flight listens on the step's signal: a build at dbt's `threads: 24` has more than Node's
    // default of 10 at once, which is not a leak.
    setMaxListeners(0, stepController.signal);
    const forward = () => stepController.abort(runSignal.reason);
    runSignal.addEventListener('abort', forward, { once: true });
    // A run cancelled before this step began (a run timeout or a signal while the run was being recorded): the
    // listener above never fires for it, so pass it on now.
    if (runSignal.aborted) forward();
    const timer = options.stepTimeoutMs
      ? setTimeout(
          () => stepController.abort(new Error(`${step} timed out after ${options.stepTimeoutMs} ms`)),
          options.stepTimeoutMs,
        )
      : undefined;
    const began = performance.now();
    const ended = (outcome: 'success' | 'failed' | 'cancelled') =>
      emit({ type: 'step-end', runId, step, attempt, outcome, seconds: (performance.now() - began) / 1000 });
    try {
      const result = await work(stepController.signal);
      if (stepController.signal.aborted && !runSignal.aborted) throw stepController.signal.reason;
      ended(runSignal.aborted ? 'cancelled' : 'success');
      return result;
    } catch (caught) {
      ended(runSignal.aborted ? 'cancelled' : 'failed');
      // A step stopped by its own timeout failed because of the timeout, whatever the cancelled work threw.
      const error: unknown =
        stepController.signal.aborted && !runSignal.aborted ? stepController.signal.reason : caught;
      if (runSignal.aborted || attempt >= policy.attempts) throw error;
      const delayMs = retryDelayMs(policy, attempt + 1);
      emit({
        type: 'step-retry',
        runId,
        step,
        attempt,
        delayMs,
        error: error instanceof Error ? error.message : String(error),
      });
      await sleep(delayMs, runSignal);
    } finally {
      clearTimeout(timer);
      runSignal.removeEventListener('abort', forward);
    }
  }
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** What the run was asked to do, as its record keeps it. */
function runScope(options: PipelineRunOptions, steps: readonly PipelineStep[]): RunScope {
  return {
    steps: [...steps],
    runTests: options.runTests ?? 'after-each-model',
    ...(options.tables ? { tables: [...options.tables] } : {}),
    ...(options.select ? { select: [...options.select] } : {}),
    ...(options.exclude ? { exclude: [...options.exclude] } : {}),
    ...(options.fullRefresh ? { fullRefresh: true } : {}),
    ...(options.all ? { all: true } : {}),
    ...(options.resourceTypes ? { resourceTypes: [...options.resourceTypes] } : {}),
  };
}

/**
 * Why a change-aware build builds everything, when it does: `--all`, `--full-refresh`, or a run that did not ingest
 * (`--no-ingest`, `sluice test`…: without this run's ingest, what changed in the raw tables is not known first-hand —
 * dbt's verbs then behave exactly as dbt's).
 */
function changeAwareAll(options: PipelineRunOptions, steps: readonly PipelineStep[]): string | undefined {
  if (options.all) return 'everything asked for (--all)';
  if (options.fullRefresh) return '--full-refresh rebuilds everything';
  if (options.stateArtifacts) return 'a --state run builds what it selects, as dbt does';
  if (!steps.includes('ingest')) return 'the run did not ingest (--no-ingest or a verb that does not)';
  return undefined;
}

function optionalAll(all: string | undefined): { readonly all?: string } {
  return all === undefined ? {} : { all };
}

/** Raw tables (`raw.name`) whose counts say rows changed, or that may have (failed or cancelled mid-load). */
function changedTables(project: LoadedProject, ingest: IngestResult): string[] {
  return ingest.tables
    .filter(
      (t) =>
        t.inserted + t.updated + t.deleted > 0 ||
        t.status === 'failed' ||
        t.status === 'cancelled' ||
        t.schemaChanges.created,
    )
    .map((t) => `${project.config.raw_schema}.${t.table}`);
}

/** Raw tables whose columns changed in this run. */
function reshapedTables(project: LoadedProject, ingest: IngestResult): Set<string> {
  return new Set(
    ingest.tables
      .filter(
        (t) =>
          t.schemaChanges.created ||
          t.schemaChanges.addedColumns.length > 0 ||
          t.schemaChanges.widenedColumns.length > 0 ||
          t.schemaChanges.droppedColumns.length > 0,
      )
      .map((t) => `${project.config.raw_schema}.${t.table}`),
  );
}

/**
 * Bump the change counter of every raw table the ingest changed, and of any whose position moved in a run that
 * died before it could bump it (one read, and one write when any counter moves).
 */
async function recordTableChanges(options: PipelineRunOptions, ingest: IngestResult, runId: string): Promise<void> {
  const schema = options.project.config.raw_schema;
  const changed = new Set(changedTables(options.project, ingest));
  const positions = new Map([...(ingest.positionVersions ?? [])].map(([table, v]) => [`${schema}.${table}`, v]));
  if (changed.size === 0 && positions.size === 0) return;
  const state = await readBuildState(options.warehouse, schema, options.workDir);
  await writeBuildState(
    options.warehouse,
    schema,
    options.workDir,
    runId,
    tableChangeWrites(state, changed, positions),
  );
}

/** Does the project configure ingestion (`tables:` in sluice.yml lists any)? */
export function hasIngestion(project: LoadedProject): boolean {
  return Object.keys(project.config.tables).length > 0;
}
