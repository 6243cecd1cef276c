import type { SourceColumn, SourceTable } from '@sluice/pg-extract';
import type { LogicalType } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import { identifierFrom, proposeTable, renderInitFiles, urlWithoutPassword } from './init-project.js';
import { parseProjectConfig } from './project-config.js';

function column(
  name: string,
  logical: LogicalType | undefined,
  nullable = true,
  pgType = logical?.kind ?? 'point',
): SourceColumn {
  return { name, pgType, nullable, info: { typname: pgType, typtype: 'b', typmod: -1 }, logical };
}

function table(name: string, columns: SourceColumn[], primaryKey: string[], kind = 'r'): SourceTable {
  return { schema: 'public', name, kind, columns, primaryKey, estimatedRows: 0, pages: 0 };
}

const id = (name: string) => column(name, { kind: 'integer' }, false);
const ts = (name: string, nullable = true) => column(name, { kind: 'timestamp' }, nullable);
const text = (name: string) => column(name, { kind: 'text' });

describe('proposeTable', () => {
  it('upserts by a nullable update timestamp coalesced with the creation column, then the key (NovaDrive)', () => {
    const vendas = table(
      'vendas',
      [id('id_vendas'), text('x'), ts('data_inclusao'), ts('data_atualizacao')],
      ['id_vendas'],
    );
    const proposal = proposeTable(vendas, 600_000);
    expect(proposal).toMatchObject({
      strategy: 'upsert',
      cursor: [{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas'],
    });
    expect(proposal.reason).toContain('data_atualizacao');
  });

  it('uses a NOT NULL update column alone, and a compound key in full', () => {
    const lines = table(
      'lines',
      [id('order_id'), id('line_no'), ts('updated_at', false), ts('created_at', false)],
      ['order_id', 'line_no'],
    );
    expect(proposeTable(lines, 50_000)).toMatchObject({
      strategy: 'upsert',
      cursor: ['updated_at', 'order_id', 'line_no'],
    });
  });

  it('finds update columns by pattern when no common name matches, but only among timestamps', () => {
    const t = table('t', [id('id'), text('last_changed_by'), ts('row_modified_ts', false)], ['id']);
    expect(proposeTable(t, 50_000)).toMatchObject({ strategy: 'upsert', cursor: ['row_modified_ts', 'id'] });
  });

  it('appends by an integer key when no update timestamp exists (insert-only looking)', () => {
    const events = table('events', [id('id'), text('payload'), ts('created_at', false)], ['id']);
    expect(proposeTable(events, 1_000_000)).toMatchObject({ strategy: 'append', cursor: ['id'] });
  });

  it('reloads whole: no primary key, a small table, a view, or a key that is not an increasing integer', () => {
    expect(proposeTable(table('nokey', [id('id'), ts('updated_at')], []), 1_000_000).strategy).toBe('full');
    const small = proposeTable(table('estados', [id('id'), ts('updated_at')], ['id']), 27);
    expect(small).toMatchObject({ strategy: 'full' });
    expect(small.reason).toMatch(/^27 rows/);
    expect(proposeTable(table('v', [id('id')], [], 'v'), 0).strategy).toBe('full');
    expect(proposeTable(table('codes', [text('code'), text('label')], ['code']), 1_000_000).strategy).toBe('full');
    expect(proposeTable(table('s', [id('id')], ['id']), 20, { smallRows: 10 }).strategy).toBe('append');
  });

  it('excludes columns Sluice cannot load exactly', () => {
    const t = table('places', [id('id'), column('location', undefined), ts('updated_at', false)], ['id']);
    expect(proposeTable(t, 1_000_000)).toMatchObject({
      strategy: 'upsert',
      exclude: ['location'],
      columns: ['id', 'updated_at'],
    });
  });
});

describe('renderInitFiles', () => {
  const tables = [
    proposeTable(
      table(
        'vendas',
        [
          id('id_vendas'),
          column('Valor Pago', { kind: 'decimal', precision: 10, scale: 2 }),
          ts('data_inclusao'),
          ts('data_atualizacao'),
        ],
        ['id_vendas'],
      ),
      600_000,
    ),
    proposeTable(table('estados', [id('id_estados'), text('sigla')], ['id_estados']), 27),
  ];
  const files = renderInitFiles({
    name: 'shop',
    sourceName: 'shop',
    url: '${env:SHOP_URL}',
    schema: 'public',
    tables,
    from: 'postgres://app@db:5432/shop',
  });

  it('writes a sluice.yml that validates, with each proposal and the URL as written', () => {
    const config = parseProjectConfig(files['sluice.yml'] as string, 'sluice.yml', { SHOP_URL: 'postgres://x@y/z' });
    expect(config.source.url).toBe('postgres://x@y/z');
    expect(config.tables.vendas).toMatchObject({
      strategy: 'upsert',
      cursor: [{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas'],
    });
    expect(config.tables.estados).toMatchObject({ strategy: 'full' });
    expect(files['sluice.yml']).toContain('# 27 rows: small, reloaded whole');
  });

  it('writes a staging model per table (odd column names quoted) and the sources with key tests', () => {
    expect(Object.keys(files).sort()).toEqual([
      '.gitignore',
      'models/stage/sources.yml',
      'models/stage/stg_estados.sql',
      'models/stage/stg_vendas.sql',
      'sluice.yml',
    ]);
    expect(files['models/stage/stg_vendas.sql']).toContain('    "Valor Pago",\n');
    expect(files['models/stage/stg_vendas.sql']).toContain("from {{ source('shop', 'vendas') }}");
    expect(files['models/stage/sources.yml']).toContain(
      '          - name: id_vendas\n            data_tests: [unique, not_null]',
    );
  });
});

describe('helpers', () => {
  it('urlWithoutPassword drops only the password', () => {
    expect(urlWithoutPassword('postgres://app:s3cret@db:5432/shop?sslmode=require')).toBe(
      'postgres://app@db:5432/shop?sslmode=require',
    );
    expect(urlWithoutPassword('postgres://app@db/shop')).toBe('postgres://app@db/shop');
  });

  it('identifierFrom makes a plain identifier', () => {
    expect(identifierFrom('My Shop-2', 'x')).toBe('my_shop_2');
    expect(identifierFrom('2024 data', 'x')).toBe('_2024_data');
    expect(identifierFrom('São Paulo', 'x')).toBe('sao_paulo');
    expect(identifierFrom('---', 'fallback')).toBe('fallback');
  });
});
