import { describe, expect, it } from 'vitest';
import type { RelationState, StateEntry } from '@sluice/warehouse';
import type { Position, Watermark } from '@sluice/watermark';
import { decideStart, firstLoadOf, progressValue, type StartFacts } from './ingest-state.js';

const position: Position = { cursor: ['2024-01-01 00:00:00', '10'], snapshotXmin: '900' };
const entry = (version: number, value: Position = position): StateEntry => ({
  namespace: 'ingest',
  key: 'public.vendas',
  value,
  version,
  runId: `run-${version}`,
  writtenAt: '2024-01-01 00:00:00.000000+00',
});
const copy = (value: Position): Watermark => ({
  table: 'public.vendas',
  position: value,
  runId: 'run-copy',
  committedAt: new Date('2024-01-02T00:00:00Z'),
  version: 1,
});
const relation: RelationState['kind'] = 'table';
const facts = (overrides: Partial<StartFacts> & { rowCount?: number } = {}): StartFacts => ({
  label: 'raw.vendas',
  entry: undefined,
  copy: undefined,
  relation,
  rows: async () => overrides.rowCount ?? 100,
  fullRefresh: false,
  adopt: false,
  stateMissing: false,
  ...overrides,
});

describe('decideStart: where a table starts', () => {
  it('continues from the warehouse position; the copy only when it extends exactly that version', async () => {
    expect(await decideStart(facts({ entry: entry(3) }))).toEqual({
      kind: 'incremental',
      position,
      version: 3,
      migrate: false,
    });
    const soft = { ...position, snapshotXmin: '950', stateVersion: '3' };
    expect(await decideStart(facts({ entry: entry(3), copy: copy(soft) }))).toMatchObject({
      kind: 'incremental',
      position: { ...position, snapshotXmin: '950' },
    });
    // A copy of a newer version: the warehouse was restored from an older copy; its own position is used, and said.
    const restored = await decideStart(facts({ entry: entry(3), copy: copy({ ...position, stateVersion: '5' }) }));
    expect(restored).toMatchObject({ kind: 'incremental', position, version: 3 });
    expect(restored.kind === 'incremental' && restored.note).toMatch(/older position .*version 3.*version 5/);
  });

  it('loads from the start when the raw table is gone, whatever the state says', async () => {
    const start = await decideStart(facts({ entry: entry(3), relation: undefined }));
    expect(start).toMatchObject({ kind: 'first', ranged: true });
    expect(start.kind === 'first' && start.note).toMatch(/raw\.vendas is not in the warehouse/);
  });

  it('says why when the warehouse lost the state a copy recorded: replaced (no state table) or restored', async () => {
    const replaced = await decideStart(
      facts({ copy: copy({ ...position, stateVersion: '4' }), stateMissing: true, relation: undefined }),
    );
    expect(replaced).toMatchObject({ kind: 'first', ranged: true });
    expect(replaced.kind === 'first' && replaced.note).toMatch(/new or replaced warehouse/);
    const restored = await decideStart(facts({ copy: copy({ ...position, stateVersion: '4' }) }));
    expect(restored).toMatchObject({ kind: 'first', ranged: false });
    expect(restored.kind === 'first' && restored.note).toMatch(/restored from an older copy/);
  });

  it('moves a position kept in the state store (no version) into the warehouse, only where the raw table holds rows', async () => {
    expect(await decideStart(facts({ copy: copy(position) }))).toMatchObject({
      kind: 'incremental',
      position,
      version: 0,
      migrate: true,
    });
    const empty = await decideStart(facts({ copy: copy(position), rowCount: 0 }));
    expect(empty).toMatchObject({ kind: 'first', ranged: true });
    expect(empty.kind === 'first' && empty.note).toMatch(/empty: not moved/);
    const missing = await decideStart(facts({ copy: copy(position), relation: undefined }));
    expect(missing.kind === 'first' && missing.note).toMatch(/not in the warehouse: not moved/);
  });

  it('adopts a raw table with rows and no position when asked; replaces it (and says so) otherwise', async () => {
    expect(await decideStart(facts({ adopt: true }))).toMatchObject({ kind: 'adopt' });
    const replaced = await decideStart(facts({}));
    expect(replaced).toMatchObject({ kind: 'first', ranged: false });
    expect(replaced.kind === 'first' && replaced.note).toMatch(/holds rows Sluice has no position for/);
    // Adoption never overrides a position Sluice holds.
    expect(await decideStart(facts({ adopt: true, entry: entry(2) }))).toMatchObject({ kind: 'incremental' });
    // An empty or missing raw table is simply loaded.
    expect(await decideStart(facts({ adopt: true, rowCount: 0 }))).toEqual({ kind: 'first', ranged: true });
  });

  it('resumes a first load under way, and a full refresh ignores every position', async () => {
    const progress = {
      runId: 'run-1',
      position,
      ranges: [
        ['0', '10'],
        ['10', null],
      ] as const,
      done: ['0'],
    };
    const value = progressValue(progress);
    expect(firstLoadOf(value)).toEqual(progress);
    const start = await decideStart(facts({ entry: entry(1, value) }));
    expect(start).toMatchObject({ kind: 'resume', progress, version: 1 });
    expect(start.kind === 'resume' && start.note).toMatch(/resuming its first load: 1 of 2 ranges .* run-1/);
    expect(await decideStart(facts({ entry: entry(1, value), fullRefresh: true }))).toEqual({
      kind: 'first',
      ranged: false,
    });
  });
});
