import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect, destroy, run } from './sdk-connection.fixture.js';
import { startSnowflakeEmulator } from './snowflake-emulator.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sf-persist-'));
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('databases, declared types, stages, staged files and COPY load metadata survive a restart on the same dataDir', async () => {
  const first = await startSnowflakeEmulator({ dataDir, databases: ['KEEP'] });
  let conn = await connect(first.url, { database: 'KEEP', schema: 'PUBLIC' });
  await run(conn, 'create table t (id int, name varchar(12), at timestamp_tz)');
  await run(conn, "insert into t values (1, 'kept', '2024-01-01 00:00:00+00:00')");
  await run(conn, 'create stage s');
  const file = path.join(dataDir, 'rows.csv');
  await writeFile(file, '2,x,2024-01-02 00:00:00+00\n');
  await run(conn, `put file://${file} @s auto_compress = false`);
  await run(conn, "copy into t from @s files = ('rows.csv')");
  await destroy(conn);
  await first.stop();

  const second = await startSnowflakeEmulator({ dataDir });
  conn = await connect(second.url, { database: 'KEEP', schema: 'PUBLIC' });
  expect((await run(conn, 'select id, name from t order by id')).rows).toEqual([
    { ID: 1, NAME: 'kept' },
    { ID: 2, NAME: 'x' },
  ]);
  expect((await run(conn, 'describe table t')).rows.map((r) => r.type)).toEqual([
    'NUMBER(38,0)',
    'VARCHAR(12)',
    'TIMESTAMP_TZ(9)',
  ]);
  expect((await run(conn, 'list @s')).rows.map((r) => r.name)).toEqual(['s/rows.csv']);
  expect((await run(conn, "copy into t from @s files = ('rows.csv')")).rows).toEqual([
    { status: 'Copy executed with 0 files processed.' },
  ]);
  await destroy(conn);
  await second.stop();
});
