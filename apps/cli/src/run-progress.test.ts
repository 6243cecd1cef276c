import { describe, expect, it } from 'vitest';
import type { TableResult } from '@sluice/pipeline';
import type { Output } from './output.js';
import { createRunProgress, describeTableStatus } from './run-progress.js';

function capture(live: boolean): { out: Output; text: () => string } {
  let text = '';
  const id = (s: string) => s;
  const out: Output = {
    line: (t = '') => (text += `${t}\n`),
    error: () => undefined,
    write: (t) => (text += t),
    color: false,
    live,
    columns: 120,
    bold: id,
    dim: id,
    red: id,
    green: id,
    yellow: id,
  };
  return { out, text: () => text };
}

const done: TableResult = {
  table: 'vendas',
  strategy: 'upsert',
  status: 'success',
  rows: 12_000,
  bytes: 900_000,
  lateRows: 0,
  inserted: 11_990,
  updated: 10,
  deleted: 0,
  seconds: 2,
  window: undefined,
  schemaChanges: { created: true, addedColumns: [], widenedColumns: [], droppedColumns: [] },
  warehouseStatements: 3,
  uploadedBytes: 0,
};

describe('createRunProgress', () => {
  it('on a terminal shows the tables in flight and redraws them in place under the finished lines', () => {
    const { out, text } = capture(true);
    const progress = createRunProgress(out, { tables: ['vendas', 'estados'] });
    progress.pipeline({ type: 'step-start', runId: 'r', step: 'ingest', attempt: 1 });
    progress.pipeline({
      type: 'ingest',
      runId: 'r',
      event: { type: 'table-start', table: 'vendas', strategy: 'upsert' },
    });
    progress.pipeline({
      type: 'ingest',
      runId: 'r',
      event: { type: 'table-progress', table: 'vendas', rows: 5000, bytes: 400_000 },
    });
    progress.pipeline({
      type: 'ingest',
      runId: 'r',
      event: { type: 'table-start', table: 'estados', strategy: 'full' },
    });
    progress.pipeline({ type: 'ingest', runId: 'r', event: { type: 'table-done', result: done } });
    progress.close();
    const output = text();
    // The in-flight block (both tables, with rows read so far) was drawn, then erased by cursor-up + clear.
    expect(output).toMatch(/vendas +upsert +5,000 rows/);
    expect(output).toMatch(/\u001b\[\d+A\u001b\[0J/);
    expect(output).toMatch(/✓ vendas +upsert +\+11,990 ~10 +12,000 rows .* 6,000 rows\/s/);
  });

  it('elsewhere prints only finished lines, never escape sequences', () => {
    const { out, text } = capture(false);
    const progress = createRunProgress(out, { tables: ['vendas'] });
    progress.pipeline({
      type: 'ingest',
      runId: 'r',
      event: { type: 'table-start', table: 'vendas', strategy: 'upsert' },
    });
    progress.pipeline({
      type: 'ingest',
      runId: 'r',
      event: { type: 'table-progress', table: 'vendas', rows: 5000, bytes: 400_000 },
    });
    progress.pipeline({ type: 'ingest', runId: 'r', event: { type: 'table-done', result: done } });
    progress.build({
      type: 'node-finish',
      result: {
        id: 'test.x.t',
        name: 'unique_vendas',
        kind: 'test',
        status: 'fail',
        message: '3 rows',
        file: 'm.yml',
        elapsedMs: 12,
        failures: 3,
      },
    });
    progress.close();
    expect(text()).not.toMatch(/\u001b/);
    expect(text().replace(/\n$/, '').split('\n')).toEqual([
      expect.stringMatching(/^ {2}✓ vendas +upsert +\+11,990 ~10 +12,000 rows/),
      expect.stringMatching(/^ {2}✗ test +unique_vendas +fail \(3 failing rows\)/),
    ]);
  });

  it('describes a table by what changed', () => {
    expect(describeTableStatus(done)).toBe('+11,990 ~10');
    // Rows read, none different from what the warehouse held (re-read rows, updates to the same values).
    expect(describeTableStatus({ ...done, inserted: 0, updated: 0 })).toBe('no change');
    expect(describeTableStatus({ ...done, status: 'unchanged' })).toBe('unchanged');
  });
});
