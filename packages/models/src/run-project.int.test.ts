import { createDuckDbWarehouse } from '@sluice/duckdb';
import type { Warehouse } from '@sluice/warehouse';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectCatalog } from './collect-catalog.js';
import { loadProject } from './load-project.js';
import { runProject, type NodeResult, type RunEvent, type RunResult } from './run-project.js';
import { seedShop } from './test-support/shop-data.js';
import { fixture, tempDir, writeProject } from './test-support/temp-project.js';
import { writeArtifacts } from './write-artifacts.js';

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

async function count(sql: string): Promise<number> {
  const rows = await warehouse.query(sql);
  return Number(Object.values(rows[0] ?? {})[0]);
}

describe('runProject: the shop fixture in build mode', () => {
  it('builds what it can, records every failure path, and skips what depends on a failure', async () => {
    await seedShop(warehouse);
    const { project } = await loadProject(fixture('shop'));
    const events: RunEvent[] = [];
    const result = await runProject(project, warehouse, { target, threads: 3, onEvent: (e) => events.push(e) });
    const r = byName(result);

    expect(result.status).toBe('error');
    expect(result.counts).toEqual({ success: 6, error: 1, skipped: 2, cancelled: 0, pass: 8, warn: 3, fail: 1 });

    // The deliberately broken model fails with the warehouse's reason and where to look; its child is skipped.
    expect(r.broken_model).toMatchObject({
      status: 'error',
      errorCode: 'WAREHOUSE_STATEMENT_FAILED',
      compiledPath: 'compiled/shop/models/marts/broken_model.sql',
    });
    expect(r.broken_model?.message).toContain('no_such_column');
    expect(r.broken_model?.message).toContain('models/marts/broken_model.sql');
    expect(r.after_broken).toMatchObject({ status: 'skipped', message: 'skipped: model broken_model failed' });

    // An error-severity test that fails skips the models downstream of the model it tests.
    expect(r.order_amounts_not_negative).toMatchObject({
      status: 'fail',
      failures: 1,
      severity: 'error',
      samples: [{ order_id: 11, amount: '-5.00' }],
    });
    expect(r.order_amounts_not_negative?.message).toContain(
      'compiled SQL: target/compiled/shop/models/marts/schema.yml/order_amounts_not_negative.sql',
    );
    expect(r.order_amount_report).toMatchObject({
      status: 'skipped',
      message: 'skipped: test order_amounts_not_negative failed',
    });

    // Warnings: severity warn, and a warn_if threshold below error_if; failing rows stored in the audit schema.
    expect(r.accepted_values_stg_orders_status__paid__pending__cancelled).toMatchObject({
      status: 'warn',
      failures: 1,
      samples: [{ value_field: 'refunded', n_records: 1 }],
    });
    expect(r.is_positive_fct_orders_amount).toMatchObject({ status: 'warn', failures: 1 });
    expect(r.relationships_fct_orders_customer_id__customer_id__ref_dim_customers_).toMatchObject({
      status: 'warn',
      failures: 1,
      // dbt's name is 64 characters or more: failures go to its short name (30 characters and an md5), as dbt's alias.
      storedIn: { schema: 'main_dbt_test__audit', name: 'relationships_fct_orders_0c6c6d9e6f30dfb9b653557ebf38e47c' },
    });
    expect(
      await count(
        'select count(*) from main_dbt_test__audit.relationships_fct_orders_0c6c6d9e6f30dfb9b653557ebf38e47c where order_id = 12',
      ),
    ).toBe(1);

    // What succeeded is there.
    expect(await count('select count(*) from main_marts.dim_customers')).toBe(2);
    expect(await warehouse.query('select customer_name from main_staging.stg_customers order by customer_id')).toEqual([
      { customer_name: 'Ana Maria' },
      { customer_name: 'João Silva' },
    ]);
    expect(r.dim_customers).toMatchObject({
      status: 'success',
      materialized: 'table',
      relation: { schema: 'main_marts', name: 'dim_customers' },
    });
    expect(r.orders_snapshot).toMatchObject({ status: 'success', rowsAffected: 3 });

    // Tests ran right after their model: each test started after its model finished.
    const finishedAt = (name: string) => events.findIndex((e) => e.type === 'node-finish' && e.result.name === name);
    const startedAt = (name: string) => events.findIndex((e) => e.type === 'node-start' && e.name === name);
    expect(startedAt('unique_dim_customers_customer_id')).toBeGreaterThan(finishedAt('dim_customers'));
    expect(startedAt('order_amounts')).toBeGreaterThan(finishedAt('is_positive_fct_orders_amount'));
    expect(events[0]).toMatchObject({ type: 'run-start', threads: 3 });
    expect(events.at(-1)).toMatchObject({ type: 'run-finish' });
  });

  it('writes manifest, run results, compiled SQL and a self-contained lineage page', async () => {
    await seedShop(warehouse);
    const { project } = await loadProject(fixture('shop'));
    const result = await runProject(project, warehouse, { target, threads: 2 });
    const out = path.join(dir.path, 'target');
    const catalog = await collectCatalog(project, warehouse, target);
    expect(catalog['model.shop.dim_customers']).toEqual([
      { name: 'customer_id', type: 'integer' },
      { name: 'customer_name', type: 'text' },
      { name: 'paid_orders', type: 'bigint' },
      { name: 'lifetime_value', type: expect.stringMatching(/^decimal/) },
    ]);
    expect(catalog['model.shop.after_broken']).toBeUndefined();
    const files = await writeArtifacts(out, { project, run: result, target, catalog });
    expect(files.map((f) => path.relative(out, f))).toEqual(
      expect.arrayContaining(['manifest.json', 'run_results.json', 'docs/index.html']),
    );

    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.nodes['model.shop.dim_customers']).toMatchObject({
      resource_type: 'model',
      depends_on: { nodes: ['model.shop.stg_customers', 'model.shop.int_paid_orders'] },
      config: { materialized: 'table', schema: 'marts' },
      compiled_path: 'compiled/shop/models/marts/dim_customers.sql',
    });
    expect(manifest.sources['source.shop.raw.orders']).toMatchObject({ schema: 'raw', identifier: 'orders' });

    // run_results.json is dbt's v6 schema: results are keyed by unique_id; a node's compiled path is in the manifest.
    const runResults = JSON.parse(await readFile(path.join(out, 'run_results.json'), 'utf8'));
    const failingId = [...project.nodes.values()].find((n) => n.name === 'order_amounts_not_negative')?.id;
    const failing = runResults.results.find((x: { unique_id: string }) => x.unique_id === failingId);
    expect(failing).toMatchObject({ status: 'fail', failures: 1 });
    expect(manifest.nodes[failingId as string]).toMatchObject({
      compiled_path: 'compiled/shop/models/marts/schema.yml/order_amounts_not_negative.sql',
    });
    expect(await readFile(path.join(out, manifest.nodes[failingId as string].compiled_path), 'utf8')).toContain(
      'where not (amount >= 0)',
    );

    const html = await readFile(path.join(out, 'docs/index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).not.toContain('<link');
    expect(html).toContain('"name":"dim_customers"');
    expect(html).toContain('"name":"lifetime_value"');
    expect(html).toContain('"status":"fail"');
    expect(html).toContain('\\u003c'); // embedded SQL cannot close the script tag
  });

  it('runs models only (dbt run), or tests only (dbt test)', async () => {
    await seedShop(warehouse);
    const { project } = await loadProject(fixture('shop'));
    const run = await runProject(project, warehouse, { target, runTests: 'none' });
    expect(run.results.every((r) => r.kind !== 'test')).toBe(true);
    expect(byName(run).order_amount_report?.status).toBe('success');
    const test = await runProject(project, warehouse, { target, runTests: 'only', select: ['fct_orders'] });
    expect(test.results.map((r) => [r.name, r.status])).toEqual([
      ['unique_fct_orders_order_id', 'pass'],
      ['not_null_fct_orders_order_id', 'pass'],
      ['is_positive_fct_orders_amount', 'warn'],
      ['relationships_fct_orders_customer_id__customer_id__ref_dim_customers_', 'warn'],
    ]);
  });

  it('never prints env_var values, not even inside a warehouse error', async () => {
    await writeProject(dir.path, {
      'sluice.yml': 'name: secrets\n',
      'models/leaky.sql': "select '{{ env_var('SLUICE_TEST_TOKEN') }}' as token from no_such_table",
    });
    const { project } = await loadProject(dir.path, { env: { SLUICE_TEST_TOKEN: 'tok-3f9a-secret' } });
    const events: string[] = [];
    const result = await runProject(project, warehouse, { target, onEvent: (e) => events.push(JSON.stringify(e)) });
    expect(result.results[0]).toMatchObject({
      status: 'error',
      compiledSql: "select '*****' as token from no_such_table",
    });
    expect(result.results[0]?.message).toContain('no_such_table');
    expect(JSON.stringify(result)).not.toContain('tok-3f9a');
    expect(events.join('\n')).not.toContain('tok-3f9a');
  });

  it('refuses a project with load errors, before running anything', async () => {
    const { project } = await loadProject(fixture('broken'), { env: {} });
    await expect(runProject(project, warehouse, { target })).rejects.toMatchObject({ code: 'PROJECT_HAS_ERRORS' });
  });
});

describe('runProject: scheduling', () => {
  it('runs at most `threads` nodes at once', async () => {
    const files: Record<string, string> = { 'sluice.yml': 'name: wide\n' };
    for (let i = 0; i < 8; i++) files[`models/m${i}.sql`] = `select ${i} as x, count(*) as n from range(20000)`;
    files['models/last.sql'] = Array.from({ length: 8 }, (_, i) => `select * from {{ ref('m${i}') }}`).join(
      '\nunion all\n',
    );
    await writeProject(dir.path, files);
    const { project } = await loadProject(dir.path);
    for (const threads of [1, 3]) {
      let running = 0;
      let peak = 0;
      const result = await runProject(project, warehouse, {
        target,
        threads,
        onEvent: (e) => {
          if (e.type === 'node-start') peak = Math.max(peak, ++running);
          if (e.type === 'node-finish' && e.result.startedAt !== undefined) running--;
        },
      });
      expect(result.status).toBe('success');
      expect(peak).toBe(threads);
      expect(byName(result).last?.status).toBe('success');
    }
  });

  it('cancels running statements and records them, and everything not started, as cancelled', async () => {
    await writeProject(dir.path, {
      'sluice.yml': 'name: slow\n',
      'models/quick.sql': 'select 1 as x',
      // Minutes of work: only cancelling ends it.
      'models/endless.sql':
        "{{ config(materialized='table') }}\nselect count(*) as n from range(1000000000000) as t where t.range % 7 = 3",
      'models/after_endless.sql': "select * from {{ ref('endless') }}",
    });
    const { project } = await loadProject(dir.path);
    const controller = new AbortController();
    // Cancel once `endless` has started and `quick` (beside it) has finished: events, not a delay.
    let endlessStarted = false;
    let quickFinished = false;
    const result = await runProject(project, warehouse, {
      target,
      threads: 2,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'node-start' && e.name === 'endless') endlessStarted = true;
        if (e.type === 'node-finish' && e.result.name === 'quick') quickFinished = true;
        if (endlessStarted && quickFinished && !controller.signal.aborted) controller.abort();
      },
    });
    const r = byName(result);
    expect(result.status).toBe('cancelled');
    expect(r.endless).toMatchObject({
      status: 'cancelled',
      message: 'cancelled: the run was cancelled while this node ran',
    });
    expect(r.after_endless).toMatchObject({
      status: 'cancelled',
      message: 'cancelled: not started, the run was cancelled',
    });
    expect(r.quick?.status).toBe('success');
  });
});

describe("runProject: dbt's skip rule for failing tests in build", () => {
  /*
   * orders ─┬─ by_order (orders only)
   *         └─ joined ── report          customers ── joined
   * A failing singular test that refs orders and customers gates what is built from both (joined, then report),
   * never by_order; a failing warn-severity test gates nothing.
   */
  const files = (singularSeverity: 'error' | 'warn') => ({
    'sluice.yml': 'name: gate\n',
    'models/orders.sql': 'select 1 as order_id, 10 as customer_id',
    'models/customers.sql': 'select 20 as customer_id',
    'models/by_order.sql': "select order_id from {{ ref('orders') }}",
    'models/joined.sql':
      "select o.order_id from {{ ref('orders') }} as o join {{ ref('customers') }} as c using (customer_id)",
    'models/report.sql': "select count(*) as n from {{ ref('joined') }}",
    'tests/every_order_has_a_customer.sql': [
      `{{ config(severity='${singularSeverity}') }}`,
      "select o.order_id from {{ ref('orders') }} as o",
      "left join {{ ref('customers') }} as c using (customer_id) where c.customer_id is null",
    ].join('\n'),
  });

  async function build(projectFiles: Record<string, string>, select?: string[]) {
    await writeProject(dir.path, projectFiles);
    const { project, errors } = await loadProject(dir.path);
    expect(errors).toEqual([]);
    const result = await runProject(project, warehouse, { target, threads: 2, ...(select ? { select } : {}) });
    return Object.fromEntries(result.results.map((r) => [r.name, [r.status, r.message]]));
  }

  it('skips what is downstream of every model a failing singular test refs, and only that', async () => {
    const r = await build(files('error'));
    expect(r).toEqual({
      orders: ['success', 'view created'],
      customers: ['success', 'view created'],
      by_order: ['success', 'view created'],
      every_order_has_a_customer: ['fail', expect.stringContaining('1 failing row')],
      joined: ['skipped', 'skipped: test every_order_has_a_customer failed'],
      report: ['skipped', 'skipped: model joined was skipped'],
    });
  });

  it('skips nothing for a warn-severity failure', async () => {
    const r = await build(files('warn'));
    expect(Object.values(r).filter(([status]) => status === 'skipped')).toEqual([]);
    expect(r.every_order_has_a_customer?.[0]).toBe('warn');
  });

  it('says a test that errored (its query failed) errored, not failed, in what it skips', async () => {
    const broken = files('error');
    broken['tests/every_order_has_a_customer.sql'] = "select no_such_column from {{ ref('orders') }}";
    const r = await build(broken);
    expect(r.every_order_has_a_customer?.[0]).toBe('error');
    expect(r.by_order).toEqual(['skipped', 'skipped: test every_order_has_a_customer errored']);
  });

  it('gates through a model the selection leaves out', async () => {
    // joined is not selected: report still waits for the test (dbt gates on the graph, not the selection).
    const r = await build(files('error'), ['orders', 'customers', 'report', 'every_order_has_a_customer']);
    expect(r.report).toEqual(['skipped', 'skipped: test every_order_has_a_customer failed']);
  });
});

describe('runProject: on-run-start / on-run-end from dbt_project.yml', () => {
  const project = (hooks: string) => ({
    'dbt_project.yml': ['name: hooked', "version: '1.0'", 'config-version: 2', hooks, ''].join('\n'),
    'models/a.sql': 'select 1 as id',
    'models/b.sql': "select id from {{ ref('a') }}",
    'models/schema.yml':
      'version: 2\nmodels:\n  - name: b\n    columns:\n      - name: id\n        data_tests: [unique]\n',
  });

  async function run(files: Record<string, string>): Promise<RunResult> {
    await writeProject(dir.path, files);
    const { project: loaded, errors } = await loadProject(dir.path);
    expect(errors).toEqual([]);
    return runProject(loaded, warehouse, { target, threads: 2 });
  }

  it("runs on-run-start before every node and on-run-end after, with dbt's results and schemas", async () => {
    const result = await run(
      project(
        [
          'on-run-start:',
          '  - "create table if not exists main.audit (event varchar, detail varchar)"',
          '  - "insert into main.audit values (\'start\', \'{{ target.name }}/{{ var(\\"who\\", \\"nobody\\") }}\')"',
          'on-run-end:',
          "  - \"insert into main.audit {% for r in results %}select '{{ r.node.resource_type }}', '{{ r.node.name }} {{ r.status }}' {% if not loop.last %}union all {% endif %}{% endfor %}\"",
          '  - "insert into main.audit values (\'schemas\', \'{{ schemas | join(\\",\\") }}\')"',
        ].join('\n'),
      ),
    );
    expect(result.status).toBe('success');
    expect(result.hooks?.map((h) => [h.id, h.status])).toEqual([
      ['operation.hooked.hooked-on-run-start-0', 'success'],
      ['operation.hooked.hooked-on-run-start-1', 'success'],
      ['operation.hooked.hooked-on-run-end-0', 'success'],
      ['operation.hooked.hooked-on-run-end-1', 'success'],
    ]);
    expect(await warehouse.query('select event, detail from main.audit order by event, detail')).toEqual([
      { event: 'model', detail: 'a success' },
      { event: 'model', detail: 'b success' },
      { event: 'schemas', detail: 'main' },
      { event: 'start', detail: 'dev/nobody' },
      { event: 'test', detail: 'unique_b_id pass' },
    ]);
  });

  it('skips every node when on-run-start fails, and still runs on-run-end', async () => {
    await warehouse.execute('create table main.ended (n integer)');
    const result = await run(
      project(
        [
          'on-run-start: "select * from main.no_such_table"',
          'on-run-end: "insert into main.ended select count(*) from main.ended"',
        ].join('\n'),
      ),
    );
    expect(result.status).toBe('error');
    expect(result.results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(result.results[0]?.message).toMatch(/^skipped: on-run-start statement 1 \(dbt_project\.yml:4\) failed: /);
    expect(result.hooks?.map((h) => h.status)).toEqual(['error', 'success']);
    expect(await warehouse.query('select n from main.ended')).toEqual([{ n: 0 }]);
  });
});

describe('runProject: store_failures and store_failures_as, as dbt has them', () => {
  it('stores in <target schema>_dbt_test__audit by default; store_failures_as view/ephemeral wins over store_failures', async () => {
    await writeProject(dir.path, {
      'dbt_project.yml': 'name: audited\n',
      'models/a.sql': 'select 1 as id union all select 1 union all select null',
      'models/schema.yml': `version: 2
models:
  - name: a
    columns:
      - name: id
        data_tests:
          - unique:
              config: { store_failures: true, severity: warn }
          - not_null:
              config: { store_failures_as: view, severity: warn }
          - accepted_values:
              values: [2]
              config: { store_failures: true, store_failures_as: ephemeral, severity: warn }
`,
    });
    const { project, errors } = await loadProject(dir.path);
    expect(errors).toEqual([]);
    const r = byName(await runProject(project, warehouse, { target, threads: 1 }));
    expect(r.unique_a_id?.storedIn).toEqual({ schema: 'main_dbt_test__audit', name: 'unique_a_id' });
    expect(r.not_null_a_id?.storedIn).toEqual({ schema: 'main_dbt_test__audit', name: 'not_null_a_id' });
    expect(r.accepted_values_a_id__2).toMatchObject({ status: 'warn', failures: 1 });
    expect(r.accepted_values_a_id__2?.storedIn).toBeUndefined();
    const kinds = await warehouse.query(
      "select table_name, table_type from information_schema.tables where table_schema = 'main_dbt_test__audit' order by table_name",
    );
    expect(kinds).toEqual([
      { table_name: 'not_null_a_id', table_type: 'VIEW' },
      { table_name: 'unique_a_id', table_type: 'BASE TABLE' },
    ]);
  });
});
