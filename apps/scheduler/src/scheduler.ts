import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  buildRunRecord,
  closeAbandonedRuns,
  openWarehouse,
  readRunRecord,
  RUN_HEARTBEAT_MS,
  RUN_LOCK,
  RUN_STALE_AFTER_MS,
  createSourcePool,
  runPipeline,
  type FailureStreak,
  type LoadedProject,
  type PipelineEvent,
  type ScheduleConfig,
  type TargetConfig,
} from '@sluice/pipeline';
import type { Warehouse } from '@sluice/warehouse';
import {
  describeHolder,
  StateError,
  type RunRecord,
  type RunStatus,
  type StateLock,
  type StateStore,
} from '@sluice/watermark';
import { decideAlert, runHealth, type AlertSender } from './alerts.js';
import { systemClock, type Clock } from './clock.js';
import { createCronSchedule, type CronSchedule } from './cron-schedule.js';
import type { Logger } from './logger.js';
import { RunHistoryView, rowsRead, WRITE_LOOKBACK_RUNS, type HistorySnapshot } from './run-history-view.js';
import { runSettings, type RunSettings } from './run-settings.js';
import { runScheduleLoop } from './schedule-loop.js';
import { SchedulerError } from './scheduler-error.js';
import { SchedulerMetrics, type MetricsSnapshot } from './scheduler-metrics.js';
import { slotOfRunId, slotRunId } from './slot-run-id.js';
import type { StatusView, TableFreshness } from './status-page.js';

/** Most names an UNKNOWN_TABLE answer repeats (the request body is at most 64 KB). */
const MAX_NAMES_ECHOED = 5;
/** How long `/metrics` waits for the state store before serving the last known values. */
const METRICS_STATE_TIMEOUT_MS = 3000;

export interface SchedulerOptions {
  readonly project: LoadedProject;
  readonly target: { readonly name: string; readonly config: TargetConfig };
  readonly state: StateStore;
  readonly schedule: ScheduleConfig;
  readonly log: Logger;
  /** Where chunk files are written during a run. */
  readonly workDir: string;
  /** Who this daemon is, in lock holders and slot claims (`sluice-scheduler on web-1 pid 42`). */
  readonly holder: string;
  readonly alerts?: AlertSender;
  readonly clock?: Clock;
  readonly metrics?: SchedulerMetrics;
  /** Opens the target's warehouse for one run (default: the pipeline's engine registry). */
  readonly openWarehouse?: (project: LoadedProject, target: TargetConfig) => Promise<Warehouse>;
  /** How long a read of the shared run history serves the page, the API and the metrics (default 1 s). */
  readonly historyTtlMs?: number;
  /** How often runs left running by dead processes are looked for (default: every heartbeat, 10 s). */
  readonly livenessEveryMs?: number;
  /** A running run whose heartbeat is older than this, and whose process holds no lock, is abandoned (default 30 s). */
  readonly staleAfterMs?: number;
}

/** The run this daemon is doing. */
export interface CurrentRun {
  readonly runId: string;
  readonly trigger: string;
  readonly startedAt: Date;
  readonly tables: readonly string[] | undefined;
  readonly select?: readonly string[] | undefined;
}

interface ActiveRun extends CurrentRun {
  readonly controller: AbortController;
  /** Aborted on shutdown: the step under way finishes, no further step starts. */
  readonly drain: AbortController;
  readonly done: Promise<RunRecord | undefined>;
}

/** How `trigger` answers: the run started (its id), or why not. */
export type TriggerResult = { readonly runId: string };

/**
 * The scheduler daemon's logic, without HTTP or the process: the schedule loop, one run at a time (across
 * processes too: slot claims and the run lock in the state store), manual runs, pause and resume, alerts,
 * metrics, history pruning and a graceful stop. Every run goes through `runPipeline`, as `sluice run` does.
 */
export class Scheduler {
  readonly metrics: SchedulerMetrics;
  readonly cron: CronSchedule;
  readonly settings: RunSettings;
  readonly #options: SchedulerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  /** Source connections kept from one run to the next (closed at `stop`; idle ones close after 5 minutes). */
  readonly #sourcePool = createSourcePool();
  #active: ActiveRun | undefined;
  #starting = false;
  #paused = false;
  #stopping = false;
  #next: Date | undefined;
  #loop: Promise<void> | undefined;
  #started = false;
  readonly #history: RunHistoryView;
  #liveness: ReturnType<typeof setInterval> | undefined;
  #sweeping: Promise<void> | undefined;
  /** The last project gauges read from the state store: served, marked down, while it cannot be read. */
  #lastMetrics: Omit<MetricsSnapshot, 'stateStoreUp' | 'paused' | 'running' | 'nextRun'> | undefined;
  /** The last status read from the state store: shown, with a warning, while it cannot be read. */
  #lastHistory: HistorySnapshot | undefined;
  #viewVersion = 0;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log;
    this.metrics = options.metrics ?? new SchedulerMetrics();
    this.cron = createCronSchedule(options.schedule.cron, options.schedule.timezone);
    this.settings = runSettings(options.schedule);
    this.#history = new RunHistoryView(options.state, options.project, {
      ...(options.historyTtlMs !== undefined ? { ttlMs: options.historyTtlMs } : {}),
      now: () => this.#clock.now(),
    });
  }

  /** The tables of `sluice.yml`, by name. */
  get tableNames(): readonly string[] {
    return Object.keys(this.#options.project.config.tables);
  }

  /** `keep_history`, in milliseconds. */
  get keepHistoryMs(): number {
    return this.#options.schedule.keep_history;
  }

  /** The name slots are claimed under: one per project. */
  get scheduleName(): string {
    return this.#options.project.config.name;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** True once the loop runs and until a stop begins. */
  get ready(): boolean {
    return this.#started && !this.#stopping;
  }

  get nextRun(): Date | undefined {
    return this.#next;
  }

  get current(): CurrentRun | undefined {
    const active = this.#active;
    return active
      ? {
          runId: active.runId,
          trigger: active.trigger,
          startedAt: active.startedAt,
          tables: active.tables,
          select: active.select,
        }
      : undefined;
  }

  /**
   * Start the schedule loop. The last slot handled is read from the run history, so a restart neither repeats a
   * slot nor forgets one missed while it was down (the catch-up policy decides). A first start runs nothing
   * until the first slot.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    const now = this.#clock.now();
    await this.#prune(now);
    await this.#sweepAbandoned(now);
    const anchor = (await this.#lastHandledSlot()) ?? now;
    this.#next = this.cron.next(now);
    this.#started = true;
    this.#log.info('scheduler started', {
      cron: this.cron.cron,
      timezone: this.cron.timezone,
      catchUp: this.#options.schedule.catch_up,
      lastSlot: anchor.toISOString(),
      nextRun: this.#next?.toISOString(),
    });
    this.#loop = runScheduleLoop({
      schedule: this.cron,
      catchUp: this.#options.schedule.catch_up,
      clock: this.#clock,
      anchor,
      signal: this.#stop.signal,
      onNext: (next) => {
        this.#next = next;
      },
      onRun: (slot, info) => this.#runSlot(slot, info),
      onSkip: (slot, info) => this.#skipSlot(slot, info.missed),
      onError: (error, slot) =>
        this.#log.error('handling a slot failed: trying again in 30 s', {
          slot: slot.toISOString(),
          error: error instanceof Error ? error : String(error),
        }),
    }).catch((error: unknown) => {
      this.#log.error('the schedule loop stopped on an unexpected error', {
        error: error instanceof Error ? error : String(error),
      });
    });
    // Runs left running by processes that died (this daemon's sibling, a CLI run) are noticed within a minute.
    this.#liveness = setInterval(() => {
      this.#sweeping ??= this.#sweepAbandoned(this.#clock.now()).finally(() => {
        this.#sweeping = undefined;
      });
    }, this.#options.livenessEveryMs ?? RUN_HEARTBEAT_MS);
    this.#liveness.unref?.();
  }

  /**
   * Bumped whenever what the pages show may have changed here: a run of this daemon started or ended, runs were
   * recorded abandoned, pause, resume, stop. The HTTP server's one-second response cache keys on it.
   */
  get viewVersion(): number {
    return this.#viewVersion;
  }

  #changed(): void {
    this.#viewVersion++;
    this.#history.invalidate();
  }

  /** Stop taking new runs from the schedule (a running run goes on). */
  pause(): void {
    if (!this.#paused) this.#log.info('paused: scheduled slots will not run until resumed');
    this.#paused = true;
    this.#changed();
  }

  resume(): void {
    if (this.#paused) this.#log.info('resumed', { nextRun: this.#next?.toISOString() });
    this.#paused = false;
    this.#changed();
  }

  /**
   * Start a manual run of every table or of `tables`, and answer once it has started (it goes on in the
   * background). Fails with `BUSY` when a run is going on (here, or in another process: the holder is named),
   * `SHUTTING_DOWN` during a stop, `UNKNOWN_TABLE` for a table not in `sluice.yml`.
   */
  async trigger(
    request: {
      readonly tables?: readonly string[];
      readonly select?: readonly string[];
      readonly trigger?: string;
    } = {},
  ): Promise<TriggerResult> {
    if (this.#stopping)
      throw new SchedulerError('SHUTTING_DOWN', 'the scheduler is shutting down and takes no new runs');
    const known = this.tableNames;
    const tables = request.tables && request.tables.length > 0 ? [...new Set(request.tables)] : undefined;
    const unknown = tables?.filter((table) => !known.includes(table)) ?? [];
    if (unknown.length > 0) {
      // Bounded: a request naming thousands of tables gets a short answer, never its names echoed back.
      const shown = unknown.slice(0, MAX_NAMES_ECHOED).map((name) => JSON.stringify(clipName(name)));
      const more = unknown.length > MAX_NAMES_ECHOED ? ` and ${unknown.length - MAX_NAMES_ECHOED} more` : '';
      throw new SchedulerError(
        'UNKNOWN_TABLE',
        `unknown table${unknown.length === 1 ? '' : 's'} ${shown.join(', ')}${more}: ${
          known.length <= 20
            ? `sluice.yml lists ${known.join(', ')}`
            : `sluice.yml lists ${known.length} tables (GET /api/status names them)`
        }`,
      );
    }
    const select = request.select && request.select.length > 0 ? [...request.select] : undefined;
    if (this.#active || this.#starting) {
      throw new SchedulerError(
        'BUSY',
        `a run is in progress (${this.#active?.runId ?? 'starting'}): try again when it has finished`,
      );
    }
    this.#starting = true;
    try {
      // Ask for the run lock first, so a run held by another process is refused now rather than after a 202.
      await this.#probeRunLock(false);
      // The probe awaited: a scheduled run may have started meanwhile.
      const scheduled = this.current;
      if (scheduled)
        throw new SchedulerError(
          'BUSY',
          `a scheduled run has just started (${scheduled.runId}): try again when it has finished`,
        );
      const runId = randomUUID();
      const started = this.#execute({ runId, trigger: request.trigger ?? 'api', tables, select });
      await started.started;
      return { runId };
    } finally {
      this.#starting = false;
    }
  }

  /**
   * Cancel this daemon's run `runId`: its step under way is aborted — its statements are cancelled on the source
   * (a CancelRequest) and the warehouse — and it is recorded `interrupted`. `NOT_HERE` for a run this daemon is not
   * running (another process's, or one that has ended), `NOT_FOUND` for no such run.
   */
  async cancel(runId: string, reason = 'cancelled through the API'): Promise<void> {
    const active = this.#active;
    if (active?.runId === runId) {
      this.#log.warn('cancelling the run in progress', { runId, reason });
      active.controller.abort(new Error(reason));
      return;
    }
    const run = await this.#options.state.getRun(runId).catch((error: unknown) => {
      if (error instanceof StateError && error.code === 'INVALID_ARGUMENT') return undefined; // not a run id at all
      throw error;
    });
    if (!run) throw new SchedulerError('NOT_FOUND', `no run ${JSON.stringify(clipName(runId))}`);
    throw new SchedulerError(
      'NOT_HERE',
      run.status === 'running'
        ? `run ${runId} is not run by this daemon: cancel it where it runs (its page names the process)`
        : `run ${runId} has ended (${run.status}): there is nothing to cancel`,
    );
  }

  /**
   * Stop: take nothing new, let the run in progress finish within `graceMs`, else cancel it (it is recorded
   * `interrupted`, and what it had committed stays committed). A second call cancels the run at once.
   */
  async stop(reason: string, graceMs: number): Promise<void> {
    clearInterval(this.#liveness);
    const active = this.#active;
    if (this.#stopping) {
      if (active && !active.controller.signal.aborted) {
        this.#log.warn('stopping now: cancelling the run in progress', { runId: active.runId, reason });
        active.controller.abort(new Error(`interrupted by ${reason}`));
      }
      return;
    }
    this.#stopping = true;
    this.#stop.abort();
    this.#changed();
    this.#log.info('stopping: no new runs are taken', { reason, graceMs, runId: active?.runId });
    if (active) {
      // The step under way may finish within the grace period; the next one does not start.
      active.drain.abort(new Error(`interrupted by ${reason}: stopped after the step under way`));
      const finished = await Promise.race([active.done.then(() => true), this.#clock.sleep(graceMs).then(() => false)]);
      if (!finished && !active.controller.signal.aborted) {
        this.#log.warn('the grace period ran out: cancelling the run in progress', { runId: active.runId, graceMs });
        active.controller.abort(
          new Error(`interrupted by ${reason}: the run did not finish within the ${graceMs} ms grace period`),
        );
      }
      await active.done;
    }
    await this.#loop;
    await this.#sourcePool.close();
    this.#log.info('scheduler stopped');
  }

  /**
   * What the status page shows, from the shared run history (read at most once a second for every request). While
   * the state store cannot be read, the last status read is shown with `stateError` saying so.
   */
  async statusView(now: Date = this.#clock.now()): Promise<StatusView & { readonly stateError?: string }> {
    const { config, dir } = this.#options.project;
    let history: HistorySnapshot;
    let stateError: string | undefined;
    try {
      history = await this.#history.snapshot();
      this.#lastHistory = history;
    } catch (error) {
      if (!this.#lastHistory) throw error;
      history = this.#lastHistory;
      stateError = error instanceof Error ? error.message : String(error);
    }
    const tables: TableFreshness[] = history.tables.map((state) => {
      const outcome = state.lastRun?.outcome;
      return {
        table: state.table,
        lastLoaded: state.lastWritten?.at,
        rows: outcome ? rowsRead(outcome) : undefined,
        written: outcome
          ? { inserted: outcome.inserted ?? 0, updated: outcome.updated ?? 0, deleted: outcome.deleted ?? 0 }
          : undefined,
        status: state.lastRun ? (outcome?.status ?? 'not reached') : undefined,
        error:
          outcome?.status === 'failed'
            ? outcome.error?.message
            : state.lastRun && !outcome
              ? `not reached: ${state.lastRun.notReachedBecause ?? 'the run stopped first'}`
              : undefined,
        checkedAt: state.watermarkMovedAt,
        failing: history.streaks.find((streak) => streak.table === state.table && streak.runs >= 2),
      };
    });
    return {
      project: config.name,
      now,
      cron: this.cron.cron,
      timezone: this.cron.timezone,
      paused: this.#paused,
      stopping: this.#stopping,
      current: this.current,
      nextRun: this.#next,
      runs: history.recent,
      lastFinished: history.lastFinished,
      running: history.running,
      tables,
      docsAvailable: existsSync(path.join(dir, 'target', 'docs', 'index.html')),
      ...(history.writeLookbackExhausted ? { writeLookbackRuns: WRITE_LOOKBACK_RUNS } : {}),
      ...(stateError ? { stateError } : {}),
    };
  }

  /**
   * What `/metrics` reads at scrape time: the shared history (cached for a second), or — when the state store does
   * not answer within 3 s — the last values read, with `stateStoreUp: false`.
   */
  async metricsSnapshot(): Promise<MetricsSnapshot> {
    const local = {
      paused: this.#paused,
      running: this.#active !== undefined,
      nextRun: this.#paused ? undefined : this.#next,
    };
    try {
      const history = await withTimeout(this.#history.snapshot(), METRICS_STATE_TIMEOUT_MS);
      this.#lastHistory = history;
      this.#lastMetrics = {
        lastSuccess: history.lastSuccess,
        lastFinished: history.lastFinished,
        tables: history.tables.map((table) => ({
          table: table.table,
          watermarkMovedAt: table.watermarkMovedAt,
          lastWrittenAt: table.lastWritten?.at,
          ...failureFields(history.streaks.find((streak) => streak.table === table.table)),
        })),
      };
      return { stateStoreUp: true, ...this.#lastMetrics, ...local };
    } catch (error) {
      this.#log.warn('metrics: the state store did not answer; serving the last known values', {
        error: error instanceof Error ? error.message : String(error),
      });
      return {
        stateStoreUp: false,
        ...(this.#lastMetrics ?? { lastSuccess: undefined, lastFinished: undefined, tables: [] }),
        ...local,
      };
    }
  }

  /**
   * The run history, newest first (shared by every daemon and `sluice status`): `limit` runs after the run `before`
   * (its id; `NOT_FOUND` when it is not in the history, e.g. pruned).
   */
  async listRuns(limit: number, status?: RunStatus, before?: string): Promise<RunRecord[]> {
    let cursor: RunRecord | undefined;
    if (before !== undefined) {
      cursor = await this.#options.state.getRun(before).catch((error: unknown) => {
        if (error instanceof StateError && error.code === 'INVALID_ARGUMENT') return undefined;
        throw error;
      });
      if (!cursor) throw new SchedulerError('NOT_FOUND', `no run ${JSON.stringify(clipName(before))} to page from`);
    }
    return this.#options.state.listRuns({
      limit,
      ...(status ? { status } : {}),
      ...(cursor ? { before: cursor } : {}),
    });
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.#options.state.getRun(id);
  }

  /** True when the state store answers (for /readyz). */
  async stateReachable(): Promise<boolean> {
    try {
      await this.#options.state.listRuns({ limit: 1 });
      return true;
    } catch {
      return false;
    }
  }

  async #runSlot(slot: Date, info: { late: boolean; missed: number }): Promise<void> {
    const fields = { slot: slot.toISOString(), late: info.late, missed: info.missed };
    if (this.#paused) {
      this.#log.info('paused: slot not run', fields);
      return;
    }
    const won = await this.#options.state.claimSlot(this.scheduleName, slot, this.#options.holder);
    if (!won) {
      this.#log.info('slot taken by another daemon', fields);
      return;
    }
    const runId = slotRunId(slot);
    this.#log.info(info.late ? 'slot claimed (late: catch-up run)' : 'slot claimed', { ...fields, runId });
    // Wait for the run lock (a manual run here or elsewhere), but not past the next slot.
    const next = this.cron.next(slot);
    const waitMs = next ? Math.max(0, next.getTime() - this.#clock.now().getTime()) : 3_600_000;
    const stoppedFirst = async () => {
      this.#log.info('slot not run: the daemon is stopping', { ...fields, runId });
      await this.#recordSkipped(runId, 'the daemon was stopping when the slot came', info.missed);
    };
    try {
      await this.#waitForLocalRun();
      await this.#probeRunLock(true, waitMs);
      // A manual run may have started here while we waited for the lock.
      await this.#waitForLocalRun();
    } catch (error) {
      if (this.#stop.signal.aborted) return stoppedFirst();
      const message = error instanceof Error ? error.message : String(error);
      this.#log.warn('slot skipped: another run held the lock until the next slot', {
        ...fields,
        runId,
        reason: message,
      });
      await this.#recordSkipped(runId, `another run held the run lock until the next slot: ${message}`, info.missed);
      return;
    }
    if (this.#stop.signal.aborted) return stoppedFirst();
    this.metrics.observeSlotLag((this.#clock.now().getTime() - slot.getTime()) / 1000);
    await this.#execute({ runId, trigger: 'schedule', tables: undefined, select: undefined }).done;
  }

  async #skipSlot(slot: Date, missed: number): Promise<void> {
    const fields = { slot: slot.toISOString(), missed };
    if (this.#paused) {
      this.#log.info('paused: late slot not run', fields);
      return;
    }
    if (!(await this.#options.state.claimSlot(this.scheduleName, slot, this.#options.holder))) return;
    const runId = slotRunId(slot);
    this.#log.info('late slot skipped (catch_up: skip)', { ...fields, runId });
    await this.#recordSkipped(
      runId,
      `${missed} slot${missed === 1 ? '' : 's'} passed while the daemon was down or busy; catch_up is skip`,
      missed,
    );
  }

  async #recordSkipped(runId: string, reason: string, missed: number): Promise<void> {
    const now = this.#clock.now();
    await this.#options.state.saveRun(
      buildRunRecord({
        id: runId,
        trigger: 'schedule',
        status: 'skipped',
        startedAt: now,
        endedAt: now,
        detail: { missedSlots: missed, error: { code: 'SLOT_SKIPPED', message: reason } },
      }),
    );
  }

  /** Wait until no run of this process is going on or starting. */
  async #waitForLocalRun(): Promise<void> {
    while ((this.#active || this.#starting) && !this.#stop.signal.aborted) {
      if (this.#active) await this.#active.done;
      else await this.#clock.sleep(50, this.#stop.signal);
    }
  }

  /** Take and release the run lock: is anyone running? Throws BUSY (or waits up to `waitMs` with `wait`). */
  async #probeRunLock(wait: boolean, waitMs?: number): Promise<void> {
    try {
      const lock = await this.#options.state.acquireLock(RUN_LOCK, {
        holder: this.#options.holder,
        ...(wait ? { wait: true, timeoutMs: waitMs ?? 0, signal: this.#stop.signal } : {}),
      });
      await lock.release();
    } catch (error) {
      if (error instanceof StateError && error.code === 'LOCK_HELD') {
        const who = error.holder ? describeHolder(error.holder) : 'another process';
        throw new SchedulerError('BUSY', `a run is in progress in ${who}: try again when it has finished`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Run the pipeline once. `started` settles when the run is under way (or refused); `done` when it is over. */
  #execute(request: {
    runId: string;
    trigger: string;
    tables: readonly string[] | undefined;
    select: readonly string[] | undefined;
  }): {
    started: Promise<void>;
    done: Promise<RunRecord | undefined>;
  } {
    const { runId, trigger, tables, select } = request;
    const log = this.#log.child({ runId });
    const controller = new AbortController();
    const drain = new AbortController();
    let markStarted!: () => void;
    let refuse!: (error: unknown) => void;
    const started = new Promise<void>((resolve, reject) => {
      markStarted = resolve;
      refuse = reject;
    });
    const startedAt = this.#clock.now();
    const done = (async (): Promise<RunRecord | undefined> => {
      let warehouse: Warehouse | undefined;
      let record: RunRecord | undefined;
      let lock: StateLock | undefined;
      // Close the warehouse, then release the lock: once, before alerts and pruning (or at the end on a crash).
      let released: Promise<void> | undefined;
      const release = () =>
        (released ??= (async () => {
          await warehouse
            ?.close()
            .catch((error: unknown) => log.warn('closing the warehouse failed', { error: String(error) }));
          await lock
            ?.release()
            .catch((error: unknown) => log.warn('releasing the run lock failed', { error: String(error) }));
        })());
      try {
        // The run lock is held from before the warehouse opens until after it closes: a DuckDB file has one
        // process at a time, and another daemon waiting for the lock must not find it still open.
        lock = await this.#options.state.acquireLock(RUN_LOCK, { holder: this.#options.holder });
        const open = this.#options.openWarehouse ?? openWarehouse;
        try {
          warehouse = await open(this.#options.project, this.#options.target.config);
        } catch (error) {
          // Nothing ran: record the failure, so the page and the alert say why.
          const message = error instanceof Error ? error.message : String(error);
          log.error('could not open the warehouse: run failed', { trigger, error: message });
          record = buildRunRecord({
            id: runId,
            trigger,
            status: 'failed',
            startedAt,
            endedAt: this.#clock.now(),
            detail: { error: { code: errorCode(error, 'WAREHOUSE_UNAVAILABLE'), message } },
          });
          await this.#options.state.saveRun(record);
          markStarted();
          await release();
          return await this.#finish(record, log);
        }
        const result = await runPipeline({
          project: this.#options.project,
          warehouse,
          state: this.#options.state,
          workDir: this.#options.workDir,
          trigger,
          runId,
          target: this.#options.target,
          ...(tables ? { tables } : {}),
          ...(select ? { select } : {}),
          retry: this.settings.retry,
          ...(this.settings.stepTimeoutMs > 0 ? { stepTimeoutMs: this.settings.stepTimeoutMs } : {}),
          ...(this.settings.runTimeoutMs > 0 ? { runTimeoutMs: this.settings.runTimeoutMs } : {}),
          signal: controller.signal,
          drain: drain.signal,
          sourcePool: this.#sourcePool,
          holder: this.#options.holder,
          lock,
          onEvent: (event) => {
            if (event.type === 'run-start') {
              this.#changed();
              markStarted();
            }
            this.metrics.observeEvent(event);
            logPipelineEvent(log, event);
          },
        });
        record =
          (await this.#options.state.getRun(runId).catch(() => undefined)) ??
          buildRunRecord({
            id: runId,
            trigger,
            status: result.status,
            startedAt: result.startedAt,
            endedAt: result.endedAt,
            detail: result.error ? { error: { ...result.error } } : {},
          });
        markStarted();
        await release();
        return await this.#finish(record, log);
      } catch (error) {
        if (error instanceof StateError && error.code === 'LOCK_HELD') {
          log.warn('run not started: another run holds the lock', { trigger, reason: error.message });
          refuse(new SchedulerError('BUSY', error.message, { cause: error }));
          if (trigger === 'schedule')
            await this.#recordSkipped(runId, `another run held the run lock: ${error.message}`, 0).catch(
              () => undefined,
            );
        } else {
          log.error('run crashed', { trigger, error: error instanceof Error ? error : String(error) });
          refuse(error);
        }
        return record;
      } finally {
        await release();
        if (this.#active?.runId === runId) this.#active = undefined;
        this.#changed();
      }
    })();
    this.#active = { runId, trigger, startedAt, tables, select, controller, drain, done };
    started.catch(() => undefined);
    return { started, done };
  }

  async #finish(record: RunRecord, log: Logger): Promise<RunRecord> {
    this.#changed(); // before 'run finished' is logged: whoever reads that line sees the run ended
    this.metrics.observe(record);
    const seconds = record.endedAt ? (record.endedAt.getTime() - record.startedAt.getTime()) / 1000 : undefined;
    const { detail } = readRunRecord(record);
    const fields = {
      trigger: record.trigger,
      status: record.status,
      seconds,
      rows: detail.tables.reduce((sum, t) => sum + t.rows, 0),
      ...(detail.error ? { error: `${detail.error.code}: ${detail.error.message}` } : {}),
    };
    if (record.status === 'success') log.info('run finished', fields);
    else log.warn('run finished', fields);
    await this.#alert(record);
    await this.#prune(this.#clock.now());
    return record;
  }

  /** Send the alert a finished run calls for: once per failure streak, and on recovery. */
  async #alert(record: RunRecord): Promise<void> {
    if (!this.#options.alerts) return;
    const previous = await this.#previousDecisiveRun(record);
    const alert = decideAlert(this.#options.project.config.name, record, previous);
    if (alert) await this.#options.alerts.send(alert);
  }

  /** The latest run before `record` that says something about the data (not running, skipped or shut down). */
  async #previousDecisiveRun(record: RunRecord): Promise<RunRecord | undefined> {
    let before: RunRecord | undefined = record;
    for (let page = 0; page < 5 && before; page++) {
      const runs: RunRecord[] = await this.#options.state
        .listRuns({ limit: 50, before })
        .catch(() => [] as RunRecord[]);
      const found = runs.find((run) => run.id !== record.id && runHealth(run) !== 'neutral');
      if (found) return found;
      before = runs.length === 50 ? runs.at(-1) : undefined;
    }
    return undefined;
  }

  async #prune(now: Date): Promise<void> {
    try {
      const removed = await this.#options.state.pruneRuns(
        new Date(now.getTime() - this.#options.schedule.keep_history),
      );
      if (removed > 0) this.#log.info('old run history pruned', { removed });
    } catch (error) {
      this.#log.warn('pruning the run history failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Record `abandoned` the runs left `running` by processes that are gone (`closeAbandonedRuns` of the pipeline:
   * the lock is not held by them, and their process is dead or their heartbeat stale), and alert on them as
   * failures. At start, and then every heartbeat. Never throws: a state store that does not answer is tried again.
   */
  async #sweepAbandoned(now: Date): Promise<void> {
    try {
      const closed = await closeAbandonedRuns({
        state: this.#options.state,
        holder: this.#options.holder,
        now,
        staleAfterMs: this.#options.staleAfterMs ?? RUN_STALE_AFTER_MS,
        ...(this.#active ? { except: this.#active.runId } : {}),
      });
      if (closed.length === 0) return;
      this.#changed();
      this.metrics.observeAbandoned(closed.length);
      for (const run of closed) {
        this.#log.warn('a run left running by a process that is gone is now recorded abandoned', {
          runId: run.id,
          reason: run.reason,
        });
        const record = await this.#options.state.getRun(run.id);
        if (record) await this.#alert(record);
      }
    } catch (error) {
      this.#log.warn('looking for abandoned runs failed: trying again later', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** The latest slot a scheduled run (or skip) was recorded for, from the shared history. */
  async #lastHandledSlot(): Promise<Date | undefined> {
    const runs = await this.#options.state.listRuns({ limit: 50 });
    let latest: Date | undefined;
    for (const run of runs) {
      if (run.trigger !== 'schedule') continue;
      const slot = slotOfRunId(run.id) ?? this.cron.latest(run.startedAt);
      if (slot && (!latest || slot.getTime() > latest.getTime())) latest = slot;
    }
    return latest;
  }
}

/** A name as an answer may repeat it: at most 64 characters. */
function clipName(name: string): string {
  return name.length > 64 ? `${name.slice(0, 63)}…` : name;
}

/** The promise, or a rejection after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the state store did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** An error's stable code when it has one (a string), else `fallback`. */
function errorCode(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code !== '' ? code : fallback;
}

function logPipelineEvent(log: Logger, event: PipelineEvent): void {
  switch (event.type) {
    case 'run-start':
      log.info('run started', { trigger: event.trigger });
      return;
    case 'step-start':
      log.info('step started', { step: event.step, attempt: event.attempt });
      return;
    case 'step-retry':
      log.warn('step failed: retrying', {
        step: event.step,
        attempt: event.attempt,
        delayMs: event.delayMs,
        error: event.error,
      });
      return;
    case 'ingest': {
      const inner = event.event;
      if (inner.type === 'table-start') log.debug('table started', { table: inner.table, strategy: inner.strategy });
      else if (inner.type === 'table-done') {
        const t = inner.result;
        const fields = {
          table: t.table,
          status: t.status,
          rows: t.rows,
          bytes: t.bytes,
          seconds: Number(t.seconds.toFixed(3)),
          ...(t.error ? { error: `${t.error.code}: ${t.error.message}` } : {}),
        };
        if (t.status === 'failed') log.warn('table failed', fields);
        else log.info('table done', fields);
      }
      return;
    }
    case 'build': {
      const inner = event.event;
      if (inner.type !== 'node-finish') {
        log.debug('pipeline event', { step: event.type, event: inner.type });
        return;
      }
      const r = inner.result;
      const noun = r.kind === 'test' ? 'test' : 'model';
      const fields = {
        step: event.type,
        [noun]: r.name,
        status: r.status,
        seconds: Number((r.elapsedMs / 1000).toFixed(3)),
        ...(r.failures !== undefined && r.failures > 0 ? { failures: r.failures } : {}),
        ...(r.status !== 'success' && r.status !== 'pass' ? { message: r.message } : {}),
      };
      if (r.status === 'error' || r.status === 'fail') log.warn(`${noun} ${r.status}`, fields);
      else log.info(`${noun} done`, fields);
      return;
    }
    case 'step-end':
      log.debug('step ended', {
        step: event.step,
        attempt: event.attempt,
        outcome: event.outcome,
        seconds: event.seconds,
      });
      return;
    case 'runs-abandoned':
      for (const run of event.runs)
        log.warn('a run left running by a process that is gone is now recorded abandoned', {
          abandonedRunId: run.id,
          reason: run.reason,
        });
      return;
    case 'heartbeat-failed':
      log.warn('the run record could not be saved (heartbeat); the run goes on', { error: event.error });
      return;
    case 'lineage-failed':
      log.warn('an OpenLineage event was not delivered', {
        event: event.eventType,
        destination: event.destination,
        error: event.error,
      });
      return;
    case 'run-end':
      return;
  }
}

/** A table's failure streak as the metrics show it: 0 runs when its latest load did not fail. */
function failureFields(streak: FailureStreak | undefined): { consecutiveFailures: number; failingSince?: Date } {
  return streak ? { consecutiveFailures: streak.runs, failingSince: streak.first.at } : { consecutiveFailures: 0 };
}
