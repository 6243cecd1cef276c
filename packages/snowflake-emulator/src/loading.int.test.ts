import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, destroy, run, runFailing, startTestEmulator } from './sdk-connection.fixture.js';

/** Rows as Postgres `COPY … TO STDOUT (FORMAT csv)` writes them: NULL is an unquoted empty field, '' is "". */
const POSTGRES_CSV = `${[
  '1,Ana,"",2024-01-01 10:00:00,10.50',
  '2,,plain,2024-01-02 10:00:00,20.00',
  '3,"Silva, João","say ""hi""",2024-01-03 10:00:00.123456,30.25',
  '4,"multi',
  'line",back\\slash,2024-01-04 10:00:00,40.00',
  '5,\\N,✓ unicode,2024-01-05 10:00:00,50.00',
].join('\n')}\n`;

const BATCH_2 = `${[
  '3,"Silva, João",updated,2024-02-03 10:00:00,31.00',
  '3,"Silva, João",older,2024-01-03 09:00:00,29.00',
  '6,New,row,2024-02-06 10:00:00,60.00',
].join('\n')}\n`;

const FORMAT = `FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE COMPRESSION = GZIP)`;

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let conn: Connection;
let localDir: string;

beforeAll(async () => {
  emulator = await startTestEmulator({ databases: ['RAW'] });
  conn = await connect(emulator.url, { database: 'RAW', schema: 'PUBLIC', warehouse: 'LOAD_WH' });
  localDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sf-local-'));
  await writeFile(path.join(localDir, 'customers_1.csv.gz'), gzipSync(POSTGRES_CSV));
  await writeFile(path.join(localDir, 'customers_2.csv.gz'), gzipSync(BATCH_2));
  await writeFile(path.join(localDir, 'plain.csv'), POSTGRES_CSV);
  await writeFile(path.join(localDir, 'bad.csv.gz'), gzipSync('7,x,y,not a date,1.00\n'));
  await run(conn, 'create stage load_stage');
  await run(
    conn,
    'create table customers (id number(38,0) not null, name varchar(100), note text, updated_at timestamp_ntz, balance number(12,2))',
  );
});

afterAll(async () => {
  if (conn?.isUp()) await destroy(conn);
  await emulator?.dispose();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

describe('PUT through the LOCAL_FS stage type', () => {
  test('a gzip file is copied by the driver into the stage under its own name', async () => {
    const before = emulator.stats();
    const { rows } = await run(
      conn,
      `PUT file://${localDir}/customers_*.csv.gz @load_stage/batch/ AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP PARALLEL = 4`,
    );
    expect(rows.map((r) => [r.source, r.target, r.status, r.targetCompression])).toEqual([
      ['customers_1.csv.gz', 'customers_1.csv.gz', 'UPLOADED', 'GZIP'],
      ['customers_2.csv.gz', 'customers_2.csv.gz', 'UPLOADED', 'GZIP'],
    ]);
    const sizes =
      (await stat(path.join(localDir, 'customers_1.csv.gz'))).size +
      (await stat(path.join(localDir, 'customers_2.csv.gz'))).size;
    const after = emulator.stats();
    expect(after.putFiles - before.putFiles).toBe(2);
    expect(after.putBytes - before.putBytes).toBe(sizes);
  });

  test('AUTO_COMPRESS gzips an uncompressed file and names it .gz, as Snowflake does', async () => {
    const { rows } = await run(conn, `PUT 'file://${localDir}/plain.csv' @~/uploads AUTO_COMPRESS = TRUE`);
    expect(rows.map((r) => [r.target, r.sourceCompression, r.targetCompression])).toEqual([
      ['plain.csv.gz', null, 'GZIP'],
    ]);
    const { rows: listed } = await run(conn, 'list @~/uploads');
    expect(listed.map((r) => r.name)).toEqual(['uploads/plain.csv.gz']);
  });

  test('PUT into a table stage; LIST shows name, size, md5 and last_modified', async () => {
    await run(conn, `PUT file://${localDir}/bad.csv.gz @%customers AUTO_COMPRESS = FALSE`);
    const { rows, statement } = await run(conn, 'list @%customers');
    expect((statement.getColumns() ?? []).map((c) => c.getName())).toEqual(['name', 'size', 'md5', 'last_modified']);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'bad.csv.gz', size: (await stat(path.join(localDir, 'bad.csv.gz'))).size });
    expect(String(rows[0]?.md5)).toMatch(/^[0-9a-f]{32}$/);
  });

  test('SOURCE_COMPRESSION = NONE: Snowflake answers "none", which snowflake-sdk 3.3 cannot handle', async () => {
    // The driver looks "none" up as a compression type and dereferences undefined (file_transfer_agent.js);
    // use AUTO_DETECT with AUTO_COMPRESS = FALSE for uncompressed files instead.
    await expect(
      run(conn, `PUT file://${localDir}/plain.csv @load_stage/none/ SOURCE_COMPRESSION = NONE AUTO_COMPRESS = FALSE`),
    ).rejects.toThrow(/is_supported/);
  });
});

describe('COPY INTO from a stage', () => {
  test('loads Postgres CSV exactly: NULL vs empty string, quotes, commas, newlines, backslashes, unicode', async () => {
    await run(conn, 'create or replace transient table customers_stage like customers');
    const { rows } = await run(
      conn,
      `COPY INTO customers_stage FROM @load_stage/batch/ FILES = ('customers_1.csv.gz') ${FORMAT} ON_ERROR = ABORT_STATEMENT`,
    );
    expect(rows).toEqual([
      {
        file: 'load_stage/batch/customers_1.csv.gz',
        status: 'LOADED',
        rows_parsed: 5,
        rows_loaded: 5,
        error_limit: 1,
        errors_seen: 0,
        first_error: null,
        first_error_line: null,
        first_error_character: null,
        first_error_column_name: null,
      },
    ]);
    const { rows: loaded } = await run(conn, 'select id, name, note, balance from customers_stage order by id', {
      fetchAsString: ['Number'],
    });
    expect(loaded).toEqual([
      { ID: '1', NAME: 'Ana', NOTE: '', BALANCE: '10.50' },
      { ID: '2', NAME: null, NOTE: 'plain', BALANCE: '20.00' },
      { ID: '3', NAME: 'Silva, João', NOTE: 'say "hi"', BALANCE: '30.25' },
      { ID: '4', NAME: 'multi\nline', NOTE: 'back\\slash', BALANCE: '40.00' },
      { ID: '5', NAME: '\\N', NOTE: '✓ unicode', BALANCE: '50.00' },
    ]);
    const { rows: ts } = await run(
      conn,
      "select to_varchar(updated_at, 'YYYY-MM-DD HH24:MI:SS.FF6') t from customers_stage where id = 3",
    );
    expect(ts).toEqual([{ T: '2024-01-03 10:00:00.123456' }]);
  });

  test('a file already loaded into the table is skipped (load metadata), FORCE loads it again', async () => {
    const { rows } = await run(
      conn,
      `COPY INTO customers_stage FROM @load_stage/batch/ FILES = ('customers_1.csv.gz') ${FORMAT}`,
    );
    expect(rows).toEqual([{ status: 'Copy executed with 0 files processed.' }]);
    await run(conn, 'truncate table customers_stage');
    const { rows: again } = await run(
      conn,
      `COPY INTO customers_stage FROM @load_stage/batch/ FILES = ('customers_1.csv.gz') ${FORMAT}`,
    );
    expect(again[0]).toMatchObject({ status: 'LOADED', rows_loaded: 5 });
  });

  test("Snowflake's default CSV options would not read Postgres CSV: the load fails instead of loading wrong values", async () => {
    await run(conn, 'create or replace transient table defaults_stage like customers');
    const err = await runFailing(
      conn,
      "COPY INTO defaults_stage FROM @load_stage/batch/ FILES = ('customers_1.csv.gz') FILE_FORMAT = (TYPE = CSV)",
    );
    expect(err.code).toBe('100080');
    expect(err.message).toContain("File 'load_stage/batch/customers_1.csv.gz', line 3");
  });

  test('a bad value aborts the statement with the file, line and column', async () => {
    const err = await runFailing(
      conn,
      `COPY INTO customers FROM @%customers FILES = ('bad.csv.gz') ${FORMAT} ON_ERROR = ABORT_STATEMENT`,
    );
    expect(err).toMatchObject({ code: '100035', sqlState: '22007' });
    expect(err.message).toContain("Timestamp 'not a date' is not recognized");
    expect(err.message).toContain('column "CUSTOMERS"["UPDATED_AT":4]');
    expect((await run(conn, 'select count(*) c from customers')).rows).toEqual([{ C: 0 }]);
  });

  test("dates Snowflake does not recognise ('… BC', infinity) are errors, not silently shifted values", async () => {
    await writeFile(path.join(localDir, 'bc.csv'), '8,x,y,0044-03-15 00:00:00 BC,1.00\n');
    await run(conn, `PUT file://${localDir}/bc.csv @load_stage/bc/`);
    const err = await runFailing(conn, `COPY INTO customers FROM @load_stage/bc/ ${FORMAT.replace('GZIP', 'AUTO')}`);
    expect(err).toMatchObject({ code: '100035' });
  });

  test('ON_ERROR = CONTINUE skips bad rows and reports them', async () => {
    await run(conn, 'create or replace transient table continue_stage like customers');
    const { rows } = await run(
      conn,
      `COPY INTO continue_stage FROM @%customers FILES = ('bad.csv.gz') ${FORMAT} ON_ERROR = CONTINUE`,
    );
    expect(rows[0]).toMatchObject({
      status: 'LOAD_FAILED',
      rows_parsed: 1,
      rows_loaded: 0,
      errors_seen: 1,
      first_error_line: 1,
    });
  });

  test('a missing file in FILES is an error', async () => {
    const err = await runFailing(conn, `COPY INTO customers FROM @load_stage FILES = ('nope.csv.gz') ${FORMAT}`);
    expect(err.message).toContain('was not found');
  });

  test('a named file format and a transforming COPY', async () => {
    await run(
      conn,
      `create or replace file format pg_csv type = csv field_optionally_enclosed_by = '"' escape_unenclosed_field = none null_if = () compression = auto`,
    );
    await run(conn, 'create or replace table names (id int, upper_name varchar, loaded_note variant)');
    await run(
      conn,
      `copy into names from (select $1, upper($2), to_variant($3) from @load_stage/batch/ t) files = ('customers_1.csv.gz') file_format = (format_name = 'pg_csv')`,
    );
    const { rows } = await run(conn, 'select id, upper_name, loaded_note from names where id in (1, 3) order by id');
    expect(rows).toEqual([
      { ID: 1, UPPER_NAME: 'ANA', LOADED_NOTE: '' },
      { ID: 3, UPPER_NAME: 'SILVA, JOÃO', LOADED_NOTE: 'say "hi"' },
    ]);
  });
});

describe('newest row per key, then MERGE', () => {
  test('QUALIFY de-duplicates the batch and MERGE applies it, reporting inserted and updated rows', async () => {
    await run(conn, 'insert into customers select * from customers_stage');
    await run(conn, 'create or replace transient table batch2 like customers');
    await run(conn, `copy into batch2 from @load_stage/batch/ files = ('customers_2.csv.gz') ${FORMAT}`);

    const duplicate = await runFailing(
      conn,
      'merge into customers t using batch2 s on t.id = s.id when matched then update set t.name = s.name, t.note = s.note, t.updated_at = s.updated_at, t.balance = s.balance when not matched then insert (id, name, note, updated_at, balance) values (s.id, s.name, s.note, s.updated_at, s.balance)',
    );
    expect(duplicate).toMatchObject({ code: '100090' });

    const { rows, statement } = await run(
      conn,
      `merge into customers t
       using (select * from batch2 qualify row_number() over (partition by id order by updated_at desc) = 1) s
       on t.id = s.id
       when matched then update set t.name = s.name, t.note = s.note, t.updated_at = s.updated_at, t.balance = s.balance
       when not matched then insert (id, name, note, updated_at, balance) values (s.id, s.name, s.note, s.updated_at, s.balance)`,
    );
    expect(rows).toEqual([{ 'number of rows inserted': 1, 'number of rows updated': 1 }]);
    expect(statement.getNumUpdatedRows()).toBe(2);
    const { rows: after } = await run(conn, 'select id, note, balance from customers where id in (3, 6) order by id', {
      fetchAsString: ['Number'],
    });
    expect(after).toEqual([
      { ID: '3', NOTE: 'updated', BALANCE: '31.00' },
      { ID: '6', NOTE: 'row', BALANCE: '60.00' },
    ]);
  });
});

describe('GET', () => {
  test('downloads staged files into a local directory', async () => {
    const target = await mkdtemp(path.join(os.tmpdir(), 'sluice-sf-get-'));
    const { rows } = await run(conn, `GET @load_stage/batch/customers_1.csv.gz file://${target}/`);
    expect(rows.map((r) => [r.file, r.status])).toEqual([['batch/customers_1.csv.gz', 'DOWNLOADED']]);
    expect((await stat(path.join(target, 'customers_1.csv.gz'))).size).toBe(
      (await stat(path.join(localDir, 'customers_1.csv.gz'))).size,
    );
    await rm(target, { recursive: true, force: true });
  });
});

describe('REMOVE', () => {
  test('removes the matching staged files and lists them', async () => {
    const { rows } = await run(conn, "remove @load_stage/batch/ pattern = '.*_2[.]csv[.]gz'");
    expect(rows).toEqual([{ name: 'load_stage/batch/customers_2.csv.gz', result: 'removed' }]);
    const { rows: left } = await run(conn, 'list @load_stage/batch');
    expect(left.map((r) => r.name)).toEqual(['load_stage/batch/customers_1.csv.gz']);
  });

  test('PUT, COPY and LIST need no warehouse; COPY and MERGE do', () => {
    const statements = emulator.stats().statements.filter((s) => s.status === 'succeeded');
    const byVerb = (verb: string) => statements.filter((s) => s.sqlText.toUpperCase().startsWith(verb));
    expect(byVerb('PUT').every((s) => !s.needsWarehouse)).toBe(true);
    expect(byVerb('LIST').every((s) => !s.needsWarehouse)).toBe(true);
    expect(byVerb('COPY').every((s) => s.needsWarehouse)).toBe(true);
    expect(byVerb('MERGE').every((s) => s.needsWarehouse)).toBe(true);
  });
});
