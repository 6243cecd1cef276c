import {
  WarehouseError,
  type DatePart,
  type Relation,
  type RelationPrivileges,
  type SqlDialect,
  type TableOptions,
} from '@sluice/warehouse';
import { qualifySnowflake, quoteSnowflakeIdentifier, snowflakeLiteral, snowflakeName } from './snowflake-identifier.js';
import { snowflakeTypeName } from './snowflake-type.js';

/** What a MERGE needs: the target, a source query (at most one row per key), the keys and the columns to write. */
export interface MergeStatementInput {
  readonly target: Relation;
  readonly sourceSql: string;
  readonly keys: readonly string[];
  /** Columns written from the source: updated when matched (keys excepted), inserted otherwise. */
  readonly columns: readonly string[];
  /** Conditions ANDed to the key match (dbt's `incremental_predicates`), naming `DBT_INTERNAL_DEST` / `_SOURCE`. */
  readonly predicates?: readonly string[];
}

/** dbt's aliases of a MERGE's target and source, which `incremental_predicates` name. */
const TARGET = '"DBT_INTERNAL_DEST"';
const SOURCE = '"DBT_INTERNAL_SOURCE"';

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
  const on = [
    ...keys.map((k) => `${TARGET}.${q(k)} = ${SOURCE}.${q(k)}`),
    ...(input.predicates ?? []).map((p) => `(${p})`),
  ];
  const lines = [
    `MERGE INTO ${qualifySnowflake(target)} AS ${TARGET}`,
    `USING (\n${indent(sourceSql)}\n) AS ${SOURCE}`,
    `ON ${on.join('\n  AND ')}`,
  ];
  if (updateColumns.length > 0)
    lines.push(`WHEN MATCHED THEN UPDATE SET\n  ${updateColumns.map((c) => `${c} = ${SOURCE}.${c}`).join(',\n  ')}`);
  lines.push(
    `WHEN NOT MATCHED THEN INSERT (${insertColumns.join(', ')})\n  VALUES (${insertColumns.map((c) => `${SOURCE}.${c}`).join(', ')})`,
  );
  return lines.join('\n');
}

/**
 * `CREATE OR REPLACE [TRANSIENT] TABLE … [CLUSTER BY (…)] [DATA_RETENTION_TIME_IN_DAYS = 0] [COPY GRANTS] AS …`.
 * Defaults: transient (no Fail-safe copy of every replaced version; dbt-snowflake's default too) and COPY GRANTS
 * (a rebuild keeps what was granted on the table). With CLUSTER BY the rows are written in that order, as
 * dbt-snowflake does, so the new table starts well clustered.
 * https://docs.snowflake.com/en/user-guide/tables-temp-transient, https://docs.snowflake.com/en/sql-reference/sql/create-table
 */
function createOrReplaceTableAs(relation: Relation, sql: string, options: TableOptions = {}): string {
  const retention = options.retention ?? 'transient';
  const clusterBy = options.clusterBy ?? [];
  const copyGrants = retention !== 'scratch' && (options.copyGrants ?? true);
  const head = [
    `CREATE OR REPLACE ${retention === 'permanent' ? '' : 'TRANSIENT '}TABLE ${qualifySnowflake(relation)}`,
    ...(clusterBy.length > 0 ? [`CLUSTER BY (${clusterBy.join(', ')})`] : []),
    ...(retention === 'scratch' ? ['DATA_RETENTION_TIME_IN_DAYS = 0'] : []),
    ...(copyGrants ? ['COPY GRANTS'] : []),
  ].join(' ');
  const body = clusterBy.length > 0 ? `SELECT * FROM (\n${indent(sql)}\n)\nORDER BY ${clusterBy.join(', ')}` : sql;
  return `${head} AS\n${body}`;
}

/** Snowflake's GRANT / REVOKE to roles on tables and views (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege). */
const privileges: RelationPrivileges = {
  showGrants: (relation, kind) => `SHOW GRANTS ON ${kind === 'view' ? 'VIEW' : 'TABLE'} ${qualifySnowflake(relation)}`,
  grantsFromRows: (rows) => {
    const out = new Map<string, string[]>();
    for (const row of rows) {
      const privilege = String(row.privilege ?? '').toUpperCase();
      if (privilege === 'OWNERSHIP' || String(row.granted_to ?? '').toUpperCase() !== 'ROLE') continue;
      const list = out.get(privilege) ?? [];
      list.push(String(row.grantee_name ?? ''));
      out.set(privilege, list);
    }
    return out;
  },
  grant: (relation, kind, privilege, grantee) =>
    `GRANT ${privilege} ON ${kind === 'view' ? 'VIEW' : 'TABLE'} ${qualifySnowflake(relation)} TO ROLE ${quoteSnowflakeIdentifier(grantee)}`,
  revoke: (relation, kind, privilege, grantee) =>
    `REVOKE ${privilege} ON ${kind === 'view' ? 'VIEW' : 'TABLE'} ${qualifySnowflake(relation)} FROM ROLE ${quoteSnowflakeIdentifier(grantee)}`,
  granteeName: snowflakeName,
};

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
  // COPY GRANTS by default: a view rebuilt every run keeps what was granted on it.
  createOrReplaceView: (relation, sql, options = {}) =>
    `CREATE OR REPLACE VIEW ${qualifySnowflake(relation)}${(options.copyGrants ?? true) ? ' COPY GRANTS' : ''} AS\n${sql}`,
  // CREATE OR REPLACE drops the old table and creates the new one in one transaction: readers see one or the other.
  createOrReplaceTableAs,
  mergeInto: (target, sourceSql, keys, columns, options = {}) =>
    mergeStatement({
      target,
      sourceSql,
      keys,
      columns,
      ...(options.predicates ? { predicates: options.predicates } : {}),
    }),
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
  privileges,
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
