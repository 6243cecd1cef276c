import { planEnsureTable as planForAnyEngine, type TableSchema, type WarehouseTable } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import { existingVendas, vendas } from './__tests__/vendas-fixture.js';
import { snowflakeTableDialect } from './snowflake-table-dialect.js';

// The shared planner of @sluice/warehouse, with Snowflake's table dialect.
const planEnsureTable = (
  existing: WarehouseTable | undefined,
  desired: TableSchema,
  options: { readonly softDelete: boolean },
) => planForAnyEngine(existing, desired, options, snowflakeTableDialect);

describe('planEnsureTable', () => {
  it('changes nothing when the table already matches', () => {
    expect(planEnsureTable(existingVendas, vendas, { softDelete: true })).toEqual({
      statements: [],
      result: { created: false, addedColumns: [], widenedColumns: [], droppedColumns: ['legado'] },
    });
  });

  it('refuses what Snowflake cannot change in place (a NUMBER scale), naming column, types and the remedy, before any statement', () => {
    const changed: TableSchema = {
      ...vendas,
      columns: vendas.columns.map((c) =>
        c.name === 'valor_pago' ? { ...c, type: { kind: 'decimal', precision: 12, scale: 4 } } : c,
      ),
    };
    expect(() => planEnsureTable(existingVendas, changed, { softDelete: true })).toThrow(
      /raw\.vendas: column "valor_pago" changed type from decimal\(10,2\) to decimal\(12,4\), which Snowflake cannot do in place .*Resync/,
    );
  });

  it('refuses narrowing, a changed key, a view, and schemas no table can have', () => {
    const narrowed: TableSchema = {
      ...vendas,
      columns: vendas.columns.map((c) => (c.name === 'id_clientes' ? { ...c, type: { kind: 'smallint' } } : c)),
    };
    expect(() => planEnsureTable(existingVendas, narrowed, { softDelete: true })).toThrow(
      expect.objectContaining({ code: 'INCOMPATIBLE_SCHEMA_CHANGE' }),
    );
    expect(() =>
      planEnsureTable(existingVendas, { ...vendas, primaryKey: ['id_clientes'] }, { softDelete: true }),
    ).toThrow(/primary key changed/);
    expect(() => planEnsureTable({ ...existingVendas, kind: 'view' }, vendas, { softDelete: true })).toThrow(
      /is a view/,
    );
    const twice: TableSchema = {
      ...vendas,
      columns: [...vendas.columns, { name: 'ID_VENDAS', type: { kind: 'integer' }, nullable: true }],
    };
    expect(() => planEnsureTable(undefined, twice, { softDelete: false })).toThrow(
      expect.objectContaining({ code: 'INVALID_LOAD_REQUEST' }),
    );
    const reserved: TableSchema = {
      ...vendas,
      columns: [...vendas.columns, { name: '_SLUICE_SYNCED_AT', type: { kind: 'timestamptz' }, nullable: true }],
    };
    expect(() => planEnsureTable(undefined, reserved, { softDelete: false })).toThrow(/reserves/);
  });

  it('adds the metadata columns a table made elsewhere lacks, and records the key', () => {
    const plain = {
      ...existingVendas,
      primaryKey: undefined,
      columns: existingVendas.columns.filter((c) => !c.name.startsWith('_SLUICE')),
    };
    const plan = planEnsureTable(plain, vendas, { softDelete: true });
    expect(plan.statements).toEqual([
      'ALTER TABLE "RAW"."VENDAS" ADD COLUMN IF NOT EXISTS "_SLUICE_SYNCED_AT" TIMESTAMP_TZ(6),\n  "_SLUICE_DELETED_AT" TIMESTAMP_TZ(6)',
      `ALTER TABLE "RAW"."VENDAS" SET COMMENT = 'sluice:{"primaryKey":["id_vendas"]}'`,
    ]);
  });
});
