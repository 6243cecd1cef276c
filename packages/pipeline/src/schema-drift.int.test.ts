import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { runIngest } from './ingest.js';
import { loadProjectConfig, type LoadedProject } from './project-config.js';

describe('schema drift in the source', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let project: LoadedProject;
  let warehouse: Warehouse;
  let state: StateStore;

  beforeAll(async () => {
    db = await createTestDatabase('drift');
    dir = await createTempDir();
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE items (id int PRIMARY KEY, name varchar(10) NOT NULL, qty int, price numeric(6,2), note text,
                                              updated_at timestamp NOT NULL DEFAULT '2024-01-01')`);
      await client.query(
        `CREATE TABLE other (id int PRIMARY KEY, label text, updated_at timestamp NOT NULL DEFAULT '2024-01-01')`,
      );
      await client.query(
        `INSERT INTO items (id, name, qty, price, note) VALUES (1, 'one', 1, 1.50, 'first'), (2, 'two', 2, 2.50, 'second')`,
      );
      await client.query(`INSERT INTO other (id, label) VALUES (1, 'a')`);
    });
    await mkdir(dir.path, { recursive: true });
    await writeFile(
      path.join(dir.path, 'sluice.yml'),
      `name: drift
source: { url: "${db.url}" }
targets: { dev: { type: duckdb, path: warehouse.duckdb } }
target: dev
state: { type: file, dir: state }
tables:
  items: { strategy: upsert, cursor: [updated_at, id] }
  other: { strategy: upsert, cursor: [updated_at, id] }
`,
    );
    project = await loadProjectConfig(dir.path);
    warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
    const first = await runIngest({ project, warehouse, state, workDir: path.join(dir.path, 'work') });
    expect(first.status).toBe('success');
  });
  afterAll(async () => {
    await warehouse?.close();
    await state?.close();
    await db?.drop();
    await dir?.remove();
  });

  const ingest = () => runIngest({ project, warehouse, state, workDir: path.join(dir.path, 'work') });

  it('adds a new column, widens widened types, keeps a dropped column (NULL for rows loaded since)', async () => {
    await db.withClient(async (client) => {
      await client.query(`ALTER TABLE items ADD COLUMN color text`);
      await client.query(
        `ALTER TABLE items ALTER COLUMN name TYPE varchar(40), ALTER COLUMN qty TYPE bigint, ALTER COLUMN price TYPE numeric(12,2)`,
      );
      await client.query(`ALTER TABLE items DROP COLUMN note`);
      await client.query(
        `UPDATE items SET color = 'blue', qty = 9007199254740993, updated_at = '2024-02-01' WHERE id = 2`,
      );
      await client.query(
        `INSERT INTO items (id, name, qty, price, color, updated_at) VALUES (3, 'a much longer name than before', 3, 1234567890.12, 'red', '2024-02-01')`,
      );
    });
    const result = await ingest();
    expect(result.status).toBe('success');
    const items = result.tables.find((t) => t.table === 'items');
    expect(items?.schemaChanges.addedColumns).toEqual(['color']);
    expect([...(items?.schemaChanges.widenedColumns ?? [])].sort()).toEqual(['name', 'price', 'qty']);
    expect(items?.schemaChanges.droppedColumns).toEqual(['note']);
    const rows = await warehouse.query(
      `SELECT id, name, CAST(qty AS VARCHAR) AS qty, CAST(price AS VARCHAR) AS price, note, color FROM raw.items ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, name: 'one', qty: '1', price: '1.50', note: 'first', color: null },
      { id: 2, name: 'two', qty: '9007199254740993', price: '2.50', note: 'second', color: 'blue' },
      { id: 3, name: 'a much longer name than before', qty: '3', price: '1234567890.12', note: null, color: 'red' },
    ]);
  });

  it('stops only that table on an incompatible change, naming table, column, both types and the remedy', async () => {
    await db.withClient(async (client) => {
      await client.query(`ALTER TABLE items ALTER COLUMN color TYPE integer USING length(color)`);
      await client.query(`UPDATE items SET updated_at = '2024-03-01' WHERE id = 1`);
      await client.query(`INSERT INTO other (id, label, updated_at) VALUES (2, 'b', '2024-03-01')`);
    });
    const before = await state.read('public.items');
    const result = await ingest();
    expect(result.status).toBe('failed');
    const items = result.tables.find((t) => t.table === 'items');
    expect(items?.status).toBe('failed');
    expect(items?.error?.code).toBe('INCOMPATIBLE_SCHEMA_CHANGE');
    expect(items?.error?.message).toMatch(/items/);
    expect(items?.error?.message).toMatch(/color/);
    expect(items?.error?.message).toMatch(/text/);
    expect(items?.error?.message).toMatch(/integer/);
    expect(items?.error?.message).toMatch(/resync|reset/i);
    expect(await state.read('public.items')).toEqual(before);
    // The other table went on.
    expect(result.tables.find((t) => t.table === 'other')?.status).toBe('success');
    const [count] = await warehouse.query<{ n: unknown }>('SELECT count(*) AS n FROM raw.other');
    expect(Number(count?.n)).toBe(2);
  });
});
