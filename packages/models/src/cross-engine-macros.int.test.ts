import { createDuckDbWarehouse } from '@sluice/duckdb';
import type { Row, Warehouse } from '@sluice/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from './load-project.js';
import { runProject } from './run-project.js';
import { startEmulatedSnowflake } from './test-support/snowflake-emulator.js';
import { tempDir, writeProject } from './test-support/temp-project.js';

/*
 * dbt's cross-database macros (`dbt.x`, and unqualified) run on DuckDB and on Snowflake (through the emulator) and
 * give the same values.
 */

const PROJECT = {
  'dbt_project.yml': 'name: crossdb\nmodels:\n  crossdb:\n    +materialized: table\n',
  'models/src.sql': [
    'select * from (values',
    "  (1, 'placed', 100.0, cast('2024-01-03' as date), true),",
    "  (2, 'shipped', 50.5, cast('2024-02-10' as date), false),",
    "  (3, 'placed', 20.0, cast('2024-02-29' as date), false)",
    ') as t(id, status, amount, day, flag)',
  ].join('\n'),
  'models/aggregates.sql': [
    'select',
    "  {{ dbt.listagg('status', \"'|'\", 'status, id') }} as statuses,",
    "  {{ dbt.listagg('status', \"'|'\", 'id desc', 2) }} as last_two,",
    "  {{ dbt.bool_or('flag') }} as any_flag,",
    "  {{ dbt.any_value('status') }} is not null as has_any",
    "from {{ ref('src') }}",
  ].join('\n'),
  'models/scalars.sql': [
    'select',
    '  id,',
    "  {{ dbt.dateadd('month', 1, 'day') }} as next_month,",
    "  {{ datediff(\"cast('2024-01-01' as date)\", 'day', 'day') }} as days_in,",
    "  {{ dbt.date_trunc('month', 'day') }} as month_start,",
    "  {{ dbt.last_day('day', 'month') }} as month_end,",
    "  {{ dbt.split_part(\"'a-b-c'\", \"'-'\", 'id') }} as part,",
    '  {{ dbt.position("\'b\'", "\'abc\'") }} as pos,',
    "  {{ dbt.right(\"'abcdef'\", 'id') }} as tail,",
    "  {{ dbt.length('status') }} as status_length,",
    "  {{ dbt.replace('status', \"'p'\", \"'P'\") }} as replaced,",
    "  {{ dbt.concat(['status', \"'#'\", dbt.cast('id', dbt.type_string())]) }} as joined,",
    '  {{ dbt.hash("\'x\'") }} as hashed,',
    '  {{ dbt.safe_cast("\'12\'", dbt.type_int()) }} as twelve,',
    '  {{ dbt.safe_cast("\'nope\'", dbt.type_int()) }} as not_a_number,',
    "  {{ dbt.cast_bool_to_text('flag') }} as flag_text,",
    '  {{ dbt.string_literal("it\'s") }} as quoted,',
    "  '{{ dbt.escape_single_quotes(\"it's\") }}' as escaped,",
    "  {{ dbt.equals('id', '2') }} as is_two,",
    '  cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) is not null as has_now,',
    '  cast(amount as {{ dbt.type_numeric() }}) as amount_numeric,',
    '  cast(id as {{ dbt.type_bigint() }}) + cast(1.5 as {{ dbt.type_float() }}) as sum_float',
    "from {{ ref('src') }}",
  ].join('\n'),
  'models/arrays.sql': [
    'select',
    "  {{ dbt.array_construct(['1', '2']) }} as pair,",
    "  {{ dbt.array_append(dbt.array_construct(['1']), '2') }} as appended,",
    "  {{ dbt.array_concat(dbt.array_construct(['1']), dbt.array_construct(['2', '3'])) }} as joined",
  ].join('\n'),
  'models/sets.sql': [
    "select id from {{ ref('src') }}",
    '{{ dbt.except() }}',
    "select id from {{ ref('src') }} where id = 2",
  ].join('\n'),
  'models/spine.sql': "{{ dbt.date_spine('day', \"cast('2024-01-30' as date)\", \"cast('2024-02-02' as date)\") }}",
  'models/series.sql': 'select generated_number from ({{ dbt.generate_series(dbt.get_powers_of_two(9) + 3) }}) as s',
};

function lower(rows: readonly Row[]): Row[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v])));
}

const asDate = (v: unknown): string => String(v).slice(0, 10);
const asList = (v: unknown): number[] => (typeof v === 'string' ? JSON.parse(v) : (v as unknown[])).map(Number);

describe.each([
  ['duckdb', 'main'],
  ['snowflake', 'marts'],
] as const)('dbt cross-database macros on %s', (engine, schema) => {
  let warehouse: Warehouse;
  let dispose: () => Promise<void>;
  const query = async (sql: string) => lower(await warehouse.query(sql));

  beforeAll(async () => {
    const dir = await tempDir();
    await writeProject(dir.path, PROJECT);
    if (engine === 'snowflake') {
      const snowflake = await startEmulatedSnowflake();
      warehouse = snowflake.warehouse;
      dispose = async () => {
        await snowflake.dispose();
        await dir.remove();
      };
    } else {
      const duckdb = await createDuckDbWarehouse({ path: ':memory:' });
      warehouse = duckdb;
      dispose = async () => {
        await duckdb.close();
        await dir.remove();
      };
    }
    const { project, errors } = await loadProject(dir.path, { target: { type: engine } });
    expect(errors).toEqual([]);
    const run = await runProject(project, warehouse, { target: { name: 'test', type: engine, schema }, threads: 2 });
    expect(run.results.filter((r) => r.status !== 'success').map((r) => r.message)).toEqual([]);
  }, 180_000);
  afterAll(async () => {
    await dispose?.();
  });

  it('aggregates: listagg (ordered, limited), bool_or, any_value', async () => {
    const [row] = await query(`select * from ${schema}.aggregates`);
    expect(row).toMatchObject({
      statuses: 'placed|placed|shipped',
      last_two: 'placed|shipped',
      any_flag: true,
      has_any: true,
    });
  });

  it('dates, strings, hashes, casts and types', async () => {
    const rows = await query(`select * from ${schema}.scalars order by id`);
    const [first, second, third] = rows;
    expect(asDate(first?.next_month)).toBe('2024-02-03');
    expect(Number(first?.days_in)).toBe(2);
    expect(asDate(second?.month_start)).toBe('2024-02-01');
    expect(asDate(second?.month_end)).toBe('2024-02-29');
    expect(rows.map((r) => r.part)).toEqual(['a', 'b', 'c']);
    expect(Number(first?.pos)).toBe(2);
    expect(rows.map((r) => r.tail)).toEqual(['f', 'ef', 'def']);
    expect(Number(second?.status_length)).toBe(7);
    expect(first).toMatchObject({
      replaced: 'Placed',
      joined: 'placed#1',
      hashed: '9dd4e461268c8034f5c8564e155c67a6',
      flag_text: 'true',
      quoted: "it's",
      escaped: "it's",
      is_two: false,
      has_now: true,
    });
    expect(Number(first?.twelve)).toBe(12);
    expect(first?.not_a_number).toBeNull();
    expect(second?.is_two).toBe(true);
    expect(Number(third?.amount_numeric)).toBe(20);
    expect(Number(third?.sum_float)).toBe(4.5);
  });

  it('arrays: construct, append, concat', async () => {
    const [row] = await query(`select * from ${schema}.arrays`);
    expect(asList(row?.pair)).toEqual([1, 2]);
    expect(asList(row?.appended)).toEqual([1, 2]);
    expect(asList(row?.joined)).toEqual([1, 2, 3]);
  });

  it('except, date_spine (end excluded) and generate_series', async () => {
    expect((await query(`select id from ${schema}.sets order by id`)).map((r) => Number(r.id))).toEqual([1, 3]);
    const days = await query(`select * from ${schema}.spine order by date_day`);
    expect(days.map((d) => asDate(d.date_day))).toEqual(['2024-01-30', '2024-01-31', '2024-02-01']);
    const series = await query(`select generated_number from ${schema}.series order by 1`);
    expect(series.map((r) => Number(r.generated_number))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
