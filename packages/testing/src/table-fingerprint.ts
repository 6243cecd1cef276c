import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Warehouse } from '@sluice/warehouse';

/** A table's content, reduced to what two engines can agree on: a hash per row, keyed by primary key. */
export interface TableFingerprint {
  readonly rows: number;
  /** primary key (joined text) → SHA-256 of the row's canonical text. */
  readonly rowHashes: ReadonlyMap<string, string>;
  /** Keys seen more than once (must be empty in a warehouse table). */
  readonly duplicateKeys: readonly string[];
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(.*)$/;

/** Canonical text of one value as either engine renders it: timestamps with six fraction digits, `+00` → `Z`. */
export function canonicalValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const ts = TIMESTAMP.exec(text);
  if (ts) {
    const zone = (ts[3] ?? '').replace(/^\+00(:00)?$/, 'Z');
    return `${ts[1]?.replace('T', ' ')}.${(ts[2] ?? '').padEnd(6, '0')}${zone}`;
  }
  return text;
}

function fingerprint(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  key: readonly string[],
): TableFingerprint {
  const rowHashes = new Map<string, string>();
  const duplicateKeys: string[] = [];
  const ordered = [...columns].sort();
  for (const row of rows) {
    const id = key.map((k) => canonicalValue(row[k])).join('|');
    const hash = createHash('sha256');
    for (const column of ordered) hash.update(`${column}=${canonicalValue(row[column])}\u0001`);
    if (rowHashes.has(id)) duplicateKeys.push(id);
    rowHashes.set(id, hash.digest('hex'));
  }
  return { rows: rows.length, rowHashes, duplicateKeys };
}

/**
 * Fingerprint a Postgres table (every listed column read as text, timestamps in UTC). `expressions` reads some
 * columns otherwise, e.g. a `char(n)` column with its padding, as COPY writes it (`::text` drops it).
 */
export async function fingerprintPostgresTable(
  client: pg.Client,
  table: { schema: string; name: string },
  columns: readonly string[],
  key: readonly string[],
  expressions: Readonly<Record<string, string>> = {},
): Promise<TableFingerprint> {
  await client.query(`SET timezone = 'UTC'`);
  const list = columns
    .map((c) => `${expressions[c] ?? `${client.escapeIdentifier(c)}::text`} AS ${client.escapeIdentifier(c)}`)
    .join(', ');
  const result = await client.query(
    `SELECT ${list} FROM ${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)}`,
  );
  return fingerprint(result.rows as Record<string, unknown>[], columns, key);
}

/** Fingerprint a warehouse table (every listed column cast to text by the engine). */
export async function fingerprintWarehouseTable(
  warehouse: Warehouse,
  table: { schema: string; name: string },
  columns: readonly string[],
  key: readonly string[],
): Promise<TableFingerprint> {
  const q = (name: string) => warehouse.dialect.quoteIdentifier(name);
  const list = columns.map((c) => `CAST(${q(c)} AS VARCHAR) AS ${q(c)}`).join(', ');
  const rows = await warehouse.query(`SELECT ${list} FROM ${warehouse.dialect.qualify(table)}`);
  return fingerprint(rows, columns, key);
}

/**
 * Fingerprint a warehouse table from the values `query` returns (the contract's shapes: timestamps with six fraction
 * digits, exact decimals), not from the engine's text casts, whose formats differ between engines (Snowflake's
 * default renders timestamps to the millisecond).
 */
export async function fingerprintWarehouseValues(
  warehouse: Warehouse,
  table: { schema: string; name: string },
  columns: readonly string[],
  key: readonly string[],
): Promise<TableFingerprint> {
  const q = (name: string) => warehouse.dialect.quoteIdentifier(name);
  const rows = await warehouse.query(
    `SELECT ${columns.map((c) => `${q(c)} AS ${q(c)}`).join(', ')} FROM ${warehouse.dialect.qualify(table)}`,
  );
  return fingerprint(rows, columns, key);
}

/** The differences between two fingerprints, for a readable assertion (empty when equal). */
export function diffFingerprints(source: TableFingerprint, target: TableFingerprint, limit = 5): string[] {
  const problems: string[] = [];
  if (source.rows !== target.rows) problems.push(`row count: source ${source.rows}, warehouse ${target.rows}`);
  for (const key of target.duplicateKeys.slice(0, limit)) problems.push(`key ${key} twice in the warehouse`);
  let missing = 0;
  let extra = 0;
  let changed = 0;
  for (const [key, hash] of source.rowHashes) {
    const other = target.rowHashes.get(key);
    if (other === undefined) {
      if (missing++ < limit) problems.push(`key ${key} missing from the warehouse`);
    } else if (other !== hash) {
      if (changed++ < limit) problems.push(`key ${key} differs`);
    }
  }
  for (const key of target.rowHashes.keys()) {
    if (!source.rowHashes.has(key) && extra++ < limit)
      problems.push(`key ${key} in the warehouse but not in the source`);
  }
  return problems;
}
