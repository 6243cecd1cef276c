import { describe, expect, test } from 'vitest';
import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { BindLiteral } from './expression-translator.js';
import type { StatementPlan } from './statement-plan.js';
import {
  bindLiteral,
  planArrayInsert,
  planStatement,
  splitStatements,
  type PlannerContext,
} from './statement-planner.js';

function context(
  binds: BindLiteral[] = [],
  database: string | null = 'DB',
  schema: string | null = 'PUBLIC',
): PlannerContext {
  return {
    database,
    schema,
    translation: {
      sql: '',
      binds,
      bindCursor: 0,
      session: {
        database,
        schema,
        warehouse: 'WH',
        role: 'SYSADMIN',
        user: 'SLUICE',
        account: 'EMULATOR',
        sessionId: '42',
        lastQueryId: null,
      },
    },
  };
}

function plan(sql: string, binds: BindLiteral[] = []): StatementPlan {
  return planStatement(sql, context(binds));
}

function sqlOf(sql: string, binds: BindLiteral[] = []): string {
  const p = plan(sql, binds);
  if (!('sql' in p)) throw new Error(`plan ${p.kind} has no sql`);
  return p.sql;
}

function failure(sql: string): SnowflakeEmulatorError {
  try {
    plan(sql);
  } catch (error) {
    return error as SnowflakeEmulatorError;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('identifiers', () => {
  test('unquoted identifiers fold to upper case, quoted ones stay exact', () => {
    expect(sqlOf('select id, "Name" from orders o where o.status = \'x\'')).toBe(
      `SELECT ID, "Name" FROM ORDERS O WHERE O.STATUS = 'x'`,
    );
  });

  test('unaliased expressions get the column name Snowflake gives them', () => {
    expect(sqlOf('select count(*), max(id) m, 1, id from t')).toBe(
      'SELECT COUNT(*) AS "COUNT(*)", MAX(ID) "M", 1 AS "1", ID FROM T',
    );
  });
});

describe('types', () => {
  test('NUMBER(p,s), integer synonyms, floats, text, TIMESTAMP_NTZ/LTZ/TZ and VARIANT map to DuckDB types', () => {
    const p = plan(
      'create table t (a number(10,2), b int, c float, d varchar(100), e string, f timestamp_ntz, g timestamp_ltz, h timestamp_tz, i variant, j boolean, k date, l binary, m number)',
    );
    expect(p.kind).toBe('create-table');
    if (p.kind !== 'create-table') return;
    expect(p.steps[0]).toBe(
      'CREATE TABLE "DB"."PUBLIC"."T" ("A" DECIMAL(10,2), "B" DECIMAL(38,0), "C" DOUBLE, "D" VARCHAR, "E" VARCHAR, "F" TIMESTAMP, "G" TIMESTAMPTZ, "H" TIMESTAMPTZ, "I" JSON, "J" BOOLEAN, "K" DATE, "L" BLOB, "M" DECIMAL(38,0))',
    );
    expect(p.declared).toEqual([
      { column: 'D', snowflakeType: 'VARCHAR(100)' },
      { column: 'H', snowflakeType: 'TIMESTAMP_TZ(9)' },
    ]);
  });

  test('casts with :: and CAST use DuckDB types', () => {
    expect(sqlOf('select x::number(12,3) a, cast(y as timestamp_ntz) b from t')).toBe(
      'SELECT X::DECIMAL(12,3) "A", CAST(Y AS TIMESTAMP) "B" FROM T',
    );
  });

  test('casts to text use Snowflake output formats (timestamps to milliseconds)', () => {
    expect(sqlOf('select z::string a, cast(t.ts as varchar(20)) b, to_varchar(f(x)) c, g(y)::text d from t')).toBe(
      'SELECT SF_TO_VARCHAR(Z) "A", SF_TO_VARCHAR(T.TS) "B", SF_TO_VARCHAR(F(X)) "C", SF_TO_VARCHAR(G(Y)) "D" FROM T',
    );
  });

  test('an unsupported type is an error naming it', () => {
    const e = failure('create table t (g geography)');
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('GEOGRAPHY');
  });
});

describe('DDL', () => {
  test('TRANSIENT tables become ordinary tables flagged transient; PRIMARY KEY is not enforced but implies NOT NULL', () => {
    const p = plan(
      'create or replace transient table stg (id int primary key, v text unique, constraint fk foreign key (v) references other(v))',
    );
    expect(p).toMatchObject({ kind: 'create-table', transient: true, orReplace: true });
    if (p.kind === 'create-table')
      expect(p.steps[0]).toBe('CREATE OR REPLACE TABLE "DB"."PUBLIC"."STG" ("ID" DECIMAL(38,0) NOT NULL, "V" VARCHAR)');
  });

  test('CREATE TABLE AS SELECT names the columns like Snowflake', () => {
    const p = plan('create table t2 as select id, count(*) from t group by id');
    if (p.kind !== 'create-table') throw new Error(p.kind);
    expect(p.steps[0]).toBe('CREATE TABLE "DB"."PUBLIC"."T2" AS SELECT ID, COUNT(*) AS "COUNT(*)" FROM T GROUP BY ID');
    expect(p.compute).toBe(true);
  });

  test('IF NOT EXISTS with OR REPLACE is rejected as Snowflake does', () => {
    expect(failure('create or replace table if not exists t (a int)').snowflakeCode).toBe('001004');
  });

  test('CREATE STAGE with an inline file format', () => {
    const p = plan("create or replace stage s file_format = (type = csv field_optionally_enclosed_by = '\"')");
    expect(p).toMatchObject({ kind: 'create-stage', name: ['S'], orReplace: true });
  });

  test('external stages are refused', () => {
    expect(failure("create stage s url = 's3://bucket/x'").code).toBe('UNSUPPORTED');
  });

  test('ALTER TABLE ADD COLUMN, SWAP WITH, RENAME', () => {
    const add = plan('alter table t add column c varchar(20), d number(5,1)');
    expect(add).toMatchObject({ kind: 'alter-table', action: { type: 'steps' } });
    if (add.kind === 'alter-table' && add.action.type === 'steps') {
      expect(add.action.steps).toEqual([
        'ALTER TABLE "DB"."PUBLIC"."T" ADD COLUMN "C" VARCHAR',
        'ALTER TABLE "DB"."PUBLIC"."T" ADD COLUMN "D" DECIMAL(5,1)',
      ]);
      expect(add.action.declared).toEqual([{ column: 'C', snowflakeType: 'VARCHAR(20)' }]);
    }
    expect(plan('alter table a swap with b')).toMatchObject({ action: { type: 'swap', with: { name: 'B' } } });
    expect(plan('alter table a rename to b')).toMatchObject({ action: { type: 'rename', to: { name: 'B' } } });
  });

  test('an unqualified CREATE without a current database fails with 090105', () => {
    expect(() => planStatement('create table t (a int)', context([], null, null))).toThrow(
      /does not have a current database/,
    );
  });
});

describe('functions', () => {
  test('aliases are quoted, so words that are keywords in DuckDB (YEAR, DAYS) still work', () => {
    expect(sqlOf('select 1 year, 2 as days from t')).toBe('SELECT 1 "YEAR", 2 AS "DAYS" FROM T');
  });

  test('IFF and NVL become CASE and COALESCE', () => {
    expect(sqlOf('select iff(a > 0, a, 0) x, nvl(b, 1) y from t')).toBe(
      'SELECT (CASE WHEN A > 0 THEN A ELSE 0 END) "X", COALESCE(B, 1) "Y" FROM T',
    );
  });

  test('DATEADD and DATEDIFF accept any part synonym', () => {
    expect(sqlOf('select dateadd(mm, 2, d) a, datediff(days, d1, d2) b from t')).toBe(
      `SELECT SF_DATEADD_MONTH(2, D) "A", date_diff('day', D1, D2) "B" FROM T`,
    );
  });

  test('DATE_TRUNC keeps DATE results', () => {
    expect(sqlOf("select date_trunc('MONTH', d) m from t")).toBe(`SELECT SF_DATE_TRUNC('month', D) "M" FROM T`);
  });

  test('CURRENT_TIMESTAMP() and context functions', () => {
    expect(sqlOf('select current_timestamp() ts, current_database() db, current_warehouse() wh')).toBe(
      `SELECT CURRENT_TIMESTAMP "TS", 'DB' "DB", 'WH' "WH"`,
    );
  });

  test('GREATEST/LEAST and CONCAT return NULL when any argument is NULL, as in Snowflake', () => {
    expect(sqlOf('select greatest(a, b) g, concat(a, b) c from t')).toBe(
      'SELECT (CASE WHEN (A) IS NULL OR (B) IS NULL THEN NULL ELSE greatest(A, B) END) "G", (CAST(A AS VARCHAR) || CAST(B AS VARCHAR)) "C" FROM T',
    );
  });

  test('array functions work on the JSON arrays the emulator keeps', () => {
    expect(sqlOf('select array_append(array_construct(1), 2) a')).toBe(
      `SELECT to_json(list_append(from_json(to_json([1]), '["JSON"]'), to_json(2))) "A"`,
    );
    expect(sqlOf("select array_to_string(array_slice(array_cat(x, y), 0, 2), '|') s from t")).toBe(
      `SELECT array_to_string(from_json(to_json(list_slice(from_json(to_json(list_concat(from_json(X, '["JSON"]'), from_json(Y, '["JSON"]'))), '["JSON"]'), (0) + 1, 2)), '["VARCHAR"]'), '|') "S" FROM T`,
    );
  });

  test('LISTAGG … WITHIN GROUP moves the ordering into string_agg', () => {
    expect(sqlOf("select listagg(name, ',') within group (order by name) l from t")).toBe(
      `SELECT string_agg(NAME, ',' ORDER BY NAME) "L" FROM T`,
    );
  });

  test('semi-structured paths become JSON extraction, with a cast when asked', () => {
    expect(sqlOf('select v:customer.name::string n, v:items[0] i from t')).toBe(
      `SELECT CAST(json_extract_string(V, '$.customer.name') AS VARCHAR) "N", json_extract(V, '$.items[0]') "I" FROM T`,
    );
  });

  test('functions with different semantics in DuckDB are refused by name', () => {
    for (const sql of ['select hash(a) from t', 'select * from table(flatten(input => x))', 'select random()']) {
      const e = failure(sql);
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.snowflakeCode).toBe('000002');
    }
  });

  test('MINUS is EXCEPT', () => {
    expect(sqlOf('select a from t minus select a from u')).toBe('SELECT A FROM T EXCEPT SELECT A FROM U');
  });
});

describe('queries', () => {
  test('QUALIFY passes through (DuckDB has it)', () => {
    expect(sqlOf('select * from t qualify row_number() over (partition by id order by ts desc) = 1')).toBe(
      'SELECT * FROM T QUALIFY ROW_NUMBER() OVER (PARTITION BY ID ORDER BY TS DESC) = 1',
    );
  });

  test('a query without a table needs no warehouse; COUNT(*) of a whole table is metadata', () => {
    expect(plan('select current_timestamp()')).toMatchObject({ compute: false });
    expect(plan('select count(*) from t')).toMatchObject({ compute: false });
    expect(plan('select count(*) from t where a = 1')).toMatchObject({ compute: true });
    expect(plan('select * from t')).toMatchObject({ compute: true });
  });

  test('INFORMATION_SCHEMA views become catalog subqueries for the database', () => {
    const sql = sqlOf("select column_name, data_type from db.information_schema.columns where table_name = 'T'");
    expect(sql).toContain("FROM duckdb_columns() WHERE database_name = 'DB'");
    expect(sql).toContain('AS "COLUMNS"');
  });

  test('SELECT SYSTEM$WAIT is a wait plan', () => {
    expect(plan("select system$wait(2, 'MILLISECONDS')")).toMatchObject({ kind: 'wait', seconds: 0.002 });
  });

  test('unsupported clauses are refused by name', () => {
    expect(failure('select * from t sample (10)').message).toContain('SAMPLE');
    expect(failure('select * from t match_recognize (x)').message).toContain('MATCH_RECOGNIZE');
    expect(failure('select * from t connect by prior a = b').message).toContain('CONNECT BY');
  });

  test.each([
    ['select * from @my_stage', 'stage reference @my_stage in this statement'],
    ['select $1 from t', 'staged file column $1 outside COPY INTO'],
    ['select $x from t', 'session variable $X'],
    ['select * from t at(offset => -60)', 'time travel AT(…)'],
    ["select * from t before(statement => 'x')", 'time travel BEFORE(…)'],
    ['select * from t, lateral flatten(input => t.v)', 'LATERAL'],
    ['select connect_by_root a from t', 'CONNECT BY'],
    ['select top 5 a from t', 'SELECT TOP n (use LIMIT)'],
    ['select distinct top 5 a from t', 'SELECT TOP n (use LIMIT)'],
    ['select v:1 from t', "':' here (named binds are not supported; use ? or :1)"],
    ['select a:b[c] from t', 'semi-structured path with a computed element'],
    ["select cast(a as int format 'x') from t", "CAST option 'FORMAT 'x''"],
    ['select pivot(x) from t', 'PIVOT'],
    ['select * from t sample bernoulli (10)', 'SAMPLE / TABLESAMPLE'],
    ['select 1 from t tablesample system (1)', 'SAMPLE / TABLESAMPLE'],
  ])('%s is refused as unsupported: %s', (sql, construct) => {
    const error = failure(sql);
    expect([error.code, error.snowflakeCode]).toEqual(['UNSUPPORTED', '000002']);
    expect(error.message).toContain(`Unsupported feature '${construct}'.`);
  });

  test('a qualified name is not a keyword or a function to rewrite; star modifiers and MINUS pass', () => {
    expect(sqlOf('select x.top from t')).toBe('SELECT X.TOP FROM T');
    expect(sqlOf('select s.at(1) from t')).toBe('SELECT S.AT(1) AS "S.AT(1)" FROM T');
    expect(sqlOf('select * replace (a as b) from t')).toBe('SELECT * REPLACE (A AS B) FROM T');
    expect(sqlOf('select a minus select b')).toBe('SELECT A EXCEPT SELECT B');
  });

  test('semi-structured paths, with and without a cast, and casts to text', () => {
    expect(sqlOf(`select a:b::string, a:"B"[0]:c::variant, a['x'] from t`)).toBe(
      `SELECT CAST(json_extract_string(A, '$.b') AS VARCHAR) AS "A:B::STRING", json_extract(json_extract(A, '$.B[0]'), '$.c') AS "A:""B""[0]:C::VARIANT", A['x'] AS "A['X']" FROM T`,
    );
    expect(sqlOf('select a::varchar from t')).toBe('SELECT SF_TO_VARCHAR(A) AS "A::VARCHAR" FROM T');
    expect(sqlOf(`select listagg(a, ',') within group (order by b) from t`)).toBe(
      `SELECT string_agg(A, ',' ORDER BY B) AS "LISTAGG(A, ',') WITHIN GROUP (ORDER BY B)" FROM T`,
    );
  });
});

describe('DML', () => {
  test('positional binds become literals', () => {
    const binds = [bindLiteral('TEXT', "o'hara"), bindLiteral('FIXED', '42'), bindLiteral('TEXT', null)];
    expect(sqlOf('insert into t values (?, ?, ?)', binds)).toBe(`INSERT INTO "T" VALUES ('o''hara', 42, NULL)`);
    expect(sqlOf('select * from t where a = :2 and b = :1', binds)).toBe(
      `SELECT * FROM T WHERE A = 42 AND B = 'o''hara'`,
    );
  });

  test('array binds repeat the VALUES row once per bound row', () => {
    const rows = [
      [bindLiteral('FIXED', '1'), bindLiteral('TEXT', 'a')],
      [bindLiteral('FIXED', '2'), bindLiteral('TEXT', 'b')],
    ];
    expect(planArrayInsert('insert into t (id, v) values (?, ?)', context(), rows)).toMatchObject({
      kind: 'insert',
      sql: `INSERT INTO "T" ("ID", "V") VALUES (1, 'a'), (2, 'b')`,
    });
  });

  test('a missing bind is Snowflake error 002049', () => {
    expect(() => plan('select ?')).toThrow(SnowflakeEmulatorError);
  });

  test('MERGE drops target qualifiers in SET, counts actions with RETURNING, and checks duplicate source rows', () => {
    const p = plan(
      'merge into tgt t using (select * from src) s on t.id = s.id when matched and s.del then delete when matched then update set t.v = s.v when not matched then insert (id, v) values (s.id, s.v)',
    );
    if (p.kind !== 'merge') throw new Error(p.kind);
    expect(p.sql).toBe(
      'MERGE INTO TGT T USING (SELECT * FROM SRC) S ON T.ID = S.ID WHEN MATCHED AND S.DEL THEN DELETE WHEN MATCHED THEN UPDATE SET V = S.V WHEN NOT MATCHED THEN INSERT (ID, V) VALUES (S.ID, S.V) RETURNING merge_action',
    );
    expect(p.clauses).toEqual({ insert: true, update: true, delete: true });
    expect(p.duplicateCheckSql).toContain('GROUP BY "T".rowid HAVING count(*) > 1');
  });

  test('INSERT OVERWRITE empties the table first', () => {
    expect(plan('insert overwrite into t select * from u')).toMatchObject({ kind: 'insert', overwriteTarget: '"T"' });
  });
});

describe('commands', () => {
  test('USE, ALTER SESSION, transactions', () => {
    expect(plan('use schema db2.s')).toMatchObject({ kind: 'use', target: 'SCHEMA', name: ['DB2', 'S'] });
    const alter = plan("alter session set query_tag = 'run-1', timezone = 'UTC'");
    expect(alter.kind).toBe('alter-session');
    if (alter.kind === 'alter-session') expect([...alter.set.keys()]).toEqual(['QUERY_TAG', 'TIMEZONE']);
    expect(plan('begin transaction')).toEqual({ kind: 'transaction', action: 'begin' });
    expect(plan('commit')).toEqual({ kind: 'transaction', action: 'commit' });
    expect(failure('begin select 1; end').code).toBe('UNSUPPORTED');
  });

  test('PUT reads the file URL, stage and options', () => {
    expect(
      plan(
        "PUT 'file:///tmp/my dir/a.csv' @%orders/batch1 AUTO_COMPRESS=FALSE SOURCE_COMPRESSION=GZIP PARALLEL=8 OVERWRITE=TRUE",
      ),
    ).toEqual({
      kind: 'put',
      source: '/tmp/my dir/a.csv',
      stage: { kind: 'table', name: ['ORDERS'], path: 'batch1', text: '@%orders/batch1' },
      autoCompress: false,
      sourceCompression: 'gzip',
      parallel: 8,
      overwrite: true,
    });
  });

  test('COPY INTO with FILES, FILE_FORMAT and ON_ERROR', () => {
    const p = plan(
      "copy into db.public.raw (a, b) from @db.public.stg/load/ files = ('x.csv.gz', 'y.csv.gz') file_format = (type = csv field_optionally_enclosed_by = '\"' null_if = () empty_field_as_null = true compression = gzip) on_error = abort_statement purge = true",
    );
    expect(p).toMatchObject({
      kind: 'copy-into',
      target: { database: 'DB', schema: 'PUBLIC', name: 'RAW' },
      columns: ['A', 'B'],
      stage: { kind: 'named', name: ['DB', 'PUBLIC', 'STG'], path: 'load/' },
      files: ['x.csv.gz', 'y.csv.gz'],
      onError: 'ABORT_STATEMENT',
      purge: true,
    });
  });

  test('a transforming COPY turns $n into scratch columns', () => {
    const p = plan('copy into t from (select $1, parse_json($2) from @s)');
    // PARSE_JSON keeps the document's numbers digit for digit: whitespace out, then a cast to JSON (not json())
    expect(p).toMatchObject({
      kind: 'copy-into',
      transform: ['"c1"', String.raw`CAST(regexp_replace("c2", '("(?:[^"\\]|\\.)*")|\s+', '\1', 'g') AS JSON)`],
    });
  });

  test('LIST, REMOVE, SHOW, DESCRIBE', () => {
    expect(plan("list @s/a pattern = '.*csv'")).toMatchObject({
      kind: 'list',
      stage: { name: ['S'], path: 'a' },
      pattern: '.*csv',
    });
    expect(plan('rm @~/x')).toMatchObject({ kind: 'remove', stage: { kind: 'user', path: 'x' } });
    expect(plan("show tables like 'ORD%' in schema db.public")).toMatchObject({
      kind: 'show',
      what: 'TABLES',
      like: 'ORD%',
      scope: { kind: 'SCHEMA', name: ['DB', 'PUBLIC'] },
    });
    expect(plan('desc table t')).toEqual({ kind: 'describe', objectType: 'TABLE', name: ['T'] });
  });

  test('COPY INTO a location (unload) is refused', () => {
    expect(failure('copy into @s from t').code).toBe('UNSUPPORTED');
  });
});

describe('splitStatements', () => {
  test('splits at top-level semicolons only', () => {
    expect(splitStatements("select ';'; select (1); ; -- c\n")).toEqual(["select ';'", ' select (1)']);
  });
});
