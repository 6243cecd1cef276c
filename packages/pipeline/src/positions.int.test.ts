import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createNovaDriveSchema, generateNovaDrive, NOVADRIVE_TABLES } from '@sluice/novadrive';
import {
  createTempDir,
  createTestDatabase,
  diffFingerprints,
  fingerprintPostgresTable,
  fingerprintWarehouseTable,
  type TestDatabase,
} from '@sluice/testing';
import { STATE_TABLE, type Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { compareNovaDrive, writeNovaDriveProject } from './__tests__/novadrive-project.js';
import { changeNovaDrive } from './__tests__/source-changes.js';
import { runIngest, type IngestEvent, type IngestResult } from './ingest.js';
import { loadProjectConfig, type LoadedProject } from './project-config.js';
import { resetPositions } from './reset-positions.js';

/*
 * Positions live with the data: a warehouse that is replaced, restored to an older copy, or loses a raw table is
 * detected at the next run, which loads exactly what is missing — the warehouse ends equal to the source, row for
 * row — and says why. Positions kept in the state store by an earlier version move into the warehouse; a raw table
 * another tool loaded can be adopted; a first load interrupted after some ranges resumes at the next one.
 */
describe('positions live with the data (DuckDB)', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let project: LoadedProject;
  let state: StateStore;
  let file: string;
  let round = 0;

  beforeAll(async () => {
    db = await createTestDatabase('positions');
    dir = await createTempDir();
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 1500, seed: 7 });
    });
    project = await writeNovaDriveProject(dir.path, db.url);
    file = path.join(dir.path, '.sluice', 'warehouse.duckdb');
    state = createStateStore({ type: 'file', dir: path.join(dir.path, '.sluice', 'state') });
  }, 120_000);
  afterAll(async () => {
    await state?.close();
    await db?.drop();
    await dir?.remove();
  });

  /** Open the warehouse file, run `work`, close it (so that the file can be deleted or replaced between runs). */
  async function withWarehouse<T>(work: (warehouse: Warehouse) => Promise<T>): Promise<T> {
    const warehouse = await createDuckDbWarehouse({ path: file });
    try {
      return await work(warehouse);
    } finally {
      await warehouse.close();
    }
  }

  /** A day of changes, then one ingest; the result and every difference from the source afterwards. */
  async function changeAndIngest(
    options: { project?: LoadedProject; change?: boolean; onEvent?: (event: IngestEvent) => void } = {},
  ): Promise<{ result: IngestResult; differences: string[] }> {
    if (options.change !== false) {
      round += 1;
      await db.withClient((client) => changeNovaDrive(client as pg.Client, round));
    }
    return withWarehouse(async (warehouse) => {
      const result = await runIngest({
        project: options.project ?? project,
        warehouse,
        state,
        workDir: path.join(dir.path, 'work'),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      return { result, differences: await compareNovaDrive(db.url, warehouse) };
    });
  }

  const table = (result: IngestResult, name: string) => {
    const found = result.tables.find((t) => t.table === name);
    if (!found) throw new Error(`no result for ${name}`);
    return found;
  };
  const failures = (result: IngestResult) =>
    result.tables.filter((t) => t.status === 'failed').map((t) => `${t.table}: ${t.error?.message}`);

  it('the first run writes every position into the warehouse, with the rows', async () => {
    const { result, differences } = await changeAndIngest({ change: false });
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    expect(result.positions).toBe('missing'); // a new warehouse: no state table yet
    const entries = await withWarehouse(async (warehouse) => (await warehouse.readState('raw', 'ingest')).entries);
    expect(entries.map((e) => e.key).sort()).toEqual(NOVADRIVE_TABLES.map((t) => `public.${t}`).sort());
    expect(entries.every((e) => e.runId === result.runId && e.version >= 1)).toBe(true);
    // The state store keeps a copy of each, naming the warehouse version it copies.
    const copies = await state.readAll();
    expect(copies.map((c) => [c.table, c.position.stateVersion])).toEqual(
      entries.map((e) => [e.key, String(e.version)]),
    );
  });

  it('a deleted warehouse file: the next run loads every table again, and says why', async () => {
    await rm(file, { force: true });
    await rm(`${file}.wal`, { force: true });
    const { result, differences } = await changeAndIngest();
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    expect(result.positions).toBe('missing');
    for (const name of NOVADRIVE_TABLES) {
      const outcome = table(result, name);
      expect(outcome.status, name).toBe('success');
      expect(outcome.notes?.join(' '), name).toMatch(/no Sluice state .* a new or replaced warehouse/);
    }
  });

  it('an older copy of the warehouse restored: the next run loads what the copy lacks, from its own positions', async () => {
    const backup = path.join(dir.path, 'warehouse-backup.duckdb');
    await copyFile(file, backup);
    const newer = await changeAndIngest();
    expect(newer.differences).toEqual([]);
    await copyFile(backup, file);
    await rm(`${file}.wal`, { force: true });
    const { result, differences } = await changeAndIngest();
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    const vendas = table(result, 'vendas');
    expect(vendas.notes?.join(' ')).toMatch(/older position .* restored from an older copy/);
    // It read from the copy's position on, not the whole table again.
    const [total] = await db.withClient(
      async (client) => (await client.query('SELECT count(*)::int AS n FROM vendas')).rows,
    );
    expect(vendas.rows).toBeLessThan(Number(total?.n));
    expect(vendas.rows).toBeGreaterThan(0);
  });

  it('a raw table dropped by hand is loaded again; the others go on from their positions', async () => {
    await changeAndIngest({ change: false }); // settle
    await withWarehouse((warehouse) => warehouse.execute('DROP TABLE raw.vendas'));
    const { result, differences } = await changeAndIngest({ change: false });
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    expect(table(result, 'vendas').notes?.join(' ')).toMatch(/raw\.vendas is not in the warehouse/);
    expect(table(result, 'vendas').inserted).toBeGreaterThan(0);
    for (const name of NOVADRIVE_TABLES.filter((t) => t !== 'vendas')) {
      expect(table(result, name).status, name).toBe('unchanged');
      expect(table(result, name).warehouseStatements, name).toBe(0);
    }
  });

  it('positions an earlier version kept in the state store move into the warehouse on the first run', async () => {
    // As an earlier version left things: positions only in the state store, no state table in the warehouse.
    for (const copy of await state.readAll()) {
      const { stateVersion: _version, ...position } = copy.position;
      await state.commit(copy.table, position, { runId: 'earlier-version' });
    }
    await withWarehouse((warehouse) => warehouse.execute(`DROP TABLE raw.${STATE_TABLE}; DROP TABLE raw.veiculos`));
    const { result, differences } = await changeAndIngest();
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    for (const name of NOVADRIVE_TABLES.filter((t) => t !== 'veiculos')) {
      expect(table(result, name).notes?.join(' '), name).toMatch(/moved from the state store into the warehouse/);
    }
    // Its raw table gone, a table's old position is not moved: it is loaded from the start.
    expect(table(result, 'veiculos').notes?.join(' ')).toMatch(/not in the warehouse\): not moved|not moved/);
    const entries = await withWarehouse(async (warehouse) => (await warehouse.readState('raw', 'ingest')).entries);
    expect(entries.map((e) => e.key).sort()).toEqual(NOVADRIVE_TABLES.map((t) => `public.${t}`).sort());
    // Moved once: the next run starts from the warehouse, and nothing changed.
    const again = await changeAndIngest({ change: false });
    expect(again.result.tables.map((t) => [t.table, t.status, t.notes ?? []]).sort()).toEqual(
      NOVADRIVE_TABLES.map((name) => [name, 'unchanged', []]).sort(),
    );
  });

  it('adopt: a raw table another tool loaded is compared per key range, and only the difference is loaded', async () => {
    // The cut-over: raw tables loaded elsewhere, Sluice has no position for them.
    await withWarehouse((warehouse) => warehouse.execute(`DROP TABLE raw.${STATE_TABLE}`));
    for (const copy of await state.readAll()) await state.reset(copy.table, { reason: 'test: another tool' });
    await withWarehouse(async (warehouse) => {
      // The other tool lost some rows and kept one the source deleted.
      await warehouse.execute('DELETE FROM raw.vendas WHERE id_vendas % 97 = 3');
      await warehouse.execute(
        'INSERT INTO raw.vendas SELECT * REPLACE (id_vendas + 10000000 AS id_vendas) FROM raw.vendas ORDER BY id_vendas LIMIT 1',
      );
    });
    const yml = path.join(dir.path, 'sluice.yml');
    const text = await readFile(yml, 'utf8');
    await writeFile(yml, text.replace(/( {4}cursor: .*id_vendas\]\n)/, '$1    adopt: true\n'));
    const adopting = await loadProjectConfig(dir.path, {
      SLUICE_SOURCE_URL: db.url,
      SLUICE_HOME: path.join(dir.path, '.sluice'),
    });
    expect(adopting.config.tables.vendas?.adopt).toBe(true);
    const { result, differences } = await changeAndIngest({ project: adopting });
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    const vendas = table(result, 'vendas');
    expect(vendas.notes?.join(' ')).toMatch(/adopted raw\.vendas/);
    expect(vendas.reconcile?.restored).toBeGreaterThan(0);
    expect(vendas.reconcile?.deleted).toBeGreaterThan(0);
    // Only the difference was read: the new and changed rows past the newest cursor, and the missing keys.
    const [total] = await db.withClient(
      async (client) => (await client.query('SELECT count(*)::int AS n FROM vendas')).rows,
    );
    expect(vendas.rows).toBeLessThan(Number(total?.n) / 4);
    // A table without adopt that Sluice has no position for is replaced, and the report says so.
    expect(table(result, 'clientes').notes?.join(' ')).toMatch(
      /holds rows Sluice has no position for .*: replacing them/,
    );
    await writeFile(yml, text);
  });

  it('state reset forgets a position in the warehouse and in the copy: the next run reloads that table only', async () => {
    const resets = await withWarehouse((warehouse) =>
      resetPositions({ project, warehouse, state, tables: ['vendas', 'estados'] }),
    );
    expect(resets.map((r) => [r.key, r.had])).toEqual([
      ['public.vendas', true],
      ['public.estados', true],
    ]);
    const keys = await withWarehouse(async (warehouse) =>
      (await warehouse.readState('raw', 'ingest')).entries.map((e) => e.key),
    );
    expect(keys).not.toContain('public.vendas');
    expect((await state.read('public.vendas'))?.position).toBeUndefined();
    const { result, differences } = await changeAndIngest({ change: false });
    expect(differences).toEqual([]);
    const [total] = await db.withClient(
      async (client) => (await client.query('SELECT count(*)::int AS n FROM vendas')).rows,
    );
    expect(table(result, 'vendas').rows).toBe(Number(total?.n));
    expect(table(result, 'clientes').status).toBe('unchanged');
  });
});

describe('a first load interrupted after some ranges resumes at the next range (DuckDB)', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let project: LoadedProject;
  let state: StateStore;
  let file: string;

  beforeAll(async () => {
    db = await createTestDatabase('resume');
    dir = await createTempDir();
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE big (id bigint PRIMARY KEY, at timestamp NOT NULL, pad text)`);
      await client.query(
        `INSERT INTO big SELECT i, timestamp '2024-01-01' + i * interval '1 second', repeat(md5(i::text), 5)
           FROM generate_series(1, 40000) i`,
      );
      await client.query('VACUUM ANALYZE big');
    });
    file = path.join(dir.path, 'warehouse.duckdb');
    await writeFile(
      path.join(dir.path, 'sluice.yml'),
      [
        'name: resume',
        'source: { url: "${env:SLUICE_SOURCE_URL}", schema: public }',
        'targets: { dev: { type: duckdb, path: warehouse.duckdb } }',
        'target: dev',
        'state: { type: file, dir: state }',
        'ingest: { first_load_range_mb: 1, first_load_parallelism: 2 }',
        'tables:',
        '  big: { strategy: upsert, cursor: [at, id], deletes: reconcile }',
        '',
      ].join('\n'),
    );
    project = await loadProjectConfig(dir.path, { SLUICE_SOURCE_URL: db.url });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
  }, 120_000);
  afterAll(async () => {
    await state?.close();
    await db?.drop();
    await dir?.remove();
  });

  async function ingest(signal?: AbortController, stopAfter = Number.POSITIVE_INFINITY) {
    const warehouse = await createDuckDbWarehouse({ path: file });
    const ranges: { done: number; ranges: number }[] = [];
    try {
      const result = await runIngest({
        project,
        warehouse,
        state,
        workDir: path.join(dir.path, 'work'),
        ...(signal ? { signal: signal.signal } : {}),
        onEvent: (event) => {
          if (event.type !== 'range-committed') return;
          ranges.push({ done: event.done, ranges: event.ranges });
          if (event.done >= stopAfter) signal?.abort(new Error('stopped by the test'));
        },
      });
      const source = await db.withClient((client) =>
        fingerprintPostgresTable(client as pg.Client, { schema: 'public', name: 'big' }, ['id', 'at', 'pad'], ['id']),
      );
      const target = await fingerprintWarehouseTable(
        warehouse,
        { schema: 'raw', name: 'big' },
        ['id', 'at', 'pad'],
        ['id'],
      );
      const entry = (await warehouse.readState('raw', 'ingest')).entries[0];
      return { result, ranges, differences: diffFingerprints(source, target), entry };
    } finally {
      await warehouse.close();
    }
  }

  it('commits the ranges one by one, and a second run reads only the rest, then what changed meanwhile', async () => {
    const controller = new AbortController();
    const stopped = await ingest(controller, 3);
    expect(stopped.result.tables[0]?.status).toBe('cancelled');
    const total = stopped.ranges[0]?.ranges ?? 0;
    expect(total).toBeGreaterThan(5);
    const committed = stopped.ranges.length;
    expect(committed).toBeGreaterThanOrEqual(3);
    expect(committed).toBeLessThan(total);
    expect(stopped.entry?.value).toMatchObject({ firstLoad: { done: expect.any(Array) } });

    // Meanwhile the source changes everywhere: rows of committed ranges updated (they move), deleted, inserted.
    await db.withClient(async (client) => {
      await client.query(`UPDATE big SET pad = 'changed', at = at + interval '100 days' WHERE id % 50 = 0`);
      await client.query(`DELETE FROM big WHERE id % 77 = 1`);
      await client.query(
        `INSERT INTO big SELECT i, timestamp '2025-01-01' + i * interval '1 second', 'new' FROM generate_series(40001, 40500) i`,
      );
    });
    const resumed = await ingest();
    const outcome = resumed.result.tables[0];
    expect(outcome?.status, outcome?.error?.message).toBe('success');
    expect(outcome?.notes?.join(' ')).toMatch(new RegExp(`resuming its first load: ${committed} of ${total} ranges`));
    expect(resumed.ranges.length).toBe(total - committed); // the committed ranges were not read again
    expect(resumed.differences).toEqual([]);
    expect(resumed.entry?.value).not.toHaveProperty('firstLoad');

    const again = await ingest();
    expect(again.result.tables[0]?.status).toBe('unchanged');
    expect(again.differences).toEqual([]);
  });

  it('a fresh first load (not interrupted) commits its position with its last range', async () => {
    await rm(file, { force: true });
    await state.close();
    await rm(path.join(dir.path, 'state'), { recursive: true, force: true });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
    const whole = await ingest();
    expect(whole.result.tables[0]?.status).toBe('success');
    expect(whole.ranges.length).toBe(whole.ranges[0]?.ranges);
    expect(whole.differences).toEqual([]);
    expect(whole.entry?.value).toHaveProperty('cursor');
    expect(whole.entry?.version).toBe(whole.ranges.length);
  });
});
