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

  it('lists relations with partitions and their root, privileges and counters; reads pg_stats or a sample', async () => {
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE eventos (id bigserial, at date NOT NULL,
                            "Última Nota" timestamptz, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`);
      await client.query(
        `CREATE TABLE eventos_2024 PARTITION OF eventos FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
      );
      await client.query(
        `CREATE TABLE eventos_2025 PARTITION OF eventos FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
      );
      await client.query(
        `INSERT INTO eventos (at, "Última Nota") SELECT '2024-06-01'::date + (i % 400), CASE WHEN i % 4 = 0 THEN now() END
           FROM generate_series(1, 4000) i`,
      );
      await client.query(`CREATE TABLE serial_keyed (id serial PRIMARY KEY, note text)`);
      await client.query(`CREATE TABLE identity_keyed (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                            twice int GENERATED ALWAYS AS (id * 2) STORED)`);
    });
    const catalog = await openSourceCatalog(db.url, 'sluice-test');
    try {
      const relations = await catalog.listRelations('public');
      const byName = new Map(relations.map((relation) => [relation.name, relation]));
      expect([...byName.keys()]).toEqual([
        'eventos',
        'eventos_2024',
        'eventos_2025',
        'identity_keyed',
        'itens',
        'itens_recentes',
        'serial_keyed',
      ]);
      expect(byName.get('eventos')).toMatchObject({ kind: 'p', readable: true });
      expect(byName.get('eventos')?.partitionOf).toBeUndefined();
      expect(byName.get('eventos_2025')).toMatchObject({
        kind: 'r',
        partitionOf: { schema: 'public', name: 'eventos' },
      });
      expect(byName.get('itens_recentes')).toMatchObject({ kind: 'v' });
      expect(byName.get('itens_recentes')?.activity).toBeUndefined();
      expect(byName.get('eventos')?.bytes).toBeGreaterThan(0);
      expect(byName.get('itens')?.activity?.lastAnalyzed).toMatch(/^\d{4}-/);

      const eventos = await catalog.introspectTable('public', 'eventos');
      expect(eventos.columns.find((column) => column.name === 'id')?.autoIncrement).toBe('sequence');
      expect((await catalog.introspectTable('public', 'serial_keyed')).columns[0]?.autoIncrement).toBe('sequence');
      const identity = await catalog.introspectTable('public', 'identity_keyed');
      expect(identity.columns.map((c) => [c.name, c.autoIncrement, c.generated])).toEqual([
        ['id', 'identity', undefined],
        ['twice', undefined, true],
      ]);

      // Never analyzed: no statistics, so a sample (here the whole table: 100 %).
      expect(await catalog.columnStatistics('public', 'eventos', true)).toEqual([]);
      const sample = await catalog.sampleColumns('public', 'eventos', ['Última Nota', 'at', 'id'], {
        percent: 100,
        limit: 10_000,
      });
      expect(sample).toEqual({
        rows: 4000,
        columns: [
          { name: 'Última Nota', nonNull: 1000, distinct: 1 },
          { name: 'at', nonNull: 4000, distinct: 400 },
          { name: 'id', nonNull: 4000, distinct: 4000 },
        ],
      });
      // Analyzed (a partitioned table only by hand): the fraction of NULLs and the distinct values, over the partitions.
      await db.withClient((client) => client.query('ANALYZE eventos'));
      const stats = await catalog.columnStatistics('public', 'eventos', true);
      const nota = stats.find((column) => column.name === 'Última Nota');
      expect(nota?.nullFraction).toBeCloseTo(0.75, 2);
      expect(nota?.distinct).toBe(1);
      expect(stats.find((column) => column.name === 'id')?.distinct).toBe(-1);
    } finally {
      await catalog.close();
    }
  });
});
