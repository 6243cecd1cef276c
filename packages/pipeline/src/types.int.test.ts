import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { runIngest } from './ingest.js';
import { loadProjectConfig } from './project-config.js';

describe('every supported Postgres type, end to end through extraction and the DuckDB load', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let warehouse: Warehouse;
  let state: StateStore;

  beforeAll(async () => {
    db = await createTestDatabase('types');
    dir = await createTempDir();
    await db.withClient(async (client) => {
      await client.query(`CREATE TYPE mood AS ENUM ('sad', 'happy')`);
      await client.query(`CREATE TABLE kinds (
        id bigint PRIMARY KEY, small smallint, price numeric(10,2), big numeric, ratio real, precise double precision,
        flag boolean, name varchar(20), code char(3), body text, day date, at timestamp, instant timestamptz, clock time,
        span interval, uid uuid, doc jsonb, raw bytea, tags text[], nums int[], feeling mood)`);
      await client.query(`SET timezone = 'America/Sao_Paulo'`);
      await client.query(`INSERT INTO kinds VALUES
        (9223372036854775807, -32768, 12345678.90, 12345678901234567890.123456789012345678, 3.25, 0.1, true, 'a,"b"', 'SP',
         E'line1\\nline2 ü €', '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5-03', '23:59:59.999999',
         '1 year 2 mons 3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"pi": 3.14159265358979323846}',
         '\\xdeadbeef', ARRAY['x', 'y,z', NULL], ARRAY[1, 2], 'happy'),
        (1, NULL, NULL, NULL, 'NaN', '-Infinity', false, '', NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{}', NULL, NULL)`);
    });
    await mkdir(dir.path, { recursive: true });
    await writeFile(
      path.join(dir.path, 'sluice.yml'),
      `name: types\nsource: { url: "${db.url}" }\ntargets: { dev: { type: duckdb, path: warehouse.duckdb } }\ntarget: dev\n` +
        `state: { type: file, dir: state }\ntables:\n  kinds: { strategy: full }\n`,
    );
    warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
    const result = await runIngest({
      project: await loadProjectConfig(dir.path),
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
    });
    expect(result.status, JSON.stringify(result.tables[0]?.error)).toBe('success');
  });
  afterAll(async () => {
    await warehouse?.close();
    await state?.close();
    await db?.drop();
    await dir?.remove();
  });

  it('keeps each value exactly', async () => {
    const [row] = await warehouse.query(
      `SELECT CAST(id AS VARCHAR) AS id, small, CAST(price AS VARCHAR) AS price, CAST(big AS VARCHAR) AS big, ratio, precise, flag,
              name, code, body, CAST(day AS VARCHAR) AS day, CAST("at" AS VARCHAR) AS "at", CAST(epoch_us(instant) AS VARCHAR) AS instant_us,
              CAST(clock AS VARCHAR) AS clock, CAST(span AS VARCHAR) AS span, CAST(uid AS VARCHAR) AS uid, CAST(doc AS VARCHAR) AS doc,
              hex(raw) AS raw, tags, nums, feeling
         FROM raw.kinds WHERE id <> 1`,
    );
    expect(row).toMatchObject({
      id: '9223372036854775807',
      small: -32768,
      price: '12345678.90',
      flag: true,
      name: 'a,"b"',
      code: 'SP ',
      body: 'line1\nline2 ü €',
      day: '2024-02-29',
      at: '2024-01-02 03:04:05.123456',
      // 2024-01-02 03:04:05.5 at -03:00 is 06:04:05.5 UTC.
      instant_us: String(Date.UTC(2024, 0, 2, 6, 4, 5, 500) * 1000),
      clock: '23:59:59.999999',
      uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      doc: '{"pi": 3.14159265358979323846}',
      raw: 'DEADBEEF',
      feeling: 'happy',
    });
    expect(String(row?.big)).toMatch(/^12345678901234567890\.1234567890123456780*$/);
    expect(row?.ratio).toBe(3.25);
    expect(row?.precise).toBe(0.1);
    expect(row?.span).toMatch(/1 year 2 months 3 days 04:05:06\.7/);
    expect(row?.tags).toEqual(['x', 'y,z', null]);
    expect(row?.nums).toEqual([1, 2]);
  });

  it('keeps NaN and -Infinity in float columns, the empty string apart from NULL, and an empty array apart from NULL', async () => {
    const [row] = await warehouse.query(
      `SELECT isnan(ratio) AS nan, precise, name, body, code, tags FROM raw.kinds WHERE id = 1`,
    );
    expect(row).toMatchObject({ nan: true, precise: -Infinity, name: '', body: '', code: null });
    expect(row?.tags).toEqual([]);
  });
});
