import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  canReadSql,
  columnSampleSql,
  columnStatsSql,
  countUpToSql,
  cursorIndexSuggestion,
  introspectTableSql,
  listRelationsSql,
  listTablesSql,
  openTransactionsSql,
  serverInfoSql,
  type SourceStatement,
} from './catalog-sql.js';
import {
  copySql,
  asksIndexCheck,
  cursorIndexSql,
  needsIndexCheck,
  planExtraction,
  type ExtractPlan,
  type ExtractPosition,
  type TableSpec,
} from './extract-plan.js';
import type { SourceColumn, SourceTable } from './introspect.js';
import { keyRangeSql, sourceKeyBucketsSql, sourceKeysInBucketsSql, sourceRowsWithKeysSql } from './key-buckets.js';
import { logicalTypeOf } from './pg-type.js';
import { PARALLEL_MIN_PAGES, planReads, readsInTwoParts, unexplainedRead, type ReadPlanOptions } from './read-plan.js';
import {
  beginReadSql,
  COMMIT_SQL,
  EXPORT_SNAPSHOT_SQL,
  ROLLBACK_SQL,
  SNAPSHOT_BEGIN_SQL,
  snapshotSql,
  type SnapshotFacts,
} from './snapshot-sql.js';

// Every statement pg-extract sends to Postgres, for a fixed example table, pinned in __golden__/*.sql.
// Rewrite the files after an intended change with: UPDATE_GOLDEN=1 npx vitest run packages/pg-extract/
const here = path.dirname(fileURLToPath(import.meta.url));
const goldenDir = path.join(here, '__golden__');

function column(name: string, typname: string, pgType: string, nullable = true, typmod = -1): SourceColumn {
  const info = { typname, typtype: 'b', typmod };
  return { name, pgType, nullable, info, logical: logicalTypeOf(info) };
}

/** NovaDrive's vendas, as `introspectTable` describes it (types as `format_type` writes them). */
const vendas: SourceTable = {
  schema: 'public',
  name: 'vendas',
  kind: 'r',
  primaryKey: ['id_vendas'],
  estimatedRows: 600_000,
  pages: 12_000,
  columns: [
    column('id_vendas', 'int4', 'integer', false),
    column('id_clientes', 'int4', 'integer', false),
    column('valor_pago', 'numeric', 'numeric(10,2)', false, ((10 << 16) | 2) + 4),
    column('data_venda', 'date', 'date', false),
    column('data_inclusao', 'timestamp', 'timestamp without time zone', false),
    column('data_atualizacao', 'timestamp', 'timestamp without time zone'),
    column('recibo', 'bytea', 'bytea'),
  ],
};

const upsert: TableSpec = {
  strategy: 'upsert',
  cursor: [{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas'],
};
const SNAPSHOT_ID = '00000003-0000001B-1';
/** Where the previous run stopped: its snapshot's xmin, the transactions open at it, its last sweep. */
const previous: ExtractPosition = {
  cursor: ['2024-03-01 10:00:00', '981'],
  snapshotXmin: '4294967396',
  snapshotXmax: '4294967405',
  openXids: ['4294967398', '4294967401'],
  sweptXmin: '4294967000',
  sweptAt: '2024-03-01 09:00:00+00',
};
/** What this run's first query found: 100 transactions later, nothing open then committed since, no sweep due. */
const facts: SnapshotFacts = {
  xmin: '4294967496',
  xmax: '4294967500',
  now: '2024-03-01 10:30:00+00',
  pages: 12_000,
  version: 160004,
  openXids: [],
  committedOpen: 0,
  sweepDue: false,
};
const reading: ReadPlanOptions = {
  digest: false,
  helpers: true,
  snapshotId: SNAPSHOT_ID,
  parallelism: 3,
  parallelMinPages: PARALLEL_MIN_PAGES,
};

type Step = { readonly title: string; readonly sql: string | SourceStatement };

function render(steps: readonly Step[]): string {
  return `${steps
    .map(({ title, sql }) => {
      if (typeof sql === 'string') return `-- ${title}\n${sql};\n`;
      const values = sql.values.map((value, i) => `$${i + 1} = ${JSON.stringify(value)}`).join(', ');
      return `-- ${title}${values ? `\n-- ${values}` : ''}\n${sql.text};\n`;
    })
    .join('\n')}`;
}

/**
 * The statements `runExtraction` sends for a plan, given what its first query found, in the order it sends them
 * (the bound and the rows go at once when helpers share the snapshot; the unexplained read only when the bound
 * query counts such rows).
 */
function extraction(plan: ExtractPlan, found: SnapshotFacts, options: ReadPlanOptions): string {
  const reads = planReads(plan, found, options);
  const where = (helper: boolean) => (helper ? 'on a helper, in the shared snapshot' : 'on the table connection');
  const steps: Step[] = [
    {
      title: 'begin, on the table connection (with what follows, up to the export: one round trip)',
      sql: beginReadSql(options.snapshotId),
    },
    { title: 'first query: fixes the snapshot', sql: snapshotSql(plan) },
  ];
  const twoParts = readsInTwoParts(options);
  const asker = plan.lateCommits === 'auto' ? 'auto' : 'lookback';
  if (asksIndexCheck(plan, twoParts)) {
    const counts = needsIndexCheck(plan, found, twoParts) ? 'counts here' : 'not needed here: the table is small';
    steps.push({ title: `${asker}: does an index serve the cursor? (${counts})`, sql: cursorIndexSql(plan) });
  }
  if (reads.exportSnapshot) steps.push({ title: 'export the snapshot for the helpers', sql: EXPORT_SNAPSHOT_SQL });
  if (!asksIndexCheck(plan, twoParts) && needsIndexCheck(plan, found, twoParts)) {
    const title = `${asker}: does an index serve the cursor? (in a round trip of its own: the catalog counted the table small)`;
    steps.push({ title, sql: cursorIndexSql(plan) });
  }
  if (reads.reads.some((read) => read.helper) || reads.bound?.helper) {
    steps.push({ title: 'begin, on each helper', sql: beginReadSql(options.snapshotId ?? '<exported id>') });
  }
  if (reads.bound) steps.push({ title: `upper bound, ${where(reads.bound.helper)}`, sql: reads.bound.sql });
  reads.reads.forEach((read, i) => {
    const flags = [
      read.digest ? 'digested' : '',
      read.flagged ? 'flagged' : '',
      read.pastCursor ? 'every row past the cursor' : '',
    ]
      .filter(Boolean)
      .join(', ');
    steps.push({
      title: `rows ${i + 1}/${reads.reads.length} (${reads.late.kind}${flags ? `, ${flags}` : ''}) -> ${read.prefix}-*.csv, ${where(read.helper)}`,
      sql: read.sql,
    });
  });
  const missed = unexplainedRead(plan, reads.late);
  if (missed)
    steps.push({ title: `rows the bound query found unexplained -> ${missed.prefix}-*.csv`, sql: missed.sql });
  steps.push({ title: 'commit', sql: COMMIT_SQL });
  return render(steps);
}

const keysPlan = planExtraction(vendas, upsert, previous);

/**
 * A table whose every name needs quoting: a space and capitals, a reserved word, an embedded double quote, Unicode,
 * and a uuid key as the cursor's tiebreaker.
 */
const oddNames: SourceTable = {
  schema: 'Loja Sul',
  name: 'Order "Items"',
  kind: 'p',
  primaryKey: ['Item ID'],
  estimatedRows: 50_000,
  pages: 0,
  columns: [
    column('Item ID', 'uuid', 'uuid', false),
    column('order', 'int4', 'integer', false),
    column('user', 'text', 'text'),
    column('preço "bruto"', 'numeric', 'numeric(10,2)', false, ((10 << 16) | 2) + 4),
    column('Última Atualização', 'timestamptz', 'timestamp with time zone'),
    column('criado_em', 'timestamptz', 'timestamp with time zone', false),
  ],
};
const oddUpsert: TableSpec = {
  strategy: 'upsert',
  cursor: [{ coalesce: ['Última Atualização', 'criado_em'] }, 'Item ID'],
  hash: ['user'],
  hashSalt: "s'alt",
};

const goldens: Record<string, () => string> = {
  'snapshot.sql': () =>
    render([
      { title: "the run's shared snapshot: a coordinating transaction", sql: SNAPSHOT_BEGIN_SQL },
      { title: 'exported for every table to read in', sql: EXPORT_SNAPSHOT_SQL },
      { title: 'a table reading in a snapshot of its own', sql: beginReadSql() },
      { title: 'a table, or a helper, reading in the shared snapshot', sql: beginReadSql(SNAPSHOT_ID) },
      {
        title: 'first query, scan: xmin, xmax, clock, size',
        sql: snapshotSql(planExtraction(vendas, { ...upsert, lateCommits: 'scan' }, previous)),
      },
      {
        title: 'first query, lookback: and the writers open at the snapshot (xip, pg_locks, pg_xact_status)',
        sql: snapshotSql(planExtraction(vendas, { ...upsert, lateCommits: 'lookback' }, previous)),
      },
      {
        title: 'first query, scan after a run whose snapshot nothing held back (xmin = xmax): no held_by',
        sql: snapshotSql(
          planExtraction(
            vendas,
            { ...upsert, lateCommits: 'scan' },
            { ...previous, snapshotXmax: previous.snapshotXmin },
          ),
        ),
      },
      {
        title: 'first query, auto on a first load: no previous transactions to ask about, a sweep is due',
        sql: snapshotSql(planExtraction(vendas, upsert, undefined)),
      },
      { title: 'the end of a read', sql: COMMIT_SQL },
      { title: 'the end of a failed read', sql: ROLLBACK_SQL },
    ]),
  'extract-first-load.sql': () =>
    extraction(planExtraction(vendas, upsert, undefined), facts, { ...reading, snapshotId: undefined }),
  'extract-full.sql': () =>
    extraction(planExtraction(vendas, { strategy: 'full' }, undefined), facts, { ...reading, digest: true }),
  'extract-scan.sql': () =>
    extraction(planExtraction(vendas, { ...upsert, lateCommits: 'scan' }, previous), facts, reading),
  'extract-lookback.sql': () =>
    extraction(planExtraction(vendas, upsert, previous), { ...facts, cursorIndexed: true }, reading),
  'extract-window.sql': () =>
    extraction(planExtraction(vendas, { ...upsert, lateCommits: 'off' }, previous), facts, {
      ...reading,
      helpers: false,
      snapshotId: undefined,
    }),
  'catalog.sql': () =>
    render([
      { title: 'the server, the role and the database', sql: serverInfoSql() },
      { title: 'the tables of a schema', sql: listTablesSql('public') },
      { title: 'one table: kind, size, columns, types, primary key', sql: introspectTableSql('public', 'vendas') },
      {
        title: 'may the role read it?',
        sql: canReadSql('public', 'vendas', ['id_vendas', 'valor_pago']),
      },
      { title: 'init: small enough to reload whole?', sql: countUpToSql('public', 'vendas', 10_001) },
      { title: 'doctor: does an index serve the cursor?', sql: cursorIndexSql(keysPlan) },
      { title: 'doctor: the index it suggests (shown, never sent)', sql: cursorIndexSuggestion(keysPlan) },
      {
        title: 'doctor: transactions holding back the xmin horizon (any database), open over 5 minutes',
        sql: openTransactionsSql(300),
      },
      {
        title: "init: every relation of a schema, partitions and their root, privileges, size, Postgres's counters",
        sql: listRelationsSql('public'),
      },
      { title: 'init: what ANALYZE found about each column', sql: columnStatsSql('public', 'vendas', false) },
      {
        title: 'init: the same for a partitioned table, over its partitions',
        sql: columnStatsSql('public', 'eventos', true),
      },
      {
        title: 'init: a sample of a table never analyzed (NULLs and distinct values of the cursor candidates)',
        sql: columnSampleSql(
          'public',
          'vendas',
          ['data_atualizacao', 'data_inclusao', 'id_vendas'],
          0.8333333333,
          10_000,
        ),
      },
      {
        title: 'init: the sample of a table whose names need quoting',
        sql: columnSampleSql('Loja Sul', 'Order "Items"', ['Última Atualização', 'Item ID'], 100, 10_000),
      },
      {
        title: 'init: counting rows of a table whose names need quoting',
        sql: countUpToSql('Loja Sul', 'Order "Items"', 10_001),
      },
    ]),
  'extract-odd-names.sql': () =>
    extraction(planExtraction(oddNames, oddUpsert, previous), { ...facts, pages: 0 }, reading),
  'key-fingerprints.sql': () =>
    render([
      { title: 'in the snapshot the batch was read in', sql: beginReadSql(SNAPSHOT_ID) },
      { title: 'the key range, to size the ranges', sql: keyRangeSql(vendas, 'id_vendas') },
      { title: 'count and sum of the keys per range', sql: sourceKeyBucketsSql(vendas, 'id_vendas', 1000n) },
      {
        title: 'the keys of the ranges that differ',
        sql: sourceKeysInBucketsSql(vendas, 'id_vendas', 1000n, ['0', '7']),
      },
      {
        title: 'the rows the warehouse lacks',
        sql: copySql(sourceRowsWithKeysSql(keysPlan, 'id_vendas', ['7012', '7013'])),
      },
      { title: 'done', sql: COMMIT_SQL },
    ]),
};

describe('golden SQL', () => {
  for (const [name, renderGolden] of Object.entries(goldens)) {
    it(`emits the statements pinned in __golden__/${name}`, async () => {
      const actual = renderGolden();
      const target = path.join(goldenDir, name);
      if (process.env.UPDATE_GOLDEN === '1') {
        await mkdir(goldenDir, { recursive: true });
        await writeFile(target, actual);
      }
      expect(existsSync(target), `${target} is missing: run with UPDATE_GOLDEN=1 to write it`).toBe(true);
      expect(actual).toBe(await readFile(target, 'utf8'));
    });
  }

  it('sends no SQL written inline: every query takes a statement from a planner', async () => {
    const sources = (await readdir(here)).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    const inline: string[] = [];
    for (const file of sources) {
      const text = await readFile(path.join(here, file), 'utf8');
      for (const match of text.matchAll(/\.query(?:<[^>]*>)?\(\s*(['"`]|copyTo\(\s*['"`])/g)) {
        inline.push(`${file}: ${text.slice(match.index, match.index + 60)}`);
      }
    }
    expect(inline).toEqual([]);
  });
});
