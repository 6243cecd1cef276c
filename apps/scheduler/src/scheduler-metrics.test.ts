import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@sluice/watermark';
import { SchedulerMetrics, type MetricsSnapshot } from './scheduler-metrics.js';

const success: RunRecord = {
  id: 'r1',
  trigger: 'schedule',
  status: 'success',
  startedAt: new Date('2024-05-01T06:00:00Z'),
  endedAt: new Date('2024-05-01T06:00:42.5Z'),
  detail: {
    tables: [
      // A reference table read again whole: 330 rows read, nothing written.
      { table: 'cidades', status: 'unchanged', rows: 330, bytes: 9_000, inserted: 0, updated: 0, deleted: 0 },
      {
        table: 'vendas',
        status: 'success',
        rows: 1000,
        bytes: 50_000,
        inserted: 900,
        updated: 90,
        deleted: 10,
        seconds: 1.5,
      },
    ],
    models: [{ name: 'fct_vendas', status: 'success', seconds: 3.25 }],
    tests: [
      { name: 't1', status: 'fail', severity: 'error' },
      { name: 't2', status: 'warn', severity: 'warn' },
    ],
  },
};
const failed: RunRecord = {
  ...success,
  id: 'r2',
  status: 'failed',
  trigger: 'api',
  detail: { tables: [{ table: 'vendas', status: 'failed', rows: 0, bytes: 0 }] },
};

const snapshot = (over: Partial<MetricsSnapshot> = {}): MetricsSnapshot => ({
  stateStoreUp: true,
  lastSuccess: success,
  lastFinished: success,
  tables: [
    {
      table: 'vendas',
      watermarkMovedAt: new Date('2024-05-01T06:00:40Z'),
      lastWrittenAt: new Date('2024-05-01T06:00:42.5Z'),
    },
    { table: 'cidades', watermarkMovedAt: new Date('2024-05-01T06:00:41Z'), lastWrittenAt: undefined },
  ],
  paused: false,
  running: false,
  nextRun: new Date('2024-05-02T06:00:00Z'),
  ...over,
});

describe('SchedulerMetrics', () => {
  it('renders runs, failures, durations, rows read and written apart, last success, tests failed, freshness', async () => {
    const metrics = new SchedulerMetrics({ version: '9.9.9', runtimeMetrics: false });
    metrics.observe(success);
    metrics.observe(failed);
    metrics.observeEvent({ type: 'step-retry', runId: 'r2', step: 'ingest', attempt: 1, delayMs: 10, error: 'x' });
    metrics.observeEvent({
      type: 'step-end',
      runId: 'r2',
      step: 'ingest',
      attempt: 1,
      outcome: 'failed',
      seconds: 2,
    });
    metrics.observeSlotLag(0.75);
    const text = await metrics.render(snapshot());
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('sluice_runs_total{status="success",trigger="schedule"} 1');
    expect(lines).toContain('sluice_runs_total{status="failed",trigger="api"} 1');
    expect(lines).toContain('sluice_run_failures_total 1');
    expect(lines).toContain('sluice_run_duration_seconds_bucket{le="30"} 0');
    expect(lines).toContain('sluice_run_duration_seconds_bucket{le="60"} 2');
    expect(lines).toContain('sluice_run_duration_seconds_count 2');
    expect(lines).toContain('sluice_run_duration_seconds_sum 85');
    expect(lines).toContain('sluice_last_run_duration_seconds 42.5');
    // Rows read and rows written are separate series: the reference table read 330 rows and wrote none.
    expect(lines).toContain('sluice_rows_read_total{table="cidades"} 330');
    expect(lines).toContain('sluice_rows_written_total{table="cidades",operation="insert"} 0');
    expect(lines).toContain('sluice_rows_read_total{table="vendas"} 1000');
    expect(lines).toContain('sluice_rows_written_total{table="vendas",operation="insert"} 900');
    expect(lines).toContain('sluice_rows_written_total{table="vendas",operation="update"} 90');
    expect(lines).toContain('sluice_rows_written_total{table="vendas",operation="delete"} 10');
    expect(lines).toContain('sluice_bytes_read_total{table="vendas"} 50000');
    expect(lines.some((l) => l.startsWith('sluice_rows_loaded_total'))).toBe(false);
    expect(lines).toContain('sluice_last_success_timestamp_seconds 1714543242.5');
    expect(lines).toContain('sluice_tests_failed{severity="error"} 1');
    expect(lines).toContain('sluice_tests_failed{severity="warn"} 1');
    expect(lines).toContain('sluice_model_last_duration_seconds{model="fct_vendas"} 3.25');
    // One label value per table everywhere: its name in sluice.yml.
    expect(lines).toContain('sluice_table_last_loaded_timestamp_seconds{table="vendas"} 1714543240');
    expect(lines).toContain('sluice_table_last_written_timestamp_seconds{table="vendas"} 1714543242.5');
    expect(lines.some((l) => l.startsWith('sluice_table_last_written_timestamp_seconds{table="cidades"}'))).toBe(false);
    expect(text).not.toContain('public.');
    expect(lines).toContain('sluice_next_run_timestamp_seconds 1714629600');
    expect(lines).toContain('sluice_step_retries_total{step="ingest"} 1');
    expect(lines).toContain('sluice_step_duration_seconds_count{step="ingest",outcome="failed"} 1');
    expect(lines).toContain('sluice_table_duration_seconds_count{table="vendas"} 1');
    expect(lines).toContain('sluice_table_duration_seconds_sum{table="vendas"} 1.5');
    expect(lines).toContain('sluice_slot_lag_seconds 0.75');
    expect(lines).toContain('sluice_state_store_up 1');
    expect(lines).toContain(`sluice_build_info{version="9.9.9",node_version="${process.version}"} 1`);
    // Every sample line is `name{labels} value`, and every metric has HELP and TYPE.
    for (const line of lines.filter((l) => !l.startsWith('#') && l !== ''))
      expect(line).toMatch(
        /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$|^[a-z_]+_bucket\{.*le="\+Inf".*\} \d+$/,
      );
    const names = new Set(
      lines
        .filter((l) => !l.startsWith('#') && l !== '')
        .map((l) => l.split(/[{ ]/)[0]!.replace(/_(bucket|sum|count)$/, '')),
    );
    for (const name of names) {
      expect(text).toMatch(new RegExp(`# HELP ${name} \\S`));
      expect(text).toMatch(new RegExp(`# TYPE ${name} (counter|gauge|histogram)`));
    }
  });

  it('keeps the last known project gauges while the state store is down, and says so', async () => {
    const metrics = new SchedulerMetrics({ runtimeMetrics: false });
    const down = await metrics.render(snapshot({ stateStoreUp: false }));
    expect(down).toContain('sluice_state_store_up 0');
    expect(down).toContain('sluice_last_success_timestamp_seconds 1714543242.5');
  });

  it('counts the runs in a row each table failed, and when the streak of a failing table began', async () => {
    const metrics = new SchedulerMetrics({ runtimeMetrics: false });
    const text = await metrics.render(
      snapshot({
        tables: [
          {
            table: 'vendas',
            watermarkMovedAt: undefined,
            lastWrittenAt: undefined,
            consecutiveFailures: 3,
            failingSince: new Date('2024-05-01T06:00:00Z'),
          },
          { table: 'clientes', watermarkMovedAt: undefined, lastWrittenAt: undefined, consecutiveFailures: 0 },
        ],
      }),
    );
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('sluice_table_consecutive_failures{table="vendas"} 3');
    expect(lines).toContain('sluice_table_consecutive_failures{table="clientes"} 0');
    expect(lines).toContain('sluice_table_failing_since_timestamp_seconds{table="vendas"} 1714543200');
    expect(text).not.toContain('sluice_table_failing_since_timestamp_seconds{table="clientes"}');
    expect(lines).toContain('# TYPE sluice_table_consecutive_failures gauge');
  });

  it('escapes label values, and leaves out what has no value', async () => {
    const metrics = new SchedulerMetrics({ runtimeMetrics: false });
    metrics.observe({
      ...success,
      id: 'r-weird',
      detail: { tables: [{ table: 'we"ird\\name', status: 'success', rows: 1, bytes: 1 }] },
    });
    const text = await metrics.render(
      snapshot({
        lastSuccess: undefined,
        lastFinished: undefined,
        tables: [],
        paused: true,
        running: true,
        nextRun: undefined,
      }),
    );
    expect(text).toContain('sluice_rows_read_total{table="we\\"ird\\\\name"} 1');
    expect(text).toContain('sluice_scheduler_paused 1');
    expect(text).not.toMatch(/^sluice_next_run_timestamp_seconds /m);
    expect(text).not.toMatch(/^sluice_last_success_timestamp_seconds /m);
  });

  it('exports the process and Node runtime metrics', async () => {
    const text = await new SchedulerMetrics().render(snapshot());
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect(text).toMatch(new RegExp(`^${name}`, 'm'));
  });
});
