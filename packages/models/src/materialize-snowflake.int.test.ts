import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { SnowflakeWarehouse } from '@sluice/snowflake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from './load-project.js';
import { runProject, type NodeResult } from './run-project.js';
import { startEmulatedSnowflake } from './test-support/snowflake-emulator.js';
import { tempDir, writeProject } from './test-support/temp-project.js';

/*
 * The model materializations on Snowflake (through the emulator), where they depend on what the warehouse holds:
 * Snowflake stores unquoted names upper-case, so relation state read with lower-case names finds nothing.
 */

const target = { name: 'prod', type: 'snowflake', schema: 'marts' };

describe('materializations on Snowflake (through the emulator)', () => {
  let snowflake: Awaited<ReturnType<typeof startEmulatedSnowflake>>;
  const transient = async (name: string): Promise<unknown> =>
    (
      await warehouse.query(
        `select is_transient from information_schema.tables where table_schema = 'MARTS' and table_name = '${name}'`,
      )
    )[0]?.is_transient;
  const grantsOn = async (kind: 'table' | 'view', name: string): Promise<string[]> =>
    (await warehouse.query(`show grants on ${kind} marts.${name}`))
      .filter((r) => r.privilege !== 'OWNERSHIP')
      .map((r) => `${String(r.privilege)} to ${String(r.grantee_name)}`)
      .sort();
  let warehouse: SnowflakeWarehouse;
  let dir: { path: string; remove(): Promise<void> };

  beforeAll(async () => {
    snowflake = await startEmulatedSnowflake();
    warehouse = snowflake.warehouse;
    dir = await tempDir();
    await warehouse.execute('create schema raw');
    await warehouse.execute(
      "create table raw.synced (id integer, v integer, _sluice_synced_at timestamp_ntz); insert into raw.synced values (1, 1, '2024-01-01 00:00:00')",
    );
  }, 120_000);
  afterAll(async () => {
    await snowflake?.dispose();
    await dir?.remove();
  });

  async function build(files: Record<string, string>): Promise<Record<string, NodeResult>> {
    await writeProject(dir.path, { 'sluice.yml': 'name: sf\n', ...files });
    const { project, errors } = await loadProject(dir.path);
    expect(errors).toEqual([]);
    const result = await runProject(project, warehouse, { target, threads: 2 });
    return Object.fromEntries(result.results.map((r) => [r.name, r]));
  }

  it('switches a model between view and table', async () => {
    let r = await build({
      'models/v.sql': 'select 1 as x',
      'models/t.sql': "{{ config(materialized='table') }}\nselect 2 as y",
    });
    expect([r.v?.status, r.t?.status]).toEqual(['success', 'success']);
    r = await build({
      'models/v.sql': "{{ config(materialized='table') }}\nselect 3 as x",
      'models/t.sql': 'select 4 as y',
    });
    expect([r.v?.message, r.t?.message]).toEqual(['table created', 'view created']);
    expect((await warehouse.describeRelation({ schema: 'marts', name: 'v' }))?.kind).toBe('table');
    expect((await warehouse.describeRelation({ schema: 'marts', name: 't' }))?.kind).toBe('view');
    expect(await warehouse.query('select x from marts.v')).toEqual([{ x: 3 }]);
  }, 120_000);

  it('builds model tables transient, and permanent when a model says transient=false', async () => {
    await build({
      'models/tr.sql': "{{ config(materialized='table') }}\nselect 1 as x",
      'models/perm.sql': "{{ config(materialized='table', transient=false, cluster_by=['x']) }}\nselect 1 as x",
    });
    expect(await transient('TR')).toBe('YES');
    expect(await transient('PERM')).toBe('NO');
  }, 120_000);

  it('keeps grants over rebuilds, applies the grants config, and drops grants with copy_grants false', async () => {
    const files = (config: string) => ({
      'models/gv.sql': `{{ config(materialized='view'${config}) }}\nselect 1 as x`,
      'models/gt.sql': `{{ config(materialized='table'${config}) }}\nselect 1 as x`,
    });
    await build(files(''));
    await warehouse.execute('grant select on view marts.gv to role bi; grant select on table marts.gt to role bi');
    await build(files(''));
    expect(await grantsOn('view', 'gv')).toEqual(['SELECT to BI']);
    expect(await grantsOn('table', 'gt')).toEqual(['SELECT to BI']);
    const r = await build(files(", grants={'select': ['reporter', 'analyst']}"));
    expect([r.gv?.status, r.gt?.status]).toEqual(['success', 'success']);
    expect(await grantsOn('view', 'gv')).toEqual(['SELECT to ANALYST', 'SELECT to REPORTER']);
    expect(await grantsOn('table', 'gt')).toEqual(['SELECT to ANALYST', 'SELECT to REPORTER']);
    await build(files(', copy_grants=false'));
    expect(await grantsOn('view', 'gv')).toEqual([]);
    expect(await grantsOn('table', 'gt')).toEqual([]);
  }, 120_000);

  it('runs a model on its snowflake_warehouse, tagged with its query_tag', async () => {
    await warehouse.execute('create table if not exists marts.audit (wh varchar)');
    const r = await build({
      'models/elsewhere.sql':
        "{{ config(materialized='table', snowflake_warehouse='BIG_WH', query_tag='team-finance', post_hook='insert into marts.audit select current_warehouse()') }}\nselect 1 as x",
    });
    expect(r.elsewhere?.status).toBe('success');
    expect(await warehouse.query('select wh from marts.audit')).toEqual([{ wh: 'BIG_WH' }]);
    const tags = snowflake
      .stats()
      .statements.filter((s) => /ELSEWHERE/.test(s.sqlText))
      .map((s) => s.queryTag);
    expect(new Set(tags)).toEqual(new Set(['team-finance']));
  }, 120_000);

  it('delete+insert with a composite key replaces only the staged combinations, all or nothing', async () => {
    await warehouse.execute(
      "create or replace table raw.stock (store integer, item varchar, qty integer); insert into raw.stock values (1, 'a', 10), (1, 'b', 20), (2, 'a', 30), (2, 'b', 40)",
    );
    const files = {
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: stock\n',
      'models/stock.sql':
        "{{ config(materialized='incremental', unique_key=['store', 'item'], incremental_strategy='delete+insert') }}\n" +
        "select store, item, qty from {{ source('raw', 'stock') }}{% if is_incremental() %} where (store = 1 and item = 'a') or (store = 2 and item = 'b'){% endif %}",
    };
    await build(files);
    await warehouse.execute(
      "update raw.stock set qty = qty + 1 where (store = 1 and item = 'a') or (store = 2 and item = 'b')",
    );
    expect((await build(files)).stock).toMatchObject({ status: 'success', message: 'replaced 2 rows by store, item' });
    expect(await warehouse.query('select store, item, qty from marts.stock order by store, item')).toEqual([
      { store: 1, item: 'a', qty: 11 },
      { store: 1, item: 'b', qty: 20 },
      { store: 2, item: 'a', qty: 30 },
      { store: 2, item: 'b', qty: 41 },
    ]);
    await warehouse.execute('alter table marts.stock alter column qty set not null');
    await warehouse.execute("update raw.stock set qty = null where store = 1 and item = 'a'");
    expect((await build(files)).stock?.status).toBe('error');
    expect(await warehouse.query('select count(*) as n from marts.stock')).toEqual([{ n: 4 }]);
    await rm(path.join(dir.path, 'models'), { recursive: true, force: true });
  }, 120_000);

  it('loads seeds transient (permanent with transient false), with their grants, warehouse and query tag', async () => {
    await warehouse.execute(
      'create schema if not exists marts; create table if not exists marts.seed_audit (wh varchar)',
    );
    const r = await build({
      'seeds/codes.csv': 'code,label\nA,alpha\nB,beta\n',
      'seeds/kept.csv': 'id\n1\n',
      'seeds/properties.yml': [
        'version: 2',
        'seeds:',
        '  - name: codes',
        '    config:',
        '      grants: { select: [reporter] }',
        '      snowflake_warehouse: SEED_WH',
        '      query_tag: team-seeds',
        '      post_hook: insert into marts.seed_audit select current_warehouse()',
        '  - name: kept',
        '    config:',
        '      transient: false',
        '',
      ].join('\n'),
    });
    expect([r.codes?.status, r.kept?.status]).toEqual(['success', 'success']);
    expect(await transient('CODES')).toBe('YES');
    expect(await transient('KEPT')).toBe('NO');
    expect(await grantsOn('table', 'codes')).toEqual(['SELECT to REPORTER']);
    expect(await warehouse.query('select wh from marts.seed_audit')).toEqual([{ wh: 'SEED_WH' }]);
    const tags = snowflake
      .stats()
      .statements.filter((s) => /"CODES"/.test(s.sqlText))
      .map((s) => s.queryTag);
    expect(tags.length).toBeGreaterThan(0);
    expect(new Set(tags)).toEqual(new Set(['team-seeds']));
    await rm(path.join(dir.path, 'seeds'), { recursive: true, force: true });
  }, 120_000);

  it('merges an incremental model by its columns, those named like Sluice metadata included', async () => {
    const files = {
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: synced\n',
      'models/copy.sql':
        "{{ config(materialized='incremental', unique_key='id', on_schema_change='fail') }}\nselect id, v, _sluice_synced_at from {{ source('raw', 'synced') }}",
    };
    expect((await build(files)).copy?.message).toBe('table created (first build)');
    await warehouse.execute(
      "update raw.synced set v = 2, _sluice_synced_at = '2024-02-01 00:00:00'; insert into raw.synced values (2, 5, '2024-02-01 00:00:00')",
    );
    expect((await build(files)).copy).toMatchObject({ status: 'success', message: 'merged 2 rows on id' });
    expect(
      await warehouse.query('select id, v, to_varchar(_sluice_synced_at) as synced from marts.copy order by id'),
    ).toEqual([
      { id: 1, v: 2, synced: expect.stringContaining('2024-02-01') },
      { id: 2, v: 5, synced: expect.stringContaining('2024-02-01') },
    ]);
  }, 120_000);
  it('renames an old-style snapshot in place, then records deletions with hard_deletes new_record', async () => {
    await warehouse.execute(
      "create table raw.prices (product_id integer, price number(10,2), changed_at timestamp_ntz); insert into raw.prices values (1, 100, '2024-01-01 00:00:00'), (2, 200, '2024-01-01 00:00:00')",
    );
    // The snapshot as Sluice built it before it used dbt's column names.
    await warehouse.execute(
      "create table marts.price_history as select product_id, price, changed_at, changed_at as snapshot_updated_at, changed_at as valid_from, cast(null as timestamp_ntz) as valid_to, md5(to_varchar(product_id) || '|' || to_varchar(changed_at)) as snapshot_scd_id from raw.prices",
    );
    const files = {
      'models/prices.yml':
        'version: 2\nsources:\n  - name: raw_prices\n    schema: raw\n    tables:\n      - name: prices\n',
      'snapshots/prices.sql': [
        '{% snapshot price_history %}',
        "{{ config(unique_key='product_id', strategy='timestamp', updated_at='changed_at', hard_deletes='new_record') }}",
        "select product_id, price, changed_at from {{ source('raw_prices', 'prices') }}",
        '{% endsnapshot %}',
      ].join('\n'),
    };
    await warehouse.execute('delete from raw.prices where product_id = 2');
    const r = await build(files);
    expect(r.price_history).toMatchObject({
      status: 'success',
      message:
        'snapshot merged 2 rows (renamed columns valid_from → dbt_valid_from, valid_to → dbt_valid_to, snapshot_scd_id → dbt_scd_id, snapshot_updated_at → dbt_updated_at; added column dbt_is_deleted)',
    });
    expect(
      await warehouse.query(
        'select product_id, to_varchar(dbt_valid_from) as valid_from, dbt_valid_to is null as current, dbt_is_deleted from marts.price_history order by product_id, dbt_valid_from',
      ),
    ).toEqual([
      { product_id: 1, valid_from: expect.stringContaining('2024-01-01'), current: true, dbt_is_deleted: null },
      { product_id: 2, valid_from: expect.stringContaining('2024-01-01'), current: false, dbt_is_deleted: null },
      { product_id: 2, valid_from: expect.any(String), current: true, dbt_is_deleted: 'True' },
    ]);
    expect((await build(files)).price_history?.message).toBe('snapshot merged 0 rows');
  }, 120_000);
});
