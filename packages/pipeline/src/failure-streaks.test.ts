import { describe, expect, it } from 'vitest';
import { failureStreaks, type StreakInput } from './failure-streaks.js';
import type { TableOutcome } from './run-record.js';

type Outcome = Pick<TableOutcome, 'table' | 'status' | 'error'>;

let minute = 0;
/** Runs in the order given, one minute apart (the newest last). */
const history = (...runs: (readonly Outcome[] | 'running')[]): StreakInput[] =>
  runs.map((tables, i) => ({
    id: `run-${i + 1}`,
    status: tables === 'running' ? 'running' : 'success',
    startedAt: new Date(Date.UTC(2024, 0, 1, 0, minute++)),
    detail: { tables: tables === 'running' ? [] : tables.map((t) => ({ rows: 0, bytes: 0, ...t })) },
  }));
const ok = (table: string): Outcome => ({ table, status: 'success' });
const failed = (table: string, message = 'boom'): Outcome => ({
  table,
  status: 'failed',
  error: { code: 'UNREPRESENTABLE_VALUE', message },
});

describe('failureStreaks', () => {
  it('names a table that failed two or more runs in a row, with the first failing run and its error', () => {
    const runs = history(
      [ok('vendas'), ok('clientes')],
      [failed('vendas', 'first'), ok('clientes')],
      [failed('vendas', 'second'), ok('clientes')],
      [failed('vendas', 'third'), ok('clientes')],
    );
    expect(failureStreaks(runs)).toEqual([
      {
        table: 'vendas',
        runs: 3,
        first: { runId: 'run-2', at: runs[1]?.startedAt, error: { code: 'UNREPRESENTABLE_VALUE', message: 'first' } },
        latest: { runId: 'run-4', at: runs[3]?.startedAt, error: { code: 'UNREPRESENTABLE_VALUE', message: 'third' } },
      },
    ]);
  });

  it('a single failure, or failures broken by a success, is no streak', () => {
    expect(failureStreaks(history([failed('a')], [ok('a')], [failed('a')]))).toEqual([]);
    expect(failureStreaks(history([failed('a')], [failed('a')], [ok('a')]))).toEqual([]);
    expect(failureStreaks(history([failed('a')], [failed('a')]), { minRuns: 3 })).toEqual([]);
  });

  it('passes over runs that say nothing of the table: running, models only, other tables, cancelled', () => {
    const runs = history([failed('a')], [], [ok('b')], [{ table: 'a', status: 'cancelled' }], 'running', [failed('a')]);
    expect(failureStreaks(runs).map((s) => [s.table, s.runs, s.first.runId, s.latest.runId])).toEqual([
      ['a', 2, 'run-1', 'run-6'],
    ]);
  });

  it('reads the history in any order, and lists the longest streaks first', () => {
    const runs = history([failed('b'), failed('a')], [failed('b'), failed('a')], [failed('b'), ok('a')], [failed('b')]);
    expect(failureStreaks([...runs].reverse()).map((s) => [s.table, s.runs])).toEqual([['b', 4]]);
    const both = history(
      [failed('b'), failed('a')],
      [failed('b'), failed('a')],
      [failed('b'), failed('a')],
      [failed('b')],
    );
    expect(failureStreaks(both).map((s) => [s.table, s.runs])).toEqual([
      ['b', 4],
      ['a', 3],
    ]);
  });
});
