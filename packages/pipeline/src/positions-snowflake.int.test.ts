import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNovaDriveSchema,
  generateNovaDrive,
  NOVADRIVE_PRIMARY_KEYS,
  NOVADRIVE_TABLES,
  simulateDay,
} from '@sluice/novadrive';
import {
  createTempDir,
  createTestDatabase,
  diffFingerprints,
  fingerprintPostgresTable,
  fingerprintWarehouseValues,
  type TestDatabase,
} from '@sluice/testing';
import { METADATA_COLUMNS, type Warehouse } from '@sluice/warehouse';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@sluice/snowflake-emulator';
import { type IngestResult, runIngest } from './ingest.js';
import { openStateStore, openWarehouse, resolveTarget } from './open-project.js';
import { loadProjectConfig } from './project-config.js';
import { TEST_DATABASE, TEST_PASSWORD, TEST_USER } from './test-support/snowflake-emulator.js';

/*
 * Positions live with the data, on Snowflake (through the emulator): a warehouse that is replaced (a new account's
 * database, a lost volume), restored from an older copy, or loses a raw table by hand is detected at the next run,
 * which ends equal to the source row for row and says why. A run in which nothing changed still needs no warehouse:
 * the state table's metadata proves the state store's copies current.
 */

const SQL_MODELS = fileURLToPath(new URL('../../../sql-models/', import.meta.url));

describe('positions live with the data (Snowflake, through the emulator)', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let dataDir: string;
  let emulator: SnowflakeEmulator | undefined;
  let state: ReturnType<typeof openStateStore>;
  let day = 0;

  const startEmulator = async () => {
    emulator = await startSnowflakeEmulator({
      dataDir,
      port: 0,
      users: [{ name: TEST_USER, password: TEST_PASSWORD }],
      databases: [TEST_DATABASE],
    });
    return emulator;
  };
  const stopEmulator = async () => {
    await emulator?.stop();
    emulator = undefined;
  };
  const project = async () =>
    loadProjectConfig(dir.path, {
      SLUICE_SOURCE_URL: db.url,
      SLUICE_HOME: path.join(dir.path, '.sluice'),
      SNOWFLAKE_ACCOUNT: 'emulator',
      SNOWFLAKE_USER: TEST_USER,
      SNOWFLAKE_PASSWORD: TEST_PASSWORD,
      SNOWFLAKE_DATABASE: TEST_DATABASE,
      SNOWFLAKE_WAREHOUSE: 'SLUICE_WH',
      SNOWFLAKE_ACCESS_URL: emulator?.url ?? '',
    });

  beforeAll(async () => {
    db = await createTestDatabase('sfpositions');
    dir = await createTempDir('sluice-sf-positions-');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sf-positions-data-'));
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 600, seed: 9 });
    });
    await cp(SQL_MODELS, dir.path, {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}target`) && !source.includes(`${path.sep}.sluice`),
    });
    await startEmulator();
    state = openStateStore(await project());
  }, 120_000);
  afterAll(async () => {
    await state?.close();
    await stopEmulator();
    await rm(dataDir, { recursive: true, force: true });
    await rm(`${dataDir}-backup`, { recursive: true, force: true });
    await db?.drop();
    await dir?.remove();
  });

  /** Optionally a day of changes in the source, then one ingest into the prod target; differences afterwards. */
  async function ingest(
    options: { change?: boolean; before?: (warehouse: Warehouse) => Promise<void> } = {},
  ): Promise<{ result: IngestResult; differences: string[]; warehouseStatements: number }> {
    if (options.change !== false) {
      day += 1;
      await db.withClient((client) =>
        simulateDay(client, { seed: 3, day, saleCorrections: 10, saleDeletes: 3, customerDeletes: 1, priceUpdates: 2 }),
      );
    }
    const loaded = await project();
    const warehouse = await openWarehouse(loaded, resolveTarget(loaded, 'prod').config);
    try {
      await options.before?.(warehouse);
      const before = emulator?.stats().statements.length ?? 0;
      const result = await runIngest({ project: loaded, warehouse, state, workDir: path.join(dir.path, 'work') });
      const warehouseStatements = (emulator?.stats().statements.slice(before) ?? []).filter(
        (s) => s.needsWarehouse,
      ).length;
      return { result, differences: await compare(warehouse), warehouseStatements };
    } finally {
      await warehouse.close();
    }
  }

  async function compare(warehouse: Warehouse): Promise<string[]> {
    return db.withClient(async (client) => {
      const out: string[] = [];
      for (const table of NOVADRIVE_TABLES) {
        const columns = (
          await (client as pg.Client).query<{ name: string }>(
            `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
            [table],
          )
        ).rows
          .map((r) => r.name)
          .filter((name) => !METADATA_COLUMNS.includes(name));
        const key = [NOVADRIVE_PRIMARY_KEYS[table]];
        const source = await fingerprintPostgresTable(
          client as pg.Client,
          { schema: 'public', name: table },
          columns,
          key,
        );
        const target = await fingerprintWarehouseValues(warehouse, { schema: 'raw', name: table }, columns, key);
        out.push(...diffFingerprints(source, target).map((p) => `${table}: ${p}`));
      }
      return out;
    });
  }

  const notesOf = (result: IngestResult, table: string) =>
    (result.tables.find((t) => t.table === table)?.notes ?? []).join(' ');
  const failures = (result: IngestResult) =>
    result.tables.filter((t) => t.status === 'failed').map((t) => `${t.table}: ${t.error?.message}`);

  it('loads, and a run in which nothing changed reads its positions from metadata alone', async () => {
    const first = await ingest({ change: false });
    expect(failures(first.result)).toEqual([]);
    expect(first.differences).toEqual([]);
    const quiet = await ingest({ change: false });
    expect(quiet.result.positions).toBe('cache');
    expect(quiet.result.tables.map((t) => t.status)).toEqual(NOVADRIVE_TABLES.map(() => 'unchanged'));
    expect(quiet.warehouseStatements).toBe(0);
  }, 180_000);

  it('an older copy of the warehouse restored: the next run loads what it lacks, from its own positions', async () => {
    await stopEmulator();
    await cp(dataDir, `${dataDir}-backup`, { recursive: true });
    await startEmulator();
    const newer = await ingest();
    expect(failures(newer.result)).toEqual([]);
    expect(newer.differences).toEqual([]);
    await stopEmulator();
    await rm(dataDir, { recursive: true, force: true });
    await cp(`${dataDir}-backup`, dataDir, { recursive: true });
    await startEmulator();
    const { result, differences } = await ingest();
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    expect(result.positions).toBe('warehouse'); // the copies in the state store are newer: not trusted
    expect(notesOf(result, 'vendas')).toMatch(/older position .* restored from an older copy/);
  }, 180_000);

  it('a raw table dropped by hand is loaded again; the others go on from their positions', async () => {
    const { result, differences } = await ingest({
      before: (warehouse) => warehouse.execute('DROP TABLE raw.clientes').then(() => undefined),
    });
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    expect(notesOf(result, 'clientes')).toMatch(/raw\.clientes is not in the warehouse/);
  }, 180_000);

  it('a replaced warehouse (a lost volume): every table is loaded again, and the report says why', async () => {
    await stopEmulator();
    await rm(dataDir, { recursive: true, force: true });
    await startEmulator();
    const { result, differences } = await ingest();
    expect(failures(result)).toEqual([]);
    expect(differences).toEqual([]);
    expect(result.positions).toBe('missing');
    for (const table of NOVADRIVE_TABLES) {
      expect(notesOf(result, table), table).toMatch(/no Sluice state .* a new or replaced warehouse/);
    }
    const quiet = await ingest({ change: false });
    expect(quiet.result.positions).toBe('cache');
    expect(quiet.warehouseStatements).toBe(0);
  }, 180_000);
});
