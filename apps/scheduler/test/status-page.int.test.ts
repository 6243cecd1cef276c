import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, requireTool, type TestDatabase } from '@sluice/testing';
import { createFileStateStore } from '@sluice/watermark';
import { chromiumOptions, horizontalOverflow, withPhoneBrowser } from './chromium.js';
import {
  createNovaDriveSource,
  post,
  startDaemon,
  writeNovaDriveProject,
  type DaemonProcess,
} from './daemon-fixture.js';

const TOKEN = 'status-page-test-token-5f0e9a1c';

describe('sluice-scheduler: status page, API, alerts and metrics after real runs', () => {
  let source: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let daemon: DaemonProcess;
  let url: string;
  let hook: http.Server;
  const alerts: Array<{ text: string; attachments: Array<{ text: string }> }> = [];

  beforeAll(async () => {
    source = await createNovaDriveSource(500);
    dir = await createTempDir();
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        alerts.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    await writeNovaDriveProject(dir.path, {
      state: 'type: file\ndir: ${env:SLUICE_HOME}/state',
      schedule:
        'cron: "0 6 * * *"\ntimezone: America/Sao_Paulo\nretries: { attempts: 1 }\nalerts: { webhook_url: "${env:ALERT_HOOK}", page_url: "https://sluice.example.com" }',
    });
    // An older history than this test's runs: 120 runs over the last 60 days, and one older than keep_history (90 d).
    const state = createFileStateStore({ dir: path.join(dir.path, 'state') });
    const day = 86_400_000;
    for (let i = 0; i < 120; i++) {
      const startedAt = new Date(Date.now() - 2 * day - i * (day / 2));
      await state.saveRun({
        id: `old-${String(i).padStart(3, '0')}`,
        // Manual runs: scheduled ones would move the last slot handled, and the daemon would catch up at start.
        trigger: 'api',
        status: i % 10 === 3 ? 'failed' : 'success',
        startedAt,
        endedAt: new Date(startedAt.getTime() + 60_000),
        detail: { version: 1, attempts: { ingest: 1, build: 0 }, tables: [], models: [], tests: [] },
      });
    }
    await state.saveRun({
      id: 'older-than-keep-history',
      trigger: 'api',
      status: 'success',
      startedAt: new Date(Date.now() - 100 * day),
      endedAt: new Date(Date.now() - 100 * day + 60_000),
      detail: {},
    });
    await state.close();
    await mkdir(path.join(dir.path, 'target', 'docs'), { recursive: true });
    await writeFile(
      path.join(dir.path, 'target', 'docs', 'index.html'),
      '<!doctype html><title>Lineage</title><h1>NovaDrive lineage</h1>',
    );
    daemon = startDaemon('status', ['--project', dir.path], {
      SLUICE_SOURCE_URL: source.url,
      SLUICE_HOME: dir.path,
      SLUICE_SCHEDULER_TOKEN: TOKEN,
      ALERT_HOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/services/T0/B0/hook-secret`,
    });
    url = await daemon.url();
    await daemon.waitForLog((l) => l.msg === 'scheduler started', 'that the scheduler started');
  });
  afterAll(async () => {
    if (daemon) expect(await daemon.stop('SIGTERM')).toBe(0);
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
    await source?.drop();
    await dir?.remove();
  });

  const runAndWait = async () => {
    const started = await post(`${url}/api/runs`, TOKEN);
    expect(started.status, JSON.stringify(started.json)).toBe(202);
    const id = String(started.json.id);
    await daemon.waitForLog((l) => l.msg === 'run finished' && l.runId === id, `the end of run ${id}`);
    return id;
  };

  it('answers the probes, and refuses writes without the right bearer token', async () => {
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const anonymous = await post(`${url}/api/runs`, undefined);
    expect(anonymous.status).toBe(401);
    expect((await post(`${url}/api/pause`, 'wrong-token')).status).toBe(401);
    expect((await post(`${url}/api/runs`, TOKEN, { tables: ['nope'] })).json).toMatchObject({ error: 'UNKNOWN_TABLE' });
    expect((await post(`${url}/api/pause`, TOKEN)).json).toMatchObject({ paused: true });
    expect((await (await fetch(`${url}/api/status`)).json()) as object).toMatchObject({
      paused: true,
      timezone: 'America/Sao_Paulo',
    });
    expect((await post(`${url}/api/resume`, TOKEN)).json).toMatchObject({ paused: false });
    expect((await fetch(`${url}/api/runs`, { method: 'DELETE' })).status).toBe(405);
    expect(daemon.logs.some((l) => l.msg === 'API call refused: missing or wrong bearer token')).toBe(true);
    expect(JSON.stringify(daemon.logs)).not.toContain(TOKEN);
  });

  it('serves the lineage page under /docs/ and nothing outside it', async () => {
    const docs = await fetch(`${url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('NovaDrive lineage');
    const escaped = await new Promise<number>((resolve, reject) =>
      http
        .get(`${url}/docs/%2e%2e/sluice.yml`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    expect(escaped).toBe(404);
  });

  let failedRunId: string | undefined;

  it('a run with a failing table: failure alert, run history API and metrics', async () => {
    // Break one table at the source: its cursor column disappears.
    await source.withClient((client) =>
      client.query('ALTER TABLE vendas RENAME COLUMN data_atualizacao TO data_atualizacao_old'),
    );
    const id = await runAndWait();

    const runs = (await (await fetch(`${url}/api/runs`)).json()) as {
      runs: Array<{ id: string; status: string; trigger: string }>;
    };
    expect(runs.runs[0]).toMatchObject({ id, status: 'failed', trigger: 'api' });
    const detail = (await (await fetch(`${url}/api/runs/${id}`)).json()) as {
      detail: { tables: Array<{ table: string; status: string; rows: number }> };
    };
    expect(detail.detail.tables.find((t) => t.table === 'vendas')?.status).toBe('failed');
    expect(detail.detail.tables.find((t) => t.table === 'clientes')?.rows).toBeGreaterThan(0);
    expect((await fetch(`${url}/api/runs/no-such-run`)).status).toBe(404);

    await daemon.waitForLog((l) => l.msg === 'alert sent' && l.runId === id, 'the failure alert');
    expect(alerts.at(-1)?.text).toBe(':red_circle: Sluice run failed — novadrive');
    expect(alerts.at(-1)?.attachments[0]?.text).toMatch(/table vendas: .*data_atualizacao/);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('sluice_runs_total{status="failed",trigger="api"} 1');
    expect(metrics).toContain('sluice_run_failures_total 1');
    // Rows read and rows written are separate series, and every table label is the sluice.yml name.
    expect(metrics).toMatch(/sluice_rows_read_total\{table="clientes"\} [1-9]\d*/);
    expect(metrics).toMatch(/sluice_rows_written_total\{table="clientes",operation="insert"\} [1-9]\d*/);
    expect(metrics).toMatch(/sluice_table_last_loaded_timestamp_seconds\{table="clientes"\} \d+/);
    expect(metrics).not.toMatch(/table="public\./);
    expect(metrics).toContain('sluice_tests_failed{severity="error"} 0');
    expect(metrics).toMatch(/^sluice_build_info\{version="[^"]+",node_version="v\d+/m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    failedRunId = id;
  });

  it('shows that failed run on its run page and the status page in Chromium, readable on a phone', async (ctx) => {
    const [executable] = requireTool(ctx, 'chromium');
    const id = failedRunId;
    expect(id, 'the failing run of the test before').toBeDefined();
    // The run's page: per table what was read and written, the error with what to do, and the log.
    await withPhoneBrowser(executable, async (page) => {
      const response = await page.goto(`${url}/runs/${id}`);
      expect(response?.status()).toBe(200);
      const clientes = await page.locator('#tables tr', { hasText: 'clientes' }).first().textContent();
      expect(clientes).toMatch(/clientes.*success.*[1-9]/);
      expect(await page.locator('#tables').textContent()).toMatch(/vendas.*failed/);
      const error = await page.locator('#error').textContent();
      expect(error).toContain('What to do');
      const log = await page.locator('#log pre').textContent();
      expect(log).toMatch(/table clientes success in [\d.]+ s: \d+ read, \d+ inserted/);
      expect(log).toMatch(/run failed after/);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(dir.path, 'run-page.png'), fullPage: true });
    });

    const profile = await mkdtemp(path.join(os.tmpdir(), 'sluice-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      ...chromiumOptions(executable),
      headless: true,
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
    });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      const response = await page.goto(url);
      expect(response?.status()).toBe(200);
      await expect(page.title()).resolves.toBe('novadrive · Sluice');
      const text = await page.locator('main').textContent();
      expect(text).toContain('Needs attention');
      expect(text).toContain('Last run failed');
      expect(text).toMatch(/Table vendas: .*data_atualizacao/);
      for (const table of ['estados', 'cidades', 'concessionarias', 'vendedores', 'veiculos', 'clientes', 'vendas'])
        expect(text).toContain(table);
      // The page links to the run's own page (it linked to its raw JSON before).
      expect(await page.locator(`a[href="/runs/${id}"]`).count()).toBeGreaterThan(0);
      expect(text).toContain('Failing tests');
      expect(text).toMatch(/Next run: \d+ \w+ \d{4}, 06:00/);
      // Readable on a phone: nothing wider than the screen but the scrollable tables.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({
        path: process.env.SLUICE_SCREENSHOT ?? path.join(dir.path, 'status-page.png'),
        fullPage: true,
      });
      await page.locator('a[href="/docs/"]').click();
      await expect(page.locator('h1').textContent()).resolves.toBe('NovaDrive lineage');
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
  });

  it('passes promtool check metrics', async (ctx) => {
    const [promtool] = requireTool(ctx, 'promtool');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const check = spawnSync(promtool, ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('refuses unknown Host headers, answers unknown tables briefly, and shows no host path', async () => {
    const rawGet = (route: string, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const target = new URL(url);
        http
          .get({ host: target.hostname, port: target.port, path: route, headers: { host } }, (res) => {
            let body = '';
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
    // A page of another site renamed to 127.0.0.1 (DNS rebinding) still sends its own name.
    for (const route of ['/', '/api/runs', '/metrics', '/runs', '/api/status']) {
      const refused = await rawGet(route, 'attacker.example:8080');
      expect(refused.status, route).toBe(421);
      expect(refused.body).not.toContain('novadrive');
    }
    expect((await rawGet('/', `127.0.0.1:${new URL(url).port}`)).status).toBe(200);
    expect((await rawGet('/', `localhost:${new URL(url).port}`)).status).toBe(200);
    expect((await rawGet('/healthz', 'anything.example')).status).toBe(200);

    const names = Array.from({ length: 6000 }, (_, i) => `t${i}`);
    const response = await fetch(`${url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ tables: names }),
    });
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: 'UNKNOWN_TABLE' });
    expect(text).toContain('and 5995 more');
    expect(text.length).toBeLessThan(1000);

    const runs = (await (await fetch(`${url}/api/runs?limit=5`)).json()) as { runs: Array<{ id: string }> };
    for (const run of runs.runs) {
      const body = await (await fetch(`${url}/api/runs/${run.id}`)).text();
      expect(body).not.toContain(dir.path);
      expect(body).not.toContain(os.tmpdir());
      const html = await (await fetch(`${url}/runs/${run.id}`)).text();
      expect(html).not.toContain(dir.path);
    }
  });

  it('a recovery alert once the source is fixed and a run succeeds', async () => {
    await source.withClient((client) =>
      client.query('ALTER TABLE vendas RENAME COLUMN data_atualizacao_old TO data_atualizacao'),
    );
    const id = await runAndWait();
    await daemon.waitForLog((l) => l.msg === 'alert sent' && l.runId === id, 'the recovery alert');
    expect(alerts.at(-1)?.text).toBe(':large_green_circle: Sluice recovered — novadrive');
    const html = await (await fetch(url)).text();
    expect(html).toContain('Healthy');
    expect(JSON.stringify(daemon.logs)).not.toContain('hook-secret');
  });

  it('pages through the history back to keep_history, and takes the forms only with the token from this page', async (ctx) => {
    const [executable] = requireTool(ctx, 'chromium');
    await withPhoneBrowser(executable, async (page) => {
      await page.goto(`${url}/runs`);
      const seen: string[] = [];
      for (let pages = 0; pages < 10; pages++) {
        const ids = await page
          .locator('#history tbody a')
          .evaluateAll((links) => links.map((a) => a.getAttribute('title')));
        seen.push(...ids.map(String));
        const older = page.locator('a[rel="next"]');
        if ((await older.count()) === 0) break;
        await older.click();
      }
      const all = (await (await fetch(`${url}/api/runs?limit=1000`)).json()) as { runs: Array<{ id: string }> };
      expect(seen).toEqual(all.runs.map((run) => run.id));
      expect(seen.filter((id) => id.startsWith('old-'))).toHaveLength(120);
      expect(seen).not.toContain('older-than-keep-history');
      expect(await page.locator('main').textContent()).toContain('End of the history');
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);

      // Pause with the token from the page; a wrong token is refused.
      await page.goto(url);
      await page.locator('#pause-form input[name="token"]').fill('not-the-token');
      await page.locator('#pause-form button').click();
      expect(await page.locator('h1').textContent()).toBe('Wrong token');
      await page.goto(url);
      await page.locator('#pause-form input[name="token"]').fill(TOKEN);
      await page.locator('#pause-form button').click();
      await expect(page.locator('#notice').textContent()).resolves.toContain('Paused');
      expect(await page.locator('.badge.paused').count()).toBe(1);
      await page.locator('#pause-form input[name="token"]').fill(TOKEN);
      await page.locator('#pause-form button').click();
      await expect(page.locator('#notice').textContent()).resolves.toContain('Resumed');

      // Run one table from the page: it lands on the run's page.
      await page.locator('#run-form input[name="token"]').fill(TOKEN);
      await page.locator('#run-form summary').click();
      await page.locator('#run-form input[value="estados"]').check();
      await page.locator('#run-form button[value="some"]').click();
      await page.waitForURL(/\/runs\/[^/]+\?notice=started$/);
      const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1) ?? '');
      await daemon.waitForLog((l) => l.msg === 'run finished' && l.runId === runId, 'the run started from the page');
      await page.reload();
      const tables = await page.locator('#tables').textContent();
      expect(tables).toContain('estados');
      expect(tables).not.toContain('vendas');
    });
  });

  it('refuses a form posted from another site, token or not', async () => {
    const forged = await fetch(`${url}/actions/pause`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://attacker.example',
        'sec-fetch-site': 'cross-site',
      },
      body: `token=${TOKEN}`,
    });
    expect(forged.status).toBe(403);
    expect((await (await fetch(`${url}/api/status`)).json()) as object).toMatchObject({ paused: false });
  });
});

// The NovaDrive project of sql-models/, models and data tests included, with its price-rule test broken at the source.
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');

describe('sluice-scheduler: a data test failing at error severity, after a real build', () => {
  let source: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let hook: http.Server;
  let daemon: DaemonProcess | undefined;
  let url: string;
  const hookCalls: Array<{ text: string; attachments: Array<{ text: string }> }> = [];
  let failing: Array<{ name: string; status: string; severity: string }> | undefined;
  let failedRunId: string | undefined;

  beforeAll(async () => {
    source = await createNovaDriveSource(1000);
    dir = await createTempDir();
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        hookCalls.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    // Sales paid twice their list price break the price rule.
    await source.withClient((client) =>
      client.query('UPDATE vendas SET valor_pago = valor_pago * 2 WHERE id_vendas % 97 = 0'),
    );
    await cp(path.join(REPO, 'sql-models'), dir.path, {
      recursive: true,
      filter: (src) => !/[/\\](target|\.sluice)([/\\]|$)/.test(src),
    });
    daemon = startDaemon('models', ['--project', dir.path], {
      SLUICE_SOURCE_URL: source.url,
      SLUICE_HOME: path.join(dir.path, '.sluice'),
      SLUICE_SCHEDULER_TOKEN: TOKEN,
      SLUICE_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
    });
    url = await daemon.url();
    await daemon.waitForLog((l) => l.msg === 'scheduler started', 'that the scheduler started');
  });
  afterAll(async () => {
    if (daemon) await daemon.stop('SIGTERM');
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
    await source?.drop();
    await dir?.remove();
  });

  it('fails the run, alerts, and counts it in the metrics', async () => {
    const started = await post(`${url}/api/runs`, TOKEN);
    expect(started.status).toBe(202);
    const id = String(started.json.id);
    await daemon!.waitForLog((l) => l.msg === 'run finished' && l.runId === id, 'the end of the run', 120_000);

    const run = (await (await fetch(`${url}/api/runs/${id}`)).json()) as {
      status: string;
      detail: { tests: Array<{ name: string; status: string; severity: string }> };
    };
    const failed = run.detail.tests.filter((t) => t.status === 'fail' && t.severity === 'error');
    expect(failed.length).toBeGreaterThan(0);
    expect(run.status).toBe('failed');
    await daemon!.waitForLog((l) => l.msg === 'alert sent' && l.runId === id, 'the failure alert');
    expect(hookCalls.at(-1)?.attachments[0]?.text).toContain(`test ${failed[0]!.name}`);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/sluice_tests_failed\{severity="error"\} [1-9]/);
    failing = failed;
    failedRunId = id;
  }, 150_000);

  it('lists the failing tests on the status page in Chromium, their sample rows on the run page; a selection from the form builds only it', async (ctx) => {
    const [executable] = requireTool(ctx, 'chromium');
    expect(failing, 'the failed run of the test before').toBeDefined();
    const failed = failing ?? [];
    await withPhoneBrowser(executable, async (page) => {
      await page.goto(url);
      const tests = await page.locator('#tests').textContent();
      for (const test of failed) expect(tests).toContain(test.name);
      expect(tests).toContain('fail');
      await page.screenshot({ path: path.join(dir.path, 'status-page-tests.png'), fullPage: true });
      // The run's page shows each failing test with its sample rows.
      await page.goto(`${url}/runs/${failedRunId}`);
      const section = page.locator('#failing-tests article', { hasText: failed[0]!.name }).first();
      expect(await section.locator('tbody tr').count()).toBeGreaterThan(0);
      expect(await section.locator('thead th').count()).toBeGreaterThan(0);
      expect(await section.textContent()).toMatch(/failing rows?/);
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).not.toMatch(/All \d+ tests passed/);

      // A selection of models (and one table) from the page's form: the run builds those models and no other.
      await page.goto(url);
      await page.locator('#run-form input[name="token"]').fill(TOKEN);
      await page.locator('#run-form summary').click();
      await page.locator('#run-form input[value="estados"]').check();
      await page.locator('#run-form input[name="select"]').fill('stg_estados dim_estados');
      await page.locator('#run-form button[value="some"]').click();
      await page.waitForURL(/\/runs\/[^/]+\?notice=started$/);
      const selectedId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1) ?? '');
      await daemon!.waitForLog(
        (l) => l.msg === 'run finished' && l.runId === selectedId,
        'the end of the run started from the form',
        120_000,
      );
      const selected = (await (await fetch(`${url}/api/runs/${selectedId}`)).json()) as {
        trigger: string;
        detail: { tables: Array<{ table: string }>; models: Array<{ name: string }> };
      };
      expect(selected.trigger).toBe('page');
      expect(selected.detail.tables.map((t) => t.table)).toEqual(['estados']);
      expect(selected.detail.models.map((m) => m.name).sort()).toEqual(['dim_estados', 'stg_estados']);
      await page.reload();
      const timeline = (await page.locator('#timeline').textContent()) ?? '';
      expect(timeline).toContain('dim_estados');
      expect(timeline).not.toContain('fct_vendas');
    });
  }, 150_000);
});
