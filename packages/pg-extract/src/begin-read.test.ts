import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { asksIndexCheck, planExtraction, type ExtractPosition, type TableSpec } from './extract-plan.js';
import { ExtractionSession } from './extraction-session.js';
import type { SourceColumn, SourceTable } from './introspect.js';
import { logicalTypeOf } from './pg-type.js';
import { beginRead } from './run-extraction.js';
import { beginReadSql, EXPORT_SNAPSHOT_SQL } from './snapshot-sql.js';

// The read's first round trip holds BEGIN (several statements), the first query, and — as the plan asks — the index
// check and the snapshot's export: each answer must be taken from its own result, whichever of them were sent.

function column(name: string, typname: string, pgType: string, nullable = true): SourceColumn {
  const info = { typname, typtype: 'b', typmod: -1 };
  return { name, pgType, nullable, info, logical: logicalTypeOf(info) };
}

const table = (pages: number): SourceTable => ({
  schema: 'public',
  name: 'vendas',
  kind: 'r',
  primaryKey: ['id_vendas'],
  estimatedRows: 1_000_000,
  pages,
  columns: [column('id_vendas', 'int4', 'integer', false), column('data_atualizacao', 'timestamp', 'timestamp')],
});
const spec: TableSpec = { strategy: 'upsert', cursor: ['data_atualizacao', 'id_vendas'] };
const from: ExtractPosition = { cursor: ['2024-03-01 10:00:00', '981'], snapshotXmin: '900' };

const INDEX_PLAN = { 'QUERY PLAN': [{ Plan: { 'Node Type': 'Index Scan' } }] };
const SEQ_PLAN = { 'QUERY PLAN': [{ Plan: { 'Node Type': 'Seq Scan' } }] };

/** A client answering the round trip: one result per statement sent, as pg gives them for a simple query. */
function fakeClient(pages: number, explain: object) {
  const sent: string[] = [];
  const client = {
    async query(sql: string) {
      sent.push(sql);
      const statements = sql.split(';\n');
      return statements.flatMap((statement) =>
        statement
          .split(/;\s(?=SET |BEGIN)/)
          .map((part) =>
            part.startsWith('EXPLAIN')
              ? { rows: [explain] }
              : part === EXPORT_SNAPSHOT_SQL
                ? { rows: [{ id: '00000003-0000001B-1' }] }
                : part.includes('pg_snapshot_xmin')
                  ? { rows: [{ xmin: '1000', xmax: '1002', now: '2024-03-01 10:30:00+00', pages, version: 160004 }] }
                  : { rows: [] },
          ),
      );
    },
  };
  return { client: client as unknown as pg.Client, sent };
}

describe('beginRead', () => {
  // Helper connections and parallelism 2: a lookback could be read in two parts, so it asks as `auto` does.
  const twoParts = {
    connect: async (): Promise<pg.Client> => {
      throw new Error('beginRead opens no helper');
    },
    parallelism: 2,
  };
  for (const exporting of [false, true]) {
    for (const mode of ['auto', 'lookback'] as const) {
      for (const [label, explain, indexed] of [
        ['an index serves the cursor', INDEX_PLAN, true],
        ['no index serves it', SEQ_PLAN, false],
      ] as const) {
        it(`takes each answer from its own result (${mode}, ${label}; export ${exporting ? 'asked' : 'not asked'})`, async () => {
          const plan = planExtraction(table(12_000), { ...spec, lateCommits: mode }, from);
          expect(asksIndexCheck(plan, true)).toBe(true);
          const { client, sent } = fakeClient(12_000, explain);
          const session = new ExtractionSession(client, plan, { dir: '/nowhere', ...twoParts });
          const { facts, exported } = await beginRead(session, beginReadSql(undefined), exporting);
          expect(sent).toHaveLength(1);
          expect(facts).toMatchObject({ xmin: '1000', xmax: '1002', pages: 12_000, cursorIndexed: indexed });
          expect(exported).toBe(exporting ? '00000003-0000001B-1' : undefined);
        });
      }
    }
  }

  it('asks the index check in a round trip of its own when the catalog counted the table small and it is not', async () => {
    const plan = planExtraction(table(10), { ...spec, lateCommits: 'auto' }, from);
    expect(asksIndexCheck(plan)).toBe(false);
    const { client, sent } = fakeClient(12_000, INDEX_PLAN);
    const session = new ExtractionSession(client, plan, { dir: '/nowhere' });
    const { facts, exported } = await beginRead(session, beginReadSql(undefined), true);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatch(/^EXPLAIN/);
    expect(facts.cursorIndexed).toBe(true);
    expect(exported).toBe('00000003-0000001B-1');
  });

  it('sends no index check for a small table, nor for a read that never needs one', async () => {
    const large = (lateCommits: NonNullable<TableSpec['lateCommits']>) =>
      planExtraction(table(12_000), { ...spec, lateCommits }, from);
    for (const [plan, options] of [
      [planExtraction(table(10), { ...spec, lateCommits: 'auto' }, from), twoParts],
      [large('scan'), twoParts],
      [large('off'), twoParts],
      // A lookback that cannot be read in two parts: no helpers, one connection, or a digest (key order).
      [large('lookback'), {}],
      [large('lookback'), { ...twoParts, parallelism: 1 }],
      [large('lookback'), { ...twoParts, digest: true }],
    ] as const) {
      const { client, sent } = fakeClient(plan.table.pages, INDEX_PLAN);
      const { facts } = await beginRead(
        new ExtractionSession(client, plan, { dir: '/nowhere', ...options }),
        beginReadSql(undefined),
        false,
      );
      expect(sent.join('\n')).not.toMatch(/EXPLAIN/);
      expect(facts.cursorIndexed).toBeUndefined();
    }
  });
});
