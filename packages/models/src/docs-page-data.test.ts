import { duckDbDialect } from '@sluice/duckdb';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileProject } from './compile-project.js';
import { docsPageData, testMark } from './docs-page-data.js';
import { lastResultsFromRunResults, readLastResults, type LastResults } from './last-results.js';
import { renderLineagePage } from './lineage-page.js';
import { loadProject } from './load-project.js';
import type { Project } from './project.js';
import { DOCS_PROJECT, EVIL } from './test-support/docs-project.js';
import { tempDir, writeProject } from './test-support/temp-project.js';

let dir: { path: string; remove(): Promise<void> };
let project: Project;
beforeEach(async () => {
  dir = await tempDir('sluice-docs-page-');
  await writeProject(dir.path, DOCS_PROJECT);
  const loaded = await loadProject(dir.path);
  expect(loaded.errors).toEqual([]);
  project = loaded.project;
});
afterEach(async () => {
  await dir.remove();
});

const idOf = (name: string): string => {
  const node = [...project.nodes.values()].find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  return node.id;
};

function results(statuses: Record<string, string>): LastResults {
  return {
    producedAt: '2026-12-07T08:00:00.000Z',
    source: 'target/run_results.json',
    byId: new Map(Object.entries(statuses).map(([name, status]) => [idOf(name), { status, message: `${status}!` }])),
  };
}

describe('docsPageData: the docs page data model', () => {
  it('lists models, seeds, snapshots and sources as nodes, and tests under them, never as graph nodes', () => {
    const data = docsPageData(project);
    const tests = [...project.nodes.values()].filter((n) => n.kind === 'test');
    expect(tests.length).toBe(5);
    expect(data.nodes.map((n) => n.name).sort()).toEqual([
      'fct_orders',
      'raw.orders',
      'report',
      'stg_orders',
      'unrelated',
    ]);
    expect(data.tests.map((t) => t.name).sort()).toEqual(tests.map((t) => t.name).sort());
    const fct = data.nodes.find((n) => n.name === 'fct_orders');
    const columnTests = (name: string) =>
      fct?.columns.find((c) => c.name === name)?.tests.map((t) => data.tests[t]?.name) ?? [];
    expect(columnTests('order_id').sort()).toEqual(['not_null_fct_orders_order_id', 'unique_fct_orders_order_id']);
    expect(columnTests('amount')).toEqual(['accepted_values_fct_orders_amount__False__10__7']);
    // The singular test reads two models: it is listed under both.
    const singular = data.tests.findIndex((t) => t.name === 'assert_report_counts');
    expect(fct?.tests).toEqual([singular]);
    expect(data.nodes.find((n) => n.name === 'report')?.tests).toEqual([singular]);
  });

  it('gives parents and children as indexes, the tree path by package and folder, and the template', () => {
    const data = docsPageData(project);
    const at = (name: string) => data.nodes.findIndex((n) => n.name === name);
    const fct = data.nodes[at('fct_orders')];
    expect(fct?.parents).toEqual([at('stg_orders')]);
    expect(fct?.children).toEqual([at('report')]);
    expect(fct?.path).toEqual(['docshop', 'models', 'marts']);
    expect(data.nodes[at('raw.orders')]?.path).toEqual(['docshop', 'sources', 'raw']);
    expect(fct?.raw).toContain("{{ ref('stg_orders') }}");
    expect(fct?.compiled).toBeUndefined();
    expect(fct?.compiledPath).toBe('compiled/docshop/models/marts/fct_orders.sql');
    expect(data.results).toBeUndefined();
  });

  it('marks tests honestly: passed, warned, failed, errored, skipped, and not run where there is no result', () => {
    const data = docsPageData(project, {
      results: results({
        unique_fct_orders_order_id: 'fail',
        accepted_values_fct_orders_amount__False__10__7: 'warn',
        assert_report_counts: 'skipped',
        fct_orders: 'success',
      }),
    });
    const mark = (name: string) => data.tests.find((t) => t.name === name)?.mark;
    expect(mark('unique_fct_orders_order_id')).toBe('fail');
    expect(mark('accepted_values_fct_orders_amount__False__10__7')).toBe('warn');
    expect(mark('assert_report_counts')).toBe('skipped');
    expect(mark('not_null_fct_orders_order_id')).toBe('not-run');
    expect(data.tests.find((t) => t.name === 'not_null_fct_orders_order_id')?.status).toBeUndefined();
    expect(data.nodes.find((n) => n.name === 'fct_orders')).toMatchObject({ status: 'success', message: 'success!' });
    expect(data.results).toEqual({ producedAt: '2026-12-07T08:00:00.000Z', source: 'target/run_results.json' });
    expect(['pass', 'success', 'warn', 'fail', 'error', 'skipped', 'cancelled', undefined].map(testMark)).toEqual([
      'pass',
      'pass',
      'warn',
      'fail',
      'fail',
      'skipped',
      'skipped',
      'not-run',
    ]);
  });

  it("carries compiled SQL for nodes and tests, and a test's failing rows from the run just finished", () => {
    const compiled = compileProject(project, {
      target: { name: 'dev', type: 'duckdb', schema: 'main' },
      dialect: duckDbDialect,
    });
    const unique = idOf('unique_fct_orders_order_id');
    const data = docsPageData(project, {
      compiled,
      results: {
        producedAt: 'now',
        source: 'this run',
        byId: new Map([[unique, { status: 'fail', message: 'fail', failures: 1, samples: [{ order_id: 2, n: 2 }] }]]),
      },
    });
    expect(data.nodes.find((n) => n.name === 'fct_orders')?.compiled).toMatch(/from "main"\."stg_orders"/);
    const test = data.tests.find((t) => t.id === unique);
    expect(test).toMatchObject({ mark: 'fail', failures: 1, samples: [{ order_id: 2, n: 2 }] });
    expect(test?.sql).toContain('"main"."fct_orders"');
  });
});

describe('last results', () => {
  it("reads dbt's run_results.json (runtime error is an error), and says why a file cannot be used", async () => {
    const parsed = lastResultsFromRunResults(
      {
        metadata: { generated_at: '2026-12-07T07:00:00Z' },
        results: [
          { unique_id: 'test.a', status: 'warn', message: 'Got 2 results', failures: 2 },
          { unique_id: 'model.b', status: 'runtime error', message: 'boom', compiled_code: 'select 1' },
          { status: 'pass' },
        ],
      },
      'target/run_results.json',
    );
    expect(parsed?.producedAt).toBe('2026-12-07T07:00:00Z');
    expect([...(parsed?.byId ?? [])]).toEqual([
      ['test.a', { status: 'warn', message: 'Got 2 results', failures: 2 }],
      ['model.b', { status: 'error', message: 'boom', compiledSql: 'select 1' }],
    ]);
    expect(lastResultsFromRunResults({ nodes: {} }, 'x')).toBeUndefined();

    const target = path.join(dir.path, 'target');
    expect(await readLastResults(target)).toEqual({});
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'run_results.json'), '{not json');
    expect((await readLastResults(target)).warning).toMatch(/run_results\.json: not JSON/);
    await writeFile(path.join(target, 'run_results.json'), '{"metadata":{}}');
    expect((await readLastResults(target)).warning).toMatch(/not a run_results file/);
  });
});

describe('renderLineagePage', () => {
  it('embeds the data so that no text can close the script or run as markup, and loads nothing from outside', () => {
    const html = renderLineagePage(project);
    expect(html.match(/<\/script>/g)?.length).toBe(2);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<!--');
    expect(html).not.toContain('\u2028');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).not.toContain('<link');
    const embedded = html.slice(html.indexOf('<script id="docs-data" type="application/json">') + 47);
    const data = JSON.parse(embedded.slice(0, embedded.indexOf('</script>')));
    expect(data.nodes.find((n: { name: string }) => n.name === 'fct_orders').description).toBe(`Orders. ${EVIL}`);
    expect(html).toContain('no run results yet');
  });
});
