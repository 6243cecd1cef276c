import { quoteLiteral, type Relation, type SqlDialect } from '@sluice/warehouse';
import type { CompiledNode } from '../compile-project.js';
import {
  applyGrants,
  cleanup,
  describe,
  execute,
  replaceRelation,
  runHooks,
  SCRATCH_TABLE,
  sameName,
  tableOptionsOf,
  type MaterializationPlan,
} from '../materialization.js';
import { ModelsError } from '../models-error.js';
import type { SeedNode } from '../project.js';
import type { SeedColumn, SeedTable } from './seed-table.js';

/** What planning a seed's load reads. All of it is data: the planner does no I/O. */
export interface SeedPlanInput {
  readonly node: SeedNode;
  readonly table: SeedTable;
  readonly dialect: SqlDialect;
  /** The seed's relation and rendered hooks. */
  readonly compiled: CompiledNode;
  /** `--full-refresh` (the seed's `full_refresh` config overrides it). */
  readonly fullRefresh: boolean;
  /** Largest statement text, in characters (default 512 KiB): rows beyond it go in further INSERTs. */
  readonly batchChars?: number;
}

/** Keywords quoted even when `quote_columns` is false: an unquoted column of that name does not parse. */
const RESERVED = new Set(
  'all alter and any as asc between both by case cast check column constraint create cross current current_date current_time current_timestamp current_user default delete desc distinct drop else end except exists false fetch for foreign from full grant group having in inner insert intersect into is join lateral leading left like limit natural not null of offset on or order outer primary references right row rows select set some table then to trailing true union unique update using values when where window with'.split(
    ' ',
  ),
);

/**
 * Load a seed (dbt's `seed`): the CSV's rows become the table, in one statement when they fit
 * (`CREATE OR REPLACE TABLE … AS SELECT CAST(…) … FROM (VALUES …)`: readers see the old rows or the new ones), else
 * through a staging table built in batches and swapped in the same way. Without a full refresh, a table whose
 * columns are not the CSV's is an error (dbt's rule: `--full-refresh` rebuilds it). Pure: it yields the steps.
 */
export function* planSeed(input: SeedPlanInput): MaterializationPlan {
  const { node, table, dialect, compiled } = input;
  const relation = compiled.relation as Relation;
  const fullRefresh = node.config.full_refresh ?? input.fullRefresh;
  const existing = yield* describe(relation);
  if (existing?.kind === 'table' && !fullRefresh) {
    const now = existing.columns.map((c) => c.name);
    const csv = table.columns.map((c) => c.name);
    if (now.length !== csv.length || now.some((name, i) => !sameName(name, csv[i] as string)))
      throw new ModelsError(
        'SCHEMA_CHANGED',
        `seed ${node.name}: the CSV's columns (${csv.join(', ')}) are not the table's (${now.join(', ')}); rebuild it with --full-refresh (sluice seed --full-refresh --select ${node.name}).`,
        { node: node.id, file: node.file },
      );
  }
  yield* runHooks(compiled.preHooks);
  const quote = node.config.quote_columns === true;
  const batches = batchRows(table, input.batchChars ?? 512 * 1024);
  const selectOf = (batch: string[]): string => selectSql(table.columns, batch, dialect, quote);
  // Snowflake: transient unless `transient: false` (the CSV is the copy of record), grants kept (`copy_grants`).
  const options = tableOptionsOf(node.config, 'seed');
  if (batches.length <= 1) {
    const statement = dialect.createOrReplaceTableAs(relation, selectOf(batches[0] ?? []), options);
    yield* replaceRelation(dialect, 'table', relation, statement);
  } else {
    const staging = { schema: relation.schema, name: `${relation.name}__sluice_seed` };
    try {
      yield* execute(dialect.createOrReplaceTableAs(staging, selectOf(batches[0] as string[]), SCRATCH_TABLE));
      for (const batch of batches.slice(1))
        yield* execute(`INSERT INTO ${dialect.qualify(staging)} ${selectOf(batch)}`);
      const statement = dialect.createOrReplaceTableAs(relation, `SELECT * FROM ${dialect.qualify(staging)}`, options);
      yield* replaceRelation(dialect, 'table', relation, statement);
    } finally {
      yield* cleanup(dialect.dropRelation(staging, 'table'));
    }
  }
  yield* runHooks(compiled.postHooks);
  const warnings = yield* applyGrants(dialect, node, relation, 'table');
  const rows = table.rows.length;
  return {
    compiled,
    message: `${rows} row${rows === 1 ? '' : 's'} loaded${fullRefresh && existing !== undefined ? ' (full refresh)' : ''}`,
    rowsAffected: rows,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** The rows as `VALUES` tuples, cut into batches of at most `maxChars` characters. */
function batchRows(table: SeedTable, maxChars: number): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let size = 0;
  for (const row of table.rows) {
    const tuple = `(${row.map((v) => (v === null ? 'NULL' : quoteLiteral(v))).join(', ')})`;
    if (batch.length > 0 && size + tuple.length > maxChars) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(tuple);
    size += tuple.length + 2;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** `SELECT CAST(c0 AS T) AS name, … FROM (VALUES …) AS sluice_seed (c0, …)`; no rows: a typed empty result. */
function selectSql(
  columns: readonly SeedColumn[],
  tuples: readonly string[],
  dialect: SqlDialect,
  quote: boolean,
): string {
  const typeOf = (column: SeedColumn): string =>
    'sql' in column.type ? column.type.sql : dialect.typeName(column.type.inferred);
  const nameOf = (column: SeedColumn): string =>
    quote || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(column.name) || RESERVED.has(column.name.toLowerCase())
      ? dialect.quoteIdentifier(column.name)
      : column.name;
  if (tuples.length === 0)
    return `SELECT ${columns.map((c) => `CAST(NULL AS ${typeOf(c)}) AS ${nameOf(c)}`).join(', ')} WHERE 1 = 0`;
  const list = columns.map((c, i) => `CAST(c${i} AS ${typeOf(c)}) AS ${nameOf(c)}`).join(',\n       ');
  return `SELECT ${list}\nFROM (VALUES\n  ${tuples.join(',\n  ')}\n) AS sluice_seed (${columns.map((_, i) => `c${i}`).join(', ')})`;
}
