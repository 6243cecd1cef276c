import os from 'node:os';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { advisoryLockKey } from './advisory-lock-key.js';
import { assertPosition, type JsonObject, type Position } from './position.js';
import { checkPostgresStateOptions, type PostgresStateStoreOptions } from './postgres-state-options.js';
import { ensureStateSchema, quoteIdent, type StateDatabase } from './postgres-state-schema.js';
import { assertCommitMeta, assertLimit, assertListRunsOptions, assertRunRecord, isValidDate } from './run-record.js';
import { describeHolder, StateError, type LockHolder } from './state-error.js';
import { assertStateName } from './state-name.js';
import type {
  CommitMeta,
  LockOptions,
  ResetMeta,
  RunRecord,
  RunStatus,
  StateLock,
  StateStore,
  Watermark,
  WatermarkHistoryEntry,
} from './state-store.js';

export type { PostgresStateStoreOptions };

/**
 * A state store in a Postgres schema (via kysely and a small pg pool). Commits are one transaction (current row +
 * history row); locks are session advisory locks, each held on a connection of its own until released.
 *
 * @example
 * const store = createPostgresStateStore({ url: process.env.STATE_URL!, schema: 'sluice_state' });
 */
export function createPostgresStateStore(options: PostgresStateStoreOptions): StateStore {
  const schema = checkPostgresStateOptions(options);
  const target = describePostgresTarget(options.url);
  const secrets = urlSecrets(options.url);
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 4,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'sluice-state',
  });
  pool.on('error', () => undefined); // an idle connection dropped by the server: the pool replaces it
  // A connection that dies while checked out (the server restarts, an administrator ends the session) emits 'error'
  // on its client, which the pool listens to only while the client is idle: unheard, it would crash the process.
  // The statement under way fails with the error, and the pool replaces the connection.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<StateDatabase>({ dialect: new PostgresDialect({ pool }) }).withSchema(schema);
  const qualified = (table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;

  /** Wrap a driver error once, at the boundary: where (host:port/db, never the password) and what failed. */
  const unavailable = (action: string, error: unknown): StateError => {
    if (error instanceof StateError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    const raw = error instanceof Error ? error.message || String(code ?? error.name) : String(error);
    let detail = raw;
    for (const secret of secrets) detail = detail.split(secret).join('***');
    const message = isConnectionFailure(error)
      ? `The Postgres state store at ${target} cannot be reached (${detail}), so Sluice could not ${action}. ` +
        'Check that the server is running and reachable from here, and that the state URL (user, password, database) is right.'
      : `The Postgres state store at ${target} (schema "${schema}") could not ${action}: ${detail}.` +
        (code === '42501'
          ? ` Grant the state user CREATE on the database, or have an administrator create the schema "${schema}" by running Sluice once with a user that may.`
          : '');
    return new StateError('STATE_UNAVAILABLE', message, { cause: error });
  };

  let closed = false;
  let ready: Promise<void> | undefined;
  const prepare = async (action: string): Promise<void> => {
    if (closed)
      throw new StateError('STATE_UNAVAILABLE', `The Postgres state store at ${target} is closed; cannot ${action}.`);
    ready ??= ensureStateSchema(db, schema).catch((error: unknown) => {
      ready = undefined; // try again on the next call
      throw error;
    });
    try {
      await ready;
    } catch (error) {
      throw unavailable(isConnectionFailure(error) ? action : `prepare its tables (to ${action})`, error);
    }
  };
  const run = async <T>(action: string, work: () => Promise<T>): Promise<T> => {
    await prepare(action);
    try {
      return await work();
    } catch (error) {
      throw unavailable(action, error);
    }
  };

  const corrupt = (table: string, why: string, cause: unknown): StateError =>
    new StateError(
      'CORRUPT_STATE',
      `The row for table ${JSON.stringify(table)} in ${qualified('watermarks')} at ${target} is corrupt (${why}). ` +
        `Sluice never writes such a position, so something else changed it. Fix the row from ${qualified('watermark_history')}, ` +
        `or run \`sluice state reset --table ${table}\` to reload the table from scratch.`,
      { table, cause },
    );

  const toWatermark = (row: {
    table_name: string;
    position: Position | null;
    version: string;
    run_id: string | null;
    committed_at: Date;
  }): Watermark | undefined => {
    if (row.position === null) return undefined;
    try {
      assertPosition(row.position, row.table_name);
    } catch (error) {
      throw corrupt(row.table_name, (error as Error).message, error);
    }
    return {
      table: row.table_name,
      position: row.position,
      runId: row.run_id ?? '',
      committedAt: row.committed_at,
      version: Number(row.version),
    };
  };

  const toRun = (row: StateDatabase['runs']): RunRecord => ({
    id: row.id,
    trigger: row.trigger,
    status: row.status as RunStatus,
    startedAt: row.started_at,
    ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
    detail: (row.detail ?? {}) as JsonObject,
  });

  const heldLocks = new Set<{ release(): Promise<void> }>();
  /** Lock connections still connecting or waiting, each with what stops it; close() stops them. */
  const pendingLocks = new Map<pg.Client, () => Promise<void>>();

  /** Who holds an advisory lock right now: the session in pg_locks, with the holder row it wrote if it did. */
  const findHolder = async (name: string, classid: string, objid: string): Promise<LockHolder | undefined> => {
    const result = await sql<{
      backend_pid: number;
      holder: string | null;
      pid: number | null;
      host: string | null;
      since: Date | null;
      client: string | null;
      backend_start: Date | null;
    }>`
      select l.pid as backend_pid, h.holder, h.pid, h.host, h.since, host(a.client_addr) as client, a.backend_start
      from pg_locks l
      left join ${sql.table(`${schema}.lock_holders`)} h on h.name = ${name} and h.backend_pid = l.pid
      left join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())
        and l.classid = ${classid}::oid and l.objid = ${objid}::oid and l.objsubid = 1
      limit 1`.execute(db);
    const row = result.rows[0];
    if (row === undefined) return undefined;
    if (row.pid !== null && row.host !== null && row.since !== null) {
      return {
        pid: row.pid,
        host: row.host,
        since: row.since,
        backendPid: row.backend_pid,
        ...(row.holder === null ? {} : { holder: row.holder }),
      };
    }
    return {
      pid: 0,
      host: row.client ?? 'unknown',
      since: row.backend_start ?? new Date(),
      backendPid: row.backend_pid,
      holder: 'a Postgres session that recorded no holder',
    };
  };

  return {
    async read(table) {
      assertStateName('table', table);
      const row = await run(`read the watermark of ${JSON.stringify(table)}`, () =>
        db.selectFrom('watermarks').selectAll().where('table_name', '=', table).executeTakeFirst(),
      );
      return row === undefined ? undefined : toWatermark(row);
    },

    async readAll() {
      const rows = await run('read the watermarks', () =>
        db
          .selectFrom('watermarks')
          .selectAll()
          .where('position', 'is not', null)
          .orderBy(sql`table_name collate "C"`)
          .execute(),
      );
      return rows.map(toWatermark).filter((watermark): watermark is Watermark => watermark !== undefined);
    },

    async commit(table, position, meta: CommitMeta) {
      assertStateName('table', table);
      assertPosition(position, table);
      assertCommitMeta(meta, table);
      const json = JSON.stringify(position);
      return run(`commit the watermark of ${JSON.stringify(table)}`, () =>
        db.transaction().execute(async (trx) => {
          const result = await sql<{ version: string; committed_at: Date; position: Position }>`
            insert into ${sql.raw(qualified('watermarks'))} as w (table_name, "position", version, run_id, committed_at)
            values (${table}, cast(${json} as jsonb), 1, ${meta.runId}, now())
            on conflict (table_name) do update
              set "position" = excluded."position", version = w.version + 1, run_id = excluded.run_id, committed_at = excluded.committed_at
            returning version, committed_at, "position"`.execute(trx);
          const row = result.rows[0];
          if (row === undefined) throw new Error('the watermark upsert returned no row');
          await trx
            .insertInto('watermark_history')
            .values({
              table_name: table,
              version: row.version,
              kind: 'commit',
              position: sql<Position>`cast(${json} as jsonb)`,
              run_id: meta.runId,
              rows: meta.rows === undefined ? null : String(meta.rows),
              note: meta.note ?? null,
              reason: null,
              at: row.committed_at,
            })
            .execute();
          return {
            table,
            position: row.position,
            runId: meta.runId,
            committedAt: row.committed_at,
            version: Number(row.version),
          };
        }),
      );
    },

    async reset(table, meta: ResetMeta = {}) {
      assertStateName('table', table);
      return run(`reset the watermark of ${JSON.stringify(table)}`, () =>
        db.transaction().execute(async (trx) => {
          const current = await trx
            .selectFrom('watermarks')
            .select(['position', 'version'])
            .where('table_name', '=', table)
            .forUpdate()
            .executeTakeFirst();
          if (current === undefined || current.position === null) return false;
          const updated = await trx
            .updateTable('watermarks')
            .set({
              position: null,
              version: sql<string>`version + 1`,
              run_id: meta.runId ?? null,
              committed_at: sql<Date>`now()`,
            })
            .where('table_name', '=', table)
            .returning(['version', 'committed_at'])
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('watermark_history')
            .values({
              table_name: table,
              version: updated.version,
              kind: 'reset',
              position: sql<Position>`cast(${JSON.stringify(current.position)} as jsonb)`,
              run_id: meta.runId ?? null,
              rows: null,
              note: null,
              reason: meta.reason ?? null,
              at: updated.committed_at,
            })
            .execute();
          return true;
        }),
      );
    },

    async history(table, historyOptions = {}) {
      assertStateName('table', table);
      const limit = assertLimit(historyOptions.limit);
      const rows = await run(`read the watermark history of ${JSON.stringify(table)}`, () => {
        let query = db
          .selectFrom('watermark_history')
          .selectAll()
          .where('table_name', '=', table)
          .orderBy('id', 'desc');
        if (limit !== undefined) query = query.limit(limit);
        return query.execute();
      });
      return rows.map(
        (row): WatermarkHistoryEntry =>
          row.kind === 'commit'
            ? {
                kind: 'commit',
                table,
                version: Number(row.version),
                position: row.position ?? {},
                runId: row.run_id ?? '',
                at: row.at,
                ...(row.rows === null ? {} : { rows: Number(row.rows) }),
                ...(row.note === null ? {} : { note: row.note }),
              }
            : {
                kind: 'reset',
                table,
                version: Number(row.version),
                ...(row.position === null ? {} : { previous: row.position }),
                ...(row.run_id === null ? {} : { runId: row.run_id }),
                ...(row.reason === null ? {} : { reason: row.reason }),
                at: row.at,
              },
      );
    },

    async acquireLock(name, lockOptions: LockOptions = {}) {
      assertStateName('lock', name);
      const cancelled = () =>
        new StateError(
          'CANCELLED',
          `Stopped waiting for the state lock ${JSON.stringify(name)}: the wait was cancelled.`,
          { lock: name },
        );
      const aborted = () => lockOptions.signal?.aborted === true; // a function: the flag changes while we wait
      if (aborted()) throw cancelled();
      await prepare(`take the lock ${JSON.stringify(name)}`);
      const { key, classid, objid } = advisoryLockKey(schema, 'lock', name);
      const wait = lockOptions.wait === true && !(lockOptions.timeoutMs !== undefined && lockOptions.timeoutMs <= 0);
      // A connection of its own: a session advisory lock lives exactly as long as the session that took it.
      const client = new pg.Client({
        connectionString: options.url,
        application_name: `sluice-lock:${name}`.slice(0, 63),
        keepAlive: true,
        connectionTimeoutMillis: connectTimeoutMs,
      });
      let held = false;
      let lost = false;
      const onLost = (reason: string) => {
        if (!held || lost) return;
        lost = true;
        options.onEvent?.({ type: 'lock-lost', lock: name, reason });
      };
      client.on('error', (error) =>
        onLost(`its Postgres connection failed (${unavailable('hold the lock', error).message})`),
      );
      client.on('end', () => onLost('its Postgres connection ended'));
      // Aborting (or closing the store) cancels a pg_advisory_lock wait on the server, then ends the connection.
      // Ending it alone is not enough: a backend waiting on a lock notices that its client went away only when it
      // next writes to it — after it was granted the lock, which it then holds for a moment nobody asked for.
      let waiting: Promise<unknown> | undefined;
      const stopWaiting = async () => {
        const backendPid = (client as unknown as { processID?: unknown }).processID;
        if (waiting !== undefined && typeof backendPid === 'number') {
          let settled = false;
          void waiting.then(
            () => (settled = true),
            () => (settled = true),
          );
          // Bounded: a cancel that reaches the backend just before its wait starts is lost, so it is repeated.
          for (let attempt = 0; attempt < 20 && !settled; attempt++) {
            await sql`select pg_cancel_backend(${backendPid})`.execute(db).catch(() => undefined);
            await Promise.race([waiting.catch(() => undefined), new Promise((r) => setTimeout(r, 250))]);
          }
        }
        await client.end().catch(() => undefined);
      };
      const abort = () => void stopWaiting();
      lockOptions.signal?.addEventListener('abort', abort, { once: true });
      pendingLocks.set(client, stopWaiting);
      try {
        // An abort or a close while the schema was being prepared came before the listeners above: stop here.
        if (aborted() || closed) throw new Error('stopped before connecting');
        await client.connect();
        // A server-wide idle_session_timeout would end the session and free the lock behind our back.
        await client.query(`set idle_session_timeout = 0`).catch(() => undefined);
        const result = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [key]);
        let got = result.rows[0]?.ok === true;
        if (!got && wait) {
          lockOptions.onWaiting?.();
          const timeout = lockOptions.timeoutMs;
          await client.query(
            `set lock_timeout = ${timeout === undefined || !Number.isFinite(timeout) ? 0 : Math.max(1, Math.ceil(timeout))}`,
          );
          try {
            waiting = client.query('select pg_advisory_lock($1::bigint)', [key]);
            await waiting;
            got = true;
          } catch (error) {
            if ((error as { code?: unknown }).code !== '55P03') throw error; // lock_not_available: the wait timed out
            got = false;
          }
          await client.query('set lock_timeout = 0');
        }
        if (!got) {
          const holder = await findHolder(name, classid, objid).catch(() => undefined);
          const waited = wait ? ` after waiting ${lockOptions.timeoutMs} ms` : '';
          const who =
            holder === undefined
              ? 'another Postgres session (it was released just now; try again)'
              : describeHolder(holder);
          throw new StateError(
            'LOCK_HELD',
            `State lock ${JSON.stringify(name)} in ${target} (schema "${schema}") is held by ${who}${waited}: another Sluice process is using this state. ` +
              `Try again when it has finished${holder?.backendPid === undefined ? '' : `; if it is stuck, stop that process or end its session with SELECT pg_terminate_backend(${holder.backendPid})`}.`,
            { lock: name, ...(holder === undefined ? {} : { holder }) },
          );
        }
        const since = new Date();
        const holder: LockHolder = {
          pid: process.pid,
          host: os.hostname(),
          since,
          ...(lockOptions.holder === undefined ? {} : { holder: lockOptions.holder }),
        };
        const recorded = await client.query<{ backend_pid: number }>(
          `insert into ${qualified('lock_holders')} (name, holder, pid, host, since, backend_pid)
           values ($1, $2, $3, $4, $5, pg_backend_pid())
           on conflict (name) do update set holder = excluded.holder, pid = excluded.pid, host = excluded.host,
             since = excluded.since, backend_pid = excluded.backend_pid
           returning backend_pid`,
          [name, lockOptions.holder ?? null, process.pid, os.hostname(), since],
        );
        held = true;
        const backendPid = recorded.rows[0]?.backend_pid;
        const lockHolder: LockHolder = backendPid === undefined ? holder : { ...holder, backendPid };
        let released = false;
        const handle = {
          async release() {
            if (released) return;
            released = true;
            heldLocks.delete(handle);
            if (lost) {
              await client.end().catch(() => undefined);
              return;
            }
            held = false; // from here on, the connection ending is ours
            try {
              await client.query(
                `delete from ${qualified('lock_holders')} where name = $1 and backend_pid = pg_backend_pid()`,
                [name],
              );
              await client.query('select pg_advisory_unlock($1::bigint)', [key]);
            } finally {
              // Ending the session releases the lock in any case.
              await client.end().catch(() => undefined);
            }
          },
        };
        heldLocks.add(handle);
        pendingLocks.delete(client);
        lockOptions.signal?.removeEventListener('abort', abort);
        const lock: StateLock = { name, holder: lockHolder, release: () => handle.release() };
        return lock;
      } catch (error) {
        pendingLocks.delete(client);
        lockOptions.signal?.removeEventListener('abort', abort);
        await client.end().catch(() => undefined);
        if (aborted()) throw cancelled();
        if (closed)
          throw new StateError(
            'STATE_UNAVAILABLE',
            `Stopped waiting for the state lock ${JSON.stringify(name)}: the state store was closed.`,
            { lock: name },
          );
        throw unavailable(`take the lock ${JSON.stringify(name)}`, error);
      }
    },

    async saveRun(record, saveOptions = {}) {
      assertRunRecord(record);
      const detail = JSON.stringify(record.detail);
      const expected = saveOptions.ifStatus;
      if (expected !== undefined) {
        // One statement: the record is replaced only while it still has the expected status.
        const updated = await run(`save run ${JSON.stringify(record.id)}`, () =>
          db
            .updateTable('runs')
            .set({
              trigger: record.trigger,
              status: record.status,
              started_at: record.startedAt,
              ended_at: record.endedAt ?? null,
              detail: sql`cast(${detail} as jsonb)`,
              updated_at: sql<Date>`now()`,
            })
            .where('id', '=', record.id)
            .where('status', '=', expected)
            .executeTakeFirst(),
        );
        return Number(updated.numUpdatedRows) > 0;
      }
      await run(`save run ${JSON.stringify(record.id)}`, () =>
        db
          .insertInto('runs')
          .values({
            id: record.id,
            trigger: record.trigger,
            status: record.status,
            started_at: record.startedAt,
            ended_at: record.endedAt ?? null,
            detail: sql`cast(${detail} as jsonb)`,
            updated_at: sql<Date>`now()`,
          })
          .onConflict((conflict) =>
            conflict.column('id').doUpdateSet((eb) => ({
              trigger: eb.ref('excluded.trigger'),
              status: eb.ref('excluded.status'),
              started_at: eb.ref('excluded.started_at'),
              ended_at: eb.ref('excluded.ended_at'),
              detail: eb.ref('excluded.detail'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute(),
      );
      return true;
    },

    async getRun(id) {
      assertStateName('run', id);
      const row = await run(`read run ${JSON.stringify(id)}`, () =>
        db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst(),
      );
      return row === undefined ? undefined : toRun(row);
    },

    async listRuns(listOptions = {}) {
      const { limit, status, before } = assertListRunsOptions(listOptions);
      const rows = await run('list runs', () => {
        let query = db.selectFrom('runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc');
        if (status !== undefined) query = query.where('status', '=', status);
        // The next page: (started_at, id) < (cursor), the order of the index runs_started_idx.
        if (before !== undefined)
          query = query.where(sql<boolean>`(started_at, id) < (${before.startedAt}, ${before.id})`);
        if (limit !== undefined) query = query.limit(limit);
        return query.execute();
      });
      return rows.map(toRun);
    },

    async pruneRuns(olderThan) {
      if (!isValidDate(olderThan))
        throw new StateError('INVALID_ARGUMENT', 'pruneRuns: olderThan must be a valid Date');
      return run('prune runs', () =>
        db.transaction().execute(async (trx) => {
          const runs = await trx.deleteFrom('runs').where('started_at', '<', olderThan).executeTakeFirst();
          await trx.deleteFrom('slot_claims').where('slot', '<', olderThan).execute();
          return Number(runs.numDeletedRows);
        }),
      );
    },

    async claimSlot(schedule, slot, holder) {
      assertStateName('schedule', schedule);
      if (!isValidDate(slot))
        throw new StateError('INVALID_ARGUMENT', `claimSlot(${JSON.stringify(schedule)}): slot must be a valid Date`);
      const inserted = await run(`claim slot ${slot.toISOString()} of ${JSON.stringify(schedule)}`, () =>
        db
          .insertInto('slot_claims')
          .values({ schedule, slot, holder: String(holder), claimed_at: sql<Date>`now()` })
          .onConflict((conflict) => conflict.columns(['schedule', 'slot']).doNothing())
          .returning('schedule')
          .executeTakeFirst(),
      );
      return inserted !== undefined;
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...pendingLocks.values()].map((stop) => stop()));
      await Promise.all([...heldLocks].map((lock) => lock.release().catch(() => undefined)));
      await db.destroy();
    },
  };
}

/** Errors that mean the server could not be reached or would not let us in, rather than a failed statement. */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (
      [
        'ECONNREFUSED',
        'ENOTFOUND',
        'ETIMEDOUT',
        'EHOSTUNREACH',
        'ENETUNREACH',
        'ECONNRESET',
        'EAI_AGAIN',
        'EPIPE',
      ].includes(code)
    )
      return true;
    // 08: connection exception, 28: invalid authorization, 3D000: no such database, 57P0x: server shutting down
    if (/^(08|28)/.test(code) || code === '3D000' || /^57P0[1-3]$/.test(code)) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /timeout exceeded when trying to connect|Connection terminated/i.test(message);
}

/** `host:port/database` of a Postgres URL, without user or password; never throws. */
export function describePostgresTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
    return `${host}:${parsed.port || '5432'}/${database}`;
  } catch {
    return 'the configured Postgres server (the URL could not be parsed)';
  }
}

/** The password of a URL, raw and decoded, so it can be blanked out of driver messages. */
function urlSecrets(url: string): string[] {
  try {
    const { password } = new URL(url);
    if (password === '') return [];
    return [...new Set([password, decodeURIComponent(password)])].filter((secret) => secret.length > 0);
  } catch {
    return [];
  }
}
