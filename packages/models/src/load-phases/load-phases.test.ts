import { describe, expect, it } from 'vitest';
import { emptyParseRecord } from '../parse-hooks.js';
import type { RelationalNodes } from './collect-relational-nodes.js';
import { createLoadContext } from './load-context.js';
import { readProjectSettings } from './read-project-settings.js';
import { ReferenceResolver } from './reference-resolver.js';

// The load phases on their own, without files on disk: each takes the shared context and what earlier phases built.

describe('readProjectSettings', () => {
  it('reads vars from the project, dbt’s project-scoped block, the raw schema and the caller, in that order', () => {
    const ctx = createLoadContext('/nowhere', {});
    const text = [
      'name: shop',
      'raw_schema: landing',
      'vars:',
      '  region: eu',
      '  limit: 5',
      '  shop:',
      '    limit: 10',
      'models:',
      '  +materialized: table',
      '  staging: { +materialized: view }',
      '',
    ].join('\n');
    const settings = readProjectSettings(ctx, { file: 'sluice.yml', text }, { vars: { region: 'us' } });
    expect(ctx.issues).toEqual([]);
    expect(settings.projectName).toBe('shop');
    expect(settings.vars).toEqual({ region: 'us', limit: 10, raw_schema: 'landing' });
    expect(settings.paths).toEqual({
      models: ['models'],
      seeds: ['seeds'],
      snapshots: ['snapshots'],
      tests: ['tests'],
      macros: ['macros'],
      analyses: ['analyses'],
      docs: ['models', 'seeds', 'snapshots', 'tests', 'macros', 'analyses'],
    });
    expect(settings.folders.models.configs.resolve(['staging'])).toMatchObject({ materialized: 'view' });
    expect(settings.folders.models.folders.map((f) => f.name)).toEqual(['staging']);
  });

  it('refuses an unknown key in sluice.yml and only warns about one in dbt_project.yml', () => {
    const sluice = createLoadContext('/nowhere', {});
    readProjectSettings(sluice, { file: 'sluice.yml', text: 'name: a\nmodles: {}\n' }, {});
    expect(sluice.issues).toMatchObject([
      { code: 'UNKNOWN_KEY', severity: 'error', file: 'sluice.yml', line: 2, suggestions: ['models'] },
    ]);
    const dbt = createLoadContext('/nowhere', {});
    readProjectSettings(dbt, { file: 'dbt_project.yml', text: 'name: a\nprofile: a\nmodles: {}\n' }, {});
    expect(dbt.issues).toMatchObject([{ code: 'UNKNOWN_KEY', severity: 'warning', line: 3 }]);
  });
});

describe('ReferenceResolver', () => {
  const relational: RelationalNodes = {
    names: new Map([['stg_orders', { id: 'model.shop.stg_orders', file: 'models/stg_orders.sql' }]]),
    disabled: new Map([['old_orders', 'models/old_orders.sql']]),
    models: [],
    snapshots: [],
    pending: [],
  };

  it('resolves refs and sources once each, and reports what it cannot resolve at the line of the call', () => {
    const ctx = createLoadContext('/nowhere', {});
    const resolver = new ReferenceResolver(ctx, 'shop', relational, [
      {
        id: 'source.shop.raw.orders',
        kind: 'source',
        name: 'orders',
        sourceName: 'raw',
        file: 'models/sources.yml',
        fqn: ['shop', 'raw', 'orders'],
        description: '',
        tags: [],
        dependsOn: [],
        schema: 'raw',
        identifier: 'orders',
        columns: [],
      },
    ]);
    const record = emptyParseRecord();
    record.refs.push({ name: 'stg_orders' }, { name: 'stg_orders' }, { name: 'old_orders' }, { name: 'stg_ordrs' });
    record.sources.push({ source: 'raw', table: 'orders' }, { source: 'raw', table: 'ordrs' });
    const text =
      "select *\nfrom {{ ref('old_orders') }}\njoin {{ ref('stg_ordrs') }}\njoin {{ source('raw', 'ordrs') }}";
    const deps = resolver.resolveAll('model.shop.report', record, 'models/report.sql', text);
    expect(deps).toEqual(['model.shop.stg_orders', 'source.shop.raw.orders']);
    expect(resolver.dependencies.get('model.shop.report')).toEqual(deps);
    expect(ctx.issues).toMatchObject([
      { code: 'DISABLED_REF', line: 2 },
      { code: 'UNKNOWN_REF', line: 3, suggestions: ['stg_orders'] },
      { code: 'UNKNOWN_SOURCE', line: 4, suggestions: ['raw.orders'] },
    ]);
  });
});
