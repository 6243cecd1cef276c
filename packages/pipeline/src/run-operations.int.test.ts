import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { openLineageProblems } from './__tests__/openlineage-spec.js';
import { writeNovaDriveProject } from './__tests__/novadrive-project.js';
import { lineageRunId, type LineageEvent } from './openlineage.js';
import type { LoadedProject } from './project-config.js';
import { readRunRecord, type RunDetail } from './run-record.js';
import { runPipeline, type PipelineEvent } from './run-pipeline.js';

/** Poll `probe` until it returns a value (not undefined), at most `timeoutMs`; fails with `what`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The source's Sluice backends and what they wait for. */
async function sluiceBackends(url: string): Promise<Array<{ pid: number; app: string; wait: string | null }>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ pid: number; app: string; wait: string | null }>(
      `SELECT pid, application_name AS app, wait_event_type AS wait FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'sluice-%' AND pid <> pg_backend_pid()`,
    );
    return result.rows;
  } finally {
    await client.end();
  }
}

describe('runPipeline: liveness, cancellation on the source and the warehouse, OpenLineage', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let warehouse: Warehouse;
  let state: StateStore;
  let receiver: http.Server;
  const received: Array<{ path: string; auth: string | undefined; event: LineageEvent }> = [];
  let receiverUrl: string;

  const project = (extra = ''): Promise<LoadedProject> => writeNovaDriveProject(dir.path, db.url, extra);

  beforeAll(async () => {
    db = await createTestDatabase('pipeops');
    dir = await createTempDir();
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 400, seed: 9 });
    });
    warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', auth: req.headers.authorization, event: JSON.parse(body) });
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/lineage`;
  });
  afterAll(async () => {
    await warehouse?.close();
    await state?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await db?.drop();
    await dir?.remove();
  });

  it('keeps a heartbeat with its progress while it runs; cancelling it cancels the source query waiting on a lock', async () => {
    const loaded = await project();
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    const controller = new AbortController();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE vendas IN ACCESS EXCLUSIVE MODE');
      const running = runPipeline({
        project: loaded,
        warehouse,
        state,
        workDir: path.join(dir.path, 'work'),
        trigger: 'test',
        runId: 'blocked-run',
        steps: ['ingest'],
        heartbeatMs: 100,
        signal: controller.signal,
        holder: 'liveness test',
      });
      running.catch(() => undefined);
      // The record shows who runs it and what is done so far, and its heartbeat moves.
      const first = await until('a heartbeat with the other tables done', async () => {
        const record = await state.getRun('blocked-run');
        const detail = record && readRunRecord(record).detail;
        return detail?.heartbeatAt && detail.tables.length >= 6 ? detail : undefined;
      });
      expect(first.holder).toEqual({ name: 'liveness test', host: os.hostname(), pid: process.pid });
      expect(first.log?.some((line) => line.msg.startsWith('table estados '))).toBe(true);
      await until('a later heartbeat', async () => {
        const record = await state.getRun('blocked-run');
        const at = record && readRunRecord(record).detail.heartbeatAt;
        return at && at > (first.heartbeatAt as string) ? at : undefined;
      });
      // A read of vendas waits on the lock in the source.
      await until('a Sluice backend waiting on the lock', async () =>
        (await sluiceBackends(db.url)).find((b) => b.wait === 'Lock'),
      );

      controller.abort(new Error('cancelled by the test'));
      const result = await running;
      expect(result.status).toBe('interrupted');
      expect(result.ingest?.tables.find((t) => t.table === 'vendas')?.status).toBe('cancelled');
      // The lock is still held: only a cancel on the server ends the wait (ending the connection alone does not).
      await until(
        'no Sluice backend left waiting on the lock',
        async () => ((await sluiceBackends(db.url)).some((b) => b.wait === 'Lock') ? undefined : true),
        15_000,
      );
      const record = await state.getRun('blocked-run');
      expect(record?.status).toBe('interrupted');
      const detail = readRunRecord(record!).detail;
      expect(detail.log?.at(-1)?.msg).toMatch(/^run interrupted after/);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  });

  it('cancelling during the build interrupts the warehouse statement under way', async () => {
    const loaded = await project();
    await mkdir(path.join(dir.path, 'models'), { recursive: true });
    // Minutes of DuckDB work: only an interrupt on the warehouse ends it early.
    await writeFile(
      path.join(dir.path, 'models', 'slow_model.sql'),
      "{{ config(materialized='table') }}\nselect count(*) as n from range(100000000000) a where a.range % 7 = 3",
    );
    try {
      const controller = new AbortController();
      const result = await runPipeline({
        project: loaded,
        warehouse,
        state,
        workDir: path.join(dir.path, 'work'),
        trigger: 'test',
        steps: ['build'],
        signal: controller.signal,
        onEvent: (event: PipelineEvent) => {
          if (event.type === 'build' && event.event.type === 'node-start') {
            setTimeout(() => controller.abort(new Error('cancelled during the build')), 200);
          }
        },
      });
      expect(
        result.status,
        JSON.stringify([result.error, result.build?.run.results.map((r) => [r.name, r.status, r.message])]),
      ).toBe('interrupted');
      expect(result.build?.run.results.find((r) => r.name === 'slow_model')?.status).toBe('cancelled');
      // The warehouse is free again: the interrupted statement does not hold it.
      expect(await warehouse.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await writeFile(
        path.join(dir.path, 'models', 'slow_model.sql'),
        "{{ config(materialized='table') }}\nselect 1 as n",
      );
    }
  });

  it('records abandoned the runs left running by a process that is gone, once it holds the lock', async () => {
    const loaded = await project();
    const long = new Date(Date.now() - 5 * 60_000);
    await state.saveRun({
      id: 'killed-elsewhere',
      trigger: 'schedule',
      status: 'running',
      startedAt: long,
      detail: {
        version: 1,
        attempts: { ingest: 1, build: 0 },
        tables: [{ table: 'estados', status: 'success', rows: 27, bytes: 600 }],
        models: [],
        tests: [],
        holder: { name: 'sluice-scheduler on web-9 pid 7', host: 'web-9', pid: 7 },
        heartbeatAt: new Date(long.getTime() + 20_000).toISOString(),
      },
    });
    const events: PipelineEvent[] = [];
    const result = await runPipeline({
      project: loaded,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      steps: ['ingest'],
      tables: ['estados'],
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe('success');
    const closed = await state.getRun('killed-elsewhere');
    expect(closed?.status).toBe('abandoned');
    expect(closed?.endedAt).toEqual(new Date(long.getTime() + 20_000));
    const detail = readRunRecord(closed!).detail;
    expect(detail.error?.code).toBe('ABANDONED');
    expect(detail.error?.message).toContain('sluice-scheduler on web-9 pid 7 (pid 7 on web-9) is gone');
    expect(detail.tables).toEqual([{ table: 'estados', status: 'success', rows: 27, bytes: 600 }]);
    expect(events.find((e) => e.type === 'runs-abandoned')).toMatchObject({ runs: [{ id: 'killed-elsewhere' }] });
  });

  it('with the source down, records every table it tried as failed with the reason, not an empty run', async () => {
    const down = await writeNovaDriveProject(path.join(dir.path, 'down'), 'postgres://sluice@127.0.0.1:1/nowhere');
    const result = await runPipeline({
      project: down,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      steps: ['ingest'],
    });
    expect(result.status).toBe('failed');
    const detail = readRunRecord((await state.getRun(result.runId))!).detail;
    expect(detail.tables).toHaveLength(7);
    for (const table of detail.tables) {
      expect(table.status).toBe('failed');
      expect(table.error?.code).toBe('SOURCE_UNREACHABLE');
    }
  });

  it('a run cancelled before its source answered records the reason it was cancelled, not the step it stopped', async () => {
    const reason = new Error('run timed out after 5 ms');
    const result = await runPipeline({
      project: await project(),
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      steps: ['ingest'],
      signal: AbortSignal.abort(reason),
    });
    expect(result.status).toBe('interrupted');
    expect(readRunRecord((await state.getRun(result.runId))!).detail.error).toEqual({
      code: 'INTERRUPTED',
      message: 'run timed out after 5 ms',
    });
    // Cancelled as its first table starts, while the tables connect to the source and the snapshot is taken.
    const controller = new AbortController();
    const during = await runPipeline({
      project: await project(),
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      steps: ['ingest'],
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'ingest' && event.event.type === 'table-start') controller.abort(reason);
      },
    });
    expect(during.status).toBe('interrupted');
    expect(readRunRecord((await state.getRun(during.runId))!).detail.error?.message).toBe('run timed out after 5 ms');
  });

  it('sends OpenLineage START and COMPLETE (then FAIL) to an HTTP endpoint, with datasets and row counts', async () => {
    received.length = 0;
    const loaded = await project(
      `openlineage:\n  url: ${receiverUrl}\n  api_key: lineage-key-123\n  namespace: novadrive-prod\n`,
    );
    await db.withClient((client) =>
      client.query(`UPDATE clientes SET data_atualizacao = now() WHERE id_clientes IN (1, 2, 3)`),
    );
    const ok = await runPipeline({
      project: loaded,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      runId: '20240310T060000Z-9f2c4a',
    });
    expect(ok.status, JSON.stringify(ok.error)).toBe('success');
    expect(received.map((r) => r.event.eventType)).toEqual(['START', 'COMPLETE']);
    for (const { event, auth, path: url } of received) {
      expect(openLineageProblems(event), JSON.stringify(event)).toEqual([]);
      expect(url).toBe('/api/v1/lineage');
      expect(auth).toBe('Bearer lineage-key-123');
      expect(event.run.runId).toBe(lineageRunId('20240310T060000Z-9f2c4a'));
      expect(event.job).toMatchObject({ namespace: 'novadrive-prod', name: 'novadrive.build' });
    }
    const complete = received[1]!.event;
    const port = new URL(db.url).port;
    const database = decodeURIComponent(new URL(db.url).pathname.slice(1));
    const clientes = complete.inputs.find((d) => d.name === `${database}.public.clientes`);
    expect(clientes?.namespace).toBe(`postgres://127.0.0.1:${port}`);
    expect(clientes?.inputFacets?.inputStatistics).toMatchObject({ rowCount: 3 });
    const rawClientes = complete.outputs.find((d) => d.name === 'warehouse.raw.clientes');
    expect(rawClientes?.namespace).toBe(`duckdb://${os.hostname()}`);
    expect(rawClientes?.outputFacets?.outputStatistics).toMatchObject({ rowCount: 3 });
    expect(complete.outputs.map((d) => d.name)).toContain('warehouse.analytics.slow_model');
    expect(JSON.stringify(received)).not.toContain(new URL(db.url).password || '\u0000');

    // A failing run: FAIL with the error.
    received.length = 0;
    await db.withClient((client) => client.query('ALTER TABLE vendas RENAME COLUMN data_atualizacao TO data_alt'));
    try {
      const failed = await runPipeline({
        project: loaded,
        warehouse,
        state,
        workDir: path.join(dir.path, 'work'),
        trigger: 'test',
        steps: ['ingest'],
      });
      expect(failed.status).toBe('failed');
    } finally {
      await db.withClient((client) => client.query('ALTER TABLE vendas RENAME COLUMN data_alt TO data_atualizacao'));
    }
    expect(received.map((r) => r.event.eventType)).toEqual(['START', 'FAIL']);
    const fail = received[1]!.event;
    expect(openLineageProblems(fail)).toEqual([]);
    expect(fail.job.name).toBe('novadrive.ingest');
    expect(String(fail.run.facets.errorMessage?.message)).toMatch(/data_atualizacao/);
  });

  it('appends OpenLineage events to a file, and a dead endpoint never fails the run', async () => {
    const file = await project('openlineage:\n  file: lineage/events.jsonl\n');
    const run = await runPipeline({
      project: file,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      steps: ['ingest'],
      tables: ['estados'],
    });
    expect(run.status).toBe('success');
    const lines = (await readFile(path.join(dir.path, 'lineage', 'events.jsonl'), 'utf8')).trim().split('\n');
    const events = lines.map((line) => JSON.parse(line) as LineageEvent);
    expect(events.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    for (const event of events) expect(openLineageProblems(event)).toEqual([]);
    expect(events[1]?.inputs.map((d) => d.name.split('.').at(-1))).toEqual(['estados']);

    const dead = await project('openlineage:\n  url: http://127.0.0.1:1/api/v1/lineage\n  timeout: 2s\n');
    const events2: PipelineEvent[] = [];
    const still = await runPipeline({
      project: dead,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      steps: ['ingest'],
      tables: ['estados'],
      onEvent: (event) => events2.push(event),
    });
    expect(still.status).toBe('success');
    const failures = events2.filter((e) => e.type === 'lineage-failed');
    expect(failures.map((e) => (e as { eventType: string }).eventType)).toEqual(['START', 'COMPLETE']);
    const detail: RunDetail = readRunRecord((await state.getRun(still.runId))!).detail;
    expect(detail.log?.some((line) => line.msg.startsWith('OpenLineage START event not delivered'))).toBe(true);
  });
});
