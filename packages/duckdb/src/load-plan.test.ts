import type { ChunkFile, LoadRequest, TableSchema } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import { columnComment, tableComment } from '@sluice/warehouse';
import { planLoad } from './load-plan.js';
import { warehouseTableFromCatalog } from './duckdb-catalog.js';

const table: TableSchema = {
  schema: 'raw',
  name: 'clientes',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'integer' }, nullable: false },
    { name: 'nome', type: { kind: 'text' }, nullable: true },
    { name: 'atualizado', type: { kind: 'timestamp' }, nullable: true },
  ],
};
const physical: Record<string, string> = { id: 'INTEGER', nome: 'VARCHAR', atualizado: 'TIMESTAMP' };
const existing = (softDelete: boolean, extra: string[] = []) =>
  warehouseTableFromCatalog(
    { kind: 'table', schema_name: 'raw', table_name: 'clientes', comment: tableComment(['id']) },
    [
      ...table.columns.map((c) => ({
        column_name: c.name,
        data_type: physical[c.name] ?? '',
        comment: columnComment(c),
        is_nullable: true,
      })),
      ...extra.map((name) => ({ column_name: name, data_type: 'VARCHAR', comment: null, is_nullable: true })),
      { column_name: '_sluice_synced_at', data_type: 'TIMESTAMP WITH TIME ZONE', comment: null, is_nullable: true },
      ...(softDelete
        ? [
            {
              column_name: '_sluice_deleted_at',
              data_type: 'TIMESTAMP WITH TIME ZONE',
              comment: null,
              is_nullable: true,
            },
          ]
        : []),
    ],
  );
const file: ChunkFile = { path: '/tmp/c.csv', rows: 1, bytes: 10, format: 'csv' };
const request = (over: Partial<LoadRequest>): LoadRequest => ({
  table,
  files: [file],
  columns: ['id', 'nome', 'atualizado'],
  mode: 'merge',
  ...over,
});
const roles = (r: LoadRequest, softDelete = false, extra: string[] = []) =>
  planLoad(r, existing(softDelete, extra)).steps.map((s) => s.role);

describe('planLoad', () => {
  it('merges by staging, deleting matched keys and inserting the newest row per key, in one transaction', () => {
    expect(roles(request({}))).toEqual([
      'begin',
      'stage',
      'batch',
      'match',
      'changed',
      'delete-matched',
      'insert',
      'commit',
    ]);
    expect(roles(request({}), false, ['legacy'])).toEqual([
      'begin',
      'stage',
      'batch',
      'keep',
      'match',
      'changed',
      'delete-matched',
      'insert',
      'commit',
    ]);
    expect(roles(request({ deletes: { mode: 'mark', files: [file] } }), true)).toEqual([
      'begin',
      'stage',
      'batch',
      'match',
      'changed',
      'delete-matched',
      'insert',
      'delete-keys',
      'commit',
    ]);
    // Every row a change (read past the previous cursor): matched rows are replaced without comparing.
    expect(roles(request({ distinctKeys: true, changesOnly: true }))).toEqual([
      'begin',
      'stage',
      'delete-matched',
      'insert',
      'commit',
    ]);
    // Rows read from one snapshot hold each key once: no newest-row pass.
    expect(roles(request({ distinctKeys: true }))).toEqual([
      'begin',
      'stage',
      'match',
      'changed',
      'delete-matched',
      'insert',
      'commit',
    ]);
  });

  it('rewrites only the rows whose values change, comparing as text what DuckDB holds equal but is not', () => {
    const floats: TableSchema = {
      ...table,
      columns: [...table.columns, { name: 'peso', type: { kind: 'double' }, nullable: true }],
    };
    const held = warehouseTableFromCatalog(
      { kind: 'table', schema_name: 'raw', table_name: 'clientes', comment: tableComment(['id']) },
      [
        ...floats.columns.map((c) => ({
          column_name: c.name,
          data_type: physical[c.name] ?? 'DOUBLE',
          comment: columnComment(c),
          is_nullable: true,
        })),
        { column_name: '_sluice_synced_at', data_type: 'TIMESTAMP WITH TIME ZONE', comment: null, is_nullable: true },
      ],
    );
    const steps = planLoad(
      { table: floats, files: [file], columns: ['id', 'nome', 'atualizado', 'peso'], mode: 'merge' },
      held,
    ).steps;
    const deleted = steps.find((s) => s.role === 'match')?.sql ?? '';
    expect(deleted).toContain('"batch"."nome" IS DISTINCT FROM "target"."nome"');
    expect(deleted).toContain(
      'CAST(CAST("batch"."peso" AS DOUBLE) AS VARCHAR) IS DISTINCT FROM CAST("target"."peso" AS VARCHAR)',
    );
    expect(deleted).not.toContain('"batch"."id" IS DISTINCT FROM');
    expect(steps.find((s) => s.role === 'changed')?.sql).toContain('FROM "__sluice_matched" WHERE "__sluice_changed"');
    expect(steps.find((s) => s.role === 'delete-matched')?.sql).toContain(
      'USING "__sluice_changed_keys" AS "changed"\nWHERE "changed"."id" = "target"."id"',
    );
    expect(steps.find((s) => s.role === 'insert')?.sql).toContain(
      'WHERE NOT EXISTS (SELECT 1 FROM "__sluice_matched" AS "matched" WHERE NOT "matched"."__sluice_changed"',
    );
  });

  it('replaces and appends', () => {
    expect(roles(request({ mode: 'replace' }))).toEqual(['begin', 'stage', 'clear', 'insert', 'commit']);
    // Into a table that holds rows, a keyed replace counts what it changes first.
    expect(
      planLoad(request({ mode: 'replace', distinctKeys: true }), existing(false), { existingRows: 5 }).steps.map(
        (s) => s.role,
      ),
    ).toEqual(['begin', 'stage', 'count-changes', 'clear', 'insert', 'commit']);
    expect(
      planLoad(request({ mode: 'replace', distinctKeys: true }), existing(false), { existingRows: 0 }).steps.map(
        (s) => s.role,
      ),
    ).toEqual(['begin', 'clear', 'insert', 'commit']);
    expect(roles(request({ mode: 'replace', files: [] }))).toEqual(['begin', 'clear', 'commit']);
    expect(roles(request({ mode: 'append', table: { ...table, primaryKey: [] } }))).toEqual([
      'begin',
      'insert',
      'commit',
    ]);
    expect(roles(request({ mode: 'merge', files: [] }))).toEqual(['begin', 'commit']);
  });

  it('orders duplicates by newestBy (NULLs oldest), then by file order', () => {
    const batch = planLoad(request({ newestBy: ['atualizado'] }), existing(false)).steps.find(
      (s) => s.role === 'batch',
    );
    expect(batch?.sql).toContain('ORDER BY "atualizado" DESC NULLS LAST, rowid DESC');
  });

  it('refuses requests that do not fit the table', () => {
    const refuse = (r: LoadRequest, softDelete = false) =>
      expect(() => planLoad(r, existing(softDelete))).toThrow(
        expect.objectContaining({ code: 'INVALID_LOAD_REQUEST', table: 'raw.clientes' }),
      );
    refuse(request({ columns: ['id', 'unknown'] }));
    refuse(request({ columns: ['nome'] }));
    refuse(request({ columns: ['id', 'id'] }));
    refuse(request({ newestBy: ['other'] }));
    refuse(request({ table: { ...table, primaryKey: [] } }));
    refuse(request({ deletes: { mode: 'mark', files: [file] } }));
    refuse(request({ files: [file, { ...file, path: '/tmp/x.csv.zip', format: 'csv.gz' }] }));
    const added: TableSchema = {
      ...table,
      columns: [...table.columns, { name: 'novo', type: { kind: 'text' }, nullable: true }],
    };
    refuse(request({ table: added, columns: ['id', 'novo'] }));
  });

  it('never lets a source column collide with the file-name column', () => {
    const odd: TableSchema = {
      ...table,
      columns: [...table.columns, { name: '__sluice_file', type: { kind: 'decimal' }, nullable: true }],
    };
    const withOdd = warehouseTableFromCatalog(
      { kind: 'table', schema_name: 'raw', table_name: 'clientes', comment: null },
      [
        { column_name: 'id', data_type: 'INTEGER', comment: null, is_nullable: true },
        { column_name: '__sluice_file', data_type: 'DECIMAL(38,18)', comment: null, is_nullable: true },
      ],
    );
    const stage =
      planLoad({ table: odd, files: [file], columns: ['id', '__sluice_file'], mode: 'merge' }, withOdd).steps[1]?.sql ??
      '';
    expect(stage).toContain(`filename = '___sluice_file'`);
    expect(stage).toContain(`'file': "___sluice_file"`);
  });
});
