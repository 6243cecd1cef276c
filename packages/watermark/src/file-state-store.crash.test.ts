import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStateStore } from './file-state-store.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// A private build of this package's sources, so the child runs the real code without touching the shared dist/.
const buildDir = path.join(packageDir, 'node_modules', '.cache', 'crash-test-build');
const child = path.join(packageDir, 'src', '__fixtures__', 'commit-loop.mjs');

const filler = (id: bigint) => `${id}:`.padEnd(32_768, String(id % 10n));
const idOf = (id: bigint) => `1000000000000000000000${id}`;

interface Round {
  lines: string[];
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Run the child until it has taken the lock, let it commit for `delayMs`, SIGKILL it; every line it printed. */
function killChildAfter(dir: string, first: bigint, delayMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [child, path.join(buildDir, 'index.js'), dir, 'public.vendas', String(first)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    let armed = false;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!armed && out.includes('ready\n')) {
        armed = true;
        setTimeout(() => proc.kill('SIGKILL'), delayMs);
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', reject);
    proc.on('close', (_code, signal) => {
      if (!armed) reject(new Error(`the crash child exited before it was ready: ${err}`));
      else resolve({ lines: out.split('\n').filter(Boolean), signal, stderr: err });
    });
  });
}

describe('file store crash safety', () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    execFileSync(
      path.resolve(packageDir, '../../node_modules/.bin/tsup'),
      [
        'src/index.ts',
        '--no-config',
        '--format',
        'esm',
        '--target',
        'node20',
        '--out-dir',
        buildDir,
        '--clean',
        '--silent',
      ],
      { cwd: packageDir, stdio: 'pipe' },
    );
    dir = await createTempDir('sluice-crash-');
  });
  afterAll(() => dir?.remove());

  it('leaves the old or the new watermark after a SIGKILL at any point, never a torn one, and frees the lock', async () => {
    let acknowledged: bigint | undefined; // the last id a child printed after commit() resolved
    let next = 1n;
    // Kill points at random: the property must hold whatever the delay, so randomness cannot make it flaky.
    const delays = Array.from({ length: 16 }, (_, i) => (i === 0 ? 0 : Math.floor(Math.random() * 150)));
    for (const [round, delayMs] of delays.entries()) {
      const { lines, signal, stderr } = await killChildAfter(dir.path, next, delayMs);
      expect(signal, `the child should have been killed, not exit by itself: ${stderr}`).toBe('SIGKILL');
      // From the second round on, the lock the killed child held is found stale (dead pid) and taken over.
      if (round > 0) expect(lines).toContainEqual(expect.stringMatching(/^took-over \d+$/));
      const committed = lines.filter((line) => /^\d+$/.test(line)).map((line) => BigInt(line));
      if (committed.length > 0) acknowledged = committed[committed.length - 1];

      // The file parses as a whole: the old watermark or the new one, never a mix.
      const raw = JSON.parse(
        await readFile(path.join(dir.path, 'watermarks', 'public.vendas.json'), 'utf8').catch(() => 'null'),
      );
      const store = createFileStateStore({ dir: dir.path });
      const watermark = await store.read('public.vendas');
      if (acknowledged === undefined) {
        // Killed before its first commit returned: nothing, or that first commit complete.
        if (watermark !== undefined) expect(watermark.position).toEqual({ id: idOf(next), filler: filler(next) });
      } else {
        expect(watermark).toBeDefined();
        const id = BigInt((watermark!.position.id as string).slice('1000000000000000000000'.length));
        // The last acknowledged commit, or the one in flight when the kill came.
        expect([acknowledged, acknowledged + 1n]).toContain(id);
        expect(watermark!.position).toEqual({ id: idOf(id), filler: filler(id) });
        expect(raw.position).toEqual(watermark!.position);
        // What was read back is durable: the next round starts from it even when its child is killed between a
        // commit and printing the id (so it printed nothing), and a watermark that went back would fail above.
        acknowledged = id;
        next = id + 1n;
      }
      // The history stays readable: at most a torn last line, skipped.
      const history = await store.history('public.vendas', { limit: 1 });
      if (watermark !== undefined) expect(history[0]?.version ?? 0).toBeLessThanOrEqual(watermark.version);
      await store.close();
    }
    expect(acknowledged).toBeDefined(); // the children did commit between kills

    // After all the crashes the store works: a commit goes through and the lock can be taken.
    const store = createFileStateStore({ dir: dir.path });
    const lock = await store.acquireLock('run');
    const after = await store.commit('public.vendas', { id: 'final' }, { runId: 'after-crashes' });
    expect((await store.read('public.vendas'))?.version).toBe(after.version);
    await lock.release();
    await store.close();
  });
});
