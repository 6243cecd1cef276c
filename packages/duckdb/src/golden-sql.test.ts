import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChunkFile, LoadRequest, TableSchema } from '@sluice/warehouse';
import { describeGoldenSql, goldenScript as statements } from '@sluice/testing';
import { columnComment, planEnsureTable, tableComment } from '@sluice/warehouse';
import { duckDbDialect } from './duckdb-dialect.js';
import { planLoad } from './load-plan.js';
import { warehouseTableFromCatalog } from './duckdb-catalog.js';
import { duckDbTableDialect } from './duckdb-table-dialect.js';

// The SQL this engine emits for a fixed example table, pinned in __golden__/*.sql.
// Rewrite the files after an intended change with: UPDATE_GOLDEN=1 npx vitest run packages/duckdb/
const goldenDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '__golden__');

const vendas: TableSchema = {
  schema: 'raw',
  name: 'vendas',
  primaryKey: ['id_vendas'],
  columns: [
    { name: 'id_vendas', type: { kind: 'integer' }, nullable: false },
    { name: 'id_clientes', type: { kind: 'integer' }, nullable: false },
    { name: 'valor_pago', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: false },
    { name: 'taxa', type: { kind: 'decimal' }, nullable: true },
    { name: 'data_venda', type: { kind: 'timestamp' }, nullable: true },
    { name: 'data_atualizacao', type: { kind: 'timestamp' }, nullable: true },
    { name: 'recibo', type: { kind: 'bytes' }, nullable: true },
    {
      name: 'parcelas',
      type: { kind: 'array', element: { kind: 'decimal', precision: 12, scale: 2 } },
      nullable: true,
    },
    { name: 'etiquetas', type: { kind: 'array', element: { kind: 'text' } }, nullable: true },
  ],
};

const file = (name: string): ChunkFile => ({ path: `/data/chunks/${name}`, rows: 1000, bytes: 65536, format: 'csv' });

/** The table as DuckDB's catalog would describe it after `ensureTable(vendas, { softDelete: true })`. */
const existing = warehouseTableFromCatalog(
  { kind: 'table', schema_name: 'raw', table_name: 'vendas', comment: tableComment(vendas.primaryKey) },
  [
    ...vendas.columns.map((c) => ({
      column_name: c.name,
      data_type: duckDbDialect.typeName(c.type).replace('TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE'),
      comment: columnComment(c),
      is_nullable: true,
    })),
    { column_name: 'legado', data_type: 'VARCHAR', comment: null, is_nullable: true },
    { column_name: '_sluice_synced_at', data_type: 'TIMESTAMP WITH TIME ZONE', comment: null, is_nullable: true },
    { column_name: '_sluice_deleted_at', data_type: 'TIMESTAMP WITH TIME ZONE', comment: null, is_nullable: true },
  ],
);

const columns = vendas.columns.map((c) => c.name);
const loadSql = (request: LoadRequest) =>
  statements(planLoad(request, existing).steps.map((s) => `-- ${s.role}\n${s.sql}`));

const goldens: Record<string, () => string> = {
  'ddl-create.sql': () =>
    statements(planEnsureTable(undefined, vendas, { softDelete: true }, duckDbTableDialect).statements),
  'ddl-evolve.sql': () =>
    statements(
      planEnsureTable(
        existing,
        {
          ...vendas,
          columns: [
            ...vendas.columns
              .filter((c) => c.name !== 'etiquetas')
              .map((c) =>
                c.name === 'id_clientes'
                  ? { ...c, type: { kind: 'bigint' as const } }
                  : c.name === 'valor_pago'
                    ? { ...c, type: { kind: 'decimal' as const, precision: 12, scale: 2 } }
                    : c,
              ),
            { name: 'canal', type: { kind: 'enum', name: 'canal', values: ['loja', 'web'] }, nullable: true },
          ],
        },
        { softDelete: true },
        duckDbTableDialect,
      ).statements,
    ),
  'load-merge.sql': () =>
    loadSql({
      table: vendas,
      files: [file('vendas-000.csv'), file('vendas-001.csv')],
      columns,
      mode: 'merge',
      newestBy: ['data_atualizacao'],
      deletes: { mode: 'mark', files: [file('vendas-deleted-000.csv')] },
    }),
  'load-replace.sql': () => loadSql({ table: vendas, files: [file('vendas-000.csv')], columns, mode: 'replace' }),
  'load-append.sql': () =>
    loadSql({
      table: { ...vendas, primaryKey: [] },
      files: [{ ...file('vendas-000.csv.gz'), format: 'csv.gz' }],
      columns,
      mode: 'append',
      deletes: { mode: 'delete', files: [] },
    }),
  'dialect.sql': () =>
    statements([
      duckDbDialect.createOrReplaceView({ schema: 'stage', name: 'stg_vendas' }, 'SELECT * FROM "raw"."vendas"'),
      duckDbDialect.createOrReplaceTableAs({ schema: 'marts', name: 'dim_clientes' }, 'SELECT 1 AS "cliente_id"'),
      duckDbDialect.mergeInto(
        { schema: 'marts', name: 'fct_vendas' },
        'SELECT "venda_id", "valor_venda", "data_venda"\nFROM "stage"."stg_vendas"',
        ['venda_id'],
        ['venda_id', 'valor_venda', 'data_venda'],
      ),
      duckDbDialect.dropRelation({ schema: 'stage', name: 'stg_vendas' }, 'view'),
      duckDbDialect.dropRelation({ schema: 'marts', name: 'dim_clientes' }, 'table'),
    ]),
};

describeGoldenSql(goldenDir, goldens);
