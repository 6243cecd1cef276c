import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createNovaDriveSchema, generateNovaDrive, NOVADRIVE_TABLES } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { compareNovaDrive, writeNovaDriveProject } from './__tests__/novadrive-project.js';
import { runIngest } from './ingest.js';
import type { LoadedProject } from './project-config.js';

describe('runIngest: NovaDrive from Postgres into DuckDB', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let project: LoadedProject;
  let warehouse: Warehouse;
  let state: StateStore;

  beforeAll(async () => {
    db = await createTestDatabase('ingest');
    dir = await createTempDir();
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 2000, seed: 7 });
    });
    project = await writeNovaDriveProject(dir.path, db.url);
    warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
  });
  afterAll(async () => {
    await warehouse?.close();
    await state?.close();
    await db?.drop();
    await dir?.remove();
  });

  const ingest = () => runIngest({ project, warehouse, state, workDir: path.join(dir.path, 'work') });

  it('copies all seven tables: same row count and the same value in every column of every row', async () => {
    const result = await ingest();
    expect(result.status).toBe('success');
    expect(result.tables.map((t) => t.table).sort()).toEqual([...NOVADRIVE_TABLES].sort());
    for (const table of result.tables) {
      expect(table.status, `${table.table}: ${table.error?.message}`).toBe('success');
      expect(table.rows).toBeGreaterThan(0);
    }
    expect(await compareNovaDrive(db.url, warehouse)).toEqual([]);
  });

  it('loads every customer, including those who never bought anything', async () => {
    const [row] = await warehouse.query<{ n: unknown }>(
      'SELECT count(*) AS n FROM raw.clientes c WHERE NOT EXISTS (SELECT 1 FROM raw.vendas v WHERE v.id_clientes = c.id_clientes)',
    );
    expect(Number(row?.n)).toBeGreaterThan(0);
  });

  it('does no warehouse write when nothing changed', async () => {
    const result = await ingest();
    expect(result.status).toBe('success');
    for (const table of result.tables) {
      expect(table.status, table.table).toBe('unchanged');
      expect(table.warehouseStatements, table.table).toBe(0);
    }
  });

  it('refuses to run while another run holds the lock, naming the holder', async () => {
    const lock = await state.acquireLock('pipeline', { holder: 'a test run' });
    try {
      await expect(ingest()).rejects.toThrow(/a test run/);
    } finally {
      await lock.release();
    }
  });

  it('names host and port when the source cannot be reached, and writes nothing', async () => {
    const unreachable = await writeNovaDriveProject(
      path.join(dir.path, 'unreachable'),
      'postgres://someone:secret-password@127.0.0.1:1/nowhere',
    );
    const error = await runIngest({
      project: unreachable,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
    }).catch((e: unknown) => e);
    expect(String(error)).toContain('127.0.0.1:1');
    expect(String(error)).not.toContain('secret-password');
  });

  it('reports a bad table config with the table, the column and a suggestion', async () => {
    const broken = await writeNovaDriveProject(path.join(dir.path, 'broken'), db.url);
    const config = {
      ...broken.config,
      tables: {
        vendas: {
          ...broken.config.tables.vendas!,
          cursor: [{ coalesce: ['data_atualizacaoo', 'data_inclusao'] }, 'id_vendas'],
        },
      },
    };
    const before = await state.read('public.vendas');
    const result = await runIngest({
      project: { ...broken, config },
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
    });
    expect(result.status).toBe('failed');
    expect(result.tables[0]?.error?.message).toMatch(
      /column "data_atualizacaoo" does not exist in public\.vendas \(did you mean data_atualizacao\?\)/,
    );
    expect(await state.read('public.vendas')).toEqual(before);
  });
});
