import { describe, expect, it } from 'vitest';
import type { StateEntry } from '@sluice/warehouse';
import { BUILD_NAMESPACE, tableChangeWrites, type BuildState } from './build-state.js';

function stateOf(counters: Record<string, { changes: number; position?: number; version: number }>): BuildState {
  const entries = new Map<string, StateEntry>(
    Object.entries(counters).map(([table, c]) => [
      `table:${table}`,
      {
        namespace: BUILD_NAMESPACE,
        key: `table:${table}`,
        value: { changes: c.changes, ...(c.position === undefined ? {} : { position: c.position }) },
        version: c.version,
        runId: 'r0',
        writtenAt: '2026-12-07 08:00:00',
      },
    ]),
  );
  return {
    entries,
    tableChanges: new Map(Object.entries(counters).map(([t, c]) => [t, c.changes])),
    source: 'warehouse',
  };
}

const values = (writes: ReturnType<typeof tableChangeWrites>) =>
  Object.fromEntries(writes.map((w) => [w.key, { ...w.value, version: w.version }]));

describe('tableChangeWrites: change counters that a killed run cannot fool', () => {
  it('bumps a table the run changed and records the position it left', () => {
    const state = stateOf({ 'raw.vendas': { changes: 4, position: 7, version: 5 } });
    const writes = tableChangeWrites(
      state,
      new Set(['raw.vendas']),
      new Map([['raw.vendas', { before: 7, after: 8 }]]),
    );
    expect(values(writes)).toEqual({ 'table:raw.vendas': { changes: 5, position: 8, version: 6 } });
  });

  it('bumps a table whose position moved while no counter saw it (a run killed after its commit)', () => {
    const state = stateOf({ 'raw.vendas': { changes: 4, position: 7, version: 5 } });
    // This run changed nothing, but the position it began from (9) is not the one the counter saw (7).
    const writes = tableChangeWrites(state, new Set(), new Map([['raw.vendas', { before: 9, after: 9 }]]));
    expect(values(writes)).toEqual({ 'table:raw.vendas': { changes: 5, position: 9, version: 6 } });
  });

  it('records a load that changed no row without bumping, and writes nothing when nothing moved', () => {
    const state = stateOf({ 'raw.vendas': { changes: 4, position: 7, version: 5 } });
    expect(values(tableChangeWrites(state, new Set(), new Map([['raw.vendas', { before: 7, after: 8 }]])))).toEqual({
      'table:raw.vendas': { changes: 4, position: 8, version: 6 },
    });
    expect(tableChangeWrites(state, new Set(), new Map([['raw.vendas', { before: 7, after: 7 }]]))).toEqual([]);
  });

  it('takes a counter from before positions were recorded as current, and bumps a loaded table with no counter', () => {
    const state = stateOf({ 'raw.vendas': { changes: 2, version: 2 } });
    const writes = tableChangeWrites(
      state,
      new Set(),
      new Map([
        ['raw.vendas', { before: 3, after: 3 }],
        ['raw.clientes', { before: 4, after: 4 }],
        ['raw.novas', { before: 0, after: 0 }],
      ]),
    );
    expect(values(writes)).toEqual({
      'table:raw.clientes': { changes: 1, position: 4, version: 1 },
      'table:raw.novas': { changes: 0, position: 0, version: 1 },
      'table:raw.vendas': { changes: 2, position: 3, version: 3 },
    });
  });
});
