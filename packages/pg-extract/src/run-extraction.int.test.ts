import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { cursorIndexSql, planExtraction, usesIndex, type ExtractPosition, type TableSpec } from './extract-plan.js';
import { introspectTable } from './introspect.js';
import type { ResumeRanges } from './read-plan.js';
import { runExtraction, type ExtractResult, type RangeRead } from './run-extraction.js';

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

  const connect = async () => {
    const extra = new pg.Client({ connectionString: db.url });
    await extra.connect();
    return extra;
  };

  /** Extract on a connection of its own; `shared`: with helper connections reading in its exported snapshot. */
  async function extract(
    table: string,
    spec: TableSpec,
    from?: ExtractPosition,
    shared = false,
  ): Promise<ExtractResult & { text: string }> {
    const plan = planExtraction(await introspectTable(client, 'public', table), spec, from);
    const extractor = new pg.Client({ connectionString: db.url });
    await extractor.connect();
    try {
      const result = await runExtraction(extractor, plan, {
        dir: dir.path,
        chunkBytes: 1 << 20,
        ...(shared ? { connect, parallelism: 2 } : {}),
      });
      await result.closed;
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
    await client.query(
      `INSERT INTO wide SELECT i, '2024-01-01'::timestamp + i * interval '1 second', repeat('x', 100) FROM generate_series(1, 20000) i`,
    );
    const plan = planExtraction(
      await introspectTable(client, 'public', 'wide'),
      { strategy: 'upsert', cursor: ['at', 'id'] },
      undefined,
    );
    const main = new pg.Client({ connectionString: db.url });
    await main.connect();
    try {
      const result = await runExtraction(main, plan, { dir: dir.path, connect, parallelism: 3, parallelMinPages: 1 });
      await result.closed;
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

  it('says once when its snapshot is fixed — after the first round trip, before any row is asked for', async () => {
    await client.query(`CREATE TABLE signalled (id int PRIMARY KEY, at timestamp)`);
    await client.query(
      `INSERT INTO signalled SELECT i, timestamp '2024-01-01' + i * interval '1 minute' FROM generate_series(1, 50) i`,
    );
    const plan = planExtraction(
      await introspectTable(client, 'public', 'signalled'),
      { strategy: 'upsert', cursor: ['at', 'id'] },
      undefined,
    );
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    const sent: string[] = [];
    const query = reader.query.bind(reader) as (...args: unknown[]) => unknown;
    reader.query = ((...args: unknown[]) => {
      const first = args[0] as { text?: string } | string;
      sent.push(typeof first === 'string' ? first : String(first.text ?? 'COPY'));
      return query(...args);
    }) as typeof reader.query;
    const seen: string[][] = [];
    try {
      const result = await runExtraction(reader, plan, {
        dir: dir.path,
        connect,
        onReading: () => seen.push([...sent]),
      });
      await result.closed;
      expect(result.rows).toBe(50);
    } finally {
      await reader.end();
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toHaveLength(1);
    expect(seen[0]?.[0]).toMatch(/^BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;[\s\S]*pg_export_snapshot\(\)/);
    expect(sent.some((sql) => sql.startsWith('COPY'))).toBe(true);
  });

  it('writes BC dates and timestamps in astronomical years, which engines read exactly (not Postgres’s “BC”)', async () => {
    await client.query(`CREATE TABLE ancient (id int PRIMARY KEY, day date, at timestamp, instant timestamptz)`);
    await client.query(`INSERT INTO ancient VALUES
      (1, '0044-03-15 BC', '0044-03-15 12:00:00.5 BC', '4713-01-01 00:00:00+00 BC'),
      (2, '0001-12-31 BC', '0001-01-01 00:00:00 BC', '-infinity'),
      (3, '0001-01-01', '2024-01-02 03:04:05', 'infinity')`);
    const result = await extract('ancient', { strategy: 'full' });
    expect(result.text.trim().split('\n')).toEqual([
      '1,-0043-03-15,-0043-03-15 12:00:00.5,-4712-01-01 00:00:00+00',
      '2,0000-12-31,0000-01-01 00:00:00,-infinity',
      '3,0001-01-01,2024-01-02 03:04:05,infinity',
    ]);
    // Dates go plainly first (Postgres's own text is the cheapest); the BC values seen, the read is sent again,
    // BC-safe, in the same snapshot, and only its files are kept.
    const copies = result.statements.filter((sql) => sql.startsWith('COPY'));
    expect(copies).toHaveLength(2);
    expect(copies[0]).toContain('"day" AS "day"');
    expect(copies[1]).toContain(`CASE WHEN "day" < '0001-01-01'`);
    expect(result.files).toHaveLength(1);
  });

  it('reads a table once when no value lies before year 1, even when text looks like one', async () => {
    await client.query(`CREATE TABLE modern (id int PRIMARY KEY, day date, note text)`);
    await client.query(`INSERT INTO modern VALUES (1, '2024-01-02', 'Caesar, 44 BC'), (2, '0001-01-01', 'no BC here')`);
    const once = await extract('modern', { strategy: 'full' });
    expect(once.text.trim().split('\n')).toEqual(['1,2024-01-02,"Caesar, 44 BC"', '2,0001-01-01,no BC here']);
    expect(once.statements.filter((sql) => sql.startsWith('COPY'))).toHaveLength(1);
    // Text shaped like a BC date (a digit, " BC", the field's end) costs a second read, and stays exact.
    await client.query(`INSERT INTO modern VALUES (3, '2024-01-03', '44 BC')`);
    const twice = await extract('modern', { strategy: 'full' });
    expect(twice.text.trim().split('\n')).toEqual([
      '1,2024-01-02,"Caesar, 44 BC"',
      '2,0001-01-01,no BC here',
      '3,2024-01-03,44 BC',
    ]);
    expect(twice.statements.filter((sql) => sql.startsWith('COPY'))).toHaveLength(2);
  });

  it('hands a first load over range by range (more ranges than connections), and resumes skipping the done ones', async () => {
    // `wide` (above): 20,000 rows of about 130 bytes, some 350 blocks; ranges of at most 64 blocks.
    const plan = planExtraction(
      await introspectTable(client, 'public', 'wide'),
      { strategy: 'upsert', cursor: ['at', 'id'] },
      undefined,
    );
    const idsOf = async (files: readonly { path: string }[]) =>
      (await Promise.all(files.map((f) => readFile(f.path, 'utf8'))))
        .join('')
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => Number(line.split(',')[0]));
    const run = async (options: { resume?: ResumeRanges; failAt?: number }) => {
      const main = new pg.Client({ connectionString: db.url });
      await main.connect();
      const handed: RangeRead[] = [];
      const ids: number[] = [];
      try {
        const result = await runExtraction(main, plan, {
          dir: dir.path,
          connect,
          parallelism: 2,
          rangePages: 64,
          ...(options.resume ? { resume: options.resume } : {}),
          onRange: async (range) => {
            if (range.index === options.failAt) throw new Error(`the warehouse refused range ${range.index}`);
            handed.push(range);
            ids.push(...(await idsOf(range.files)));
          },
        });
        await result.closed;
        return { result, handed, ids };
      } finally {
        await main.end().catch(() => undefined);
      }
    };
    const whole = await run({});
    const ranges = whole.handed[0]?.ranges ?? [];
    expect(ranges.length).toBeGreaterThan(4);
    expect(whole.result.rangePlan).toEqual(ranges);
    expect(whole.handed.map((r) => r.index).sort((a, b) => a - b)).toEqual(ranges.map((_, i) => i));
    expect(whole.result.files).toEqual([]); // every file was handed over
    expect(whole.ids.length).toBe(20000);
    expect(new Set(whole.ids).size).toBe(20000);
    // Every range carries the position of the whole load, known before the first range is handed over.
    for (const range of whole.handed) expect(range.position.cursor).toEqual(['2024-01-01 05:33:20', '20000']);

    // A failure in the handover stops the extraction with that error.
    await expect(run({ failAt: 2 })).rejects.toThrow(/refused range 2/);

    // Resumed with the first three ranges done: only the others are read, and together they make the table.
    const done = [0, 1, 2];
    const resumed = await run({ resume: { ranges, done } });
    expect(resumed.handed.map((r) => r.index).sort((a, b) => a - b)).toEqual(
      ranges.map((_, i) => i).filter((i) => !done.includes(i)),
    );
    const doneRows = whole.handed.filter((r) => done.includes(r.index)).map((r) => r.rows);
    expect(resumed.ids.length + doneRows.reduce((a, b) => a + b, 0)).toBe(20000);
    expect(resumed.result.rows).toBe(resumed.ids.length);
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
    expect(second.text.trim().split('\n')).toEqual([
      '6,2024-01-01 00:00:00',
      '7,2024-01-01 00:00:00',
      '8,2024-01-01 00:00:00',
    ]);
  });

  for (const shared of [false, true]) {
    it(`loads a row whose transaction began before a run and committed after it (two connections${shared ? ', helper reads' : ''})`, async () => {
      const name = shared ? 'late_shared' : 'late';
      await client.query(`CREATE TABLE ${name} (id int PRIMARY KEY, at timestamp NOT NULL, note text)`);
      await client.query(`INSERT INTO ${name} VALUES (1, '2024-01-01 10:00', 'a'), (2, '2024-01-01 11:00', 'b')`);
      const spec: TableSpec = { strategy: 'upsert', cursor: ['at', 'id'] };
      const first = await extract(name, spec, undefined, shared);
      expect(first.rows).toBe(2);

      // A writer opens a transaction and writes a row stamped 10:30, before the next run's upper bound…
      const writer = new pg.Client({ connectionString: db.url });
      await writer.connect();
      let second: ExtractResult & { text: string };
      try {
        await writer.query('BEGIN');
        await writer.query(`INSERT INTO ${name} VALUES (3, '2024-01-01 10:30', 'late')`);
        // …meanwhile another row commits at 12:00 and a run reads up to it, not seeing row 3.
        await client.query(`INSERT INTO ${name} VALUES (4, '2024-01-01 12:00', 'd')`);
        second = await extract(name, spec, first.position, shared);
        expect(second.text).toContain('4,2024-01-01 12:00:00,d\n');
        expect(second.text).not.toContain('late');
        expect(second.position?.cursor).toEqual(['2024-01-01 12:00:00', '4']);
        // The writer commits after that run: its row is behind the cursor.
        await writer.query('COMMIT');
      } finally {
        await writer.end();
      }
      // An old row is updated behind the cursor too (a backdated write): it is read as well.
      await client.query(`UPDATE ${name} SET note = 'fixed' WHERE id = 1`);
      const third = await extract(name, spec, second.position, shared);
      const lines = third.text.trim().split('\n');
      expect(lines).toContain('1,2024-01-01 10:00:00,fixed');
      expect(lines).toContain('3,2024-01-01 10:30:00,late');
      // Rows of transactions newer than the previous snapshot's xmin are read again (row 4 here: its transaction
      // began while the writer's was open), and any other open transaction on the server holds that xmin back:
      // more rows may come, never one twice.
      const ids = lines.map((line) => line.split(',')[0]);
      expect(new Set(ids).size).toBe(ids.length);
      expect(third.lateRows).toBe(third.rows);
      expect(third.position?.cursor).toEqual(['2024-01-01 12:00:00', '4']);
      // With late-commit scanning off, the cursor alone would have lost both: that is the failure this guards against.
      const blind = await extract(name, { ...spec, lateCommits: 'off' }, second.position, shared);
      expect(blind.rows).toBe(0);
    });
  }

  it('reads rows past the cursor even when the transaction ids do not continue the previous run (source restored)', async () => {
    await client.query(`CREATE TABLE restored (id int PRIMARY KEY, at timestamp NOT NULL)`);
    await client.query(`INSERT INTO restored VALUES (1, '2024-01-01 10:00'), (2, '2024-01-01 11:00')`);
    // A position whose snapshot is newer than every row, yet behind row 2's cursor: as after a restore elsewhere.
    const now = await client.query<{ xmax: string }>(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`);
    const position = { cursor: ['2024-01-01 10:00:00', '1'], snapshotXmin: now.rows[0]?.xmax ?? '' };
    for (const shared of [false, true]) {
      const result = await extract('restored', { strategy: 'upsert', cursor: ['at', 'id'] }, position, shared);
      expect(result.text).toBe('2,2024-01-01 11:00:00\n');
      expect(result.position?.cursor).toEqual(['2024-01-01 11:00:00', '2']);
    }
    // A position from a server further ahead than this one: everything is read again.
    const ahead = await extract(
      'restored',
      { strategy: 'upsert', cursor: ['at', 'id'] },
      { ...position, snapshotXmin: '99999999999' },
    );
    expect(ahead.rows).toBe(2);
  });

  it('lookback: reads rows written behind the cursor within the lookback, sweeps when due, and says which it did', async () => {
    await client.query(`CREATE TABLE back (id int PRIMARY KEY, at timestamptz NOT NULL, note text)`);
    await client.query(
      `INSERT INTO back SELECT i, timestamptz '2024-01-01 00:00+00' + i * interval '1 minute', 'new' FROM generate_series(1, 300) i`,
    );
    await client.query(`CREATE INDEX back_cursor ON back (at, id)`);
    const spec: TableSpec = {
      strategy: 'upsert',
      cursor: ['at', 'id'],
      lateCommits: 'lookback',
      lookbackMs: 3_600_000,
    };
    const first = await extract('back', spec, undefined, true);
    expect(first).toMatchObject({ rows: 300, read: 'all' });
    expect(first.position).toMatchObject({
      cursor: ['2024-01-01 05:00:00+00', '300'],
      sweptXmin: first.position?.snapshotXmin,
    });

    // Written now behind the cursor: row 290 (10 minutes behind, inside the hour) and row 10 (hours behind).
    await client.query(`UPDATE back SET note = 'recent fix' WHERE id = 290`);
    await client.query(`UPDATE back SET note = 'old fix' WHERE id = 10`);
    await client.query(`INSERT INTO back VALUES (301, '2024-01-01 05:01+00', 'past')`);
    const second = await extract('back', spec, first.position, true);
    const lines = second.text.trim().split('\n');
    expect(lines).toContain('290,2024-01-01 04:50:00+00,recent fix');
    expect(lines).toContain('301,2024-01-01 05:01:00+00,past');
    if (second.read === 'lookback') {
      // The documented limit of lookback: a write more than the lookback behind the cursor waits for a sweep.
      expect(lines).not.toContain('10,2024-01-01 00:10:00+00,old fix');
      expect(second.lateRows).toBe(1);
      expect(second.position?.sweptAt).toBe(first.position?.sweptAt);
    } else {
      // Another test's transaction, open at the first run and committed since, made this run sweep.
      expect(second.sweepReason).toMatch(/open at the last run committed since/);
      expect(lines).toContain('10,2024-01-01 00:10:00+00,old fix');
    }
    // A sweep that is due reads everything written since the last sweep, the old fix included.
    const third = await extract('back', { ...spec, sweepEveryMs: 1 }, second.position, true);
    expect(third.read).toBe('sweep');
    expect(third.text).toContain('10,2024-01-01 00:10:00+00,old fix');
    expect(third.position?.sweptXmin).toBe(third.position?.snapshotXmin);
    expect(third.position?.cursor).toEqual(['2024-01-01 05:01:00+00', '301']);
  });

  it('lookback: on a large table with an indexed cursor, checks the rows behind it beside the rows past it, reading what one connection reads', async () => {
    // Past 64 MB (8 rows of ~1 kB a page), with a margin: the size from which a lookback is read in two parts.
    await client.query(`CREATE TABLE large (id int PRIMARY KEY, at timestamptz NOT NULL, note text, pad text)`);
    await client.query(
      `INSERT INTO large SELECT i, timestamptz '2024-01-01 00:00+00' + i * interval '1 second', 'new', repeat('x', 900)
         FROM generate_series(1, 80000) i`,
    );
    await client.query(`CREATE INDEX large_cursor ON large (at, id); ANALYZE large`);
    const spec: TableSpec = { strategy: 'upsert', cursor: ['at', 'id'], lateCommits: 'lookback' };
    const first = await extract('large', spec, undefined, true);
    expect(first).toMatchObject({ rows: 80000, position: { cursor: ['2024-01-01 22:13:20+00', '80000'] } });
    // Behind the cursor (10 minutes, inside the hour; and hours behind), the row at it, a row sharing its time with
    // a larger key (past it: where the two index ranges meet), and a row past it.
    await client.query(`UPDATE large SET note = 'fix' WHERE id IN (79400, 100, 80000)`);
    await client.query(
      `INSERT INTO large VALUES (80001, '2024-01-01 22:13:21+00', 'past', ''), (80002, '2024-01-01 22:13:20+00', 'tie', '')`,
    );
    const copies = (result: ExtractResult) => result.statements.filter((sql) => sql.startsWith('COPY'));
    const both = await extract('large', spec, first.position, true);
    const alone = await extract('large', spec, first.position, false);
    if (both.read === 'sweep' || alone.read === 'sweep') {
      // A transaction id assigned past a snapshot (another database's) that committed before the look at pg_locks
      // is kept as open, and its commit makes the next run sweep: nothing to compare then.
      expect(both.sweepReason ?? alone.sweepReason).toMatch(/open at the last run committed since/);
      return;
    }
    expect(copies(both)).toHaveLength(2);
    expect(copies(both)[1]).toMatch(/ <= '2024-01-01 22:13:20\+00'::timestamp with time zone AND /);
    expect(copies(alone)).toHaveLength(1);
    const ids = (result: ExtractResult & { text: string }) =>
      result.text
        .trim()
        .split('\n')
        .map((line) => Number(line.split(',')[0]))
        .sort((a, b) => a - b);
    expect(ids(both)).toEqual([79400, 80000, 80001, 80002]);
    expect(ids(alone)).toEqual(ids(both));
    const expected = { late: 2, cursor: ['2024-01-01 22:13:21+00', '80001'] };
    expect({ late: both.lateRows, cursor: both.position?.cursor }).toEqual(expected);
    expect({ late: alone.lateRows, cursor: alone.position?.cursor }).toEqual(expected);

    // One part failing while the other streams (40 MB past the cursor) ends both: the read fails, it does not hang
    // (its COPY would go on into a destroyed sink, stop reading its socket, and never answer the ROLLBACK).
    await client.query(`UPDATE large SET at = at + interval '1 day' WHERE id > 40000`);
    const folder = path.join(dir.path, 'refused');
    let calls = 0;
    const refusing = async () => {
      calls += 1;
      if (calls > 1) return connect();
      // Refused once the rows past the cursor have begun to reach their chunk file (a bounded poll).
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const names = await readdir(folder).catch(() => [] as string[]);
        const window = names.find((name) => /^large-\d+\.csv$/.test(name));
        if (window && (await stat(path.join(folder, window))).size > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error('helper refused');
    };
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      const plan = planExtraction(await introspectTable(client, 'public', 'large'), spec, both.position);
      await expect(runExtraction(reader, plan, { dir: folder, connect: refusing, parallelism: 2 })).rejects.toThrow(
        /helper refused/,
      );
    } finally {
      await reader.end().catch(() => undefined);
    }

    // Without the index each part would read the whole table: one connection reads the rows.
    const caughtUp = await extract('large', spec, both.position, false);
    await client.query(`DROP INDEX large_cursor`);
    await client.query(`UPDATE large SET note = 'again' WHERE id = 80000`);
    const unindexed = await extract('large', spec, caughtUp.position, true);
    if (unindexed.read === 'lookback') {
      expect(copies(unindexed)).toHaveLength(1);
      expect(ids(unindexed)).toEqual([80000]);
    } else {
      expect(unindexed.sweepReason).toMatch(/open at the last run committed since/);
    }
  });

  it('lookback: a transaction open at a run that commits afterwards makes the next run sweep, whatever its cursor', async () => {
    await client.query(`CREATE TABLE held (id int PRIMARY KEY, at timestamp NOT NULL, note text)`);
    await client.query(`INSERT INTO held VALUES (1, '2024-01-01 10:00', 'a'), (2, '2024-01-01 11:00', 'b')`);
    const spec: TableSpec = { strategy: 'upsert', cursor: ['at', 'id'], lateCommits: 'lookback' };
    await client.query(`CREATE TABLE unrelated (id int)`);
    const first = await extract('held', spec, undefined, true);
    const writer = new pg.Client({ connectionString: db.url });
    const bystander = new pg.Client({ connectionString: db.url });
    await writer.connect();
    await bystander.connect();
    let second: ExtractResult & { text: string };
    try {
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO held VALUES (3, '1999-01-01 00:00', 'long ago')`);
      // Open too, but writing another table: it cannot leave rows behind this one's cursor.
      await bystander.query('BEGIN');
      await bystander.query(`INSERT INTO unrelated VALUES (1)`);
      second = await extract('held', spec, first.position, true);
      expect(second.text).not.toContain('long ago');
      const xid = async (connection: pg.Client) =>
        (await connection.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]?.xid;
      expect(second.position?.openXids).toContain(await xid(writer));
      expect(second.position?.openXids).not.toContain(await xid(bystander));
      await writer.query('COMMIT');
      await bystander.query('COMMIT');
    } finally {
      await writer.end();
      await bystander.end();
    }
    const third = await extract('held', spec, second.position, true);
    expect(third.read).toBe('sweep');
    expect(third.sweepReason).toMatch(/transaction\(s\) open at the last run committed since/);
    expect(third.text).toContain('3,1999-01-01 00:00:00,long ago');
  });

  it('lookback: a row stamped in the future does not hide the rows written now behind it', async () => {
    await client.query(`CREATE TABLE ahead (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), note text)`);
    await client.query(`INSERT INTO ahead VALUES (1, DEFAULT, 'a'), (2, '2099-01-01 00:00+00', 'typo')`);
    const spec: TableSpec = { strategy: 'upsert', cursor: ['at', 'id'], lateCommits: 'lookback' };
    const first = await extract('ahead', spec, undefined, true);
    expect(first.position?.cursor).toEqual(['2099-01-01 00:00:00+00', '2']);
    await client.query(`INSERT INTO ahead (id, note) VALUES (3, 'written now')`);
    await client.query(`UPDATE ahead SET note = 'edited now', at = now() WHERE id = 1`);
    const second = await extract('ahead', spec, first.position, true);
    expect(['lookback', 'sweep']).toContain(second.read);
    expect(second.text).toContain(',written now');
    expect(second.text).toContain(',edited now');
    expect(second.position?.cursor).toEqual(['2099-01-01 00:00:00+00', '2']);
  });

  it('tells whether an index serves the cursor, as auto asks before looking back on a large table', async () => {
    await client.query(`CREATE TABLE served (id int PRIMARY KEY, at timestamp NOT NULL)`);
    await client.query(
      `INSERT INTO served SELECT i, '2024-01-01'::timestamp + i * interval '1 minute' FROM generate_series(1, 2000) i`,
    );
    await client.query('ANALYZE served');
    const position = { cursor: ['2024-01-01 12:00:00', '720'], snapshotXmin: '3' };
    const plan = async () =>
      planExtraction(
        await introspectTable(client, 'public', 'served'),
        { strategy: 'upsert', cursor: ['at', 'id'] },
        position,
      );
    const served = async () =>
      usesIndex((await client.query(cursorIndexSql(await plan()))).rows[0] as Record<string, unknown>);
    expect(await served()).toBe(false);
    await client.query(`CREATE INDEX served_cursor ON served (at, id)`);
    expect(await served()).toBe(true);
  });

  it('needs no privilege beyond SELECT: a plain role scans, looks back and sweeps', async () => {
    const role = `plain_${Math.random().toString(36).slice(2, 8)}`;
    await client.query(`CREATE TABLE plain (id int PRIMARY KEY, at timestamptz NOT NULL, note text)`);
    await client.query(
      `INSERT INTO plain SELECT i, timestamptz '2024-01-01 00:00+00' + i * interval '1 minute', 'a' FROM generate_series(1, 50) i`,
    );
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'plain'`);
    await client.query(`GRANT SELECT ON plain TO ${role}`);
    try {
      const url = new URL(db.url);
      url.username = role;
      url.password = 'plain';
      const asRole = async (spec: TableSpec, from?: ExtractPosition) => {
        const plan = planExtraction(await introspectTable(client, 'public', 'plain'), spec, from);
        const reader = new pg.Client({ connectionString: url.toString() });
        await reader.connect();
        try {
          const connectReader = async () => {
            const extra = new pg.Client({ connectionString: url.toString() });
            await extra.connect();
            return extra;
          };
          const result = await runExtraction(reader, plan, { dir: dir.path, connect: connectReader });
          await result.closed;
          return { ...result, text: (await Promise.all(result.files.map((f) => readFile(f.path, 'utf8')))).join('') };
        } finally {
          await reader.end();
        }
      };
      for (const lateCommits of ['scan', 'lookback'] as const) {
        const spec: TableSpec = { strategy: 'upsert', cursor: ['at', 'id'], lateCommits };
        const first = await asRole(spec);
        expect(first.rows).toBe(50);
        // Row 10 is behind the cursor by hours (a lookback run leaves it to a sweep); row 50 is at the cursor.
        await client.query(`UPDATE plain SET note = '${lateCommits}' WHERE id IN (10, 50)`);
        const second = await asRole(spec, first.position);
        expect(second.text).toContain(`50,2024-01-01 00:50:00+00,${lateCommits}`);
        if (lateCommits === 'scan') expect(second.read).toBe('sweep');
        if (second.read === 'sweep') {
          expect(second.text).toContain(`10,2024-01-01 00:10:00+00,${lateCommits}`);
        } else {
          // A sweep that is due reads it, as the plain role too.
          const third = await asRole({ ...spec, sweepEveryMs: 1 }, second.position);
          expect(third.read).toBe('sweep');
          expect(third.text).toContain(`10,2024-01-01 00:10:00+00,${lateCommits}`);
        }
      }
    } finally {
      await client.query(`DROP OWNED BY ${role}`);
      await client.query(`DROP ROLE ${role}`);
    }
  });
});
