import type { Row, Warehouse } from '@sluice/warehouse';
import type { UnitTestRows } from '../project.js';
import { comparisonSql } from './unit-test-sql.js';

/** How a unit test ended: `pass` when the model's output equals the expected rows (in any order), else `fail`. */
export interface UnitTestOutcome {
  readonly status: 'pass' | 'fail';
  /** One line, and on failure dbt's kind of diff table (`+++` rows only in the output, `---` only expected). */
  readonly message: string;
  /** Rows that differ (either side). */
  readonly failures: number;
  /** The differing rows (at most `sampleSize`), with the side in `diff`: `+++` actual, `---` expected. */
  readonly samples: readonly Row[];
}

/** A cell as compared: text, `null` for NULL. */
function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return String(value);
}

/**
 * Run a compiled unit test (the model's query on the given rows) and compare its output with `expect` on the
 * columns `expect` names, as multisets: order does not matter, duplicates do. No relation is created.
 *
 * @example const outcome = await runUnitTest(warehouse, compiled.sql, node.unit.expect, { tag });
 */
export async function runUnitTest(
  warehouse: Warehouse,
  sql: string,
  expect: UnitTestRows,
  options: { readonly tag?: string; readonly signal?: AbortSignal; readonly sampleSize?: number } = {},
): Promise<UnitTestOutcome> {
  const statement = {
    ...(options.tag === undefined ? {} : { tag: options.tag }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  // A `format: sql` expectation gives every column: the output's own names are compared.
  let outputColumns: string[] = [];
  if (expect.format === 'sql') {
    const output = await warehouse.query(
      `select * from (\n${sql.replace(/[\s;]+$/u, '')}\n) as sluice_actual`,
      statement,
    );
    const given = output.length > 0 ? [] : await warehouse.query(expect.sql ?? '', statement);
    outputColumns = Object.keys(output[0] ?? given[0] ?? {});
  }
  const queries = comparisonSql(sql, expect, warehouse.dialect, outputColumns);
  const actualRows = await warehouse.query(queries.actual, statement);
  const expectedRows = await warehouse.query(queries.expected, statement);
  const names = queries.columns;
  const cellsOf = (row: Row): (string | null)[] => names.map((_, i) => cellText(row[`c${i}`] ?? row[`C${i}`]));
  const actual = actualRows.map(cellsOf);
  const expected = expectedRows.map(cellsOf);
  const pending = new Map<string, number>();
  for (const row of expected) pending.set(JSON.stringify(row), (pending.get(JSON.stringify(row)) ?? 0) + 1);
  const onlyActual: (string | null)[][] = [];
  for (const row of actual) {
    const key = JSON.stringify(row);
    const left = pending.get(key) ?? 0;
    if (left > 0) pending.set(key, left - 1);
    else onlyActual.push(row);
  }
  const onlyExpected: (string | null)[][] = [];
  for (const row of expected) {
    const key = JSON.stringify(row);
    const left = pending.get(key) ?? 0;
    if (left > 0) {
      onlyExpected.push(row);
      pending.set(key, left - 1);
    }
  }
  const failures = onlyActual.length + onlyExpected.length;
  if (failures === 0)
    return { status: 'pass', message: `pass: ${actual.length} row(s) as expected`, failures: 0, samples: [] };
  const diff = [...onlyActual.map((r) => ['+++', ...r] as const), ...onlyExpected.map((r) => ['---', ...r] as const)];
  const sampleSize = options.sampleSize ?? 5;
  const samples = diff
    .slice(0, sampleSize)
    .map((r) => Object.fromEntries([['diff', r[0]], ...names.map((n, i) => [n, r[i + 1] ?? null])]) as Row);
  return {
    status: 'fail',
    message: `fail: actual differs from expected (${onlyActual.length} row(s) only in the output, ${onlyExpected.length} only expected; ${actual.length} actual, ${expected.length} expected):\n${diffTable(names, diff)}`,
    failures,
    samples,
  };
}

/** dbt's diff layout: a header `@@` row, then `+++` (output only) and `---` (expected only) rows, padded columns. */
function diffTable(names: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  const table = [['@@', ...names], ...rows.map((r) => r.map((c) => (c === null ? 'null' : c)))];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
  return table
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i] ?? 0))
        .join(' | ')
        .trimEnd(),
    )
    .join('\n');
}
