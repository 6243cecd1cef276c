import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { sluice } from './sluice-process.js';

describe('a table that fails run after run (the built binary, real Postgres and DuckDB)', () => {
  let db: TestDatabase;
  let home: { path: string; remove(): Promise<void> };
  let project: string;

  beforeAll(async () => {
    db = await createTestDatabase('streak');
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE good (id int PRIMARY KEY, note text)`);
      await client.query(`INSERT INTO good VALUES (1, 'one')`);
      // Unconstrained numeric: this value does not fit DECIMAL(38,18).
      await client.query(`CREATE TABLE bad (id int PRIMARY KEY, amount numeric)`);
      await client.query(`INSERT INTO bad VALUES (1, 1.5), (2, 123456789012345678901234.5)`);
    });
    home = await createTempDir('sluice-streak-');
    project = path.join(home.path, 'shop');
    await mkdir(project, { recursive: true });
    await writeFile(
      path.join(project, 'sluice.yml'),
      `name: shop\nsource: { url: "${db.url}" }\ntargets: { dev: { type: duckdb, path: .sluice/warehouse.duckdb } }\n` +
        'target: dev\nstate: { type: file, dir: .sluice/state }\ntables:\n  good: { strategy: full }\n  bad: { strategy: full }\n',
    );
  });
  afterAll(async () => {
    await home?.remove();
    await db?.drop();
  });

  it('the other tables keep loading while one fails, run after run', async () => {
    const first = await sluice(['ingest'], { cwd: project });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^ {2}✓ good +full +\+1 /m);
    expect(first.stdout).toMatch(/^ {2}✗ bad +full +failed +2 rows/m);
    expect(first.stdout).toContain('tables.bad.columns: { amount: { as: text } }');
    await db.withClient((client) => client.query(`INSERT INTO good VALUES (2, 'two')`));
    const second = await sluice(['ingest'], { cwd: project });
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/^ {2}✓ good +full +\+1 /m);
    expect(second.stdout).toMatch(/^ {2}✗ bad +full +failed/m);
  });

  it('status names the table, the run it first failed in and the error', async () => {
    const status = await sluice(['status'], { cwd: project });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Tables failing run after run$/m);
    expect(status.stdout).toMatch(
      /^ {2}bad: failed 2 runs in a row, since run [0-9a-f]{8} \(.*\): \[UNREPRESENTABLE_VALUE\] .*column "amount"/m,
    );
    const json = JSON.parse((await sluice(['status', '--json'], { cwd: project })).stdout);
    expect(json.failingTables).toEqual([
      expect.objectContaining({ table: 'bad', runs: 2, first: expect.objectContaining({ runId: json.runs[1].id }) }),
    ]);
  });

  it('doctor names it too, and warns about a transaction holding back the xmin horizon on another database', async () => {
    const other = await createTestDatabase('holder');
    const holder = new pg.Client({ connectionString: other.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      const { rows } = await holder.query<{ pid: number }>(
        'SELECT pg_backend_pid() AS pid, pg_current_xact_id() AS xid',
      );
      const doctor = await sluice(['doctor'], { cwd: project, env: { SLUICE_LONG_TRANSACTION_SECONDS: '0' } });
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/✗ tables +1 table has failed run after run/);
      expect(doctor.stdout).toMatch(/bad: failed 2 runs in a row, since run [0-9a-f]{8}/);
      expect(doctor.stdout).toMatch(/✓ xmin +warning: \d+ transactions? ha(s|ve) been open on the source server/);
      expect(doctor.stdout).toContain(`pid ${rows[0]?.pid} on database ${other.name}`);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await other.drop();
    }
  });

  it('once the value is fixed the table loads again and the streak is over', async () => {
    await db.withClient((client) => client.query(`UPDATE bad SET amount = 2.5 WHERE id = 2`));
    expect((await sluice(['ingest'], { cwd: project })).code).toBe(0);
    const status = await sluice(['status'], { cwd: project });
    expect(status.stdout).not.toContain('Tables failing run after run');
  });
});
