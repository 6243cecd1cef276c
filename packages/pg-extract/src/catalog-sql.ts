import { quoteIdentifier } from '@sluice/warehouse';
import type { ExtractPlan } from './extract-plan.js';

// The catalog reads of introspection, `sluice doctor` and `sluice init`. Pure; pinned in __golden__/catalog.sql.

/** A statement for the source with bound values (names from `sluice.yml` are never spliced into catalog SQL). */
export interface SourceStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** The relation kinds Sluice can read: table, partitioned table, view, materialized view, foreign table. */
const READABLE_KINDS = `('r', 'p', 'v', 'm', 'f')`;

/**
 * One round trip for one relation: its kind and size, its columns (none: one row of NULLs) with their types as
 * `format_type` writes them, whether a column is an identity, takes its default from a sequence, or is generated,
 * the base type of a domain, the element of an array, enum labels, and each column's place in the primary key.
 * Read by `introspectTable`.
 */
export function introspectTableSql(schema: string, name: string): SourceStatement {
  return {
    text: `SELECT c.oid::int AS oid, c.relkind::text AS relkind, c.reltuples::float8 AS reltuples, c.relpages::int AS relpages, col.*
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN LATERAL (
         SELECT a.attnum,
                a.attname AS name,
                format_type(a.atttypid, a.atttypmod) AS pg_type,
                NOT a.attnotnull AS nullable,
                a.attidentity::text AS identity, a.attgenerated::text AS generated,
                (SELECT pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%' FROM pg_attrdef d
                  WHERE d.adrelid = c.oid AND d.adnum = a.attnum) AS serial,
                CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
                bt.typname::text AS typname, bt.typtype::text AS typtype,
                et.typname::text AS elem_typname, et.typtype::text AS elem_typtype,
                (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = bt.oid) AS labels,
                (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = et.oid) AS elem_labels,
                array_position(
                  (SELECT i.indkey::int2[] FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), a.attnum
                ) AS pk_position
           FROM pg_attribute a
           JOIN pg_type t ON t.oid = a.atttypid
           JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
           LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       ) col ON true
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ${READABLE_KINDS}
      ORDER BY col.attnum`,
    values: [schema, name],
  };
}

/** The names of the relations Sluice can read in a schema, sorted. */
export function listTablesSql(schema: string): SourceStatement {
  return {
    text: `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ${READABLE_KINDS} ORDER BY 1`,
    values: [schema],
  };
}

/** The server's version (text and number), the role logged in and the database. */
export function serverInfoSql(): SourceStatement {
  return {
    text: `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
              current_user::text AS role, current_database()::text AS database`,
    values: [],
  };
}

/** Whether the role may USAGE the schema and SELECT the table (or at least every one of `columns`). */
export function canReadSql(schema: string, name: string, columns: readonly string[]): SourceStatement {
  return {
    text: `SELECT has_schema_privilege(n.oid, 'USAGE')
            AND (has_table_privilege(c.oid, 'SELECT')
                 OR coalesce((SELECT bool_and(has_column_privilege(c.oid, col, 'SELECT')) FROM unnest($3::text[]) AS col), false))
            AS readable
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    values: [schema, name, [...columns]],
  };
}

/** How many rows a table has, counting no further than `limit` (reads at most `limit` rows). */
export function countUpToSql(schema: string, name: string, limit: number): SourceStatement {
  return {
    text: `SELECT count(*)::text AS n FROM (SELECT 1 FROM ${quoteIdentifier(schema)}.${quoteIdentifier(name)} LIMIT ${Math.max(1, Math.floor(limit))}) AS t`,
    values: [],
  };
}

/**
 * The index that would serve a plan's cursor, for the user to create (never sent by Sluice): a bare column as is,
 * an expression in parentheses.
 *
 * @example cursorIndexSuggestion(plan) // 'CREATE INDEX CONCURRENTLY ON "public"."vendas" ((COALESCE(…)), "id_vendas")'
 */
export function cursorIndexSuggestion(plan: ExtractPlan): string {
  const keys = plan.cursorSql.map((sql) => (/^"([^"]|"")+"$/.test(sql) ? sql : `(${sql})`));
  const table = `${quoteIdentifier(plan.table.schema)}.${quoteIdentifier(plan.table.name)}`;
  return `CREATE INDEX CONCURRENTLY ON ${table} (${keys.join(', ')})`;
}

/**
 * Every relation of a schema `sluice init` may propose, with what Postgres knows about its use: kind, whether it
 * is a partition (and of which root), whether the role may read it, its size on disk, and the rows inserted,
 * updated and deleted since the statistics were reset (`pg_stat_user_tables`, summed over a partitioned table's
 * partitions), when it was itself last analyzed (a partitioned table's own statistics come only from an ANALYZE of
 * it), and when the database's statistics were reset (`NULL`: never). Read by `SourceCatalog.listRelations`.
 */
export function listRelationsSql(schema: string): SourceStatement {
  return {
    text: `SELECT c.relname AS name, c.relkind::text AS kind, c.relispartition AS is_partition,
            CASE WHEN c.relispartition THEN rn.nspname::text END AS root_schema,
            CASE WHEN c.relispartition THEN r.relname::text END AS root_name,
            has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS readable,
            c.reltuples::float8 AS reltuples,
            s.bytes::text AS bytes, s.inserted::text AS inserted, s.updated::text AS updated,
            s.deleted::text AS deleted, s.live::text AS live, s.modified::text AS modified_since_analyze,
            (SELECT greatest(o.last_analyze, o.last_autoanalyze) FROM pg_stat_user_tables o WHERE o.relid = c.oid)::text
              AS last_analyzed,
            (SELECT d.stats_reset::text FROM pg_stat_database d WHERE d.datname = current_database()) AS stats_reset
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)
       LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
       LEFT JOIN LATERAL (
         SELECT sum(pg_relation_size(t.relid))::bigint AS bytes,
                sum(st.n_tup_ins)::bigint AS inserted, sum(st.n_tup_upd)::bigint AS updated,
                sum(st.n_tup_del)::bigint AS deleted, sum(st.n_live_tup)::bigint AS live,
                sum(st.n_mod_since_analyze)::bigint AS modified
           FROM (SELECT c.oid AS relid UNION SELECT p.relid FROM pg_partition_tree(c.oid) AS p) AS t
           LEFT JOIN pg_stat_user_tables st ON st.relid = t.relid
       ) s ON true
      WHERE n.nspname = $1 AND c.relkind IN ${READABLE_KINDS}
      ORDER BY 1`,
    values: [schema],
  };
}

/**
 * What `ANALYZE` found about a table's columns (`pg_stats`): the fraction of rows where each is NULL and its
 * number of distinct values (negative: minus that fraction of the rows, as Postgres writes it). `inherited`: the
 * statistics of a partitioned table over all its partitions. No rows: never analyzed (or no SELECT on it).
 */
export function columnStatsSql(schema: string, name: string, inherited: boolean): SourceStatement {
  return {
    text: `SELECT attname::text AS name, null_frac::float8 AS null_frac, n_distinct::float8 AS n_distinct
       FROM pg_stats WHERE schemaname = $1 AND tablename = $2 AND inherited = $3`,
    values: [schema, name, inherited],
  };
}

/**
 * A sample of a table that was never analyzed: of up to `limit` rows from about `percent` % of its pages
 * (`TABLESAMPLE SYSTEM`, the same pages every time), how many there are, and per column how many are not NULL and
 * how many distinct values they hold. `columns` must have an equality operator (timestamps, dates, numbers, uuids).
 *
 * @example columnSampleSql('public', 'orders', ['updated_at', 'id'], 12.5, 10_000)
 */
export function columnSampleSql(
  schema: string,
  name: string,
  columns: readonly string[],
  percent: number,
  limit: number,
): SourceStatement {
  const share = Math.min(100, Math.max(0.0001, percent));
  const list = columns.map(quoteIdentifier);
  const counts = list.map((column, i) => `count(${column})::text AS n${i}, count(DISTINCT ${column})::text AS d${i}`);
  return {
    text: `SELECT count(*)::text AS rows${counts.map((count) => `, ${count}`).join('')}
       FROM (SELECT ${list.length > 0 ? list.join(', ') : '1 AS one'} FROM ${quoteIdentifier(schema)}.${quoteIdentifier(name)}
             TABLESAMPLE SYSTEM (${Number(share.toPrecision(6))}) REPEATABLE (0) LIMIT ${Math.max(1, Math.floor(limit))}) AS sample`,
    values: [],
  };
}
