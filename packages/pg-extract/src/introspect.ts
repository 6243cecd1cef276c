import { closestNames, type Column } from '@sluice/warehouse';
import { introspectTableSql, listTablesSql } from './catalog-sql.js';
import { ExtractError } from './extract-error.js';
import { logicalTypeOf, type PgTypeInfo } from './pg-type.js';

/** The part of a `pg.Client` introspection needs. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

/** A source column: its Postgres type as written by `format_type`, and its logical type when Sluice has one. */
export interface SourceColumn {
  readonly name: string;
  readonly pgType: string;
  readonly nullable: boolean;
  readonly info: PgTypeInfo;
  /** `undefined`: no exact mapping; the column must be excluded (or hashed) to load the table. */
  readonly logical: Column['type'] | undefined;
  /** Where new values come from: an identity column, or a default taken from a sequence (`serial`). */
  readonly autoIncrement?: 'identity' | 'sequence';
  /** A generated column (`GENERATED ALWAYS AS (…) STORED`): Postgres computes it from the row. */
  readonly generated?: boolean;
}

/** What Postgres says about one table. */
export interface SourceTable {
  readonly schema: string;
  readonly name: string;
  /** `r` table, `p` partitioned table, `v` view, `m` materialized view, `f` foreign table. */
  readonly kind: string;
  readonly columns: readonly SourceColumn[];
  readonly primaryKey: readonly string[];
  /** Planner estimates, for splitting large first loads. */
  readonly estimatedRows: number;
  readonly pages: number;
}

interface RelationRow extends Record<string, unknown> {
  oid: number;
  relkind: string;
  reltuples: number;
  relpages: number;
}

interface ColumnRow extends Record<string, unknown> {
  name: string;
  pg_type: string;
  nullable: boolean;
  typmod: number;
  typname: string;
  typtype: string;
  elem_typname: string | null;
  elem_typtype: string | null;
  labels: string[] | null;
  elem_labels: string[] | null;
  identity: string | null;
  generated: string | null;
  serial: boolean | null;
}

/**
 * Read a table's columns, types and primary key from `pg_catalog`.
 * Throws `TABLE_NOT_FOUND` naming the table and the closest existing names in the schema.
 */
export async function introspectTable(client: Queryable, schema: string, name: string): Promise<SourceTable> {
  // One round trip: the relation, its columns (none: one row of NULLs) and each column's place in the primary key.
  const statement = introspectTableSql(schema, name);
  const result = await client.query<RelationRow & Partial<ColumnRow> & { pk_position: number | null }>(statement.text, [
    ...statement.values,
  ]);
  const relation = result.rows[0];
  if (!relation) {
    const others = await listTables(client, schema);
    // A name written with SQL quotes names the table without them (sluice.yml holds names as Postgres stores them).
    const unquoted = /^"((?:[^"]|"")+)"$/.exec(name)?.[1]?.replaceAll('""', '"');
    const hint = unquoted !== undefined && others.includes(unquoted) ? [unquoted] : closestNames(name, others);
    throw new ExtractError(
      'TABLE_NOT_FOUND',
      `table ${schema}.${name} does not exist in the source` +
        (hint.length > 0
          ? ` (did you mean ${hint.join(' or ')}?)`
          : others.length === 0
            ? ` (schema ${schema} has no tables)`
            : ''),
      { table: `${schema}.${name}` },
    );
  }
  const columnRows = result.rows.filter(
    (row): row is typeof row & ColumnRow => row.name !== null && row.name !== undefined,
  );
  const primaryKey = columnRows
    .filter((row) => row.pk_position !== null)
    .sort((a, b) => (a.pk_position ?? 0) - (b.pk_position ?? 0))
    .map((row) => row.name);
  return {
    schema,
    name,
    kind: relation.relkind,
    columns: columnRows.map((row) => {
      const info: PgTypeInfo = {
        typname: row.typname,
        typtype: row.typtype,
        typmod: row.typmod,
        ...(row.labels ? { enumLabels: row.labels } : {}),
        ...(row.elem_typname
          ? {
              element: {
                typname: row.elem_typname,
                typtype: row.elem_typtype ?? 'b',
                typmod: row.typmod,
                ...(row.elem_labels ? { enumLabels: row.elem_labels } : {}),
              },
            }
          : {}),
      };
      const autoIncrement = row.identity ? 'identity' : row.serial ? 'sequence' : undefined;
      return {
        name: row.name,
        pgType: row.pg_type,
        nullable: row.nullable,
        info,
        logical: logicalTypeOf(info),
        ...(autoIncrement ? { autoIncrement } : {}),
        ...(row.generated ? { generated: true } : {}),
      };
    }),
    primaryKey,
    estimatedRows: Math.max(0, Math.round(relation.reltuples)),
    pages: relation.relpages,
  };
}

/** Names of the tables and views in a schema. */
export async function listTables(client: Queryable, schema: string): Promise<string[]> {
  const statement = listTablesSql(schema);
  const result = await client.query<{ name: string }>(statement.text, [...statement.values]);
  return result.rows.map((row) => row.name);
}
