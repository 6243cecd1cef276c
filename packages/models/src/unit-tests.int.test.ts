import { createDuckDbWarehouse } from '@sluice/duckdb';
import type { Warehouse } from '@sluice/warehouse';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from './load-project.js';
import { compileProject } from './compile-project.js';
import { manifestArtifact, runResultsArtifact } from './dbt-artifacts.js';
import { runProject, type NodeResult, type RunResult } from './run-project.js';
import { selectNodes } from './select-nodes.js';
import { startEmulatedSnowflake } from './test-support/snowflake-emulator.js';
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
      'expect_as_sql',
      'seeds_need_no_input',
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
    // run_results.json carries them under dbt's unique id.
    const runResults = runResultsArtifact(result, target, { generatedAt: new Date().toISOString(), invocationId: 'x' });
    expect(
      (runResults.results as Array<{ unique_id: string; status: string }>).find(
        (x) => x.unique_id === 'unit_test.unit_shop.label_orders.open_orders_are_labelled_open',
      )?.status,
    ).toBe('fail');
    // No relation is created for a unit test.
    const tables = await warehouse.query(
      `select table_name from information_schema.tables where table_name like '%unit%'`,
    );
    expect(tables).toEqual([]);
  });

  it('runs unit tests alone (sluice test, --select test_type:unit), by name, and with the model they test', async () => {
    const { project } = await loadProject(fixture('unit-tests'));
    // The inputs must exist for their column types: build them first (no unit test in a plain run).
    const seeded = await runProject(project, warehouse, {
      target,
      runTests: 'none',
      select: ['+stg_orders', 'raw_customers'],
    });
    expect(seeded.status).toBe('success');
    const ids = (select: string[]): string[] => selectNodes(project, { select }).nodes.map((n) => n.id);
    expect(ids(['test_type:unit'])).toHaveLength(10);
    expect(ids(['resource_type:unit_test'])).toEqual(ids(['test_type:unit']));
    expect(ids(['resource_type:test'])).toEqual([]);
    expect(ids(['customer_totals'])).toEqual([
      'model.unit_shop.customer_totals',
      'unit_test.unit_shop.customer_totals.totals_per_customer',
      'unit_test.unit_shop.customer_totals.seeds_need_no_input',
    ]);
    const tested = await runProject(project, warehouse, {
      target,
      runTests: 'only',
      select: ['test_type:unit'],
      exclude: ['orders_incremental'],
    });
    const r = byName(tested);
    expect(r.totals_per_customer?.status).toBe('pass');
    expect(r.big_orders_threshold_var?.status).toBe('pass');
    expect(r.open_orders_are_labelled_open?.status).toBe('fail');
    expect(r.open_orders_are_labelled_open?.failures).toBe(2);
    expect(r.open_orders_are_labelled_open?.message).toContain('--- | 2        | OPEN');
    expect(r.open_orders_are_labelled_open?.message).toContain('+++ | 2        | OTHER');
    expect(tested.status).toBe('error');
    // A unit test whose input was never built says which input, and what to do.
    const empty = await createDuckDbWarehouse({ path: path.join(dir.path, 'empty.duckdb') });
    try {
      const missing = await runProject(project, empty, { target, runTests: 'only', select: ['totals_per_customer'] });
      expect(byName(missing).totals_per_customer?.status).toBe('error');
      expect(byName(missing).totals_per_customer?.message).toContain('build it first');
    } finally {
      await empty.close();
    }
  });

  it("lists unit tests in manifest.json under unit_tests, with dbt's ids", async () => {
    const { project } = await loadProject(fixture('unit-tests'));
    const compiled = compileProject(project, { target, dialect: warehouse.dialect });
    expect(compiled.errors).toEqual([]);
    const sql = compiled.nodes.get('unit_test.unit_shop.big_orders.big_orders_threshold_var')?.sql ?? '';
    expect(sql).toContain('>= 50');
    expect(sql).toContain('__sluice_cte__unit_stg_orders');
    const manifest = manifestArtifact(
      project,
      { target, compiled, compiledSql: new Map(), macroFiles: new Map() },
      { generatedAt: new Date().toISOString(), invocationId: 'x' },
    );
    const unit = (manifest.unit_tests as Record<string, Record<string, unknown>>)[
      'unit_test.unit_shop.customer_totals.totals_per_customer'
    ];
    expect(unit).toMatchObject({
      resource_type: 'unit_test',
      model: 'customer_totals',
      depends_on: { nodes: ['model.unit_shop.customer_totals'] },
    });
    expect(Object.keys(manifest.nodes as object).some((id) => id.startsWith('unit_test.'))).toBe(false);
  });
});

describe('unit tests on Snowflake (through the emulator)', () => {
  it('passes the same tests, fails the failing one, and skips its model', async () => {
    const snowflake = await startEmulatedSnowflake();
    try {
      const { project, errors } = await loadProject(fixture('unit-tests'));
      expect(errors).toEqual([]);
      const result = await runProject(project, snowflake.warehouse, {
        target: { name: 'prod', type: 'snowflake', schema: 'marts' },
        threads: 2,
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
        'expect_as_sql',
        'seeds_need_no_input',
      ])
        expect(r[name], `${name}: ${r[name]?.message}`).toMatchObject({ status: 'pass' });
      expect(r.open_orders_are_labelled_open?.status).toBe('fail');
      expect(r.label_orders?.status).toBe('skipped');
      expect(r.label_counts?.status).toBe('skipped');
    } finally {
      await snowflake.dispose();
    }
  }, 180_000);
});
