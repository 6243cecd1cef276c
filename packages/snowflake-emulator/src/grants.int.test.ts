import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, destroy, run, runFailing, startTestEmulator } from './sdk-connection.fixture.js';

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let conn: Connection;

beforeAll(async () => {
  emulator = await startTestEmulator({ databases: ['ANALYTICS'] });
  conn = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC', role: 'LOADER' });
});
afterAll(async () => {
  if (conn?.isUp()) await destroy(conn);
  await emulator?.dispose();
});

/** The privileges granted on an object, as `PRIVILEGE to GRANTEE`, OWNERSHIP left out. */
async function grants(kind: 'table' | 'view', name: string): Promise<string[]> {
  const { rows } = await run(conn, `show grants on ${kind} ${name}`);
  return rows
    .filter((r) => r.privilege !== 'OWNERSHIP')
    .map((r) => `${String(r.privilege)} to ${String(r.grantee_name)}`)
    .sort();
}

describe('grants on tables and views', () => {
  test('GRANT and REVOKE change what SHOW GRANTS lists; the owner holds OWNERSHIP', async () => {
    await run(conn, 'create or replace table g1 (n int)');
    await run(conn, 'grant select on table g1 to role reporter');
    await run(conn, 'grant select, insert on table g1 to role "Loader"');
    expect(await grants('table', 'g1')).toEqual(['INSERT to Loader', 'SELECT to Loader', 'SELECT to REPORTER']);
    const { rows } = await run(conn, 'show grants on table g1');
    expect(rows.find((r) => r.privilege === 'OWNERSHIP')).toMatchObject({ grantee_name: 'LOADER', granted_to: 'ROLE' });
    await run(conn, 'revoke insert on table g1 from role "Loader"');
    expect(await grants('table', 'g1')).toEqual(['SELECT to Loader', 'SELECT to REPORTER']);
    expect(await runFailing(conn, 'grant select on table no_such_table to role reporter')).toMatchObject({
      code: '002003',
    });
  });

  test('CREATE OR REPLACE drops the grants of what it replaces, unless it says COPY GRANTS', async () => {
    await run(conn, 'create or replace table g2 (n int)');
    await run(conn, 'grant select on table g2 to role reporter');
    await run(conn, 'create or replace transient table g2 copy grants as select 1 as n');
    expect(await grants('table', 'g2')).toEqual(['SELECT to REPORTER']);
    await run(conn, 'create or replace table g2 as select 2 as n');
    expect(await grants('table', 'g2')).toEqual([]);
    await run(conn, 'create or replace view v2 as select 1 as n');
    await run(conn, 'grant select on view v2 to role reporter');
    await run(conn, 'create or replace view v2 copy grants as select 2 as n');
    expect(await grants('view', 'v2')).toEqual(['SELECT to REPORTER']);
    await run(conn, 'create or replace view v2 as select 3 as n');
    expect(await grants('view', 'v2')).toEqual([]);
  });

  test('grants follow a rename and go with DROP', async () => {
    await run(conn, 'create or replace table g3 (n int)');
    await run(conn, 'grant select on table g3 to role reporter');
    await run(conn, 'alter table g3 rename to g4');
    expect(await grants('table', 'g4')).toEqual(['SELECT to REPORTER']);
    await run(conn, 'drop table g4');
    await run(conn, 'create table g4 (n int)');
    expect(await grants('table', 'g4')).toEqual([]);
  });

  test('other GRANT forms are accepted without effect', async () => {
    await run(conn, 'grant usage on database analytics to role reporter');
    await run(conn, 'grant select on future tables in schema public to role reporter');
    await run(conn, 'grant role reporter to user sluice');
  });
});
