import { WarehouseError, type DatePart, type Relation, type SqlDialect } from '@sluice/warehouse';
import { qualifySnowflake, quoteSnowflakeIdentifier, snowflakeLiteral } from './snowflake-identifier.js';
import { snowflakeTypeName } from './snowflake-type.js';

/** What a MERGE needs: the target, a source query (at most one row per key), the keys and the columns to write. */
export interface MergeStatementInput {
  readonly target: Relation;
  readonly sourceSql: string;
  readonly keys: readonly string[];
  /** Columns written from the source: updated when matched (keys excepted), inserted otherwise. */
  readonly columns: readonly string[];
}

/**
 * A Snowflake `MERGE INTO` of a source query: matched rows get every column updated, the others are inserted.
 * Snowflake fails a MERGE whose source holds two rows for one key (100090) unless the rows are identical: the
 * source must be de-duplicated.
 *
 * @example mergeStatement({ target: { schema: 'marts', name: 'fct' }, sourceSql: 'select …', keys: ['id'], columns: ['id', 'v'] })
 */
export function mergeStatement(input: MergeStatementInput): string {
  const { target, sourceSql, keys, columns } = input;
  if (keys.length === 0) {
    throw new WarehouseError(
      'INVALID_LOAD_REQUEST',
      `MERGE into ${target.schema}.${target.name} needs at least one key column.`,
      {
        table: `${target.schema}.${target.name}`,
      },
    );
  }
  const q = quoteSnowflakeIdentifier;
  const keySet = new Set(keys.map((k) => q(k)));
  const insertColumns = [...keys, ...columns].map(q).filter((c, i, all) => all.indexOf(c) === i);
  const updateColumns = insertColumns.filter((c) => !keySet.has(c));
  const lines = [
    `MERGE INTO ${qualifySnowflake(target)} AS "target"`,
    `USING (\n${indent(sourceSql)}\n) AS "source"`,
    `ON ${keys.map((k) => `"target".${q(k)} = "source".${q(k)}`).join('\n  AND ')}`,
  ];
  if (updateColumns.length > 0)
    lines.push(`WHEN MATCHED THEN UPDATE SET\n  ${updateColumns.map((c) => `${c} = "source".${c}`).join(',\n  ')}`);
  lines.push(
    `WHEN NOT MATCHED THEN INSERT (${insertColumns.join(', ')})\n  VALUES (${insertColumns.map((c) => `"source".${c}`).join(', ')})`,
  );
  return lines.join('\n');
}

/** Indent every non-empty line by two spaces. */
export function indent(sql: string): string {
  return sql
    .split('\n')
    .map((line) => (line.length > 0 ? `  ${line}` : line))
    .join('\n');
}

/**
 * The SQL Snowflake speaks for the statements that differ between engines. Identifiers are written as Snowflake
 * stores unquoted names (`stg_vendas` → `"STG_VENDAS"`), so models written with unquoted names find them.
 *
 * @example snowflakeDialect.createOrReplaceView({ schema: 'analytics_stage', name: 'stg_vendas' }, 'select 1 as x')
 */
export const snowflakeDialect: SqlDialect = {
  quoteIdentifier: quoteSnowflakeIdentifier,
  qualify: (relation: Relation) => qualifySnowflake(relation),
  typeName: snowflakeTypeName,
  createOrReplaceView: (relation, sql) => `CREATE OR REPLACE VIEW ${qualifySnowflake(relation)} AS\n${sql}`,
  // CREATE OR REPLACE drops the old table and creates the new one in one transaction: readers see one or the other.
  createOrReplaceTableAs: (relation, sql) => `CREATE OR REPLACE TABLE ${qualifySnowflake(relation)} AS\n${sql}`,
  mergeInto: (target, sourceSql, keys, columns) => mergeStatement({ target, sourceSql, keys, columns }),
  dropRelation: (relation, kind) =>
    `DROP ${kind === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS ${qualifySnowflake(relation)}`,
  castToText: (expression) => `CAST(${expression} AS VARCHAR)`,
  stringLiteral: snowflakeLiteral,
  floorDivide: (dividend, divisor) => `CAST(FLOOR(${dividend} / ${divisor}) AS BIGINT)`,
  dateAdd: (part: DatePart, amount: string, expression: string) => `DATEADD(${part}, ${amount}, ${expression})`,
  dateDiff: (part: DatePart, start: string, end: string) => `DATEDIFF(${part}, ${start}, ${end})`,
  dateTrunc: (part: DatePart, expression: string) => `DATE_TRUNC(${snowflakeLiteral(part)}, ${expression})`,
  // Snowflake's TRY_CAST takes only strings; through VARCHAR it takes anything.
  tryCast: (expression: string, typeSql: string) => `TRY_CAST(CAST(${expression} AS VARCHAR) AS ${typeSql})`,
  // Words are split at spaces only, as on DuckDB (Snowflake's default also splits at punctuation: 'Ana-Maria').
  initCap: (expression: string) => `INITCAP(${expression}, ' ')`,
  boolOr: (expression: string) => `BOOLOR_AGG(${expression})`,
  listagg: (measure, delimiter, orderBy, limit) => {
    const order = orderBy === undefined ? '' : ` WITHIN GROUP (ORDER BY ${orderBy})`;
    if (limit === undefined) return `LISTAGG(${measure}, ${delimiter})${order}`;
    return `ARRAY_TO_STRING(ARRAY_SLICE(ARRAY_AGG(${measure})${order}, 0, ${limit}), ${delimiter})`;
  },
  arrayConstruct: (items) => `ARRAY_CONSTRUCT(${items.join(', ')})`,
  arrayAppend: (array, element) => `ARRAY_APPEND(${array}, ${element})`,
  arrayConcat: (first, second) => `ARRAY_CAT(${first}, ${second})`,
};
