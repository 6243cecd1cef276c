import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planEnsureTable, type LoadRequest } from '@sluice/warehouse';
import { describeGoldenSql, goldenScript as statements } from '@sluice/testing';
import { chunk, existingVendas, vendas } from './__tests__/vendas-fixture.js';
import { loadPreamble, planLoad, type LoadContext, type UploadFile } from './load-plan.js';
import { snowflakeDialect } from './snowflake-dialect.js';
import { snowflakeTableDialect } from './snowflake-table-dialect.js';

// The SQL this engine emits for a fixed example table, pinned in __golden__/*.sql.
// Rewrite the files after an intended change with: UPDATE_GOLDEN=1 npx vitest run packages/snowflake/
const goldenDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '__golden__');

const context: LoadContext = {
  stage: '"RAW"."SLUICE_STAGE"',
  tablePath: 'vendas/',
  loadPath: 'vendas/20240102T030405Z-1a2b3c4d/',
  localDir: '/tmp/sluice-snowflake-20240102T030405Z-1a2b3c4d',
  syncedAt: '2024-01-02T03:04:05.123456+00:00',
  parallel: 4,
};
const data = (n: number, rows = 1000): UploadFile => ({
  name: `data-${String(n).padStart(6, '0')}.csv.gz`,
  kind: 'data',
  rows,
});
const deletes = (n: number, rows = 10): UploadFile => ({
  name: `deletes-${String(n).padStart(6, '0')}.csv.gz`,
  kind: 'deletes',
  rows,
});

const columns = vendas.columns.map((c) => c.name);
const loadSql = (request: LoadRequest, files: readonly UploadFile[]) => {
  const preamble = loadPreamble(context.stage);
  const plan = planLoad(request, existingVendas, files, context);
  return statements([
    `-- prepare\n${preamble.createStage}`,
    `-- clock\n${preamble.clock}`,
    ...plan.steps.flatMap((step) => step.statements.map((sql) => `-- ${step.role}\n${sql}`)),
  ]);
};

const goldens: Record<string, () => string> = {
  'ddl-create.sql': () =>
    statements(planEnsureTable(undefined, vendas, { softDelete: true }, snowflakeTableDialect).statements),
  'ddl-evolve.sql': () =>
    statements(
      planEnsureTable(
        existingVendas,
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
                    : c.name === 'Observação'
                      ? { ...c, type: { kind: 'text' as const } }
                      : c,
              ),
            { name: 'canal', type: { kind: 'enum', name: 'canal', values: ['loja', "web's"] }, nullable: true },
          ],
        },
        { softDelete: true },
        snowflakeTableDialect,
      ).statements,
    ),
  'load-merge.sql': () =>
    loadSql(
      {
        table: vendas,
        files: [chunk('vendas-000.csv'), chunk('vendas-001.csv')],
        columns,
        mode: 'merge',
        newestBy: ['data_atualizacao'],
        tag: 'sluice run r1 table raw.vendas',
      },
      [data(1, 2000)],
    ),
  'load-merge-deletes.sql': () =>
    loadSql(
      {
        table: vendas,
        files: [chunk('vendas-000.csv')],
        columns,
        mode: 'merge',
        deletes: { mode: 'mark', files: [chunk('vendas-deleted-000.csv', 10)] },
      },
      [data(1), deletes(1)],
    ),
  'load-replace.sql': () =>
    loadSql({ table: vendas, files: [chunk('vendas-000.csv')], columns, mode: 'replace', distinctKeys: true }, [
      data(1),
      data(2),
    ]),
  'load-append.sql': () =>
    loadSql({ table: { ...vendas, primaryKey: [] }, files: [chunk('vendas-000.csv')], columns, mode: 'append' }, [
      data(1),
    ]),
  'dialect.sql': () =>
    statements([
      snowflakeDialect.createOrReplaceView(
        { schema: 'analytics_stage', name: 'stg_vendas' },
        'SELECT * FROM "RAW"."VENDAS"',
      ),
      snowflakeDialect.createOrReplaceTableAs(
        { schema: 'analytics_dimensions', name: 'dim_clientes' },
        'SELECT 1 AS cliente_id',
      ),
      snowflakeDialect.mergeInto(
        { schema: 'analytics_facts', name: 'fct_vendas' },
        'SELECT "VENDA_ID", "VALOR_VENDA", "DATA_VENDA"\nFROM "ANALYTICS_FACTS"."FCT_VENDAS__SLUICE_TMP"',
        ['venda_id'],
        ['venda_id', 'valor_venda', 'data_venda'],
      ),
      snowflakeDialect.dropRelation({ schema: 'analytics_stage', name: 'stg_vendas' }, 'view'),
      snowflakeDialect.dropRelation({ schema: 'analytics_dimensions', name: 'dim_clientes' }, 'table'),
      `SELECT ${[
        snowflakeDialect.dateAdd?.('day', '7', 'data_venda'),
        snowflakeDialect.dateDiff?.('month', 'data_inclusao', 'data_venda'),
        snowflakeDialect.dateTrunc?.('month', 'data_venda'),
        snowflakeDialect.tryCast?.(
          'valor_pago',
          snowflakeDialect.typeName({ kind: 'decimal', precision: 10, scale: 2 }),
        ),
        snowflakeDialect.initCap?.('trim(cliente)'),
      ].join(',\n  ')}`,
    ]),
};

describeGoldenSql(goldenDir, goldens);
