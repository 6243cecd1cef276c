import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { createExtractor } from './extractor.js';

describe('createExtractor (real Postgres)', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };

  beforeAll(async () => {
    db = await createTestDatabase('extractor');
    dir = await createTempDir('sluice-extractor-');
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE clientes (id int PRIMARY KEY, nome text NOT NULL)`);
      await client.query(`INSERT INTO clientes SELECT i, 'c' || i FROM generate_series(1, 5) i`);
      await client.query(`CREATE TABLE vendas (id bigint PRIMARY KEY, id_cliente int NOT NULL, at timestamp NOT NULL)`);
      await client.query(
        `INSERT INTO vendas SELECT i, 1 + i % 5, '2024-01-01'::timestamp + i * interval '1 hour' FROM generate_series(1, 3000) i`,
      );
      await client.query(`CREATE TABLE eventos (tipo text, at timestamp)`);
    });
  });
  afterAll(async () => {
    await dir?.remove();
    await db?.drop();
  });

  it('reads every table, and its key fingerprints, in the one snapshot the run shared', async () => {
    const extractor = createExtractor({ url: db.url });
    try {
      const snapshotId = await extractor.shareSnapshot();
      expect(await extractor.shareSnapshot()).toBe(snapshotId);
      // Written after the snapshot: no table read in it may see any of this.
      await db.withClient(async (client) => {
        await client.query(`INSERT INTO clientes VALUES (6, 'late')`);
        await client.query(`DELETE FROM vendas WHERE id IN (7, 2500)`);
      });

      const clientes = extractor.openTable('public', 'clientes');
      try {
        const plan = extractor.plan(await clientes.introspect(), { strategy: 'full' }, undefined);
        const read = await clientes.run(plan, { dir: path.join(dir.path, 'clientes'), snapshotId, digest: true });
        expect(read.rows).toBe(5);
        const text = (await Promise.all(read.files.map((file) => readFile(file.path, 'utf8')))).join('');
        expect(text).not.toContain('late');
        expect(read.statements[0]).toContain(`SET TRANSACTION SNAPSHOT '${snapshotId}'`);
      } finally {
        await clientes.close();
      }

      const vendas = extractor.openTable('public', 'vendas');
      try {
        const plan = extractor.plan(
          await vendas.introspect(),
          { strategy: 'upsert', cursor: ['at', 'id'], lateCommits: 'scan' },
          undefined,
        );
        const read = await vendas.run(plan, { dir: path.join(dir.path, 'vendas'), snapshotId });
        await read.closed;
        expect(read.rows).toBe(3000);
        const keys = await vendas.keys(plan, snapshotId);
        try {
          const { fingerprints } = keys;
          expect(fingerprints.key).toBe('id');
          expect(fingerprints.width).toBe(1000n);
          // Keys 7 and 2500 are still there in the snapshot: 3,000 keys summing to 3000 × 3001 / 2.
          const total = [...fingerprints.buckets.values()].reduce(
            (sum, value) => {
              const [count, keySum] = value.split('/');
              return { count: sum.count + Number(count), sum: sum.sum + BigInt(keySum ?? '0') };
            },
            { count: 0, sum: 0n },
          );
          expect(total).toEqual({ count: 3000, sum: 4_501_500n });
          expect(fingerprints.digest).toMatch(/^[0-9a-f]{64}$/);
          const inFirst = await keys.keysIn(['0']);
          expect(inFirst).toHaveLength(999); // keys 1..999
          expect(inFirst).toContain('7');
          const files = await keys.extractRows(['7', '2500'], path.join(dir.path, 'vendas'));
          const rows = (await Promise.all(files.map((file) => readFile(file.path, 'utf8')))).join('');
          expect(rows.trim().split('\n').sort()).toEqual(['2500,1,2024-04-14 04:00:00', '7,3,2024-01-01 07:00:00']);
        } finally {
          await keys.end();
        }
      } finally {
        await vendas.close();
        // Closing again is harmless: the same promise.
        await vendas.close();
      }
    } finally {
      await extractor.close();
    }
  });

  it('refuses key fingerprints without a single integer primary key, before sending anything', async () => {
    const extractor = createExtractor({ url: db.url });
    const eventos = extractor.openTable('public', 'eventos', { prefetchHelper: false });
    try {
      const plan = extractor.plan(await eventos.introspect(), { strategy: 'full' }, undefined);
      await expect(eventos.keys(plan, undefined)).rejects.toMatchObject({
        code: 'INVALID_TABLE_CONFIG',
        message: expect.stringContaining('deletes: reconcile needs a single integer primary key'),
      });
    } finally {
      await eventos.close();
      await extractor.close();
    }
  });

  it('says which server it cannot reach (host and port, never the password), and still closes', async () => {
    const extractor = createExtractor({ url: 'postgres://sluice:secret-pw@127.0.0.1:1/nothing' });
    const table = extractor.openTable('public', 'vendas');
    const failure = await table.introspect().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'SOURCE_UNREACHABLE', message: expect.stringContaining('127.0.0.1:1') });
    expect(String((failure as Error).message)).not.toContain('secret-pw');
    await expect(extractor.shareSnapshot()).rejects.toMatchObject({ code: 'SOURCE_UNREACHABLE' });
    await table.close();
    await extractor.close();
  });
});
