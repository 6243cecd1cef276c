import type { SourceColumn, SourceTable } from '@sluice/pg-extract';
import type { LogicalType } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import { urlWithoutPassword } from './init-project.js';
import { parseProjectConfig } from './project-config.js';
import { proposeTable, type ColumnFacts, type TableFacts } from './propose-table.js';
import { identifierFrom, modelColumn, renderInitFiles, yamlString } from './render-init-files.js';

function column(
  name: string,
  logical: LogicalType | undefined,
  nullable = true,
  pgType = logical?.kind ?? 'point',
  extra: Partial<SourceColumn> = {},
): SourceColumn {
  return { name, pgType, nullable, info: { typname: pgType, typtype: 'b', typmod: -1 }, logical, ...extra };
}

function table(name: string, columns: SourceColumn[], primaryKey: string[], kind = 'r'): SourceTable {
  return { schema: 'public', name, kind, columns, primaryKey, estimatedRows: 0, pages: 0 };
}

const id = (name: string, autoIncrement?: 'identity' | 'sequence') =>
  column(name, { kind: 'integer' }, false, 'integer', autoIncrement ? { autoIncrement } : {});
const uuid = (name: string) => column(name, { kind: 'uuid' }, false, 'uuid');
const ts = (name: string, nullable = true) => column(name, { kind: 'timestamp' }, nullable, 'timestamp');
const text = (name: string) => column(name, { kind: 'text' }, true, 'text');

/** Facts as init reads them: a large table, Postgres's counters, and pg_stats of some columns. */
function facts(
  activity: { updated?: number; deleted?: number } = {},
  columns: Record<string, Partial<ColumnFacts>> = {},
  extra: Partial<TableFacts> = {},
): TableFacts {
  return {
    rows: 10_001,
    activity: { inserted: 50_000, updated: activity.updated ?? 0, deleted: activity.deleted ?? 0 },
    columns: new Map(
      Object.entries(columns).map(([name, c]) => [
        name,
        { nullFraction: c.nullFraction ?? 0, distinct: c.distinct ?? 5000 },
      ]),
    ),
    statistics: { source: 'pg_stats' },
    ...extra,
  };
}

describe('proposeTable reads the data, not only the catalog', () => {
  it('upserts by a mostly-NULL update column coalesced with the creation column, then the key (NovaDrive)', () => {
    const vendas = table(
      'vendas',
      [id('id_vendas', 'sequence'), text('x'), ts('data_inclusao'), ts('data_atualizacao')],
      ['id_vendas'],
    );
    const proposal = proposeTable(
      vendas,
      facts({ updated: 30 }, { data_atualizacao: { nullFraction: 0.97 }, data_inclusao: { nullFraction: 0 } }),
    );
    expect(proposal).toMatchObject({
      strategy: 'upsert',
      cursor: [{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas'],
      deletes: 'reconcile',
    });
    expect(proposal.details.join('\n')).toContain(
      'data_atualizacao shows when a row changed; it is NULL in 97% of rows (pg_stats), read as "not changed since created": it falls back to data_inclusao (NULL in no row, pg_stats).',
    );
    expect(proposal.details.join('\n')).toContain('Postgres counted 50,000 inserts, 30 updates and 0 deletes');
  });

  it('never takes a column NULL in every row, nor one often NULL with nothing to fall back on', () => {
    const t = table('t', [id('id'), ts('updated_at'), ts('last_updated'), text('note')], ['id']);
    const proposal = proposeTable(
      t,
      facts({ updated: 1200 }, { updated_at: { nullFraction: 1 }, last_updated: { nullFraction: 0.75 } }),
    );
    expect(proposal.strategy).toBe('full');
    expect(proposal.reason).toBe('updated (1,200 updates counted) but no column says when: reloaded whole every run');
    const said = proposal.details.join('\n');
    expect(said).toContain('updated_at is NULL in every row (pg_stats): nothing sets it');
    expect(said).toContain('last_updated is NULL in 75% of rows (pg_stats) and no never-NULL creation column');
  });

  it('never takes a stamp that holds one value although Postgres counted updates', () => {
    const t = table('flags', [id('id', 'identity'), ts('modified_at', false), text('v')], ['id']);
    const proposal = proposeTable(t, facts({ updated: 40 }, { modified_at: { distinct: 1 } }));
    expect(proposal.strategy).toBe('full');
    expect(proposal.details.join('\n')).toContain(
      'modified_at holds one value in every row (pg_stats) although Postgres counted 40 updates',
    );
    // The same stamp in a table nobody updated is a fine cursor (a bulk load gives every row one timestamp).
    expect(proposeTable(t, facts({}, { modified_at: { distinct: 1 } })).strategy).toBe('upsert');
  });

  it('an updated table without a change column is reloaded whole, never appended (pgbench_accounts)', () => {
    const accounts = table(
      'pgbench_accounts',
      [id('aid'), id('bid'), id('abalance'), column('filler', { kind: 'char', length: 84 }, true, 'character(84)')],
      ['aid'],
    );
    const proposal = proposeTable(accounts, facts({ updated: 5000 }));
    expect(proposal.strategy).toBe('full');
    expect(proposal.details.join('\n')).toContain('5,000 updates');
    // Not updated (yet): insert-only looking, appended by its key, which does not come from a sequence.
    const quiet = proposeTable(accounts, facts());
    expect(quiet).toMatchObject({ strategy: 'append', cursor: ['aid'], deletes: 'reconcile' });
    expect(quiet.details.join('\n')).toContain('aid does not come from a sequence');
  });

  it('appends an insert-only table by its identity key, and reconciles deletes', () => {
    const log = table('audit_log', [id('id', 'identity'), ts('logged_at', false), text('what')], ['id']);
    const proposal = proposeTable(log, facts({ deleted: 3 }));
    expect(proposal).toMatchObject({ strategy: 'append', cursor: ['id'], deletes: 'reconcile' });
    expect(proposal.details.join('\n')).toContain('id is an identity, so new rows have larger keys');
  });

  it('takes a uuid key as the tiebreaker; says deletes are not found; reloads whole once deletes were counted', () => {
    const tickets = table('tickets', [uuid('id'), ts('updated_at', false), text('title')], ['id']);
    const upsert = proposeTable(tickets, facts({ updated: 10 }));
    expect(upsert).toMatchObject({ strategy: 'upsert', cursor: ['updated_at', 'id'] });
    expect(upsert.deletes).toBeUndefined();
    expect(upsert.details.join('\n')).toContain('Deletes are not found (that needs a single integer key');
    const deleted = proposeTable(tickets, facts({ updated: 10, deleted: 2 }));
    expect(deleted.strategy).toBe('full');
    expect(deleted.details.join('\n')).toContain(
      'To load it incrementally instead (rows deleted in the source then stay in the warehouse): strategy: upsert, cursor: (updated_at, id).',
    );
  });

  it('finds new rows of an insert-only table with a composite key by its creation stamp', () => {
    const lines = table(
      'order_lines',
      [id('order_id'), id('line_no'), ts('created_at', false), text('sku')],
      ['order_id', 'line_no'],
    );
    expect(proposeTable(lines, facts())).toMatchObject({
      strategy: 'upsert',
      cursor: ['created_at', 'order_id', 'line_no'],
    });
    // Updated, with nothing to say when: whole.
    expect(proposeTable(lines, facts({ updated: 1 })).strategy).toBe('full');
  });

  it('reloads whole: no primary key, a small table, a view', () => {
    const nokey = proposeTable(table('nokey', [id('id'), ts('updated_at')], []), facts());
    expect(nokey.strategy).toBe('full');
    expect(nokey.reason).toMatch(/^no primary key/);
    const small = proposeTable(table('estados', [id('id'), ts('updated_at')], ['id']), { rows: 27 });
    expect(small).toMatchObject({ strategy: 'full' });
    expect(small.reason).toMatch(/^27 rows/);
    expect(proposeTable(table('v', [id('id')], [], 'v'), { rows: 0 }).strategy).toBe('full');
    expect(proposeTable(table('s', [id('id')], ['id']), { rows: 20 }, { smallRows: 10 }).strategy).toBe('append');
  });

  it('leaves out columns Sluice cannot load exactly, and names the warehouse would not tell apart', () => {
    const t = table(
      'places',
      [id('id'), column('location', undefined), ts('updated_at', false), text('Name'), text('name')],
      ['id'],
    );
    const proposal = proposeTable(t, facts());
    expect(proposal).toMatchObject({
      strategy: 'upsert',
      exclude: ['location', 'name'],
      columns: ['id', 'updated_at', 'Name'],
    });
    expect(proposal.details.join('\n')).toContain('location (point): a type Sluice cannot load exactly, left out.');
  });

  it('says a partitioned table carries its partitions', () => {
    const events = table('events', [id('id', 'identity'), ts('at', false)], ['id'], 'p');
    const proposal = proposeTable(events, facts({}, {}, { partitions: ['events_2024', 'events_2025'] }));
    expect(proposal.details.join('\n')).toContain(
      'Partitioned: its partitions events_2024, events_2025 are read through it, so each row is loaded once.',
    );
  });
});

describe('renderInitFiles', () => {
  const vendas = proposeTable(
    table(
      'vendas',
      [
        id('id_vendas', 'sequence'),
        column('Valor Pago', { kind: 'decimal', precision: 10, scale: 2 }),
        ts('data_inclusao', false),
        ts('data_atualizacao'),
      ],
      ['id_vendas'],
    ),
    facts({}, { data_atualizacao: { nullFraction: 0.5 } }),
  );
  const odd = proposeTable(
    table(
      'Order "Items" ü',
      [uuid('Item ID'), id('order'), text('user'), text('select'), text('group'), ts('Updated At', false)],
      ['Item ID'],
    ),
    facts(),
  );
  const estados = proposeTable(table('estados', [id('id_estados'), text('sigla')], ['id_estados']), { rows: 27 });
  const files = renderInitFiles({
    name: 'shop',
    sourceName: 'shop',
    url: '${env:SHOP_URL}',
    schema: 'public',
    tables: [vendas, odd, estados],
    from: 'postgres://app@db:5432/shop',
    skipped: [
      {
        name: 'v_sales',
        reason: 'a view',
        entry: { schema: 'public', strategy: 'full', when: 'To load it anyway, uncomment' },
      },
    ],
  });

  it('writes a sluice.yml that validates, with each proposal, names of any spelling, and the URL as written', () => {
    const config = parseProjectConfig(files['sluice.yml'] as string, 'sluice.yml', { SHOP_URL: 'postgres://x@y/z' });
    expect(config.source.url).toBe('postgres://x@y/z');
    expect(config.tables.vendas).toMatchObject({
      strategy: 'upsert',
      cursor: [{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas'],
      deletes: 'reconcile',
    });
    expect(config.tables['Order "Items" ü']).toMatchObject({ strategy: 'upsert', cursor: ['Updated At', 'Item ID'] });
    expect(config.tables.estados).toMatchObject({ strategy: 'full' });
    expect(Object.keys(config.tables)).toEqual(['vendas', 'Order "Items" ü', 'estados']);
    expect(files['sluice.yml']).toContain(
      '  # estados: 27 rows: small, reloaded whole every run (skipped when unchanged).',
    );
    expect(files['sluice.yml']).toContain(
      '  "Order \\"Items\\" ü":\n    strategy: upsert\n    cursor: ["Updated At", "Item ID"]',
    );
    expect(files['sluice.yml']).toContain(
      '  # left out: v_sales: a view.\n  #   To load it anyway, uncomment:\n  # v_sales:\n  #   strategy: full',
    );
    for (const line of (files['sluice.yml'] as string).split('\n')) expect(line.length).toBeLessThanOrEqual(118);
  });

  it('writes a staging model per table, quoting every name that needs it, and the sources with key tests', () => {
    expect(Object.keys(files).sort()).toEqual([
      '.gitignore',
      'models/stage/sources.yml',
      'models/stage/stg_estados.sql',
      'models/stage/stg_order_items_u.sql',
      'models/stage/stg_vendas.sql',
      'sluice.yml',
    ]);
    expect(files['models/stage/stg_vendas.sql']).toContain('    "Valor Pago",\n');
    expect(files['models/stage/stg_vendas.sql']).toContain("from {{ source('shop', 'vendas') }}");
    const oddModel = files['models/stage/stg_order_items_u.sql'] as string;
    expect(oddModel).toContain(
      [
        '    "Item ID",',
        "    {{ adapter.quote('order') }},",
        "    {{ adapter.quote('user') }},",
        "    {{ adapter.quote('select') }},",
        "    {{ adapter.quote('group') }},",
        '    "Updated At",',
        '    _sluice_synced_at',
      ].join('\n'),
    );
    expect(oddModel).toContain(`from {{ source('shop', 'Order "Items" ü') }}`);
    expect(files['models/stage/sources.yml']).toContain(
      '          - name: id_vendas\n            data_tests: [unique, not_null]',
    );
    expect(files['models/stage/sources.yml']).toContain(
      '      - name: "Order \\"Items\\" ü"\n        columns:\n          - name: "Item ID"\n            quote: true',
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

  it('yamlString and modelColumn write any name so that YAML and every engine read it back as written', () => {
    expect(yamlString('orders')).toBe('orders');
    expect(yamlString('Customer ID')).toBe('"Customer ID"');
    expect(yamlString('yes')).toBe('"yes"');
    expect(yamlString('123')).toBe('"123"');
    expect(yamlString('a"b\nc')).toBe('"a\\"b\\nc"');
    expect(modelColumn('total')).toBe('total');
    expect(modelColumn('CustomerName')).toBe('CustomerName');
    expect(modelColumn('Order')).toBe("{{ adapter.quote('Order') }}");
    expect(modelColumn('it\'s "x"')).toBe('"it\'s ""x"""');
    expect(modelColumn('{{ x }}')).toBe("{{ adapter.quote('{{ x }}') }}");
  });
});
