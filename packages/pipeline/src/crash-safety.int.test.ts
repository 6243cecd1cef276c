import { spawn, execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { compareNovaDrive, writeNovaDriveProject } from './__tests__/novadrive-project.js';
import { changeNovaDrive } from './__tests__/source-changes.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./__fixtures__/ingest-child.mjs', import.meta.url));
const entry = path.join(packageDir, 'dist', 'index.js');

/** Where to kill the loader: after an event (with a small delay drawn from the round), or never. */
type KillPoint = {
  readonly after:
    | 'positions-read'
    | 'table-start'
    | 'table-progress'
    | 'table-loading'
    | 'table-committed'
    | 'range-committed'
    | 'table-loaded'
    | 'table-done';
  readonly delayMs: number;
  /** Before the round: a new warehouse (the file deleted: every table's first load, split into ranges), or one raw
   *  table dropped by hand. */
  readonly before?: 'new-warehouse' | 'drop-table';
};

interface ChildRun {
  readonly killed: boolean;
  readonly events: string[];
  readonly exitCode: number | null;
  readonly done: unknown;
}

describe('crash safety: the loader SIGKILLed at many points, then rerun', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let home: string;

  beforeAll(async () => {
    // The child runs the built pipeline: build it and what it imports (a turbo cache hit when nothing changed).
    execFileSync(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', '--filter=@sluice/pipeline...', '--output-logs=errors-only'],
      {
        cwd: packageDir,
        stdio: 'inherit',
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      },
    );
    db = await createTestDatabase('crash');
    dir = await createTempDir();
    home = path.join(dir.path, '.sluice');
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 3000, seed: 11 });
    });
    await writeNovaDriveProject(dir.path, db.url);
    // Ranges of 48 kB: a first load of vendas or clientes (about 290 kB each) commits six ranges one by one.
    const yml = path.join(dir.path, 'sluice.yml');
    const text = await readFile(yml, 'utf8');
    await writeFile(
      yml,
      text.replace('ingest:\n  parallelism: 4\n', 'ingest:\n  parallelism: 4\n  first_load_range_mb: 0.05\n'),
    );
    expect(await readFile(yml, 'utf8')).toContain('first_load_range_mb: 0.05');
  }, 600_000);
  afterAll(async () => {
    await db?.drop();
    await dir?.remove();
  });

  function runChild(kill?: KillPoint): Promise<ChildRun> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [child, entry, dir.path, db.url, home], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const events: string[] = [];
      let done: unknown;
      let killed = false;
      let stderr = '';
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const event = JSON.parse(line) as { type: string };
        events.push(event.type);
        if (event.type === 'done') done = event;
        if (kill && !killed && event.type === kill.after) {
          killed = true;
          setTimeout(() => proc.kill('SIGKILL'), kill.delayMs);
        }
      });
      proc.on('error', reject);
      proc.on('exit', (exitCode, signal) => {
        if (!killed && exitCode !== 0) reject(new Error(`child failed (${exitCode ?? signal}): ${stderr}`));
        else resolve({ killed: signal === 'SIGKILL', events, exitCode, done });
      });
    });
  }

  async function warehouseEqualsSource(): Promise<string[]> {
    const warehouse = await createDuckDbWarehouse({ path: path.join(home, 'warehouse.duckdb') });
    try {
      return await compareNovaDrive(db.url, warehouse);
    } finally {
      await warehouse.close();
    }
  }

  // Around the state-table write: `table-loading` precedes the transaction that holds the rows and the position,
  // `table-committed` follows it (before the state store's copy), `range-committed` follows each range of a split
  // first load, `positions-read` the run's one read of the positions.
  const points: KillPoint[] = [
    { after: 'table-start', delayMs: 0 },
    { after: 'table-start', delayMs: 15 },
    { after: 'table-progress', delayMs: 0 },
    { after: 'table-loading', delayMs: 0 },
    { after: 'table-loading', delayMs: 5 },
    { after: 'table-loading', delayMs: 30 },
    { after: 'table-loaded', delayMs: 0 },
    { after: 'positions-read', delayMs: 0 },
    { after: 'positions-read', delayMs: 5 },
    { after: 'table-committed', delayMs: 0 },
    { after: 'table-committed', delayMs: 1 },
    { after: 'table-committed', delayMs: 10 },
    { after: 'table-loaded', delayMs: 3 },
    { after: 'table-done', delayMs: 0 },
    { after: 'table-done', delayMs: 5 },
    { after: 'range-committed', delayMs: 0, before: 'new-warehouse' },
    { after: 'range-committed', delayMs: 3, before: 'new-warehouse' },
    { after: 'range-committed', delayMs: 20, before: 'new-warehouse' },
    { after: 'table-committed', delayMs: 0, before: 'new-warehouse' },
    { after: 'table-loading', delayMs: 10, before: 'new-warehouse' },
    { after: 'table-committed', delayMs: 2, before: 'drop-table' },
    { after: 'positions-read', delayMs: 1, before: 'drop-table' },
  ];

  it('ends equal to the source after every kill: same keys, same values, no key twice', async () => {
    let kills = 0;
    for (const [round, point] of points.entries()) {
      // The first round kills the very first load; later rounds kill incremental loads of a changed source, or the
      // first loads into a new warehouse, or the reload of a dropped table.
      if (round > 0) await db.withClient((client) => changeNovaDrive(client as pg.Client, round));
      if (point.before === 'new-warehouse') {
        await rm(path.join(home, 'warehouse.duckdb'), { force: true });
        await rm(path.join(home, 'warehouse.duckdb.wal'), { force: true });
      }
      if (point.before === 'drop-table') {
        const warehouse = await createDuckDbWarehouse({ path: path.join(home, 'warehouse.duckdb') });
        await warehouse.execute('DROP TABLE raw.clientes').finally(() => warehouse.close());
      }
      const crashed = await runChild(point);
      if (crashed.killed) kills++;
      const rerun = await runChild();
      expect(rerun.events.at(-1)).toBe('done');
      expect(rerun.done, JSON.stringify(rerun.done)).toMatchObject({ status: 'success' });
      expect(
        await warehouseEqualsSource(),
        `after a kill at ${point.after}+${point.delayMs}ms in round ${round}${point.before ? ` (${point.before})` : ''}`,
      ).toEqual([]);
    }
    expect(kills).toBeGreaterThanOrEqual(points.length - 1);
  }, 900_000);
});
