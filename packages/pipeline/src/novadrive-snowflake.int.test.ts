import { createHash } from 'node:crypto';
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
  canonicalValue,
  createTempDir,
  createTestDatabase,
  diffFingerprints,
  fingerprintPostgresTable,
  type TestDatabase,
} from '@sluice/testing';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@sluice/snowflake-emulator';
import { METADATA_COLUMNS } from '@sluice/warehouse';
import { openStateStore, openWarehouse, resolveTarget } from './open-project.js';
import { loadProjectConfig } from './project-config.js';
import { runPipeline } from './run-pipeline.js';
import { TEST_DATABASE, TEST_PASSWORD, TEST_USER } from './test-support/snowflake-emulator.js';

/*
 * The whole NovaDrive pipeline — ingest, models, snapshot, data tests — with the sql-models project unchanged and
 * its `prod` target pointed at the Snowflake emulator through the environment, as a user would.
 */

const SQL_MODELS = fileURLToPath(new URL('../../../sql-models/', import.meta.url));

describe('the NovaDrive pipeline on Snowflake (prod target, through the emulator)', () => {
  let db: TestDatabase;
  let emulator: SnowflakeEmulator;
  let emulatorDir: string;
  let dir: { path: string; remove(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  let project: Awaited<ReturnType<typeof loadProjectConfig>>;
  let warehouse: Awaited<ReturnType<typeof openWarehouse>>;
  let state: ReturnType<typeof openStateStore>;

  beforeAll(async () => {
    db = await createTestDatabase('sfnova');
    emulatorDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-snowflake-test-'));
    emulator = await startSnowflakeEmulator({
      dataDir: emulatorDir,
      port: 0,
      users: [{ name: TEST_USER, password: TEST_PASSWORD }],
      databases: [TEST_DATABASE],
    });
    dir = await createTempDir('sluice-sf-novadrive-');
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 1000, seed: 5 });
    });
    await cp(SQL_MODELS, dir.path, {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}target`) && !source.includes(`${path.sep}.sluice`),
    });
    env = {
      SLUICE_SOURCE_URL: db.url,
      SLUICE_HOME: path.join(dir.path, '.sluice'),
      SNOWFLAKE_ACCOUNT: 'emulator',
      SNOWFLAKE_USER: TEST_USER,
      SNOWFLAKE_PASSWORD: TEST_PASSWORD,
      SNOWFLAKE_DATABASE: TEST_DATABASE,
      SNOWFLAKE_WAREHOUSE: 'SLUICE_WH',
      SNOWFLAKE_ACCESS_URL: emulator.url,
    };
    project = await loadProjectConfig(dir.path, env);
    warehouse = await openWarehouse(project, resolveTarget(project, 'prod').config);
    state = openStateStore(project);
  }, 120_000);
  afterAll(async () => {
    await warehouse?.close();
    await state?.close();
    await emulator?.stop();
    if (emulatorDir) await rm(emulatorDir, { recursive: true, force: true });
    await db?.drop();
    await dir?.remove();
  });

  const run = (steps?: ('ingest' | 'build')[]) =>
    runPipeline({
      project,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      target: resolveTarget(project, 'prod'),
      ...(steps ? { steps } : {}),
    });

  /** Problems of a run: failed tables, models and tests, with their messages. */
  const problems = (result: Awaited<ReturnType<typeof run>>): string[] => [
    ...(result.ingest?.tables ?? [])
      .filter((t) => t.status === 'failed')
      .map((t) => `table ${t.table}: ${t.error?.message}`),
    ...(result.build?.run.results ?? [])
      .filter((r) => !['success', 'pass'].includes(r.status))
      .map((r) => `${r.kind} ${r.name} ${r.status}: ${r.message}`),
    ...(result.error ? [`run: ${result.error.message}`] : []),
  ];

  /** Every difference between the seven source tables and their raw copies in Snowflake. */
  async function compareWithSource(): Promise<string[]> {
    return db.withClient(async (client) => {
      const out: string[] = [];
      for (const table of NOVADRIVE_TABLES) {
        const columns = (
          await (client as pg.Client).query<{ name: string }>(
            `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
            [table],
          )
        ).rows.map((r) => r.name);
        const key = [NOVADRIVE_PRIMARY_KEYS[table]];
        const source = await fingerprintPostgresTable(
          client as pg.Client,
          { schema: 'public', name: table },
          columns,
          key,
        );
        const rows = await warehouse.query(
          `SELECT * FROM ${warehouse.dialect.qualify({ schema: 'raw', name: table })}`,
        );
        out.push(...diffFingerprints(source, fingerprint(rows, columns, key)).map((p) => `${table}: ${p}`));
      }
      return out;
    });
  }

  it('first run: every table loaded, every model built, every data test passing', async () => {
    const result = await run();
    expect(problems(result)).toEqual([]);
    expect(result.status).toBe('success');
    expect(result.ingest?.tables.map((t) => t.status)).toEqual(NOVADRIVE_TABLES.map(() => 'success'));
    // The run summary counts statements and the compressed bytes PUT to the stage, per table.
    for (const table of result.ingest?.tables ?? []) {
      expect(table.warehouseStatements, table.table).toBeGreaterThan(0);
      expect(table.uploadedBytes, table.table).toBeGreaterThan(0);
      expect(table.uploadedBytes, table.table).toBeLessThan(table.bytes);
    }
    const results = result.build?.run.results ?? [];
    expect(results.filter((r) => r.kind === 'model').map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'stg_vendas',
        'dim_clientes',
        'fct_vendas',
        'vendas_por_concessionaria',
        'vendas_por_mes',
        'vendas_por_veiculo',
        'vendas_por_vendedor',
      ]),
    );
    expect(results.filter((r) => r.kind === 'test' && r.status === 'pass').length).toBeGreaterThan(40);
    expect(await compareWithSource()).toEqual([]);
    const [facts] = await warehouse.query(
      'select count(*) as n, count(valor_sugerido_na_venda) as priced from analytics_facts.fct_vendas',
    );
    const [sales] = await warehouse.query('select count(*) as n from raw.vendas');
    expect(facts).toEqual({ n: sales?.n, priced: sales?.n });
    // Every statement named its run and its table or model.
    const untagged = emulator.stats().statements.filter((s) => s.queryTag === '');
    expect(untagged.map((s) => s.sqlText.slice(0, 60))).toEqual([]);
    expect(emulator.stats().statements.some((s) => s.queryTag === `sluice run ${result.runId} table raw.vendas`)).toBe(
      true,
    );
    // Model statements name the run and the model too.
    expect(
      emulator
        .stats()
        .statements.some(
          (s) => s.queryTag.startsWith(`sluice run ${result.runId} model.`) && s.queryTag.endsWith('fct_vendas'),
        ),
    ).toBe(true);
  }, 180_000);

  it('a day of inserts, updates and deletes arrives, and the models follow', async () => {
    await db.withClient((client) =>
      simulateDay(client, {
        seed: 5,
        day: 1,
        saleCorrections: 20,
        saleDeletes: 5,
        customerDeletes: 2,
        priceUpdates: 3,
      }),
    );
    const result = await run();
    expect(problems(result)).toEqual([]);
    expect(result.ingest?.tables.find((t) => t.table === 'vendas')).toMatchObject({ status: 'success' });
    expect(await compareWithSource()).toEqual([]);
    const [facts] = await warehouse.query('select count(*) as n from analytics_facts.fct_vendas');
    const [sales] = await warehouse.query('select count(*) as n from raw.vendas');
    expect(facts?.n).toBe(sales?.n);
  }, 180_000);

  it('a run in which no source table changed resumes no warehouse', async () => {
    const before = emulator.stats().statements.length;
    const result = await run(['ingest']);
    expect(problems(result)).toEqual([]);
    expect(result.ingest?.tables.map((t) => t.status)).toEqual(NOVADRIVE_TABLES.map(() => 'unchanged'));
    const statements = emulator.stats().statements.slice(before);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((s) => s.needsWarehouse).map((s) => s.sqlText.slice(0, 80))).toEqual([]);
  }, 120_000);
});

/** The fingerprint of warehouse rows as `query` returns them (the algorithm of @sluice/testing's fingerprints). */
function fingerprint(rows: readonly Record<string, unknown>[], columns: readonly string[], key: readonly string[]) {
  const rowHashes = new Map<string, string>();
  const duplicateKeys: string[] = [];
  const ordered = [...columns].filter((c) => !METADATA_COLUMNS.includes(c)).sort();
  for (const row of rows) {
    const id = key.map((k) => canonicalValue(row[k])).join('|');
    const hash = createHash('sha256');
    for (const column of ordered) hash.update(`${column}=${canonicalValue(row[column])}\u0001`);
    if (rowHashes.has(id)) duplicateKeys.push(id);
    rowHashes.set(id, hash.digest('hex'));
  }
  return { rows: rows.length, rowHashes, duplicateKeys };
}
