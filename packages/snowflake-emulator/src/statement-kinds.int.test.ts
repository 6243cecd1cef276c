/**
 * Every statement kind the executor handles, through the real snowflake-sdk: what each answers, the errors it
 * raises (code, SQLSTATE and message, as Snowflake words them) and what it does to the session and to other
 * sessions. SHOW and DESCRIBE too, for each object kind and scope.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, destroy, run, startTestEmulator } from './sdk-connection.fixture.js';

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let conn: Connection;
let localDir: string;

beforeAll(async () => {
  emulator = await startTestEmulator({ databases: ['APP'] });
  conn = await connect(emulator.url, { database: 'APP', schema: 'PUBLIC' });
  localDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sf-kinds-'));
  await writeFile(path.join(localDir, 'one.csv'), '1\n2\n');
});

afterAll(async () => {
  if (conn?.isUp()) await destroy(conn);
  await emulator?.dispose();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

/** The one-row `status` answer of a statement. */
async function status(sql: string, on: Connection = conn): Promise<unknown> {
  const { rows } = await run(on, sql);
  expect(rows).toHaveLength(1);
  return rows[0]?.status;
}

/** A failing statement's [code, SQLSTATE, message]. */
async function failure(sql: string, on: Connection = conn): Promise<[unknown, unknown, string]> {
  try {
    await run(on, sql);
  } catch (error) {
    const e = error as { code?: unknown; sqlState?: unknown; message: string };
    return [e.code, e.sqlState, e.message];
  }
  throw new Error(`expected the statement to fail: ${sql}`);
}

async function context(on: Connection = conn): Promise<Record<string, unknown>> {
  return (await run(on, 'select current_database() d, current_schema() s')).rows[0] ?? {};
}

const unsupported = (construct: string): string =>
  `Unsupported feature '${construct}'. The Sluice Snowflake emulator does not implement it; see its README for what is covered.`;
const OK = 'Statement executed successfully.';

describe('CREATE DATABASE and CREATE SCHEMA', () => {
  test('an existing database: already exists, IF NOT EXISTS succeeds, a name differing only in case is refused', async () => {
    expect(await failure('create database app')).toEqual([
      '002002',
      '42710',
      "SQL compilation error:\nObject 'APP' already exists.",
    ]);
    expect(await status('create database if not exists app')).toBe('APP already exists, statement succeeded.');
    expect(await failure('create database "app"')).toEqual([
      '000002',
      '0A000',
      unsupported("database 'app' next to 'APP' (names differing only in case)"),
    ]);
  });

  test('CREATE [OR REPLACE] DATABASE makes it current; OR REPLACE empties it', async () => {
    const other = await connect(emulator.url, { database: 'APP', schema: 'PUBLIC' });
    try {
      expect(await status('create database kinds_db', other)).toBe('Database KINDS_DB successfully created.');
      expect(await context(other)).toEqual({ D: 'KINDS_DB', S: 'PUBLIC' });
      await run(other, 'create table keep (a int)');
      expect(await status('create or replace database kinds_db', other)).toBe(
        'Database KINDS_DB successfully created.',
      );
      expect(await context(other)).toEqual({ D: 'KINDS_DB', S: 'PUBLIC' });
      expect((await run(other, 'show tables in database kinds_db')).rows).toEqual([]);
    } finally {
      await run(conn, 'drop database if exists kinds_db');
      await destroy(other);
    }
  });

  test('CREATE SCHEMA makes it current; an existing one is an error unless IF NOT EXISTS; OR REPLACE empties it', async () => {
    expect(await status('create schema app.kinds_s1')).toBe('Schema KINDS_S1 successfully created.');
    expect(await context()).toEqual({ D: 'APP', S: 'KINDS_S1' });
    expect(await failure('create schema app.kinds_s1')).toEqual([
      '002002',
      '42710',
      "SQL compilation error:\nObject 'APP.KINDS_S1' already exists.",
    ]);
    expect(await status('create schema if not exists app.kinds_s1')).toBe(
      'KINDS_S1 already exists, statement succeeded.',
    );
    await run(conn, 'create table app.kinds_s1.inner_t (a int)');
    expect(await status('create or replace schema app.kinds_s1')).toBe('Schema KINDS_S1 successfully created.');
    expect((await run(conn, 'show tables in schema app.kinds_s1')).rows).toEqual([]);
    await run(conn, 'drop schema app.kinds_s1');
    await run(conn, 'use schema app.public');
  });
});

describe('USE', () => {
  test('USE DATABASE / SCHEMA / a bare name; a missing one is 002043', async () => {
    const session = await connect(emulator.url, { database: 'APP', schema: 'PUBLIC' });
    try {
      await run(session, 'create database kinds_use');
      await run(session, 'use schema app.public');
      const missing = [
        '002043',
        '02000',
        'SQL compilation error:\nObject does not exist, or operation cannot be performed.',
      ];
      expect(await failure('use database nope', session)).toEqual(missing);
      expect(await failure('use schema nope', session)).toEqual(missing);
      expect(await failure('use schema kinds_use.nope', session)).toEqual(missing);
      expect(await status('use kinds_use', session)).toBe(OK);
      expect(await context(session)).toEqual({ D: 'KINDS_USE', S: 'PUBLIC' });
      expect(await status('use app.public', session)).toBe(OK);
      expect(await context(session)).toEqual({ D: 'APP', S: 'PUBLIC' });
      expect(await status('use database kinds_use', session)).toBe(OK);
      expect(await context(session)).toEqual({ D: 'KINDS_USE', S: 'PUBLIC' });
      await run(session, 'drop schema kinds_use.public');
      await run(session, 'use database app');
      expect(await status('use database kinds_use', session)).toBe(OK);
      expect(await context(session)).toEqual({ D: 'KINDS_USE', S: null });
    } finally {
      await run(conn, 'drop database if exists kinds_use');
      await destroy(session);
    }
  });

  test('USE WAREHOUSE / ROLE / SECONDARY ROLES set the session and SHOW WAREHOUSES lists the warehouse', async () => {
    const session = await connect(emulator.url, { database: 'APP', schema: 'PUBLIC' });
    try {
      expect(await status('use warehouse kinds_wh', session)).toBe(OK);
      expect(await status('use role analyst', session)).toBe(OK);
      expect(await status('use secondary roles all', session)).toBe(OK);
      expect((await run(session, 'select current_warehouse() w, current_role() r')).rows).toEqual([
        { W: 'KINDS_WH', R: 'ANALYST' },
      ]);
      const { rows } = await run(session, "show warehouses like 'KINDS_WH'");
      expect(rows).toEqual([
        {
          name: 'KINDS_WH',
          state: 'STARTED',
          type: 'STANDARD',
          size: 'X-Small',
          is_current: 'true',
          auto_suspend: '600',
          auto_resume: 'true',
          owner: 'ANALYST',
        },
      ]);
      expect(await status('create warehouse kinds_wh2', session)).toBe('Warehouse KINDS_WH2 successfully created.');
      expect((await run(session, "show warehouses like 'KINDS_WH2'")).rows[0]).toMatchObject({
        name: 'KINDS_WH2',
        is_current: 'false',
      });
    } finally {
      await destroy(session);
    }
  });
});

describe('CREATE TABLE and CREATE VIEW', () => {
  beforeAll(async () => {
    await run(conn, 'create schema app.kinds_ddl');
  });
  afterAll(async () => {
    await run(conn, 'drop schema app.kinds_ddl');
    await run(conn, 'use schema app.public');
  });

  test('an existing table: already exists, IF NOT EXISTS succeeds, OR REPLACE of a view is refused', async () => {
    expect(await status('create table t1 (a int)')).toBe('Table T1 successfully created.');
    expect(await failure('create table t1 (a int)')).toEqual([
      '002002',
      '42710',
      "SQL compilation error:\nObject 'APP.KINDS_DDL.T1' already exists.",
    ]);
    expect(await status('create table if not exists t1 (a int)')).toBe('T1 already exists, statement succeeded.');
    expect(await status('create view v1 as select 1 x')).toBe('View V1 successfully created.');
    expect(await failure('create or replace table v1 (a int)')).toEqual([
      '002002',
      '42710',
      "SQL compilation error:\nObject 'APP.KINDS_DDL.V1' already exists as a VIEW.",
    ]);
    expect(await status('create view if not exists v1 as select 2 x')).toBe('V1 already exists, statement succeeded.');
    expect((await run(conn, 'select * from v1')).rows).toEqual([{ X: 1 }]);
  });

  test('a table in a database that does not exist, or that differs from one only in case', async () => {
    expect(await failure('create table nodb.s.t (a int)')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nDatabase 'NODB' does not exist or not authorized.",
    ]);
    expect(await failure('create table "app".s.t (a int)')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nDatabase 'app' does not exist or not authorized. (The emulator has 'APP'; DuckDB cannot hold two databases whose names differ only in case.)",
    ]);
    expect(await failure('truncate table nodb.s.t')).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nTable 'NODB.S.T' does not exist or not authorized.",
    ]);
    expect(await failure('drop schema nodb.s')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nSchema 'NODB.S' does not exist or not authorized.",
    ]);
    expect(await failure('use schema nodb.s')).toEqual([
      '002043',
      '02000',
      'SQL compilation error:\nObject does not exist, or operation cannot be performed.',
    ]);
  });

  test('TEMPORARY and TRANSIENT tables show their kind', async () => {
    await run(conn, 'create temporary table kinds_tt (a int)');
    await run(conn, 'create transient table kinds_tr (a int)');
    await run(conn, 'create table kinds_tp (a int)');
    const { rows } = await run(conn, "show tables like 'KINDS_T%' in schema app.kinds_ddl");
    expect(rows.map((r) => [r.name, r.kind])).toEqual([
      ['KINDS_TP', 'TABLE'],
      ['KINDS_TR', 'TRANSIENT'],
      ['KINDS_TT', 'TEMPORARY'],
    ]);
  });
});

describe('TRUNCATE, ALTER TABLE, ALTER VIEW, COMMENT', () => {
  beforeAll(async () => {
    await run(conn, 'create schema app.kinds_alter');
  });
  afterAll(async () => {
    await run(conn, 'drop schema app.kinds_alter');
    await run(conn, 'use schema app.public');
  });

  test('TRUNCATE: a missing table, IF EXISTS, and the rows gone', async () => {
    expect(await failure('truncate table nope')).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nTable 'APP.KINDS_ALTER.NOPE' does not exist or not authorized.",
    ]);
    expect(await status('truncate table if exists nope')).toBe(OK);
    await run(conn, 'create table tr1 (a int)');
    await run(conn, 'insert into tr1 values (1), (2)');
    expect(await status('truncate table tr1')).toBe(OK);
    expect((await run(conn, 'select count(*) n from tr1')).rows).toEqual([{ N: 0 }]);
  });

  test('ALTER TABLE: a missing table, IF EXISTS, renames and swaps across schemas refused, a swap with a missing table', async () => {
    expect(await failure('alter table nope add column b int')).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nTable 'APP.KINDS_ALTER.NOPE' does not exist or not authorized.",
    ]);
    expect(await status('alter table if exists nope add column b int')).toBe(OK);
    await run(conn, 'create table al1 (a int)');
    expect(await failure('alter table al1 rename to app.public.al1')).toEqual([
      '000002',
      '0A000',
      unsupported('ALTER TABLE … RENAME TO another schema or database'),
    ]);
    expect(await failure('alter table al1 swap with app.public.x')).toEqual([
      '000002',
      '0A000',
      unsupported('ALTER TABLE … SWAP WITH a table in another schema or database'),
    ]);
    expect(await failure('alter table al1 swap with nope')).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nTable 'APP.KINDS_ALTER.NOPE' does not exist or not authorized.",
    ]);
  });

  test('ALTER TABLE steps keep the declared type; SWAP WITH and RENAME TO move the data', async () => {
    await run(conn, 'create table sw1 (a int)');
    expect(await status('alter table sw1 add column b varchar(10)')).toBe(OK);
    expect(await status('alter table sw1 alter column b set data type varchar(20)')).toBe(OK);
    expect((await run(conn, 'describe table sw1')).rows.map((r) => [r.name, r.type])).toEqual([
      ['A', 'NUMBER(38,0)'],
      ['B', 'VARCHAR(20)'],
    ]);
    await run(conn, "insert into sw1 values (1, 'x')");
    await run(conn, 'create table sw2 (z int)');
    expect(await status('alter table sw1 swap with sw2')).toBe(OK);
    expect((await run(conn, 'select * from sw1')).statement.getColumns()?.map((c) => c.getName())).toEqual(['Z']);
    expect((await run(conn, 'select * from sw2')).rows).toEqual([{ A: 1, B: 'x' }]);
    expect(await status('alter table sw2 rename to sw3')).toBe(OK);
    expect((await run(conn, 'select * from sw3')).rows).toEqual([{ A: 1, B: 'x' }]);
  });

  test('ALTER VIEW … RENAME TO: the view moves; a missing view, IF EXISTS', async () => {
    await run(conn, 'create view av1 as select 1 x');
    expect(await status('alter view av1 rename to av2')).toBe(OK);
    expect((await run(conn, 'select * from av2')).rows).toEqual([{ X: 1 }]);
    expect(await failure('alter view nope rename to x')).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nView 'APP.KINDS_ALTER.NOPE' does not exist or not authorized.",
    ]);
    expect(await status('alter view if exists nope rename to x')).toBe(OK);
  });

  test('COMMENT ON: a missing table, view or column, IF EXISTS, and a view comment shown by SHOW VIEWS', async () => {
    expect(await failure("comment on table nope is 'x'")).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nTable 'APP.KINDS_ALTER.NOPE' does not exist or not authorized.",
    ]);
    expect(await status("comment if exists on table nope is 'x'")).toBe(OK);
    expect(await failure("comment on view nope is 'x'")).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nView 'APP.KINDS_ALTER.NOPE' does not exist or not authorized.",
    ]);
    await run(conn, 'create table cm1 (a int)');
    expect(await failure("comment on column cm1.zz is 'x'")).toEqual([
      '000904',
      '42000',
      "SQL compilation error: error line 1 at position 0\ninvalid identifier 'ZZ'",
    ]);
    await run(conn, 'create view cmv as select 1 x');
    expect(await status("comment on view cmv is 'the view'")).toBe(OK);
    const { rows } = await run(conn, "show views like 'CMV' in schema app.kinds_alter");
    expect(rows.map(({ created_on: _, ...rest }) => rest)).toEqual([
      {
        name: 'CMV',
        reserved: '',
        database_name: 'APP',
        schema_name: 'KINDS_ALTER',
        owner: 'PUBLIC',
        comment: 'the view',
        text: 'CREATE VIEW KINDS_ALTER.CMV AS SELECT 1 AS X;',
        is_secure: 'false',
        is_materialized: 'false',
        owner_role_type: 'ROLE',
      },
    ]);
  });
});

describe('DROP', () => {
  test('TABLE and VIEW: the wrong kind, a missing one, IF EXISTS', async () => {
    await run(conn, 'create schema app.kinds_drop');
    await run(conn, 'create view dv as select 1 x');
    expect(await failure('drop table dv')).toEqual([
      '002203',
      '02000',
      "SQL compilation error:\nObject found is of type 'VIEW', not specified type 'TABLE'.",
    ]);
    expect(await failure('drop view nope')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nView 'APP.KINDS_DROP.NOPE' does not exist or not authorized.",
    ]);
    expect(await failure('drop table nope')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nTable 'APP.KINDS_DROP.NOPE' does not exist or not authorized.",
    ]);
    expect(await status('drop table if exists nope')).toBe(
      'Drop statement executed successfully (APP.KINDS_DROP.NOPE already dropped).',
    );
    expect(await status('drop view dv')).toBe('DV successfully dropped.');
    await run(conn, 'drop schema app.kinds_drop');
    await run(conn, 'use schema app.public');
  });

  test('SCHEMA and DATABASE: other sessions in them lose their context; missing ones, IF EXISTS', async () => {
    const other = await connect(emulator.url, { database: 'APP', schema: 'PUBLIC' });
    try {
      await run(other, 'create schema app.kinds_gone');
      expect(await context(other)).toEqual({ D: 'APP', S: 'KINDS_GONE' });
      expect(await status('drop schema app.kinds_gone')).toBe('KINDS_GONE successfully dropped.');
      expect(await context(other)).toEqual({ D: 'APP', S: null });
      expect(await failure('drop schema nope')).toEqual([
        '002003',
        '02000',
        "SQL compilation error:\nSchema 'APP.NOPE' does not exist or not authorized.",
      ]);
      expect(await status('drop schema if exists nope')).toBe(
        'Drop statement executed successfully (APP.NOPE already dropped).',
      );
      await run(other, 'create database kinds_gone_db');
      expect(await status('drop database kinds_gone_db')).toBe('KINDS_GONE_DB successfully dropped.');
      expect(await context(other)).toEqual({ D: null, S: null });
      expect(await failure('drop database nope')).toEqual([
        '002003',
        '02000',
        "SQL compilation error:\nDatabase 'NOPE' does not exist or not authorized.",
      ]);
      expect(await status('drop database if exists nope')).toBe(
        'Drop statement executed successfully (NOPE already dropped).',
      );
      expect((await run(conn, 'show databases')).rows.map((r) => [r.name, r.is_current])).toEqual([['APP', 'Y']]);
    } finally {
      await destroy(other);
    }
  });
});

describe('stages and file formats', () => {
  beforeAll(async () => {
    await run(conn, 'create schema app.kinds_stage');
  });
  afterAll(async () => {
    await run(conn, 'drop schema app.kinds_stage');
    await run(conn, 'use schema app.public');
  });

  test('CREATE STAGE: already exists, IF NOT EXISTS, OR REPLACE empties it, a missing schema', async () => {
    expect(await status('create stage st')).toBe('Stage area ST successfully created.');
    expect(await failure('create stage st')).toEqual([
      '002002',
      '42710',
      "SQL compilation error:\nObject 'APP.KINDS_STAGE.ST' already exists.",
    ]);
    expect(await status('create stage if not exists st')).toBe('ST already exists, statement succeeded.');
    await run(conn, `put file://${localDir}/one.csv @st auto_compress = false`);
    expect((await run(conn, 'list @st')).rows.map((r) => [r.name, r.size, r.md5])).toEqual([
      ['st/one.csv', 4, '6ddb4095eb719e2a9f0a3f95677d24e0'],
    ]);
    expect(await status('create or replace stage st')).toBe('Stage area ST successfully created.');
    expect((await run(conn, 'list @st')).rows).toEqual([]);
    expect(await failure('create stage nos.st')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nSchema 'APP.NOS' does not exist or not authorized.",
    ]);
  });

  test('SHOW STAGES in each scope, DESCRIBE STAGE, DROP STAGE, and stages that do not exist', async () => {
    await run(conn, 'create stage if not exists st');
    for (const scope of ['account', 'database app', 'schema app.kinds_stage']) {
      const { rows } = await run(conn, `show stages like 'ST' in ${scope}`);
      expect(rows.map(({ created_on: _, ...rest }) => rest)).toEqual([
        {
          name: 'ST',
          database_name: 'APP',
          schema_name: 'KINDS_STAGE',
          url: '',
          has_credentials: 'N',
          has_encryption_key: 'N',
          owner: 'PUBLIC',
          comment: '',
          region: null,
          type: 'INTERNAL',
          cloud: null,
          notification_channel: null,
          storage_integration: null,
          owner_role_type: 'ROLE',
          directory_enabled: 'N',
        },
      ]);
    }
    const described = (await run(conn, 'describe stage st')).rows;
    expect(described.map((r) => [r.parent_property, r.property, r.property_value])).toEqual([
      ['STAGE_FILE_FORMAT', 'TYPE', '"CSV"'],
      ['STAGE_FILE_FORMAT', 'COMPRESSION', '"AUTO"'],
      ['STAGE_FILE_FORMAT', 'FIELD_DELIMITER', '","'],
      ['STAGE_FILE_FORMAT', 'RECORD_DELIMITER', '"\\n"'],
      ['STAGE_FILE_FORMAT', 'SKIP_HEADER', '0'],
      ['STAGE_FILE_FORMAT', 'FIELD_OPTIONALLY_ENCLOSED_BY', null],
      ['STAGE_FILE_FORMAT', 'ESCAPE', null],
      ['STAGE_FILE_FORMAT', 'ESCAPE_UNENCLOSED_FIELD', '"\\\\"'],
      ['STAGE_FILE_FORMAT', 'NULL_IF', '["\\\\N"]'],
      ['STAGE_FILE_FORMAT', 'EMPTY_FIELD_AS_NULL', 'true'],
      ['STAGE_FILE_FORMAT', 'ERROR_ON_COLUMN_COUNT_MISMATCH', 'true'],
      ['STAGE_FILE_FORMAT', 'TRIM_SPACE', 'false'],
      ['STAGE_FILE_FORMAT', 'SKIP_BLANK_LINES', 'false'],
      ['STAGE_FILE_FORMAT', 'BINARY_FORMAT', '"HEX"'],
    ]);
    expect(await status('drop stage st')).toBe('ST successfully dropped.');
    const missingStage = [
      '002003',
      '02000',
      "SQL compilation error:\nStage 'APP.KINDS_STAGE.ST' does not exist or not authorized.",
    ];
    expect(await failure('drop stage st')).toEqual(missingStage);
    expect(await status('drop stage if exists st')).toBe(
      'Drop statement executed successfully (APP.KINDS_STAGE.ST already dropped).',
    );
    expect(await failure('list @st')).toEqual(missingStage);
    expect(await failure('describe stage st')).toEqual(missingStage);
    expect(await failure('list @%nope')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nTable 'APP.KINDS_STAGE.NOPE' does not exist or not authorized.",
    ]);
  });

  test('CREATE FILE FORMAT: already exists, IF NOT EXISTS, OR REPLACE, SHOW, DROP', async () => {
    expect(await status('create file format ff type = csv skip_header = 1')).toBe(
      'File format FF successfully created.',
    );
    expect(await failure('create file format ff type = csv')).toEqual([
      '002002',
      '42710',
      "SQL compilation error:\nObject 'APP.KINDS_STAGE.FF' already exists.",
    ]);
    expect(await status('create file format if not exists ff type = csv')).toBe(
      'FF already exists, statement succeeded.',
    );
    expect(await status('create or replace file format ff type = csv skip_header = 2')).toBe(
      'File format FF successfully created.',
    );
    const { rows } = await run(conn, "show file formats like 'FF'");
    expect(rows.map((r) => [r.name, r.database_name, r.schema_name, r.type, r.owner, r.comment])).toEqual([
      ['FF', 'APP', 'KINDS_STAGE', 'CSV', 'PUBLIC', ''],
    ]);
    expect(JSON.parse(String(rows[0]?.format_options))).toMatchObject({ type: 'CSV', skipHeader: 2 });
    expect(await status('drop file format ff')).toBe('FF successfully dropped.');
    expect(await failure('drop file format ff')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nFile format 'APP.KINDS_STAGE.FF' does not exist or not authorized.",
    ]);
    expect(await status('drop file format if exists ff')).toBe(
      'Drop statement executed successfully (APP.KINDS_STAGE.FF already dropped).',
    );
  });

  test('COPY INTO: a missing file format, table, column or stage; PURGE removes what loaded', async () => {
    await run(conn, 'create table ct (a int, b int)');
    await run(conn, 'create stage cs');
    await run(conn, `put file://${localDir}/one.csv @cs auto_compress = false`);
    expect(await failure("copy into ct from @cs file_format = (format_name = 'nope')")).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nFile format 'APP.KINDS_STAGE.NOPE' does not exist or not authorized.",
    ]);
    expect(await failure('copy into nope from @cs')).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nTable 'APP.KINDS_STAGE.NOPE' does not exist or not authorized.",
    ]);
    expect(await failure('copy into ct (zz) from @cs')).toEqual([
      '000904',
      '42000',
      "SQL compilation error: error line 1 at position 0\ninvalid identifier 'ZZ'",
    ]);
    expect(await failure('copy into ct (a) from @nope')).toEqual([
      '002003',
      '02000',
      "SQL compilation error:\nStage 'APP.KINDS_STAGE.NOPE' does not exist or not authorized.",
    ]);
    const { rows } = await run(conn, 'copy into ct (a) from @cs purge = true');
    expect(rows).toEqual([
      {
        file: 'cs/one.csv',
        status: 'LOADED',
        rows_parsed: 2,
        rows_loaded: 2,
        error_limit: 1,
        errors_seen: 0,
        first_error: null,
        first_error_line: null,
        first_error_character: null,
        first_error_column_name: null,
      },
    ]);
    expect((await run(conn, 'list @cs')).rows).toEqual([]);
    expect((await run(conn, 'select a, b from ct order by a')).rows).toEqual([
      { A: 1, B: null },
      { A: 2, B: null },
    ]);
  });
});

describe('ALTER SESSION and SHOW PARAMETERS', () => {
  test('numbers, booleans and strings keep their type; UNSET restores the default or removes; a bad TIMEZONE, an unknown parameter are refused', async () => {
    const session = await connect(emulator.url, { database: 'APP', schema: 'PUBLIC' });
    const parameter = async (like: string) => (await run(session, `show parameters like '${like}'`)).rows;
    try {
      expect(
        await status(
          "alter session set statement_timeout_in_seconds = 60, abort_detached_query = true, query_tag = 'tag1'",
          session,
        ),
      ).toBe(OK);
      expect(await parameter('STATEMENT_TIMEOUT%')).toEqual([
        {
          key: 'STATEMENT_TIMEOUT_IN_SECONDS',
          value: '60',
          default: '',
          level: 'SESSION',
          description: '',
          type: 'NUMBER',
        },
      ]);
      expect(await parameter('ABORT%')).toEqual([
        { key: 'ABORT_DETACHED_QUERY', value: 'true', default: '', level: 'SESSION', description: '', type: 'BOOLEAN' },
      ]);
      expect(await parameter('QUERY_TAG')).toEqual([
        { key: 'QUERY_TAG', value: 'tag1', default: '', level: 'SESSION', description: '', type: 'STRING' },
      ]);
      await run(session, 'alter session unset query_tag');
      expect((await parameter('QUERY_TAG'))[0]?.value).toBe('');
      await run(session, 'alter session unset statement_timeout_in_seconds');
      expect(await parameter('STATEMENT_TIMEOUT%')).toEqual([]);
      expect(await failure("alter session set timezone = 'Nowhere/Zone'", session)).toEqual([
        '001003',
        '22023',
        "SQL compilation error:\ninvalid value for parameter TIMEZONE: Not implemented Error: Unknown TimeZone 'Nowhere/Zone'!",
      ]);
      expect((await parameter('TIMEZONE'))[0]?.value).toBe('UTC');
      // an unknown parameter is refused and the statement changes nothing (not even the known ones in it)
      expect((await failure('alter session set abc_mode = fast, abort_detached_query = false', session))[0]).toBe(
        '001006',
      );
      expect(await parameter('ABC_MODE')).toEqual([]);
      expect((await parameter('ABORT%'))[0]).toMatchObject({ value: 'true', type: 'BOOLEAN' });
      await run(session, 'alter session set abort_detached_query = false');
      expect((await parameter('ABORT%'))[0]).toMatchObject({ value: 'false', type: 'BOOLEAN' });
    } finally {
      await destroy(session);
    }
  });
});

describe('DML answers and transactions', () => {
  beforeAll(async () => {
    await run(conn, 'create schema app.kinds_dml');
  });
  afterAll(async () => {
    await run(conn, 'drop schema app.kinds_dml');
    await run(conn, 'use schema app.public');
  });

  test('MERGE answers one count per clause it has; UPDATE and DELETE answer their counts', async () => {
    await run(conn, 'create table m (id int, v int)');
    await run(conn, 'insert into m values (1, 1)');
    const merge = async (sql: string) => {
      const { rows, statement } = await run(conn, sql);
      return [statement.getColumns()?.map((c) => c.getName()), rows];
    };
    expect(
      await merge(
        'merge into m using (select 2 id, 2 v) s on m.id = s.id when not matched then insert (id, v) values (s.id, s.v)',
      ),
    ).toEqual([['number of rows inserted'], [{ 'number of rows inserted': 1 }]]);
    expect(
      await merge('merge into m using (select 1 id, 5 v) s on m.id = s.id when matched then update set v = s.v'),
    ).toEqual([['number of rows updated'], [{ 'number of rows updated': 1 }]]);
    expect(await merge('merge into m using (select 1 id) s on m.id = s.id when matched then delete')).toEqual([
      ['number of rows deleted'],
      [{ 'number of rows deleted': 1 }],
    ]);
    expect((await run(conn, 'update m set v = 9')).rows).toEqual([
      { 'number of rows updated': 1, 'number of multi-joined rows updated': 0 },
    ]);
    expect((await run(conn, 'delete from m')).rows).toEqual([{ 'number of rows deleted': 1 }]);
  });

  test('INSERT OVERWRITE that fails leaves the table as it was', async () => {
    await run(conn, 'create table nn (a int not null)');
    await run(conn, 'insert into nn values (1)');
    expect(await failure('insert overwrite into nn select null')).toEqual([
      '100072',
      '22000',
      'NULL result in a non-nullable column',
    ]);
    expect((await run(conn, 'select * from nn')).rows).toEqual([{ A: 1 }]);
    expect((await run(conn, 'insert overwrite into nn select 2 union all select 3')).rows).toEqual([
      { 'number of rows inserted': 2 },
    ]);
    expect((await run(conn, 'select a from nn order by a')).rows).toEqual([{ A: 2 }, { A: 3 }]);
  });

  test('DDL commits an open transaction; BEGIN twice and COMMIT or ROLLBACK without one succeed', async () => {
    await run(conn, 'create table tx (a int)');
    expect(await status('begin')).toBe(OK);
    await run(conn, 'insert into tx values (7)');
    expect(await status('create table during_tx (a int)')).toBe('Table DURING_TX successfully created.');
    expect(await status('rollback')).toBe(OK);
    expect((await run(conn, 'select count(*) n from tx')).rows).toEqual([{ N: 1 }]);
    expect(await status('begin')).toBe(OK);
    expect(await status('begin transaction')).toBe(OK);
    expect(await status('commit')).toBe(OK);
    expect(await status('commit')).toBe(OK);
    expect(await status('rollback')).toBe(OK);
  });
});

describe('SHOW and DESCRIBE', () => {
  beforeAll(async () => {
    await run(conn, 'create schema app.kinds_show');
    await run(conn, 'create table s1 (id int not null, label varchar(10))');
    await run(conn, 'create table s2 (x int)');
    await run(conn, 'insert into s2 values (1), (2)');
    await run(conn, 'create view sv as select 1 y');
  });
  afterAll(async () => {
    await run(conn, 'drop schema app.kinds_show');
    await run(conn, 'use schema app.public');
  });

  test('without a current database or schema, SHOW … IN DATABASE / IN SCHEMA say so; without IN, all databases', async () => {
    const none = await connect(emulator.url, {});
    try {
      expect(await context(none)).toEqual({ D: null, S: null });
      expect(await failure('show schemas in database', none)).toEqual([
        '090105',
        '22000',
        "Cannot perform SHOW. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.",
      ]);
      expect(await failure('show tables in schema', none)).toEqual([
        '090106',
        '22000',
        "Cannot perform SHOW. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.",
      ]);
      const tables = (await run(none, "show tables like 'S_'", {})).rows;
      expect(tables.map((r) => [r.database_name, r.schema_name, r.name])).toEqual([
        ['APP', 'KINDS_SHOW', 'S1'],
        ['APP', 'KINDS_SHOW', 'S2'],
      ]);
      const schemas = (await run(none, "show schemas like 'KINDS_SHOW'")).rows;
      expect(schemas.map(({ created_on: _, ...rest }) => rest)).toEqual([
        {
          name: 'KINDS_SHOW',
          is_default: 'N',
          is_current: 'N',
          database_name: 'APP',
          owner: 'PUBLIC',
          comment: '',
          options: '',
          retention_time: '1',
          owner_role_type: 'ROLE',
        },
      ]);
    } finally {
      await destroy(none);
    }
  });

  test('SHOW TABLES / OBJECTS in each scope, with LIKE, STARTS WITH and LIMIT', async () => {
    const names = async (sql: string) => (await run(conn, sql)).rows.map((r) => [r.name, r.kind, r.rows]);
    expect(await names('show tables')).toEqual([
      ['S1', 'TABLE', 0],
      ['S2', 'TABLE', 2],
    ]);
    expect(await names("show tables like 's%' in account")).toEqual([
      ['S1', 'TABLE', 0],
      ['S2', 'TABLE', 2],
    ]);
    expect(await names("show objects like 'S%' in database app")).toEqual([
      ['S1', 'TABLE', 0],
      ['S2', 'TABLE', 2],
      ['SV', 'VIEW', null],
    ]);
    expect(await names('show objects in schema app.kinds_show limit 2')).toEqual([
      ['S1', 'TABLE', 0],
      ['S2', 'TABLE', 2],
    ]);
    expect(await names("show tables in schema app.kinds_show starts with 'S2'")).toEqual([['S2', 'TABLE', 2]]);
    const { rows, statement } = await run(conn, "show objects like 'SV'");
    expect(statement.getColumns()?.map((c) => c.getName())).toEqual([
      'created_on',
      'name',
      'database_name',
      'schema_name',
      'kind',
      'comment',
      'cluster_by',
      'rows',
      'bytes',
      'owner',
      'retention_time',
      'owner_role_type',
    ]);
    expect(rows.map(({ created_on: _, ...rest }) => rest)).toEqual([
      {
        name: 'SV',
        database_name: 'APP',
        schema_name: 'KINDS_SHOW',
        kind: 'VIEW',
        comment: '',
        cluster_by: '',
        rows: null,
        bytes: null,
        owner: 'PUBLIC',
        retention_time: '1',
        owner_role_type: 'ROLE',
      },
    ]);
  });

  test('SHOW COLUMNS in a table, in the current database, with LIKE in a schema', async () => {
    const { rows } = await run(conn, 'show columns in table s1');
    expect(rows).toEqual([
      {
        table_name: 'S1',
        schema_name: 'KINDS_SHOW',
        column_name: 'ID',
        data_type: '{"type":"FIXED","precision":38,"scale":0,"nullable":false}',
        'null?': 'false',
        default: '',
        kind: 'COLUMN',
        expression: '',
        comment: '',
        database_name: 'APP',
        autoincrement: '',
      },
      {
        table_name: 'S1',
        schema_name: 'KINDS_SHOW',
        column_name: 'LABEL',
        data_type: '{"type":"TEXT","length":10,"byteLength":40,"nullable":true,"fixed":false}',
        'null?': 'true',
        default: '',
        kind: 'COLUMN',
        expression: '',
        comment: '',
        database_name: 'APP',
        autoincrement: '',
      },
    ]);
    const all = (await run(conn, 'show columns')).rows.filter((r) => r.schema_name === 'KINDS_SHOW');
    expect(all.map((r) => [r.table_name, r.column_name])).toEqual([
      ['S1', 'ID'],
      ['S1', 'LABEL'],
      ['S2', 'X'],
      ['SV', 'Y'],
    ]);
    const like = (await run(conn, "show columns like 'X' in schema app.kinds_show")).rows;
    expect(like.map((r) => [r.table_name, r.column_name])).toEqual([['S2', 'X']]);
  });

  test('SHOW COLUMNS data types and DESCRIBE types and defaults, for every type', async () => {
    await run(
      conn,
      'create table ty (v varchar, v5 varchar(5), b binary, b8 binary(8), n number(10,2), f float, t time, tn timestamp_ntz, tl timestamp_ltz, tz timestamp_tz, d date, bo boolean, va variant, o object, ar array, df int default 7)',
    );
    const shown = (await run(conn, 'show columns in table ty')).rows;
    expect(shown.map((r) => [r.column_name, JSON.parse(String(r.data_type)), r.default])).toEqual([
      ['V', { type: 'TEXT', length: 16777216, byteLength: 16777216, nullable: true, fixed: false }, ''],
      ['V5', { type: 'TEXT', length: 5, byteLength: 20, nullable: true, fixed: false }, ''],
      ['B', { type: 'BINARY', length: 8388608, byteLength: 8388608, nullable: true, fixed: false }, ''],
      ['B8', { type: 'BINARY', length: 8, byteLength: 8, nullable: true, fixed: false }, ''],
      ['N', { type: 'FIXED', precision: 10, scale: 2, nullable: true }, ''],
      ['F', { type: 'REAL', nullable: true }, ''],
      ['T', { type: 'TIME', precision: 0, scale: 9, nullable: true }, ''],
      ['TN', { type: 'TIMESTAMP_NTZ', precision: 0, scale: 9, nullable: true }, ''],
      ['TL', { type: 'TIMESTAMP_LTZ', precision: 0, scale: 9, nullable: true }, ''],
      ['TZ', { type: 'TIMESTAMP_TZ', precision: 0, scale: 9, nullable: true }, ''],
      ['D', { type: 'DATE', nullable: true }, ''],
      ['BO', { type: 'BOOLEAN', nullable: true }, ''],
      ['VA', { type: 'VARIANT', nullable: true }, ''],
      ['O', { type: 'OBJECT', nullable: true }, ''],
      ['AR', { type: 'ARRAY', nullable: true }, ''],
      ['DF', { type: 'FIXED', precision: 38, scale: 0, nullable: true }, '7'],
    ]);
    const described = (await run(conn, 'describe table ty')).rows;
    expect(described.map((r) => [r.name, r.type, r.default])).toEqual([
      ['V', 'VARCHAR(16777216)', null],
      ['V5', 'VARCHAR(5)', null],
      ['B', 'BINARY(8388608)', null],
      ['B8', 'BINARY(8)', null],
      ['N', 'NUMBER(10,2)', null],
      ['F', 'FLOAT', null],
      ['T', 'TIME(9)', null],
      ['TN', 'TIMESTAMP_NTZ(9)', null],
      ['TL', 'TIMESTAMP_LTZ(9)', null],
      ['TZ', 'TIMESTAMP_TZ(9)', null],
      ['D', 'DATE', null],
      ['BO', 'BOOLEAN', null],
      ['VA', 'VARIANT', null],
      ['O', 'OBJECT', null],
      ['AR', 'ARRAY', null],
      ['DF', 'NUMBER(38,0)', '7'],
    ]);
  });

  test('SHOW DATABASES marks the current one; SHOW STAGES in the current database lists a temporary stage', async () => {
    await run(conn, 'create database kinds_second');
    await run(conn, 'use schema app.kinds_show');
    try {
      const databases = (await run(conn, 'show databases')).rows;
      expect(databases.map((r) => [r.name, r.is_current, r.kind])).toEqual([
        ['APP', 'Y', 'STANDARD'],
        ['KINDS_SECOND', 'N', 'STANDARD'],
      ]);
      await run(conn, 'create temporary stage tst');
      for (const sql of ['show stages in database', 'show stages']) {
        const { rows } = await run(conn, sql);
        expect(rows.map((r) => [r.name, r.schema_name, r.type])).toEqual([['TST', 'KINDS_SHOW', 'INTERNAL TEMPORARY']]);
      }
      await run(conn, 'drop stage tst');
    } finally {
      await run(conn, 'drop database kinds_second');
      await run(conn, 'use schema app.kinds_show');
    }
  });

  test('DESCRIBE TABLE and VIEW; one that does not exist', async () => {
    expect((await run(conn, 'describe view sv')).rows.map((r) => [r.name, r.type, r['null?']])).toEqual([
      ['Y', 'NUMBER(38,0)', 'Y'],
    ]);
    expect(await failure('describe table nope')).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nTable 'APP.KINDS_SHOW.NOPE' does not exist or not authorized.",
    ]);
    expect(await failure('describe view nope')).toEqual([
      '002003',
      '42S02',
      "SQL compilation error:\nView 'APP.KINDS_SHOW.NOPE' does not exist or not authorized.",
    ]);
  });
});
