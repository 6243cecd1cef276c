import type { ExecutionContext } from '../execution-context.js';
import type { NameReferences } from '../sql/name-references.js';
import { displayName, type QualifiedName } from '../sql/object-name.js';
import { quoteString } from '../sql/syntax-tree.js';
import { databaseDoesNotExist, doesNotExist, invalidIdentifier } from './catalog-errors.js';

/**
 * Snowflake's case rules for the names a statement uses (sql/name-references.ts collects them): an unquoted name
 * is its upper-case spelling, a quoted one its exact spelling, and either finds only an object or column of
 * exactly that name. DuckDB, which runs the statement, matches names case-insensitively, so it would find `S.T`
 * for `"s"."t"` and `ID` for `"id"`; this check refuses those first, with Snowflake's errors (002003, 000904).
 * A name DuckDB would not find either is left to DuckDB's own error.
 */
export async function checkNameCase(names: NameReferences, context: ExecutionContext): Promise<void> {
  const { engine } = context.services;
  const found: QualifiedName[] = [];
  for (const relation of names.relations) {
    if (engine.databaseName(relation.database) === undefined) {
      const other = engine.caseCollision(relation.database);
      if (other !== undefined) throw databaseDoesNotExist(relation.database, undefined);
      continue;
    }
    const same = (column: string, value: string): string => `lower(${column}) = lower(${quoteString(value)})`;
    const where = (nameColumn: string): string =>
      `${same('database_name', relation.database)} AND ${same('schema_name', relation.schema)} AND ${same(nameColumn, relation.name)}`;
    const rows = await context.readAll(
      `SELECT database_name, schema_name, table_name FROM duckdb_tables() WHERE ${where('table_name')}
       UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views() WHERE NOT internal AND ${where('view_name')}`,
    );
    if (rows.length === 0) continue;
    const exact = rows.some(([d, s, n]) => d === relation.database && s === relation.schema && n === relation.name);
    if (!exact) throw doesNotExist('Object', displayName(relation), '42S02');
    found.push(relation);
  }
  if (names.columns.length === 0 || found.length === 0) return;
  const rows = await context.readAll(
    `SELECT DISTINCT column_name FROM duckdb_columns() WHERE ${found
      .map(
        (r) =>
          `(database_name = ${quoteString(r.database)} AND schema_name = ${quoteString(r.schema)} AND table_name = ${quoteString(r.name)})`,
      )
      .join(' OR ')}`,
  );
  const columns = new Set(rows.map(([c]) => String(c)));
  const byUpper = new Set([...columns].map((c) => c.toUpperCase()));
  const defined = new Set(names.defined);
  for (const reference of names.columns) {
    if (columns.has(reference.name) || defined.has(reference.name)) continue;
    if (!byUpper.has(reference.name.toUpperCase())) continue;
    const plain = /^[A-Z_][A-Z0-9_$]*$/.test(reference.name);
    throw invalidIdentifier(plain ? reference.name : `"${reference.name.replaceAll('"', '""')}"`);
  }
}
