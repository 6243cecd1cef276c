import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { introspectTable } from './introspect.js';

describe('introspectTable (real Postgres)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('introspect');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads columns in order, the primary key in key order, domains, enums and arrays, in one look', async () => {
    await db.withClient(async (client) => {
      await client.query(`CREATE TYPE mood AS ENUM ('sad', 'happy')`);
      await client.query(`CREATE DOMAIN price AS numeric(10,2)`);
      await client.query(
        `CREATE TABLE keyed (a int, b text, c price, d mood[], dropped int, e timestamptz NOT NULL, PRIMARY KEY (b, a))`,
      );
      await client.query(`ALTER TABLE keyed DROP COLUMN dropped`);
      const table = await introspectTable(client, 'public', 'keyed');
      expect(table.kind).toBe('r');
      expect(table.columns.map((c) => [c.name, c.pgType, c.nullable])).toEqual([
        ['a', 'integer', false],
        ['b', 'text', false],
        ['c', 'price', true],
        ['d', 'mood[]', true],
        ['e', 'timestamp with time zone', false],
      ]);
      expect(table.primaryKey).toEqual(['b', 'a']);
      expect(table.columns[2]?.logical).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
      expect(table.columns[3]?.logical).toEqual({
        kind: 'array',
        element: { kind: 'enum', name: 'mood', values: ['sad', 'happy'] },
      });
    });
  });

  it('reads a table without columns or key, and names the closest table when one is missing', async () => {
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE empty_shape ()`);
      const table = await introspectTable(client, 'public', 'empty_shape');
      expect(table.columns).toEqual([]);
      expect(table.primaryKey).toEqual([]);
      await expect(introspectTable(client, 'public', 'empty_shapes')).rejects.toThrow(
        /does not exist in the source \(did you mean empty_shape/,
      );
    });
  });
});
