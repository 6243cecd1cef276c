import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { compareNovaDrive, writeNovaDriveProject } from './__tests__/novadrive-project.js';
import type { LoadedProject } from './project-config.js';
import { runPipeline } from './run-pipeline.js';

describe('runPipeline', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let project: LoadedProject;
  let warehouse: Warehouse;
  let state: StateStore;

  beforeAll(async () => {
    db = await createTestDatabase('pipeline');
    dir = await createTempDir();
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 500, seed: 5 });
    });
    project = await writeNovaDriveProject(dir.path, db.url);
    await mkdir(path.join(dir.path, 'models'), { recursive: true });
    await writeFile(
      path.join(dir.path, 'models', 'vendas_por_dia.sql'),
      `select cast(data_venda as date) as dia, count(*) as n from raw.vendas group by 1`,
    );
    warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
  });
  afterAll(async () => {
    await warehouse?.close();
    await state?.close();
    await db?.drop();
    await dir?.remove();
  });

  it('drains between steps: the step under way finishes, the next does not start, the run is recorded interrupted', async () => {
    const drain = new AbortController();
    const run = await runPipeline({
      project,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      drain: drain.signal,
      onEvent: (event) => {
        if (event.type === 'ingest' && event.event.type === 'table-start') drain.abort(new Error('SIGTERM'));
      },
    });
    expect(run.status).toBe('interrupted');
    expect(run.ingest?.status).toBe('success');
    expect(run.build).toBeUndefined();
    expect(run.error).toEqual({ code: 'INTERRUPTED', message: 'SIGTERM' });
    // What the finished step loaded is complete and committed.
    expect(await compareNovaDrive(db.url, warehouse)).toEqual([]);
    const record = await state.getRun(run.runId);
    expect(record?.status).toBe('interrupted');
  });

  it('runs ingest then the models, and records both in the run history', async () => {
    const run = await runPipeline({ project, warehouse, state, workDir: path.join(dir.path, 'work'), trigger: 'test' });
    expect(run.status).toBe('success');
    expect(run.build?.run.results.map((r) => [r.name, r.status])).toEqual([['vendas_por_dia', 'success']]);
    const record = await state.getRun(run.runId);
    expect(record?.status).toBe('success');
    expect((record!.detail.models as { name: string; status: string }[]).map((m) => m.status)).toEqual(['success']);
    expect((record!.detail.tables as unknown[]).length).toBe(7);
  });
});
