import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, requireTool, type TestDatabase } from '@sluice/testing';
import {
  createNovaDriveSource,
  post,
  startDaemon,
  writeNovaDriveProject,
  type DaemonProcess,
} from './daemon-fixture.js';

const TOKEN = 'status-page-test-token-5f0e9a1c';

/** Debian's Chromium (`apt-get install chromium`; see `requireTool`), with the flags this machine needs (no network
 *  from the browser, root without a sandbox). */
const chromiumOptions = (executablePath: string) => ({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

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
    expect(metrics).toMatch(/sluice_rows_loaded_total\{table="clientes"\} [1-9]\d*/);
    expect(metrics).toMatch(/sluice_table_last_loaded_timestamp_seconds\{table="public\.clientes"\} \d+/);
    expect(metrics).toContain('sluice_tests_failed{severity="error"} 0');
    failedRunId = id;
  });

  it('shows that failed run on the status page in Chromium, readable on a phone', async (ctx) => {
    const [executable] = requireTool(ctx, 'chromium');
    const id = failedRunId;
    expect(id, 'the failing run of the test before').toBeDefined();
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
      expect(await page.locator(`a[href="/api/runs/${id}"]`).count()).toBeGreaterThan(0);
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
  }, 150_000);

  it('lists the failing tests on the status page in Chromium', async (ctx) => {
    const [executable] = requireTool(ctx, 'chromium');
    expect(failing, 'the failed run of the test before').toBeDefined();
    const profile = await mkdtemp(path.join(os.tmpdir(), 'sluice-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      ...chromiumOptions(executable),
      headless: true,
      viewport: { width: 390, height: 844 },
    });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(url);
      const tests = await page.locator('#tests').textContent();
      for (const test of failing ?? []) expect(tests).toContain(test.name);
      expect(tests).toContain('fail');
      await page.screenshot({ path: path.join(dir.path, 'status-page-tests.png'), fullPage: true });
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});
