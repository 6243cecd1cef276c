import { createDuckDbWarehouse, duckDbDialect } from '@sluice/duckdb';
import { requireTool } from '@sluice/testing';
import type { Warehouse } from '@sluice/warehouse';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from './compile-project.js';
import { readLastResults } from './last-results.js';
import { loadProject } from './load-project.js';
import type { Project } from './project.js';
import { runProject } from './run-project.js';
import { DOCS_PROJECT, EVIL } from './test-support/docs-project.js';
import { tempDir, writeProject } from './test-support/temp-project.js';
import { renderLineagePage } from './lineage-page.js';
import { writeArtifacts } from './write-artifacts.js';

const target = { name: 'dev', type: 'duckdb', schema: 'main' };
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];

/**
 * The docs page in Chromium, after a real DuckDB build of a small project (one test fails, one warns, one is
 * excluded from the build so it never ran, one is skipped) and a `docs generate` after it (compile + the last
 * run_results.json): search, a model's page with its marks, template and compiled SQL, used by, focused lineage.
 */
describe('docs page in Chromium', () => {
  let dir: { path: string; remove(): Promise<void> };
  let project: Project;
  let pageFile: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    dir = await tempDir('sluice-docs-chromium-');
    await writeProject(dir.path, DOCS_PROJECT);
    const loaded = await loadProject(dir.path);
    expect(loaded.errors).toEqual([]);
    project = loaded.project;
    const warehouse: Warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
    const targetDir = path.join(dir.path, 'target');
    try {
      await warehouse.execute('create schema raw');
      await warehouse.execute(
        'create table raw.orders as select * from (values (1, 10), (2, -5), (2, 7)) as t(order_id, amount)',
      );
      const run = await runProject(project, warehouse, {
        target,
        exclude: ['not_null_fct_orders_order_id'],
      });
      await writeArtifacts(targetDir, { project, run, target });
    } finally {
      await warehouse.close();
    }
    // What `docs generate` does next: compile, read the last results, write the page (no run given).
    await rm(path.join(targetDir, 'docs'), { recursive: true, force: true });
    const compiled = compileProject(project, { target, dialect: duckDbDialect });
    const last = await readLastResults(targetDir);
    expect(last.results?.source).toBe('target/run_results.json');
    await writeArtifacts(targetDir, {
      project,
      target,
      compiled,
      ...(last.results ? { lastResults: last.results } : {}),
      catalogFile: true,
    });
    pageFile = path.join(targetDir, 'docs', 'index.html');
  });

  afterAll(async () => {
    await browser?.close();
    await dir.remove();
  });

  /** Wait until the element's text is `text` (a bounded poll in the page, Playwright's default timeout). */
  async function textIs(page: Page, selector: string, text: string): Promise<void> {
    await page.waitForFunction(
      `document.querySelector(${JSON.stringify(selector)})?.textContent === ${JSON.stringify(text)}`,
    );
  }

  async function open(executablePath: string, file = pageFile): Promise<Page> {
    browser ??= await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) outside.push(request.url());
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-ready="1"]');
    expect(outside).toEqual([]);
    return page;
  }

  it('searches names, descriptions and columns, and opens a model with its marks, SQL, used by and lineage', async (ctx) => {
    const [executable] = requireTool(ctx, 'chromium');
    const page = await open(executable);
    await expect(page.textContent('#results-line')).resolves.toMatch(
      /^results from target\/run_results\.json, produced \d{4}-\d\d-\d\dT/,
    );

    // The tree: package → models → folders, built when opened.
    await page.click('#tree button[data-folder="models"]');
    await page.click('#tree button[data-folder="marts"]');
    expect(await page.$$eval('#tree a[data-node]', (links) => links.map((a) => a.textContent))).toEqual(
      expect.arrayContaining(['fct_orders', 'report']),
    );

    // Search by description and by column name.
    await page.fill('#search', 'raw orders');
    await textIs(page, '#result-count', '1 match');
    expect(await page.textContent('#results li')).toBe('raw.orders source · description');
    await page.fill('#search', "the order's key");
    await textIs(page, '#result-count', '0 matches');
    await page.fill('#search', 'amount');
    await textIs(page, '#result-count', '1 match');
    expect(await page.textContent('#results li')).toBe('fct_orders model · column amount');
    await page.fill('#search', 'orders');
    await textIs(page, '#result-count', '3 matches');
    await page.click('#results a[data-node="model.docshop.fct_orders"]');
    await textIs(page, '#node-title', 'fct_orders');

    const marks = await page.$$eval('#tests tr[data-test]', (rows) =>
      Object.fromEntries(
        rows.map((r) => [
          r.getAttribute('data-test'),
          `${r.getAttribute('data-mark')} ${r.querySelector('.mark')?.textContent}`,
        ]),
      ),
    );
    expect(marks).toEqual({
      unique_fct_orders_order_id: 'fail ✗',
      not_null_fct_orders_order_id: 'not-run not run',
      accepted_values_fct_orders_amount__False__10__7: 'warn ⚠',
      assert_report_counts: 'skipped ↷',
    });
    // A test's compiled query opens under it.
    await page.click('#tests tr[data-test="unique_fct_orders_order_id"] summary');
    expect(await page.textContent('#tests tr[data-test="unique_fct_orders_order_id"] details pre')).toMatch(
      /from "?main"?\."?fct_orders"?/,
    );
    // Column tests sit in the columns table too.
    expect(
      await page.$$eval('#columns tr[data-column="order_id"] .col-test', (s) =>
        s.map((x) => x.getAttribute('data-mark')),
      ),
    ).toEqual(['fail', 'not-run']);

    // The description is text: shown as written, never run.
    expect(await page.textContent('#description')).toBe(`Orders. ${EVIL}`);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.$$('main img')).toEqual([]);

    expect(await page.textContent('#source-sql pre')).toContain("{{ ref('stg_orders') }}");
    expect(await page.textContent('#compiled-sql pre')).toMatch(/from "?main"?\."?stg_orders"?/);
    expect(await page.$$eval('#depends-on a', (a) => a.map((x) => x.textContent))).toEqual(['stg_orders']);
    expect(await page.$$eval('#used-by a', (a) => a.map((x) => x.textContent))).toEqual(['report']);
    // Focused lineage: ancestors and descendants only, not the unrelated model.
    expect(
      (await page.$$eval('#lineage g[data-node]', (g) => g.map((x) => x.getAttribute('data-node')))).sort(),
    ).toEqual([
      'model.docshop.fct_orders',
      'model.docshop.report',
      'model.docshop.stg_orders',
      'source.docshop.raw.orders',
    ]);

    // Following "used by" opens the report page, whose own last result is honest: skipped.
    await page.click('#used-by a');
    await textIs(page, '#node-title', 'report');
    expect(await page.getAttribute('#node-status .mark', 'data-mark')).toBe('skipped');
    // A passing test elsewhere shows ✓.
    await page.fill('#search', 'stg_orders');
    await page.press('#search', 'Enter');
    await textIs(page, '#node-title', 'stg_orders');
    expect(await page.getAttribute('#tests tr[data-test="not_null_stg_orders_order_id"]', 'data-mark')).toBe('pass');
    // The tree shows where it is: its folders open, its entry marked.
    expect(await page.getAttribute('#tree a.current', 'data-node')).toBe('model.docshop.stg_orders');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
  });

  it('draws 4 lineage levels each way, and all of them on request', async (ctx) => {
    const [executable] = requireTool(ctx, 'chromium');
    const chain = await tempDir('sluice-docs-chain-');
    try {
      const files: Record<string, string> = { 'sluice.yml': 'name: chain\n', 'models/c_0.sql': 'select 1 as id\n' };
      for (let i = 1; i <= 10; i++) files[`models/c_${i}.sql`] = `select id from {{ ref('c_${i - 1}') }}\n`;
      await writeProject(chain.path, files);
      const loaded = await loadProject(chain.path);
      expect(loaded.errors).toEqual([]);
      const file = path.join(chain.path, 'index.html');
      await writeFile(file, renderLineagePage(loaded.project));
      const page = await open(executable, file);
      await page.evaluate(`location.hash = '#!/node/model.chain.c_5'`);
      await textIs(page, '#node-title', 'c_5');
      const drawn = () => page.$$eval('#lineage g[data-node]', (g) => g.map((x) => x.getAttribute('data-node')).sort());
      expect(await drawn()).toEqual(
        ['c_1', 'c_2', 'c_3', 'c_4', 'c_5', 'c_6', 'c_7', 'c_8', 'c_9'].map((n) => `model.chain.${n}`),
      );
      expect(await page.textContent('#lineage .count')).toBe(
        '5 upstream, 5 downstream; 4 levels each way shown show all 5 levels',
      );
      await page.click('#all-levels');
      await page.waitForFunction(`document.querySelectorAll('#lineage g[data-node]').length === 11`);
      expect(await page.textContent('#lineage .count')).toBe('5 upstream, 5 downstream');
    } finally {
      await chain.remove();
    }
  });
});
