import { describe, expect, it } from 'vitest';
import {
  afterCondition,
  changedSinceSql,
  needsIndexCheck,
  planExtraction,
  planLateRead,
  selectSql,
  upperBoundSql,
  usesIndex,
} from './extract-plan.js';
import type { SourceColumn, SourceTable } from './introspect.js';
import { logicalTypeOf } from './pg-type.js';
import { snapshotSql, type SnapshotFacts } from './snapshot-sql.js';

function column(name: string, typname: string, nullable = true, typmod = -1): SourceColumn {
  const info = { typname, typtype: 'b', typmod };
  return { name, pgType: typname, nullable, info, logical: logicalTypeOf(info) };
}

const vendas: SourceTable = {
  schema: 'public',
  name: 'vendas',
  kind: 'r',
  primaryKey: ['id_vendas'],
  estimatedRows: 0,
  pages: 0,
  columns: [
    column('id_vendas', 'int4', false),
    column('valor_pago', 'numeric', false, ((10 << 16) | 2) + 4),
    column('data_inclusao', 'timestamp'),
    column('data_atualizacao', 'timestamp'),
    column('foto', 'bytea'),
    column('local', 'point'),
  ],
};

describe('planExtraction', () => {
  it('takes a uuid key as the tiebreaker of a timestamp cursor (uuids order in Postgres)', () => {
    const tickets: SourceTable = {
      ...vendas,
      name: 'tickets',
      primaryKey: ['Ticket ID'],
      columns: [column('Ticket ID', 'uuid', false), column('updated_at', 'timestamptz', false)],
    };
    const plan = planExtraction(tickets, { strategy: 'upsert', cursor: ['updated_at', 'Ticket ID'] }, undefined);
    expect(plan.cursorSql).toEqual(['"updated_at"', '"Ticket ID"']);
    expect(afterCondition(plan, ['2024-01-02 03:04:05+00', '0b7a1c1e-8f5e-4d8a-9a57-3c1b2d4e5f60'])).toBe(
      `"updated_at" >= '2024-01-02 03:04:05+00'::timestamptz AND ("updated_at", "Ticket ID") > ('2024-01-02 03:04:05+00'::timestamptz, '0b7a1c1e-8f5e-4d8a-9a57-3c1b2d4e5f60'::uuid)`,
    );
  });

  it('says how to write a name that was given with SQL quotes', () => {
    const odd: SourceTable = { ...vendas, columns: [...vendas.columns, column('Customer ID', 'int4', false)] };
    expect(() => planExtraction(odd, { strategy: 'append', cursor: ['"Customer ID"'] }, undefined)).toThrow(
      'cursor[0]: column "\\"Customer ID\\"" does not exist in public.vendas (write the name without SQL quotes: "Customer ID"; sluice.yml holds names as Postgres stores them)',
    );
  });

  const cursor = [{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas'] as const;

  it('loads a column as the type chosen for it: text (any type), double or decimal(p,s) (numbers)', () => {
    const plan = planExtraction(
      vendas,
      {
        strategy: 'full',
        columns: { valor_pago: { as: 'decimal', precision: 20, scale: 4 }, local: { as: 'text' } },
      },
      undefined,
    );
    const byName = Object.fromEntries(plan.columns.map((c) => [c.name, c]));
    expect(byName.valor_pago).toMatchObject({
      type: { kind: 'decimal', precision: 20, scale: 4 },
      selectSql: '"valor_pago"::numeric(20,4)',
    });
    // A type Sluice does not map loads as its Postgres text.
    expect(byName.local).toMatchObject({ type: { kind: 'text' }, selectSql: '"local"::text' });
    const double = planExtraction(
      vendas,
      { strategy: 'full', exclude: ['local'], columns: { valor_pago: { as: 'double' } } },
      undefined,
    );
    expect(double.columns.find((c) => c.name === 'valor_pago')).toMatchObject({
      type: { kind: 'double' },
      selectSql: '"valor_pago"::float8',
    });
  });

  it('refuses a column choice that cannot apply, naming the column', () => {
    const refuse = (columns: Record<string, unknown>, exclude: string[] = ['local']) => {
      let message = '';
      try {
        planExtraction(vendas, { strategy: 'full', exclude, columns } as never, undefined);
      } catch (error) {
        message = (error as Error).message;
      }
      return message;
    };
    expect(refuse({ foto: { as: 'double' } })).toMatch(/columns\.foto: .*has type bytea: only numbers load as double/);
    expect(refuse({ valor_pagoo: { as: 'text' } })).toMatch(
      /columns\.valor_pagoo: column "valor_pagoo" does not exist.*did you mean valor_pago/,
    );
    expect(refuse({ local: { as: 'text' } })).toMatch(/columns\.local: .*is excluded/);
    expect(refuse({ id_vendas: { as: 'text' } })).toMatch(/columns\.id_vendas: .*primary key/);
    expect(refuse({ valor_pago: { as: 'decimal', precision: 40, scale: 2 } })).toMatch(
      /decimal\(40,2\) is not a decimal/,
    );
    // Without a choice, an unmapped type names the way out.
    expect(refuse({}, [])).toMatch(/"local" .* type point.*as: text/);
  });

  it('plans a compound cursor over nullable timestamps that never loses a row', () => {
    const plan = planExtraction(vendas, { strategy: 'upsert', cursor, exclude: ['local'] }, undefined);
    // Both timestamps can be NULL: the cursor sorts such rows first instead of dropping them from comparisons.
    expect(plan.cursorSql).toEqual([
      `COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp)`,
      '"id_vendas"',
    ]);
    expect(plan.columns.map((c) => c.name)).toEqual([
      'id_vendas',
      'valor_pago',
      'data_inclusao',
      'data_atualizacao',
      'foto',
    ]);
    expect(plan.columns[1]?.type).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
    expect(selectSql(plan)).toContain(`encode("foto", 'hex') AS "foto"`);
    expect(upperBoundSql(plan)).toMatch(/ORDER BY COALESCE\(.*\) DESC, "id_vendas" DESC LIMIT 1$/);
    // The leading `>=` is implied by the row comparison; it lets the planner estimate the rows and use the index.
    expect(afterCondition(plan, ['2024-01-02 03:04:05.123456', '981'])).toBe(
      `COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp) >= '2024-01-02 03:04:05.123456'::timestamp AND ` +
        `(COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp), "id_vendas") > ('2024-01-02 03:04:05.123456'::timestamp, '981'::int4)`,
    );
  });

  it('collects every problem at once, naming table, column and a fix', () => {
    let message = '';
    try {
      planExtraction(
        vendas,
        {
          strategy: 'upsert',
          cursor: [{ coalesce: ['data_atualizacaoo', 'data_inclusao'] }, 'valor_pago'],
          include: ['id_venda'],
        },
        undefined,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'column "data_atualizacaoo" does not exist in public.vendas (did you mean data_atualizacao?)',
    );
    expect(message).toContain('include: column "id_venda" does not exist in public.vendas (did you mean id_vendas?)');
    expect(message).toContain('must end with the primary key (id_vendas)');
  });

  it('refuses a type it cannot load exactly unless excluded or hashed', () => {
    expect(() => planExtraction(vendas, { strategy: 'full' }, undefined)).toThrow(
      /"local" of public\.vendas has type point/,
    );
    const hashed = planExtraction(vendas, { strategy: 'full', hash: ['local'], hashSalt: 's' }, undefined);
    expect(hashed.columns.find((c) => c.name === 'local')?.selectSql).toContain('sha256');
  });

  it('needs a primary key for upsert and an orderable cursor', () => {
    const noKey = { ...vendas, primaryKey: [] };
    expect(() =>
      planExtraction(noKey, { strategy: 'upsert', cursor: ['id_vendas'], exclude: ['local'] }, undefined),
    ).toThrow(/has no primary key, which upsert needs/);
    expect(() =>
      planExtraction(vendas, { strategy: 'append', cursor: ['foto'], exclude: ['local'] }, undefined),
    ).toThrow(/not an orderable cursor type/);
  });

  it('refuses a stored position that no longer fits the cursor', () => {
    expect(() =>
      planExtraction(
        vendas,
        { strategy: 'append', cursor: ['id_vendas'], exclude: ['local'] },
        { cursor: ['1', '2'], snapshotXmin: '5' },
      ),
    ).toThrow(/resync the table/);
  });

  it('bounds the run past the previous position, counting in the same pass the rows the transaction ids do not explain', () => {
    const plan = planExtraction(vendas, { strategy: 'upsert', cursor, exclude: ['local'] }, undefined);
    const changed = changedSinceSql('4294967396', '4294967500');
    const sql = upperBoundSql(plan, ['2024-01-02 03:04:05', '9'], { changed });
    expect(sql).toContain(
      `WHERE COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp) >= '2024-01-02 03:04:05'::timestamp AND (COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp), "id_vendas") > ('2024-01-02 03:04:05'::timestamp, '9'::int4)`,
    );
    expect(sql).toContain(`count(*) FILTER (WHERE NOT (${changed})) OVER () AS unexplained`);
    expect(upperBoundSql(plan, null)).not.toContain('WHERE');
  });
});

describe('changedSinceSql', () => {
  it('compares 32-bit xmin by age, from the low 32 bits of the 64-bit snapshot xmin', () => {
    expect(changedSinceSql('4294967396', '4294967500')).toBe(
      `CASE WHEN age(xmin) <= age('100'::xid) THEN true ELSE false END`,
    );
  });

  it('reads everything when the ids cannot be compared: too far apart, from another server, or unknown', () => {
    expect(changedSinceSql('1000', String(1000n + 2n ** 31n))).toBeUndefined();
    expect(changedSinceSql('5000', '4000')).toBeUndefined();
    expect(changedSinceSql('0', '4000')).toBeUndefined();
  });
});

describe('planLateRead', () => {
  const cursor = [{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas'] as const;
  // A table of 10,000 blocks (80 MB) with an index on its cursor: auto looks back rather than scans.
  const facts: SnapshotFacts = {
    xmin: '2000',
    xmax: '2010',
    now: '2026-01-02 00:00:00+00',
    pages: 10_000,
    version: 160000,
    cursorIndexed: true,
    openXids: [],
    committedOpen: 0,
    sweepDue: false,
  };
  const position = {
    cursor: ['2024-01-02 03:04:05', '9'],
    snapshotXmin: '1000',
    openXids: ['1001'],
    sweptXmin: '900',
    sweptAt: '2026-01-01 12:00:00+00',
  };

  it('auto: looks back on a large table whose timestamp cursor an index serves, scans otherwise', () => {
    const auto = planExtraction(vendas, { strategy: 'upsert', cursor, exclude: ['local'] }, position);
    expect(auto.lateCommits).toBe('auto');
    expect(needsIndexCheck(auto, facts)).toBe(true);
    expect(needsIndexCheck(auto, { ...facts, pages: 8191 })).toBe(false);
    expect(planLateRead(auto, { ...facts, cursorIndexed: true }).kind).toBe('lookback');
    expect(planLateRead(auto, { ...facts, cursorIndexed: false })).toMatchObject({
      kind: 'sweep',
      where: changedSinceSql('1000', '2010'),
    });
    expect(planLateRead(auto, { ...facts, pages: 8191, cursorIndexed: true })).toMatchObject({ kind: 'sweep' });
    expect(
      usesIndex({ 'QUERY PLAN': [{ Plan: { 'Node Type': 'Limit', Plans: [{ 'Node Type': 'Index Scan' }] } }] }),
    ).toBe(true);
    expect(
      usesIndex({ 'QUERY PLAN': [{ Plan: { 'Node Type': 'Limit', Plans: [{ 'Node Type': 'Seq Scan' }] } }] }),
    ).toBe(false);
    expect(
      planExtraction(vendas, { strategy: 'append', cursor: ['id_vendas'], exclude: ['local'] }, undefined).lateCommits,
    ).toBe('scan');
    expect(() =>
      planExtraction(
        vendas,
        { strategy: 'append', cursor: ['id_vendas'], exclude: ['local'], lateCommits: 'lookback' },
        undefined,
      ),
    ).toThrow(/late_commits: lookback looks back in time, but the cursor starts with a integer column: use scan/);
  });

  it('looks back by an index range when nothing calls for a sweep, and keeps the last sweep', () => {
    const plan = planExtraction(
      vendas,
      { strategy: 'upsert', cursor, exclude: ['local'], lookbackMs: 600_000 },
      position,
    );
    const read = planLateRead(plan, facts);
    expect(read.kind).toBe('lookback');
    // From the cursor, or from the snapshot's clock when the cursor lies more than 14 hours ahead of UTC (a
    // future-dated row).
    const utc = `('2026-01-02 00:00:00+00'::timestamptz AT TIME ZONE 'UTC')`;
    const start =
      `CASE WHEN '2024-01-02 03:04:05'::timestamp > (${utc} + interval '14 hours')::timestamp ` +
      `THEN (${utc} - interval '12 hours')::timestamp ELSE '2024-01-02 03:04:05'::timestamp END`;
    expect(read.where).toBe(
      `COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp) >= (${start} - interval '600000 milliseconds')::timestamp` +
        ` AND CASE WHEN ${afterCondition(plan, position.cursor)} THEN true ELSE ${changedSinceSql('1000', '2010')} END`,
    );
    // Its two parts, for two connections: the rows past the cursor (`flag`), and the check behind it — an index
    // range that ends at the cursor, so that it never reads a row the first part reads.
    expect(read.flag).toBe(afterCondition(plan, position.cursor));
    expect(read.behind).toBe(
      `COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp) >= (${start} - interval '600000 milliseconds')::timestamp` +
        ` AND COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp) <= '2024-01-02 03:04:05'::timestamp` +
        ` AND CASE WHEN ${afterCondition(plan, position.cursor)} THEN false ELSE ${changedSinceSql('1000', '2010')} END`,
    );
    expect(read).toMatchObject({ sweptXmin: '900', sweptAt: '2026-01-01 12:00:00+00' });
    expect(snapshotSql(plan)).toContain(`ARRAY['1001']::xid8[]`);
  });

  it('sweeps from the last sweep when a transaction open at the last run committed, when due, or when unsure', () => {
    const plan = planExtraction(vendas, { strategy: 'upsert', cursor, exclude: ['local'] }, position);
    const committed = planLateRead(plan, { ...facts, committedOpen: 1 });
    expect(committed).toMatchObject({
      kind: 'sweep',
      where: changedSinceSql('900', '2010'),
      sweptXmin: '2000',
      sweptAt: facts.now,
    });
    expect(committed.reason).toMatch(/1 transaction\(s\) open at the last run committed/);
    expect(planLateRead(plan, { ...facts, sweepDue: true }).reason).toMatch(/last sweep was 86400 s or more ago/);
    const crowded = planExtraction(
      vendas,
      { strategy: 'upsert', cursor, exclude: ['local'] },
      { ...position, openXids: null },
    );
    expect(planLateRead(crowded, facts).reason).toMatch(/more than 1000 transactions/);
    const older = planExtraction(
      vendas,
      { strategy: 'upsert', cursor, exclude: ['local'] },
      { cursor: position.cursor, snapshotXmin: '1000' },
    );
    expect(planLateRead(older, facts)).toMatchObject({
      kind: 'sweep',
      where: changedSinceSql('1000', '2010'),
      reason: 'no sweep recorded yet',
    });
  });

  it('scan sweeps every run from the previous snapshot; off reads the window; a first run reads all', () => {
    const scan = planExtraction(
      vendas,
      { strategy: 'upsert', cursor, exclude: ['local'], lateCommits: 'scan' },
      position,
    );
    expect(planLateRead(scan, facts)).toMatchObject({
      kind: 'sweep',
      where: changedSinceSql('1000', '2010'),
      sweptXmin: '2000',
    });
    const off = planExtraction(
      vendas,
      { strategy: 'upsert', cursor, exclude: ['local'], lateCommits: 'off' },
      position,
    );
    expect(planLateRead(off, facts)).toMatchObject({
      kind: 'window',
      where: afterCondition(off, position.cursor),
      sweptXmin: '900',
    });
    const first = planExtraction(vendas, { strategy: 'upsert', cursor, exclude: ['local'] }, undefined);
    expect(planLateRead(first, facts)).toEqual({
      kind: 'all',
      where: undefined,
      sweptXmin: '2000',
      sweptAt: facts.now,
    });
  });
});
