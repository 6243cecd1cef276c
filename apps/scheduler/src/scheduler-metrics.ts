import { isErrorTestFailure, isFailingTest, type PipelineEvent } from '@sluice/pipeline';
import type { RunRecord } from '@sluice/watermark';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isAlertedFailure } from './alerts.js';
import { rowsRead, runDetail } from './run-history-view.js';

const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];
const STEP_BUCKETS = [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];
const TABLE_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600];

/** One configured table, as the gauges read it (label: its name in sluice.yml, everywhere). */
export interface TableMetrics {
  readonly table: string;
  /** When its watermark last moved: the source was read up to a new position (rows or not). */
  readonly watermarkMovedAt: Date | undefined;
  /** When a run last wrote rows to it (inserted, updated or deleted). */
  readonly lastWrittenAt: Date | undefined;
  /**
   * The runs in a row it failed in up to now (0 when its latest load did not fail; `failureStreaks` of the run
   * history), and when the first of them started. Undefined: not known (the gauges leave the table out).
   */
  readonly consecutiveFailures?: number | undefined;
  readonly failingSince?: Date | undefined;
}

/** What `/metrics` reads from the state store and the scheduler at scrape time. */
export interface MetricsSnapshot {
  /** False when the state store could not be read for this scrape: the project gauges are the last known. */
  readonly stateStoreUp: boolean;
  /** The latest successful run (any process). */
  readonly lastSuccess: RunRecord | undefined;
  /** The latest finished run (any process). */
  readonly lastFinished: RunRecord | undefined;
  readonly tables: readonly TableMetrics[];
  readonly paused: boolean;
  readonly running: boolean;
  readonly nextRun: Date | undefined;
}

export interface SchedulerMetricsOptions {
  /** The daemon's version, for `sluice_build_info`. */
  readonly version?: string;
  /** Map a table name as a run record has it to its sluice.yml name (default: as is). */
  readonly tableName?: (name: string) => string;
  /** Also export the process and Node runtime metrics of prom-client (default true; tests turn it off). */
  readonly runtimeMetrics?: boolean;
}

/**
 * The daemon's Prometheus metrics, on prom-client (with its process and Node runtime metrics: CPU, memory, file
 * descriptors, event-loop lag, GC, heap). Counters and histograms count what this process did since it started
 * (runs, rows, steps, retries, tables), as Prometheus counters do; gauges about the project (last success, tests
 * failed, freshness, model durations) are set from the shared state store at scrape time, so they agree between
 * daemons and survive restarts — and when the store cannot be read they keep their last known values while
 * `sluice_state_store_up` says 0. Every `table` label is the table's name in sluice.yml.
 */
export class SchedulerMetrics {
  readonly registry = new Registry();
  readonly #tableName: (name: string) => string;
  readonly #runs: Counter<'status' | 'trigger'>;
  readonly #failures: Counter;
  readonly #abandoned: Counter;
  readonly #runDuration: Histogram;
  readonly #stepDuration: Histogram<'step' | 'outcome'>;
  readonly #retries: Counter<'step'>;
  readonly #tableDuration: Histogram<'table'>;
  readonly #rowsRead: Counter<'table'>;
  readonly #rowsWritten: Counter<'table' | 'operation'>;
  readonly #bytesRead: Counter<'table'>;
  readonly #stateUp: Gauge;
  readonly #lastDuration: OptionalGauge;
  readonly #lastSuccess: OptionalGauge;
  readonly #lastRunSuccess: OptionalGauge;
  readonly #testsFailed: Gauge<'severity'>;
  readonly #modelDuration: Gauge<'model'>;
  readonly #tableLoaded: Gauge<'table'>;
  readonly #tableWritten: Gauge<'table'>;
  readonly #tableFailures: Gauge<'table'>;
  readonly #tableFailingSince: Gauge<'table'>;
  readonly #paused: Gauge;
  readonly #inProgress: Gauge;
  readonly #nextRun: OptionalGauge;
  readonly #slotLag: Gauge;
  #lastObservedDuration: number | undefined;

  constructor(options: SchedulerMetricsOptions = {}) {
    const registers = [this.registry];
    this.#tableName = options.tableName ?? ((name) => name);
    if (options.runtimeMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client also names three gauges `…_total`, a suffix Prometheus keeps for counters (promtool check metrics
      // says so); their counts are in `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources`.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ])
        this.registry.removeSingleMetric(name);
    }
    new Gauge({
      name: 'sluice_build_info',
      help: 'Always 1: the version of the daemon and of Node running it.',
      labelNames: ['version', 'node_version'],
      registers,
    }).set({ version: options.version ?? 'unknown', node_version: process.version }, 1);
    this.#stateUp = new Gauge({
      name: 'sluice_state_store_up',
      help: '1 when the state store answered this scrape; 0 when it did not (the project gauges are the last known).',
      registers,
    });
    this.#runs = new Counter({
      name: 'sluice_runs_total',
      help: 'Runs finished by this daemon, by status and trigger.',
      labelNames: ['status', 'trigger'],
      registers,
    });
    this.#failures = new Counter({
      name: 'sluice_run_failures_total',
      help: 'Runs finished by this daemon that failed or timed out.',
      registers,
    });
    this.#abandoned = new Counter({
      name: 'sluice_runs_abandoned_total',
      help: 'Runs this daemon recorded abandoned (left running by a process that is gone).',
      registers,
    });
    this.#runDuration = new Histogram({
      name: 'sluice_run_duration_seconds',
      help: 'Duration of the runs finished by this daemon.',
      buckets: RUN_BUCKETS,
      registers,
    });
    this.#stepDuration = new Histogram({
      name: 'sluice_step_duration_seconds',
      help: 'Duration of each attempt of a step (ingest, build) in the runs of this daemon, by outcome.',
      labelNames: ['step', 'outcome'],
      buckets: STEP_BUCKETS,
      registers,
    });
    this.#retries = new Counter({
      name: 'sluice_step_retries_total',
      help: 'Attempts of a step that failed and were retried, in the runs of this daemon.',
      labelNames: ['step'],
      registers,
    });
    this.#tableDuration = new Histogram({
      name: 'sluice_table_duration_seconds',
      help: 'Time to extract and load one table, in the runs of this daemon.',
      labelNames: ['table'],
      buckets: TABLE_BUCKETS,
      registers,
    });
    this.#rowsRead = new Counter({
      name: 'sluice_rows_read_total',
      help: 'Rows read from the source, per table, in the runs of this daemon.',
      labelNames: ['table'],
      registers,
    });
    this.#rowsWritten = new Counter({
      name: 'sluice_rows_written_total',
      help: 'Rows written to the warehouse, per table and operation (insert, update, delete), in the runs of this daemon.',
      labelNames: ['table', 'operation'],
      registers,
    });
    this.#bytesRead = new Counter({
      name: 'sluice_bytes_read_total',
      help: 'Bytes of chunk files read from the source, per table, in the runs of this daemon.',
      labelNames: ['table'],
      registers,
    });
    this.#lastDuration = new OptionalGauge({
      name: 'sluice_last_run_duration_seconds',
      help: 'Duration of the latest finished run (any daemon).',
      registers,
    });
    this.#lastSuccess = new OptionalGauge({
      name: 'sluice_last_success_timestamp_seconds',
      help: 'When the latest successful run ended (Unix time, any daemon).',
      registers,
    });
    this.#lastRunSuccess = new OptionalGauge({
      name: 'sluice_last_run_success',
      help: '1 when the latest finished run succeeded, else 0.',
      registers,
    });
    this.#testsFailed = new Gauge({
      name: 'sluice_tests_failed',
      help: 'Data tests that failed in the latest finished run, by severity.',
      labelNames: ['severity'],
      registers,
    });
    this.#modelDuration = new Gauge({
      name: 'sluice_model_last_duration_seconds',
      help: 'How long each model or snapshot took in the latest finished run that built it.',
      labelNames: ['model'],
      registers,
    });
    this.#tableLoaded = new Gauge({
      name: 'sluice_table_last_loaded_timestamp_seconds',
      help: "When each table's watermark last moved (Unix time): the source was read up to then. Its freshness.",
      labelNames: ['table'],
      registers,
    });
    this.#tableWritten = new Gauge({
      name: 'sluice_table_last_written_timestamp_seconds',
      help: 'When a run last wrote rows (inserted, updated or deleted) to each table (Unix time).',
      labelNames: ['table'],
      registers,
    });
    this.#tableFailures = new Gauge({
      name: 'sluice_table_consecutive_failures',
      help: 'Runs in a row in which each table failed to load, up to its latest load (0: not failing); alert on >= 2.',
      labelNames: ['table'],
      registers,
    });
    this.#tableFailingSince = new Gauge({
      name: 'sluice_table_failing_since_timestamp_seconds',
      help: 'When the first run of the streak of each failing table started (Unix time).',
      labelNames: ['table'],
      registers,
    });
    this.#paused = new Gauge({ name: 'sluice_scheduler_paused', help: '1 while this daemon is paused.', registers });
    this.#inProgress = new Gauge({
      name: 'sluice_run_in_progress',
      help: '1 while this daemon runs the pipeline.',
      registers,
    });
    this.#nextRun = new OptionalGauge({
      name: 'sluice_next_run_timestamp_seconds',
      help: 'The next scheduled slot (Unix time).',
      registers,
    });
    this.#slotLag = new Gauge({
      name: 'sluice_slot_lag_seconds',
      help: 'How late the latest scheduled run of this daemon started after its slot.',
      registers,
    });
  }

  /** Count a run this process finished. */
  observe(run: RunRecord): void {
    this.#runs.inc({ status: run.status, trigger: run.trigger });
    if (isAlertedFailure(run)) this.#failures.inc();
    for (const table of runDetail(run).tables) {
      const name = this.#tableName(table.table);
      this.#rowsRead.inc({ table: name }, rowsRead(table));
      this.#bytesRead.inc({ table: name }, table.bytes);
      for (const [operation, count] of [
        ['insert', table.inserted],
        ['update', table.updated],
        ['delete', table.deleted],
      ] as const) {
        this.#rowsWritten.inc({ table: name, operation }, count ?? 0);
      }
      if (table.seconds !== undefined && table.status !== 'skipped' && table.status !== 'cancelled')
        this.#tableDuration.observe({ table: name }, table.seconds);
    }
    if (run.endedAt) {
      const seconds = (run.endedAt.getTime() - run.startedAt.getTime()) / 1000;
      this.#lastObservedDuration = seconds;
      this.#runDuration.observe(seconds);
    }
  }

  /** Count what the pipeline reports as it goes: step attempts and their durations, retries. */
  observeEvent(event: PipelineEvent): void {
    if (event.type === 'step-end')
      this.#stepDuration.observe({ step: event.step, outcome: event.outcome }, event.seconds);
    if (event.type === 'step-retry') this.#retries.inc({ step: event.step });
  }

  /** A scheduled run started `seconds` after its slot. */
  observeSlotLag(seconds: number): void {
    this.#slotLag.set(Math.max(0, seconds));
  }

  /** Runs this daemon recorded abandoned. */
  observeAbandoned(count: number): void {
    this.#abandoned.inc(count);
  }

  /** The Prometheus text exposition (`registry.contentType`). */
  async render(snapshot: MetricsSnapshot): Promise<string> {
    this.#stateUp.set(snapshot.stateStoreUp ? 1 : 0);
    const last = snapshot.lastFinished;
    const lastDuration = last?.endedAt
      ? (last.endedAt.getTime() - last.startedAt.getTime()) / 1000
      : this.#lastObservedDuration;
    resetTo(this.#lastDuration, lastDuration);
    resetTo(
      this.#lastSuccess,
      snapshot.lastSuccess
        ? (snapshot.lastSuccess.endedAt ?? snapshot.lastSuccess.startedAt).getTime() / 1000
        : undefined,
    );
    resetTo(this.#lastRunSuccess, last ? (last.status === 'success' ? 1 : 0) : undefined);
    const detail = last ? runDetail(last) : undefined;
    const tests = detail?.tests ?? [];
    this.#testsFailed.set({ severity: 'error' }, tests.filter(isErrorTestFailure).length);
    this.#testsFailed.set({ severity: 'warn' }, tests.filter((t) => isFailingTest(t) && !isErrorTestFailure(t)).length);
    this.#modelDuration.reset();
    for (const model of detail?.models ?? []) {
      if (model.seconds !== undefined && model.status === 'success')
        this.#modelDuration.set({ model: model.name }, model.seconds);
    }
    this.#tableLoaded.reset();
    this.#tableWritten.reset();
    this.#tableFailures.reset();
    this.#tableFailingSince.reset();
    for (const table of snapshot.tables) {
      if (table.watermarkMovedAt)
        this.#tableLoaded.set({ table: table.table }, table.watermarkMovedAt.getTime() / 1000);
      if (table.lastWrittenAt) this.#tableWritten.set({ table: table.table }, table.lastWrittenAt.getTime() / 1000);
      if (table.consecutiveFailures !== undefined)
        this.#tableFailures.set({ table: table.table }, table.consecutiveFailures);
      if (table.failingSince && (table.consecutiveFailures ?? 0) > 0)
        this.#tableFailingSince.set({ table: table.table }, table.failingSince.getTime() / 1000);
    }
    this.#paused.set(snapshot.paused ? 1 : 0);
    this.#inProgress.set(snapshot.running ? 1 : 0);
    resetTo(this.#nextRun, snapshot.nextRun ? snapshot.nextRun.getTime() / 1000 : undefined);
    return this.registry.metrics();
  }
}

/** A gauge without labels that is left out of the exposition while it has no value (prom-client would say 0). */
class OptionalGauge extends Gauge {
  #known = false;

  setOrClear(value: number | undefined): void {
    this.#known = value !== undefined;
    this.set(value ?? 0);
  }

  override async get(): ReturnType<Gauge['get']> {
    const metric = await super.get();
    return this.#known ? metric : { ...metric, values: [] };
  }
}

function resetTo(gauge: OptionalGauge, value: number | undefined): void {
  gauge.setOrClear(value);
}
