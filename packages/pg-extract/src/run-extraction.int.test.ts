import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { planExtraction, type ExtractPosition, type TableSpec } from './extract-plan.js';
import { introspectTable } from './introspect.js';
import { runExtraction, type ExtractResult } from './run-extraction.js';

describe('runExtraction against a real Postgres', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('extract');
    dir = await createTempDir();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
    await dir?.remove();
  });

  async function extract(table: string, spec: TableSpec, from?: ExtractPosition): Promise<ExtractResult & { text: string }> {
    const plan = planExtraction(await introspectTable(client, 'public', table), spec, from);
    const extractor = new pg.Client({ connectionString: db.url });
    await extractor.connect();
    try {
      const result = await runExtraction(extractor, plan, { dir: dir.path, chunkBytes: 1 << 20 });
      const text = (await Promise.all(result.files.map((f) => readFile(f.path, 'utf8')))).join('');
      return { ...result, text };
    } finally {
      await extractor.end();
    }
  }

  it('writes every type as the chunk format specifies', async () => {
    await client.query(`CREATE TYPE mood AS ENUM ('sad', 'happy')`);
    await client.query(`CREATE TABLE kinds (
      id bigint PRIMARY KEY, price numeric(10,2), big numeric, flag boolean, name varchar(20), code char(3), body text,
      day date, at timestamp, instant timestamptz, clock time, span interval, uid uuid, doc jsonb, raw bytea,
      tags text[], feeling mood, ratio double precision)`);
    await client.query(`SET timezone = 'America/Sao_Paulo'`);
    await client.query(`INSERT INTO kinds VALUES
      (9223372036854775807, 12345678.90, 123456789012345678901234567890.123456789, true, 'a,b', 'SP', E'line1\\nline "2"',
       '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5-03', '23:59:59.999999', '1 year 2 mons 3 days 04:05:06.7',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"pi": 3.14159265358979323846}', '\\xdeadbeef', ARRAY['x', 'y,z'], 'happy', 'NaN'),
      (1, NULL, NULL, false, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '-Infinity')`);
    const result = await extract('kinds', { strategy: 'full' });
    expect(result.rows).toBe(2);
    const [first, second] = result.text.split(/\n(?=\d)/);
    expect(first).toBe(
      '9223372036854775807,12345678.90,123456789012345678901234567890.123456789,true,"a,b",SP ,"line1\nline ""2""",' +
        '2024-02-29,2024-01-02 03:04:05.123456,2024-01-02 06:04:05.5+00,23:59:59.999999,14 months 3 days 14706700000 microseconds,' +
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,"{""pi"": 3.14159265358979323846}",deadbeef,"[""x"",""y,z""]",happy,NaN',
    );
    // NULL is an unquoted empty field; the empty string is "".
    expect(second).toBe('1,,,false,"",,,,,,,,,,,,,-Infinity\n');
  });

  it('splits a large first load into block ranges read at once in one snapshot, each row exactly once', async () => {
    await client.query(`CREATE TABLE wide (id int PRIMARY KEY, at timestamp NOT NULL, pad text)`);
    await client.query(`INSERT INTO wide SELECT i, '2024-01-01'::timestamp + i * interval '1 second', repeat('x', 100) FROM generate_series(1, 20000) i`);
    const plan = planExtraction(await introspectTable(client, 'public', 'wide'), { strategy: 'upsert', cursor: ['at', 'id'] }, undefined);
    const main = new pg.Client({ connectionString: db.url });
    await main.connect();
    try {
      const connect = async () => {
        const extra = new pg.Client({ connectionString: db.url });
        await extra.connect();
        return extra;
      };
      const result = await runExtraction(main, plan, { dir: dir.path, connect, parallelism: 3, parallelMinPages: 1 });
      expect(result.ranges).toBe(3);
      expect(result.files.length).toBeGreaterThanOrEqual(3);
      const ids = (await Promise.all(result.files.map((f) => readFile(f.path, 'utf8'))))
        .join('')
        .trim()
        .split('\n')
        .map((line) => Number(line.split(',')[0]));
      expect(ids.length).toBe(20000);
      expect(new Set(ids).size).toBe(20000);
      expect(result.position?.cursor).toEqual(['2024-01-01 05:33:20', '20000']);
    } finally {
      await main.end();
    }
  });

  it('stops with a clear error on a BC date instead of writing a wrong year', async () => {
    await client.query(`CREATE TABLE ancient (id int PRIMARY KEY, day date)`);
    await client.query(`INSERT INTO ancient VALUES (1, '0044-03-15 BC')`);
    await expect(extract('ancient', { strategy: 'full' })).rejects.toThrow(/BC date in public\.ancient\.day/);
  });

  it('reads rows sharing one timestamp across runs without skipping any', async () => {
    await client.query(`CREATE TABLE same (id int PRIMARY KEY, at timestamp NOT NULL)`);
    await client.query(`INSERT INTO same SELECT i, '2024-01-01 00:00:00' FROM generate_series(1, 5) i`);
    const spec: TableSpec = { strategy: 'upsert', cursor: ['at', 'id'], lateCommits: 'off' };
    const first = await extract('same', spec);
    expect(first.rows).toBe(5);
    expect(first.position?.cursor).toEqual(['2024-01-01 00:00:00', '5']);
    await client.query(`INSERT INTO same SELECT i, '2024-01-01 00:00:00' FROM generate_series(6, 8) i`);
    const second = await extract('same', spec, first.position);
    expect(second.text.trim().split('\n')).toEqual(['6,2024-01-01 00:00:00', '7,2024-01-01 00:00:00', '8,2024-01-01 00:00:00']);
  });

  it('loads a row whose transaction began before a run and committed after it (two connections)', async () => {
    await client.query(`CREATE TABLE late (id int PRIMARY KEY, at timestamp NOT NULL, note text)`);
    await client.query(`INSERT INTO late VALUES (1, '2024-01-01 10:00', 'a'), (2, '2024-01-01 11:00', 'b')`);
    const spec: TableSpec = { strategy: 'upsert', cursor: ['at', 'id'] };
    const first = await extract('late', spec);
    expect(first.rows).toBe(2);

    // A writer opens a transaction and writes a row stamped 10:30, before the next run's upper bound…
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    let second: ExtractResult & { text: string };
    try {
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO late VALUES (3, '2024-01-01 10:30', 'late')`);
      // …meanwhile another row commits at 12:00 and a run reads up to it, not seeing row 3.
      await client.query(`INSERT INTO late VALUES (4, '2024-01-01 12:00', 'd')`);
      second = await extract('late', spec, first.position);
      expect(second.text).toContain('4,2024-01-01 12:00:00,d');
      expect(second.text).not.toContain('late');
      expect(second.position?.cursor).toEqual(['2024-01-01 12:00:00', '4']);
      // The writer commits after that run: its row is behind the cursor.
      await writer.query('COMMIT');
    } finally {
      await writer.end();
    }
    const third = await extract('late', spec, second.position);
    expect(third.text).toContain('3,2024-01-01 10:30:00,late');
    expect(third.lateRows).toBeGreaterThanOrEqual(1);
    // With late-commit scanning off, the cursor alone would have lost it: that is the failure this guards against.
    const blind = await extract('late', { ...spec, lateCommits: 'off' }, { cursor: ['2024-01-01 12:00:00', '4'], snapshotXmin: '0' });
    expect(blind.rows).toBe(0);
  });
});
