import { sql, type Generated, type Kysely, type Transaction } from 'kysely';
import { advisoryLockKey } from './advisory-lock-key.js';
import type { Position } from './position.js';
import { StateError } from './state-error.js';

/** The version of the tables below; a schema created by a newer Sluice is refused rather than misread. */
export const STATE_SCHEMA_VERSION = 1;

/** The state tables, as kysely sees them. */
export interface StateDatabase {
  meta: { key: string; value: string };
  watermarks: {
    table_name: string;
    position: Position | null;
    version: string;
    run_id: string | null;
    committed_at: Date;
  };
  watermark_history: {
    id: Generated<string>;
    table_name: string;
    version: string;
    kind: 'commit' | 'reset';
    position: Position | null;
    run_id: string | null;
    rows: string | null;
    note: string | null;
    reason: string | null;
    at: Date;
  };
  runs: {
    id: string;
    trigger: string;
    status: string;
    started_at: Date;
    ended_at: Date | null;
    detail: unknown;
    updated_at: Date;
  };
  slot_claims: { schedule: string; slot: Date; holder: string; claimed_at: Date };
  lock_holders: {
    name: string;
    holder: string | null;
    pid: number;
    host: string;
    since: Date;
    backend_pid: number;
  };
}

/**
 * Create the state schema and its tables when they are missing. Safe when several processes start at once: the
 * work runs under a transaction-level advisory lock, and does no DDL at all when the schema is already current
 * (so a role without CREATE rights can use a schema an administrator created).
 */
export async function ensureStateSchema(db: Kysely<StateDatabase>, schema: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { key } = advisoryLockKey(schema, 'init', 'schema');
    await sql`select pg_advisory_xact_lock(${key}::bigint)`.execute(trx);
    const version = await currentVersion(trx, schema);
    if (version === STATE_SCHEMA_VERSION) return;
    if (version !== undefined && version > STATE_SCHEMA_VERSION) {
      throw new StateError(
        'STATE_UNAVAILABLE',
        `The state schema "${schema}" was created by a newer Sluice (state schema version ${version}; this one knows ${STATE_SCHEMA_VERSION}). Upgrade Sluice.`,
      );
    }
    for (const statement of ddl(schema)) await statement.execute(trx);
  });
}

async function currentVersion(trx: Transaction<StateDatabase>, schema: string): Promise<number | undefined> {
  const found = await sql<{
    meta: string | null;
  }>`select to_regclass(${`${quoteIdent(schema)}.meta`})::text as meta`.execute(trx);
  if (found.rows[0]?.meta == null) return undefined;
  const row = await trx
    .withSchema(schema)
    .selectFrom('meta')
    .select('value')
    .where('key', '=', 'schema_version')
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.value);
}

function ddl(schema: string) {
  const t = (name: string) => sql.table(`${schema}.${name}`);
  return [
    sql`create schema if not exists ${sql.id(schema)}`,
    sql`create table if not exists ${t('meta')} (key text primary key, value text not null)`,
    sql`create table if not exists ${t('watermarks')} (
      table_name text primary key,
      "position" jsonb,
      version bigint not null,
      run_id text,
      committed_at timestamptz not null
    )`,
    sql`create table if not exists ${t('watermark_history')} (
      id bigserial primary key,
      table_name text not null,
      version bigint not null,
      kind text not null check (kind in ('commit', 'reset')),
      "position" jsonb,
      run_id text,
      rows bigint,
      note text,
      reason text,
      at timestamptz not null
    )`,
    sql`create index if not exists watermark_history_table_idx on ${t('watermark_history')} (table_name, id desc)`,
    sql`create table if not exists ${t('runs')} (
      id text primary key,
      trigger text not null,
      status text not null,
      started_at timestamptz not null,
      ended_at timestamptz,
      detail jsonb not null,
      updated_at timestamptz not null default now()
    )`,
    sql`create index if not exists runs_started_idx on ${t('runs')} (started_at desc, id desc)`,
    sql`create table if not exists ${t('slot_claims')} (
      schedule text not null,
      slot timestamptz not null,
      holder text not null,
      claimed_at timestamptz not null default now(),
      primary key (schedule, slot)
    )`,
    sql`create table if not exists ${t('lock_holders')} (
      name text primary key,
      holder text,
      pid integer not null,
      host text not null,
      since timestamptz not null,
      backend_pid integer not null
    )`,
    sql`insert into ${t('meta')} (key, value) values ('schema_version', ${String(STATE_SCHEMA_VERSION)})
      on conflict (key) do update set value = excluded.value`,
  ];
}

/** Quote an identifier for Postgres. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
