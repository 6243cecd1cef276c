import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ChunkFile } from '@sluice/warehouse';
import { ChunkSink } from './chunk-sink.js';
import { copyInto } from './copy-into.js';
import { ExtractError } from './extract-error.js';
import { copySql, type ExtractPlan } from './extract-plan.js';
import {
  bucketKey,
  bucketWidth,
  keyRangeSql,
  sourceKeyBucketsSql,
  sourceKeysInBucketsSql,
  sourceRowsWithKeysSql,
} from './key-buckets.js';
import { beginReadSql, COMMIT_SQL } from './snapshot-sql.js';

/** The source's keys of one table, fingerprinted per key range in one snapshot (for delete reconciliation). */
export interface KeyFingerprints {
  /** The single integer primary key. */
  readonly key: string;
  /** Key values per range. */
  readonly width: bigint;
  /** `count/sum` of the keys in each range, by range number (decimal text). */
  readonly buckets: ReadonlyMap<string, string>;
  /** SHA-256 of the width and every range's fingerprint: the same digest at the next run, the same keys. */
  readonly digest: string;
}

/** A table's keys read in one snapshot; `end()` ends its transaction. */
export interface SourceKeys {
  readonly fingerprints: KeyFingerprints;
  /** The keys (as text) in some ranges. */
  keysIn(buckets: readonly string[]): Promise<string[]>;
  /** Extract the rows with these keys, as the plan reads rows, into chunk files in `dir`. */
  extractRows(keys: readonly string[], dir: string): Promise<ChunkFile[]>;
  end(): Promise<void>;
}

/**
 * Open a transaction on `client` in `snapshotId` (the snapshot the batch was extracted in) and fingerprint the
 * table's keys there: the key range, then the count and sum of keys per range. Needs a single integer primary key
 * (`INVALID_TABLE_CONFIG` otherwise, before anything is sent). A failing statement is `SOURCE_QUERY_FAILED`.
 */
export async function openSourceKeys(
  client: pg.Client,
  plan: ExtractPlan,
  snapshotId: string | undefined,
): Promise<SourceKeys> {
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
  const rows = async <R>(sql: string): Promise<R[]> => {
    try {
      const result: pg.QueryResult | pg.QueryResult[] = await client.query(sql);
      return ((Array.isArray(result) ? result[result.length - 1] : result)?.rows ?? []) as R[];
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ExtractError('SOURCE_QUERY_FAILED', `reading the keys of ${label} failed: ${reason}`, {
        table: label,
        cause: error,
      });
    }
  };
  const end = async () => {
    await client.query(COMMIT_SQL).catch(() => undefined);
  };
  let fingerprints: KeyFingerprints;
  try {
    await rows(beginReadSql(snapshotId));
    fingerprints = await readFingerprints(plan, key, rows);
  } catch (error) {
    await end();
    throw error;
  }
  return {
    fingerprints,
    keysIn: async (buckets) =>
      (await rows<{ k: string }>(sourceKeysInBucketsSql(plan.table, key, fingerprints.width, buckets))).map(
        (row) => row.k,
      ),
    extractRows: async (keys, dir) => {
      const sink = new ChunkSink({ dir, prefix: `${plan.table.name}-restore`, chunkBytes: 128 * 1024 * 1024 });
      // One COPY, one sink: it resolves when every record is on disk.
      await copyInto(client, sink, copySql(sourceRowsWithKeysSql(plan, key, keys))).catch((error: unknown) => {
        sink.destroy();
        const reason = error instanceof Error ? error.message : String(error);
        throw new ExtractError('SOURCE_QUERY_FAILED', `reading rows of ${label} by key failed: ${reason}`, {
          table: label,
          cause: error,
        });
      });
      return sink.files;
    },
    end,
  };
}

async function readFingerprints(
  plan: ExtractPlan,
  key: string,
  rows: <R>(sql: string) => Promise<R[]>,
): Promise<KeyFingerprints> {
  const range = (
    await rows<{ min: string | null; max: string | null; count: string }>(keyRangeSql(plan.table, key))
  )[0];
  const width = range?.min && range.max ? bucketWidth(BigInt(range.min), BigInt(range.max), BigInt(range.count)) : 1n;
  const buckets = new Map<string, string>();
  for (const row of await rows<{ bucket: string; count: string; sum: string }>(
    sourceKeyBucketsSql(plan.table, key, width),
  )) {
    buckets.set(row.bucket, `${row.count}/${row.sum}`);
  }
  const digest = createHash('sha256').update(`${width}\n`);
  for (const bucket of [...buckets.keys()].sort()) digest.update(`${bucket}:${buckets.get(bucket)}\n`);
  return { key, width, buckets, digest: digest.digest('hex') };
}
