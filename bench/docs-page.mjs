// docs-page: the docs page (`sluice docs generate`'s target/docs/index.html) of a generated 10,000-model project,
// opened in Chromium. Each model has a description, two documented columns and two column tests (20,000 tests);
// test results are a made-up mix (passed, warned, failed, never run) so every mark is drawn. Measured: the time from
// navigation to the page being interactive (`html[data-ready]`: data parsed, tree built, first view drawn), then a
// search over the whole project and opening the deepest model (9,983 ancestors; 4 lineage levels drawn). The
// baseline, in the same run and browser, is a blank page that marks itself ready the same way. Target (issue 18):
// opens in ≤ 3 s. Needs Chromium (/usr/bin/chromium; BENCH_CHROMIUM overrides).
//
//   pnpm bench docs-page   (BENCH_MODELS=10000 BENCH_ROUNDS=5)
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { duckDbDialect } from '@sluice/duckdb';
import { compileProject, loadProject, renderLineagePage } from '@sluice/models';
import { chromium } from 'playwright-core';
import { median, seconds } from './_harness.mjs';
import { writeModelProject } from './_model-project.mjs';

const MODELS = Number(process.env.BENCH_MODELS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';
const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-docs-page-'));

/** A property file per folder: a description, two columns and two column tests for each of its models. */
async function writeProperties() {
  const models = path.join(dir, 'models');
  for (const folder of await readdir(models)) {
    const names = (await readdir(path.join(models, folder)))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.slice(0, -4));
    const entries = names.map(
      (name) => `  - name: ${name}
    description: Model ${name} of the generated project, in ${folder}; one row per id.
    columns:
      - name: id
        description: The key of ${name}.
        data_tests: [not_null, unique]
      - name: name
        description: A label.
`,
    );
    await writeFile(path.join(models, folder, 'schema.yml'), `version: 2\nmodels:\n${entries.join('')}`);
  }
}

/** Made-up last results: most tests passed, some warned or failed, one in ten never ran. */
function madeUpResults(project) {
  const byId = new Map();
  let i = 0;
  for (const node of project.nodes.values()) {
    i++;
    if (node.kind === 'test' && i % 10 !== 0) {
      const status = i % 37 === 0 ? 'fail' : i % 11 === 0 ? 'warn' : 'pass';
      byId.set(node.id, { status, message: status, ...(status === 'pass' ? {} : { failures: 3 }) });
    } else if (node.kind === 'model') byId.set(node.id, { status: 'success', message: 'view created' });
  }
  return { producedAt: new Date().toISOString(), source: 'bench (made up)', byId };
}

async function timeOpen(browser, url, afterReady) {
  const page = await browser.newPage();
  try {
    const start = performance.now();
    await page.goto(url);
    await page.waitForSelector('html[data-ready="1"]', { timeout: 120_000 });
    const open = seconds(start);
    return { open, ...(afterReady ? await afterReady(page) : {}) };
  } finally {
    await page.close();
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  await writeModelProject(dir, MODELS);
  await writeProperties();
  let start = performance.now();
  const { project, errors } = await loadProject(dir);
  if (errors.length > 0) throw new Error(`project did not load: ${errors[0]?.message}`);
  const compiled = compileProject(project, {
    target: { name: 'dev', type: 'duckdb', schema: 'main' },
    dialect: duckDbDialect,
  });
  const loadS = seconds(start);
  start = performance.now();
  const html = renderLineagePage(project, { compiled, results: madeUpResults(project) });
  const renderS = seconds(start);
  const pageFile = path.join(dir, 'index.html');
  await writeFile(pageFile, html);
  const blankFile = path.join(dir, 'blank.html');
  await writeFile(
    blankFile,
    '<!doctype html><html><head><meta charset="utf-8"><title>blank</title></head><body><script>document.documentElement.setAttribute("data-ready", "1");</script></body></html>',
  );
  const tests = [...project.nodes.values()].filter((n) => n.kind === 'test').length;
  console.log(
    `${MODELS} models, ${tests} tests: load+compile ${loadS.toFixed(2)} s, page rendered in ${renderS.toFixed(2)} s, ` +
      `${(Buffer.byteLength(html) / 1e6).toFixed(1)} MB`,
  );
  const deep = `m_${MODELS - 1}`;
  const opens = [];
  const blanks = [];
  const searches = [];
  const nodeOpens = [];
  for (let round = 1; round <= ROUNDS; round++) {
    blanks.push((await timeOpen(browser, pathToFileURL(blankFile).href)).open);
    const r = await timeOpen(browser, pathToFileURL(pageFile).href, async (page) => {
      let t = performance.now();
      await page.fill('#search', 'one row per id');
      await page.waitForFunction(() => /^\d+ match/.test(document.querySelector('#result-count')?.textContent ?? ''));
      const search = seconds(t);
      t = performance.now();
      await page.evaluate((id) => {
        location.hash = `#!/node/${encodeURIComponent(id)}`;
      }, `model.bench.${deep}`);
      await page.waitForFunction((name) => document.querySelector('#node-title')?.textContent === name, deep);
      const node = seconds(t);
      return { search, node };
    });
    opens.push(r.open);
    searches.push(r.search);
    nodeOpens.push(r.node);
    console.log(
      `round ${round}: open ${r.open.toFixed(2)} s (blank page ${blanks.at(-1).toFixed(3)} s), search ${r.search.toFixed(2)} s, ` +
        `${deep}'s page ${r.node.toFixed(2)} s (load average ${os.loadavg()[0].toFixed(1)})`,
    );
  }
  const openS = median(opens);
  const blankS = median(blanks);
  console.log(
    `median: open ${openS.toFixed(2)} s (target ≤ 3 s), blank page ${blankS.toFixed(3)} s, search ${median(searches).toFixed(2)} s, ` +
      `deep model page ${median(nodeOpens).toFixed(2)} s, ${os.cpus().length} cores`,
  );
  console.log(
    JSON.stringify({
      name: 'docs-page',
      models: MODELS,
      tests,
      page_mb: +(Buffer.byteLength(html) / 1e6).toFixed(2),
      open_seconds: +openS.toFixed(3),
      baseline_seconds: +blankS.toFixed(3),
      ratio: +(openS / blankS).toFixed(1),
      search_seconds: +median(searches).toFixed(3),
      node_seconds: +median(nodeOpens).toFixed(3),
      render_seconds: +renderS.toFixed(3),
    }),
  );
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}
