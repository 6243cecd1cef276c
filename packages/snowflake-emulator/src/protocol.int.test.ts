import { generateKeyPairSync } from 'node:crypto';
import { pollUntil } from '@sluice/testing';
import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, destroy, run, runFailing, startTestEmulator } from './sdk-connection.fixture.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let conn: Connection;

beforeAll(async () => {
  emulator = await startTestEmulator({
    databases: ['ANALYTICS'],
    resultWaitMs: 50,
    users: [
      { name: 'sluice', password: 'secret' },
      { name: 'loader', publicKeyPem: keys.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
    ],
  });
  conn = await connect(emulator.url, {
    database: 'ANALYTICS',
    schema: 'PUBLIC',
    warehouse: 'LOAD_WH',
    role: 'SYSADMIN',
  });
});

afterAll(async () => {
  if (conn?.isUp()) await destroy(conn);
  await emulator?.dispose();
});

describe('login', () => {
  test('a password login sets the session context from the connection options', async () => {
    const { rows } = await run(
      conn,
      'select current_database() db, current_schema() s, current_warehouse() wh, current_role() r, current_user() u',
    );
    expect(rows).toEqual([{ DB: 'ANALYTICS', S: 'PUBLIC', WH: 'LOAD_WH', R: 'SYSADMIN', U: 'SLUICE' }]);
  });

  test('a wrong password is refused with 390100', async () => {
    await expect(connect(emulator.url, { password: 'wrong', sfRetryMaxLoginRetries: 0 })).rejects.toMatchObject({
      code: '390100',
    });
  });

  test('key-pair login: a JWT signed with the registered key is accepted', async () => {
    const c = await connect(emulator.url, {
      username: 'loader',
      authenticator: 'SNOWFLAKE_JWT',
      privateKey: privatePem,
      password: undefined,
    } as never);
    expect((await run(c, 'select current_user() u')).rows).toEqual([{ U: 'LOADER' }]);
    await destroy(c);
  });

  test('key-pair login with another key is refused with 390144', async () => {
    const wrong = otherKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await expect(
      connect(emulator.url, {
        username: 'loader',
        authenticator: 'SNOWFLAKE_JWT',
        privateKey: wrong,
        password: undefined,
        sfRetryMaxLoginRetries: 0,
      } as never),
    ).rejects.toMatchObject({ code: '390144' });
  });
});

describe('types round trip through the driver', () => {
  beforeAll(async () => {
    await run(
      conn,
      `create or replace table types_t (
        n number(10,2), big number(38,0), f float, s varchar(50), b boolean, d date, t time,
        ntz timestamp_ntz, ltz timestamp_ltz, tz timestamp_tz, v variant, o object, a array, bin binary)`,
    );
    await run(
      conn,
      `insert into types_t select 12.50, 12345678901234567890123, 1.25, 'olá\nmundo "x" ✓', true, '2024-02-29', '13:14:15.123456',
        '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+00:00', '2024-01-02 03:04:05.123456+00:00',
        parse_json('{"k": [1, 2], "s": "v"}'), parse_json('{"a": 1}'), parse_json('[1, "two"]'), to_binary('CAFE')`,
    );
    await run(conn, 'insert into types_t (n) values (null)');
  });

  test('rowtype entries carry Snowflake types, precision and scale', async () => {
    const { statement } = await run(conn, 'select * from types_t limit 1');
    const columns = (statement.getColumns() ?? []).map((c) => [
      c.getName(),
      c.getType(),
      c.getPrecision(),
      c.getScale(),
    ]);
    expect(columns).toEqual([
      ['N', 'fixed', 10, 2],
      ['BIG', 'fixed', 38, 0],
      ['F', 'real', null, null],
      ['S', 'text', null, null],
      ['B', 'boolean', null, null],
      ['D', 'date', null, null],
      ['T', 'time', 0, 9],
      ['NTZ', 'timestamp_ntz', 0, 9],
      ['LTZ', 'timestamp_ltz', 0, 9],
      ['TZ', 'timestamp_tz', 0, 9],
      ['V', 'variant', null, null],
      ['O', 'object', null, null],
      ['A', 'array', null, null],
      ['BIN', 'binary', null, null],
    ]);
  });

  test('values decode to the right JS values', async () => {
    const { rows } = await run(conn, 'select * from types_t where n is not null');
    const row = rows[0] as Record<string, unknown>;
    expect(row.N).toBe(12.5);
    expect(row.F).toBe(1.25);
    expect(row.S).toBe('olá\nmundo "x" ✓');
    expect(row.B).toBe(true);
    expect((row.D as Date).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(row.T).toBe('13:14:15');
    const ntz = row.NTZ as Date & { getNanoSeconds(): number; getEpochSeconds(): number };
    expect(ntz.toISOString()).toBe('2024-01-02T03:04:05.123Z');
    expect(ntz.getNanoSeconds()).toBe(123456000);
    expect((row.LTZ as Date).toISOString()).toBe('2024-01-02T03:04:05.123Z');
    expect((row.TZ as Date).toISOString()).toBe('2024-01-02T03:04:05.123Z');
    expect(row.V).toEqual({ k: [1, 2], s: 'v' });
    expect(row.O).toEqual({ a: 1 });
    expect(row.A).toEqual([1, 'two']);
    expect(Buffer.isBuffer(row.BIN) && (row.BIN as Buffer).toString('hex')).toBe('cafe');
  });

  test('NUMBER(10,2) and 38-digit integers are exact as strings', async () => {
    const { rows } = await run(conn, 'select n, big from types_t where n is not null', { fetchAsString: ['Number'] });
    expect(rows).toEqual([{ N: '12.50', BIG: '12345678901234567890123' }]);
  });

  test('reading a 38-digit integer as a JS number makes the driver send precision-loss telemetry, which is accepted', async () => {
    const before = emulator.stats().requestsByPath['/telemetry/send'] ?? 0;
    const { rows } = await run(conn, 'select big from types_t where big is not null');
    expect(typeof rows[0]?.BIG).toBe('number');
    // The driver sends its telemetry in the background: wait until the emulator has it.
    await pollUntil(() => (emulator.stats().requestsByPath['/telemetry/send'] ?? 0) > before, {
      what: 'the driver to send its precision-loss telemetry',
    });
    expect(emulator.stats().requestsByPath['/telemetry/send']).toBe(before + 1);
  });

  test('JS_TREAT_INTEGER_AS_BIGINT gives exact integers', async () => {
    const c = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC', jsTreatIntegerAsBigInt: true });
    const { rows } = await run(c, 'select big from types_t where big is not null');
    expect(String(rows[0]?.BIG)).toBe('12345678901234567890123');
    await destroy(c);
  });

  test('NULLs come back as null', async () => {
    const { rows } = await run(conn, 'select s, d, ntz, v, b from types_t where n is null');
    expect(rows).toEqual([{ S: null, D: null, NTZ: null, V: null, B: null }]);
  });

  test('timestamps keep microseconds (as strings with a custom format)', async () => {
    const { rows } = await run(
      conn,
      "select to_varchar(ntz, 'YYYY-MM-DD HH24:MI:SS.FF6') s from types_t where n is not null",
    );
    expect(rows).toEqual([{ S: '2024-01-02 03:04:05.123456' }]);
  });
});

describe('binds', () => {
  beforeAll(async () => {
    await run(
      conn,
      'create or replace table bind_t (id int, name varchar, amount number(12,2), at timestamp_ntz, flag boolean)',
    );
  });

  test('positional ? and :n binds, with NULL, numbers, booleans and dates', async () => {
    await run(conn, 'insert into bind_t values (?, ?, ?, ?, ?)', {
      binds: [1, "it's", 10.25, '2024-05-06 07:08:09', true],
    });
    await run(conn, 'insert into bind_t values (:1, :2, :3, :4, :5)', {
      binds: [2, null, 3, new Date('2024-05-06T07:08:09.500Z'), false],
    });
    const { rows } = await run(conn, 'select id, name, amount, flag from bind_t where id <= :1 order by id', {
      binds: [2],
    });
    expect(rows).toEqual([
      { ID: 1, NAME: "it's", AMOUNT: 10.25, FLAG: true },
      { ID: 2, NAME: null, AMOUNT: 3, FLAG: false },
    ]);
  });

  test('over the stage-binding threshold the driver tries a temporary stage, cannot upload to LOCAL_FS, and falls back to inline binds', async () => {
    const c = await connect(emulator.url, {
      database: 'ANALYTICS',
      schema: 'PUBLIC',
      arrayBindingThreshold: 10,
    } as never);
    const binds = Array.from({ length: 20 }, (_, i) => [1000 + i, `m${i}`, 1, '2024-01-01 00:00:00', false]);
    const { statement } = await run(c, 'insert into bind_t values (?, ?, ?, ?, ?)', { binds });
    expect(statement.getNumUpdatedRows()).toBe(20);
    const sqls = emulator
      .stats()
      .statements.filter((s) => s.sessionId === emulator.stats().statements.at(-1)?.sessionId)
      .map((s) => s.sqlText.split(' ')[0]?.toUpperCase());
    expect(sqls).toEqual(['CREATE', 'PUT', 'INSERT']);
    await destroy(c);
  });

  test('array binds insert many rows in one statement', async () => {
    const binds = Array.from({ length: 500 }, (_, i) => [100 + i, `n${i}`, i / 4, '2024-01-01 00:00:00', i % 2 === 0]);
    const { statement } = await run(conn, 'insert into bind_t values (?, ?, ?, ?, ?)', { binds });
    expect(statement.getNumUpdatedRows()).toBe(500);
    const { rows } = await run(conn, 'select count(*) c, sum(amount) s from bind_t where id between 100 and 599');
    expect(rows).toEqual([{ C: 500, S: 31187.5 }]);
  });
});

describe('long queries, async execution and cancellation', () => {
  test('a query longer than the result wait is answered "in progress" and the driver polls getResultUrl', async () => {
    const before = emulator.stats().requestsByPath['/queries/{id}/result'] ?? 0;
    const { rows } = await run(conn, "select system$wait(300, 'MILLISECONDS')");
    expect(Object.values(rows[0] ?? {})).toEqual(['waited 0.300 seconds']);
    expect(emulator.stats().requestsByPath['/queries/{id}/result'] ?? 0).toBeGreaterThan(before);
  });

  test('asyncExec returns a query id whose result the driver fetches later', async () => {
    const queryId = await new Promise<string>((resolve, reject) => {
      conn.execute({
        sqlText: "select system$wait(100, 'MILLISECONDS') as w",
        asyncExec: true,
        complete: (err, statement) => (err ? reject(err) : resolve(statement.getQueryId())),
      });
    });
    const statement = await conn.getResultsFromQueryId({ queryId, sqlText: '' });
    const rows = await new Promise<unknown[]>((resolve, reject) => {
      const out: unknown[] = [];
      statement
        .streamRows()
        .on('data', (r: unknown) => out.push(r))
        .on('end', () => resolve(out))
        .on('error', reject);
    });
    expect(rows).toEqual([{ W: 'waited 0.100 seconds' }]);
  });

  test('cancel aborts a running statement', async () => {
    let complete!: (err: { code?: unknown; message: string }) => void;
    const outcome = new Promise<{ code?: unknown; message: string }>((resolve) => {
      complete = resolve;
    });
    const statement = conn.execute({
      sqlText: 'select system$wait(30)',
      complete: (err) => complete(err as never),
    });
    // The query id reaches the driver with the emulator's "in progress" answer: the statement is running there.
    await pollUntil(() => statement.getQueryId(), { what: 'the emulator to answer that the statement is running' });
    statement.cancel();
    const err = await outcome;
    expect(err).toMatchObject({ code: '000604' });
  });
});

describe('session endpoints', () => {
  test('heartbeat keeps the session and isValidAsync answers true', async () => {
    const before = emulator.stats().requestsByPath['/session/heartbeat'] ?? 0;
    await (conn as Connection & { heartbeatAsync(): Promise<unknown> }).heartbeatAsync();
    expect(await conn.isValidAsync()).toBe(true);
    expect(emulator.stats().requestsByPath['/session/heartbeat']).toBe(before + 2);
  });

  test('an expired session token is renewed with the master token and the statement goes through', async () => {
    const renewals = emulator.stats().requestsByPath['/session/token-request'] ?? 0;
    emulator.faults.expireSessions('renewable');
    const { rows } = await run(conn, 'select 7 as x');
    expect(rows).toEqual([{ X: 7 }]);
    expect(emulator.stats().requestsByPath['/session/token-request']).toBe(renewals + 1);
  });

  test('a session that is gone (390111) disconnects the driver; a new login works', async () => {
    const c = await connect(emulator.url, { database: 'ANALYTICS' });
    emulator.faults.expireSessions('gone');
    await expect(run(c, 'select 1')).rejects.toBeDefined();
    expect(c.isUp()).toBe(false);
    const again = await connect(emulator.url, { database: 'ANALYTICS' });
    expect((await run(again, 'select 1 as one')).rows).toEqual([{ ONE: 1 }]);
    await destroy(again);
    // the shared connection was expired too: reconnect it for the remaining tests
    conn = await connect(emulator.url, {
      database: 'ANALYTICS',
      schema: 'PUBLIC',
      warehouse: 'LOAD_WH',
      role: 'SYSADMIN',
    });
  });

  test('destroy deletes the session on the server; its token no longer works', async () => {
    const c = await connect(emulator.url);
    const deletes = emulator.stats().requestsByPath['/session'] ?? 0;
    await destroy(c);
    expect(emulator.stats().requestsByPath['/session']).toBe(deletes + 1);
    expect(c.isUp()).toBe(false);
  });

  test('several statements in one request run when MULTI_STATEMENT_COUNT allows it', async () => {
    const err = await runFailing(conn, 'select 1; select 2');
    expect(err).toMatchObject({ code: '000008' });
    const { rows } = await run(
      conn,
      'create or replace table multi_t (a int); insert into multi_t values (1), (2); select count(*) c from multi_t',
      {
        parameters: { MULTI_STATEMENT_COUNT: 3 },
      },
    );
    // like Snowflake, the driver follows resultIds and hands back the first statement's result
    expect(rows).toEqual([{ status: 'Table MULTI_T successfully created.' }]);
    expect((await run(conn, 'select count(*) c from multi_t')).rows).toEqual([{ C: 2 }]);
  });
});
