import type { RelationColumn, SqlDialect } from '@sluice/warehouse';
import { TemplateUsageError } from '../template-errors.js';
import type { UnitTestRows } from '../project.js';

const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A value written in a fixture as a SQL literal (text quoted; objects and lists as JSON text). */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  // YAML 1.1 reads `2024-01-01` as a date: write it back as the date it was.
  const text =
    value instanceof Date
      ? value.toISOString().replace(/T00:00:00\.000Z$/, '')
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * A literal where no column type is known: a date- or timestamp-shaped value (YAML reads `2024-01-01` as a date)
 * becomes a typed literal, so it compares with the date column it stands for; anything else as `sqlLiteral`.
 */
export function untypedLiteral(value: unknown): string {
  const text = value instanceof Date ? value.toISOString().replace(/T00:00:00\.000Z$/, '') : value;
  if (typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text)) return `date '${text}'`;
  if (typeof text === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text))
    return `timestamp '${text.replace('T', ' ')}'`;
  return sqlLiteral(value);
}

/** A column name as written in a fixture: bare when it is a plain name (the engine folds its case), else quoted. */
export function columnReference(name: string, dialect: SqlDialect): string {
  return SIMPLE_NAME.test(name) ? name : dialect.quoteIdentifier(name);
}

/** The columns the rows name, in the order first seen. */
export function columnsOfRows(rows: readonly Readonly<Record<string, unknown>>[]): string[] {
  const out: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!out.includes(key)) out.push(key);
  return out;
}

/**
 * The query a given input becomes (dbt's fixture CTE): one `select` per row joined by `union all`, every column of
 * the input relation present — the ones a row leaves out null — each cast to the relation's type. Without the
 * relation's columns (a compile with no warehouse) the columns written, uncast. `format: sql` is used as written.
 * A column the relation does not have is an error naming it.
 */
export function fixtureSql(
  rows: UnitTestRows,
  columns: readonly RelationColumn[] | undefined,
  dialect: SqlDialect,
  what: string,
): string {
  if (rows.format === 'sql') return rows.sql ?? '';
  const given = rows.rows ?? [];
  const written = columnsOfRows(given);
  const byLower = new Map((columns ?? []).map((c) => [c.name.toLowerCase(), c] as const));
  if (columns !== undefined) {
    for (const name of written) {
      if (!byLower.has(name.toLowerCase()))
        throw new TemplateUsageError(
          `${what}: column ${name} is not a column of the input (it has ${columns.map((c) => c.name).join(', ')}).`,
        );
    }
  }
  const select = (row: Readonly<Record<string, unknown>> | undefined): string => {
    const find = (name: string): unknown => {
      if (row === undefined) return null;
      const key = Object.keys(row).find((k) => k.toLowerCase() === name.toLowerCase());
      return key === undefined ? null : row[key];
    };
    const items =
      columns === undefined
        ? written.map((name) => `${sqlLiteral(find(name))} as ${columnReference(name, dialect)}`)
        : columns.map(
            (c) => `cast(${sqlLiteral(find(c.name))} as ${c.dataType}) as ${dialect.quoteIdentifier(c.name)}`,
          );
    return `select ${items.length === 0 ? '1 as sluice_no_column' : items.join(', ')}`;
  };
  if (given.length === 0) return `${select(undefined)} where 1 = 0`;
  return given.map((row) => select(row)).join('\nunion all\n');
}

/**
 * A fixture typed by a query's output (a `union all` under an empty select of it): `this` of an incremental model
 * not built yet, typed by the model's own output. Only the columns written are present.
 */
export function typedFixtureSql(rows: UnitTestRows, query: string, dialect: SqlDialect): string {
  if (rows.format === 'sql') return rows.sql ?? '';
  const given = rows.rows ?? [];
  const columns = columnsOfRows(given);
  if (columns.length === 0) return 'select 1 as sluice_no_column where 1 = 0';
  const refs = columns.map((c) => columnReference(c, dialect));
  const literalRows = given.map(
    (row) => `select ${columns.map((c, i) => `${untypedLiteral(row[c])} as ${refs[i] as string}`).join(', ')}`,
  );
  const empty = `select ${refs.join(', ')} from (\n${query.replace(/[\s;]+$/u, '')}\n) as sluice_typed where 1 = 0`;
  return [empty, ...literalRows].join('\nunion all\n');
}

/**
 * The two queries a unit test compares, each returning the expected columns as text (`c0`, `c1`, …): the model's
 * output, and the expected rows typed as the output is (a `union all` under an empty select of it, so the engine
 * gives the literals the output's types). A `format: sql` expectation gives every column: `outputColumns` (the
 * output's column names, as the engine returned them) are compared, read from the expected query by name.
 */
export function comparisonSql(
  actualSql: string,
  expect: UnitTestRows,
  dialect: SqlDialect,
  outputColumns: readonly string[] = [],
): { readonly actual: string; readonly expected: string; readonly columns: readonly string[] } {
  const actualFrom = `(\n${actualSql.replace(/[\s;]+$/u, '')}\n) as sluice_actual`;
  const sql = expect.format === 'sql';
  const rows = expect.rows ?? [];
  const columns = sql ? [...outputColumns] : columnsOfRows(rows);
  if (columns.length === 0)
    return { actual: `select 1 as c0 from ${actualFrom}`, expected: 'select 1 as c0 where 1 = 0', columns: [] };
  const refs = columns.map((c) => (sql ? dialect.quoteIdentifier(c) : columnReference(c, dialect)));
  const asText = (from: string): string =>
    `select ${refs.map((r, i) => `${dialect.castToText(r)} as c${i}`).join(', ')} from ${from}`;
  const given = sql
    ? [`select ${refs.join(', ')} from (\n${(expect.sql ?? '').replace(/[\s;]+$/u, '')}\n) as sluice_given`]
    : rows.map((row) => `select ${columns.map((c, i) => `${sqlLiteral(row[c])} as ${refs[i] as string}`).join(', ')}`);
  const typed = [`select ${refs.join(', ')} from ${actualFrom} where 1 = 0`, ...given].join('\nunion all\n');
  return { actual: asText(actualFrom), expected: asText(`(\n${typed}\n) as sluice_expected`), columns };
}
