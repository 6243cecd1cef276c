import { describe, expect, it } from 'vitest';
import { PINNED_SESSION_PARAMETERS, sessionSetup } from './session-parameters.js';
import { classifyFailure } from './snowflake-session.js';
import { isRepeatable } from './snowflake-warehouse.js';

describe('failures and what may be repeated', () => {
  it('tells a dead session (log in again; nothing ran) from network trouble (maybe ran) and from a bad statement', () => {
    expect(classifyFailure(Object.assign(new Error('Master token expired'), { code: '390114' }))).toBe('session');
    expect(classifyFailure(Object.assign(new Error('gone'), { code: '390111' }))).toBe('session');
    expect(
      classifyFailure(
        Object.assign(new Error('Unable to perform operation using terminated connection.'), { code: 407002 }),
      ),
    ).toBe('session');
    expect(classifyFailure(Object.assign(new Error('Network error'), { code: 401001 }))).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('transient');
    expect(
      classifyFailure(
        Object.assign(
          new Error('Statement reached its statement or warehouse timeout of 1 second(s) and was canceled.'),
          {
            code: '000630',
          },
        ),
      ),
    ).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error("Numeric value 'x' is not recognized"), { code: '100038' }))).toBe(
      'permanent',
    );
  });

  it('repeats only statements that end the same when run twice', () => {
    for (const sql of [
      'select 1',
      '  with a as (select 1) select * from a',
      'SHOW TABLES',
      'create or replace table t as select 1',
      'CREATE SCHEMA IF NOT EXISTS "A"',
      'drop view if exists v',
      '-- c\nselect 1',
    ]) {
      expect(isRepeatable(sql), sql).toBe(true);
    }
    for (const sql of [
      'insert into t select 1',
      'delete from t where x in (select 1)',
      'merge into t using s on t.a = s.a when matched then update set b = 1',
      'alter table t add column c int',
      'create table t (a int)',
    ]) {
      expect(isRepeatable(sql), sql).toBe(false);
    }
  });
});

describe('the session Sluice opens', () => {
  it('pins every parameter a hostile account sets, and sets up in one statement', async () => {
    const { HOSTILE_ACCOUNT_PARAMETERS } = await import('@sluice/snowflake-emulator');
    const pinned = new Set(PINNED_SESSION_PARAMETERS.map((p) => p.name));
    expect(Object.keys(HOSTILE_ACCOUNT_PARAMETERS).filter((name) => !pinned.has(name))).toEqual([]);
    const setup = sessionSetup({ statementTimeoutSeconds: 600 });
    expect(setup).toMatch(
      /^ALTER SESSION SET TIMEZONE = 'UTC' QUOTED_IDENTIFIERS_IGNORE_CASE = FALSE AUTOCOMMIT = TRUE /,
    );
    expect(setup).toMatch(/ STATEMENT_TIMEOUT_IN_SECONDS = 600 QUERY_TAG = 'sluice'$/);
    expect(sessionSetup()).not.toMatch(/STATEMENT_TIMEOUT/);
  });
});
