import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { writeNovaDriveProject } from './__tests__/novadrive-project.js';
import { WORK_FOLDER_MARKER } from './work-folders.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./__fixtures__/ingest-child.mjs', import.meta.url));
const entry = path.join(packageDir, 'dist', 'index.js');

describe('work folders of dead runs are removed by the next run, and only those', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let home: string;
  let work: string;

  beforeAll(async () => {
    // The child runs the built pipeline: build it and what it imports (a turbo cache hit when nothing changed).
    execFileSync(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', '--filter=@sluice/pipeline...', '--output-logs=errors-only'],
      { cwd: packageDir, stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
    );
    db = await createTestDatabase('workdirs');
    dir = await createTempDir();
    home = path.join(dir.path, '.sluice');
    work = path.join(home, 'work');
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 3000, seed: 3 });
    });
    await writeNovaDriveProject(dir.path, db.url);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    await dir?.remove();
  });

  /** One ingest in a child process, SIGKILLed right after its first chunk of rows when `kill` is set. */
  function runChild(kill: boolean): Promise<{ killed: boolean; done: boolean }> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [child, entry, dir.path, db.url, home], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let killed = false;
      let done = false;
      let stderr = '';
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const event = JSON.parse(line) as { type: string };
        if (event.type === 'done') done = true;
        if (kill && !killed && event.type === 'table-progress') {
          killed = true;
          proc.kill('SIGKILL');
        }
      });
      proc.on('error', reject);
      proc.on('exit', (code, signal) => {
        if (!killed && code !== 0) reject(new Error(`child failed (${code ?? signal}): ${stderr}`));
        else resolve({ killed: signal === 'SIGKILL', done });
      });
    });
  }

  it('a SIGKILLed run leaves its chunk files; the next run removes them, keeping folders that are not its project’s', async () => {
    const crashed = await runChild(true);
    expect(crashed.killed).toBe(true);
    const left = await readdir(work);
    expect(left).toHaveLength(1);
    const dead = path.join(work, left[0] as string);
    expect(existsSync(path.join(dead, WORK_FOLDER_MARKER))).toBe(true);
    // Beside it: a live run of another project sharing the folder, a fresh unmarked folder (a Sluice before
    // markers, maybe still running), an unmarked one two days old, and something that is no run's.
    const foreign = path.join(work, 'c0ffee00-0000-4000-8000-000000000001');
    await mkdir(foreign);
    await writeFile(
      path.join(foreign, WORK_FOLDER_MARKER),
      JSON.stringify({ runId: 'x', project: '/elsewhere/sluice.yml', pid: 1, host: 'h', startedAt: '' }),
    );
    const fresh = path.join(work, 'c0ffee00-0000-4000-8000-000000000002');
    const stale = path.join(work, 'c0ffee00-0000-4000-8000-000000000003');
    const other = path.join(work, 'keep-me');
    for (const folder of [fresh, stale, other]) await mkdir(path.join(folder, 'vendas'), { recursive: true });
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await utimes(stale, twoDaysAgo, twoDaysAgo);
    await utimes(other, twoDaysAgo, twoDaysAgo);

    const rerun = await runChild(false);
    expect(rerun.done).toBe(true);
    expect((await readdir(work)).sort()).toEqual([path.basename(foreign), path.basename(fresh), 'keep-me'].sort());
  }, 120_000);
});
