import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExtractPlan, SourceKeys } from '@sluice/pg-extract';
import {
  DELETED_AT_COLUMN,
  type ChunkFile,
  type LoadRequest,
  type TableSchema,
  type Warehouse,
} from '@sluice/warehouse';

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
  /** The source's keys, read in the snapshot the batch was extracted in (`TableExtraction.keys`). */
  readonly source: SourceKeys;
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
  /** Loads the differences (default: `warehouse.load`); the pipeline's carries the table's position with them. */
  readonly load?: (request: Omit<LoadRequest, 'signal' | 'state'>) => Promise<{ deleted: number; statements: number }>;
}

/** Keys compared per statement (ranges in one IN list). */
const IN_LIST = 500;

/**
 * Find rows deleted in the source without CDC. Keys are compared per range: each side has the count and sum of
 * its keys per range of key values (Postgres in the extraction snapshot — `source.fingerprints` — the warehouse
 * after the batch merged); only ranges whose fingerprints differ have their keys read on both sides. Keys the
 * warehouse has and the source does not are deleted (or marked); keys the source has and the warehouse does not
 * are loaded. One load, one transaction. Needs a single integer primary key (`TableExtraction.keys` checks).
 */
export async function reconcileDeletes(options: ReconcileOptions): Promise<ReconcileResult> {
  const { key, width, buckets: sourceBuckets, digest: keysDigest } = options.source.fingerprints;
  const nothing = { deleted: 0, restored: 0, keysCompared: 0, keysDigest, skipped: false };
  if (options.inSync || options.previousDigest === keysDigest) {
    // Same keys as when the warehouse was last reconciled: nothing deleted since, and no warehouse query needed.
    return { ...nothing, bucketsCompared: 0, bucketsDiffering: 0, statements: 0, skipped: true };
  }
  const warehouse = warehouseKeys(options, key, width);
  const warehouseBuckets = await warehouse.buckets();
  let statements = 1;
  const differing = [...new Set([...sourceBuckets.keys(), ...warehouseBuckets.keys()])].filter(
    (bucket) => sourceBuckets.get(bucket) !== warehouseBuckets.get(bucket),
  );
  const result = {
    bucketsCompared: Math.max(sourceBuckets.size, warehouseBuckets.size),
    bucketsDiffering: differing.length,
  };
  if (differing.length === 0) return { ...nothing, ...result, statements };

  const sourceKeys = new Set<string>();
  const warehouseKeySet = new Set<string>();
  for (let i = 0; i < differing.length; i += IN_LIST) {
    const slice = differing.slice(i, i + IN_LIST);
    for (const k of await options.source.keysIn(slice)) sourceKeys.add(k);
    statements++;
    for (const k of await warehouse.keysIn(slice)) warehouseKeySet.add(k);
  }
  const gone = [...warehouseKeySet].filter((k) => !sourceKeys.has(k));
  const missing = [...sourceKeys].filter((k) => !warehouseKeySet.has(k));
  const keysCompared = sourceKeys.size + warehouseKeySet.size;
  if (gone.length === 0 && missing.length === 0) return { ...nothing, ...result, keysCompared, statements };

  const loaded = await applyDifferences(options, gone, missing);
  return {
    ...result,
    deleted: loaded.deleted,
    restored: missing.length,
    keysCompared,
    statements: statements + loaded.statements,
    keysDigest,
    skipped: false,
  };
}

/** The warehouse half of the comparison: the same fingerprints per key range, and the keys of some ranges. */
function warehouseKeys(options: ReconcileOptions, key: string, width: bigint) {
  const { warehouse, target } = options;
  const dialect = warehouse.dialect;
  const q = (name: string) => dialect.quoteIdentifier(name);
  const table = dialect.qualify(target);
  const live = options.mode === 'mark' ? ` WHERE ${q(DELETED_AT_COLUMN)} IS NULL` : '';
  const bucketSql = dialect.floorDivide(q(key), String(width));
  return {
    async buckets(): Promise<Map<string, string>> {
      const warehouseBuckets = new Map<string, string>();
      for (const row of await warehouse.query(
        `SELECT ${dialect.castToText(bucketSql)} AS bucket, ${dialect.castToText('COUNT(*)')} AS count, ${dialect.castToText(`SUM(${q(key)})`)} AS sum FROM ${table}${live} GROUP BY 1`,
        { tag: options.tag, ...(options.signal ? { signal: options.signal } : {}) },
      )) {
        warehouseBuckets.set(String(row.bucket), `${String(row.count)}/${String(row.sum)}`);
      }
      return warehouseBuckets;
    },
    async keysIn(slice: readonly string[]): Promise<string[]> {
      const rows = await warehouse.query(
        `SELECT ${dialect.castToText(q(key))} AS k FROM ${table} WHERE ${bucketSql} IN (${slice.join(', ')})${live ? ` AND ${q(DELETED_AT_COLUMN)} IS NULL` : ''}`,
        { tag: options.tag },
      );
      return rows.map((row) => String(row.k));
    },
  };
}

/** Load the source rows the warehouse lacks and delete (or mark) the keys the source no longer has: one load. */
async function applyDifferences(
  options: ReconcileOptions,
  gone: readonly string[],
  missing: readonly string[],
): Promise<{ deleted: number; statements: number }> {
  const { plan } = options;
  const files: readonly ChunkFile[] = missing.length > 0 ? await options.source.extractRows(missing, options.dir) : [];
  const deleteFiles: ChunkFile[] = [];
  if (gone.length > 0) {
    const file = path.join(options.dir, `${plan.table.name}-deleted-keys.csv`);
    const text = `${gone.join('\n')}\n`;
    await writeFile(file, text);
    deleteFiles.push({ path: file, rows: gone.length, bytes: Buffer.byteLength(text), format: 'csv' });
  }
  const request = {
    table: options.target,
    files,
    columns: plan.columns.map((column) => column.name),
    mode: 'merge',
    ...(deleteFiles.length > 0 ? { deletes: { files: deleteFiles, mode: options.mode } } : {}),
    tag: options.tag,
  } as const;
  const loaded = options.load
    ? await options.load(request)
    : await options.warehouse.load({ ...request, ...(options.signal ? { signal: options.signal } : {}) });
  return { deleted: loaded.deleted, statements: loaded.statements };
}
