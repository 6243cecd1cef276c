import { afterEach, describe, expect, it } from 'vitest';
import type { Position } from '../position.js';
import { StateError } from '../state-error.js';
import type { RunRecord, StateEvent, StateStore } from '../state-store.js';

/** One fresh state for one test, opened by the store under test. */
export interface StateFixture {
  readonly store: StateStore;
  /** Events the store reported. */
  readonly events: StateEvent[];
  /** Another store instance on the same state, as a second process would open it. */
  openAnother(): Promise<StateStore>;
  /** Damage the stored watermark of a table; returns a text the CORRUPT_STATE message must contain (where it is). */
  corruptWatermark(table: string): Promise<string>;
  /** Close every store opened and remove the state. */
  dispose(): Promise<void>;
}

/** A promise and the function that resolves it: hand `resolve` to `onWaiting`, await `promise`. */
function waitingSignal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Catch the StateError a promise rejects with (fails the test when it resolves or rejects otherwise). */
export async function stateErrorOf(promise: Promise<unknown>): Promise<StateError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'expected a StateError').toBeInstanceOf(StateError);
  return error as StateError;
}

/**
 * The contract every StateStore keeps, run once per store (like kysely's per-dialect suites). Each test gets a
 * fresh state from `createFixture`.
 */
export function describeStateStoreContract(name: string, createFixture: () => Promise<StateFixture>): void {
  describe(`${name}: the StateStore contract`, () => {
    let fixture: StateFixture | undefined;
    const fresh = async () => {
      fixture = await createFixture();
      return fixture;
    };
    afterEach(async () => {
      await fixture?.dispose();
      fixture = undefined;
    });

    const exact: Position = {
      id: '123456789012345678901234567890',
      updated_at: '2024-03-10 02:30:00.123456+00',
      deleted_at: null,
      first_load: true,
      compound: ['2024-03-10 02:30:00.000001', '-0.000000000000000000000000001', null, { nested: '9007199254740993' }],
      'odd key': 'ünïcødé ✓ \u2028 "quoted" \\ back',
    };

    it('stores a position exactly and reads it back, also from another instance', async () => {
      const { store, openAnother } = await fresh();
      expect(await store.read('public.vendas')).toBeUndefined();
      const committed = await store.commit('public.vendas', exact, { runId: 'run-1', rows: 12, note: 'first load' });
      expect(committed).toMatchObject({ table: 'public.vendas', position: exact, runId: 'run-1', version: 1 });
      expect(committed.committedAt).toBeInstanceOf(Date);
      const read = await store.read('public.vendas');
      expect(read?.position).toStrictEqual(exact);
      expect(read).toMatchObject({ table: 'public.vendas', runId: 'run-1', version: 1 });
      const other = await openAnother();
      expect((await other.read('public.vendas'))?.position).toStrictEqual(exact);
      expect((await other.readAll()).map((w) => w.table)).toEqual(['public.vendas']);

      const second = await store.commit('public.vendas', { id: '123456789012345678901234567891' }, { runId: 'run-2' });
      expect(second.version).toBe(2);
      expect((await other.read('public.vendas'))?.position).toStrictEqual({ id: '123456789012345678901234567891' });
    });

    it('refuses numbers, bigints, Dates and other values that would not come back exactly, and stores nothing', async () => {
      const { store } = await fresh();
      const cases: [unknown, string][] = [
        [{ id: 42 }, 'position.id is the number 42'],
        [{ cursor: ['2024-01-01', 7] }, 'position.cursor[1] is the number 7'],
        [{ a: { b: 1.5 } }, 'position.a.b is the number 1.5'],
        [{ id: 12345678901234567890n }, 'position.id is the bigint'],
        [{ at: new Date('2024-01-01T00:00:00Z') }, 'position.at is a Date'],
        [{ id: undefined }, 'position.id is undefined'],
        [{ id: 'a\u0000b' }, 'NUL'],
        [['1'], 'position must be a JSON object'],
        ['42', 'position must be a JSON object'],
      ];
      for (const [position, message] of cases) {
        const error = await stateErrorOf(store.commit('t', position as Position, { runId: 'r' }));
        expect(error.code).toBe('INVALID_POSITION');
        expect(error.message).toContain(message);
        expect(error.message).toContain('"t"');
      }
      expect(
        (await stateErrorOf(store.commit('t', { id: 42 } as unknown as Position, { runId: 'r' }))).message,
      ).toContain('"42"');
      expect(await store.read('t')).toBeUndefined();
      expect(await store.history('t')).toEqual([]);
    });

    it('keeps the history newest first, resets included, and counts versions across a reset', async () => {
      const { store } = await fresh();
      await store.commit('orders', { id: '1' }, { runId: 'r1', rows: 1 });
      await store.commit('orders', { id: '2' }, { runId: 'r2', rows: 1 });
      expect(await store.reset('orders', { runId: 'r3', reason: 'resync' })).toBe(true);
      expect(await store.read('orders')).toBeUndefined();
      const after = await store.commit('orders', { id: '10' }, { runId: 'r4', note: 'reloaded' });
      expect(after.version).toBe(4);

      const history = await store.history('orders');
      expect(history.map((entry) => [entry.kind, entry.version])).toEqual([
        ['commit', 4],
        ['reset', 3],
        ['commit', 2],
        ['commit', 1],
      ]);
      expect(history[0]).toMatchObject({ kind: 'commit', position: { id: '10' }, runId: 'r4', note: 'reloaded' });
      expect(history[1]).toMatchObject({ kind: 'reset', previous: { id: '2' }, runId: 'r3', reason: 'resync' });
      expect(history[2]).toMatchObject({ kind: 'commit', position: { id: '2' }, runId: 'r2', rows: 1 });
      expect(history.every((entry) => entry.at instanceof Date && entry.table === 'orders')).toBe(true);
      expect((await store.history('orders', { limit: 2 })).map((entry) => entry.version)).toEqual([4, 3]);
      expect(await store.history('never-loaded')).toEqual([]);
      expect((await stateErrorOf(store.history('orders', { limit: 0 }))).code).toBe('INVALID_ARGUMENT');
    });

    it('resets one table and leaves the others alone', async () => {
      const { store } = await fresh();
      await store.commit('a', { id: '1' }, { runId: 'r' });
      await store.commit('b', { id: '2' }, { runId: 'r' });
      await store.commit('c', { id: '3' }, { runId: 'r' });
      expect(await store.reset('b')).toBe(true);
      expect(await store.reset('b')).toBe(false); // nothing left to reset: no second history entry
      expect(await store.reset('unknown')).toBe(false);
      expect((await store.readAll()).map((w) => [w.table, w.position])).toEqual([
        ['a', { id: '1' }],
        ['c', { id: '3' }],
      ]);
      expect((await store.history('b')).map((entry) => entry.kind)).toEqual(['reset', 'commit']);
      expect(await store.history('unknown')).toEqual([]);
    });

    it('keeps tables whose names differ only in case or punctuation apart', async () => {
      const { store } = await fresh();
      const names = ['public.vendas', 'Public.Vendas', 'public vendas', '../escape', 'x/y', 'çà'];
      for (const [index, table] of names.entries()) await store.commit(table, { id: String(index) }, { runId: 'r' });
      for (const [index, table] of names.entries())
        expect((await store.read(table))?.position).toEqual({ id: String(index) });
      expect((await store.readAll()).map((w) => w.table).sort()).toEqual([...names].sort());
      expect((await stateErrorOf(store.read(''))).code).toBe('INVALID_ARGUMENT');
    });

    it('serializes concurrent commits of one table: every version once, the last one kept', async () => {
      const { store } = await fresh();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.commit('t', { id: String(i) }, { runId: `r${i}` })),
      );
      expect(results.map((w) => w.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const last = results.find((w) => w.version === 8);
      expect((await store.read('t'))?.position).toEqual(last?.position);
      expect(await store.history('t')).toHaveLength(8);
    });

    it('rejects a commit without a run id or with a bad row count', async () => {
      const { store } = await fresh();
      expect((await stateErrorOf(store.commit('t', { id: '1' }, { runId: '' }))).code).toBe('INVALID_ARGUMENT');
      expect((await stateErrorOf(store.commit('t', { id: '1' }, { runId: 'r', rows: 1.5 }))).code).toBe(
        'INVALID_ARGUMENT',
      );
      expect(await store.read('t')).toBeUndefined();
    });

    it('gives a held lock to nobody else: LOCK_HELD names the holder; after release it can be taken again', async () => {
      const { store, openAnother } = await fresh();
      const lock = await store.acquireLock('run', { holder: 'scheduler' });
      expect(lock.name).toBe('run');
      expect(lock.holder).toMatchObject({ pid: process.pid, holder: 'scheduler' });

      const other = await openAnother();
      for (const contender of [store, other]) {
        const error = await stateErrorOf(contender.acquireLock('run', { holder: 'cli' }));
        expect(error.code).toBe('LOCK_HELD');
        expect(error.lock).toBe('run');
        expect(error.message).toContain('"run"');
        expect(error.message).toContain('"scheduler"');
        expect(error.message).toContain(`pid ${process.pid}`);
        expect(error.holder).toMatchObject({ pid: process.pid, holder: 'scheduler' });
      }
      const unrelated = await other.acquireLock('another-lock');
      await unrelated.release();

      await lock.release();
      await lock.release(); // a second release is a no-op
      const again = await other.acquireLock('run', { holder: 'cli' });
      expect((await stateErrorOf(store.acquireLock('run'))).message).toContain('"cli"');
      await again.release();
    });

    it('with wait, queues behind the holder and gets the lock once it is released', async () => {
      const { store, openAnother } = await fresh();
      const first = await store.acquireLock('run', { holder: 'first' });
      const other = await openAnother();
      let settled = false;
      const found = waitingSignal();
      const waiting = other
        .acquireLock('run', { wait: true, timeoutMs: 60_000, holder: 'second', onWaiting: found.resolve })
        .finally(() => {
          settled = true;
        });
      await found.promise; // it has found the lock held and waits
      expect(settled).toBe(false); // it cannot have the lock while `first` holds it
      const third = await stateErrorOf(store.acquireLock('run', { holder: 'third' }));
      expect(third.message).toContain('"first"'); // the waiter took nothing
      await first.release();
      const second = await waiting;
      expect(second.holder.holder).toBe('second');
      expect((await stateErrorOf(store.acquireLock('run'))).message).toContain('"second"');
      await second.release();
    });

    it('with wait and a timeout, gives up with LOCK_HELD once the timeout passes', async () => {
      const { store, openAnother } = await fresh();
      const first = await store.acquireLock('run', { holder: 'first' });
      const other = await openAnother();
      const error = await stateErrorOf(other.acquireLock('run', { wait: true, timeoutMs: 300 }));
      expect(error.code).toBe('LOCK_HELD');
      expect(error.message).toContain('after waiting 300 ms');
      expect(error.message).toContain('"first"');
      await first.release();
    });

    it('stops waiting for a lock when the signal aborts (CANCELLED) or the store closes, and takes nothing', async () => {
      const { store, openAnother } = await fresh();
      const first = await store.acquireLock('run', { holder: 'first' });

      // Aborted while it waits.
      const waiter = await openAnother();
      const controller = new AbortController();
      const found = waitingSignal();
      const waiting = waiter.acquireLock('run', { wait: true, signal: controller.signal, onWaiting: found.resolve });
      await found.promise;
      controller.abort();
      const error = await stateErrorOf(waiting);
      expect(error.code).toBe('CANCELLED');
      expect(error.message).toContain('"run"');
      expect((await stateErrorOf(waiter.acquireLock('run', { signal: controller.signal }))).code).toBe('CANCELLED');

      // Aborted before it could start waiting (a fresh instance still preparing its state).
      const early = new AbortController();
      const beforeWaiting = (await openAnother()).acquireLock('run', { wait: true, signal: early.signal });
      early.abort();
      expect((await stateErrorOf(beforeWaiting)).code).toBe('CANCELLED');

      // Its store closed while it waits, and before it could start waiting.
      const closing = await openAnother();
      const closingFound = waitingSignal();
      const pending = closing.acquireLock('run', { wait: true, onWaiting: closingFound.resolve });
      await closingFound.promise;
      await closing.close();
      expect((await stateErrorOf(pending)).code).toBe('STATE_UNAVAILABLE');
      const closedEarly = await openAnother();
      const pendingEarly = closedEarly.acquireLock('run', { wait: true });
      await closedEarly.close();
      expect((await stateErrorOf(pendingEarly)).code).toBe('STATE_UNAVAILABLE');

      await first.release();
      const next = await waiter.acquireLock('run', { holder: 'next' }); // none of the stopped waiters holds it
      await next.release();
    });

    it('releases its locks on close', async () => {
      const { store, openAnother } = await fresh();
      const other = await openAnother();
      await other.acquireLock('run');
      await other.close();
      const lock = await store.acquireLock('run');
      await lock.release();
    });

    it('gives a schedule slot to exactly one of several concurrent claimers, across instances too', async () => {
      const { store, openAnother } = await fresh();
      const other = await openAnother();
      const slot = new Date('2024-03-10T02:00:00.000Z');
      const sameStore = await Promise.all([store.claimSlot('daily', slot, 'a'), store.claimSlot('daily', slot, 'b')]);
      expect(sameStore.filter(Boolean)).toHaveLength(1);
      expect(await other.claimSlot('daily', slot, 'c')).toBe(false);

      const next = new Date('2024-03-11T02:00:00.000Z');
      const claims = await Promise.all([
        store.claimSlot('daily', next, 'a'),
        other.claimSlot('daily', next, 'b'),
        other.claimSlot('daily', next, 'c'),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimSlot('hourly', next, 'a')).toBe(true);
    });

    it('saves, updates, lists and prunes runs', async () => {
      const { store, openAnother } = await fresh();
      const day = (n: number) => new Date(Date.UTC(2024, 2, n, 2, 0, 0, 123));
      const started: RunRecord = { id: 'run-2', trigger: 'schedule', status: 'running', startedAt: day(2), detail: {} };
      await store.saveRun({
        id: 'run-1',
        trigger: 'manual',
        status: 'failed',
        startedAt: day(1),
        endedAt: day(1),
        detail: { error: { code: 'X', message: 'boom' } },
      });
      await store.saveRun(started);
      await store.saveRun({ id: 'run-3', trigger: 'schedule', status: 'running', startedAt: day(3), detail: {} });
      expect(await store.getRun('run-2')).toEqual(started);

      const detail = {
        tables: { 'public.vendas': { rows: 1200, bytes: 48_000, seconds: 1.25, window: ['1', '1200'] } },
        models: [],
        note: null,
      };
      await store.saveRun({ ...started, status: 'success', endedAt: day(2), detail });
      const finished = await (await openAnother()).getRun('run-2');
      expect(finished).toEqual({ ...started, status: 'success', endedAt: day(2), detail });
      expect(await store.getRun('missing')).toBeUndefined();

      expect((await store.listRuns()).map((run) => run.id)).toEqual(['run-3', 'run-2', 'run-1']);
      expect((await store.listRuns({ limit: 2 })).map((run) => run.id)).toEqual(['run-3', 'run-2']);
      expect((await store.listRuns({ status: 'running' })).map((run) => run.id)).toEqual(['run-3']);

      const badDetail = {
        id: 'run-4',
        trigger: 'x',
        status: 'running',
        startedAt: day(4),
        detail: { seconds: Number.NaN },
      } as const;
      expect((await stateErrorOf(store.saveRun(badDetail))).code).toBe('INVALID_ARGUMENT');
      expect((await stateErrorOf(store.saveRun({ ...started, status: 'weird' as 'running' }))).code).toBe(
        'INVALID_ARGUMENT',
      );

      expect(await store.claimSlot('daily', day(1), 'a')).toBe(true);
      expect(await store.claimSlot('daily', day(3), 'a')).toBe(true);
      expect(await store.pruneRuns(day(2))).toBe(1); // run-1 only: run-2 started exactly at the cut
      expect((await store.listRuns()).map((run) => run.id)).toEqual(['run-3', 'run-2']);
      expect(await store.claimSlot('daily', day(1), 'b')).toBe(true); // its old claim was pruned
      expect(await store.claimSlot('daily', day(3), 'b')).toBe(false); // a recent one was kept
    });

    it('pages through the run history with `before`, newest first, ties broken by id, with a status filter', async () => {
      const { store, openAnother } = await fresh();
      const at = (minute: number) => new Date(Date.UTC(2024, 2, 10, 6, minute, 0, 0));
      const runs: RunRecord[] = [];
      for (let i = 0; i < 25; i++) {
        // Two runs share each start: the id decides their order.
        runs.push({
          id: `r${String(i).padStart(2, '0')}`,
          trigger: 'schedule',
          status: i % 5 === 0 ? 'failed' : 'success',
          startedAt: at(Math.floor(i / 2)),
          endedAt: at(Math.floor(i / 2)),
          detail: {},
        });
      }
      for (const run of runs) await store.saveRun(run);
      const expected = [...runs].reverse().map((run) => run.id);
      const other = await openAnother();
      for (const reader of [store, other]) {
        const seen: string[] = [];
        let page = await reader.listRuns({ limit: 7 });
        while (page.length > 0) {
          seen.push(...page.map((run) => run.id));
          page = await reader.listRuns({ limit: 7, before: page.at(-1) });
        }
        expect(seen).toEqual(expected);
        const failed = await reader.listRuns({ status: 'failed', before: { startedAt: at(10), id: 'r20' }, limit: 2 });
        expect(failed.map((run) => run.id)).toEqual(['r15', 'r10']);
      }
      expect((await stateErrorOf(store.listRuns({ before: { startedAt: new Date(Number.NaN), id: 'x' } }))).code).toBe(
        'INVALID_ARGUMENT',
      );
      expect((await stateErrorOf(store.listRuns({ status: 'weird' as 'running' }))).code).toBe('INVALID_ARGUMENT');
    });

    it('replaces a run only while it has the expected status (ifStatus), and keeps abandoned runs', async () => {
      const { store, openAnother } = await fresh();
      const startedAt = new Date(Date.UTC(2024, 2, 10, 6, 0, 0, 5));
      const running: RunRecord = { id: 'live', trigger: 'api', status: 'running', startedAt, detail: { step: 'a' } };
      await store.saveRun(running);
      const other = await openAnother();
      await other.listRuns(); // the other instance has seen it running
      const abandoned: RunRecord = { ...running, status: 'abandoned', endedAt: new Date(startedAt.getTime() + 1000) };
      expect(await other.saveRun(abandoned, { ifStatus: 'running' })).toBe(true);
      expect(await store.getRun('live')).toEqual(abandoned);
      expect((await store.listRuns({ status: 'abandoned' })).map((run) => run.id)).toEqual(['live']);
      expect(await other.listRuns({ status: 'running' })).toEqual([]);
      // It has ended: a second look changes nothing, and neither does a stale writer.
      const success: RunRecord = { ...running, status: 'success', endedAt: abandoned.endedAt as Date };
      expect(await store.saveRun(success, { ifStatus: 'running' })).toBe(false);
      expect(await store.getRun('live')).toEqual(abandoned);
      expect(await store.saveRun({ ...running, id: 'never-saved' }, { ifStatus: 'running' })).toBe(false);
      expect(await store.getRun('never-saved')).toBeUndefined();
      expect(await store.saveRun(success)).toBe(true); // without ifStatus: insert or replace
      expect((await other.getRun('live'))?.status).toBe('success');
      expect((await other.listRuns()).map((run) => [run.id, run.status])).toEqual([['live', 'success']]);
    });

    it('reports a corrupted watermark as CORRUPT_STATE naming where it is, and a reset clears it', async () => {
      const { store } = await fresh();
      await store.commit('public.clientes', { id: '5' }, { runId: 'r1' });
      await store.commit('other', { id: '1' }, { runId: 'r1' });
      const where = await fixture!.corruptWatermark('public.clientes');
      // One at a time: a second call started early could reject before anything awaits it (an unhandled rejection).
      for (const attempt of [() => store.read('public.clientes'), () => store.readAll()]) {
        const error = await stateErrorOf(attempt());
        expect(error.code).toBe('CORRUPT_STATE');
        expect(error.message).toContain(where);
        expect(error.message).toContain('sluice state reset --table public.clientes');
      }
      expect(await store.reset('public.clientes', { reason: 'corrupt' })).toBe(true);
      expect(await store.read('public.clientes')).toBeUndefined();
      const next = await store.commit('public.clientes', { id: '6' }, { runId: 'r2' });
      expect(next.version).toBeGreaterThan(1);
      expect((await store.read('other'))?.position).toEqual({ id: '1' });
    });
  });
}
