import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, destroy, run, startTestEmulator } from './sdk-connection.fixture.js';

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let conn: Connection;
let localDir: string;

beforeAll(async () => {
  emulator = await startTestEmulator({ databases: ['RAW'] });
  conn = await connect(emulator.url, { database: 'RAW', schema: 'PUBLIC', warehouse: 'LOAD_WH' });
  localDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sf-meta-'));
});

afterAll(async () => {
  if (conn?.isUp()) await destroy(conn);
  await emulator?.dispose();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

const columnComments = async (table: string): Promise<Record<string, unknown>> =>
  Object.fromEntries((await run(conn, `show columns in table ${table}`)).rows.map((r) => [r.column_name, r.comment]));
const tableComment = async (table: string): Promise<unknown> =>
  (await run(conn, `show objects like '${table}' in schema raw.public`)).rows.find((r) => r.name === table)?.comment;

describe('COMMENTs on tables and columns', () => {
  test('kept from CREATE TABLE (column COMMENT and table COMMENT =), shown by SHOW COLUMNS, SHOW OBJECTS, SHOW TABLES and DESCRIBE', async () => {
    await run(
      conn,
      `create table commented (id number(10,0) comment 'the key', note varchar comment 'say \\'hi\\' \\\\ "json"', plain int) comment = 'sluice:{"primaryKey":["id"]}'`,
    );
    expect(await columnComments('commented')).toEqual({ ID: 'the key', NOTE: `say 'hi' \\ "json"`, PLAIN: '' });
    expect(await tableComment('COMMENTED')).toBe('sluice:{"primaryKey":["id"]}');
    expect((await run(conn, `show tables like 'COMMENTED'`)).rows[0]?.comment).toBe('sluice:{"primaryKey":["id"]}');
    const described = (await run(conn, 'describe table commented')).rows.map((r) => [r.name, r.comment]);
    expect(described).toEqual([
      ['ID', 'the key'],
      ['NOTE', `say 'hi' \\ "json"`],
      ['PLAIN', null],
    ]);
  });

  test('ALTER TABLE ADD COLUMN … COMMENT, ALTER COLUMN … COMMENT / UNSET COMMENT, SET COMMENT, and COMMENT ON', async () => {
    await run(conn, `alter table commented add column added date comment 'new'`);
    await run(conn, `alter table commented alter column plain comment 'now commented'`);
    await run(conn, `alter table commented alter column id unset comment`);
    await run(conn, `alter table commented set comment = 'changed'`);
    await run(conn, `comment on column commented.note is 'via comment on'`);
    expect(await columnComments('commented')).toEqual({
      ID: '',
      NOTE: 'via comment on',
      PLAIN: 'now commented',
      ADDED: 'new',
    });
    expect(await tableComment('COMMENTED')).toBe('changed');
    await run(conn, `comment on table commented is 'again'`);
    expect(await tableComment('COMMENTED')).toBe('again');
  });

  test('comments follow RENAME COLUMN, DROP COLUMN, RENAME TO and SWAP WITH, and go with DROP and CREATE OR REPLACE', async () => {
    await run(conn, 'alter table commented rename column plain to renamed');
    await run(conn, 'alter table commented drop column added');
    expect(await columnComments('commented')).toEqual({ ID: '', NOTE: 'via comment on', RENAMED: 'now commented' });
    await run(conn, `create table other (x int comment 'other x') comment = 'other table'`);
    await run(conn, 'alter table commented swap with other');
    expect(await tableComment('COMMENTED')).toBe('other table');
    expect(await columnComments('commented')).toEqual({ X: 'other x' });
    expect(await tableComment('OTHER')).toBe('again');
    await run(conn, 'alter table other rename to moved');
    expect(await tableComment('MOVED')).toBe('again');
    await run(conn, 'create or replace table moved (y int)');
    expect(await tableComment('MOVED')).toBe('');
    expect(await columnComments('moved')).toEqual({ Y: '' });
    await run(conn, 'drop table commented');
    await run(conn, 'create table commented (x int)');
    expect(await columnComments('commented')).toEqual({ X: '' });
    expect(await tableComment('COMMENTED')).toBe('');
  });

  test('COMMENT ON a missing table is an error, unless IF EXISTS', async () => {
    await expect(run(conn, `comment on table nope is 'x'`)).rejects.toMatchObject({ code: '002003' });
    await expect(run(conn, `comment on column commented.nope is 'x'`)).rejects.toMatchObject({ code: '000904' });
    expect((await run(conn, `comment if exists on table nope is 'x'`)).rows).toEqual([
      { status: 'Statement executed successfully.' },
    ]);
  });
});

describe('METADATA$FILENAME and METADATA$FILE_ROW_NUMBER in a transforming COPY', () => {
  test('give each row its file (path inside the stage) and record number; $n past the end of a record is NULL', async () => {
    await writeFile(path.join(localDir, 'part-1.csv.gz'), gzipSync('1,"a,b"\n2,"multi\nline"\n3,x,extra\n'));
    await writeFile(path.join(localDir, 'part-2.csv.gz'), gzipSync('4,y\n'));
    await run(conn, 'create stage meta_stage');
    await run(
      conn,
      `PUT file://${localDir}/part-*.csv.gz @meta_stage/t/load-1/ AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP`,
    );
    await run(
      conn,
      'create transient table meta_target (id varchar, v varchar, extra varchar, f varchar, r number(38,0))',
    );
    await run(
      conn,
      `copy into meta_target from (select s.$1, s.$2, s.$3, metadata$filename, METADATA$FILE_ROW_NUMBER from @meta_stage/t/load-1/ s) ` +
        `files = ('part-1.csv.gz', 'part-2.csv.gz') file_format = (type = csv field_optionally_enclosed_by = '"') on_error = abort_statement force = true`,
    );
    const { rows } = await run(conn, 'select * from meta_target order by f, r');
    expect(rows).toEqual([
      { ID: '1', V: 'a,b', EXTRA: null, F: 't/load-1/part-1.csv.gz', R: 1 },
      { ID: '2', V: 'multi\nline', EXTRA: null, F: 't/load-1/part-1.csv.gz', R: 2 },
      { ID: '3', V: 'x', EXTRA: 'extra', F: 't/load-1/part-1.csv.gz', R: 3 },
      { ID: '4', V: 'y', EXTRA: null, F: 't/load-1/part-2.csv.gz', R: 1 },
    ]);
  });
});

describe('floats', () => {
  test('negative zero comes back negative', async () => {
    const { rows } = await run(conn, `select '-0'::float as nz, 0::float as z`, { fetchAsString: ['Number'] });
    expect(rows).toEqual([{ NZ: '-0', Z: '0' }]);
  });
});
