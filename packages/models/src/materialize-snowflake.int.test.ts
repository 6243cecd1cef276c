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
