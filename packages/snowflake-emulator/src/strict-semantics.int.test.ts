import type { Connection } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, destroy, run, runFailing, startTestEmulator } from './sdk-connection.fixture.js';

/*
 * Where Snowflake is strict, the emulator is too: each of these passed through the emulator before and fails (or
 * answers differently) in Snowflake. Through the real snowflake-sdk.
 */

let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
let conn: Connection;

beforeAll(async () => {
  emulator = await startTestEmulator();
  conn = await connect(emulator.url);
  await run(conn, 'create database strict_db');
  await run(conn, 'use schema strict_db.public');
});

afterAll(async () => {
  if (conn?.isUp()) await destroy(conn);
  await emulator?.dispose();
});

const columnTypes = (statement: { getColumns(): unknown }) =>
  (
    (statement.getColumns() ?? []) as {
      getName(): string;
      getType(): string;
      getPrecision(): number;
      getScale(): number;
    }[]
  ).map((c) => ({ name: c.getName(), type: c.getType(), scale: c.getScale() }));

describe('arithmetic follows Snowflake’s scale and precision rules', () => {
  beforeAll(async () => {
    await run(conn, 'create table wide (a number(38,18), b number(38,18), c number(10,2), i int)');
    await run(
      conn,
      `insert into wide values (150.5, 2.5, 10.25, 3), (1234.56, 789.01, 1.00, 4), (0.000000000000000001, 2, 0.01, 0)`,
    );
  });

  test('NUMBER(38,18) * NUMBER(38,18) is a NUMBER at scale 18, exact, not an overflow (100046)', async () => {
    const { rows, statement } = await run(conn, 'select a * b as p, a * c as q from wide order by a', {
      fetchAsString: ['Number'],
    });
    // S = min(S1 + S2, max(S1, S2, 12)): 18 for both products
    expect(columnTypes(statement)).toEqual([
      { name: 'P', type: 'fixed', scale: 18 },
      { name: 'Q', type: 'fixed', scale: 18 },
    ]);
    expect(rows).toEqual([
      { P: '0.000000000000000002', Q: '0.000000000000000000' },
      { P: '376.250000000000000000', Q: '1542.625000000000000000' },
      { P: '974080.185600000000000000', Q: '1234.560000000000000000' },
    ]);
  });

  test('a product with small scales keeps S1 + S2; a table made from a product has the Snowflake type', async () => {
    const { statement } = await run(conn, 'select c * c as sq, c * i as ci from wide limit 1');
    expect(columnTypes(statement)).toEqual([
      { name: 'SQ', type: 'fixed', scale: 4 },
      { name: 'CI', type: 'fixed', scale: 2 },
    ]);
    await run(conn, 'create table products as select a * b as p from wide');
    const { rows } = await run(
      conn,
      "select data_type, numeric_scale from information_schema.columns where table_name = 'PRODUCTS'",
    );
    expect(rows).toEqual([{ DATA_TYPE: 'NUMBER', NUMERIC_SCALE: 18 }]);
  });

  test('division of NUMBERs is a NUMBER at scale max(S1, min(S1 + 6, 12))', async () => {
    const { rows, statement } = await run(
      conn,
      'select 2 / 3 as third, c / 4 as quarter from wide order by a limit 1',
      {
        fetchAsString: ['Number'],
      },
    );
    expect(columnTypes(statement)).toEqual([
      { name: 'THIRD', type: 'fixed', scale: 6 },
      { name: 'QUARTER', type: 'fixed', scale: 8 },
    ]);
    expect(rows).toEqual([{ THIRD: '0.666667', QUARTER: '0.00250000' }]);
  });

  test('1/0 raises 100051 Division by zero (also for FLOAT), DIV0 still answers 0', async () => {
    const error = await runFailing(conn, 'select 1/0');
    expect(error.code).toBe('100051');
    expect(error.message).toBe('Division by zero');
    expect((await runFailing(conn, 'select a / i from wide')).code).toBe('100051');
    expect((await runFailing(conn, 'select 1.5::float / 0')).code).toBe('100051');
    const { rows } = await run(conn, 'select div0(1, 0) as z', { fetchAsString: ['Number'] });
    expect(rows).toEqual([{ Z: '0' }]);
  });

  test('AVG of a NUMBER stays a NUMBER (the scale of a division by the count); AVG of a FLOAT is a FLOAT', async () => {
    const { rows, statement } = await run(conn, 'select avg(i) as ai, avg(c) as ac, avg(i::float) as af from wide', {
      fetchAsString: ['Number'],
    });
    expect(columnTypes(statement)).toEqual([
      { name: 'AI', type: 'fixed', scale: 6 },
      { name: 'AC', type: 'fixed', scale: 8 },
      { name: 'AF', type: 'real', scale: null },
    ]);
    expect(rows[0]).toMatchObject({ AI: '2.333333', AC: '3.75333333' });
    const windowed = await run(conn, 'select avg(c) over (partition by i > 0) as aw from wide order by a', {
      fetchAsString: ['Number'],
    });
    expect(columnTypes(windowed.statement)).toEqual([{ name: 'AW', type: 'fixed', scale: 8 }]);
    expect(windowed.rows).toEqual([{ AW: '0.01000000' }, { AW: '5.62500000' }, { AW: '5.62500000' }]);
  });
});

describe('TRY_CAST takes text only', () => {
  test('text (and NULL) converts or gives NULL; a NUMBER is refused when the statement compiles', async () => {
    const { rows } = await run(
      conn,
      "select try_cast('12' as int) as a, try_cast('x' as int) as b, try_cast(null as date) as c",
    );
    expect(rows).toEqual([{ A: 12, B: null, C: null }]);
    const error = await runFailing(conn, 'select try_cast(1 as date) from wide');
    expect(error.message).toContain('Function TRY_CAST cannot be used with arguments of types NUMBER');
    expect((await runFailing(conn, 'select try_cast(c as varchar) from wide')).message).toContain('TRY_CAST');
  });
});

describe('conversion errors carry Snowflake’s codes', () => {
  test('a string that is no number is 100038, whichever quotes DuckDB uses; a bad date is 100040', async () => {
    expect((await runFailing(conn, "select 'abc'::int")).code).toBe('100038');
    expect((await runFailing(conn, "select cast('abc' as double)")).code).toBe('100038');
    const bad = await runFailing(conn, "select 'abc'::date");
    expect([bad.code, bad.message]).toEqual(['100040', "Date 'abc' is not recognized"]);
    expect((await runFailing(conn, "select '2024-13-45'::date")).code).toBe('100040');
  });
});

describe('binds', () => {
  test('named binds (:name) are refused, as the README says; :1 and ? bind', async () => {
    await run(conn, 'create table bound (i int)');
    await run(conn, 'insert into bound values (3), (4), (5)');
    const error = await runFailing(conn, 'select * from bound where i = :id');
    expect(error.code).toBe('000002');
    expect(error.message).toContain('named binds');
    const { rows } = await run(conn, 'select count(*) as n from bound where i = :2 or i = :1', { binds: [3, 4] });
    expect(rows).toEqual([{ N: 2 }]);
  });
});

describe('VARCHAR(n) is enforced by every write', () => {
  beforeAll(async () => {
    await run(conn, 'create table codes (code varchar(3), label varchar)');
    await run(conn, "insert into codes values ('ab', 'first')");
  });

  test('INSERT of a longer string fails with 100074 and inserts nothing', async () => {
    const error = await runFailing(conn, "insert into codes values ('abc', 'ok'), ('abcd', 'too long')");
    expect(error.code).toBe('100074');
    expect(error.message).toBe("String 'abcd' is too long and would be truncated");
    const { rows } = await run(conn, 'select count(*) as n from codes');
    expect(rows).toEqual([{ N: 1 }]);
  });

  test('UPDATE and MERGE too; a widened column takes the longer value', async () => {
    expect((await runFailing(conn, "update codes set code = 'wxyz'")).code).toBe('100074');
    expect(
      (
        await runFailing(
          conn,
          "merge into codes t using (select 'ab' as code, 'x' as label) s on t.code = s.code when matched then update set code = 'toolong'",
        )
      ).code,
    ).toBe('100074');
    await run(conn, 'alter table codes alter column code set data type varchar(10)');
    await run(conn, "update codes set code = 'wxyz'");
    const { rows } = await run(conn, 'select code from codes');
    expect(rows).toEqual([{ CODE: 'wxyz' }]);
  });

  test('inside a transaction the failed INSERT is refused too', async () => {
    await run(conn, 'create table short (s varchar(2))');
    await run(conn, 'begin');
    expect((await runFailing(conn, "insert into short values ('long')")).code).toBe('100074');
    await run(conn, 'rollback');
    const { rows } = await run(conn, 'select count(*) as n from short');
    expect(rows).toEqual([{ N: 0 }]);
  });
});

describe('table options', () => {
  test('documented options are accepted; an unknown one is a syntax error', async () => {
    await run(
      conn,
      "create or replace transient table opts (a int) cluster by (a) data_retention_time_in_days = 0 change_tracking = false comment = 'x'",
    );
    const error = await runFailing(conn, 'create or replace table opts2 (a int) not_an_option = 1');
    expect(error.code).toBe('001003');
    expect(error.message).toContain('NOT_AN_OPTION');
  });
});

describe('quoted identifiers are case-sensitive', () => {
  beforeAll(async () => {
    await run(conn, 'create schema cs');
    await run(conn, 'create table cs.t (id int, "lower" int)');
    await run(conn, 'insert into cs.t values (1, 2)');
    await run(conn, 'use schema strict_db.public');
  });

  test('"cs"."t" does not find CS.T; the exact names do', async () => {
    const error = await runFailing(conn, 'select * from "cs"."t"');
    expect(error.code).toBe('002003');
    expect((await runFailing(conn, 'select * from "CS"."t"')).code).toBe('002003');
    expect((await runFailing(conn, 'insert into cs."t" values (2, 3)')).code).toBe('002003');
    const { rows } = await run(conn, 'select id, "lower" from "CS"."T"');
    expect(rows).toEqual([{ ID: 1, lower: 2 }]);
  });

  test('a column created quoted in lower case is not found unquoted, nor a plain one quoted in lower case', async () => {
    const unquoted = await runFailing(conn, 'select lower from cs.t');
    expect([unquoted.code, unquoted.message]).toEqual([
      '000904',
      "SQL compilation error: error line 1 at position 0\ninvalid identifier 'LOWER'",
    ]);
    expect((await runFailing(conn, 'select "id" from cs.t')).code).toBe('000904');
    // an alias of that spelling is fine
    const { rows } = await run(conn, 'select id as "id" from cs.t order by "id"');
    expect(rows).toEqual([{ id: 1 }]);
  });
});

describe('ALTER SESSION: parameters are honoured or refused, never silently accepted', () => {
  test('the parameters Sluice sets are taken; an unknown one is refused and changes nothing', async () => {
    await run(conn, "alter session set timezone = 'UTC' time_output_format = 'HH24:MI:SS.FF6' query_tag = 'strict'");
    await run(conn, "alter session set date_input_format = 'YYYY-MM-DD' quoted_identifiers_ignore_case = false");
    const error = await runFailing(conn, "alter session set not_a_parameter = 1 query_tag = 'changed'");
    expect([error.code, error.message]).toEqual([
      '001006',
      "SQL compilation error:\ninvalid parameter 'NOT_A_PARAMETER'",
    ]);
    await run(conn, 'select 1');
    expect(emulator.stats().statements.at(-1)?.queryTag).toBe('strict');
  });

  test('a value the emulator cannot honour is refused as unsupported, naming the parameter', async () => {
    // QUOTED_IDENTIFIERS_IGNORE_CASE, AUTOCOMMIT and the input formats are emulated for every value
    // (account-parameters.int.test.ts); these are not.
    const mapping = await runFailing(conn, "alter session set timestamp_type_mapping = 'TIMESTAMP_LTZ'");
    expect(mapping.code).toBe('000002');
    expect(mapping.message).toContain('TIMESTAMP_TYPE_MAPPING');
    expect((await runFailing(conn, "alter session set binary_output_format = 'BASE64'")).code).toBe('000002');
    expect((await runFailing(conn, 'alter session set week_of_year_policy = 1')).code).toBe('000002');
    expect((await runFailing(conn, 'alter session set json_indent = 2')).code).toBe('000002');
  });
});
