import { createDuckDbWarehouse } from '@sluice/duckdb';
import type { Warehouse } from '@sluice/warehouse';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from './load-project.js';
import { runProject, type NodeResult, type RunOptions } from './run-project.js';
import { tempDir, writeProject } from './test-support/temp-project.js';

const target = { name: 'dev', type: 'duckdb', schema: 'main' };

let dir: { path: string; remove(): Promise<void> };
let warehouse: Warehouse;
beforeEach(async () => {
  dir = await tempDir();
  warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
  await warehouse.execute('create schema raw');
});
afterEach(async () => {
  await warehouse.close();
  await dir.remove();
});

/** Write the files, load the project, run it, and return the result of each node by name. */
async function build(
  files: Record<string, string>,
  options: Partial<RunOptions> = {},
): Promise<Record<string, NodeResult>> {
  await writeProject(dir.path, { 'sluice.yml': 'name: m\n', ...files });
  const { project, errors } = await loadProject(dir.path);
  expect(errors).toEqual([]);
  const result = await runProject(project, warehouse, { target, threads: 2, ...options });
  return Object.fromEntries(result.results.map((r) => [r.name, r]));
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return warehouse.query(sql);
}

async function tableType(name: string): Promise<string | undefined> {
  const found = await rows(
    `select table_type from information_schema.tables where table_schema = 'main' and table_name = '${name}'`,
  );
  return found[0]?.table_type as string | undefined;
}

describe('view and table', () => {
  it('creates views and tables, and switches a model between the two', async () => {
    let r = await build({
      'models/v.sql': 'select 1 as x',
      'models/t.sql': "{{ config(materialized='table') }}\nselect 2 as y",
    });
    expect(r.v).toMatchObject({ status: 'success', message: 'view created' });
    expect(r.t).toMatchObject({ status: 'success', message: 'table created' });
    expect(await tableType('v')).toBe('VIEW');
    expect(await tableType('t')).toBe('BASE TABLE');
    r = await build({
      'models/v.sql': "{{ config(materialized='table') }}\nselect 3 as x",
      'models/t.sql': 'select 4 as y',
    });
    expect(r.v?.status).toBe('success');
    expect(r.t?.status).toBe('success');
    expect(await tableType('v')).toBe('BASE TABLE');
    expect(await tableType('t')).toBe('VIEW');
    expect(await rows('select x from main.v')).toEqual([{ x: 3 }]);
  });

  it('runs pre- and post-hooks around the model', async () => {
    await warehouse.execute('create table main.audit_log (event varchar)');
    const r = await build({
      'models/hooked.sql': [
        "{{ config(materialized='table', pre_hook=\"insert into main.audit_log values ('before')\", post_hook=[\"insert into main.audit_log select 'after ' || count(*) from {{ this }}\"]) }}",
        'select 1 as x union all select 2',
      ].join('\n'),
    });
    expect(r.hooked?.status).toBe('success');
    expect(await rows('select event from main.audit_log order by event')).toEqual([
      { event: 'after 2' },
      { event: 'before' },
    ]);
  });
});

describe('incremental', () => {
  const model = (extra = '', config = "unique_key='id'") =>
    [
      `{{ config(materialized='incremental', ${config}) }}`,
      `select id, amount, updated_at${extra} from {{ source('raw', 'payments') }}`,
      '{% if is_incremental() %}',
      'where updated_at > (select max(updated_at) from {{ this }})',
      '{% endif %}',
    ].join('\n');
  const sources = 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: payments\n';

  beforeEach(async () => {
    await warehouse.execute(`
      create table raw.payments (id integer, amount integer, updated_at timestamp, note varchar);
      insert into raw.payments values (1, 10, '2024-01-01', 'a'), (2, 20, '2024-01-02', 'b');
    `);
  });

  it('merges new and changed rows by unique_key, and rebuilds on full refresh', async () => {
    let r = await build({ 'models/sources.yml': sources, 'models/payments.sql': model() });
    expect(r.payments).toMatchObject({ status: 'success', message: 'table created (first build)' });
    await warehouse.execute(`
      update raw.payments set amount = 11, updated_at = '2024-01-05' where id = 1;
      insert into raw.payments values (3, 30, '2024-01-06', 'c');
    `);
    r = await build({ 'models/sources.yml': sources, 'models/payments.sql': model() });
    expect(r.payments).toMatchObject({ status: 'success', rowsAffected: 2, message: 'merged 2 rows on id' });
    expect(r.payments?.compiledSql).toContain('where updated_at > (select max(updated_at) from "main"."payments")');
    expect(await rows('select id, amount from main.payments order by id')).toEqual([
      { id: 1, amount: 11 },
      { id: 2, amount: 20 },
      { id: 3, amount: 30 },
    ]);
    // A row whose timestamp did not move is not picked up incrementally; a full refresh sees it.
    await warehouse.execute('update raw.payments set amount = 99 where id = 2');
    r = await build({ 'models/sources.yml': sources, 'models/payments.sql': model() });
    expect(await rows('select amount from main.payments where id = 2')).toEqual([{ amount: 20 }]);
    r = await build({ 'models/sources.yml': sources, 'models/payments.sql': model() }, { fullRefresh: true });
    expect(r.payments).toMatchObject({ status: 'success', message: 'table rebuilt (full refresh)' });
    expect(await rows('select amount from main.payments where id = 2')).toEqual([{ amount: 99 }]);
  });

  it('replaces a view of its name (a model switched from view to incremental) with its table', async () => {
    await build({
      'models/sources.yml': sources,
      'models/payments.sql': `select id, amount, updated_at from {{ source('raw', 'payments') }}`,
    });
    expect(await tableType('payments')).toBe('VIEW');
    let r = await build({ 'models/sources.yml': sources, 'models/payments.sql': model() });
    expect(r.payments).toMatchObject({ status: 'success', message: 'table created (replacing a view)' });
    expect(await tableType('payments')).toBe('BASE TABLE');
    r = await build({ 'models/sources.yml': sources, 'models/payments.sql': model() });
    expect(r.payments).toMatchObject({ status: 'success', message: 'merged 0 rows on id' });
    expect(await rows('select id, amount from main.payments order by id')).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: 20 },
    ]);
  });

  it('keeps its table on --full-refresh when the model says full_refresh=false', async () => {
    await build({
      'models/sources.yml': sources,
      'models/payments.sql': model('', "unique_key='id', full_refresh=false"),
    });
    const r = await build(
      { 'models/sources.yml': sources, 'models/payments.sql': model('', "unique_key='id', full_refresh=false") },
      { fullRefresh: true },
    );
    expect(r.payments?.message).toBe('merged 0 rows on id');
  });

  it('appends without a unique_key, and replaces by key with delete+insert', async () => {
    const always = (config: string) =>
      `{{ config(materialized='incremental'${config}) }}\nselect id, amount from {{ source('raw', 'payments') }}`;
    await build({
      'models/sources.yml': sources,
      'models/appended.sql': always(''),
      'models/replaced.sql': always(", unique_key='id', incremental_strategy='delete+insert'"),
    });
    const r = await build({
      'models/sources.yml': sources,
      'models/appended.sql': always(''),
      'models/replaced.sql': always(", unique_key='id', incremental_strategy='delete+insert'"),
    });
    expect(r.appended).toMatchObject({ message: 'appended 2 rows', rowsAffected: 2 });
    expect(r.replaced).toMatchObject({ message: 'replaced 2 rows by id' });
    expect(await rows('select count(*) as n from main.appended')).toEqual([{ n: 4 }]);
    expect(await rows('select count(*) as n from main.replaced')).toEqual([{ n: 2 }]);
  });

  it('delete+insert with a composite key deletes only the staged combinations, in one transaction', async () => {
    await warehouse.execute(
      "create table raw.stock (store integer, item varchar, qty integer); insert into raw.stock values (1, 'a', 10), (1, 'b', 20), (2, 'a', 30), (2, 'b', 40)",
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
    const r = await build(files);
    expect(r.stock).toMatchObject({ status: 'success', message: 'replaced 2 rows by store, item' });
    // (1, b) and (2, a) share a store or an item with a staged row, but not both: they stay
    expect(await rows('select store, item, qty from main.stock order by store, item')).toEqual([
      { store: 1, item: 'a', qty: 11 },
      { store: 1, item: 'b', qty: 20 },
      { store: 2, item: 'a', qty: 30 },
      { store: 2, item: 'b', qty: 41 },
    ]);
    // an insert that fails takes its delete with it
    await warehouse.execute('alter table main.stock alter column qty set not null');
    await warehouse.execute("update raw.stock set qty = null where store = 1 and item = 'a'");
    const failed = await build(files);
    expect(failed.stock?.status).toBe('error');
    expect(await rows('select count(*) as n from main.stock')).toEqual([{ n: 4 }]);
  });

  it('warns that grants cannot be applied, naming the file and line, and builds the model', async () => {
    const r = await build({
      'models/g.sql': "-- granted\n{{ config(grants={'select': ['reporter']}) }}\nselect 1 as x",
    });
    expect(r.g).toMatchObject({ status: 'success' });
    expect(r.g?.warnings).toEqual([
      'config grants at models/g.sql:2 is ignored: this engine has no roles or privileges',
    ]);
    expect(r.g?.message).toBe(
      'view created; warning: config grants at models/g.sql:2 is ignored: this engine has no roles or privileges',
    );
  });

  it('adds new columns with on_schema_change append_new_columns', async () => {
    await build({
      'models/sources.yml': sources,
      'models/payments.sql': model('', "unique_key='id', on_schema_change='append_new_columns'"),
    });
    await warehouse.execute("insert into raw.payments values (3, 30, '2024-01-06', 'c')");
    const r = await build({
      'models/sources.yml': sources,
      'models/payments.sql': model(', note', "unique_key='id', on_schema_change='append_new_columns'"),
    });
    expect(r.payments).toMatchObject({ status: 'success', message: 'merged 1 rows on id (added columns note)' });
    expect(await rows('select id, note from main.payments order by id')).toEqual([
      { id: 1, note: null },
      { id: 2, note: null },
      { id: 3, note: 'c' },
    ]);
  });

  it('merges columns named like Sluice metadata (describeTable leaves those out)', async () => {
    await warehouse.execute(`
      create table raw.synced (id integer, v integer, _sluice_synced_at timestamptz);
      insert into raw.synced values (1, 1, '2024-01-01 00:00:00+00');
    `);
    const files = {
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: synced\n',
      'models/copy.sql':
        "{{ config(materialized='incremental', unique_key='id') }}\nselect id, v, _sluice_synced_at from {{ source('raw', 'synced') }}",
    };
    await build(files);
    await warehouse.execute(
      "update raw.synced set v = 2, _sluice_synced_at = '2024-02-01 00:00:00+00'; insert into raw.synced values (2, 5, '2024-02-01 00:00:00+00')",
    );
    await build(files);
    expect(await rows('select id, v, _sluice_synced_at::varchar as synced from main.copy order by id')).toEqual([
      { id: 1, v: 2, synced: '2024-02-01 00:00:00+00' },
      { id: 2, v: 5, synced: '2024-02-01 00:00:00+00' },
    ]);
  });

  it('fails, changing nothing, when the columns change and on_schema_change is fail', async () => {
    await build({
      'models/sources.yml': sources,
      'models/payments.sql': model('', "unique_key='id', on_schema_change='fail'"),
    });
    const r = await build({
      'models/sources.yml': sources,
      'models/payments.sql': model(', note', "unique_key='id', on_schema_change='fail'"),
    });
    expect(r.payments).toMatchObject({ status: 'error', errorCode: 'SCHEMA_CHANGED' });
    expect(r.payments?.message).toContain('new: note');
    expect(r.payments?.message).toContain('--full-refresh');
    expect(
      (
        await rows(
          "select column_name from information_schema.columns where table_name = 'payments' and table_schema = 'main'",
        )
      ).length,
    ).toBe(3);
    expect(await rows("select table_name from information_schema.tables where table_name like '%sluice_tmp%'")).toEqual(
      [],
    );
  });
});

describe('snapshots', () => {
  const sources = 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: prices\n';
  const snapshot = (config: string) =>
    [
      '{% snapshot price_history %}',
      `{{ config(unique_key='product_id', ${config}) }}`,
      "select product_id, price, changed_at from {{ source('raw', 'prices') }}",
      '{% endsnapshot %}',
    ].join('\n');
  const history = () =>
    rows(
      'select product_id, price, dbt_valid_from::varchar as valid_from, dbt_valid_to::varchar as valid_to from main.price_history order by product_id, dbt_valid_from',
    );

  beforeEach(async () => {
    await warehouse.execute(`
      create table raw.prices (product_id integer, price decimal(10,2), changed_at timestamp);
      insert into raw.prices values (1, 100.00, '2024-01-01'), (2, 200.00, '2024-01-01');
    `);
  });

  it('keeps the history by an update timestamp (dbt_valid_from / dbt_valid_to)', async () => {
    const files = {
      'models/sources.yml': sources,
      'snapshots/prices.sql': snapshot("strategy='timestamp', updated_at='changed_at'"),
    };
    let r = await build(files);
    expect(r.price_history).toMatchObject({ status: 'success', message: 'snapshot created with 2 rows' });
    await warehouse.execute("update raw.prices set price = 110.00, changed_at = '2024-02-01' where product_id = 1");
    r = await build(files);
    expect(r.price_history?.status).toBe('success');
    // Unchanged rows do not make new versions on a rerun.
    await build(files);
    expect(await history()).toEqual([
      { product_id: 1, price: '100.00', valid_from: '2024-01-01 00:00:00', valid_to: '2024-02-01 00:00:00' },
      { product_id: 1, price: '110.00', valid_from: '2024-02-01 00:00:00', valid_to: null },
      { product_id: 2, price: '200.00', valid_from: '2024-01-01 00:00:00', valid_to: null },
    ]);
  });

  it('detects changes in check_cols, and closes deleted keys with hard_deletes invalidate', async () => {
    const files = {
      'models/sources.yml': sources,
      'snapshots/prices.sql': snapshot(
        "strategy='check', check_cols=['price'], updated_at='changed_at', hard_deletes='invalidate'",
      ),
    };
    await build(files);
    // A new timestamp without a new price is no change for the check strategy.
    await warehouse.execute("update raw.prices set changed_at = '2024-01-15' where product_id = 2");
    await warehouse.execute("update raw.prices set price = 90.00, changed_at = '2024-03-01' where product_id = 1");
    await build(files);
    await warehouse.execute('delete from raw.prices where product_id = 2');
    const runStartedAt = new Date('2024-04-01T00:00:00Z');
    await build(files, { runStartedAt });
    expect(await history()).toEqual([
      { product_id: 1, price: '100.00', valid_from: '2024-01-01 00:00:00', valid_to: '2024-03-01 00:00:00' },
      { product_id: 1, price: '90.00', valid_from: '2024-03-01 00:00:00', valid_to: null },
      { product_id: 2, price: '200.00', valid_from: '2024-01-01 00:00:00', valid_to: '2024-04-01 00:00:00' },
    ]);
  });

  it("records deletions as rows with hard_deletes new_record (dbt 1.9's dbt_is_deleted), and keys that come back", async () => {
    const files = {
      'models/sources.yml': sources,
      'snapshots/prices.sql': snapshot("strategy='timestamp', updated_at='changed_at', hard_deletes='new_record'"),
    };
    await build(files);
    await warehouse.execute('delete from raw.prices where product_id = 2');
    await build(files, { runStartedAt: new Date('2024-04-01T00:00:00Z') });
    // A second run while it is still gone records nothing new.
    await build(files, { runStartedAt: new Date('2024-04-15T00:00:00Z') });
    await warehouse.execute("insert into raw.prices values (2, 250.00, '2024-05-01')");
    await build(files, { runStartedAt: new Date('2024-05-02T00:00:00Z') });
    expect(
      await rows(
        'select product_id, price, dbt_valid_from::varchar as valid_from, dbt_valid_to::varchar as valid_to, dbt_is_deleted from main.price_history order by product_id, dbt_valid_from',
      ),
    ).toEqual([
      { product_id: 1, price: '100.00', valid_from: '2024-01-01 00:00:00', valid_to: null, dbt_is_deleted: 'False' },
      {
        product_id: 2,
        price: '200.00',
        valid_from: '2024-01-01 00:00:00',
        valid_to: '2024-04-01 00:00:00',
        dbt_is_deleted: 'False',
      },
      {
        product_id: 2,
        price: '200.00',
        valid_from: '2024-04-01 00:00:00',
        valid_to: '2024-05-01 00:00:00',
        dbt_is_deleted: 'True',
      },
      { product_id: 2, price: '250.00', valid_from: '2024-05-01 00:00:00', valid_to: null, dbt_is_deleted: 'False' },
    ]);
    expect(await rows('select count(distinct dbt_scd_id) as n from main.price_history')).toEqual([{ n: 4 }]);
  });

  it('renames the columns of a snapshot built with the old names (valid_from …) in place, keeping its history', async () => {
    // The table as Sluice built it before it used dbt's names.
    await warehouse.execute(`
      create table main.price_history as
      select product_id, price, changed_at, changed_at as snapshot_updated_at, changed_at as valid_from,
        cast(null as timestamp) as valid_to, md5(product_id::varchar || '|' || changed_at::varchar) as snapshot_scd_id
      from raw.prices;
      update main.price_history set valid_to = '2024-01-01', valid_from = '2023-06-01' where product_id = 2;
      insert into main.price_history values (2, 200.00, '2024-01-01', '2024-01-01', '2024-01-01', null, 'kept');
    `);
    await warehouse.execute("update raw.prices set price = 110.00, changed_at = '2024-02-01' where product_id = 1");
    const files = {
      'models/sources.yml': sources,
      'snapshots/prices.sql': snapshot("strategy='timestamp', updated_at='changed_at'"),
    };
    const r = await build(files);
    expect(r.price_history?.message).toBe(
      'snapshot merged 2 rows (renamed columns valid_from → dbt_valid_from, valid_to → dbt_valid_to, snapshot_scd_id → dbt_scd_id, snapshot_updated_at → dbt_updated_at)',
    );
    expect(await history()).toEqual([
      { product_id: 1, price: '100.00', valid_from: '2024-01-01 00:00:00', valid_to: '2024-02-01 00:00:00' },
      { product_id: 1, price: '110.00', valid_from: '2024-02-01 00:00:00', valid_to: null },
      { product_id: 2, price: '200.00', valid_from: '2023-06-01 00:00:00', valid_to: '2024-01-01 00:00:00' },
      { product_id: 2, price: '200.00', valid_from: '2024-01-01 00:00:00', valid_to: null },
    ]);
    // The next run finds nothing to rename.
    expect((await build(files)).price_history?.message).toBe('snapshot merged 0 rows');
  });

  it('names its columns as snapshot_meta_column_names says', async () => {
    const files = {
      'models/sources.yml': sources,
      'snapshots/prices.sql': snapshot(
        "strategy='timestamp', updated_at='changed_at', snapshot_meta_column_names={'dbt_valid_from': 'start_at', 'dbt_valid_to': 'end_at'}",
      ),
    };
    await build(files);
    await warehouse.execute("update raw.prices set price = 110.00, changed_at = '2024-02-01' where product_id = 1");
    await build(files);
    expect(
      await rows(
        "select column_name from information_schema.columns where table_name = 'price_history' order by ordinal_position",
      ),
    ).toEqual(
      ['product_id', 'price', 'changed_at', 'dbt_updated_at', 'start_at', 'end_at', 'dbt_scd_id'].map((c) => ({
        column_name: c,
      })),
    );
    expect(await rows('select product_id, price from main.price_history where end_at is null order by 1')).toEqual([
      { product_id: 1, price: '110.00' },
      { product_id: 2, price: '200.00' },
    ]);
  });

  it("builds a snapshot defined in YAML (dbt 1.9's relation:), with its property-file config and tests", async () => {
    const files = {
      'models/sources.yml': sources,
      'snapshots/prices.yml': [
        'snapshots:',
        '  - name: price_history',
        "    relation: source('raw', 'prices')",
        '    config:',
        '      unique_key: product_id',
        '      strategy: timestamp',
        '      updated_at: changed_at',
        '      hard_deletes: invalidate',
        '    columns:',
        '      - name: price',
        '        data_tests: [not_null]',
        '',
      ].join('\n'),
    };
    let r = await build(files);
    expect(r.price_history).toMatchObject({ status: 'success', message: 'snapshot created with 2 rows' });
    expect(r.not_null_price_history_price?.status).toBe('pass');
    await warehouse.execute('delete from raw.prices where product_id = 2');
    r = await build(files, { runStartedAt: new Date('2024-04-01T00:00:00Z') });
    expect(r.price_history?.status).toBe('success');
    expect(await history()).toEqual([
      { product_id: 1, price: '100.00', valid_from: '2024-01-01 00:00:00', valid_to: null },
      { product_id: 2, price: '200.00', valid_from: '2024-01-01 00:00:00', valid_to: '2024-04-01 00:00:00' },
    ]);
  });

  it('refuses a YAML snapshot whose relation is not a ref or a source, at its line', async () => {
    await writeProject(dir.path, {
      'sluice.yml': 'name: m\n',
      'snapshots/prices.yml': 'snapshots:\n  - name: price_history\n    relation: raw.prices\n',
    });
    const { errors } = await loadProject(dir.path);
    expect(errors).toContainEqual(
      expect.objectContaining({
        code: 'INVALID_VALUE',
        file: 'snapshots/prices.yml',
        line: 3,
        message: expect.stringContaining("relation must be ref('model') or source('source', 'table')"),
      }),
    );
  });

  it('adds columns the query gains', async () => {
    const files = {
      'models/sources.yml': sources,
      'snapshots/prices.sql': snapshot("strategy='timestamp', updated_at='changed_at'"),
    };
    await build(files);
    await warehouse.execute(
      "alter table raw.prices add column currency varchar; update raw.prices set currency = 'BRL', price = 120.00, changed_at = '2024-05-01' where product_id = 1",
    );
    const r = await build({
      ...files,
      'snapshots/prices.sql': files['snapshots/prices.sql'].replace('price, changed_at', 'price, changed_at, currency'),
    });
    expect(r.price_history?.message).toContain('added columns currency');
    expect(
      await rows('select product_id, currency from main.price_history where dbt_valid_to is null order by product_id'),
    ).toEqual([
      { product_id: 1, currency: 'BRL' },
      { product_id: 2, currency: null },
    ]);
  });
});
