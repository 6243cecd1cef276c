import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { ExecutionContext } from '../execution-context.js';
import { columnEncoding } from '../result-encoding.js';
import type { Session } from '../session.js';
import { DECLARED_TYPE_PREFIX } from '../sql/information-schema.js';
import { resultTypeOfDeclared, type SnowflakeResultType } from '../sql/snowflake-types.js';
import { type PlanOf, StatementTypeId } from '../sql/statement-plan.js';
import { quoteString } from '../sql/syntax-tree.js';
import { counts, type StatementOutcome } from '../statement-outcome.js';
import { enforceDeclaredLengths } from './declared-lengths.js';

/** A query: its rows, encoded; where a result column is a table column with a declared type, that type. */
export async function runQuery(plan: PlanOf<'query'>, context: ExecutionContext): Promise<StatementOutcome> {
  const { session } = context;
  const result = await context.execute(plan.sql);
  const names = result.columnNames();
  const types = result.columnTypes();
  const declared = await declaredTypes(session, names, plan.words);
  const encodings = names.map((name, i) =>
    columnEncoding(name, types[i] as (typeof types)[number], declared.get(name)),
  );
  const rows = result
    .getRows()
    .map((row) => row.map((value, i) => (encodings[i] as (typeof encodings)[number]).encode(value)));
  return { type: 'rows', columns: encodings.map((e) => e.rowType), rows, statementTypeId: StatementTypeId.SELECT };
}

/** INSERT [OVERWRITE]: OVERWRITE empties the table in the same transaction. */
export async function insertRows(plan: PlanOf<'insert'>, context: ExecutionContext): Promise<StatementOutcome> {
  const inserted = await context.atomically(async () => {
    if (plan.overwriteTarget) await context.run(`DELETE FROM ${plan.overwriteTarget}`);
    const rows = Number((await context.execute(plan.sql)).rowsChanged);
    if (plan.written) await enforceDeclaredLengths(plan.written, context);
    return rows;
  });
  return counts(['number of rows inserted'], [inserted], StatementTypeId.INSERT);
}

export async function updateRows(plan: PlanOf<'update'>, context: ExecutionContext): Promise<StatementOutcome> {
  const updated = await context.atomically(async () => {
    const rows = Number((await context.execute(plan.sql)).rowsChanged);
    if (plan.written) await enforceDeclaredLengths(plan.written, context);
    return rows;
  });
  return counts(
    ['number of rows updated', 'number of multi-joined rows updated'],
    [updated, 0],
    StatementTypeId.UPDATE,
  );
}

export async function deleteRows(plan: PlanOf<'delete'>, context: ExecutionContext): Promise<StatementOutcome> {
  const deleted = Number((await context.execute(plan.sql)).rowsChanged);
  return counts(['number of rows deleted'], [deleted], StatementTypeId.DELETE);
}

/** The MERGE result columns, in Snowflake's order, for the clauses the statement has. */
const MERGE_COUNTS = [
  { clause: 'insert', action: 'INSERT', column: 'number of rows inserted' },
  { clause: 'update', action: 'UPDATE', column: 'number of rows updated' },
  { clause: 'delete', action: 'DELETE', column: 'number of rows deleted' },
] as const;

/**
 * MERGE: refused with 100090 when a target row is joined by more than one source row (unless
 * ERROR_ON_NONDETERMINISTIC_MERGE is off); answers one count per kind of clause it has.
 */
export async function mergeRows(plan: PlanOf<'merge'>, context: ExecutionContext): Promise<StatementOutcome> {
  if (plan.duplicateCheckSql && context.session.parameters.get('ERROR_ON_NONDETERMINISTIC_MERGE') !== false) {
    const duplicates = await context.readAll(plan.duplicateCheckSql);
    if (duplicates.length > 0) {
      throw SnowflakeEmulatorError.sql(
        '100090',
        '42P18',
        'Duplicate row detected during DML action\nRow Values: (a target row is joined by more than one source row; de-duplicate the source, e.g. QUALIFY ROW_NUMBER() OVER (PARTITION BY key ORDER BY …) = 1)',
      );
    }
  }
  const actions = await context.atomically(async () => {
    const rows = await context.readAll(plan.sql);
    if (plan.written) await enforceDeclaredLengths(plan.written, context);
    return rows;
  });
  const tally = new Map<string, number>();
  for (const row of actions) tally.set(String(row[0]), (tally.get(String(row[0])) ?? 0) + 1);
  const present = MERGE_COUNTS.filter((c) => plan.clauses[c.clause]);
  return counts(
    present.map((c) => c.column),
    present.map((c) => tally.get(c.action) ?? 0),
    StatementTypeId.MERGE,
  );
}

/**
 * Declared Snowflake types (kept as DuckDB column comments) of result columns that come from a table named in
 * the statement. A column name declared differently by two referenced tables stays undecided.
 */
async function declaredTypes(
  session: Session,
  names: readonly string[],
  words: readonly string[],
): Promise<Map<string, { type: SnowflakeResultType; params: number[] }>> {
  const out = new Map<string, { type: SnowflakeResultType; params: number[] }>();
  const tables = [...new Set(words)];
  if (names.length === 0 || tables.length === 0) return out;
  const rows = (
    await session.connection.runAndReadAll(
      `SELECT column_name, comment FROM duckdb_columns() WHERE comment LIKE '${DECLARED_TYPE_PREFIX}%' AND table_name IN (${tables.map(quoteString).join(', ')}) AND column_name IN (${[...new Set(names)].map(quoteString).join(', ')})`,
    )
  ).getRows();
  const seen = new Map<string, Set<string>>();
  for (const [column, comment] of rows) {
    const set = seen.get(String(column)) ?? new Set<string>();
    set.add(String(comment).slice(DECLARED_TYPE_PREFIX.length));
    seen.set(String(column), set);
  }
  for (const [column, set] of seen) {
    if (set.size !== 1) continue;
    const parsed = resultTypeOfDeclared([...set][0] as string);
    if (parsed) out.set(column, parsed);
  }
  return out;
}
