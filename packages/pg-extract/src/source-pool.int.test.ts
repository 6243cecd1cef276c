import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { planExtraction, type ExtractPosition } from './extract-plan.js';
import { createExtractor } from './extractor.js';
import { createSourcePool, type SourcePool } from './source-pool.js';

describe('createSourcePool (real Postgres)', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };

  beforeAll(async () => {
    db = await createTestDatabase('source_pool');
    dir = await createTempDir('sluice-pool-');
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE big (id bigint PRIMARY KEY, at timestamp NOT NULL, note text NOT NULL)`);
      await client.query(
        `INSERT INTO big SELECT i, '2024-01-01'::timestamp + i * interval '1 second', repeat('x', 100) FROM generate_series(1, 300000) i`,
      );
      await client.query(`CREATE TABLE vendas (id bigint PRIMARY KEY, at timestamp NOT NULL)`);
      await client.query(
        `INSERT INTO vendas SELECT i, '2024-01-01'::timestamp + i * interval '1 hour' FROM generate_series(1, 500) i`,
      );
    });
  });
  afterAll(async () => {
    await dir?.remove();
    await db?.drop();
  });

  /** One incremental read of vendas through an extractor on `pool`: its rows and the backends it used. */
  async function readOnce(pool: SourcePool, from?: ExtractPosition) {
    const extractor = createExtractor({ url: db.url, pool });
    const table = extractor.openTable('public', 'vendas');
    try {
      const plan = planExtraction(await table.introspect(), { strategy: 'upsert', cursor: ['at', 'id'] }, from);
      const result = await table.run(plan, { dir: dir.path });
      await result.closed;
      const text = (await Promise.all(result.files.map((f) => readFile(f.path, 'utf8')))).join('');
      return { result, rows: text.trim() === '' ? [] : text.trim().split('\n') };
    } finally {
      await table.close();
      await extractor.close();
    }
  }

  /** The backends of this database connected as Sluice's extraction, with their transaction state. */
  const backends = () =>
    db.withClient(async (client) => {
      const { rows } = await client.query<{ pid: number; state: string; xact: boolean }>(
        `SELECT pid, state, xact_start IS NOT NULL AS xact FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'sluice-extract' ORDER BY pid`,
      );
      return rows;
    });

  it('gives the next run the connections the last one gave back, idle and outside any transaction', async () => {
    const pool = createSourcePool();
    try {
      const first = await readOnce(pool);
      expect(first.rows).toHaveLength(500);
      const kept = await backends();
      // The table's connection and the helper that read the bound, both kept, neither in a transaction.
      expect(kept).toHaveLength(2);
      expect(pool.size).toBe(2);
      for (const backend of kept) expect(backend).toMatchObject({ state: 'idle', xact: false });

      await db.withClient((client) => client.query(`INSERT INTO vendas VALUES (501, '2030-01-01')`));
      const second = await readOnce(pool, first.result.position);
      expect(second.rows).toEqual(['501,2030-01-01 00:00:00']);
      // The same two backends did it: no new connection.
      expect((await backends()).map((b) => b.pid)).toEqual(kept.map((b) => b.pid));
      // Runs after runs leave no listener behind on a kept connection.
      const listeners = async () => {
        const client = await pool.connect(db.url, 'sluice-extract');
        const counts = [client.listenerCount('end'), client.listenerCount('error')];
        await pool.release(client);
        return counts;
      };
      const before = await listeners();
      for (let i = 0; i < 3; i++) await readOnce(pool, second.result.position);
      expect(await listeners()).toEqual(before);
    } finally {
      await pool.close();
    }
    expect(pool.size).toBe(0);
    expect(await backends()).toEqual([]);
  });

  it('a cancelled table never ends a connection it gave back, which another table may hold by then', async () => {
    const pool = createSourcePool();
    const extractor = createExtractor({ url: db.url, pool });
    const table = extractor.openTable('public', 'big');
    const stop = new AbortController();
    try {
      const plan = planExtraction(await table.introspect(), { strategy: 'upsert', cursor: ['at', 'id'] }, undefined);
      const reading = table.run(plan, { dir: dir.path, signal: stop.signal });
      reading.catch(() => undefined);
      // The upper bound is read on the helper and the helper given back while the rows still stream.
      await expect.poll(() => pool.size, { timeout: 20_000, interval: 5 }).toBe(1);
      const other = await pool.connect(db.url, 'sluice-extract');
      stop.abort();
      await expect(reading).rejects.toMatchObject({ code: 'CANCELLED' });
      // The connection the cancelled table had given back still serves its new holder.
      expect((await other.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await pool.release(other);
    } finally {
      await table.close();
      await extractor.close();
      await pool.close();
    }
  });

  it('never hands out a connection whose backend went away while it was kept', async () => {
    const pool = createSourcePool();
    try {
      await readOnce(pool);
      const before = (await backends()).map((b) => b.pid);
      await db.withClient((client) =>
        client.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [before]),
      );
      // Terminated backends are noticed (pg reports the closed socket), and dropped from the pool.
      await expect.poll(() => pool.size, { timeout: 10_000 }).toBe(0);
      const again = await readOnce(pool);
      expect(again.rows).toHaveLength(501);
      const after = (await backends()).map((b) => b.pid);
      expect(after).toHaveLength(2);
      for (const pid of after) expect(before).not.toContain(pid);
    } finally {
      await pool.close();
    }
  });

  it('closes, rather than keeps, a connection still busy when it comes back, and one that comes back after close()', async () => {
    const pool = createSourcePool({ releaseTimeoutMs: 100 });
    const busy = await pool.connect(db.url, 'sluice-extract');
    // A statement still running when the connection comes back: its ROLLBACK waits behind it, past the timeout.
    const sleeping = busy.query('SELECT pg_sleep(1)').catch(() => undefined);
    await pool.release(busy);
    expect(pool.size).toBe(0);
    await sleeping;
    const other = await pool.connect(db.url, 'sluice-extract');
    await pool.close();
    await pool.release(other);
    expect(pool.size).toBe(0);
    await expect.poll(backends, { timeout: 10_000 }).toEqual([]);
  });
});
