import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { NOVADRIVE_TABLES } from '@sluice/novadrive';
import { createTempDir, type TestDatabase } from '@sluice/testing';
import { createFileStateStore } from '@sluice/watermark';
import {
  compareNovaDrive,
  createNovaDriveSource,
  post,
  startDaemon,
  writeNovaDriveProject,
  type DaemonProcess,
} from './daemon-fixture.js';

const TOKEN = 'sigterm-test-token-0123456789abcdef';

/**
 * The source's Sluice backends still waiting on a lock, polled until there are none (at most 15 s): ending a
 * connection does not stop a backend that waits on a lock, only a cancel on the server does.
 */
async function waitingSluiceBackends(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows } = await client.query<{ app: string; query: string }>(
        `SELECT application_name AS app, left(query, 60) AS query FROM pg_stat_activity
          WHERE datname = current_database() AND application_name LIKE 'sluice-%' AND wait_event_type = 'Lock'`,
      );
      if (rows.length === 0 || Date.now() > deadline) return rows.map((row) => `${row.app}: ${row.query}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

describe('sluice-scheduler: SIGTERM in the middle of a run', () => {
  let source: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    source = await createNovaDriveSource(5000);
    dir = await createTempDir();
    await writeNovaDriveProject(dir.path, {
      state: 'type: file\ndir: ${env:SLUICE_HOME}/state',
      // Once a year: only the API starts runs in this test.
      schedule: 'cron: "0 0 1 1 *"\ntimezone: UTC\nretries: { attempts: 1 }',
      parallelism: 1,
    });
    env = { SLUICE_SOURCE_URL: source.url, SLUICE_HOME: dir.path, SLUICE_SCHEDULER_TOKEN: TOKEN };
  });
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
    await source?.drop();
    await dir?.remove();
  });

  it('records the run interrupted, leaves no table half-loaded, and the next run completes the data', async () => {
    const first = startDaemon('first', ['--project', dir.path, '--grace', '0s'], env);
    daemons.push(first);
    const url = await first.url();
    await first.waitForLog((l) => l.msg === 'scheduler started', 'that the scheduler started');
    // Mid-run, for sure: tables load one at a time here, and the sales table (the last) is locked at the source,
    // so the run waits there with the six other tables loaded.
    const blocker = new pg.Client({ connectionString: source.url });
    await blocker.connect();
    let runId: string;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE vendas IN ACCESS EXCLUSIVE MODE');
      const started = await post(`${url}/api/runs`, TOKEN);
      expect(started.status).toBe(202);
      runId = String(started.json.id);
      await first.waitForLog(
        (l) => l.msg === 'table done' && l.table === 'clientes' && l.runId === runId,
        'the tables before vendas',
      );
      expect(await first.stop('SIGTERM')).toBe(0);
      // The lock is still held: the read of vendas waiting on it was cancelled on the server, not left waiting.
      expect(await waitingSluiceBackends(source.url)).toEqual([]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    expect(first.logs.some((l) => l.msg === 'the grace period ran out: cancelling the run in progress')).toBe(true);

    const state = createFileStateStore({ dir: path.join(dir.path, 'state') });
    const warehousePath = path.join(dir.path, 'warehouse.duckdb');
    try {
      const run = await state.getRun(runId);
      expect(run?.status).toBe('interrupted');
      expect(run?.trigger).toBe('api');
      const tables = (run?.detail.tables ?? []) as Array<{ table: string; status: string }>;
      expect(tables.find((t) => t.table === 'clientes')?.status).toBe('success');
      expect(tables.find((t) => t.table === 'vendas')?.status).toBe('cancelled');

      // Nothing half-loaded: a table with a watermark equals the source; a table without one is absent or empty.
      const warehouse = await createDuckDbWarehouse({ path: warehousePath });
      try {
        const loaded: string[] = [];
        const notLoaded: string[] = [];
        for (const table of NOVADRIVE_TABLES) {
          if (await state.read(`public.${table}`)) {
            loaded.push(table);
            expect(await compareNovaDrive(source.url, warehouse, [table]), table).toEqual([]);
          } else {
            notLoaded.push(table);
            const exists = await warehouse.describeTable({ schema: 'raw', name: table });
            if (exists) {
              const [row] = await warehouse.query<{ n: unknown }>(`SELECT count(*) AS n FROM raw.${table}`);
              expect(Number(row?.n), `${table} has no watermark but has rows`).toBe(0);
            }
          }
        }
        expect(loaded.sort()).toEqual(['cidades', 'clientes', 'concessionarias', 'estados', 'veiculos', 'vendedores']);
        expect(notLoaded).toEqual(['vendas']);
      } finally {
        await warehouse.close();
      }
    } finally {
      await state.close();
    }

    // The next start carries on: a new run completes the data.
    const second = startDaemon('second', ['--project', dir.path], env);
    daemons.push(second);
    const secondUrl = await second.url();
    await second.waitForLog((l) => l.msg === 'scheduler started', 'that the scheduler started');
    const again = await post(`${secondUrl}/api/runs`, TOKEN);
    expect(again.status).toBe(202);
    const finished = await second.waitForLog(
      (l) => l.msg === 'run finished' && l.runId === again.json.id,
      'the end of the second run',
    );
    expect(finished.status).toBe('success');
    expect(await second.stop('SIGTERM')).toBe(0);

    const warehouse = await createDuckDbWarehouse({ path: warehousePath });
    try {
      expect(await compareNovaDrive(source.url, warehouse)).toEqual([]);
    } finally {
      await warehouse.close();
    }
    // No secret in any log line.
    for (const line of [...first.logs, ...second.logs]) expect(JSON.stringify(line)).not.toContain(TOKEN);
  });

  it('cancels a run through the API: its source statement waiting on a lock is cancelled, the run recorded interrupted', async () => {
    const daemon = startDaemon('cancel', ['--project', dir.path], env);
    daemons.push(daemon);
    const url = await daemon.url();
    await daemon.waitForLog((l) => l.msg === 'scheduler started', 'that the scheduler started');
    const blocker = new pg.Client({ connectionString: source.url });
    await blocker.connect();
    try {
      await blocker.query('UPDATE vendas SET data_atualizacao = now() WHERE id_vendas % 7 = 0');
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE vendas IN ACCESS EXCLUSIVE MODE');
      const started = await post(`${url}/api/runs`, TOKEN);
      expect(started.status).toBe(202);
      const runId = String(started.json.id);
      await daemon.waitForLog(
        (l) => l.msg === 'table done' && l.table === 'clientes' && l.runId === runId,
        'the tables before vendas',
      );
      expect((await post(`${url}/api/runs/${runId}/cancel`, undefined)).status).toBe(401);
      expect((await post(`${url}/api/runs/no-such-run/cancel`, TOKEN)).status).toBe(404);
      const cancelled = await post(`${url}/api/runs/${runId}/cancel`, TOKEN);
      expect(cancelled).toMatchObject({ status: 202, json: { id: runId, status: 'cancelling' } });
      const finished = await daemon.waitForLog(
        (l) => l.msg === 'run finished' && l.runId === runId,
        'the end of the cancelled run',
      );
      expect(finished.status).toBe('interrupted');
      expect(String(finished.error)).toContain('cancelled through the API');
      expect(await waitingSluiceBackends(source.url)).toEqual([]);
      expect((await post(`${url}/api/runs/${runId}/cancel`, TOKEN)).json).toMatchObject({ error: 'NOT_HERE' });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    expect(await daemon.stop('SIGTERM')).toBe(0);
  });

  it('within the grace period: takes no new run, lets the running one finish, records it, then exits', async () => {
    const daemon = startDaemon('graceful', ['--project', dir.path, '--grace', '60s'], env);
    daemons.push(daemon);
    const url = await daemon.url();
    await daemon.waitForLog((l) => l.msg === 'scheduler started', 'that the scheduler started');
    const blocker = new pg.Client({ connectionString: source.url });
    await blocker.connect();
    try {
      // Hold the run in the middle: new sales arrive, and the sales table stays locked until we let go.
      await blocker.query('UPDATE vendas SET data_atualizacao = now() WHERE id_vendas % 10 = 0');
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE vendas IN ACCESS EXCLUSIVE MODE');
      const started = await post(`${url}/api/runs`, TOKEN);
      expect(started.status).toBe(202);
      const runId = String(started.json.id);
      await daemon.waitForLog(
        (l) => l.msg === 'table done' && l.table === 'clientes' && l.runId === runId,
        'the tables before vendas',
      );

      daemon.child.kill('SIGTERM');
      await daemon.waitForLog((l) => l.msg === 'stopping: no new runs are taken', 'that it stops');
      expect((await post(`${url}/api/runs`, TOKEN)).json).toMatchObject({ error: 'SHUTTING_DOWN' });
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await blocker.query('COMMIT');

      expect(await daemon.exited).toBe(0);
      const finished = daemon.logs.find((l) => l.msg === 'run finished' && l.runId === runId);
      expect(finished?.status).toBe('success');
      expect(daemon.logs.findIndex((l) => l.msg === 'run finished')).toBeLessThan(
        daemon.logs.findIndex((l) => l.msg === 'scheduler stopped'),
      );
      const state = createFileStateStore({ dir: path.join(dir.path, 'state') });
      try {
        expect((await state.getRun(runId))?.status).toBe('success');
      } finally {
        await state.close();
      }
    } finally {
      await blocker.end();
    }
    const warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
    try {
      expect(await compareNovaDrive(source.url, warehouse)).toEqual([]);
    } finally {
      await warehouse.close();
    }
  });
});
