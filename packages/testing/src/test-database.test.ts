import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './test-database.js';

describe('createTestDatabase', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('gives each test file a fresh, empty database on a real Postgres', async () => {
    const rows = await db.withClient(async (client) => {
      const tables = await client.query(
        `select count(*)::int as n from information_schema.tables where table_schema = 'public'`,
      );
      const current = await client.query('select current_database() as name, current_setting($1) as version', [
        'server_version_num',
      ]);
      return {
        tables: tables.rows[0].n as number,
        name: current.rows[0].name as string,
        version: Number(current.rows[0].version),
      };
    });
    expect(rows.tables).toBe(0);
    expect(rows.name).toBe(db.name);
    expect(rows.version).toBeGreaterThanOrEqual(140000);
  });
});
