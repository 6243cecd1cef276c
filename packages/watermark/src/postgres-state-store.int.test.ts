import { randomBytes } from 'node:crypto';
import { createTestDatabase, pollUntil, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStateStore } from './postgres-state-store.js';
import type { StateEvent, StateStore } from './state-store.js';
import { describeStateStoreContract, stateErrorOf } from './test-support/state-store-contract.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('watermark');
});
afterAll(() => db?.drop());

/** A fresh state schema in the test database; every store opened on it is closed and the schema dropped at the end. */
async function postgresFixture() {
  const schema = `state_${randomBytes(4).toString('hex')}`;
  const events: StateEvent[] = [];
  const opened: StateStore[] = [];
  const open = () => {
    const store = createPostgresStateStore({ url: db.url, schema, onEvent: (event) => events.push(event) });
    opened.push(store);
    return store;
  };
  const store = open();
  return {
    schema,
    store,
    events,
    open,
    openAnother: async () => open(),
    async corruptWatermark(table: string) {
      await db.withClient((client) =>
        client.query(`update "${schema}".watermarks set "position" = '{"id": 42}' where table_name = $1`, [table]),
      );
      return `"${schema}"."watermarks"`;
    },
    async dispose() {
      for (const each of opened) await each.close();
      await db.withClient((client) => client.query(`drop schema if exists "${schema}" cascade`));
    },
  };
}

describeStateStoreContract('postgres store', () => postgresFixture());

describe('postgres store specifics', () => {
  it('creates its schema once when several processes start at the same moment', async () => {
    const state = await postgresFixture();
    try {
      const stores = [state.store, state.open(), state.open(), state.open()];
      await Promise.all(stores.map((store, i) => store.commit(`t${i}`, { id: String(i) }, { runId: 'r' })));
      expect((await state.store.readAll()).map((w) => w.table)).toEqual(['t0', 't1', 't2', 't3']);
      const tables = await db.withClient((client) =>
        client.query<{ table_name: string }>(
          'select table_name from information_schema.tables where table_schema = $1 order by 1',
          [state.schema],
        ),
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual([
        'lock_holders',
        'meta',
        'runs',
        'slot_claims',
        'watermark_history',
        'watermarks',
      ]);
    } finally {
      await state.dispose();
    }
  });

  it('stores every position scalar as a JSON string in jsonb, never as a number', async () => {
    const state = await postgresFixture();
    try {
      await state.store.commit(
        't',
        { id: '123456789012345678901234567890', at: '2024-03-10 02:30:00.123456' },
        { runId: 'r' },
      );
      const types = await db.withClient((client) =>
        client.query(
          `select jsonb_typeof("position"->'id') as id, "position"->>'id' as text from "${state.schema}".watermarks`,
        ),
      );
      expect(types.rows).toEqual([{ id: 'string', text: '123456789012345678901234567890' }]);
    } finally {
      await state.dispose();
    }
  });

  it('names the holding session in LOCK_HELD, and frees the lock when that session dies', async () => {
    const state = await postgresFixture();
    try {
      const lock = await state.store.acquireLock('run', { holder: 'daemon-a' });
      expect(lock.holder.backendPid).toBeGreaterThan(0);
      const other = state.open();
      const error = await stateErrorOf(other.acquireLock('run'));
      expect(error.code).toBe('LOCK_HELD');
      expect(error.holder).toMatchObject({ holder: 'daemon-a', backendPid: lock.holder.backendPid });
      expect(error.message).toContain(`pg_terminate_backend(${lock.holder.backendPid})`);

      // The lock lives exactly as long as its connection.
      await db.withClient((client) => client.query('select pg_terminate_backend($1)', [lock.holder.backendPid]));
      const taken = await other.acquireLock('run', { wait: true, timeoutMs: 10_000, holder: 'daemon-b' });
      expect(taken.holder.holder).toBe('daemon-b');
      await expect.poll(() => state.events.map((event) => event.type)).toContain('lock-lost');
      await lock.release(); // harmless after the loss
      expect((await stateErrorOf(state.store.acquireLock('run'))).message).toContain('"daemon-b"');
      await taken.release();
    } finally {
      await state.dispose();
    }
  });

  it('leaves no backend waiting on the lock once a wait is cancelled or the store closed', async () => {
    const state = await postgresFixture();
    // Ending the connection alone leaves its backend in the lock queue: it would be granted the lock next.
    const waitingBackends = () =>
      db.withClient(async (client) => {
        const result = await client.query<{ n: string }>(
          `select count(*) as n from pg_locks l join pg_stat_activity a using (pid)
           where l.locktype = 'advisory' and not l.granted and a.datname = current_database()`,
        );
        return Number(result.rows[0]?.n);
      });
    try {
      const first = await state.store.acquireLock('run', { holder: 'first' });
      const controller = new AbortController();
      const waiting = state.open().acquireLock('run', { wait: true, signal: controller.signal });
      await expect.poll(waitingBackends, { timeout: 10_000 }).toBe(1);
      controller.abort();
      expect((await stateErrorOf(waiting)).code).toBe('CANCELLED');
      expect(await waitingBackends()).toBe(0);

      const closing = state.open();
      const pending = closing.acquireLock('run', { wait: true });
      await expect.poll(waitingBackends, { timeout: 10_000 }).toBe(1);
      await closing.close();
      expect((await stateErrorOf(pending)).code).toBe('STATE_UNAVAILABLE');
      expect(await waitingBackends()).toBe(0);
      await first.release();
    } finally {
      await state.dispose();
    }
  });

  it('survives its sessions being terminated while it works: errors, never a crash, then it works again', async () => {
    const state = await postgresFixture();
    try {
      await state.store.commit('t', { id: '1' }, { runId: 'r' });
      const terminate = () =>
        db.withClient((client) =>
          client.query(
            `select pg_terminate_backend(pid) from pg_stat_activity
              where datname = current_database() and application_name = 'sluice-state'`,
          ),
        );
      // An error event on a pooled connection that is checked out but between statements (a transaction, or
      // between acquire and query) has no listener but ours: without one, Node ends the process.
      for (let round = 0; round < 30; round++) {
        const work = Promise.allSettled([
          state.store.commit('t', { id: String(round) }, { runId: `r${round}` }),
          state.store.read('t'),
          state.store.listRuns({ limit: 5 }),
          state.store.claimSlot('p', new Date(Date.UTC(2024, 0, 1, 0, round)), 'x'),
        ]);
        await terminate();
        for (const outcome of await work)
          if (outcome.status === 'rejected')
            expect((outcome.reason as { code?: string }).code).toBe('STATE_UNAVAILABLE');
      }
      // A pooled connection the server ended while idle may fail the next statement once; then it works again.
      await expect
        .poll(
          () =>
            state.store.read('t').then(
              () => true,
              () => false,
            ),
          { timeout: 10_000 },
        )
        .toBe(true);
    } finally {
      await state.dispose();
    }
  });

  it('fails a call whose connection is ended under it with STATE_UNAVAILABLE, crashes nothing, and reconnects', async () => {
    const state = await postgresFixture();
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await state.store.listRuns(); // the schema exists
      // Hold the runs table, so the store's next read waits on it with its connection checked out of the pool.
      await blocker.query('begin');
      await blocker.query(`lock table "${state.schema}".runs in access exclusive mode`);
      const reading = stateErrorOf(state.store.listRuns()); // handled from now on: it rejects when its session ends
      const waiting = await pollUntil(
        async () =>
          (
            await blocker.query<{ pid: number }>(
              "select pid from pg_stat_activity where application_name = 'sluice-state' and wait_event_type = 'Lock'",
            )
          ).rows[0]?.pid,
        { what: "the store's read to wait for the table lock" },
      );
      await blocker.query('select pg_terminate_backend($1)', [waiting]);
      expect((await reading).code).toBe('STATE_UNAVAILABLE');
      await blocker.query('rollback');
      // The pool drops the dead connection once its end is seen (a call just before may still get it and fail the
      // same way): the store works again on a new one.
      const runs = await pollUntil(() => state.store.listRuns().catch(() => undefined), {
        what: 'the store to answer again on a new connection',
      });
      expect(runs).toEqual([]);
    } finally {
      await blocker.end();
      await state.dispose();
    }
  });

  it('reports an unreachable server as STATE_UNAVAILABLE naming host:port/db, never the password', async () => {
    const store = createPostgresStateStore({
      url: 'postgres://sluice:s3cr3t-pw@127.0.0.1:1/statedb',
      connectTimeoutMs: 2_000,
    });
    try {
      for (const attempt of [store.read('t'), store.acquireLock('run')]) {
        const error = await stateErrorOf(attempt);
        expect(error.code).toBe('STATE_UNAVAILABLE');
        expect(error.message).toContain('127.0.0.1:1/statedb');
        expect(error.message).not.toContain('s3cr3t-pw');
        expect(JSON.stringify(error)).not.toContain('s3cr3t-pw');
      }
    } finally {
      await store.close();
    }
  });

  it('reports a wrong password as STATE_UNAVAILABLE without echoing it', async () => {
    const url = new URL(db.url);
    url.username = 'no_such_role';
    url.password = 'wrong-pass-xyz';
    const store = createPostgresStateStore({ url: url.toString() });
    try {
      const error = await stateErrorOf(store.read('t'));
      expect(error.code).toBe('STATE_UNAVAILABLE');
      expect(error.message).toContain(`${url.hostname}:${url.port}/${db.name}`);
      expect(error.message).not.toContain('wrong-pass-xyz');
    } finally {
      await store.close();
    }
  });
});
