import { duckDbDialect } from '@sluice/duckdb';
import { snowflakeDialect } from '@sluice/snowflake';
import type { SqlDialect } from '@sluice/warehouse';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from './compile-project.js';
import { injectCtes } from './inject-ctes.js';
import { loadProject } from './load-project.js';
import type { Project } from './project.js';
import { fixture, tempDir, writeProject } from './test-support/temp-project.js';
import { writeArtifacts } from './write-artifacts.js';

const target = { name: 'dev', type: 'duckdb', schema: 'main' };

describe('compileProject on the shop fixture', () => {
  let project: Project;
  beforeAll(async () => {
    ({ project } = await loadProject(fixture('shop')));
  });

  it('renders refs and sources to relations, with dbt’s schema names', () => {
    const { nodes, errors } = compileProject(project, { target, dialect: duckDbDialect });
    expect(errors).toEqual([]);
    expect(nodes.get('model.shop.stg_customers')?.sql).toContain('from "raw"."customers"');
    expect(nodes.get('model.shop.stg_customers')?.relation).toEqual({ schema: 'main_staging', name: 'stg_customers' });
    expect(nodes.get('model.shop.stg_orders')?.sql).toContain(
      'cast((amount_cents) / 100.0 as DECIMAL(12,2)) as amount',
    );
    expect(nodes.get('snapshot.shop.orders_snapshot')?.relation).toEqual({
      schema: 'main_snapshots',
      name: 'orders_snapshot',
    });
    expect(nodes.get('model.shop.dim_customers')?.compiledPath).toBe('compiled/shop/models/marts/dim_customers.sql');
    expect(nodes.get('test.shop.unique_dim_customers_customer_id')?.compiledPath).toBe(
      'compiled/shop/models/marts/schema.yml/unique_dim_customers_customer_id.sql',
    );
  });

  it('inlines ephemeral models as CTEs', () => {
    const { nodes } = compileProject(project, { target, dialect: duckDbDialect });
    const sql = nodes.get('model.shop.dim_customers')?.sql ?? '';
    expect(sql.startsWith('with __sluice_cte__int_paid_orders as (')).toBe(true);
    expect(sql).toContain('left join __sluice_cte__int_paid_orders as o');
    expect(nodes.get('model.shop.int_paid_orders')?.relation).toBeUndefined();
  });

  it('renders is_incremental() branches only when asked', () => {
    const full = compileProject(project, { target, dialect: duckDbDialect, nodes: ['model.shop.fct_orders'] });
    expect(full.nodes.get('model.shop.fct_orders')?.sql).not.toContain('where updated_at');
    const incremental = compileProject(project, {
      target,
      dialect: duckDbDialect,
      isIncremental: () => true,
      nodes: ['model.shop.fct_orders'],
    });
    expect(incremental.nodes.get('model.shop.fct_orders')?.sql).toContain(
      'where updated_at > (select max(updated_at) from "main_marts"."fct_orders")',
    );
  });

  it('compiles generic tests, custom generic tests and singular tests', () => {
    const { nodes } = compileProject(project, { target, dialect: duckDbDialect });
    expect(nodes.get('test.shop.relationships_fct_orders_customer_id__customer_id__ref_dim_customers_')?.sql).toContain(
      'customer_id not in (select customer_id from "main_marts"."dim_customers" as parent',
    );
    expect(nodes.get('test.shop.is_positive_fct_orders_amount')?.sql).toBe(
      'select * from "main_marts"."fct_orders" where amount <= 0',
    );
    expect(nodes.get('test.shop.assert_no_future_orders')?.sql).toContain(
      "ordered_at > timestamp '2030-01-01 00:00:00'",
    );
  });
});

describe('templates', () => {
  let dir: { path: string; remove(): Promise<void> };
  let project: Project;
  beforeAll(async () => {
    dir = await tempDir();
    await writeProject(dir.path, {
      'sluice.yml': 'name: templates\nvars:\n  factor: 3\n',
      'macros/generate_schema_name.sql':
        '{% macro generate_schema_name(custom_schema_name, node) -%}\n{{ custom_schema_name if custom_schema_name else target.schema }}\n{%- endmacro %}\n',
      'models/eph.sql':
        "{{ config(materialized='ephemeral') }}\nwith inner_rows as (select 1 as d) select * from inner_rows",
      'models/dates.sql': [
        "{{ config(schema='analytics') }}",
        "with base as (select * from {{ ref('eph') }})",
        'select',
        "  {{ dateadd('day', 7, 'd') }} as next_week,",
        "  {{ datediff('d', 'e', 'month') }} as months,",
        "  {{ dbt.date_trunc('month', 'd') }} as m,",
        "  {{ safe_divide('a', 'b') }} as ratio,",
        "  {{ cast('x', 'decimal(10,2)') }} as money,",
        "  {{ safe_cast('y', 'int') }} as n,",
        "  {{ var('factor') }} * 2 as doubled,",
        "  '{{ env_var('SLUICE_COMPILE_SECRET') }}' as token,",
        "  '{{ target.name }}' as target_name",
        'from base',
      ].join('\n'),
      'models/late_failure.sql': [
        "{{ config(materialized='incremental') }}",
        'select 1 as x',
        '{% if is_incremental() %}',
        'where x > {{ no_such_name }}',
        '{% endif %}',
      ].join('\n'),
    });
    const loaded = await loadProject(dir.path, { env: { SLUICE_COMPILE_SECRET: 'hunter2-secret' } });
    expect(loaded.errors).toEqual([]);
    project = loaded.project;
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('uses the project’s generate_schema_name macro', () => {
    const { nodes } = compileProject(project, { target, dialect: duckDbDialect });
    expect(nodes.get('model.templates.dates')?.relation).toEqual({ schema: 'analytics', name: 'dates' });
    expect(nodes.get('model.templates.late_failure')?.relation).toEqual({ schema: 'main', name: 'late_failure' });
  });

  it('renders the cross-engine macros through the dialect, with DuckDB defaults', () => {
    const sql =
      compileProject(project, { target, dialect: duckDbDialect }).nodes.get('model.templates.dates')?.sql ?? '';
    expect(sql).toContain("(d + (7) * interval '1 day') as next_week");
    expect(sql).toContain("date_diff('month', d, e) as months");
    expect(sql).toContain("date_trunc('month', d) as m");
    expect(sql).toContain('(a) / nullif(b, 0) as ratio');
    expect(sql).toContain('cast(x as DECIMAL(10,2)) as money');
    expect(sql).toContain('try_cast(y as INTEGER) as n');
    expect(sql).toContain('3 * 2 as doubled');
    expect(sql).toContain("'dev' as target_name");
    // The ephemeral model joins the query's own WITH list.
    expect(
      sql.startsWith(
        'with __sluice_cte__eph as (\nwith inner_rows as (select 1 as d) select * from inner_rows\n),\nbase as',
      ),
    ).toBe(true);

    const snowflakeLike: SqlDialect = {
      ...duckDbDialect,
      dateAdd: (part, amount, expression) => `DATEADD(${part}, ${amount}, ${expression})`,
      dateDiff: (part, start, end) => `DATEDIFF(${part}, ${start}, ${end})`,
      typeName: (type) =>
        type.kind === 'decimal' ? `NUMBER(${type.precision},${type.scale})` : duckDbDialect.typeName(type),
    };
    const other =
      compileProject(project, { target, dialect: snowflakeLike }).nodes.get('model.templates.dates')?.sql ?? '';
    expect(other).toContain('DATEADD(day, 7, d) as next_week');
    expect(other).toContain('DATEDIFF(month, d, e) as months');
    expect(other).toContain('cast(x as NUMBER(10,2)) as money');
  });

  it('returns render errors that only show at run time with their file and line', () => {
    const { errors, nodes } = compileProject(project, { target, dialect: duckDbDialect, isIncremental: () => true });
    expect(nodes.has('model.templates.late_failure')).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'models/late_failure.sql', line: 4 });
    expect(errors[0]?.message).toContain('undefined');
  });

  it('keeps env_var values out of the artifacts', async () => {
    const compiled = compileProject(project, { target, dialect: duckDbDialect });
    expect(compiled.nodes.get('model.templates.dates')?.sql).toContain("'hunter2-secret' as token");
    const out = path.join(dir.path, 'target');
    await writeArtifacts(out, { project, compiled, target });
    const written = await readFile(path.join(out, 'compiled/templates/models/dates.sql'), 'utf8');
    expect(written).toContain("'*****' as token");
    expect(written).not.toContain('hunter2');
    expect(await readFile(path.join(out, 'docs/index.html'), 'utf8')).not.toContain('hunter2');
    expect(await readFile(path.join(out, 'manifest.json'), 'utf8')).not.toContain('hunter2');
  });
});

describe('names that need quoting', () => {
  let dir: { path: string; remove(): Promise<void> };
  let project: Project;
  beforeAll(async () => {
    dir = await tempDir();
    await writeProject(dir.path, {
      'sluice.yml': 'name: odd\nmodels:\n  +materialized: view\n',
      'models/sources.yml': [
        'version: 2',
        'sources:',
        '  - name: app',
        '    schema: raw',
        '    tables:',
        '      - name: "Order Items"',
        '        columns:',
        '          - name: order',
        '            quote: true',
        '            data_tests: [not_null]',
        '          - name: "Item ID"',
        '            quote: true',
        '            data_tests: [unique]',
        '',
      ].join('\n'),
      'models/stg_order_items.sql': `select {{ adapter.quote('order') }}, "Item ID", {{ adapter.quote('Preço "x"') }}\nfrom {{ source('app', 'Order Items') }}\n`,
    });
    ({ project } = await loadProject(dir.path));
  });
  afterAll(() => dir.remove());

  it("adapter.quote and a column's quote: true spell a name as the target stores it", () => {
    const duck = compileProject(project, { target, dialect: duckDbDialect });
    expect(duck.errors).toEqual([]);
    expect(duck.nodes.get('model.odd.stg_order_items')?.sql).toBe(
      'select "order", "Item ID", "Preço ""x"""\nfrom "raw"."Order Items"',
    );
    const snow = compileProject(project, { target: { ...target, type: 'snowflake' }, dialect: snowflakeDialect });
    expect(snow.nodes.get('model.odd.stg_order_items')?.sql).toBe(
      'select "ORDER", "Item ID", "Preço ""x"""\nfrom "RAW"."Order Items"',
    );
    const tests = (compiled: typeof duck) =>
      [...compiled.nodes.entries()]
        .filter(([id]) => id.startsWith('test.odd.'))
        .map(([, node]) => node.sql)
        .join('\n');
    expect(tests(duck)).toMatch(/where "order" is null/);
    expect(tests(snow)).toMatch(/where "ORDER" is null/);
    expect(tests(snow)).toContain('"Item ID"');
  });

  it('a template syntax error is one problem, not also "no model file of that name"', async () => {
    await writeProject(dir.path, {
      'models/broken.sql': 'select {{ ref("stg_order_items") }\n',
      'models/broken.yml': 'version: 2\nmodels:\n  - name: broken\n    description: fails to parse\n',
    });
    const { errors } = await loadProject(dir.path);
    expect(errors.map((error) => error.code)).toEqual(['TEMPLATE_ERROR']);
  });
});

describe('injectCtes', () => {
  it('prefixes a query, or joins an existing WITH list after comments', () => {
    const ctes = [{ name: 'a', sql: 'select 1 as x;' }];
    expect(injectCtes('select * from __sluice_cte__a', ctes)).toBe(
      'with __sluice_cte__a as (\nselect 1 as x\n)\nselect * from __sluice_cte__a',
    );
    expect(injectCtes('-- note\n/* more */ WITH b as (select 2) select 1', ctes)).toBe(
      '-- note\n/* more */ WITH __sluice_cte__a as (\nselect 1 as x\n),\nb as (select 2) select 1',
    );
    expect(injectCtes('with recursive r as (select 1) select 1', ctes)).toBe(
      'with recursive __sluice_cte__a as (\nselect 1 as x\n),\nr as (select 1) select 1',
    );
    expect(injectCtes('select 1', [])).toBe('select 1');
  });
});
