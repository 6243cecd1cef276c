import { describe, expect, test } from 'vitest';
import { planStatement, type PlannerContext } from './sql/statement-planner.js';
import { needsWarehouse, WAREHOUSE_RULES } from './warehouse-use.js';

const context: PlannerContext = {
  database: 'DB',
  schema: 'PUBLIC',
  translation: {
    sql: '',
    binds: [],
    bindCursor: 0,
    session: {
      database: 'DB',
      schema: 'PUBLIC',
      warehouse: 'WH',
      role: 'SYSADMIN',
      user: 'SLUICE',
      account: 'EMULATOR',
      sessionId: '42',
      lastQueryId: null,
    },
  },
};

const resumes = (sql: string): boolean => needsWarehouse(planStatement(sql, context));

describe('WAREHOUSE_RULES', () => {
  test('every row names why and the Snowflake page that decides it', () => {
    for (const [kind, rule] of Object.entries(WAREHOUSE_RULES)) {
      expect(rule.why.length, kind).toBeGreaterThan(0);
      expect(rule.doc, kind).toMatch(/^https:\/\/docs\.snowflake\.com\/en\//);
    }
  });

  // the statement kinds of a NovaDrive run with no changed row (issue 16, item 1)
  test.each([
    ['create or replace table audit.t as select * from m where x is null', true],
    ['create or replace transient table m as select 1 as a from src', true],
    ['select count(*) from audit.t', false],
    ['select count(*) as failures from audit.t', false],
    ['select count(*) as failures\nfrom "DB"."AUDIT"."T" as failing', false],
    ['select count(*) from audit.t failing', false],
    ['select count(*) from audit.t where x = 1', true],
    ['select count(*) from audit.t limit 1', true],
    ['select count(*) from (select * from m where x is null) as q', true],
    ['select count(*) from m where x is null', true],
    ['merge into t using s on t.id = s.id when matched then update set a = s.a', true],
    ['delete from fct where id in (select id from stg)', true],
    ['insert into t select * from s', true],
    ['truncate table t', true],
    ["select table_name from db.information_schema.tables where table_schema = 'RAW'", true],
    ['create schema if not exists analytics', false],
    ['create table if not exists raw.t (id number)', false],
    ['create or replace view v as select * from t', false],
    ['drop table if exists t', false],
    ['alter table t add column c varchar', false],
    ['show tables in schema raw', false],
    ['describe table t', false],
    ['use schema raw', false],
    ["alter session set query_tag = 'x'", false],
    ['begin', false],
    ['commit', false],
    ['select current_timestamp()', false],
    ['alter warehouse wh resume', true],
    ['alter warehouse wh suspend', false],
  ])('%s → resumes a warehouse: %s', (sql, expected) => {
    expect(resumes(sql)).toBe(expected);
  });
});
