import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { duckDbDialect } from '@sluice/duckdb';
import { snowflakeDialect } from '@sluice/snowflake';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from './compile-project.js';
import { manifestArtifact } from './dbt-artifacts.js';
import { deferredRelations } from './defer-relations.js';
import { loadProject } from './load-project.js';
import type { Project } from './project.js';
import { selectNodes } from './select-nodes.js';
import { compareState, macroSqlOf, type StateComparison } from './state-changes.js';
import { parseStateManifest } from './state-manifest.js';
import { fixture } from './test-support/temp-project.js';

let project: Project;
let files: Map<string, string>;
const target = { name: 'prod', type: 'duckdb', schema: 'analytics' };

/** The shop project's manifest as Sluice writes it, as JSON (what `--state` reads back). */
function manifestOf(p: Project, macroFiles: ReadonlyMap<string, string>): Record<string, unknown> {
  const written = manifestArtifact(
    p,
    { target, compiledSql: new Map(), macroFiles },
    { generatedAt: '2026-01-01T00:00:00Z', invocationId: 'x' },
  );
  return JSON.parse(JSON.stringify(written)) as Record<string, unknown>;
}

function edited(change: (p: { nodes: Map<string, unknown> }) => void): Project {
  const nodes = new Map(project.nodes);
  change({ nodes: nodes as Map<string, unknown> });
  return { ...project, nodes };
}

function select(p: Project, state: StateComparison, selector: string): string[] {
  return selectNodes(p, { select: [selector], state, indirectTests: false })
    .nodes.filter((n) => n.kind !== 'test')
    .map((n) => n.name);
}

beforeAll(async () => {
  ({ project } = await loadProject(fixture('shop')));
  files = new Map();
  for (const file of new Set(project.macros.values()))
    files.set(file, await readFile(path.join(project.dir, file), 'utf8'));
});

describe('state:new and state:modified (dbt’s rules, against a manifest Sluice wrote)', () => {
  it('an unchanged project has no changes; the manifest records the macros each node calls', () => {
    const manifest = manifestOf(project, files);
    const stgOrders = (manifest.nodes as Record<string, { depends_on: { macros: string[] } }>)['model.shop.stg_orders'];
    expect(stgOrders?.depends_on.macros).toEqual(['macro.shop.cents_to_dollars']);
    const state = compareState(project, parseStateManifest(manifest, 'm.json'), macroSqlOf(project, files));
    expect([...state.changes]).toEqual([]);
    expect(select(project, state, 'state:modified')).toEqual([]);
    expect(select(project, state, 'state:unmodified')).toContain('fct_orders');
  });

  it('body, configs, macros and new nodes, each by its sub-selector; + reaches children', () => {
    const manifest = parseStateManifest(manifestOf(project, files), 'm.json');
    const now = edited(({ nodes }) => {
      const fct = project.nodes.get('model.shop.fct_orders') as { rawSql: string };
      nodes.set('model.shop.fct_orders', { ...fct, rawSql: `${fct.rawSql}\n-- edited` });
      const dim = project.nodes.get('model.shop.dim_customers') as { config: Record<string, unknown> };
      nodes.set('model.shop.dim_customers', { ...dim, config: { ...dim.config, materialized: 'view' } });
      const extra = project.nodes.get('model.shop.order_amounts') as { id: string };
      nodes.set('model.shop.brand_new', { ...extra, id: 'model.shop.brand_new', name: 'brand_new' });
    });
    const macroFiles = new Map(files);
    macroFiles.set(
      'macros/cents_to_dollars.sql',
      (files.get('macros/cents_to_dollars.sql') ?? '').replace('100.0', '1000.0'),
    );
    const state = compareState(now, manifest, macroSqlOf(now, macroFiles));
    expect(select(now, state, 'state:modified.body')).toEqual(['fct_orders']);
    expect(select(now, state, 'state:modified.configs')).toEqual(['dim_customers']);
    expect(select(now, state, 'state:modified.macros')).toEqual(['stg_orders']);
    expect(select(now, state, 'state:new')).toEqual(['brand_new']);
    expect(select(now, state, 'state:modified').sort()).toEqual(
      ['brand_new', 'dim_customers', 'fct_orders', 'stg_orders'].sort(),
    );
    expect(select(now, state, 'state:modified.body+')).toEqual(['fct_orders', 'order_amounts', 'order_amount_report']);
    expect(select(now, state, '+state:new')).toContain('brand_new');
  });

  it('says what is wrong: no --state, an unsupported sub-selector, a manifest without a field', () => {
    const state = compareState(project, parseStateManifest(manifestOf(project, files), 'm.json'), new Map());
    const errors = (selector: string, s?: StateComparison) =>
      selectNodes(project, { select: [selector], ...(s ? { state: s } : {}) })
        .issues.filter((i) => i.severity === 'error')
        .map((i) => i.message);
    expect(errors('state:modified')).toEqual([expect.stringContaining('add --state DIR')]);
    expect(errors('state:modified.contract', state)).toEqual([
      expect.stringContaining('"state:modified.contract" is not supported by Sluice'),
    ]);
    expect(errors('state:modifed', state)).toEqual([expect.stringContaining('Did you mean')]);
    const manifest = manifestOf(project, files);
    delete (manifest.nodes as Record<string, Record<string, unknown>>)['model.shop.fct_orders']?.checksum;
    expect(() => parseStateManifest(manifest, 'prod/manifest.json')).toThrow(
      'prod/manifest.json: nodes["model.shop.fct_orders"].checksum is missing or not an object',
    );
  });
});

describe('deferredRelations (dbt’s --defer rule)', () => {
  it('defers the unbuilt parents the run reads (through ephemeral models) when this target lacks them', async () => {
    const state = parseStateManifest(manifestOf(project, files), 'm.json');
    const dev = { name: 'dev', type: 'duckdb', schema: 'dev' };
    const running = new Set(['model.shop.dim_customers']);
    const asked: string[] = [];
    const deferred = await deferredRelations({
      project,
      state,
      running,
      target: dev,
      dialect: duckDbDialect,
      exists: async (relation) => {
        asked.push(`${relation.schema}.${relation.name}`);
        return relation.name === 'stg_customers';
      },
    });
    // dim_customers reads stg_customers (which dev has) and stg_orders through the ephemeral int_paid_orders.
    expect([...deferred.keys()]).toEqual(['model.shop.stg_orders']);
    expect(deferred.get('model.shop.stg_orders')).toEqual({
      database: null,
      schema: 'analytics_staging',
      name: 'stg_orders',
    });
    expect(deferred.has('model.shop.int_paid_orders')).toBe(false);
    expect(asked.sort()).toEqual(['dev_staging.stg_customers', 'dev_staging.stg_orders']);
    const favored = await deferredRelations({
      project,
      state,
      running,
      target: dev,
      dialect: duckDbDialect,
      exists: async () => true,
      favorState: true,
    });
    expect(favored.get('model.shop.stg_orders')?.schema).toBe('analytics_staging');
    const none = await deferredRelations({
      project,
      state,
      running,
      target: dev,
      dialect: duckDbDialect,
      exists: async () => true,
    });
    expect(none.size).toBe(0);
  });
});

describe('compiling with deferred relations', () => {
  it('ref() to a deferred node names the state’s relation, database-qualified when it is another database', () => {
    const deferred = new Map([
      ['model.shop.stg_orders', { database: 'PROD', schema: 'ANALYTICS', name: 'STG_ORDERS' }],
    ]);
    const dev = { name: 'dev', type: 'snowflake', schema: 'DEV', database: 'DEV_DB' };
    const { nodes } = compileProject(project, {
      target: dev,
      dialect: snowflakeDialect,
      nodes: ['model.shop.fct_orders', 'model.shop.dim_customers'],
      deferred,
    });
    expect(nodes.get('model.shop.fct_orders')?.sql).toContain('"PROD"."ANALYTICS"."STG_ORDERS"');
    // Through the ephemeral int_paid_orders, inlined as a CTE, the same.
    expect(nodes.get('model.shop.dim_customers')?.sql).toContain('"PROD"."ANALYTICS"."STG_ORDERS"');
    // Where the model itself is built does not move.
    expect(nodes.get('model.shop.fct_orders')?.relation).toEqual({ schema: 'DEV_marts', name: 'fct_orders' });
  });
});

describe('generic tests under state:modified', () => {
  it('a changed argument is state:modified.body for that test only', () => {
    const manifest = parseStateManifest(manifestOf(project, files), 'm.json');
    const id = 'test.shop.accepted_values_stg_orders_status__paid__pending__cancelled';
    const test = project.nodes.get(id) as { args: Record<string, unknown> };
    const now = edited(({ nodes }) => nodes.set(id, { ...test, args: { ...test.args, values: ['paid'] } }));
    const state = compareState(now, manifest, macroSqlOf(now, files));
    expect([...state.changes]).toEqual([[id, ['body']]]);
  });
});

describe('dbt unit tests under state:', () => {
  it('are compared with the manifest’s unit_tests: unchanged, then an edited definition is modified', async () => {
    const { project: units } = await loadProject(fixture('unit-tests'));
    const unitFiles = new Map<string, string>();
    for (const file of new Set(units.macros.values()))
      unitFiles.set(file, await readFile(path.join(units.dir, file), 'utf8'));
    const manifest = parseStateManifest(manifestOf(units, unitFiles), 'm.json');
    expect(manifest.unitTests.size).toBeGreaterThan(0);
    const unchanged = compareState(units, manifest, macroSqlOf(units, unitFiles));
    expect([...unchanged.changes]).toEqual([]);
    const [id] = [...manifest.unitTests.keys()] as [string];
    const node = units.nodes.get(id) as { unit: { description?: string } };
    const nodes = new Map(units.nodes);
    nodes.set(id, { ...node, unit: { ...node.unit, expect: { format: 'dict', rows: [] } } } as never);
    const edited = { ...units, nodes };
    expect([...compareState(edited, manifest, macroSqlOf(edited, unitFiles)).changes]).toEqual([[id, ['body']]]);
  });
});
