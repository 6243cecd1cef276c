import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, destroy, run, startTestEmulator } from './sdk-connection.fixture.js';

const QUERY = '/queries/v1/query-request';

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let conn: Connection;

beforeAll(async () => {
  emulator = await startTestEmulator({ databases: ['RAW'] });
  conn = await connect(emulator.url, { database: 'RAW', schema: 'PUBLIC' });
  await run(conn, 'create table events (id int)');
});

afterAll(async () => {
  if (conn?.isUp()) await destroy(conn);
  await emulator?.dispose();
});

const count = async (): Promise<number> => Number((await run(conn, 'select count(*) c from events')).rows[0]?.C);
const requests = (path: string): number => emulator.stats().requestsByPath[path] ?? 0;

describe('fault injection, seen through the real driver', () => {
  test('a 5xx on a query request is retried by the driver and the statement runs once', async () => {
    const before = requests(QUERY);
    emulator.faults.failRequest({ path: QUERY, status: 503 });
    await run(conn, 'insert into events values (1)');
    expect(requests(QUERY) - before).toBe(2);
    expect(await count()).toBe(1);
  });

  test('a 5xx on login is retried by the driver', async () => {
    emulator.faults.failRequest({ path: '/session/v1/login-request', status: 502 });
    const c = await connect(emulator.url, { database: 'RAW' });
    expect(emulator.stats().requestsByPath['/session/v1/login-request']).toBeGreaterThanOrEqual(2);
    await destroy(c);
  });

  test('a connection dropped before the server handles the request is retried; the row lands once', async () => {
    emulator.faults.dropConnection({ path: QUERY, when: 'before' });
    await run(conn, 'insert into events values (2)');
    expect(await count()).toBe(2);
  });

  test('a connection dropped after the statement committed: the retry carries the same requestId and gets the first result, not a second insert', async () => {
    emulator.faults.dropConnection({ path: QUERY, when: 'after' });
    const { rows } = await run(conn, 'insert into events values (3)');
    expect(rows).toEqual([{ 'number of rows inserted': 1 }]);
    expect(await count()).toBe(3);
    const inserts = emulator.stats().statements.filter((s) => s.sqlText === 'insert into events values (3)');
    expect(inserts).toHaveLength(1);
  });

  test('delayed responses still complete', async () => {
    emulator.faults.delayResponses({ ms: 150, path: QUERY, times: 1 });
    expect((await run(conn, 'select 42 as x')).rows).toEqual([{ X: 42 }]);
    expect(emulator.faults.injected.some((e) => e.kind === 'delay')).toBe(true);
  });

  test('an expired session is renewed transparently (390112 → token-request → the query again)', async () => {
    const renewals = requests('/session/token-request');
    emulator.faults.expireSessions();
    await run(conn, 'insert into events values (4)');
    expect(requests('/session/token-request')).toBe(renewals + 1);
    expect(await count()).toBe(4);
  });

  test('an expired master token makes the renewal fail (390114) and disconnects the driver', async () => {
    const c = await connect(emulator.url, { database: 'RAW', schema: 'PUBLIC' });
    const renewals = requests('/session/token-request');
    emulator.faults.expireSessions('master-expired');
    await expect(run(c, 'select 1')).rejects.toBeDefined();
    expect(requests('/session/token-request')).toBe(renewals + 1);
    expect(c.isUp()).toBe(false);
    conn = await connect(emulator.url, { database: 'RAW', schema: 'PUBLIC' });
  });

  test('a session that is gone (390111) leaves the driver disconnected; logging in again recovers', async () => {
    emulator.faults.expireSessions('gone');
    await expect(run(conn, 'select 1')).rejects.toBeDefined();
    expect(conn.isUp()).toBe(false);
    conn = await connect(emulator.url, { database: 'RAW', schema: 'PUBLIC' });
    expect(await count()).toBe(4);
  });
});
