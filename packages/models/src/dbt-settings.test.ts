import { describe, expect, it } from 'vitest';
import { renderConfigTemplate } from './config-template.js';
import { loadProject } from './load-project.js';
import { formatIssue } from './project-issue.js';
import { tempDir, writeProject } from './test-support/temp-project.js';

/** Load a project made of `files` in a temporary folder; its errors and warnings as lines. */
async function load(files: Record<string, string>, options: Parameters<typeof loadProject>[1] = {}) {
  const dir = await tempDir('sluice-dbt-settings-');
  try {
    await writeProject(dir.path, files);
    const result = await loadProject(dir.path, options);
    return {
      project: result.project,
      errors: result.errors.map(formatIssue),
      warnings: result.warnings.map(formatIssue),
    };
  } finally {
    await dir.remove();
  }
}

const DBT = `name: shop
profile: shop
model-paths: ["models"]
models:
  shop:
    marts:
      +materialized: table
vars:
  region: eu
`;

describe('dbt_project.yml and sluice.yml side by side', () => {
  it('reads the dbt project’s settings when sluice.yml holds only ingestion (the models: <project>: block applies)', async () => {
    const { project, errors } = await load({
      'dbt_project.yml': DBT,
      'sluice.yml': 'source: { url: postgres://x }\ntables: { orders: { strategy: full } }\nraw_schema: landing\n',
      'models/marts/orders.sql': 'select 1 as id',
    });
    expect(errors).toEqual([]);
    expect(project.name).toBe('shop');
    expect(project.configFile).toBe('dbt_project.yml');
    expect(project.nodes.get('model.shop.orders')).toMatchObject({ materialized: 'table' });
    expect(project.vars).toEqual({ region: 'eu', raw_schema: 'landing' });
  });

  it('takes a setting from whichever file has it, and merges vars by name', async () => {
    const { project, errors } = await load({
      'dbt_project.yml': 'name: shop\nprofile: shop\n',
      'sluice.yml': 'model-paths: [transform]\nvars: { limit: 5 }\nmodels: { +tags: [nightly] }\n',
      'transform/a.sql': 'select 1 as id',
    });
    expect(errors).toEqual([]);
    expect(project.nodes.get('model.shop.a')?.tags).toEqual(['nightly']);
    expect(project.vars).toMatchObject({ limit: 5 });
  });

  it('a setting written differently in both files is an error naming both files, keys and lines', async () => {
    const { errors } = await load({
      'dbt_project.yml': DBT,
      'sluice.yml': 'name: store\nmodel-paths: [transform]\nvars:\n  region: us\nmodels:\n  +materialized: view\n',
      'models/marts/a.sql': 'select 1 as id',
    });
    expect(errors).toEqual([
      'sluice.yml:1: "name" is "shop" in dbt_project.yml:1 but "store" in sluice.yml:1: remove it from sluice.yml (the dbt project\'s value is the model project\'s) or make them equal.',
      'sluice.yml:2: "model-paths" is ["models"] in dbt_project.yml:3 but ["transform"] in sluice.yml:2: remove it from sluice.yml (the dbt project\'s value is the model project\'s) or make them equal.',
      'sluice.yml:5: "models:" is written in both dbt_project.yml:4 and sluice.yml:5: a folder-config tree lives in one file. Move its entries into dbt_project.yml (the model project\'s settings) and remove it from sluice.yml.',
      'sluice.yml:4: var "region" is "eu" in dbt_project.yml:9 but "us" in sluice.yml:4: keep it in one file (remove it from sluice.yml, or make them equal).',
    ]);
  });

  it('accepts model-paths, test-paths and seed-paths in sluice.yml alone (no longer unknown keys)', async () => {
    const { project, errors } = await load({
      'sluice.yml': 'name: shop\nmodel-paths: [sql]\ntest-paths: [checks]\nseed-paths: [data]\n',
      'sql/a.sql': "select * from {{ ref('codes') }}",
      'checks/no_rows.sql': "select * from {{ ref('a') }} where false",
      'data/codes.csv': 'code\nA\n',
    });
    expect(errors).toEqual([]);
    expect([...project.nodes.keys()].sort()).toEqual(['model.shop.a', 'seed.shop.codes', 'test.shop.no_rows']);
  });

  it('renders {{ env_var() }} and {{ var() }} in dbt_project.yml, and says where one cannot be rendered', async () => {
    const files = {
      'dbt_project.yml': `name: shop
models:
  shop:
    +schema: "{{ env_var('SHOP_SCHEMA', 'fallback') }}"
    +enabled: "{{ var('with_models', true) }}"
seeds:
  shop:
    +schema: "{{ target.name }}"
`,
      'models/a.sql': 'select 1 as id',
    };
    const { errors } = await load(files, { env: { SHOP_SCHEMA: 'sales' } });
    expect(errors).toEqual([
      "dbt_project.yml:8: seeds.shop.+schema: \"target.name\": only env_var('NAME'[, default]), var('name'[, default]) and literals are supported in configuration values.",
    ]);
    const fine = await load(
      { ...files, 'dbt_project.yml': files['dbt_project.yml'].split('seeds:')[0] as string },
      {
        env: { SHOP_SCHEMA: 'sales' },
      },
    );
    expect(fine.project.nodes.get('model.shop.a')).toMatchObject({ config: { schema: 'sales' } });
    const off = await load(
      { ...files, 'dbt_project.yml': files['dbt_project.yml'].split('seeds:')[0] as string },
      { vars: { with_models: false } },
    );
    expect(off.project.nodes.has('model.shop.a')).toBe(false);
  });

  it('dbt_project.yml keys Sluice does not support are warnings with their line; dbt-only keys are accepted', async () => {
    const { warnings, errors } = await load({
      'dbt_project.yml':
        'name: shop\nconfig-version: 2\nrequire-dbt-version: ">=1.5"\ndbt-cloud: { project-id: 1 }\nquoting: { identifier: false }\n',
      'models/a.sql': 'select 1 as id',
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual(['dbt_project.yml:5: "quoting" in dbt_project.yml is not supported yet; it is ignored.']);
  });

  it('keys Sluice honours (on-run-start/-end, profile, packages-install-path, tests, clean-targets) are not warned about', async () => {
    const { warnings, errors, project } = await load({
      'dbt_project.yml': `name: shop
profile: shop
packages-install-path: dbt_packages
clean-targets: [target, dbt_packages]
on-run-start: "create schema if not exists audit"
on-run-end:
  - "select 1"
tests:
  +severity: warn
on-run-strat: "select 2"
`,
      'models/a.sql': 'select 1 as id',
    });
    expect(errors).toEqual([]);
    expect((project.runHooks ?? []).map((h) => h.event)).toEqual(['on-run-start', 'on-run-end']);
    expect(warnings).toEqual([
      'dbt_project.yml:10: "on-run-strat" in dbt_project.yml is not a key Sluice knows; it is ignored. Did you mean \'on-run-start\'?',
    ]);
  });
});

describe('docs blocks', () => {
  it('dbt-snowflake configs Sluice does not honour yet are warnings with their line, not unknown keys', async () => {
    const { errors, warnings } = await load({
      'dbt_project.yml': 'name: shop\nmodels:\n  shop:\n    +table_format: iceberg\n',
      'models/a.sql': "{{ config(materialized='view', secure=true) }}\nselect 1 as id",
      'models/b.sql': "{{ config(materialized='table', automatic_clustering=true, transient=false) }}\nselect 1 as id",
    });
    expect(errors).toEqual([]);
    expect(warnings.filter((w) => /secure|automatic_clustering|table_format/.test(w))).toHaveLength(3);
    expect(warnings.every((w) => !/transient/.test(w))).toBe(true);
  });

  it('renders doc() in descriptions; an unknown block is an error at the description’s line, a duplicate one too', async () => {
    const { project, errors } = await load({
      'sluice.yml': 'name: shop\n',
      'models/a.sql': 'select 1 as id',
      'models/docs.md': '{% docs orders %}\nThe orders.\n{% enddocs %}\n\n{%- docs ids -%}Row ids.{%- enddocs -%}\n',
      'models/more.md': '{% docs ids %}again{% enddocs %}\n',
      'models/schema.yml':
        'version: 2\nmodels:\n  - name: a\n    description: "{{ doc(\'orders\') }} More."\n    columns:\n      - name: id\n        description: \'{{ doc("idz") }}\'\n',
    });
    expect(project.nodes.get('model.shop.a')?.description).toBe('The orders. More.');
    expect(errors).toEqual([
      'models/more.md:1: the docs block ids is defined twice: here and in models/docs.md:5.',
      "models/schema.yml:7: doc('idz') names no {% docs idz %} block in a .md file. Did you mean 'ids'?",
    ]);
  });
});

describe('renderConfigTemplate', () => {
  it('renders env_var() and var() with dbt’s filters, natively when the value is one expression', () => {
    const context = { env: { THREADS: '8', NAME: 'Shop' }, vars: { flag: true } };
    expect(renderConfigTemplate("{{ env_var('THREADS') | int }}", context)).toEqual({ value: 8 });
    expect(renderConfigTemplate("{{ env_var('MISSING', 'x') }}_{{ env_var('NAME') | lower }}", context)).toEqual({
      value: 'x_shop',
    });
    expect(renderConfigTemplate("{{ var('flag') }}", context)).toEqual({ value: true });
    expect(renderConfigTemplate("{{ env_var('MISSING') }}", context)).toEqual({
      error: "env_var('MISSING'): the environment variable MISSING is not set and there is no default",
    });
    expect(renderConfigTemplate('{% if x %}a{% endif %}', context)).toMatchObject({
      error: expect.stringContaining('{% … %}'),
    });
  });
});

describe('source freshness in property files', () => {
  it('reads freshness: and config: { freshness: }; other source config keys are warnings at their line', async () => {
    const { project, errors, warnings } = await load({
      'sluice.yml': 'name: shop\n',
      'models/sources.yml': `version: 2
sources:
  - name: app
    loaded_at_field: updated_at
    config:
      freshness:
        warn_after: { count: 6, period: hour }
      event_time: created_at
    tables:
      - name: orders
        freshness:
          error_after: { count: 1, period: day }
          filter: status <> 'draft'
      - name: users
        config:
          freshness: null
      - name: events
        freshness:
          warn_after: { count: 2, period: fortnight }
`,
    });
    expect(errors).toEqual([
      'models/sources.yml:19: warn_after of source table app.events is { count: <a whole number>, period: minute | hour | day } (got {"count":2,"period":"fortnight"}).',
    ]);
    expect(warnings).toEqual([
      'models/sources.yml:8: "event_time" (in config of source app) is not supported yet; it is ignored.',
    ]);
    const freshness = (table: string) =>
      (project.nodes.get(`source.shop.app.${table}`) as { freshness?: unknown } | undefined)?.freshness;
    expect(freshness('orders')).toEqual({
      warnAfter: { count: 6, period: 'hour' },
      errorAfter: { count: 1, period: 'day' },
      filter: "status <> 'draft'",
    });
    expect(freshness('users')).toBeNull();
  });
});

describe('Jinja in the config: of property files (rendered before it is validated, as dbt does)', () => {
  const files = {
    'dbt_project.yml': 'name: shop\nvars:\n  strict: false\n',
    'models/orders.sql': 'select 1 as id',
    'models/schema.yml': `version: 2
models:
  - name: orders
    config:
      materialized: "{{ 'table' if target.name == 'prod' else 'view' }}"
      tags: ["{{ target.name }}", daily]
    columns:
      - name: id
        data_tests:
          - unique:
              config:
                severity: "{{ var('sev', 'error') }}"
                warn_if: "{{ var('warn_over', '>5') }}"
                enabled: "{{ var('strict') or target.name == 'prod' }}"
          - not_null:
              config:
                limit: "{{ var('limit', 10) }}"
                tags: ["{{ env_var('TEAM', 'core') }}"]
`,
  };

  it('renders var(), env_var() and target natively, with the project’s vars and --vars', async () => {
    const dev = await load(files, { target: { type: 'duckdb', name: 'dev' }, vars: { sev: 'warn' }, env: {} });
    expect(dev.errors).toEqual([]);
    expect(dev.project.nodes.get('model.shop.orders')).toMatchObject({ materialized: 'view', tags: ['dev', 'daily'] });
    // enabled renders to False in dev: the unique test is not there.
    expect(dev.project.nodes.has('test.shop.unique_orders_id')).toBe(false);
    expect(dev.project.nodes.get('test.shop.not_null_orders_id')).toMatchObject({
      config: { limit: 10 },
      tags: ['core'],
    });
    const prod = await load(files, { target: { type: 'duckdb', name: 'prod' }, env: { TEAM: 'sales' } });
    expect(prod.errors).toEqual([]);
    expect(prod.project.nodes.get('model.shop.orders')).toMatchObject({ materialized: 'table' });
    expect(prod.project.nodes.get('test.shop.unique_orders_id')).toMatchObject({
      config: { severity: 'error', warn_if: '>5', enabled: true },
    });
    expect(prod.project.nodes.get('test.shop.not_null_orders_id')?.tags).toEqual(['sales']);
  });

  it('a rendered value that is still wrong, or a var without a value, is an error at its key’s line', async () => {
    const { errors } = await load(
      {
        ...files,
        'models/schema.yml': `version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests:
          - unique:
              config:
                severity: "{{ var('sev', 'fatal') }}"
          - not_null:
              config:
                severity: "{{ var('undefined_sev') }}"
`,
      },
      { target: { type: 'duckdb', name: 'dev' }, env: {} },
    );
    expect(errors).toEqual([
      'models/schema.yml:9: "severity" in test unique: must be one of error, warn (got "fatal").',
      expect.stringMatching(/^models\/schema\.yml:12: var\('undefined_sev'\) has no value and no default/),
    ]);
  });
});

describe('source config as dbt 1.9/1.10 writes it', () => {
  it('reads loaded_at_field and freshness under config: at source and table level, config: over the top level', async () => {
    const { project, errors, warnings } = await load({
      'sluice.yml': 'name: shop\n',
      'models/sources.yml': `version: 2
sources:
  - name: app
    loaded_at_field: old_source_column
    config:
      loaded_at_field: updated_at
      freshness:
        warn_after: { count: 12, period: hour }
    tables:
      - name: orders
      - name: payments
        config:
          loaded_at_field: "paid_at::timestamp"
          freshness:
            error_after: { count: 1, period: day }
      - name: refunds
        loaded_at_field: refunded_at
      - name: snapshots
        config:
          loaded_at_field: null
          tags: [hourly]
      - name: retired
        config:
          enabled: false
        data_tests:
          - dbt_utils.recency: { datepart: day, field: x, interval: 1 }
  - name: archive
    config: { enabled: false }
    tables:
      - name: gone
  - name: legacy
    loaded_at_field: synced_at
    freshness:
      warn_after: { count: 2, period: day }
    tables:
      - name: customers
`,
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    const source = (id: string) =>
      project.nodes.get(`source.shop.${id}`) as { loadedAtField?: string; freshness?: unknown } | undefined;
    expect(source('app.orders')).toMatchObject({
      loadedAtField: 'updated_at',
      freshness: { warnAfter: { count: 12, period: 'hour' } },
    });
    expect(source('app.payments')).toMatchObject({
      loadedAtField: 'paid_at::timestamp',
      freshness: { warnAfter: { count: 12, period: 'hour' }, errorAfter: { count: 1, period: 'day' } },
    });
    expect(source('app.refunds')?.loadedAtField).toBe('refunded_at');
    expect(source('app.snapshots')?.loadedAtField).toBeUndefined();
    expect(project.nodes.get('source.shop.app.snapshots')?.tags).toEqual(['hourly']);
    // enabled: false leaves the table out, and its tests with it (the test's package is never looked up).
    expect(project.nodes.has('source.shop.app.retired')).toBe(false);
    expect(project.nodes.has('source.shop.archive.gone')).toBe(false);
    expect(project.nodes.has('source.shop.legacy.customers')).toBe(true);
    expect(source('legacy.customers')).toMatchObject({
      loadedAtField: 'synced_at',
      freshness: { warnAfter: { count: 2, period: 'day' } },
    });
  });
});
