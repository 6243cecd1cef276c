import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { planExtraction } from './extract-plan.js';
import { openSourceCatalog, sourceCatalog } from './source-catalog.js';

describe('openSourceCatalog (real Postgres)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('catalog');
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE itens (id int PRIMARY KEY, at timestamp NOT NULL)`);
      await client.query(
        `INSERT INTO itens SELECT i, '2024-01-01'::timestamp + i * interval '1 minute' FROM generate_series(1, 2000) i`,
      );
      await client.query('ANALYZE itens');
      await client.query(`CREATE VIEW itens_recentes AS SELECT * FROM itens WHERE id > 1990`);
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('describes the server, lists and introspects tables, counts no further than asked', async () => {
    const catalog = await openSourceCatalog(db.url, 'sluice-test');
    try {
      const server = await catalog.server();
      expect(server.versionNum).toBeGreaterThanOrEqual(130000);
      expect(server.version).toMatch(/^\d+/);
      expect(server.database).toBe(new URL(db.url).pathname.slice(1));
      expect(server.role).not.toBe('');
      expect(await catalog.listTables('public')).toEqual(['itens', 'itens_recentes']);
      expect((await catalog.introspectTable('public', 'itens_recentes')).kind).toBe('v');
      expect(await catalog.countUpTo('public', 'itens', 101)).toBe(101);
      expect(await catalog.countUpTo('public', 'itens_recentes', 101)).toBe(10);
      expect(await catalog.canRead('public', 'itens', ['id', 'at'])).toBe(true);
    } finally {
      await catalog.close();
    }
  });

  it('tells whether an index serves a cursor, and which index would', async () => {
    await db.withClient(async (client) => {
      const catalog = sourceCatalog(client);
      const plan = planExtraction(
        await catalog.introspectTable('public', 'itens'),
        { strategy: 'upsert', cursor: ['at', 'id'] },
        { cursor: ['2024-01-01 12:00:00', '720'], snapshotXmin: '3' },
      );
      const before = await catalog.cursorIndex(plan);
      expect(before).toEqual({
        served: false,
        suggestion: 'CREATE INDEX CONCURRENTLY ON "public"."itens" ("at", "id")',
      });
      await client.query(before.suggestion);
      expect((await catalog.cursorIndex(plan)).served).toBe(true);
      // The caller's connection stays open.
      await catalog.close();
      expect((await client.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    });
  });
});
