import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@sluice/watermark';
import { SchedulerMetrics } from './scheduler-metrics.js';

const success: RunRecord = {
  id: 'r1',
  trigger: 'schedule',
  status: 'success',
  startedAt: new Date('2024-05-01T06:00:00Z'),
  endedAt: new Date('2024-05-01T06:00:42.5Z'),
  detail: {
    tables: [
      { table: 'vendas', status: 'success', rows: 1000, bytes: 50_000 },
      { table: 'clientes', status: 'unchanged', rows: 0, bytes: 0 },
    ],
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

describe('SchedulerMetrics', () => {
  it('renders Prometheus text: runs, failures, durations, rows per table, last success, tests failed, freshness', () => {
    const metrics = new SchedulerMetrics();
    metrics.observe(success);
    metrics.observe(failed);
    const text = metrics.render({
      lastSuccess: success,
      lastFinished: success,
      tablesLoadedAt: [{ table: 'public.vendas', at: new Date('2024-05-01T06:00:40Z') }],
      paused: false,
      running: false,
      nextRun: new Date('2024-05-02T06:00:00Z'),
    });
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('sluice_runs_total{status="success",trigger="schedule"} 1');
    expect(lines).toContain('sluice_runs_total{status="failed",trigger="api"} 1');
    expect(lines).toContain('sluice_run_failures_total 1');
    expect(lines).toContain('sluice_run_duration_seconds_bucket{le="30"} 0');
    expect(lines).toContain('sluice_run_duration_seconds_bucket{le="60"} 2');
    expect(lines).toContain('sluice_run_duration_seconds_count 2');
    expect(lines).toContain('sluice_run_duration_seconds_sum 85');
    expect(lines).toContain('sluice_last_run_duration_seconds 42.5');
    expect(lines).toContain('sluice_rows_loaded_total{table="vendas"} 1000');
    expect(lines).toContain('sluice_bytes_loaded_total{table="vendas"} 50000');
    expect(lines).toContain('sluice_last_success_timestamp_seconds 1714543242.5');
    expect(lines).toContain('sluice_tests_failed{severity="error"} 1');
    expect(lines).toContain('sluice_tests_failed{severity="warn"} 1');
    expect(lines).toContain('sluice_table_last_loaded_timestamp_seconds{table="public.vendas"} 1714543240');
    expect(lines).toContain('sluice_next_run_timestamp_seconds 1714629600');
    // Every sample line is `name{labels} value`, and every metric has HELP and TYPE.
    for (const line of lines.filter((l) => !l.startsWith('#')))
      expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$/);
    const names = new Set(
      lines.filter((l) => !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!.replace(/_(bucket|sum|count)$/, '')),
    );
    for (const name of names)
      expect(lines).toContain(`# TYPE ${name} ${text.match(new RegExp(`# TYPE ${name} (\\w+)`))?.[1]}`);
  });

  it('counts the runs in a row each table failed, and when the streak of a failing table began', () => {
    const text = new SchedulerMetrics().render({
      lastSuccess: undefined,
      lastFinished: undefined,
      tablesLoadedAt: [],
      tableFailures: [
        { table: 'vendas', runs: 3, since: new Date('2024-05-01T06:00:00Z') },
        { table: 'clientes', runs: 0 },
      ],
      paused: false,
      running: false,
      nextRun: undefined,
    });
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('sluice_table_consecutive_failures{table="vendas"} 3');
    expect(lines).toContain('sluice_table_consecutive_failures{table="clientes"} 0');
    expect(lines).toContain('sluice_table_failing_since_timestamp_seconds{table="vendas"} 1714543200');
    expect(text).not.toContain('sluice_table_failing_since_timestamp_seconds{table="clientes"}');
    expect(lines).toContain('# TYPE sluice_table_consecutive_failures gauge');
  });

  it('escapes label values', () => {
    const metrics = new SchedulerMetrics();
    metrics.observe({
      ...success,
      detail: { tables: [{ table: 'we"ird\\name', status: 'success', rows: 1, bytes: 1 }] },
    });
    const text = metrics.render({
      lastSuccess: undefined,
      lastFinished: undefined,
      tablesLoadedAt: [],
      paused: true,
      running: true,
      nextRun: undefined,
    });
    expect(text).toContain('sluice_rows_loaded_total{table="we\\"ird\\\\name"} 1');
    expect(text).toContain('sluice_scheduler_paused 1');
    expect(text).not.toContain('sluice_next_run_timestamp_seconds');
  });
});
