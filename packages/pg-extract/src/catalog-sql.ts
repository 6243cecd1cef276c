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
 * `format_type` writes them, the base type of a domain, the element of an array, enum labels, and each column's
 * place in the primary key. Read by `introspectTable`.
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
 * The transactions that hold back the server's xmin horizon for longer than `olderThanSeconds`: sessions of any
 * database with a transaction id (a writer) open that long, and prepared transactions. Each keeps every `scan`
 * run re-reading what was written since it began (and keeps vacuum from cleaning up). Another role's sessions are
 * shown to members of `pg_read_all_stats` only.
 */
export function openTransactionsSql(olderThanSeconds: number): SourceStatement {
  return {
    text: `SELECT * FROM (
       SELECT a.pid, a.datname::text AS database, a.usename::text AS role, a.xact_start::text AS since,
              a.state::text AS state, a.backend_xid::text AS xid,
              extract(epoch FROM now() - a.xact_start)::float8 AS seconds
         FROM pg_stat_activity AS a
        WHERE a.backend_xid IS NOT NULL AND a.xact_start < now() - make_interval(secs => $1)
       UNION ALL
       SELECT NULL, p.database::text, p.owner::text, p.prepared::text, 'prepared ' || p.gid, p.transaction::text,
              extract(epoch FROM now() - p.prepared)::float8
         FROM pg_prepared_xacts AS p
        WHERE p.prepared < now() - make_interval(secs => $1)) AS open
      ORDER BY seconds DESC LIMIT 10`,
    values: [olderThanSeconds],
  };
}
