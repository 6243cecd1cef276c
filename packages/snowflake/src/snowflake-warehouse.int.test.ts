import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkFile, TableSchema } from '@sluice/warehouse';
import {
  shortenDriverRetryWaits,
  startTestEmulator,
  TEST_PASSWORD,
  type TestEmulator,
} from './__tests__/test-emulator.js';
import { createSnowflakeWarehouse, type SnowflakeWarehouse } from './snowflake-warehouse.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PASSPHRASE = 'a long passphrase for the key';

let emulator: TestEmulator;
let warehouse: SnowflakeWarehouse;
beforeAll(async () => {
  emulator = await startTestEmulator({ publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() });
  warehouse = await emulator.warehouse();
});
afterAll(async () => {
  await warehouse?.close();
  await emulator?.dispose();
});

const table: TableSchema = {
  schema: 'raw',
  name: 'eventos',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'bigint' }, nullable: false },
    { name: 'nome', type: { kind: 'text' }, nullable: true },
  ],
};
let files = 0;
const csv = async (rows: readonly string[]): Promise<ChunkFile> => {
  const file = path.join(emulator.dataDir, `chunk-${++files}.csv`);
  const text = rows.map((r) => `${r}\n`).join('');
  await writeFile(file, text);
  return { path: file, rows: rows.length, bytes: Buffer.byteLength(text), format: 'csv' };
};
const range = (from: number, to: number, name = (i: number) => `"evento ${i}"`) =>
  Array.from({ length: to - from + 1 }, (_, k) => `${from + k},${name(from + k)}`);

describe('logging in', () => {
  it('logs in with an encrypted private key file and its passphrase (SNOWFLAKE_JWT)', async () => {
    const keyFile = path.join(emulator.dataDir, 'rsa_key.p8');
    await writeFile(
      keyFile,
      privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }),
    );
    const keyed = await createSnowflakeWarehouse(
      emulator.options({ password: undefined, privateKeyPath: keyFile, privateKeyPassphrase: PASSPHRASE }),
    );
    try {
      expect(await keyed.query('select current_user() as u')).toEqual([{ u: 'SLUICE_LOADER' }]);
    } finally {
      await keyed.close();
    }
  });

  it('fails with WAREHOUSE_UNAVAILABLE on a wrong password, and never shows a secret', async () => {
    const error = await createSnowflakeWarehouse(emulator.options({ password: `${TEST_PASSWORD} but wrong` })).catch(
      (e: Error) => e,
    );
    expect(error).toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/Could not log in to Snowflake account emulator as sluice_loader/);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(TEST_PASSWORD);
    const missing = await createSnowflakeWarehouse(emulator.options({ password: undefined })).catch((e: Error) => e);
    expect(missing).toMatchObject({
      code: 'WAREHOUSE_UNAVAILABLE',
      message: expect.stringContaining('give a password or a private key'),
    });
  });
});

describe('statements', () => {
  it('runs scripts statement by statement, keys rows by lower-cased plain names, and tags every statement', async () => {
    const result = await warehouse.execute(
      `create schema if not exists scratch; create or replace table scratch.t (a int, "Mixed" varchar); insert into scratch.t values (1, 'x'), (2, 'y')`,
      { tag: 'model.test.t' },
    );
    expect(result.rowsAffected).toBe(2);
    expect(await warehouse.query('select a, "Mixed", count(*) over () as n from scratch.t order by a')).toEqual([
      { a: 1, Mixed: 'x', n: 2 },
      { a: 2, Mixed: 'y', n: 2 },
    ]);
    const tagged = emulator.stats().statements.filter((s) => s.sqlText.startsWith('insert into scratch.t'));
    expect(tagged.map((s) => s.queryTag)).toEqual(['model.test.t']);
    await expect(warehouse.query('select * from scratch.nope')).rejects.toMatchObject({
      code: 'WAREHOUSE_STATEMENT_FAILED',
      sql: 'select * from scratch.nope',
    });
  });
});

describe('loads', () => {
  it('reads and changes table definitions with metadata statements only: no warehouse resumed', async () => {
    const before = emulator.stats().statements.length;
    await warehouse.ensureTable(table);
    await warehouse.ensureTable({
      ...table,
      columns: [...table.columns, { name: 'extra', type: { kind: 'date' }, nullable: true }],
    });
    expect(await warehouse.describeTable(table)).toMatchObject({ primaryKey: ['id'] });
    const statements = emulator.stats().statements.slice(before);
    expect(statements.length).toBeGreaterThan(4);
    expect(statements.filter((s) => s.needsWarehouse).map((s) => s.sqlText)).toEqual([]);
  });

  it('sends the same statements for 10 rows and for 20,000 in several upload files, and counts the bytes uploaded', async () => {
    const small = await warehouse.load({
      table,
      files: [await csv(range(1, 10))],
      columns: ['id', 'nome'],
      mode: 'merge',
    });
    expect(warehouse.stats()).toMatchObject({ loads: 1, filesUploaded: 1 });
    // Five chunk files and upload files of about 10 KB compressed: the rows travel in several files, one PUT.
    const chunks = await Promise.all(
      [0, 1, 2, 3, 4].map((k) =>
        csv(range(k * 4000 + 1, (k + 1) * 4000, (i) => `"um nome bem comprido para o evento número ${i}"`)),
      ),
    );
    const other = await createSnowflakeWarehouse(emulator.options({ uploadFileBytes: 10_000 }));
    const large = await other
      .load({ table, files: chunks, columns: ['id', 'nome'], mode: 'merge' })
      .finally(() => other.close());
    expect(small).toMatchObject({ rowsStaged: 10, inserted: 10 });
    expect(large).toMatchObject({ rowsStaged: 20_000, inserted: 19_990, updated: 10 });
    expect(large.statements).toBe(small.statements + 2); // the other warehouse read the table first (SHOW OBJECTS, SHOW COLUMNS)
    expect(emulator.stats().statements.filter((s) => s.sqlText.startsWith('PUT'))).toHaveLength(2);
    const stats = other.stats();
    expect(stats.filesUploaded).toBe(5);
    expect(stats.bytesUploaded).toBeGreaterThan(0);
    expect(stats.bytesUploaded).toBeLessThan(stats.sourceBytesUploaded);
    const [count] = await warehouse.query(
      `select count(*) as n, count(distinct id) as k from ${warehouse.dialect.qualify(table)}`,
    );
    expect(count).toEqual({ n: 20_000, k: 20_000 });
    // No staging table and no staged file is left behind.
    expect(await warehouse.query(`show tables like '%SLUICE_LOAD' in schema raw`)).toEqual([]);
    expect(await warehouse.query(`list @raw.sluice_stage`)).toEqual([]);
  });

  it('refuses a chunk whose records have more fields than the request has columns, and one cut short', async () => {
    const extra = await csv(['1,"a",surplus']);
    await expect(
      warehouse.load({ table, files: [extra], columns: ['id', 'nome'], mode: 'merge' }),
    ).rejects.toMatchObject({
      code: 'INVALID_LOAD_REQUEST',
      message: expect.stringContaining('more fields than the 2 columns'),
    });
    const cut = path.join(emulator.dataDir, 'cut.csv');
    await writeFile(cut, '1,"complete"\n2,"cut sh');
    await expect(
      warehouse.load({
        table,
        files: [{ path: cut, rows: 2, bytes: 20, format: 'csv' }],
        columns: ['id', 'nome'],
        mode: 'merge',
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_LOAD_REQUEST',
      message: expect.stringContaining('ends in the middle of a record'),
    });
    const [count] = await warehouse.query(`select count(*) as n from ${warehouse.dialect.qualify(table)}`);
    expect(count).toEqual({ n: 20_000 });
  });

  it('stops at once when cancelled, and says so', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      warehouse.load({
        table,
        files: [await csv(range(1, 3))],
        columns: ['id', 'nome'],
        mode: 'merge',
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('state', () => {
  const statesTable = { ...table, schema: 'state_test', name: 'eventos' };
  const write = (version: number) => ({
    schema: 'state_test',
    runId: `run-${version}`,
    writes: [{ namespace: 'ingest', key: 'public.eventos', value: { cursor: [String(version)] }, version }],
  });

  it('commits the apply statement and the state write in one BEGIN … COMMIT request, on a session of its own', async () => {
    await warehouse.ensureTable(statesTable);
    const before = emulator.stats().statements.length;
    await warehouse.load({
      table: statesTable,
      files: [await csv(range(1, 5))],
      columns: ['id', 'nome'],
      mode: 'merge',
      state: write(1),
      tag: 'state test',
    });
    const sent = emulator.stats().statements.slice(before);
    const begin = sent.findIndex((s) => /^BEGIN/i.test(s.sqlText));
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(sent.slice(begin, begin + 5).map((s) => s.sqlText.split(/\s+/)[0]?.toUpperCase())).toEqual([
      'BEGIN',
      'MERGE',
      'DELETE',
      'INSERT',
      'COMMIT',
    ]);
    // Not the session the other statements ran on: parallel work on the main session cannot join the transaction.
    const main = sent.find((s) => s.sqlText.startsWith('PUT'))?.sessionId;
    expect(sent[begin]?.sessionId).not.toBe(main);
    expect(sent.slice(begin, begin + 5).every((s) => s.sessionId === sent[begin]?.sessionId)).toBe(true);
    expect((await warehouse.readState('state_test', 'ingest')).entries.map((e) => e.version)).toEqual([1]);
  });

  it('answers a read from a proven-current copy with metadata only; a write makes every copy unproven', async () => {
    const read = await warehouse.readState('state_test', 'ingest');
    const before = emulator.stats().statements.length;
    const cached = await warehouse.readState('state_test', 'ingest', { cached: read.entries });
    expect(cached).toEqual({ entries: read.entries, source: 'cache' });
    expect(
      emulator
        .stats()
        .statements.slice(before)
        .filter((s) => s.needsWarehouse),
    ).toEqual([]);
    // Another process (its own warehouse object) writes: the table's comment says so before its transaction runs.
    const other = await emulator.warehouse();
    try {
      await other.writeState(write(2));
    } finally {
      await other.close();
    }
    const fresh = await warehouse.readState('state_test', 'ingest', { cached: read.entries });
    expect(fresh.source).toBe('warehouse');
    expect(fresh.entries.map((e) => e.version)).toEqual([2]);
    // Read once, the table's comment names what was read: that copy is proven again.
    const again = await warehouse.readState('state_test', 'ingest', { cached: fresh.entries });
    expect(again.source).toBe('cache');
  });

  it('a failed transaction leaves neither rows nor state, and its session is not reused', async () => {
    const before = emulator.stats().statements.length;
    const bad = await csv(['6,"ok"', 'x,"not a number"']);
    await expect(
      warehouse.load({ table: statesTable, files: [bad], columns: ['id', 'nome'], mode: 'merge', state: write(3) }),
    ).rejects.toHaveProperty('code');
    expect((await warehouse.readState('state_test', 'ingest')).entries.map((e) => e.version)).toEqual([2]);
    const [count] = await warehouse.query(`select count(*) as n from ${warehouse.dialect.qualify(statesTable)}`);
    expect(count).toEqual({ n: 5 });
    await warehouse.load({
      table: statesTable,
      files: [await csv(range(6, 7))],
      columns: ['id', 'nome'],
      mode: 'merge',
      state: write(3),
    });
    const begins = emulator
      .stats()
      .statements.slice(before)
      .filter((s) => /^BEGIN/i.test(s.sqlText));
    expect(begins).toHaveLength(2);
    expect(begins[1]?.sessionId).not.toBe(begins[0]?.sessionId);
    expect((await warehouse.readState('state_test', 'ingest')).entries.map((e) => e.version)).toEqual([3]);
  });
});

describe('state through failures', () => {
  it('a transaction whose answer is lost after it committed, its session then gone, is repeated harmlessly', async () => {
    shortenDriverRetryWaits();
    let armed = false;
    const faulty = await emulator.warehouse({
      onEvent: (event) => {
        if (!armed || event.type !== 'statement-start' || !event.sql.startsWith('BEGIN')) return;
        armed = false;
        const since = Date.now();
        emulator.faults.dropConnection({ path: '/queries/v1/query-request', nth: 1, when: 'after' });
        const expire = setInterval(() => {
          if (!emulator.faults.injected.some((e) => e.kind === 'drop-connection' && e.at.getTime() >= since)) return;
          clearInterval(expire);
          emulator.faults.expireSessions('gone');
        }, 1);
      },
    });
    const faultTable = { ...table, schema: 'state_faults' };
    try {
      await faulty.ensureTable(faultTable);
      armed = true;
      await faulty.load({
        table: faultTable,
        files: [await csv(range(1, 20))],
        columns: ['id', 'nome'],
        mode: 'merge',
        state: {
          schema: 'state_faults',
          runId: 'run-f',
          writes: [{ namespace: 'ingest', key: 'public.eventos', value: { cursor: ['20'] }, version: 1 }],
        },
        tag: 'state fault',
      });
      expect(armed).toBe(false);
      const begins = emulator
        .stats()
        .statements.filter((s) => s.queryTag === 'state fault' && /^BEGIN/.test(s.sqlText));
      expect(begins.length).toBeGreaterThanOrEqual(2); // it ran, its answer was lost, it ran again
      const [count] = await faulty.query(
        `select count(*) as n, count(distinct id) as k from ${faulty.dialect.qualify(faultTable)}`,
      );
      expect(count).toEqual({ n: 20, k: 20 });
      const entries = (await faulty.readState('state_faults', 'ingest')).entries;
      expect(entries.map((e) => [e.key, e.version, e.value])).toEqual([['public.eventos', 1, { cursor: ['20'] }]]);
    } finally {
      emulator.faults.clear();
      await faulty.close();
    }
  });
});
