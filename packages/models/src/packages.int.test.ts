import { createDuckDbWarehouse } from '@sluice/duckdb';
import type { Row, Warehouse } from '@sluice/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject, compileProjectWithWarehouse } from './compile-project.js';
import { loadProject } from './load-project.js';
import type { Project } from './project.js';
import { runProject, type NodeResult } from './run-project.js';
import { startEmulatedSnowflake } from './test-support/snowflake-emulator.js';
import { fixture, tempDir, writeProject } from './test-support/temp-project.js';

/*
 * The `packages` fixture: a dbt project with a package installed in dbt_packages/ (`toolkit`) and a `local:` one
 * (`helpers`), built on DuckDB and on Snowflake (through the emulator). What dbt packages rely on must work the same
 * on both: namespaces, adapter.dispatch (root project first, then `<adapter>__`, then `default__`), run_query,
 * statement/load_result, caller(), return(), a package's vars, models and generic tests.
 */

async function build(project: Project, warehouse: Warehouse, target: { type: string; schema: string }) {
  const result = await runProject(project, warehouse, { target: { name: 'test', ...target }, threads: 2 });
  return Object.fromEntries(result.results.map((r) => [r.name, r])) as Record<string, NodeResult>;
}

function lower(rows: readonly Row[]): Row[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v])));
}

describe('packages: loading', () => {
  it('loads installed and local packages, their models and tests, with dbt ids', async () => {
    const { project, errors, warnings } = await loadProject(fixture('packages'), { target: { type: 'duckdb' } });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(project.packages).toEqual([
      { name: 'helpers', root: 'local_packages/helpers', origin: 'local' },
      { name: 'toolkit', root: 'dbt_packages/toolkit', origin: 'installed' },
    ]);
    const model = project.nodes.get('model.toolkit.toolkit_days');
    expect(model).toMatchObject({ kind: 'model', fqn: ['toolkit', 'toolkit_days'], materialized: 'view' });
    expect(project.nodes.get('model.orders_app.calendar_use')?.dependsOn).toEqual(['model.toolkit.toolkit_days']);
    expect(project.nodes.get('test.orders_app.toolkit_positive_orders_amount')).toMatchObject({
      testName: 'positive',
      testPackage: 'toolkit',
    });
    // A test declared in the package's own YAML finds the package's test unqualified.
    expect(project.nodes.get('test.toolkit.positive_toolkit_days_day_number')).toMatchObject({
      testPackage: 'toolkit',
    });
    // The test macro's own config() is read at parse time, under the YAML's.
    expect(project.nodes.get('test.orders_app.amount_over_fifty')).toMatchObject({
      config: { fail_calc: 'coalesce(sum(over_by), 0)', severity: 'warn' },
    });
  });

  it('reads dispatch: and local packages from sluice.yml projects too', async () => {
    const dir = await tempDir();
    try {
      await writeProject(dir.path, {
        'sluice.yml': ['name: app', 'dispatch:', '  - macro_namespace: kit', "    search_order: ['kit', 'app']"].join(
          '\n',
        ),
        'packages.yml': 'packages:\n  - local: kit\n',
        'kit/dbt_project.yml': 'name: kit\n',
        'kit/macros/kit.sql': "{% macro default__who() %}'kit'{% endmacro %}",
        'macros/who.sql': "{% macro default__who() %}'app'{% endmacro %}",
        'models/a.sql': "select {{ adapter.dispatch('who', 'kit')() }} as who",
      });
      const { project, errors } = await loadProject(dir.path, { target: { type: 'duckdb' } });
      expect(errors).toEqual([]);
      const compiled = compileProject(project, {
        target: { name: 't', type: 'duckdb', schema: 'main' },
        dialect: (await import('@sluice/duckdb')).duckDbDialect,
      });
      // The configured order puts the package before the project.
      expect(compiled.nodes.get('model.app.a')?.sql).toBe("select 'kit' as who");
    } finally {
      await dir.remove();
    }
  });

  it('says what to do when a package is declared but not installed, or a local one is missing', async () => {
    const dir = await tempDir();
    try {
      await writeProject(dir.path, {
        'dbt_project.yml': 'name: app\n',
        'packages.yml': [
          'packages:',
          '  - package: dbt-labs/dbt_utils',
          '    version: 1.3.0',
          '  - local: ../nowhere',
          'projects:',
          '  - name: upstream',
        ].join('\n'),
        'models/a.sql': 'select 1 as x',
      });
      const { errors, warnings } = await loadProject(dir.path);
      expect(errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            file: 'packages.yml',
            line: 2,
            message: expect.stringMatching(/dbt-labs\/dbt_utils .*not installed in dbt_packages\/: run `dbt deps`/),
          }),
          expect.objectContaining({
            file: 'packages.yml',
            line: 4,
            message: expect.stringContaining('has no dbt_project.yml'),
          }),
        ]),
      );
      expect(warnings).toEqual([
        expect.objectContaining({
          code: 'UNSUPPORTED',
          file: 'packages.yml',
          line: 5,
          message: expect.stringContaining('projects:'),
        }),
      ]);
    } finally {
      await dir.remove();
    }
  });

  it('names the package, file and line of a macro that fails, and what dispatch searched', async () => {
    const dir = await tempDir();
    try {
      await writeProject(dir.path, {
        'dbt_project.yml': 'name: app\n',
        'dbt_packages/kit/dbt_project.yml': 'name: kit\n',
        'dbt_packages/kit/macros/kit.sql': [
          '{% macro broken(x) %}',
          "{{ exceptions.raise_compiler_error('kit says no to ' ~ x) }}",
          '{% endmacro %}',
          "{% materialization fancy, default %}{{ return({'relations': []}) }}{% endmaterialization %}",
        ].join('\n'),
        'models/a.sql': "select 1 as x\n{% if execute %}{{ kit.broken('a') }}{% endif %}",
        'models/b.sql': "select {{ adapter.dispatch('nothing_here', 'kit')() }}",
      });
      const { project, errors, warnings } = await loadProject(dir.path, { target: { type: 'duckdb' } });
      expect(warnings).toEqual([
        expect.objectContaining({
          code: 'UNSUPPORTED',
          file: 'dbt_packages/kit/macros/kit.sql',
          line: 4,
          message: expect.stringContaining('custom materialization fancy'),
        }),
      ]);
      expect(errors).toEqual([
        expect.objectContaining({
          file: 'models/b.sql',
          message: expect.stringContaining("no macro named 'nothing_here' found within namespace 'kit'"),
        }),
      ]);
      const compiled = compileProject(project, {
        target: { name: 't', type: 'duckdb', schema: 'main' },
        dialect: (await import('@sluice/duckdb')).duckDbDialect,
        nodes: ['model.app.a'],
      });
      expect(compiled.errors).toEqual([
        expect.objectContaining({
          file: 'models/a.sql',
          message: expect.stringContaining('kit says no to a (in dbt_packages/kit/macros/kit.sql:2)'),
        }),
      ]);
    } finally {
      await dir.remove();
    }
  });
});

describe('packages: compile', () => {
  it('needs the warehouse for what templates ask it, and asks it through compileProjectWithWarehouse', async () => {
    const { project } = await loadProject(fixture('packages'), { target: { type: 'duckdb' } });
    const target = { name: 'test', type: 'duckdb', schema: 'main' };
    const warehouse = await createDuckDbWarehouse({ path: ':memory:' });
    try {
      const pure = compileProject(project, { target, dialect: warehouse.dialect });
      expect(pure.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            file: 'models/order_keys.sql',
            message: expect.stringContaining('needs the warehouse'),
          }),
        ]),
      );
      await warehouse.execute(
        "create table main.orders as select 1 as order_id, 10 as customer_id, 'placed' as status, 1.5 as amount",
      );
      const live = await compileProjectWithWarehouse(project, warehouse, { target, dialect: warehouse.dialect });
      expect(live.errors).toEqual([]);
      expect(live.nodes.get('model.orders_app.order_keys')?.sql).toContain('"order_id", "customer_id", "status"');
      expect(live.nodes.get('model.orders_app.status_counts')?.sql).toContain('1 as all_orders');
    } finally {
      await warehouse.close();
    }
  });
});

describe.each([
  ['duckdb', 'main'],
  ['snowflake', 'marts'],
] as const)('packages: a build on %s', (engine, schema) => {
  let warehouse: Warehouse;
  let dispose: () => Promise<void>;
  let results: Record<string, NodeResult>;

  beforeAll(async () => {
    if (engine === 'snowflake') {
      const snowflake = await startEmulatedSnowflake();
      warehouse = snowflake.warehouse;
      dispose = () => snowflake.dispose();
    } else {
      const duckdb = await createDuckDbWarehouse({ path: ':memory:' });
      warehouse = duckdb;
      dispose = () => duckdb.close();
    }
    const { project, errors } = await loadProject(fixture('packages'), { target: { type: engine, schema } });
    expect(errors).toEqual([]);
    results = await build(project, warehouse, { type: engine, schema });
  }, 180_000);
  afterAll(async () => {
    await dispose?.();
  });

  it('builds every model and passes every test, the package model and tests included', () => {
    const statuses = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.status]));
    expect(statuses).toEqual({
      orders: 'success',
      order_keys: 'success',
      status_counts: 'success',
      calendar_use: 'success',
      context: 'success',
      toolkit_days: 'success',
      toolkit_positive_orders_amount: 'pass',
      toolkit_at_most_orders_amount__100: 'pass',
      amount_over_fifty: 'warn',
      toolkit_at_most_order_keys_length_order_key___32: 'pass',
      positive_toolkit_days_day_number: 'pass',
      not_null_toolkit_days_day_number: 'pass',
    });
    // fail_calc from the test macro's config(): the amount over the limit, not the number of rows.
    expect(Number(results.amount_over_fifty?.failures)).toBe(50.5);
  });

  it('dispatches to the root override, the engine and the package default', async () => {
    const rows = lower(await warehouse.query(`select * from ${schema}.order_keys order by order_id`));
    expect(rows[0]).toMatchObject({ status_label: 'root:placed', status_upper: 'PLACED', engine });
    // Columns read from the warehouse at compile time, amount left out.
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'order_key',
      'status_label',
      'status_upper',
      'engine',
      'order_id',
      'customer_id',
      'status',
    ]);
    expect(new Set(rows.map((r) => r.order_key)).size).toBe(4);
    expect(String(rows[0]?.order_key)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('runs queries and statements at compile time, and call blocks', async () => {
    const [counts] = lower(await warehouse.query(`select * from ${schema}.status_counts`));
    expect(counts).toMatchObject({ all_orders: 4, executed: 'True' });
    expect(Number(counts?.placed_orders)).toBe(2);
    expect(Number(counts?.returned_orders)).toBe(1);
    expect(Number(counts?.shipped_orders)).toBe(1);
    expect(results.status_counts?.compiledSql).toContain('/* one column per status */');
  });

  it("refs a package's model, which sees the package's vars under the root project's", async () => {
    const days = lower(await warehouse.query(`select * from ${schema}.calendar_use order by day_number`));
    expect(days.map((d) => Number(d.day_number))).toEqual([1, 2, 3]);
    const [first] = lower(await warehouse.query(`select label_prefix from ${schema}.toolkit_days limit 1`));
    expect(first?.label_prefix).toBe('app');
  });

  it('gives templates graph, flags and modules', async () => {
    const [context] = lower(await warehouse.query(`select * from ${schema}.context`));
    expect(context).toMatchObject({ command: 'build', next_day: '2024-02-29', slug: '_rder_eys_' });
    expect(Number(context?.model_count)).toBe(6);
  });
});
