import { randomUUID } from 'node:crypto';
import type { Warehouse } from '@sluice/warehouse';
import type { JsonObject, RunRecord, RunStatus, StateLock, StateStore } from '@sluice/watermark';
import { RUN_LOCK, runIngest, type IngestEvent, type IngestResult } from './ingest.js';
import type { RunEvent } from '@sluice/models';
import { buildModels, hasModels, type BuildResult } from './build-models.js';
import { resolveTarget } from './open-project.js';
import type { LoadedProject, TargetConfig } from './project-config.js';

/** How a step is retried: `attempts` in all, waiting `baseDelayMs · 2^(n-1)` (± jitter, at most `maxDelayMs`). */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** 0..1: the share of each delay drawn at random (0.2 = ±20 %). */
  readonly jitter: number;
}

export const NO_RETRY: RetryPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 };

/** The delay before attempt `attempt` (2, 3, …) under a policy; `random` in [0, 1). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number = Math.random()): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 2);
  const capped = Math.min(policy.maxDelayMs, exponential);
  const spread = capped * policy.jitter;
  return Math.max(0, Math.round(capped - spread + 2 * spread * random));
}

export type PipelineStep = 'ingest' | 'build';

export type PipelineEvent =
  | { readonly type: 'run-start'; readonly runId: string; readonly trigger: string }
  | { readonly type: 'step-start'; readonly runId: string; readonly step: PipelineStep; readonly attempt: number }
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
  | { readonly type: 'run-end'; readonly runId: string; readonly status: RunStatus; readonly seconds: number };

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
  /** Which steps (default both; `build` only when the project has models). */
  readonly steps?: readonly PipelineStep[];
  /** The target (default: the project's); used by the build step. */
  readonly target?: { readonly name: string; readonly config: TargetConfig };
  /** Model selection and parallelism for the build step. */
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly threads?: number;
  readonly fullRefresh?: boolean;
  readonly retry?: RetryPolicy;
  /** A step that runs longer is cancelled (and retried if attempts remain). */
  readonly stepTimeoutMs?: number;
  /** The whole run is cancelled after this long. */
  readonly runTimeoutMs?: number;
  /** Cancels the run (e.g. SIGTERM): the run is recorded `interrupted`. */
  readonly signal?: AbortSignal;
  /** Stops the run between steps: the step under way finishes, no further step starts, and the run is recorded
   *  `interrupted` (a graceful shutdown). Abort `signal` too to cancel the step under way. */
  readonly drain?: AbortSignal;
  readonly onEvent?: (event: PipelineEvent) => void;
  /** Injected for tests: waits between attempts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Who runs it, shown to another run that finds the lock held. */
  readonly holder?: string;
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
 * One run end to end, as both the CLI (`sluice run`) and the scheduler do it: take the run lock, record the run as
 * `running`, run each step (ingest; models and tests when the project has them) with retries and timeouts, and
 * record how it ended. Never throws for a failure inside a step: the result says what happened. Throws only when
 * the lock is held (`LOCK_HELD`), so a second run never starts.
 */
export async function runPipeline(options: PipelineRunOptions): Promise<PipelineRunResult> {
  const runId = options.runId ?? randomUUID();
  const startedAt = new Date();
  const ownLock =
    options.lock === undefined
      ? await options.state.acquireLock(RUN_LOCK, { holder: options.holder ?? `sluice ${options.trigger}` })
      : undefined;
  const runController = new AbortController();
  const abortRun = () => runController.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', abortRun, { once: true });
  const runTimer = options.runTimeoutMs
    ? setTimeout(
        () => runController.abort(new Error(`run timed out after ${options.runTimeoutMs} ms`)),
        options.runTimeoutMs,
      )
    : undefined;
  const emit = (event: PipelineEvent) => options.onEvent?.(event);
  const save = (status: RunStatus, detail: JsonObject, endedAt?: Date) =>
    options.state.saveRun({
      id: runId,
      trigger: options.trigger,
      status,
      startedAt,
      ...(endedAt ? { endedAt } : {}),
      detail,
    } satisfies RunRecord);
  let ingest: IngestResult | undefined;
  let build: BuildResult | undefined;
  const attempts: Record<PipelineStep, number> = { ingest: 0, build: 0 };
  const steps = options.steps ?? ['ingest', 'build'];
  let error: PipelineRunResult['error'];
  try {
    await save('running', { tables: [] });
    emit({ type: 'run-start', runId, trigger: options.trigger });
    const drained = () => options.drain?.aborted === true;
    if (steps.includes('ingest') && !drained() && !runController.signal.aborted)
      ingest = await withRetries('ingest', options, runController.signal, attempts, emit, runId, async (signal) => {
        const result = await runIngest({
          project: options.project,
          warehouse: options.warehouse,
          state: options.state,
          workDir: options.workDir,
          runId,
          lock: false,
          signal,
          ...(options.tables ? { tables: options.tables } : {}),
          ...(options.fullRefresh ? { fullRefresh: true } : {}),
          onEvent: (event) => emit({ type: 'ingest', runId, event }),
        });
        if (result.status === 'failed' && !signal.aborted) {
          const failed = result.tables.filter((t) => t.status === 'failed');
          throw Object.assign(new Error(failed.map((t) => `${t.table}: ${t.error?.message ?? 'failed'}`).join('; ')), {
            code: 'TABLES_FAILED',
            result,
          });
        }
        return result;
      });
    if (steps.includes('build') && hasModels(options.project) && !runController.signal.aborted && !drained()) {
      const target = options.target ?? resolveTarget(options.project);
      build = await withRetries('build', options, runController.signal, attempts, emit, runId, (signal) =>
        buildModels({
          project: options.project,
          warehouse: options.warehouse,
          target,
          runId,
          signal,
          ...(options.select ? { select: options.select } : {}),
          ...(options.exclude ? { exclude: options.exclude } : {}),
          ...(options.threads ? { threads: options.threads } : {}),
          ...(options.fullRefresh ? { fullRefresh: true } : {}),
          onEvent: (event) => emit({ type: 'build', runId, event }),
        }),
      );
    }
  } catch (caught) {
    const failure = caught as Error & { code?: string; result?: IngestResult };
    ingest = failure.result ?? ingest;
    error = { code: failure.code ?? 'RUN_FAILED', message: failure.message };
  } finally {
    clearTimeout(runTimer);
    options.signal?.removeEventListener('abort', abortRun);
  }
  // A drain that left a step of this run unstarted makes the run interrupted; one that came after the last step does not.
  const skippedByDrain =
    options.drain?.aborted === true &&
    ((steps.includes('ingest') && ingest === undefined) ||
      (steps.includes('build') && hasModels(options.project) && build === undefined));
  const interrupted =
    runController.signal.aborted ||
    skippedByDrain ||
    ingest?.status === 'cancelled' ||
    build?.run.status === 'cancelled';
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
  if (interrupted && !error) {
    const reason = runController.signal.aborted ? runController.signal.reason : options.drain?.reason;
    error = {
      code: 'INTERRUPTED',
      message: reason instanceof Error ? reason.message : String(reason ?? 'interrupted'),
    };
  }
  const endedAt = new Date();
  try {
    await save(status, runDetail(ingest, build, attempts, error), endedAt);
  } finally {
    await ownLock?.release();
  }
  emit({ type: 'run-end', runId, status, seconds: (endedAt.getTime() - startedAt.getTime()) / 1000 });
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
    try {
      const result = await work(stepController.signal);
      if (stepController.signal.aborted && !runSignal.aborted) throw stepController.signal.reason;
      return result;
    } catch (error) {
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

function runDetail(
  ingest: IngestResult | undefined,
  build: BuildResult | undefined,
  attempts: Record<PipelineStep, number>,
  error: PipelineRunResult['error'],
): JsonObject {
  return {
    attempts: { ...attempts },
    tables: (ingest?.tables ?? []).map((t) => ({
      table: t.table,
      strategy: t.strategy,
      status: t.status,
      rows: t.rows,
      bytes: t.bytes,
      inserted: t.inserted,
      updated: t.updated,
      deleted: t.deleted,
      seconds: Number(t.seconds.toFixed(3)),
      warehouseStatements: t.warehouseStatements,
      uploadedBytes: t.uploadedBytes,
      ...(t.error ? { error: { code: t.error.code, message: t.error.message } } : {}),
    })),
    models: (build?.run.results ?? [])
      .filter((r) => r.kind !== 'test')
      .map((r) => ({
        name: r.name,
        kind: r.kind,
        status: r.status,
        seconds: Number((r.elapsedMs / 1000).toFixed(3)),
        message: r.message,
      })),
    tests: (build?.run.results ?? [])
      .filter((r) => r.kind === 'test')
      .map((r) => ({
        name: r.name,
        status: r.status,
        severity: r.severity ?? 'error',
        failures: r.failures ?? 0,
        seconds: Number((r.elapsedMs / 1000).toFixed(3)),
        message: r.message,
      })),
    ...(build ? { lineagePage: build.lineagePage } : {}),
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
  };
}
