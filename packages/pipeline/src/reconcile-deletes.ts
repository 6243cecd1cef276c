import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import {
  bucketKey,
  bucketWidth,
  ChunkSink,
  ExtractError,
  keyRangeSql,
  selectSql,
  sourceKeyBucketsSql,
  sourceKeysInBucketsSql,
  type ExtractPlan,
} from '@sluice/pg-extract';
import { DELETED_AT_COLUMN, quoteLiteral, type ChunkFile, type TableSchema, type Warehouse } from '@sluice/warehouse';

export interface ReconcileResult {
  /** Warehouse rows whose key is gone from the source, deleted (or marked). */
  readonly deleted: number;
  /** Source rows the warehouse did not have (e.g. a commit the cursor could not see), loaded now. */
  readonly restored: number;
  readonly bucketsCompared: number;
  readonly bucketsDiffering: number;
  /** Keys read from both sides to find the differences: grows with what changed, not with the table. */
  readonly keysCompared: number;
  readonly statements: number;
  /** Digest of the source's key fingerprints: when the next run finds the same, nothing was deleted since. */
  readonly keysDigest: string;
  /** True when the source keys were unchanged since the last run, so the warehouse was not even asked. */
  readonly skipped: boolean;
}

export interface ReconcileOptions {
  /** A connection reading in the same snapshot the batch was extracted in. */
  readonly source: pg.Client;
  readonly plan: ExtractPlan;
  readonly warehouse: Warehouse;
  readonly target: TableSchema;
  readonly mode: 'delete' | 'mark';
  readonly dir: string;
  readonly tag: string;
  readonly signal?: AbortSignal;
  /** `keysDigest` of the previous run, if any. */
  readonly previousDigest?: string;
  /** The warehouse table was just replaced from this snapshot: only compute the digest. */
  readonly inSync?: boolean;
}

const IN_LIST = 500;

/**
 * Find rows deleted in the source without CDC. Keys are compared per range: each side computes the count and sum
 * of its keys per range of key values (Postgres in the extraction snapshot, the warehouse after the batch merged);
 * only ranges whose fingerprints differ have their keys read on both sides. Keys the warehouse has and the source
 * does not are deleted (or marked); keys the source has and the warehouse does not are loaded. One load, one
 * transaction. Needs a single integer primary key.
 */
export async function reconcileDeletes(options: ReconcileOptions): Promise<ReconcileResult> {
  const { plan, warehouse, target } = options;
  const label = `${plan.table.schema}.${plan.table.name}`;
  const key = bucketKey(plan.table);
  if (!key) {
    throw new ExtractError(
      'INVALID_TABLE_CONFIG',
      `${label}: deletes: reconcile needs a single integer primary key; this table's key is (${plan.table.primaryKey.join(', ') || 'none'}). ` +
        'Use a full strategy for it instead',
      { table: label },
    );
  }
  let statements = 0;
  const range = (
    await options.source.query<{ min: string | null; max: string | null; count: string }>(keyRangeSql(plan.table, key))
  ).rows[0];
  const width = range?.min && range.max ? bucketWidth(BigInt(range.min), BigInt(range.max), BigInt(range.count)) : 1n;

  const sourceBuckets = new Map<string, string>();
  for (const row of (
    await options.source.query<{ bucket: string; count: string; sum: string }>(
      sourceKeyBucketsSql(plan.table, key, width),
    )
  ).rows) {
    sourceBuckets.set(row.bucket, `${row.count}/${row.sum}`);
  }
  const digest = createHash('sha256').update(`${width}\n`);
  for (const bucket of [...sourceBuckets.keys()].sort()) digest.update(`${bucket}:${sourceBuckets.get(bucket)}\n`);
  const keysDigest = digest.digest('hex');
  if (options.inSync || options.previousDigest === keysDigest) {
    // Same keys as when the warehouse was last reconciled: nothing deleted since, and no warehouse query needed.
    return {
      deleted: 0,
      restored: 0,
      bucketsCompared: 0,
      bucketsDiffering: 0,
      keysCompared: 0,
      statements,
      keysDigest,
      skipped: true,
    };
  }
  const dialect = warehouse.dialect;
  const q = (name: string) => dialect.quoteIdentifier(name);
  const table = dialect.qualify(target);
  const live = options.mode === 'mark' ? ` WHERE ${q(DELETED_AT_COLUMN)} IS NULL` : '';
  const bucketSql = dialect.floorDivide(q(key), String(width));
  const warehouseBuckets = new Map<string, string>();
  statements++;
  for (const row of await warehouse.query(
    `SELECT ${dialect.castToText(bucketSql)} AS bucket, ${dialect.castToText('COUNT(*)')} AS count, ${dialect.castToText(`SUM(${q(key)})`)} AS sum FROM ${table}${live} GROUP BY 1`,
    { tag: options.tag, ...(options.signal ? { signal: options.signal } : {}) },
  )) {
    warehouseBuckets.set(String(row.bucket), `${String(row.count)}/${String(row.sum)}`);
  }
  const differing = [...new Set([...sourceBuckets.keys(), ...warehouseBuckets.keys()])].filter(
    (bucket) => sourceBuckets.get(bucket) !== warehouseBuckets.get(bucket),
  );
  const result = {
    bucketsCompared: Math.max(sourceBuckets.size, warehouseBuckets.size),
    bucketsDiffering: differing.length,
  };
  if (differing.length === 0)
    return { ...result, deleted: 0, restored: 0, keysCompared: 0, statements, keysDigest, skipped: false };

  const sourceKeys = new Set<string>();
  const warehouseKeys = new Set<string>();
  for (let i = 0; i < differing.length; i += IN_LIST) {
    const slice = differing.slice(i, i + IN_LIST);
    for (const row of (await options.source.query<{ k: string }>(sourceKeysInBucketsSql(plan.table, key, width, slice)))
      .rows) {
      sourceKeys.add(row.k);
    }
    statements++;
    const rows = await warehouse.query(
      `SELECT ${dialect.castToText(q(key))} AS k FROM ${table} WHERE ${bucketSql} IN (${slice.join(', ')})${live ? ` AND ${q(DELETED_AT_COLUMN)} IS NULL` : ''}`,
      { tag: options.tag },
    );
    for (const row of rows) warehouseKeys.add(String(row.k));
  }
  const gone = [...warehouseKeys].filter((k) => !sourceKeys.has(k));
  const missing = [...sourceKeys].filter((k) => !warehouseKeys.has(k));
  if (gone.length === 0 && missing.length === 0) {
    return {
      ...result,
      deleted: 0,
      restored: 0,
      keysCompared: sourceKeys.size + warehouseKeys.size,
      statements,
      keysDigest,
      skipped: false,
    };
  }

  let files: readonly ChunkFile[] = [];
  if (missing.length > 0) {
    const sink = new ChunkSink({
      dir: options.dir,
      prefix: `${plan.table.name}-restore`,
      chunkBytes: 128 * 1024 * 1024,
    });
    // One COPY, one sink: the pipeline resolves when every record is on disk.
    const keys = `${q(key)} = ANY (${quoteLiteral(`{${missing.join(',')}}`)}::bigint[])`;
    await pipeline(options.source.query(copyTo(`COPY (${selectSql(plan, keys)}) TO STDOUT (FORMAT csv)`)), sink);
    files = sink.files;
  }
  const deleteFiles: ChunkFile[] = [];
  if (gone.length > 0) {
    const file = path.join(options.dir, `${plan.table.name}-deleted-keys.csv`);
    const text = `${gone.join('\n')}\n`;
    await writeFile(file, text);
    deleteFiles.push({ path: file, rows: gone.length, bytes: Buffer.byteLength(text), format: 'csv' });
  }
  const loaded = await warehouse.load({
    table: target,
    files,
    columns: plan.columns.map((column) => column.name),
    mode: 'merge',
    ...(deleteFiles.length > 0 ? { deletes: { files: deleteFiles, mode: options.mode } } : {}),
    tag: options.tag,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    ...result,
    deleted: loaded.deleted,
    restored: missing.length,
    keysCompared: sourceKeys.size + warehouseKeys.size,
    statements: statements + loaded.statements,
    keysDigest,
    skipped: false,
  };
}
