import { spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { startLocalPostgres } from '@sluice/local-postgres';
import { NOVADRIVE_PRIMARY_KEYS, NOVADRIVE_TABLES } from '@sluice/novadrive';
import { createTempDir, diffFingerprints, fingerprintPostgresTable, fingerprintWarehouseTable } from '@sluice/testing';
import { createFileStateStore } from '@sluice/watermark';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function sluice(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('sluice demo (the built binary)', () => {
  let home: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    home = await createTempDir('sluice-demo-');
    await chmod(home.path, 0o755); // the embedded server runs as the postgres OS user: it must reach its data dir
  });
  afterAll(() => home?.remove());

  it('loads NovaDrive into DuckDB and prints rows per table and the top vehicles', async () => {
    const run = await sluice(['demo', '--home', home.path, '--scale', '600']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const table of NOVADRIVE_TABLES) expect(run.stdout).toMatch(new RegExp(`^  ${table} +(full|upsert) `, 'm'));
    expect(run.stdout).toContain('Top five vehicles by sales');
    expect(run.stdout).toMatch(/— success$/m);
  });

  it('leaves DuckDB equal to Postgres: same row count and the same value in every column, all seven tables', async () => {
    const server = await startLocalPostgres({ dataDir: path.join(home.path, 'pg') });
    const client = new pg.Client({ connectionString: server.urlFor('novadrive') });
    await client.connect();
    const warehouse = await createDuckDbWarehouse({ path: path.join(home.path, 'warehouse.duckdb') });
    try {
      for (const table of NOVADRIVE_TABLES) {
        const columns = (
          await client.query<{ name: string }>(
            `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
            [table],
          )
        ).rows.map((row) => row.name);
        const key = [NOVADRIVE_PRIMARY_KEYS[table]];
        const source = await fingerprintPostgresTable(client, { schema: 'public', name: table }, columns, key);
        const copy = await fingerprintWarehouseTable(warehouse, { schema: 'raw', name: table }, columns, key);
        expect(source.rows, table).toBeGreaterThan(0);
        expect(diffFingerprints(source, copy), table).toEqual([]);
      }
    } finally {
      await warehouse.close();
      await client.end();
      await server.stop();
    }
  });

  it('reuses what is there on a second run, advancing the source one simulated day', async () => {
    const run = await sluice(['demo', '--home', home.path]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('reused; advanced to simulated day 1');
    expect(run.stdout).toMatch(/^ {2}estados +full +unchanged/m);
  });

  it('says so, and touches nothing, when another demo is running on the same home', async () => {
    const store = createFileStateStore({ dir: path.join(home.path, 'demo') });
    const lock = await store.acquireLock('demo', { holder: 'sluice demo' });
    try {
      const run = await sluice(['demo', '--home', home.path]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('another sluice demo is running');
      expect(run.stdout).not.toContain('Ingest');
    } finally {
      await lock.release();
      await store.close();
    }
  });
});
