import { describe, expect, it } from 'vitest';
import { afterCondition, planExtraction, selectSql, upperBoundSql } from './extract-plan.js';
import type { SourceColumn, SourceTable } from './introspect.js';
import { logicalTypeOf } from './pg-type.js';

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
  const cursor = [{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas'] as const;

  it('plans a compound cursor over nullable timestamps that never loses a row', () => {
    const plan = planExtraction(vendas, { strategy: 'upsert', cursor, exclude: ['local'] }, undefined);
    // Both timestamps can be NULL: the cursor sorts such rows first instead of dropping them from comparisons.
    expect(plan.cursorSql).toEqual([`COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp)`, '"id_vendas"']);
    expect(plan.columns.map((c) => c.name)).toEqual(['id_vendas', 'valor_pago', 'data_inclusao', 'data_atualizacao', 'foto']);
    expect(plan.columns[1]?.type).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
    expect(selectSql(plan)).toContain(`encode("foto", 'hex') AS "foto"`);
    expect(upperBoundSql(plan)).toMatch(/ORDER BY COALESCE\(.*\) DESC, "id_vendas" DESC LIMIT 1$/);
    expect(afterCondition(plan, ['2024-01-02 03:04:05.123456', '981'])).toBe(
      `(COALESCE("data_atualizacao", "data_inclusao", '-infinity'::timestamp), "id_vendas") > ('2024-01-02 03:04:05.123456'::timestamp, '981'::int4)`,
    );
  });

  it('collects every problem at once, naming table, column and a fix', () => {
    let message = '';
    try {
      planExtraction(
        vendas,
        { strategy: 'upsert', cursor: [{ coalesce: ['data_atualizacaoo', 'data_inclusao'] }, 'valor_pago'], include: ['id_venda'] },
        undefined,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('column "data_atualizacaoo" does not exist in public.vendas (did you mean data_atualizacao?)');
    expect(message).toContain('include: column "id_venda" does not exist in public.vendas (did you mean id_vendas?)');
    expect(message).toContain('must end with the primary key (id_vendas)');
  });

  it('refuses a type it cannot load exactly unless excluded or hashed', () => {
    expect(() => planExtraction(vendas, { strategy: 'full' }, undefined)).toThrow(/"local" of public\.vendas has type point/);
    const hashed = planExtraction(vendas, { strategy: 'full', hash: ['local'], hashSalt: 's' }, undefined);
    expect(hashed.columns.find((c) => c.name === 'local')?.selectSql).toContain('sha256');
  });

  it('needs a primary key for upsert and an orderable cursor', () => {
    const noKey = { ...vendas, primaryKey: [] };
    expect(() => planExtraction(noKey, { strategy: 'upsert', cursor: ['id_vendas'], exclude: ['local'] }, undefined)).toThrow(
      /has no primary key, which upsert needs/,
    );
    expect(() => planExtraction(vendas, { strategy: 'append', cursor: ['foto'], exclude: ['local'] }, undefined)).toThrow(
      /not an orderable cursor type/,
    );
  });

  it('refuses a stored position that no longer fits the cursor', () => {
    expect(() =>
      planExtraction(vendas, { strategy: 'append', cursor: ['id_vendas'], exclude: ['local'] }, { cursor: ['1', '2'], snapshotXmin: '5' }),
    ).toThrow(/resync the table/);
  });
});
