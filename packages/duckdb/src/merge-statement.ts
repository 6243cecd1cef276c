import { WarehouseError, qualifiedName, quoteIdentifier, type Relation } from '@sluice/warehouse';

/** What a MERGE needs: the target, a source query (at most one row per key), the keys and the columns to write. */
export interface MergeStatementInput {
  readonly target: Relation;
  readonly sourceSql: string;
  readonly keys: readonly string[];
  /** Columns written from the source: updated when matched (keys excepted), inserted otherwise. */
  readonly columns: readonly string[];
  /** Extra `column = expression` pairs for both branches (e.g. `_sluice_synced_at = now()`). */
  readonly extra?: readonly { readonly column: string; readonly expression: string }[];
  /** Conditions ANDed to the key match (dbt's `incremental_predicates`), naming `DBT_INTERNAL_DEST` / `_SOURCE`. */
  readonly predicates?: readonly string[];
}

/** dbt's aliases of a MERGE's target and source, which `incremental_predicates` name. */
const TARGET = '"DBT_INTERNAL_DEST"';
const SOURCE = '"DBT_INTERNAL_SOURCE"';

/**
 * A DuckDB `MERGE INTO` statement. The SET list names bare target columns (`SET "c" = "source"."c"`): DuckDB
 * rejects a qualified target column there.
 *
 * @example mergeStatement({ target: { schema: 'marts', name: 'fct' }, sourceSql: 'select …', keys: ['id'], columns: ['id', 'v'] })
 */
export function mergeStatement(input: MergeStatementInput): string {
  const { target, sourceSql, keys, columns, extra = [] } = input;
  if (keys.length === 0) {
    throw new WarehouseError(
      'INVALID_LOAD_REQUEST',
      `MERGE into ${target.schema}.${target.name} needs at least one key column.`,
      {
        table: `${target.schema}.${target.name}`,
      },
    );
  }
  const keySet = new Set(keys);
  const insertColumns = [...keys, ...columns.filter((c) => !keySet.has(c))].filter((c, i, all) => all.indexOf(c) === i);
  const updateColumns = insertColumns.filter((c) => !keySet.has(c));
  const on = [
    ...keys.map((k) => `${TARGET}.${quoteIdentifier(k)} = ${SOURCE}.${quoteIdentifier(k)}`),
    ...(input.predicates ?? []).map((p) => `(${p})`),
  ].join('\n  AND ');
  const updates = [
    ...updateColumns.map((c) => `${quoteIdentifier(c)} = ${SOURCE}.${quoteIdentifier(c)}`),
    ...extra.map((e) => `${quoteIdentifier(e.column)} = ${e.expression}`),
  ];
  const names = [...insertColumns.map(quoteIdentifier), ...extra.map((e) => quoteIdentifier(e.column))];
  const values = [...insertColumns.map((c) => `${SOURCE}.${quoteIdentifier(c)}`), ...extra.map((e) => e.expression)];
  const lines = [
    `MERGE INTO ${qualifiedName(target)} AS ${TARGET}`,
    `USING (\n${indent(sourceSql)}\n) AS ${SOURCE}`,
    `ON ${on}`,
  ];
  if (updates.length > 0) lines.push(`WHEN MATCHED THEN UPDATE SET\n  ${updates.join(',\n  ')}`);
  lines.push(`WHEN NOT MATCHED THEN INSERT (${names.join(', ')})\n  VALUES (${values.join(', ')})`);
  return lines.join('\n');
}

function indent(sql: string): string {
  return sql
    .split('\n')
    .map((line) => (line.length > 0 ? `  ${line}` : line))
    .join('\n');
}
