import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HOSTILE_ACCOUNT_PARAMETERS } from './session-parameter-rules.js';
import { connect, destroy, run, runFailing, startTestEmulator } from './sdk-connection.fixture.js';

/*
 * Account-level parameter settings (`accountParameters`): every session starts with them, and the emulator honours
 * the ones a client's SQL depends on, so a client that does not set what it needs fails here as it would on a
 * customer's account.
 */

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let hostile: Connection;

beforeAll(async () => {
  emulator = await startTestEmulator({
    databases: ['ANALYTICS'],
    users: [
      { name: 'sluice', password: 'secret' },
      {
        name: 'robot',
        type: 'SERVICE',
        password: 'secret',
        oauthTokens: ['oauth-1'],
        programmaticAccessTokens: ['pat-1'],
      },
      { name: 'person', password: 'pw', oauthTokens: ['oauth-2'] },
    ],
    accountParameters: HOSTILE_ACCOUNT_PARAMETERS,
  });
  hostile = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC' });
});

afterAll(async () => {
  if (hostile?.isUp()) await destroy(hostile);
  await emulator?.dispose();
});

describe('account parameters', () => {
  test('a session starts with the account settings, and UNSET goes back to them', async () => {
    const timezone = async () =>
      (await run(hostile, "show parameters like 'TIMEZONE' in session")).rows.map((r) => r.value);
    expect(await timezone()).toEqual(['America/Los_Angeles']);
    await run(hostile, "alter session set timezone = 'UTC'");
    expect(await timezone()).toEqual(['UTC']);
    await run(hostile, 'alter session unset timezone');
    expect(await timezone()).toEqual(['America/Los_Angeles']);
  });

  test('quoted identifiers fold to upper case under QUOTED_IDENTIFIERS_IGNORE_CASE', async () => {
    await run(hostile, 'create or replace table "Folded" ("Observação" varchar)');
    const { rows } = await run(hostile, 'show columns in table "FOLDED"');
    expect(rows.map((r) => r.column_name)).toEqual(['OBSERVAÇÃO']);
    await run(hostile, 'alter session set quoted_identifiers_ignore_case = false');
    await run(hostile, 'create or replace table "Kept" ("Observação" varchar)');
    expect((await run(hostile, 'show columns in table "Kept"')).rows.map((r) => r.column_name)).toEqual(['Observação']);
    await run(hostile, 'alter session unset quoted_identifiers_ignore_case');
  });

  test('text cast to a date or timestamp must match the input format; AUTO reads ISO text', async () => {
    expect(await runFailing(hostile, "select cast('2024-01-02' as date) as d")).toMatchObject({
      code: '100040',
      message: "Date '2024-01-02' is not recognized",
    });
    expect((await run(hostile, "select cast('02/01/2024' as date) as d", { fetchAsString: ['Date'] })).rows).toEqual([
      { D: '02/01/2024' },
    ]);
    expect(await runFailing(hostile, "select '2024-01-02 03:04:05'::timestamp_ntz as t")).toMatchObject({
      code: '100035',
    });
    await run(hostile, "alter session set date_input_format = 'AUTO' timestamp_input_format = 'AUTO'");
    expect((await run(hostile, "select to_varchar(cast('2024-01-02' as date), 'YYYY-MM-DD') as d")).rows).toEqual([
      { D: '2024-01-02' },
    ]);
    await run(hostile, 'alter session unset date_input_format, timestamp_input_format');
  });

  test('a value a parameter does not take is refused, and nothing of the statement is applied', async () => {
    expect(await runFailing(hostile, "alter session set quoted_identifiers_ignore_case = 'maybe'")).toMatchObject({
      code: '001003',
    });
    expect(await runFailing(hostile, 'alter session set week_start = -1')).toMatchObject({ code: '001003' });
  });

  test('AUTOCOMMIT = FALSE keeps DML in an open transaction that dies with the session', async () => {
    await run(hostile, 'create or replace table kept (n int)');
    await run(hostile, 'insert into kept values (1)');
    const other = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC' });
    expect((await run(other, 'select count(*) as n from kept')).rows).toEqual([{ N: 0 }]);
    await run(hostile, 'commit');
    expect((await run(other, 'select count(*) as n from kept')).rows).toEqual([{ N: 1 }]);
    await destroy(other);
  });

  test('ROWS_PER_RESULTSET caps the rows of a result', async () => {
    const { rows } = await run(hostile, 'select * from (values (1), (2), (3), (4)) as v(n)');
    expect(rows.length).toBe(2);
  });

  test("WEEK_START moves DATE_TRUNC('week')", async () => {
    // 2024-01-03 is a Wednesday: weeks start on Sunday 2023-12-31 (WEEK_START = 7), on Monday 2024-01-01 (0).
    const sql = "select to_varchar(date_trunc('week', '2024-01-03'::date), 'YYYY-MM-DD') as w";
    await run(hostile, "alter session set date_input_format = 'AUTO'");
    expect((await run(hostile, sql)).rows).toEqual([{ W: '2023-12-31' }]);
    await run(hostile, 'alter session set week_start = 0');
    expect((await run(hostile, sql)).rows).toEqual([{ W: '2024-01-01' }]);
    await run(hostile, 'alter session unset week_start, date_input_format');
  });

  test('STATEMENT_TIMEOUT_IN_SECONDS cancels a statement that runs longer (000630)', async () => {
    await run(hostile, 'alter session set statement_timeout_in_seconds = 1');
    expect(await runFailing(hostile, 'select system$wait(3)')).toMatchObject({ code: '000630' });
    await run(hostile, 'alter session unset statement_timeout_in_seconds');
  });
});

describe('sign-in methods', () => {
  const options = { database: 'ANALYTICS', sfRetryMaxLoginRetries: 0 };

  test('a SERVICE user cannot sign in with a password, but can with OAuth and a programmatic access token', async () => {
    await expect(connect(emulator.url, { ...options, username: 'robot', password: 'secret' })).rejects.toMatchObject({
      code: '390100',
    });
    const oauth = await connect(emulator.url, {
      ...options,
      username: 'robot',
      authenticator: 'OAUTH',
      token: 'oauth-1',
      password: undefined,
    } as never);
    expect((await run(oauth, 'select current_user() as u')).rows).toEqual([{ U: 'ROBOT' }]);
    await destroy(oauth);
    const pat = await connect(emulator.url, {
      ...options,
      username: 'robot',
      authenticator: 'PROGRAMMATIC_ACCESS_TOKEN',
      token: 'pat-1',
      password: undefined,
    } as never);
    expect((await run(pat, 'select current_user() as u')).rows).toEqual([{ U: 'ROBOT' }]);
    await destroy(pat);
    await expect(
      connect(emulator.url, {
        ...options,
        username: 'robot',
        authenticator: 'OAUTH',
        token: 'oauth-2',
        password: undefined,
      } as never),
    ).rejects.toMatchObject({ code: '390303' });
  });

  test('EXTERNALBROWSER: the browser signs in on the console page and hands the driver a token', async () => {
    const opened: string[] = [];
    const person = await connect(emulator.url, {
      ...options,
      username: 'person',
      authenticator: 'EXTERNALBROWSER',
      password: undefined,
      disableConsoleLogin: false,
      openExternalBrowserCallback: (url: string) => {
        opened.push(url);
        // the "browser": Snowflake's login page (the emulator's), which redirects to the driver's local port
        const page = new URL(url);
        void fetch(`${emulator.url}${page.pathname}${page.search}`);
      },
    } as never);
    expect(opened).toHaveLength(1);
    expect((await run(person, 'select current_user() as u')).rows).toEqual([{ U: 'PERSON' }]);
    await destroy(person);
  });
});
