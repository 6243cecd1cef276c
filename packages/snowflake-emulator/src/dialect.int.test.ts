import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, destroy, run, runFailing, startTestEmulator } from './sdk-connection.fixture.js';

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let conn: Connection;

beforeAll(async () => {
  emulator = await startTestEmulator();
  conn = await connect(emulator.url);
  await run(conn, 'create database analytics');
  await run(conn, 'create schema analytics.marts');
  await run(conn, 'use schema analytics.public');
  await run(
    conn,
    `create table sales (id int, seller varchar, amount number(10,2), sold_at timestamp_ntz, sold_on date, payload variant)`,
  );
  await run(
    conn,
    `insert into sales values
      (1, 'ana', 100.00, '2024-01-31 10:00:00', '2024-01-31', parse_json('{"car": {"model": "SUV", "year": 2023}, "tags": ["a", "b"]}')),
      (2, 'bob', 250.50, '2024-02-29 23:59:59', '2024-02-29', parse_json('{"car": {"model": "Sedan", "year": 2021}}')),
      (3, 'ana', null, '2024-03-01 00:00:00', '2024-03-01', null)`,
  );
});

afterAll(async () => {
  if (conn?.isUp()) await destroy(conn);
  await emulator?.dispose();
});

describe('Snowflake dialect through the driver', () => {
  test('CREATE DATABASE / SCHEMA set the current database and schema; USE switches', async () => {
    const { rows } = await run(conn, 'select current_database() d, current_schema() s');
    expect(rows).toEqual([{ D: 'ANALYTICS', S: 'PUBLIC' }]);
  });

  test('unquoted identifiers are case-insensitive (folded to upper case); quoted ones keep their case', async () => {
    await run(conn, 'create table "MixedCase" ("Id" int, plain int)');
    await run(conn, 'insert into "MixedCase" values (1, 2)');
    const { rows } = await run(conn, 'select "Id", PLAIN, Plain as again from "MixedCase"');
    expect(rows).toEqual([{ Id: 1, PLAIN: 2, AGAIN: 2 }]);
  });

  test('IFF, NVL, NVL2, DECODE, ZEROIFNULL', async () => {
    const { rows } = await run(
      conn,
      "select id, iff(amount > 200, 'big', 'small') size, nvl(amount, 0) a, nvl2(amount, 'has', 'none') h, decode(seller, 'ana', 1, 'bob', 2, 0) d, zeroifnull(amount) z from sales order by id",
      { fetchAsString: ['Number'] },
    );
    expect(rows).toEqual([
      { ID: '1', SIZE: 'small', A: '100.00', H: 'has', D: '1', Z: '100.00' },
      { ID: '2', SIZE: 'big', A: '250.50', H: 'has', D: '2', Z: '250.50' },
      { ID: '3', SIZE: 'small', A: '0.00', H: 'none', D: '1', Z: '0.00' },
    ]);
  });

  test('DATEADD keeps a DATE a DATE and clamps to the end of the month; DATEDIFF counts boundaries', async () => {
    const { rows, statement } = await run(
      conn,
      "select dateadd(month, 1, sold_on) next_month, dateadd(hour, 2, sold_at) later, datediff(day, sold_on, '2024-03-31'::date) days, datediff(year, '2023-12-31'::date, sold_on) years from sales where id = 1",
    );
    expect((statement.getColumns() ?? []).map((c) => c.getType())).toEqual(['date', 'timestamp_ntz', 'fixed', 'fixed']);
    const row = rows[0] as Record<string, Date | number>;
    expect((row.NEXT_MONTH as Date).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect((row.LATER as Date).toISOString()).toBe('2024-01-31T12:00:00.000Z');
    expect(row.DAYS).toBe(60);
    expect(row.YEARS).toBe(1);
  });

  test('DATE_TRUNC, CURRENT_TIMESTAMP(), TO_VARCHAR with a format, INITCAP', async () => {
    const { rows, statement } = await run(
      conn,
      "select date_trunc('month', sold_on) m, current_timestamp() now, to_varchar(sold_at, 'YYYY/MM/DD') s, initcap('joão da SILVA-souza') n from sales where id = 2",
    );
    expect((statement.getColumns() ?? []).map((c) => c.getType())).toEqual(['date', 'timestamp_ltz', 'text', 'text']);
    const row = rows[0] as Record<string, unknown>;
    expect((row.M as Date).toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(Math.abs((row.NOW as Date).getTime() - Date.now())).toBeLessThan(60_000);
    expect(row.S).toBe('2024/02/29');
    expect(row.N).toBe('João Da Silva-Souza');
  });

  test('INITCAP with delimiters splits words only at those characters', async () => {
    const { rows } = await run(
      conn,
      "select initcap('joão da SILVA-souza', ' ') a, initcap('ab cd-ef', '') b, initcap(null, ' ') c",
    );
    expect(rows).toEqual([{ A: 'João Da Silva-souza', B: 'Ab cd-ef', C: null }]);
  });

  test('casting a timestamp to text uses Snowflake output format (milliseconds)', async () => {
    const { rows } = await run(conn, 'select sold_at::string s, cast(sold_on as varchar) d from sales where id = 1');
    expect(rows).toEqual([{ S: '2024-01-31 10:00:00.000', D: '2024-01-31' }]);
  });

  test('VARIANT paths with casts, ARRAY_SIZE, OBJECT_CONSTRUCT leaves NULL values out', async () => {
    const { rows } = await run(
      conn,
      "select payload:car.model::string model, payload:car.year::int yr, array_size(payload:tags) tags, object_construct('a', 1, 'b', null) o from sales where id = 1",
    );
    expect(rows).toEqual([{ MODEL: 'SUV', YR: 2023, TAGS: 2, O: { a: 1 } }]);
  });

  test('QUALIFY keeps the newest row per key', async () => {
    const { rows } = await run(
      conn,
      'select seller, id from sales qualify row_number() over (partition by seller order by sold_at desc) = 1 order by seller',
    );
    expect(rows).toEqual([
      { SELLER: 'ana', ID: 3 },
      { SELLER: 'bob', ID: 2 },
    ]);
  });

  test('NULLs sort as the largest value, as in Snowflake', async () => {
    const { rows } = await run(conn, 'select id from sales order by amount desc');
    expect(rows.map((r) => r.ID)).toEqual([3, 2, 1]);
  });

  test('MERGE with a DELETE clause, and TRANSIENT tables', async () => {
    await run(conn, 'create transient table changes (id int, amount number(10,2), deleted boolean)');
    await run(conn, 'insert into changes values (1, 111.00, false), (3, null, true), (4, 40.00, false)');
    const { rows } = await run(
      conn,
      `merge into sales t using changes c on t.id = c.id
       when matched and c.deleted then delete
       when matched then update set amount = c.amount
       when not matched then insert (id, seller, amount) values (c.id, 'new', c.amount)`,
    );
    expect(rows).toEqual([{ 'number of rows inserted': 1, 'number of rows updated': 1, 'number of rows deleted': 1 }]);
    expect((await run(conn, 'select id from sales order by id')).rows.map((r) => r.ID)).toEqual([1, 2, 4]);
    const { rows: shown } = await run(conn, "show tables like 'CHANGES'");
    expect(shown[0]).toMatchObject({
      name: 'CHANGES',
      kind: 'TRANSIENT',
      database_name: 'ANALYTICS',
      schema_name: 'PUBLIC',
    });
  });

  test('UPDATE … FROM and DELETE … USING report their counts', async () => {
    await run(conn, 'create table fixes (id int, amount number(10,2))');
    await run(conn, 'insert into fixes values (1, 1.00), (2, 2.00)');
    const { rows: updated, statement } = await run(
      conn,
      'update sales s set s.amount = f.amount from fixes f where s.id = f.id',
    );
    expect(updated).toEqual([{ 'number of rows updated': 2, 'number of multi-joined rows updated': 0 }]);
    expect(statement.getNumUpdatedRows()).toBe(2);
    const { rows: deleted } = await run(
      conn,
      "delete from fixes using sales where fixes.id = sales.id and sales.seller = 'bob'",
    );
    expect(deleted).toEqual([{ 'number of rows deleted': 1 }]);
  });

  test('a TEMPORARY table lives as long as its session', async () => {
    const c = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC' });
    await run(c, 'create temporary table scratch (a int)');
    await run(c, 'insert into scratch values (1)');
    expect((await run(c, 'select count(*) c from scratch')).rows).toEqual([{ C: 1 }]);
    await destroy(c);
    expect(await runFailing(conn, 'select * from scratch')).toMatchObject({ code: '002003' });
  });

  test('describeOnly returns the columns without running the statement', async () => {
    const columns = await new Promise<string[]>((resolve, reject) => {
      conn.execute({
        sqlText: 'select id, seller from sales',
        describeOnly: true,
        complete: (err, statement) =>
          err ? reject(err) : resolve((statement.getColumns() ?? []).map((col) => `${col.getName()}:${col.getType()}`)),
      });
    });
    expect(columns).toEqual(['ID:fixed', 'SELLER:text']);
  });

  test('CREATE TABLE AS SELECT names columns as Snowflake does; ALTER TABLE SWAP WITH', async () => {
    await run(
      conn,
      'create or replace table totals as select seller, count(*), sum(amount) total from sales group by seller',
    );
    expect((await run(conn, 'describe table totals')).rows.map((r) => r.name)).toEqual(['SELLER', 'COUNT(*)', 'TOTAL']);
    await run(conn, 'create table totals_next as select seller, 0 as n from sales');
    await run(conn, 'alter table totals swap with totals_next');
    expect((await run(conn, 'describe table totals')).rows.map((r) => r.name)).toEqual(['SELLER', 'N']);
  });

  test('DESCRIBE TABLE and INFORMATION_SCHEMA.COLUMNS show Snowflake type names', async () => {
    await run(
      conn,
      'create table typed (a number(10,2) not null, b varchar(20), c timestamp_tz, d float, e variant, f int)',
    );
    const { rows } = await run(conn, 'describe table typed');
    expect(rows.map((r) => [r.name, r.type, r['null?']])).toEqual([
      ['A', 'NUMBER(10,2)', 'N'],
      ['B', 'VARCHAR(20)', 'Y'],
      ['C', 'TIMESTAMP_TZ(9)', 'Y'],
      ['D', 'FLOAT', 'Y'],
      ['E', 'VARIANT', 'Y'],
      ['F', 'NUMBER(38,0)', 'Y'],
    ]);
    const { rows: info } = await run(
      conn,
      "select column_name, data_type, numeric_precision, numeric_scale, character_maximum_length from information_schema.columns where table_schema = 'PUBLIC' and table_name = 'TYPED' order by ordinal_position",
    );
    expect(info).toEqual([
      {
        COLUMN_NAME: 'A',
        DATA_TYPE: 'NUMBER',
        NUMERIC_PRECISION: 10,
        NUMERIC_SCALE: 2,
        CHARACTER_MAXIMUM_LENGTH: null,
      },
      {
        COLUMN_NAME: 'B',
        DATA_TYPE: 'TEXT',
        NUMERIC_PRECISION: null,
        NUMERIC_SCALE: null,
        CHARACTER_MAXIMUM_LENGTH: 20,
      },
      {
        COLUMN_NAME: 'C',
        DATA_TYPE: 'TIMESTAMP_TZ',
        NUMERIC_PRECISION: null,
        NUMERIC_SCALE: null,
        CHARACTER_MAXIMUM_LENGTH: null,
      },
      {
        COLUMN_NAME: 'D',
        DATA_TYPE: 'FLOAT',
        NUMERIC_PRECISION: 53,
        NUMERIC_SCALE: null,
        CHARACTER_MAXIMUM_LENGTH: null,
      },
      {
        COLUMN_NAME: 'E',
        DATA_TYPE: 'VARIANT',
        NUMERIC_PRECISION: null,
        NUMERIC_SCALE: null,
        CHARACTER_MAXIMUM_LENGTH: null,
      },
      {
        COLUMN_NAME: 'F',
        DATA_TYPE: 'NUMBER',
        NUMERIC_PRECISION: 38,
        NUMERIC_SCALE: 0,
        CHARACTER_MAXIMUM_LENGTH: null,
      },
    ]);
  });

  test('SHOW DATABASES / SCHEMAS / VIEWS, views over tables', async () => {
    await run(conn, 'create or replace view marts.v_sales as select seller, amount from public.sales');
    expect((await run(conn, 'select count(*) c from marts.v_sales')).rows).toEqual([{ C: 3 }]);
    expect((await run(conn, 'show databases')).rows.map((r) => r.name)).toContain('ANALYTICS');
    expect((await run(conn, 'show schemas in database analytics')).rows.map((r) => r.name).sort()).toEqual([
      'MARTS',
      'PUBLIC',
    ]);
    expect((await run(conn, 'show views in schema analytics.marts')).rows.map((r) => r.name)).toEqual(['V_SALES']);
  });
});

describe('introspection commands all answer', () => {
  test.each([
    ['show objects', 'name'],
    ['show columns in table sales', 'column_name'],
    ['show tables in account', 'name'],
    ['show warehouses', 'name'],
    ["show parameters like 'TIMEZONE'", 'value'],
    ['show stages', 'name'],
    ['show file formats', 'name'],
    ['describe stage intro_stage', 'property'],
    [
      "select table_name, table_type, is_transient from information_schema.tables where table_name = 'SALES'",
      'TABLE_NAME',
    ],
    ["select schema_name from analytics.information_schema.schemata where schema_name = 'MARTS'", 'SCHEMA_NAME'],
    ['select table_name from information_schema.views', 'TABLE_NAME'],
  ])('%s', async (sql, column) => {
    await run(conn, 'create warehouse if not exists compute_wh');
    await run(conn, 'create stage if not exists intro_stage');
    await run(conn, "create file format if not exists intro_format type = csv field_optionally_enclosed_by = '\"'");
    const { rows } = await run(conn, sql);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toHaveProperty(column);
  });

  test('ALTER SESSION SET TIMEZONE moves local-time functions to that zone', async () => {
    const c = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC' });
    await run(c, "alter session set timezone = 'America/Sao_Paulo'");
    const { rows } = await run(
      c,
      "select to_varchar(convert_timezone('UTC', 'America/Sao_Paulo', '2024-01-01 12:00:00'::timestamp_ntz), 'HH24:MI') t, to_varchar('2024-01-01 12:00:00+00:00'::timestamp_ltz, 'HH24:MI') l",
    );
    expect(rows).toEqual([{ T: '09:00', L: '09:00' }]);
    expect(await runFailing(c, "alter session set timezone = 'Not/AZone'")).toMatchObject({ code: '001003' });
    await destroy(c);
  });
});

describe('transactions', () => {
  test('ROLLBACK discards, COMMIT keeps', async () => {
    await run(conn, 'create table tx (a int)');
    await run(conn, 'begin');
    await run(conn, 'insert into tx values (1)');
    await run(conn, 'rollback');
    await run(conn, 'begin transaction');
    await run(conn, 'insert into tx values (2)');
    await run(conn, 'commit');
    expect((await run(conn, 'select a from tx')).rows).toEqual([{ A: 2 }]);
  });

  test('DDL inside a transaction commits it first, as in Snowflake', async () => {
    await run(conn, 'begin');
    await run(conn, 'insert into tx values (3)');
    await run(conn, 'create table tx_ddl (a int)');
    await run(conn, 'rollback');
    expect((await run(conn, 'select count(*) c from tx')).rows).toEqual([{ C: 2 }]);
  });

  test('other sessions do not see uncommitted rows', async () => {
    const other = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC' });
    await run(conn, 'begin');
    await run(conn, 'insert into tx values (4)');
    expect((await run(other, 'select count(*) c from tx')).rows).toEqual([{ C: 2 }]);
    await run(conn, 'commit');
    expect((await run(other, 'select count(*) c from tx')).rows).toEqual([{ C: 3 }]);
    await destroy(other);
  });

  test('a statement that fails to compile leaves the transaction open, as in Snowflake', async () => {
    await run(conn, 'begin');
    await run(conn, 'insert into tx values (5)');
    await runFailing(conn, 'insert into tx values (1, 2, 3)');
    await run(conn, 'commit');
    expect((await run(conn, 'select count(*) c from tx where a = 5')).rows).toEqual([{ C: 1 }]);
  });

  test('after a statement fails while running, the emulator says the transaction is lost instead of committing silently', async () => {
    await run(conn, 'begin');
    await run(conn, 'insert into tx values (6)');
    await runFailing(conn, "insert into tx select 'not a number'::int");
    const err = await runFailing(conn, 'commit');
    expect(err.message).toContain('rolled back');
    expect((await run(conn, 'select count(*) c from tx where a = 6')).rows).toEqual([{ C: 0 }]);
  });
});

describe('errors in Snowflake shape', () => {
  test('a missing table is 002003 / 42S02 with the qualified name', async () => {
    const err = await runFailing(conn, 'select * from no_such_table');
    expect(err).toMatchObject({ code: '002003', sqlState: '42S02' });
    expect(err.message).toContain("'ANALYTICS.PUBLIC.NO_SUCH_TABLE' does not exist or not authorized");
  });

  test('a syntax error is 001003 / 42000', async () => {
    expect(await runFailing(conn, "select 'unterminated")).toMatchObject({ code: '001003', sqlState: '42000' });
  });

  test('an invalid identifier is 000904', async () => {
    expect(await runFailing(conn, 'select nope from sales')).toMatchObject({ code: '000904' });
  });

  test('an unsupported construct names itself (000002 / 0A000) instead of answering wrongly', async () => {
    const err = await runFailing(conn, 'select seq4() from table(generator(rowcount => 3))');
    expect(err).toMatchObject({ code: '000002', sqlState: '0A000' });
    expect(err.message).toContain('Unsupported feature');
  });

  test('an unknown function is 002140', async () => {
    expect(await runFailing(conn, 'select not_a_function(1)')).toMatchObject({ code: '002140' });
  });
});

describe('query tags and warehouse use', () => {
  test('every statement records the QUERY_TAG in force (session or statement level)', async () => {
    const tagged = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC' });
    await run(tagged, "alter session set query_tag = 'sluice:run=7:table=sales'");
    await run(tagged, 'select count(*) from sales');
    await run(tagged, 'select 1', { parameters: { QUERY_TAG: 'statement-tag' } });
    await run(tagged, 'alter session unset query_tag');
    await run(tagged, 'select 2');
    await destroy(tagged);
    const tags = emulator
      .stats()
      .statements.filter((s) => ['select count(*) from sales', 'select 1', 'select 2'].includes(s.sqlText))
      .map((s) => [s.sqlText, s.queryTag]);
    expect(tags).toEqual([
      ['select count(*) from sales', 'sluice:run=7:table=sales'],
      ['select 1', 'statement-tag'],
      ['select 2', ''],
    ]);
  });

  test('metadata-only work does not count as resuming a warehouse', async () => {
    const before = emulator.stats().warehouseStatements;
    const c = await connect(emulator.url, { database: 'ANALYTICS', schema: 'PUBLIC' });
    for (const sql of [
      'show tables',
      'describe table sales',
      'select current_timestamp()',
      'select count(*) from sales',
      'create table if not exists sales (a int)',
      'use schema marts',
      "alter session set query_tag = 'x'",
    ]) {
      await run(c, sql);
    }
    expect(emulator.stats().warehouseStatements).toBe(before);
    await run(c, 'select * from analytics.public.sales where id = 1');
    expect(emulator.stats().warehouseStatements).toBe(before + 1);
    expect(emulator.stats().warehouseResumed).toBe(true);
    await destroy(c);
  });
});
