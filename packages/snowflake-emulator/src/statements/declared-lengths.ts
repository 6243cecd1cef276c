import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { ExecutionContext } from '../execution-context.js';
import { DECLARED_TYPE_PREFIX } from '../sql/information-schema.js';
import { duckName, type QualifiedName } from '../sql/object-name.js';
import { quoteIdent, quoteString } from '../sql/syntax-tree.js';

/**
 * Snowflake refuses a write that would put a longer string in a `VARCHAR(n)` column (100074: "String '…' is too
 * long and would be truncated"); DuckDB keeps no length. After a write to a table with declared lengths (kept as
 * column comments), the table is checked and the write undone when a value is too long: the statement runs in a
 * transaction of its own, or — inside the session's open transaction — the whole transaction is rolled back (the
 * emulator cannot undo one statement of a transaction; the README says so).
 */
export async function declaredLengths(
  target: QualifiedName,
  context: ExecutionContext,
): Promise<readonly { readonly column: string; readonly length: number }[]> {
  if (context.services.engine.databaseName(target.database) === undefined) return [];
  const rows = await context.readAll(
    `SELECT column_name, comment FROM duckdb_columns() WHERE database_name = ${quoteString(target.database)} AND schema_name = ${quoteString(target.schema)} AND table_name = ${quoteString(target.name)} AND comment LIKE ${quoteString(`${DECLARED_TYPE_PREFIX}VARCHAR(%`)}`,
  );
  return rows.flatMap(([column, comment]) => {
    const length = /^VARCHAR\((\d+)\)$/.exec(String(comment).slice(DECLARED_TYPE_PREFIX.length))?.[1];
    return length === undefined ? [] : [{ column: String(column), length: Number(length) }];
  });
}

/** Throw 100074 (after undoing the write, see above) when a declared length of `target` is exceeded. */
export async function enforceDeclaredLengths(target: QualifiedName, context: ExecutionContext): Promise<void> {
  const limits = await declaredLengths(target, context);
  if (limits.length === 0) return;
  const over = limits.map((l) => `length(${quoteIdent(l.column)}) > ${l.length}`);
  const [row] = await context.readAll(
    `SELECT ${limits.map((l) => `CASE WHEN length(${quoteIdent(l.column)}) > ${l.length} THEN ${quoteIdent(l.column)} END`).join(', ')} FROM ${duckName(target)} WHERE ${over.join(' OR ')} LIMIT 1`,
  );
  if (row === undefined) return;
  const value = String(row.find((v) => v !== null) ?? '');
  if (context.session.inTransaction) {
    await context.run('ROLLBACK').catch(() => undefined);
    context.session.transactionAborted = true;
  }
  throw SnowflakeEmulatorError.sql('100074', '22000', `String '${value}' is too long and would be truncated`);
}
