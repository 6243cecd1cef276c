import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalValue,
  createTempDir,
  createTestDatabase,
  diffFingerprints,
  fingerprintPostgresTable,
  type TableFingerprint,
  type TestDatabase,
} from '@sluice/testing';
import { sluiceName, snowflakeName } from '@sluice/snowflake';
import { initProject } from './init-project.js';
import { openStateStore, openWarehouse, resolveTarget } from './open-project.js';
import { loadProjectConfig } from './project-config.js';
import { runPipeline } from './run-pipeline.js';
import {
  startTestEmulator,
  TEST_DATABASE,
  TEST_PASSWORD,
  TEST_USER,
  type TestEmulator,
} from './test-support/snowflake-emulator.js';

/*
 * Names of every spelling on Snowflake: `sluice init` on a source whose table and column names hold spaces,
 * capitals, quotes, Unicode and SQL keywords, then the pipeline on a Snowflake target (the emulator): the raw table's
 * DDL, the load, the MERGE and the generated staging model (keywords through adapter.quote) must all quote them as
 * Snowflake stores them.
 */

const COLUMNS = [
  'Order ID',
  'Customer Name',
  'order',
  'user',
  'select',
  'group',
  'CustomerCode',
  'Preço Unitário',
  'Status "quoted"',
  'Updated At',
];

/** A fingerprint of warehouse rows, reading each column by the name Snowflake hands back for it. */
function fingerprint(rows: readonly Record<string, unknown>[], columns: readonly string[], key: readonly string[]) {
  const returned = (name: string) => sluiceName(snowflakeName(name));
  const rowHashes = new Map<string, string>();
  const duplicateKeys: string[] = [];
  const ordered = [...columns].sort();
  for (const row of rows) {
    const id = key.map((k) => canonicalValue(row[returned(k)])).join('|');
    const hash = createHash('sha256');
    for (const column of ordered) hash.update(`${column}=${canonicalValue(row[returned(column)])}\u0001`);
    if (rowHashes.has(id)) duplicateKeys.push(id);
    rowHashes.set(id, hash.digest('hex'));
  }
  return { rows: rows.length, rowHashes, duplicateKeys } satisfies TableFingerprint;
}

describe('names of every spelling, from init to a Snowflake target (the emulator)', () => {
  let db: TestDatabase;
  let emulator: TestEmulator;
  let dir: { path: string; remove(): Promise<void> };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await createTestDatabase('sfnames');
    emulator = await startTestEmulator();
    dir = await createTempDir('sluice-sf-names-');
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE "Customer Orders" (
          "Order ID" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "Customer Name" text NOT NULL,
          "order" int NOT NULL, "user" text, "select" text, "group" text, "CustomerCode" text,
          "Preço Unitário" numeric(10,2) NOT NULL, "Status ""quoted""" text, "Updated At" timestamptz NOT NULL)`);
      await client.query(`INSERT INTO "Customer Orders" ("Customer Name", "order", "user", "select", "group",
            "CustomerCode", "Preço Unitário", "Status ""quoted""", "Updated At")
          SELECT 'Cliente ' || g, g, 'u' || g, 's', 'g' || (g % 3), 'C' || g, g / 10.0,
                 CASE WHEN g % 2 = 0 THEN 'said "yes"' END, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
            FROM generate_series(1, 40) g`);
    });
    await initProject({
      dir: dir.path,
      url: db.url,
      urlInFile: '${env:NAMES_SOURCE_URL}',
      smallRows: 10,
      name: 'names',
    });
    // The prod target of a real project: Snowflake (here the emulator), named in the environment.
    const file = path.join(dir.path, 'sluice.yml');
    const config = (await readFile(file, 'utf8')).replace(
      'target: dev\n',
      [
        '  prod:',
        '    type: snowflake',
        '    account: ${env:SNOWFLAKE_ACCOUNT}',
        '    user: ${env:SNOWFLAKE_USER}',
        '    password: ${env:SNOWFLAKE_PASSWORD}',
        '    warehouse: SLUICE_WH',
        '    database: ${env:SNOWFLAKE_DATABASE}',
        '    schema: ANALYTICS',
        '    access_url: ${env:SNOWFLAKE_ACCESS_URL}',
        'target: prod',
        '',
      ].join('\n'),
    );
    await writeFile(file, config);
    env = {
      NAMES_SOURCE_URL: db.url,
      SNOWFLAKE_ACCOUNT: 'emulator',
      SNOWFLAKE_USER: TEST_USER,
      SNOWFLAKE_PASSWORD: TEST_PASSWORD,
      SNOWFLAKE_DATABASE: TEST_DATABASE,
      SNOWFLAKE_ACCESS_URL: emulator.url,
    };
  }, 120_000);
  afterAll(async () => {
    await emulator?.dispose();
    await db?.drop();
    await dir?.remove();
  });

  it('loads the table, merges its changes and builds its staging model, every name quoted as Snowflake stores it', async () => {
    const project = await loadProjectConfig(dir.path, env);
    expect(project.config.tables['Customer Orders']).toMatchObject({
      strategy: 'upsert',
      cursor: ['Updated At', 'Order ID'],
    });
    const target = resolveTarget(project, 'prod');
    const warehouse = await openWarehouse(project, target.config);
    const state = openStateStore(project);
    try {
      const run = () =>
        runPipeline({ project, warehouse, state, workDir: path.join(dir.path, 'work'), trigger: 'test', target });
      const check = async (result: Awaited<ReturnType<typeof run>>) => {
        const problems = [
          ...(result.ingest?.tables ?? []).filter((t) => t.status === 'failed').map((t) => t.error?.message),
          ...(result.build?.run.results ?? [])
            .filter((r) => !['success', 'pass'].includes(r.status))
            .map((r) => `${r.name}: ${r.message}`),
        ];
        expect([...problems, ...(result.error ? [`run: ${result.error.message}`] : [])]).toEqual([]);
        const source = await db.withClient((client) =>
          fingerprintPostgresTable(client, { schema: 'public', name: 'Customer Orders' }, COLUMNS, ['Order ID']),
        );
        const raw = await warehouse.query(
          `SELECT * FROM ${warehouse.dialect.qualify({ schema: 'raw', name: 'Customer Orders' })}`,
        );
        expect(diffFingerprints(source, fingerprint(raw, COLUMNS, ['Order ID']))).toEqual([]);
        // The staging view selects every column, keywords included, and reads back the same rows.
        const staged = await warehouse.query(
          `SELECT * FROM ${warehouse.dialect.qualify({ schema: 'ANALYTICS_STAGE', name: 'stg_customer_orders' })}`,
        );
        expect(diffFingerprints(source, fingerprint(staged, COLUMNS, ['Order ID']))).toEqual([]);
        return result;
      };
      const first = await check(await run());
      expect(first.ingest?.tables.map((t) => [t.table, t.status])).toEqual([['Customer Orders', 'success']]);

      await db.withClient(async (client) => {
        await client.query(
          `UPDATE "Customer Orders" SET "select" = 'changed', "Updated At" = now() WHERE "order" % 7 = 0`,
        );
        await client.query(`INSERT INTO "Customer Orders" ("Customer Name", "order", "Preço Unitário", "Updated At")
                              VALUES ('Nova "Cliente"', 99, 1.25, now())`);
      });
      const second = await check(await run());
      const table = second.ingest?.tables[0];
      expect(table).toMatchObject({ table: 'Customer Orders', strategy: 'upsert', status: 'success' });
      expect((table?.rows ?? 0) - (table?.lateRows ?? 0)).toBe(5 + 1);
      expect(table?.window?.from).not.toBeNull();
    } finally {
      await warehouse.close();
      await state.close();
    }
  }, 180_000);
});
