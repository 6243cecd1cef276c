import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalPostgres } from './local-postgres.js';

const asRoot = process.getuid?.() === 0;
const cleanup: string[] = [];

/** A private folder, as `mktemp -d` makes one: closed to every other user, the `postgres` user included. */
async function privateDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o700);
  cleanup.push(dir);
  return dir;
}

/** A runtime folder of this test's own (the default, /var/tmp/sluice-postgres, is shared with every other run). */
async function runtimeDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-pg-runtime-'));
  await chmod(dir, 0o755);
  cleanup.push(dir);
  return dir;
}

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('select 1 as one')).rows[0]?.one ?? 0;
  } finally {
    await client.end();
  }
}

afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe(`a local Postgres started ${asRoot ? 'as root' : 'as an ordinary user'}`, () => {
  it('starts from a data directory inside a private (mode 700) folder, and removes every file it made', async () => {
    const closed = await privateDir('sluice-closed-');
    const runtime = await runtimeDir();
    const server = await startLocalPostgres({
      dataDir: path.join(closed, 'pg'),
      persistent: false,
      durable: false,
      runtimeDir: runtime,
    });
    try {
      expect(await selectOne(await server.createDatabase('probe'))).toBe(1);
      if (asRoot) {
        // Postgres runs as the `postgres` user, who cannot enter `closed`: binaries and cluster live in the runtime folder.
        expect(path.dirname(server.dataDir)).toBe(runtime);
        expect(existsSync(path.join(closed, 'pg', 'relocated.json'))).toBe(true);
      } else {
        expect(server.dataDir).toBe(path.join(closed, 'pg'));
      }
      expect(existsSync(path.join(server.dataDir, 'PG_VERSION'))).toBe(true);
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dataDir)).toBe(false);
    expect(existsSync(path.join(closed, 'pg'))).toBe(false);
    const left = (await readdir(runtime)).filter((entry) => !entry.startsWith('bin-'));
    expect(left).toEqual([]);
  });

  it('keeps a persistent cluster across restarts, with the same password', async () => {
    const closed = await privateDir('sluice-closed-');
    const runtime = await runtimeDir();
    const options = { dataDir: path.join(closed, 'pg'), durable: false, runtimeDir: runtime };
    const first = await startLocalPostgres(options);
    await first.createDatabase('kept');
    await first.stop();
    const second = await startLocalPostgres(options);
    try {
      expect(second.dataDir).toBe(first.dataDir);
      expect(await selectOne(second.urlFor('kept'))).toBe(1);
    } finally {
      await second.stop();
    }
  });

  it('removes a relocated cluster whose data directory was removed (a fresh start, a lost temp dir)', async (ctx) => {
    // Only root's clusters are relocated (the postgres user runs them from a folder it owns under /var/tmp).
    if (!asRoot) ctx.skip('only a cluster started as root is relocated; this run is not root');
    const runtime = await runtimeDir();
    const gone = await privateDir('sluice-gone-');
    const orphan = await startLocalPostgres({ dataDir: path.join(gone, 'pg'), durable: false, runtimeDir: runtime });
    await orphan.stop();
    await rm(gone, { recursive: true, force: true });
    expect(existsSync(orphan.dataDir)).toBe(true);

    const other = await privateDir('sluice-other-');
    const next = await startLocalPostgres({
      dataDir: path.join(other, 'pg'),
      persistent: false,
      durable: false,
      runtimeDir: runtime,
    });
    await next.stop();
    expect(existsSync(orphan.dataDir)).toBe(false);
    expect(existsSync(`${orphan.dataDir}.owner.json`)).toBe(false);
  });
});
