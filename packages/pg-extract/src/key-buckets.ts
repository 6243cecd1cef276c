import { quoteIdentifier, quoteLiteral } from '@sluice/warehouse';
import { selectSql, type ExtractPlan } from './extract-plan.js';
import type { SourceTable } from './introspect.js';

/** A fingerprint of the keys in one range: how many, and their sum (as exact decimal text). */
export interface KeyBucket {
  readonly bucket: string;
  readonly count: string;
  readonly sum: string;
}

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/** The single integer primary key that bucketed key comparison needs, or `undefined` when the table has none. */
export function bucketKey(table: SourceTable): string | undefined {
  if (table.primaryKey.length !== 1) return undefined;
  const key = table.columns.find((column) => column.name === table.primaryKey[0]);
  return key?.logical && INTEGER_TYPES.has(key.logical.kind) ? key.name : undefined;
}

/**
 * SQL (Postgres) for the count and sum of keys per range of `width` key values. The same SQL shape runs in the
 * warehouse (see `warehouseKeyBucketsSql`) so that only ranges whose fingerprints differ need their keys shipped.
 */
export function sourceKeyBucketsSql(table: SourceTable, key: string, width: bigint): string {
  const k = quoteIdentifier(key);
  const from = `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
  return `SELECT floor(${k}::numeric / ${width})::bigint::text AS bucket, count(*)::text AS count, sum(${k}::numeric)::text AS sum FROM ${from} GROUP BY 1`;
}

/** SQL (Postgres) listing the keys of some ranges. */
export function sourceKeysInBucketsSql(
  table: SourceTable,
  key: string,
  width: bigint,
  buckets: readonly string[],
): string {
  const k = quoteIdentifier(key);
  const from = `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
  return `SELECT ${k}::text AS k FROM ${from} WHERE floor(${k}::numeric / ${width})::bigint IN (${buckets.map((b) => `${BigInt(b)}`).join(', ')})`;
}

/** SQL (Postgres) for the smallest and largest key and the row count, to size the ranges. */
export function keyRangeSql(table: SourceTable, key: string): string {
  const k = quoteIdentifier(key);
  const from = `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
  return `SELECT min(${k})::text AS min, max(${k})::text AS max, count(*)::text AS count FROM ${from}`;
}

/**
 * The SELECT reading the rows with some keys, as the plan reads rows (delete reconciliation restores what the
 * warehouse lacks). The keys are integers (`BigInt` refuses anything else).
 */
export function sourceRowsWithKeysSql(plan: ExtractPlan, key: string, keys: readonly string[]): string {
  const list = keys.map((value) => BigInt(value).toString()).join(',');
  return selectSql(plan, `${quoteIdentifier(key)} = ANY (${quoteLiteral(`{${list}}`)}::bigint[])`);
}

/** A range width giving about `perBucket` keys per range over [min, max] holding `count` keys. */
export function bucketWidth(min: bigint, max: bigint, count: bigint, perBucket = 1000n): bigint {
  if (count <= 0n) return 1n;
  const span = max - min + 1n;
  const buckets = (count + perBucket - 1n) / perBucket;
  const width = (span + buckets - 1n) / buckets;
  return width > 0n ? width : 1n;
}
