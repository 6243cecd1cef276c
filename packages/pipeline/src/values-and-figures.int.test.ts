import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { runIngest } from './ingest.js';
import { loadProjectConfig } from './project-config.js';

/*
 * Every Postgres value loads exactly, or by an explicit per-column choice; a refused first load leaves nothing
 * behind; and the figures a run reports are true: rows read (a failed table too), rows that changed, columns gone.
 */
describe('values and figures, end to end on DuckDB', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let warehouse: Warehouse;
  let state: StateStore;
  let projectCount = 0;

  beforeAll(async () => {
    db = await createTestDatabase('values');
    dir = await createTempDir('sluice-values-');
    warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
  });
  afterAll(async () => {
    await warehouse?.close();
    await state?.close();
    await db?.drop();
    await dir?.remove();
  });

  const sql = (text: string, values: unknown[] = []) => db.withClient((client) => client.query(text, values));
  /** A project with these `tables:` (YAML), and one ingest run of it. */
  const ingest = async (tables: string) => {
    const projectDir = path.join(dir.path, `project-${++projectCount}`);
    await mkdir(projectDir, { recursive: true });
    await writeFile(
      path.join(projectDir, 'sluice.yml'),
      `name: values\nsource: { url: "${db.url}" }\ntargets: { dev: { type: duckdb, path: warehouse.duckdb } }\n` +
        `target: dev\nstate: { type: file, dir: state }\ntables:\n${tables}`,
    );
    return runIngest({
      project: await loadProjectConfig(projectDir),
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
    });
  };
  const tableExists = async (name: string) => (await warehouse.describeRelation({ schema: 'raw', name })) !== undefined;

  it('refuses an unconstrained numeric wider than DECIMAL(38,18), naming the widest value and the choice; leaves no table', async () => {
    await sql(`CREATE TABLE wide (id int PRIMARY KEY, amount numeric)`);
    await sql(`INSERT INTO wide SELECT g, (g || '.5')::numeric FROM generate_series(1, 50) g`);
    await sql(`INSERT INTO wide VALUES (51, 1234567890123456789012345.123), (52, 0.000000000000000000000000000001)`);
    const result = await ingest('  wide: { strategy: full }\n');
    const table = result.tables[0];
    expect(table?.status).toBe('failed');
    expect(table?.error?.code).toBe('UNREPRESENTABLE_VALUE');
    const message = table?.error?.message ?? '';
    expect(message).toContain('public.wide.amount');
    expect(message).toMatch(/25 digits before the point and 30 after \(the widest: 0\.0{29}1\)/);
    // 25 + 30 digits: no decimal of 38 holds them both; the choices are named in sluice.yml terms.
    expect(message).toContain('tables.wide.columns: { amount: { as: text } }');
    expect(message).toContain('as: double');
    // What was read is reported, though nothing was loaded; the table created for the first load is gone again.
    expect(table?.rows).toBe(52);
    expect(table?.bytes).toBeGreaterThan(0);
    expect(await tableExists('wide')).toBe(false);
  });

  it('offers the decimal(p,s) that holds every value when one does', async () => {
    await sql(`CREATE TABLE wide2 (id int PRIMARY KEY, amount numeric)`);
    await sql(`INSERT INTO wide2 VALUES (1, 12345678901234567890123.5), (2, -7.25)`);
    const result = await ingest('  wide2: { strategy: full }\n');
    expect(result.tables[0]?.error?.message).toContain(
      'tables.wide2.columns: { amount: { as: decimal(25,2) } } holds every value of this batch exactly',
    );
  });

  it('loads a column by its per-column choice: as text (every digit), as decimal(p,s), as double', async () => {
    await sql(`CREATE TABLE chosen (id int PRIMARY KEY, exact numeric, fixed numeric, approx numeric, spot point)`);
    await sql(`INSERT INTO chosen VALUES
      (1, 1234567890123456789012345.000000000000000000000000000001, 12.345, 1e300, '(1,2)'),
      (2, 'NaN', -0.005, 'NaN', NULL)`);
    const result = await ingest(
      '  chosen:\n    strategy: full\n    columns:\n      exact: { as: text }\n      fixed: { as: "decimal(10, 2)" }\n' +
        '      approx: { as: double }\n      spot: { as: text }\n',
    );
    expect(result.tables[0]?.status, result.tables[0]?.error?.message).toBe('success');
    const rows = await warehouse.query(
      `SELECT id, exact, CAST(fixed AS VARCHAR) AS fixed, approx, spot, typeof(exact) AS t1, typeof(fixed) AS t2, typeof(approx) AS t3
         FROM raw.chosen ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: 1,
        exact: '1234567890123456789012345.000000000000000000000000000001',
        fixed: '12.35', // Postgres rounds to the chosen scale
        approx: 1e300,
        spot: '(1,2)',
        t1: 'VARCHAR',
        t2: 'DECIMAL(10,2)',
        t3: 'DOUBLE',
      },
      {
        id: 2,
        exact: 'NaN',
        fixed: '-0.01',
        approx: Number.NaN,
        spot: null,
        t1: 'VARCHAR',
        t2: 'DECIMAL(10,2)',
        t3: 'DOUBLE',
      },
    ]);
  });

  it('refuses a choice that cannot apply in sluice.yml terms, before reading anything', async () => {
    await sql(`CREATE TABLE badchoice (id int PRIMARY KEY, note text)`);
    const result = await ingest('  badchoice:\n    strategy: full\n    columns:\n      note: { as: double }\n');
    expect(result.tables[0]?.error?.message).toMatch(/columns\.note: .*has type text: only numbers load as double/);
    await expect(ingest('  badchoice:\n    strategy: full\n    columns:\n      note: { as: money }\n')).rejects.toThrow(
      /tables\.badchoice\.columns\.note\.as: "money" is not a type a column can be loaded as/,
    );
  });

  it('loads BC dates and timestamps exactly', async () => {
    await sql(`CREATE TABLE ancient (id int PRIMARY KEY, day date, at timestamp, instant timestamptz)`);
    await sql(`INSERT INTO ancient VALUES
      (1, '0044-03-15 BC', '0044-03-15 12:00:00.5 BC', '4713-01-01 00:00:00+00 BC'),
      (2, '0001-01-01 BC', '0001-12-31 23:59:59.999999 BC', '2024-01-01 00:00:00+00'),
      (3, '2024-02-29', '2024-02-29 00:00:00', 'infinity')`);
    const result = await ingest('  ancient: { strategy: full }\n');
    expect(result.tables[0]?.status, result.tables[0]?.error?.message).toBe('success');
    expect(
      await warehouse.query(
        `SELECT id, CAST(day AS VARCHAR) AS day, CAST("at" AS VARCHAR) AS "at", CAST(instant AS VARCHAR) AS instant FROM raw.ancient ORDER BY id`,
      ),
    ).toEqual([
      { id: 1, day: '0044-03-15 (BC)', at: '0044-03-15 (BC) 12:00:00.5', instant: '4713-01-01 (BC) 00:00:00+00' },
      { id: 2, day: '0001-01-01 (BC)', at: '0001-12-31 (BC) 23:59:59.999999', instant: '2024-01-01 00:00:00+00' },
      { id: 3, day: '2024-02-29', at: '2024-02-29 00:00:00', instant: 'infinity' },
    ]);
  });

  it('counts an update to identical values as no change, and reads a row with \\r first in a chunk', async () => {
    await sql(`CREATE TABLE notes (id int PRIMARY KEY, txt text, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await sql(`INSERT INTO notes (id, txt) VALUES (1, E'a\\rb'), (2, 'c'), (3, E'd\\r\\ne')`);
    const tables = '  notes: { strategy: upsert, cursor: [at, id], late_commits: scan }\n';
    const first = await ingest(tables);
    expect(first.tables[0]).toMatchObject({ status: 'success', rows: 3, inserted: 3, updated: 0 });
    // Two rows rewritten with the values they hold (new cursor), one changed.
    await sql(`UPDATE notes SET txt = txt, at = clock_timestamp() WHERE id IN (1, 2)`);
    await sql(`UPDATE notes SET txt = 'f', at = clock_timestamp() WHERE id = 3`);
    const second = await ingest(tables);
    expect(second.tables[0]).toMatchObject({ status: 'success', rows: 3, inserted: 0, updated: 3 });
    // Rows rewritten with the values they hold, cursor and all: read again (by transaction id), counted 0.
    await sql(`UPDATE notes SET txt = txt`);
    const third = await ingest(tables);
    expect(third.tables[0]).toMatchObject({ status: 'success', rows: 3, inserted: 0, updated: 0 });
    expect(await warehouse.query('SELECT id, txt FROM raw.notes ORDER BY id')).toEqual([
      { id: 1, txt: 'a\rb' },
      { id: 2, txt: 'c' },
      { id: 3, txt: 'f' },
    ]);
  });

  it('never calls an excluded column gone from the source; a column the source dropped is', async () => {
    await sql(`CREATE TABLE people (id int PRIMARY KEY, name text, secret text, old text)`);
    await sql(`INSERT INTO people VALUES (1, 'Ana', 's', 'o')`);
    await ingest('  people: { strategy: full }\n');
    await sql(`ALTER TABLE people DROP COLUMN old`);
    await sql(`UPDATE people SET name = 'Bia'`);
    const result = await ingest('  people: { strategy: full, exclude: [secret] }\n');
    expect(result.tables[0]?.status, result.tables[0]?.error?.message).toBe('success');
    expect(result.tables[0]?.schemaChanges.droppedColumns).toEqual(['old']);
    // A full reload that changed one row of one: counted as what it is.
    expect(result.tables[0]).toMatchObject({ inserted: 0, updated: 1, deleted: 0 });
  });

  it('names the open transaction (another database) that held the snapshot back, and the rows it made the run read again', async () => {
    await sql(`CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL)`);
    await sql(`INSERT INTO events SELECT g, 'a' FROM generate_series(1, 10) g`);
    const tables = '  events: { strategy: append, cursor: [id], late_commits: scan }\n';
    await ingest(tables);
    // A transaction with a transaction id, open on another database of the server, across two runs.
    const other = await createTestDatabase('holder');
    const holder = new pg.Client({ connectionString: other.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      const { rows } = await holder.query<{ xid: string; pid: number }>(
        'SELECT pg_current_xact_id()::text AS xid, pg_backend_pid() AS pid',
      );
      await sql(`INSERT INTO events SELECT g, 'b' FROM generate_series(11, 15) g`);
      const held = await ingest(tables); // its snapshot is held back by the open transaction
      expect(held.tables[0]).toMatchObject({ inserted: 5 });
      await sql(`INSERT INTO events SELECT g, 'c' FROM generate_series(16, 17) g`);
      const next = await ingest(tables);
      const table = next.tables[0];
      // Append-only: two new rows; the five of the previous run were read again and changed nothing.
      expect(table).toMatchObject({ status: 'success', rows: 7, inserted: 2, updated: 0 });
      expect(table?.heldBack).toMatchObject({ xid: rows[0]?.xid, pid: rows[0]?.pid, rows: 5 });
      expect(table?.heldBack?.database).toMatch(/holder/);
      expect(table?.heldBack?.since).toBeTruthy();
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await other.drop();
    }
    // With the transaction ended, the next run reads only what is new and reports nothing.
    await sql(`INSERT INTO events VALUES (18, 'd')`);
    const after = await ingest(tables);
    expect(after.tables[0]?.heldBack).toBeUndefined();
  });
});
