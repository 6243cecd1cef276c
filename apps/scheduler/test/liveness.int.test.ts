import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, requireTool, type TestDatabase } from '@sluice/testing';
import { horizontalOverflow, withPhoneBrowser } from './chromium.js';
import {
  createNovaDriveSource,
  post,
  startDaemon,
  writeNovaDriveProject,
  type DaemonProcess,
} from './daemon-fixture.js';

const TOKEN = 'liveness-test-token-0123456789abcdef';

/** Poll `probe` until it returns a value, at most `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A TCP proxy to the state Postgres that the test can cut: the state store "goes down" without touching the server. */
async function startCuttableProxy(target: URL): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('sluice-scheduler: a daemon killed with -9 in the middle of a run, seen from another daemon', () => {
  let source: TestDatabase;
  let stateDb: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let hook: http.Server;
  const alerts: Array<{ text: string; attachments: Array<{ text: string }> }> = [];
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    [source, stateDb] = await Promise.all([createNovaDriveSource(400), createTestDatabase('lstate')]);
    dir = await createTempDir();
    await writeNovaDriveProject(dir.path, {
      state: 'type: postgres\nurl: ${env:SLUICE_STATE_URL}\nschema: sluice_state',
      schedule:
        'cron: "0 0 1 1 *"\ntimezone: UTC\nretries: { attempts: 1 }\nalerts: { webhook_url: "${env:ALERT_HOOK:-}" }',
      parallelism: 1,
    });
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        alerts.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
    await new Promise<void>((resolve) => (hook ? hook.close(() => resolve()) : resolve()));
    await source?.drop();
    await stateDb?.drop();
    await dir?.remove();
  });

  it('is recorded abandoned by the other daemon; its page shows the last finished outcome beside the run in progress', async (ctx) => {
    const [chromiumPath] = requireTool(ctx, 'chromium');
    const env = {
      SLUICE_SOURCE_URL: source.url,
      SLUICE_HOME: dir.path,
      SLUICE_STATE_URL: stateDb.url,
      SLUICE_SCHEDULER_TOKEN: TOKEN,
      ALERT_HOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
    };
    const a = startDaemon('a', ['--project', dir.path], env);
    const b = startDaemon('b', ['--project', dir.path], env);
    daemons.push(a, b);
    const [urlA, urlB] = await Promise.all([a.url(), b.url()]);
    await Promise.all([
      a.waitForLog((l) => l.msg === 'scheduler started', 'that a started'),
      b.waitForLog((l) => l.msg === 'scheduler started', 'that b started'),
    ]);

    // A failed run first (a source column renamed): the last finished run is a failure.
    await source.withClient((client) => client.query('ALTER TABLE vendas RENAME COLUMN data_atualizacao TO data_alt'));
    const failed = await post(`${urlA}/api/runs`, TOKEN);
    expect(failed.status).toBe(202);
    await a.waitForLog((l) => l.msg === 'run finished' && l.runId === failed.json.id, 'the failed run');
    await source.withClient((client) => client.query('ALTER TABLE vendas RENAME COLUMN data_alt TO data_atualizacao'));
    await a.waitForLog((l) => l.msg === 'alert sent' && l.runId === failed.json.id, 'the failure alert');
    // The alert goes out before the run is done with (pruning comes after): a started only once it is idle.
    await until('a idle after the failed run', async () => {
      const status = (await (await fetch(`${urlA}/api/status`)).json()) as { current: unknown };
      return status.current === null ? true : undefined;
    });

    // Then a run held at the sales table by a lock in the source.
    const blocker = new pg.Client({ connectionString: source.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE vendas IN ACCESS EXCLUSIVE MODE');
      const started = await post(`${urlA}/api/runs`, TOKEN);
      expect(started.status).toBe(202);
      const runId = String(started.json.id);
      await a.waitForLog(
        (l) => l.msg === 'table done' && l.table === 'clientes' && l.runId === runId,
        'the tables before vendas',
      );
      // The other daemon sees the run in progress with its heartbeat, and the failed run beside it.
      const live = await until('a heartbeat seen from b', async () => {
        const run = (await (await fetch(`${urlB}/api/runs/${runId}`)).json()) as {
          status: string;
          detail: { heartbeatAt?: string; holder?: { pid: number }; tables: unknown[] };
        };
        return run.status === 'running' && run.detail.heartbeatAt && run.detail.tables.length >= 6 ? run : undefined;
      });
      expect(live.detail.holder?.pid).toBe(a.child.pid);
      await withPhoneBrowser(chromiumPath, async (page) => {
        await until('the run in progress on b’s page', async () => {
          await page.goto(urlB);
          const text = (await page.locator('main').textContent()) ?? '';
          return text.includes(`Running now (another process): ${runId}`) ? text : undefined;
        });
        const text = (await page.locator('main').textContent()) ?? '';
        // The failure is not hidden by the run in progress.
        expect(text).toContain('Needs attention');
        expect(text).toContain('Last run failed');
        expect(text).toMatch(/Table vendas: .*data_atualizacao/);
        expect(await page.locator('.badge.running').count()).toBe(1);
        expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      });

      // kill -9: no chance to record anything.
      a.child.kill('SIGKILL');
      await a.exited;
      const abandoned = await until(
        'the killed run recorded abandoned by b',
        async () => {
          const run = (await (await fetch(`${urlB}/api/runs/${runId}`)).json()) as {
            status: string;
            detail: { error?: { code: string; message: string }; tables: Array<{ table: string; status: string }> };
          };
          return run.status === 'abandoned' ? run : undefined;
        },
        60_000,
      );
      expect(abandoned.detail.error?.code).toBe('ABANDONED');
      expect(abandoned.detail.error?.message).toContain(`pid ${a.child.pid}`);
      // What it had done stays in its record.
      expect(['success', 'unchanged']).toContain(abandoned.detail.tables.find((t) => t.table === 'clientes')?.status);
      // b logs it after the record is saved: the line may reach us a moment after the API answered.
      await b.waitForLog(
        (l) => l.msg === 'a run left running by a process that is gone is now recorded abandoned' && l.runId === runId,
        'b logging the run abandoned',
      );
      await withPhoneBrowser(chromiumPath, async (page) => {
        await page.goto(urlB);
        const text = (await page.locator('main').textContent()) ?? '';
        expect(text).toContain('Last run abandoned');
        expect(text).not.toContain('Running now');
        await page.goto(`${urlB}/runs/${runId}`);
        const runText = (await page.locator('main').textContent()) ?? '';
        expect(runText).toContain('ABANDONED');
        expect(runText).toContain('What to do');
        expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }

    // One alert for the streak (failed, then abandoned), and a recovery once a run succeeds.
    const recovered = await post(`${urlB}/api/runs`, TOKEN);
    expect(recovered.status).toBe(202);
    await b.waitForLog((l) => l.msg === 'run finished' && l.runId === recovered.json.id, 'the recovery run', 90_000);
    await b.waitForLog((l) => l.msg === 'alert sent' && l.runId === recovered.json.id, 'the recovery alert');
    expect(alerts.map((alert) => alert.text)).toEqual([
      ':red_circle: Sluice run failed — novadrive',
      ':large_green_circle: Sluice recovered — novadrive',
    ]);
  }, 240_000);

  it('keeps serving the last known metrics, with sluice_state_store_up 0, while the state store is down', async () => {
    const proxy = await startCuttableProxy(new URL(stateDb.url));
    const viaProxy = new URL(stateDb.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const daemon = startDaemon('c', ['--project', dir.path], {
      SLUICE_SOURCE_URL: source.url,
      SLUICE_HOME: dir.path,
      SLUICE_STATE_URL: viaProxy.toString(),
      SLUICE_SCHEDULER_TOKEN: TOKEN,
    });
    daemons.push(daemon);
    try {
      const url = await daemon.url();
      await daemon.waitForLog((l) => l.msg === 'scheduler started', 'that it started');
      let before = await (await fetch(`${url}/metrics`)).text();
      // The test above leaves finished runs in the store; where it was skipped (no Chromium), this daemon makes one.
      if (!/^sluice_last_run_duration_seconds /m.test(before)) {
        const run = await post(`${url}/api/runs`, TOKEN);
        expect(run.status).toBe(202);
        await daemon.waitForLog((l) => l.msg === 'run finished' && l.runId === run.json.id, 'a finished run', 90_000);
        before = await until('the finished run in the metrics', async () => {
          const text = await (await fetch(`${url}/metrics`)).text();
          return /^sluice_last_run_duration_seconds /m.test(text) ? text : undefined;
        });
      }
      expect(before).toContain('sluice_state_store_up 1');
      const lastDuration = /^sluice_last_run_duration_seconds (\S+)$/m.exec(before)?.[1];
      expect(lastDuration).toBeDefined();

      proxy.cut();
      // Past the one-second cache of the history: the next scrape has to ask the store.
      const during = await until('a scrape that finds the store down', async () => {
        const response = await fetch(`${url}/metrics`);
        const text = await response.text();
        return response.status === 200 && text.includes('sluice_state_store_up 0') ? text : undefined;
      });
      expect(during).toContain(`sluice_last_run_duration_seconds ${lastDuration}`);
      expect(during).toMatch(/^sluice_table_last_loaded_timestamp_seconds\{table="clientes"\} \d/m);
      expect(during).toMatch(/^process_resident_memory_bytes \d/m);
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('The state store cannot be read');
    } finally {
      await daemon.stop('SIGKILL');
      await proxy.close();
    }
  }, 120_000);
});
