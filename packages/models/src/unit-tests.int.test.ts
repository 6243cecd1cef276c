import { createDuckDbWarehouse } from '@sluice/duckdb';
import type { Warehouse } from '@sluice/warehouse';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from './load-project.js';
import { runProject, type NodeResult, type RunResult } from './run-project.js';
import { fixture, tempDir } from './test-support/temp-project.js';

const target = { name: 'dev', type: 'duckdb', schema: 'main' };

let dir: { path: string; remove(): Promise<void> };
let warehouse: Warehouse;
beforeEach(async () => {
  dir = await tempDir();
  warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
});
afterEach(async () => {
  await warehouse.close();
  await dir.remove();
});

function byName(result: RunResult): Record<string, NodeResult> {
  return Object.fromEntries(result.results.map((r) => [r.name, r]));
}

describe('unit tests (dbt 1.8 unit_tests:) on DuckDB', () => {
  it('runs every unit test in build before its model; a failing one skips the model and its children', async () => {
    const { project, errors, warnings } = await loadProject(fixture('unit-tests'));
    expect(errors).toEqual([]);
    expect(warnings.filter((w) => w.message.includes('unit_tests'))).toEqual([]);
    const finished: string[] = [];
    const result = await runProject(project, warehouse, {
      target,
      threads: 2,
      onEvent: (e) => {
        if (e.type === 'node-finish') finished.push(e.result.name);
      },
    });
    const r = byName(result);
    for (const name of [
      'totals_per_customer',
      'renames_columns_csv',
      'reads_a_fixture_file',
      'big_orders_threshold_var',
      'tax_with_overridden_rate',
      'incremental_reads_only_new_rows',
      'incremental_full_refresh',
    ])
      expect(r[name], `${name}: ${r[name]?.message}`).toMatchObject({ status: 'pass', kind: 'test' });
    expect(r.open_orders_are_labelled_open?.status).toBe('fail');
    expect(r.open_orders_are_labelled_open?.message).toContain('+++');
    expect(r.label_orders).toMatchObject({ status: 'skipped' });
    expect(r.label_orders?.message).toContain('open_orders_are_labelled_open');
    expect(r.label_counts?.status).toBe('skipped');
    expect(r.customer_totals?.status).toBe('success');
    // Each unit test ran before its model was built.
    expect(finished.indexOf('totals_per_customer')).toBeGreaterThanOrEqual(0);
    expect(finished.indexOf('totals_per_customer')).toBeLessThan(finished.indexOf('customer_totals'));
    expect(finished.indexOf('incremental_reads_only_new_rows')).toBeLessThan(finished.indexOf('orders_incremental'));
    // No relation is created for a unit test.
    const tables = await warehouse.query(
      `select table_name from information_schema.tables where table_name like '%unit%'`,
    );
    expect(tables).toEqual([]);
  });
});
