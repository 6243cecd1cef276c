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

/**
 * Run the child until it has taken the lock and acknowledged `commits` commits, then SIGKILL it after `jitterMs`
 * more (the kill point is random on purpose: the property holds at any point, so no wait here needs to be long
 * enough for anything); every line it printed.
 */
function killChildAfter(dir: string, first: bigint, commits: number, jitterMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [child, path.join(buildDir, 'index.js'), dir, 'public.vendas', String(first), acknowledgements(dir)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    let armed = false;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (armed || !out.includes('ready\n')) return;
      const acknowledged = out
        .slice(out.indexOf('ready\n'))
        .split('\n')
        .filter((line) => /^\d+$/.test(line));
      if (acknowledged.length < commits) return;
      armed = true;
      setTimeout(() => proc.kill('SIGKILL'), jitterMs);
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', reject);
    proc.on('close', (_code, signal) => {
      if (!armed) reject(new Error(`the crash child exited before it was killed: ${err}`));
      else resolve({ lines: out.split('\n').filter(Boolean), signal, stderr: err });
    });
  });
}

/** Where the children record each commit once it has returned (see __fixtures__/commit-loop.mjs). */
const acknowledgements = (dir: string) => path.join(dir, 'acknowledged.log');

/** The last commit a child recorded as returned, from the file (what the children durably acknowledged). */
async function lastAcknowledged(dir: string): Promise<bigint | undefined> {
  const text = await readFile(acknowledgements(dir), 'utf8').catch(() => '');
  const ids = text.split('\n').filter((line) => /^\d+$/.test(line));
  return ids.length === 0 ? undefined : BigInt(ids[ids.length - 1]!);
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
    let next = 1n; // the id the next child commits first: one past the watermark the last round left
    // Kill points at random — after 0 to 3 acknowledged commits, then 0 to 30 ms on: the property must hold
    // whatever the point, so randomness cannot make it flaky.
    const rounds = Array.from({ length: 16 }, (_, i) => ({
      commits: i === 0 ? 0 : Math.floor(Math.random() * 4),
      jitterMs: i === 0 ? 0 : Math.floor(Math.random() * 30),
    }));
    for (const [round, { commits, jitterMs }] of rounds.entries()) {
      const { lines, signal, stderr } = await killChildAfter(dir.path, next, commits, jitterMs);
      expect(signal, `the child should have been killed, not exit by itself: ${stderr}`).toBe('SIGKILL');
      // From the second round on, the lock the killed child held is found stale (dead pid) and taken over.
      if (round > 0) expect(lines).toContainEqual(expect.stringMatching(/^took-over \d+$/));
      // What is known to be committed: the last commit a child acknowledged, or the watermark the last round
      // left, whichever is later (0: nothing yet).
      const acknowledged = (await lastAcknowledged(dir.path)) ?? 0n;
      const known = acknowledged > next - 1n ? acknowledged : next - 1n;

      // The file parses as a whole: the old watermark or the new one, never a mix.
      const raw = JSON.parse(
        await readFile(path.join(dir.path, 'watermarks', 'public.vendas.json'), 'utf8').catch(() => 'null'),
      );
      const store = createFileStateStore({ dir: dir.path });
      const watermark = await store.read('public.vendas');
      if (watermark === undefined) {
        expect(known, 'a commit was acknowledged, so a watermark must be there').toBe(0n);
      } else {
        const id = BigInt((watermark.position.id as string).slice('1000000000000000000000'.length));
        // The last known commit, or the one after it: committed (or in flight) when the kill came.
        expect([known, known + 1n]).toContain(id);
        expect(watermark.position).toEqual({ id: idOf(id), filler: filler(id) });
        expect(raw.position).toEqual(watermark.position);
        next = id + 1n;
      }
      // The history stays readable: at most a torn last line, skipped.
      const history = await store.history('public.vendas', { limit: 1 });
      if (watermark !== undefined) expect(history[0]?.version ?? 0).toBeLessThanOrEqual(watermark.version);
      await store.close();
    }
    expect(await lastAcknowledged(dir.path)).toBeDefined(); // the children did commit between kills

    // After all the crashes the store works: a commit goes through and the lock can be taken.
    const store = createFileStateStore({ dir: dir.path });
    const lock = await store.acquireLock('run');
    const after = await store.commit('public.vendas', { id: 'final' }, { runId: 'after-crashes' });
    expect((await store.read('public.vendas'))?.version).toBe(after.version);
    await lock.release();
    await store.close();
  });
});
