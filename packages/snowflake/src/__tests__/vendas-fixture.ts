/**
 * Test support (not exported): a vendas-shaped table and how Snowflake's SHOW commands would describe it.
 */
import type { ChunkFile, TableSchema, WarehouseTable } from '@sluice/warehouse';
import { columnComment, tableComment } from '@sluice/warehouse';
import { snowflakeName } from '../snowflake-identifier.js';
import { snowflakeTypeName } from '../snowflake-type.js';
import { warehouseTableFromShow, type ShowColumnRow } from '../snowflake-catalog.js';

export const vendas: TableSchema = {
  schema: 'raw',
  name: 'vendas',
  primaryKey: ['id_vendas'],
  columns: [
    { name: 'id_vendas', type: { kind: 'integer' }, nullable: false },
    { name: 'id_clientes', type: { kind: 'integer' }, nullable: false },
    { name: 'valor_pago', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: false },
    { name: 'taxa', type: { kind: 'decimal' }, nullable: true },
    { name: 'fator', type: { kind: 'real' }, nullable: true },
    { name: 'data_venda', type: { kind: 'timestamp' }, nullable: true },
    { name: 'data_atualizacao', type: { kind: 'timestamp' }, nullable: true },
    { name: 'confirmada_em', type: { kind: 'timestamptz' }, nullable: true },
    { name: 'dia', type: { kind: 'date' }, nullable: true },
    { name: 'recibo', type: { kind: 'bytes' }, nullable: true },
    { name: 'etiquetas', type: { kind: 'array', element: { kind: 'text' } }, nullable: true },
    { name: 'pago', type: { kind: 'array', element: { kind: 'boolean' } }, nullable: true },
    { name: 'Observação', type: { kind: 'text', maxLength: 255 }, nullable: true },
  ],
};

/** `SHOW COLUMNS`' data_type JSON for a storage as snowflakeTypeName spells it. */
export function showDataType(storage: string): string {
  const number = /^NUMBER\((\d+),(\d+)\)$/.exec(storage);
  if (number)
    return JSON.stringify({ type: 'FIXED', precision: Number(number[1]), scale: Number(number[2]), nullable: true });
  const varchar = /^VARCHAR(?:\((\d+)\))?$/.exec(storage);
  if (varchar) {
    const length = varchar[1] === undefined ? 16777216 : Number(varchar[1]);
    return JSON.stringify({
      type: 'TEXT',
      length,
      byteLength: Math.min(length * 4, 16777216),
      nullable: true,
      fixed: false,
    });
  }
  const timed = /^(TIME|TIMESTAMP_NTZ|TIMESTAMP_LTZ|TIMESTAMP_TZ)\((\d+)\)$/.exec(storage);
  if (timed) return JSON.stringify({ type: timed[1], precision: 0, scale: Number(timed[2]), nullable: true });
  if (storage === 'FLOAT') return JSON.stringify({ type: 'REAL', nullable: true });
  if (storage === 'BINARY')
    return JSON.stringify({ type: 'BINARY', length: 8388608, byteLength: 8388608, nullable: true, fixed: false });
  return JSON.stringify({ type: storage, nullable: true });
}

/** The SHOW COLUMNS row of a column Sluice created. */
export function shownColumn(table: TableSchema, name: string): ShowColumnRow {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`test bug: no column ${name}`);
  return {
    column_name: snowflakeName(column.name),
    data_type: showDataType(snowflakeTypeName(column.type)),
    comment: columnComment(column),
  };
}

/** The table as Snowflake would describe it after `ensureTable(vendas, { softDelete: true })`, plus a column `legado`. */
export const existingVendas: WarehouseTable = warehouseTableFromShow(
  vendas,
  { name: 'VENDAS', kind: 'TABLE', comment: tableComment(vendas.primaryKey) },
  [
    ...vendas.columns.map((c) => shownColumn(vendas, c.name)),
    { column_name: 'LEGADO', data_type: showDataType('VARCHAR'), comment: '' },
    { column_name: '_SLUICE_SYNCED_AT', data_type: showDataType('TIMESTAMP_TZ(6)'), comment: '' },
    { column_name: '_SLUICE_DELETED_AT', data_type: showDataType('TIMESTAMP_TZ(6)'), comment: '' },
  ],
);

export const chunk = (name: string, rows = 1000): ChunkFile => ({
  path: `/data/chunks/${name}`,
  rows,
  bytes: 65536,
  format: 'csv',
});
