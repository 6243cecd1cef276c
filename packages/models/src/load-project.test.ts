import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from './load-project.js';
import { formatIssue, type ProjectIssue } from './project-issue.js';
import type { ModelNode, TestNode } from './project.js';
import { fixture, tempDir, writeProject } from './test-support/temp-project.js';

function find(errors: readonly ProjectIssue[], code: ProjectIssue['code'], text: string): ProjectIssue {
  const found = errors.find((e) => e.code === code && e.message.includes(text));
  if (!found) throw new Error(`no ${code} issue mentioning ${text}; got:\n${errors.map(formatIssue).join('\n')}`);
  return found;
}

describe('loadProject on the shop fixture', () => {
  it('loads every node with no errors', async () => {
    const { project, errors } = await loadProject(fixture('shop'));
    expect(errors.map(formatIssue)).toEqual([]);
    const kinds: Record<string, number> = {};
    for (const n of project.nodes.values()) kinds[n.kind] = (kinds[n.kind] ?? 0) + 1;
    expect(kinds).toEqual({ source: 2, model: 9, snapshot: 1, test: 12 });
  });

  it('resolves config from folders, property files and config(), in that order', async () => {
    const { project } = await loadProject(fixture('shop'));
    const model = (name: string) => project.nodes.get(`model.shop.${name}`) as ModelNode;
    expect(model('stg_orders').materialized).toBe('view');
    expect(model('stg_orders').config.schema).toBe('staging');
    expect(model('dim_customers').materialized).toBe('table');
    expect(model('int_paid_orders').materialized).toBe('ephemeral');
    expect(model('fct_orders').materialized).toBe('incremental');
    expect(model('fct_orders').config.unique_key).toEqual(['order_id']);
    // tags add up: the project's, then the leaf entry for fct_orders
    expect(model('fct_orders').tags).toEqual(['shop', 'daily']);
    expect(model('dim_customers').description).toContain('One row per customer');
    expect(model('dim_customers').columns.map((c) => c.name)).toEqual(['customer_id', 'customer_name']);
  });

  it('finds dependencies, including refs inside is_incremental() branches and test arguments', async () => {
    const { project } = await loadProject(fixture('shop'));
    expect(project.nodes.get('model.shop.dim_customers')?.dependsOn).toEqual([
      'model.shop.stg_customers',
      'model.shop.int_paid_orders',
    ]);
    const relationships = project.nodes.get(
      'test.shop.relationships_fct_orders_customer_id__customer_id__ref_dim_customers_',
    ) as TestNode;
    expect(relationships.dependsOn).toEqual(['model.shop.fct_orders', 'model.shop.dim_customers']);
    expect(relationships.attachedTo).toBe('model.shop.fct_orders');
    expect(relationships.config).toMatchObject({ warn_if: '>0', error_if: '>5', store_failures: true });
    const custom = project.nodes.get('test.shop.is_positive_fct_orders_amount') as TestNode;
    expect(custom).toMatchObject({ builtin: false, testName: 'is_positive', config: { severity: 'warn' } });
    expect(project.nodes.get('test.shop.order_amounts_not_negative')).toBeDefined();
    expect(project.children.get('model.shop.stg_orders')).toContain('snapshot.shop.orders_snapshot');
  });
});

describe('loadProject collects every error before anything runs', () => {
  it('reports each mistake of the broken fixture with its file, line and the closest names', async () => {
    const { errors } = await loadProject(fixture('broken'), { env: {} });

    expect(find(errors, 'UNKNOWN_KEY', '"modles"')).toMatchObject({
      file: 'sluice.yml',
      line: 4,
      suggestions: ['models'],
    });
    expect(find(errors, 'UNKNOWN_KEY', '"+materialzed"')).toMatchObject({
      file: 'sluice.yml',
      line: 9,
      suggestions: ['+materialized'],
    });
    expect(find(errors, 'INVALID_VALUE', 'tabel')).toMatchObject({ file: 'sluice.yml', line: 13 });
    expect(find(errors, 'UNKNOWN_FOLDER', 'stagng')).toMatchObject({
      file: 'sluice.yml',
      line: 10,
      suggestions: ['staging'],
    });

    expect(find(errors, 'UNKNOWN_REF', "ref('stg_ordrs')")).toMatchObject({
      file: 'models/marts/orders_by_day.sql',
      line: 3,
      suggestions: ['stg_orders'],
    });
    expect(find(errors, 'UNKNOWN_SOURCE', "source('raw', 'custmers')")).toMatchObject({
      file: 'models/staging/stg_customers.sql',
      line: 3,
      suggestions: ['raw.customers'],
    });
    expect(find(errors, 'UNKNOWN_KEY', '"materialised"')).toMatchObject({
      file: 'models/marts/orders_by_day.sql',
      line: 1,
      suggestions: ['materialized'],
    });
    expect(find(errors, 'UNKNOWN_VAR', 'min_amount')).toMatchObject({
      file: 'models/marts/orders_by_day.sql',
      line: 4,
    });
    expect(find(errors, 'MISSING_ENV_VAR', 'SLUICE_TEST_SURELY_UNSET_VARIABLE')).toMatchObject({
      file: 'models/marts/secrets.sql',
      line: 1,
    });
    expect(find(errors, 'TEMPLATE_ERROR', 'unexpected token')).toMatchObject({
      file: 'models/marts/bad_syntax.sql',
      line: 2,
    });

    const cycle = find(errors, 'CYCLE', 'circle');
    expect(cycle.cycle).toEqual(['cycle_a', 'cycle_b', 'cycle_c', 'cycle_a']);
    expect(cycle.message).toContain('cycle_a → cycle_b → cycle_c → cycle_a');

    expect(find(errors, 'UNKNOWN_KEY', '"colums"')).toMatchObject({
      file: 'models/marts/schema.yml',
      line: 4,
      suggestions: ['columns'],
    });
    expect(find(errors, 'INVALID_TEST', '"not_nul"')).toMatchObject({
      file: 'models/marts/schema.yml',
      line: 10,
      suggestions: ['not_null'],
    });
    expect(find(errors, 'INVALID_TEST', 'needs the argument "values"')).toMatchObject({ line: 11 });
    expect(find(errors, 'UNKNOWN_NODE', 'dim_custmers')).toMatchObject({ file: 'models/marts/schema.yml', line: 13 });
    expect(errors).toHaveLength(15);
  });

  it('refuses a folder without a project file', async () => {
    const dir = await tempDir();
    try {
      const { errors } = await loadProject(dir.path);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'NO_PROJECT_FILE' });
    } finally {
      await dir.remove();
    }
  });

  it('reports two models with one name, a ref to a disabled model and an invalid snapshot', async () => {
    const dir = await tempDir();
    try {
      await writeProject(dir.path, {
        'sluice.yml': 'name: dupes\n',
        'models/a/same.sql': 'select 1 as x',
        'models/b/same.sql': 'select 2 as x',
        'models/off.sql': '{{ config(enabled=false) }}\nselect 1 as x',
        'models/reader.sql': "select * from {{ ref('off') }}",
        'snapshots/s.sql': "{% snapshot s %}\n{{ config(unique_key='x') }}\nselect 1 as x\n{% endsnapshot %}",
      });
      const { errors, project } = await loadProject(dir.path);
      expect(find(errors, 'DUPLICATE_NAME', 'named same').message).toContain('models/a/same.sql and models/b/same.sql');
      expect(find(errors, 'DISABLED_REF', "ref('off')")).toMatchObject({ file: 'models/reader.sql', line: 1 });
      expect(find(errors, 'INVALID_VALUE', 'snapshot s needs config strategy')).toMatchObject({
        file: 'snapshots/s.sql',
        line: 1,
      });
      expect(project.nodes.has('model.dupes.off')).toBe(false);
    } finally {
      await dir.remove();
    }
  });
});

describe('template mistakes', () => {
  it('names the closest function for a misspelled call, and explains a bad macro argument', async () => {
    const dir = await tempDir();
    try {
      await writeProject(dir.path, {
        'sluice.yml': 'name: typos\n',
        'models/a.sql': 'select 1 as x',
        'models/b.sql': "select *\nfrom {{ reff('a') }}",
        'models/c.sql': "{% set n = 1 %}\nselect {{ dateadd('dayz', n, 'x') }} as d",
      });
      const { errors } = await loadProject(dir.path);
      expect(find(errors, 'TEMPLATE_ERROR', 'reff() is not a function')).toMatchObject({
        file: 'models/b.sql',
        line: 2,
        message: expect.stringContaining("Did you mean 'ref'?"),
      });
      expect(find(errors, 'TEMPLATE_ERROR', '"dayz" is not a date part')).toMatchObject({
        file: 'models/c.sql',
        line: 2,
      });
    } finally {
      await dir.remove();
    }
  });
});

describe('loadProject with a dbt project', () => {
  const dirs: Array<{ remove(): Promise<void> }> = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await d.remove();
  });

  it('reads dbt_project.yml: project-scoped folder configs, tests:, vars, and ignores dbt-only keys', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    await writeProject(dir.path, {
      'dbt_project.yml': [
        'name: legacy',
        "version: '1.0.0'",
        'config-version: 2',
        'profile: legacy',
        'on-run-start: ["select 1"]',
        'quoting: { identifier: false }',
        'vars:',
        '  legacy:',
        '    country: BR',
        'models:',
        '  legacy:',
        '    marts:',
        '      +materialized: table',
        'tests:',
        '  +severity: warn',
        '',
      ].join('\n'),
      'models/marts/customers.sql': "select 1 as id, '{{ var('country') }}' as country",
      'models/marts/schema.yml':
        'version: 2\nmodels:\n  - name: customers\n    columns:\n      - name: id\n        tests: [unique]\n',
    });
    const { project, errors, warnings } = await loadProject(dir.path);
    expect(errors.map(formatIssue)).toEqual([]);
    expect(warnings.map((w) => w.message).join('\n')).toContain('"quoting" in dbt_project.yml is not supported yet');
    expect(project.runHooks).toEqual([
      { event: 'on-run-start', index: 0, sql: 'select 1', file: 'dbt_project.yml', line: 5 },
    ]);
    expect((project.nodes.get('model.legacy.customers') as ModelNode).materialized).toBe('table');
    expect((project.nodes.get('test.legacy.unique_customers_id') as TestNode).config.severity).toBe('warn');
    expect(project.vars).toEqual({ country: 'BR' });
  });
});
