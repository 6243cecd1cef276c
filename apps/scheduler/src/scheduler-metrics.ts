import { isErrorTestFailure, isFailingTest, readRunRecord } from '@sluice/pipeline';
import type { RunRecord } from '@sluice/watermark';
import { isAlertedFailure } from './alerts.js';

const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];

/** What `/metrics` reads from the state store and the scheduler at scrape time. */
export interface MetricsSnapshot {
  /** The latest successful run (any process). */
  readonly lastSuccess: RunRecord | undefined;
  /** The latest finished run (any process). */
  readonly lastFinished: RunRecord | undefined;
  /** Per table: when its watermark last moved. */
  readonly tablesLoadedAt: ReadonlyArray<{ readonly table: string; readonly at: Date }>;
  /**
   * Per table of `sluice.yml`: the runs in a row it failed in up to now (0 when its latest load did not fail), and
   * when the first of them started (`failureStreaks` of the run history).
   */
  readonly tableFailures?: ReadonlyArray<{ readonly table: string; readonly runs: number; readonly since?: Date }>;
  readonly paused: boolean;
  readonly running: boolean;
  readonly nextRun: Date | undefined;
}

/**
 * Prometheus metrics of one daemon. Counters (runs, failures, rows and bytes loaded, the run-duration histogram)
 * count the runs this process finished since it started, as Prometheus counters do; gauges about the project
 * (last success, tests failed, table freshness) are read from the shared state store at scrape time, so they are
 * right after a restart and agree between several daemons.
 */
export class SchedulerMetrics {
  readonly #runs = new Map<string, number>();
  #failures = 0;
  readonly #rows = new Map<string, number>();
  readonly #bytes = new Map<string, number>();
  readonly #buckets = DURATION_BUCKETS.map(() => 0);
  #durationSum = 0;
  #durationCount = 0;
  #lastDuration: number | undefined;

  /** Count a run this process finished. */
  observe(run: RunRecord): void {
    const key = `${run.status}\u0000${run.trigger}`;
    this.#runs.set(key, (this.#runs.get(key) ?? 0) + 1);
    if (isAlertedFailure(run)) this.#failures++;
    for (const table of readRunRecord(run).detail.tables) {
      this.#rows.set(table.table, (this.#rows.get(table.table) ?? 0) + table.rows);
      this.#bytes.set(table.table, (this.#bytes.get(table.table) ?? 0) + table.bytes);
    }
    if (run.endedAt) {
      const seconds = (run.endedAt.getTime() - run.startedAt.getTime()) / 1000;
      this.#lastDuration = seconds;
      this.#durationSum += seconds;
      this.#durationCount++;
      DURATION_BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) this.#buckets[i] = (this.#buckets[i] ?? 0) + 1;
      });
    }
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(snapshot: MetricsSnapshot): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[Record<string, string>, number]>) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${formatNumber(value)}`);
    };
    metric(
      'sluice_runs_total',
      'counter',
      'Runs finished by this daemon, by status and trigger.',
      [...this.#runs].map(([key, n]) => {
        const [status = '', trigger = ''] = key.split('\u0000');
        return [{ status, trigger }, n];
      }),
    );
    metric('sluice_run_failures_total', 'counter', 'Runs finished by this daemon that failed or timed out.', [
      [{}, this.#failures],
    ]);
    out.push(
      '# HELP sluice_run_duration_seconds Duration of the runs finished by this daemon.',
      '# TYPE sluice_run_duration_seconds histogram',
    );
    DURATION_BUCKETS.forEach((bound, i) => {
      out.push(`sluice_run_duration_seconds_bucket{le="${bound}"} ${this.#buckets[i] ?? 0}`);
    });
    out.push(
      `sluice_run_duration_seconds_bucket{le="+Inf"} ${this.#durationCount}`,
      `sluice_run_duration_seconds_sum ${formatNumber(this.#durationSum)}`,
      `sluice_run_duration_seconds_count ${this.#durationCount}`,
    );
    const last = snapshot.lastFinished;
    const lastDuration = last?.endedAt
      ? (last.endedAt.getTime() - last.startedAt.getTime()) / 1000
      : this.#lastDuration;
    if (lastDuration !== undefined)
      metric('sluice_last_run_duration_seconds', 'gauge', 'Duration of the latest finished run.', [[{}, lastDuration]]);
    metric(
      'sluice_rows_loaded_total',
      'counter',
      'Rows read from the source and loaded, per table, by this daemon.',
      sorted(this.#rows),
    );
    metric(
      'sluice_bytes_loaded_total',
      'counter',
      'Bytes of chunk files loaded, per table, by this daemon.',
      sorted(this.#bytes),
    );
    if (snapshot.lastSuccess) {
      const at = snapshot.lastSuccess.endedAt ?? snapshot.lastSuccess.startedAt;
      metric('sluice_last_success_timestamp_seconds', 'gauge', 'When the latest successful run ended (Unix time).', [
        [{}, at.getTime() / 1000],
      ]);
    }
    const tests = last ? readRunRecord(last).detail.tests : [];
    metric('sluice_tests_failed', 'gauge', 'Data tests that failed in the latest finished run, by severity.', [
      [{ severity: 'error' }, tests.filter(isErrorTestFailure).length],
      [{ severity: 'warn' }, tests.filter((t) => isFailingTest(t) && !isErrorTestFailure(t)).length],
    ]);
    if (last) {
      metric('sluice_last_run_success', 'gauge', '1 when the latest finished run succeeded, else 0.', [
        [{}, last.status === 'success' ? 1 : 0],
      ]);
    }
    metric(
      'sluice_table_last_loaded_timestamp_seconds',
      'gauge',
      "When each table's watermark last moved (Unix time): its freshness.",
      snapshot.tablesLoadedAt.map(({ table, at }) => [{ table }, at.getTime() / 1000]),
    );
    if (snapshot.tableFailures) {
      const failures = snapshot.tableFailures;
      metric(
        'sluice_table_consecutive_failures',
        'gauge',
        'Runs in a row in which each table failed to load, up to its latest load (0: not failing); alert on >= 2.',
        failures.map(({ table, runs }) => [{ table }, runs]),
      );
      metric(
        'sluice_table_failing_since_timestamp_seconds',
        'gauge',
        'When the first run of the streak of each failing table started (Unix time).',
        failures.flatMap(({ table, runs, since }) =>
          runs > 0 && since ? [[{ table }, since.getTime() / 1000] as [Record<string, string>, number]] : [],
        ),
      );
    }
    metric('sluice_scheduler_paused', 'gauge', '1 while this daemon is paused.', [[{}, snapshot.paused ? 1 : 0]]);
    metric('sluice_run_in_progress', 'gauge', '1 while this daemon runs the pipeline.', [
      [{}, snapshot.running ? 1 : 0],
    ]);
    if (snapshot.nextRun) {
      metric('sluice_next_run_timestamp_seconds', 'gauge', 'The next scheduled slot (Unix time).', [
        [{}, snapshot.nextRun.getTime() / 1000],
      ]);
    }
    return `${out.join('\n')}\n`;
  }
}

function sorted(map: ReadonlyMap<string, number>): Array<[Record<string, string>, number]> {
  return [...map].sort(([a], [b]) => a.localeCompare(b)).map(([table, n]) => [{ table }, n]);
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)));
}
