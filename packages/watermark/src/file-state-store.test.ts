import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTempDir } from '@sluice/testing';
import { describe, expect, it } from 'vitest';
import { createFileStateStore } from './file-state-store.js';
import type { StateEvent, StateStore } from './state-store.js';
import { describeStateStoreContract, stateErrorOf } from './test-support/state-store-contract.js';

async function fileFixture(extra: { staleLockAfterMs?: number } = {}) {
  const dir = await createTempDir('sluice-state-');
  const events: StateEvent[] = [];
  const opened: StateStore[] = [];
  const open = () => {
    const store = createFileStateStore({ dir: dir.path, onEvent: (event) => events.push(event), ...extra });
    opened.push(store);
    return store;
  };
  const store = open();
  return {
    dir: dir.path,
    store,
    events,
    openAnother: async () => open(),
    async corruptWatermark(table: string) {
      const file = path.join(dir.path, 'watermarks', `${table}.json`);
      await writeFile(file, '{"format": 1, "table": "public.clientes", "version": 1, "posit');
      return file;
    },
    async dispose() {
      for (const each of opened) await each.close();
      await dir.remove();
    },
  };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not start a child process');
  return child.pid;
}

describeStateStoreContract('file store', () => fileFixture());

describe('file store on disk', () => {
  it('keeps one readable JSON file per table and a JSONL history, and leaves no temp files behind', async () => {
    const state = await fileFixture();
    try {
      await state.store.commit('public.vendas', { id: '1' }, { runId: 'r1' });
      await state.store.commit('public.vendas', { id: '2' }, { runId: 'r2' });
      await state.store.commit('Mixed Case', { id: '3' }, { runId: 'r3' });
      const watermarkFiles = await readdir(path.join(state.dir, 'watermarks'));
      expect(watermarkFiles).toHaveLength(2);
      expect(watermarkFiles).toContain('public.vendas.json');
      expect(watermarkFiles.find((name) => name !== 'public.vendas.json')).toMatch(/^mixed_case~[0-9a-f]{12}\.json$/);
      const record = JSON.parse(await readFile(path.join(state.dir, 'watermarks', 'public.vendas.json'), 'utf8'));
      expect(record).toMatchObject({
        format: 1,
        table: 'public.vendas',
        version: 2,
        position: { id: '2' },
        runId: 'r2',
      });
      const lines = (await readFile(path.join(state.dir, 'history', 'public.vendas.jsonl'), 'utf8')).trim().split('\n');
      expect(lines.map((line) => JSON.parse(line).version)).toEqual([1, 2]);
    } finally {
      await state.dispose();
    }
  });

  it('takes over a lock left by a dead process on this host, and says so', async () => {
    const state = await fileFixture();
    try {
      await mkdir(path.join(state.dir, 'locks'), { recursive: true });
      const pid = deadPid();
      const stale = {
        format: 1,
        lock: 'run',
        token: 'dead',
        pid,
        host: os.hostname(),
        since: '2024-01-01T00:00:00.000Z',
        holder: 'crashed run',
      };
      await writeFile(path.join(state.dir, 'locks', 'run.lock'), JSON.stringify(stale));
      const lock = await state.store.acquireLock('run', { holder: 'new run' });
      expect(lock.holder.pid).toBe(process.pid);
      expect(state.events).toEqual([
        expect.objectContaining({
          type: 'lock-taken-over',
          lock: 'run',
          previous: expect.objectContaining({ pid, holder: 'crashed run' }),
        }),
      ]);
      expect((state.events[0] as { reason: string }).reason).toContain(`process ${pid}`);
      const onDisk = JSON.parse(await readFile(path.join(state.dir, 'locks', 'run.lock'), 'utf8'));
      expect(onDisk).toMatchObject({ pid: process.pid, holder: 'new run' });
      await lock.release();
      await expect(stat(path.join(state.dir, 'locks', 'run.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await state.dispose();
    }
  });

  it('never judges a lock from another host stale by its pid; with staleLockAfterMs, by its age', async () => {
    const plain = await fileFixture();
    const aged = await fileFixture({ staleLockAfterMs: 60_000 });
    try {
      for (const state of [plain, aged]) {
        await mkdir(path.join(state.dir, 'locks'), { recursive: true });
        const foreign = {
          format: 1,
          lock: 'run',
          token: 'far',
          pid: deadPid(),
          host: 'some-other-host',
          since: '2024-01-01T00:00:00.000Z',
        };
        const file = path.join(state.dir, 'locks', 'run.lock');
        await writeFile(file, JSON.stringify(foreign));
        const error = await stateErrorOf(state.store.acquireLock('run'));
        expect(error.code).toBe('LOCK_HELD');
        expect(error.message).toContain('on host some-other-host');
        expect(error.message).toContain(file);
        // Not refreshed for two hours: stale only where staleLockAfterMs is set.
        const old = new Date(Date.now() - 2 * 3600_000);
        await utimes(file, old, old);
      }
      expect((await stateErrorOf(plain.store.acquireLock('run'))).code).toBe('LOCK_HELD');
      const lock = await aged.store.acquireLock('run');
      expect(aged.events.map((event) => event.type)).toEqual(['lock-taken-over']);
      await lock.release();
    } finally {
      await plain.dispose();
      await aged.dispose();
    }
  });

  it('does not remove a lock on release once someone else owns it, and reports the loss', async () => {
    const state = await fileFixture();
    try {
      const lock = await state.store.acquireLock('run');
      const file = path.join(state.dir, 'locks', 'run.lock');
      const usurper = {
        format: 1,
        lock: 'run',
        token: 'other',
        pid: process.pid,
        host: 'elsewhere',
        since: new Date().toISOString(),
      };
      await writeFile(file, JSON.stringify(usurper));
      await lock.release();
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ token: 'other' });
      expect(state.events).toEqual([expect.objectContaining({ type: 'lock-lost', lock: 'run' })]);
    } finally {
      await state.dispose();
    }
  });

  it('refuses an unreadable lock file with a message saying which file to delete', async () => {
    const state = await fileFixture();
    try {
      await mkdir(path.join(state.dir, 'locks'), { recursive: true });
      const file = path.join(state.dir, 'locks', 'run.lock');
      await writeFile(file, 'garbage');
      const error = await stateErrorOf(state.store.acquireLock('run'));
      expect(error.code).toBe('LOCK_HELD');
      expect(error.message).toContain(`delete that file`);
      expect(error.message).toContain(file);
    } finally {
      await state.dispose();
    }
  });

  it('skips a history line torn by a crash, reports it, and starts the next entry on a line of its own', async () => {
    const state = await fileFixture();
    try {
      await state.store.commit('t', { id: '1' }, { runId: 'r1' });
      const history = path.join(state.dir, 'history', 't.jsonl');
      await writeFile(history, `${await readFile(history, 'utf8')}{"kind":"commit","table":"t","vers`);
      await state.store.commit('t', { id: '2' }, { runId: 'r2' });
      expect((await state.store.history('t')).map((entry) => entry.version)).toEqual([2, 1]);
      expect(state.events).toEqual([expect.objectContaining({ type: 'history-line-skipped', file: history, line: 2 })]);
    } finally {
      await state.dispose();
    }
  });

  it('reports a corrupted run file as CORRUPT_STATE naming the file', async () => {
    const state = await fileFixture();
    try {
      await state.store.saveRun({
        id: 'run-1',
        trigger: 'manual',
        status: 'running',
        startedAt: new Date(),
        detail: {},
      });
      const file = path.join(state.dir, 'runs', 'run-1.json');
      await writeFile(file, '{"format":1,"id":"run-1",');
      const error = await stateErrorOf(state.store.listRuns());
      expect(error.code).toBe('CORRUPT_STATE');
      expect(error.file).toBe(file);
      expect(error.message).toContain(file);
    } finally {
      await state.dispose();
    }
  });

  it('reports a state directory it cannot write as STATE_UNAVAILABLE naming the path', async () => {
    const state = await fileFixture();
    try {
      // A file where the state directory should be: no user (root included) can create entries below it.
      const blocked = path.join(state.dir, 'not-a-dir');
      await writeFile(blocked, '');
      const store = createFileStateStore({ dir: blocked });
      const error = await stateErrorOf(store.commit('t', { id: '1' }, { runId: 'r' }));
      expect(error.code).toBe('STATE_UNAVAILABLE');
      expect(error.message).toContain(blocked);
    } finally {
      await state.dispose();
    }
  });
});
