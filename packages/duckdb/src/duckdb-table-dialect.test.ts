import type { TableSchema } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import {
  columnComment,
  planEnsureTable as planForAnyEngine,
  tableComment,
  validateTableSchema as validateForAnyEngine,
  type WarehouseTable,
} from '@sluice/warehouse';
import { warehouseTableFromCatalog } from './duckdb-catalog.js';
import { duckDbTableDialect, widenedStorage } from './duckdb-table-dialect.js';

// The shared planners of @sluice/warehouse, with DuckDB's table dialect.
const planEnsureTable = (
  existing: WarehouseTable | undefined,
  desired: TableSchema,
  options: { readonly softDelete: boolean },
) => planForAnyEngine(existing, desired, options, duckDbTableDialect);
const validateTableSchema = (table: TableSchema) => validateForAnyEngine(table, duckDbTableDialect);

const schema = (columns: TableSchema['columns'], primaryKey = ['id']): TableSchema => ({
  schema: 'raw',
  name: 't',
  columns,
  primaryKey,
});

/** The warehouse table `ensureTable(table)` would have created, plus extra physical columns. */
function created(table: TableSchema, extra: { name: string; dataType: string }[] = []): WarehouseTable {
  const plan = planEnsureTable(undefined, table, { softDelete: false });
  const types = /CREATE TABLE [^(]+\(\n([\s\S]*)\n\)/.exec(plan.statements[1] ?? '')?.[1] ?? '';
  const physical = new Map(
    types.split(',\n').map((line) => {
      const m = /^\s*"([^"]+)" (.+)$/.exec(line);
      return [m?.[1] ?? '', (m?.[2] ?? '').replace('TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE')];
    }),
  );
  return warehouseTableFromCatalog(
    { kind: 'table', schema_name: table.schema, table_name: table.name, comment: tableComment(table.primaryKey) },
    [
      ...table.columns.map((c) => ({
        column_name: c.name,
        data_type: physical.get(c.name) ?? '',
        comment: columnComment(c),
        is_nullable: true,
      })),
      ...extra.map((e) => ({ column_name: e.name, data_type: e.dataType, comment: null, is_nullable: true })),
      { column_name: '_sluice_synced_at', data_type: 'TIMESTAMP WITH TIME ZONE', comment: null, is_nullable: true },
    ],
  );
}

const id = { name: 'id', type: { kind: 'integer' as const }, nullable: false };

describe('planEnsureTable', () => {
  it('creates schema, table with metadata columns, and records types and key in comments', () => {
    const plan = planEnsureTable(
      undefined,
      schema([id, { name: 'v', type: { kind: 'text', maxLength: 9 }, nullable: true }]),
      { softDelete: true },
    );
    expect(plan.result).toEqual({ created: true, addedColumns: [], widenedColumns: [], droppedColumns: [] });
    expect(plan.statements[0]).toBe('CREATE SCHEMA IF NOT EXISTS "raw"');
    expect(plan.statements[1]).toContain('"_sluice_synced_at" TIMESTAMPTZ,\n  "_sluice_deleted_at" TIMESTAMPTZ');
    expect(plan.statements[1]).not.toMatch(/PRIMARY KEY|NOT NULL/);
    expect(plan.statements).toContain(
      `COMMENT ON COLUMN "raw"."t"."v" IS 'sluice:{"type":{"kind":"text","maxLength":9},"nullable":true}'`,
    );
  });

  it('does nothing when the table already matches', () => {
    const table = schema([id, { name: 'v', type: { kind: 'decimal' }, nullable: true }]);
    expect(planEnsureTable(created(table), table, { softDelete: false })).toEqual({
      statements: [],
      result: { created: false, addedColumns: [], widenedColumns: [], droppedColumns: [] },
    });
  });

  it('widens in place, altering DuckDB’s type only when it differs', () => {
    const before = schema([
      id,
      { name: 'n', type: { kind: 'integer' }, nullable: true },
      { name: 's', type: { kind: 'text', maxLength: 5 }, nullable: true },
    ]);
    const after = schema([
      id,
      { name: 'n', type: { kind: 'bigint' }, nullable: true },
      { name: 's', type: { kind: 'text' }, nullable: true },
    ]);
    const plan = planEnsureTable(created(before), after, { softDelete: true });
    expect(plan.result.widenedColumns).toEqual(['n', 's']);
    expect(plan.statements.filter((s) => s.startsWith('ALTER'))).toEqual([
      'ALTER TABLE "raw"."t" ALTER COLUMN "n" TYPE BIGINT',
      'ALTER TABLE "raw"."t" ADD COLUMN "_sluice_deleted_at" TIMESTAMPTZ',
    ]);
  });

  it('reports columns the source dropped, and keeps them', () => {
    const table = schema([id]);
    const plan = planEnsureTable(created(table, [{ name: 'legacy', dataType: 'VARCHAR' }]), table, {
      softDelete: false,
    });
    expect(plan.result.droppedColumns).toEqual(['legacy']);
    expect(plan.statements.some((s) => s.includes('DROP'))).toBe(false);
  });

  it('refuses incompatible changes and a changed key, listing every problem, before planning anything', () => {
    const before = schema([
      id,
      { name: 'a', type: { kind: 'text' }, nullable: true },
      { name: 'b', type: { kind: 'double' }, nullable: true },
    ]);
    const after = schema(
      [
        id,
        { name: 'a', type: { kind: 'integer' }, nullable: true },
        { name: 'b', type: { kind: 'real' }, nullable: true },
        { name: 'c', type: { kind: 'date' }, nullable: true },
      ],
      ['id', 'a'],
    );
    const error = (() => {
      try {
        planEnsureTable(created(before), after, { softDelete: false });
      } catch (e) {
        return e as Error & { code: string; table: string };
      }
      return undefined;
    })();
    expect(error?.code).toBe('INCOMPATIBLE_SCHEMA_CHANGE');
    expect(error?.table).toBe('raw.t');
    expect(error?.message).toContain('primary key changed from (id) to (id, a)');
    expect(error?.message).toContain('column "a" changed type from text to integer');
    expect(error?.message).toContain('column "b" changed type from double to real');
    expect(error?.message).toMatch(/Resync the table/);
  });

  it('refuses to turn a view into a table', () => {
    const view = { ...created(schema([id])), kind: 'view' as const };
    expect(() => planEnsureTable(view, schema([id]), { softDelete: false })).toThrow(
      expect.objectContaining({ code: 'INCOMPATIBLE_SCHEMA_CHANGE' }),
    );
  });

  it('records the logical types of a table created outside Sluice, without altering it', () => {
    const foreign = warehouseTableFromCatalog({ kind: 'table', schema_name: 'raw', table_name: 't', comment: null }, [
      { column_name: 'id', data_type: 'INTEGER', comment: null, is_nullable: true },
      { column_name: 'name', data_type: 'VARCHAR', comment: 'the name', is_nullable: true },
    ]);
    const plan = planEnsureTable(
      foreign,
      schema([id, { name: 'name', type: { kind: 'text', maxLength: 40 }, nullable: true }]),
      { softDelete: false },
    );
    expect(plan.statements.some((s) => s.includes('ALTER COLUMN'))).toBe(false);
    expect(plan.statements.filter((s) => s.startsWith('COMMENT'))).toHaveLength(3);
    expect(plan.result.widenedColumns).toEqual([]);
  });
});

describe('widenedStorage', () => {
  it('keeps every digit a column holds when it becomes an unconstrained decimal', () => {
    expect(widenedStorage('DECIMAL(10,2)', { kind: 'decimal' })).toBe('DECIMAL(38,18)');
    expect(widenedStorage('DECIMAL(38,20)', { kind: 'decimal' })).toBe('DECIMAL(38,20)');
    expect(widenedStorage('DECIMAL(30,0)', { kind: 'decimal' })).toBe('DECIMAL(38,8)');
    expect(widenedStorage('BIGINT', { kind: 'decimal' })).toBe('DECIMAL(38,18)');
    expect(widenedStorage('INTEGER[]', { kind: 'array', element: { kind: 'bigint' } })).toBe('BIGINT[]');
    expect(widenedStorage('INTEGER', { kind: 'decimal', precision: 12, scale: 2 })).toBe('DECIMAL(12,2)');
  });
});

describe('validateTableSchema', () => {
  const invalid = (table: TableSchema) =>
    expect(() => validateTableSchema(table)).toThrow(expect.objectContaining({ code: 'INVALID_LOAD_REQUEST' }));
  it('refuses schemas no DuckDB table can have', () => {
    invalid(schema([]));
    invalid(schema([id, { name: '_sluice_synced_at', type: { kind: 'text' }, nullable: true }]));
    invalid(
      schema([
        id,
        { name: 'Nome', type: { kind: 'text' }, nullable: true },
        { name: 'nome', type: { kind: 'text' }, nullable: true },
      ]),
    );
    invalid(schema([id], ['missing']));
    expect(() => validateTableSchema(schema([id]))).not.toThrow();
  });
});
