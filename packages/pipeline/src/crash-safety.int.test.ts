import { spawn, execFileSync } from 'node:child_process';
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
  readonly after: 'table-start' | 'table-progress' | 'table-loading' | 'table-loaded';
  readonly delayMs: number;
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
  }, 120_000);
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

  const points: KillPoint[] = [
    { after: 'table-start', delayMs: 0 },
    { after: 'table-start', delayMs: 15 },
    { after: 'table-progress', delayMs: 0 },
    { after: 'table-loading', delayMs: 0 },
    { after: 'table-loading', delayMs: 5 },
    { after: 'table-loading', delayMs: 30 },
    { after: 'table-loaded', delayMs: 0 },
  ];

  it('ends equal to the source after every kill: same keys, same values, no key twice', async () => {
    let kills = 0;
    for (const [round, point] of points.entries()) {
      // The first round kills the very first load; later rounds kill incremental loads of a changed source.
      if (round > 0) await db.withClient((client) => changeNovaDrive(client as pg.Client, round));
      const crashed = await runChild(point);
      if (crashed.killed) kills++;
      const rerun = await runChild();
      expect(rerun.events.at(-1)).toBe('done');
      expect(rerun.done, JSON.stringify(rerun.done)).toMatchObject({ status: 'success' });
      expect(
        await warehouseEqualsSource(),
        `after a kill at ${point.after}+${point.delayMs}ms in round ${round}`,
      ).toEqual([]);
    }
    expect(kills).toBeGreaterThanOrEqual(points.length - 1);
  }, 300_000);
});
