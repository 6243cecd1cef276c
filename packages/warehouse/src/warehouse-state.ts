import { createHash } from 'node:crypto';
import { WarehouseError } from './errors.js';
import { quoteLiteral } from './sql.js';
import type { Row, SqlDialect } from './warehouse.js';

/**
 * The table in a schema (the raw schema) where Sluice keeps state that must live and die with the data next to it:
 * the positions of the loaded tables (namespace `ingest`), and whatever else a caller stores by namespace. A
 * warehouse that is replaced, restored from a backup or copied takes its state along, so the state can never claim
 * rows the warehouse does not hold (dlt keeps its pipeline state in the destination for the same reason).
 */
export const STATE_TABLE = '_sluice_state';

/** A JSON value kept in the state table. */
export type StateJson = string | number | boolean | null | readonly StateJson[] | { readonly [key: string]: StateJson };

/** The value of one state entry: a JSON object. */
export type StateValue = { readonly [key: string]: StateJson };

/** One entry of the state table. */
export interface StateEntry {
  /** Who owns the entry, e.g. `ingest` (table positions). */
  readonly namespace: string;
  /** What it is about within its namespace, e.g. `public.vendas`. */
  readonly key: string;
  readonly value: StateValue;
  /** 1 for the first write of the key, +1 for every write after it (set by the writer). */
  readonly version: number;
  /** The run that wrote it. */
  readonly runId: string;
  /** When it was written (the warehouse's clock), as `query` renders timestamps. */
  readonly writtenAt: string;
}

/** One change of the state table: a new value for a key, or (`value: null`) its removal. */
export interface StateWrite {
  readonly namespace: string;
  readonly key: string;
  readonly value: StateValue | null;
  /** The version this write creates: the entry's current version + 1 (1 for a new key). */
  readonly version: number;
}

/** State changes and where they go: written in the same transaction as the load that carries them (`LoadRequest.state`). */
export interface StateWriteSet {
  /** The schema whose state table is written (the raw schema); the table is created if missing. */
  readonly schema: string;
  readonly runId: string;
  readonly writes: readonly StateWrite[];
}

/** Options of `Warehouse.readState`. */
export interface StateReadOptions {
  readonly tag?: string;
  readonly signal?: AbortSignal;
  /**
   * What the caller last read or wrote (a copy it keeps elsewhere). An engine whose queries cost compute may answer
   * with it when it can prove, from metadata alone, that the table still holds exactly these versions (Snowflake:
   * the table's comment names a digest of them, and no write has started since); others ignore it.
   */
  readonly cached?: readonly StateEntry[];
}

/** What `Warehouse.readState` found. */
export interface StateSnapshot {
  readonly entries: readonly StateEntry[];
  /** `warehouse`: read from the table; `cache`: the caller's copy, proven current; `missing`: no state table (or
   *  no schema) — a warehouse Sluice has not written state to, or one that was replaced. */
  readonly source: 'warehouse' | 'cache' | 'missing';
}

const TEXT = { kind: 'text' } as const;

/** `CREATE TABLE IF NOT EXISTS` of the state table, in the engine's types. */
export function stateTableStatement(dialect: SqlDialect, schema: string): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  return [
    `CREATE TABLE IF NOT EXISTS ${dialect.qualify({ schema, name: STATE_TABLE })} (`,
    `  ${q('namespace')} ${dialect.typeName(TEXT)} NOT NULL,`,
    `  ${q('state_key')} ${dialect.typeName(TEXT)} NOT NULL,`,
    `  ${q('state_value')} ${dialect.typeName(TEXT)} NOT NULL,`,
    `  ${q('version')} ${dialect.typeName({ kind: 'bigint' })} NOT NULL,`,
    `  ${q('run_id')} ${dialect.typeName(TEXT)} NOT NULL,`,
    `  ${q('written_at')} ${dialect.typeName({ kind: 'timestamptz' })} NOT NULL`,
    ')',
  ].join('\n');
}

/** The one query that reads a namespace's entries. */
export function stateReadStatement(dialect: SqlDialect, schema: string, namespace: string): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  checkName('namespace', namespace);
  return (
    `SELECT ${q('namespace')}, ${q('state_key')}, ${q('state_value')}, ${dialect.castToText(q('version'))} AS ${q('version')}, ` +
    `${q('run_id')}, ${q('written_at')}\nFROM ${dialect.qualify({ schema, name: STATE_TABLE })}\n` +
    `WHERE ${q('namespace')} = ${literal(dialect, namespace)}\nORDER BY ${q('state_key')}, ${q('version')}`
  );
}

/**
 * The statements of a set of writes (DML only, so they can run inside a transaction on every engine — on
 * Snowflake DDL would commit it): per namespace one DELETE of the keys written, then one INSERT of the new values.
 * Pure; throws `INVALID_LOAD_REQUEST` for a malformed write.
 *
 * @example stateWriteStatements(dialect, { schema: 'raw', runId, writes: [{ namespace: 'ingest', key: 'public.vendas', value: { cursor: ['42'] }, version: 3 }] })
 */
export function stateWriteStatements(dialect: SqlDialect, set: StateWriteSet): string[] {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const table = dialect.qualify({ schema: set.schema, name: STATE_TABLE });
  checkName('run id', set.runId);
  const byNamespace = new Map<string, StateWrite[]>();
  const seen = new Set<string>();
  for (const write of set.writes) {
    checkName('namespace', write.namespace);
    checkName('key', write.key);
    if (!Number.isSafeInteger(write.version) || write.version < 1) {
      throw invalid(`the version of ${write.namespace}/${write.key} must be a positive integer, got ${write.version}`);
    }
    const id = `${write.namespace}\u0000${write.key}`;
    if (seen.has(id)) throw invalid(`${write.namespace}/${write.key} is written twice in one set`);
    seen.add(id);
    const list = byNamespace.get(write.namespace) ?? [];
    list.push(write);
    byNamespace.set(write.namespace, list);
  }
  const statements: string[] = [];
  for (const [namespace, writes] of byNamespace) {
    statements.push(
      `DELETE FROM ${table}\nWHERE ${q('namespace')} = ${literal(dialect, namespace)} AND ${q('state_key')} IN (${writes
        .map((w) => literal(dialect, w.key))
        .join(', ')})`,
    );
  }
  const rows = set.writes
    .filter((write) => write.value !== null)
    .map(
      (write) =>
        `(${[
          literal(dialect, write.namespace),
          literal(dialect, write.key),
          literal(dialect, stateValueText(write)),
          String(write.version),
          literal(dialect, set.runId),
          'CURRENT_TIMESTAMP',
        ].join(', ')})`,
    );
  if (rows.length > 0) {
    const columns = ['namespace', 'state_key', 'state_value', 'version', 'run_id', 'written_at'].map(q).join(', ');
    statements.push(`INSERT INTO ${table} (${columns})\nVALUES\n  ${rows.join(',\n  ')}`);
  }
  return statements;
}

/**
 * The rows of `stateReadStatement` as entries; a value that is not a JSON object fails with
 * `WAREHOUSE_STATEMENT_FAILED` naming the table, namespace and key (something other than Sluice wrote it).
 * Should a key appear twice (written by hand), its highest version wins.
 */
export function parseStateRows(rows: readonly Row[], where: string): StateEntry[] {
  const latest = new Map<string, StateEntry>();
  for (const row of rows) {
    const namespace = String(row.namespace);
    const key = String(row.state_key);
    let value: unknown;
    try {
      value = JSON.parse(String(row.state_value));
    } catch {
      value = undefined;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new WarehouseError(
        'WAREHOUSE_STATEMENT_FAILED',
        `The Sluice state table ${where} holds an entry ${namespace}/${key} that is not a JSON object; Sluice writes only JSON objects there. Delete that row (the next run then reloads what it describes).`,
        { table: where },
      );
    }
    const entry: StateEntry = {
      namespace,
      key,
      value: value as StateValue,
      version: Number(row.version),
      runId: String(row.run_id),
      writtenAt: String(row.written_at),
    };
    const id = `${namespace}\u0000${key}`;
    const before = latest.get(id);
    if (before === undefined || before.version < entry.version) latest.set(id, entry);
  }
  return [...latest.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * A digest of which versions of which keys a set of entries holds (not their values): two sets with the same token
 * came from the same writes. Engines that answer `readState` from a cached copy compare it with one they keep in
 * metadata.
 */
export function stateToken(entries: readonly Pick<StateEntry, 'namespace' | 'key' | 'version'>[]): string {
  const lines = entries.map((e) => `${e.namespace}\u0000${e.key}\u0000${e.version}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}

function stateValueText(write: StateWrite): string {
  const text = JSON.stringify(write.value);
  if (
    typeof text !== 'string' ||
    typeof write.value !== 'object' ||
    write.value === null ||
    Array.isArray(write.value)
  ) {
    throw invalid(`the value of ${write.namespace}/${write.key} must be a JSON object`);
  }
  return text;
}

function literal(dialect: SqlDialect, value: string): string {
  return dialect.stringLiteral ? dialect.stringLiteral(value) : quoteLiteral(value);
}

function checkName(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\u0000')) {
    throw invalid(`a state ${what} must be a non-empty string without NUL characters, got ${JSON.stringify(value)}`);
  }
}

function invalid(message: string): WarehouseError {
  return new WarehouseError('INVALID_LOAD_REQUEST', `State write: ${message}.`);
}
