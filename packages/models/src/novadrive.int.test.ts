import { createDuckDbWarehouse } from '@sluice/duckdb';
import type { Warehouse } from '@sluice/warehouse';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from './load-project.js';
import { formatIssue } from './project-issue.js';
import type { Project } from './project.js';
import { runProject, type RunResult } from './run-project.js';
import { seedNovaDrive } from './test-support/novadrive-data.js';
import { tempDir } from './test-support/temp-project.js';

const SQL_MODELS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../sql-models');
const target = { name: 'dev', type: 'duckdb', schema: 'analytics' };

let dir: { path: string; remove(): Promise<void> };
let warehouse: Warehouse;
let project: Project;
beforeEach(async () => {
  dir = await tempDir();
  warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'novadrive.duckdb') });
  await seedNovaDrive(warehouse);
  const loaded = await loadProject(SQL_MODELS);
  expect(loaded.errors.map(formatIssue)).toEqual([]);
  expect(loaded.warnings.map(formatIssue)).toEqual([]);
  project = loaded.project;
});
afterEach(async () => {
  await warehouse.close();
  await dir.remove();
});

function problems(result: RunResult): string[] {
  return result.results
    .filter((r) => r.status !== 'success' && r.status !== 'pass')
    .map((r) => `${r.status} ${r.name}: ${r.message}`);
}

const build = (options: { fullRefresh?: boolean } = {}) =>
  runProject(project, warehouse, { target, threads: 4, ...options });

describe('the NovaDrive project (sql-models) on DuckDB', () => {
  it('builds green: every model, the snapshot and every test', async () => {
    const result = await build();
    expect(problems(result)).toEqual([]);
    expect(result.status).toBe('success');
    const models = result.results.filter((r) => r.kind === 'model').map((r) => r.name);
    expect(models).toEqual(
      expect.arrayContaining([
        'stg_vendas',
        'dim_clientes',
        'fct_vendas',
        'vendas_por_concessionaria',
        'vendas_por_mes',
        'vendas_por_veiculo',
        'vendas_por_vendedor',
      ]),
    );
    expect(models).not.toContain('int_precos_veiculos');
    expect(result.counts.pass).toBeGreaterThan(40);

    const rows = await warehouse.query(
      'select count(*) as n, count(valor_sugerido_na_venda) as priced from analytics_facts.fct_vendas',
    );
    expect(rows).toEqual([{ n: 300, priced: 300 }]);
    // Every customer is a dimension member, also the five who never bought.
    expect(await warehouse.query('select count(*) as n from analytics_dimensions.dim_clientes')).toEqual([{ n: 60 }]);
    // Tidy values: INITCAP names, trimmed dealers and addresses, upper-case states.
    expect(
      await warehouse.query('select cliente, endereco from analytics_dimensions.dim_clientes where cliente_id = 1'),
    ).toEqual([{ cliente: 'Cliente 1 Da Silva', endereco: 'Rua 1, Centro' }]);
    expect(
      await warehouse.query(
        'select estado, sigla from analytics_dimensions.dim_estados where estado_id in (1, 3) order by 1',
      ),
    ).toEqual([
      { estado: 'MINAS GERAIS', sigla: 'MG' },
      { estado: 'SÃO PAULO', sigla: 'SP' },
    ]);
    const byMonth = await warehouse.query(
      "select strftime(mes, '%Y-%m') as mes, quantidade_vendas from analytics_analysis.vendas_por_mes order by mes",
    );
    expect(byMonth).toEqual([
      { mes: '2024-03', quantidade_vendas: 185 },
      { mes: '2024-04', quantidade_vendas: 115 },
    ]);
  });

  it('carries the price valid at each sale through price changes, corrections and deletes, and is deterministic', async () => {
    expect(problems(await build())).toEqual([]);
    // A later ingestion: vehicle 1 gets a new list price on June 1st, new sales at that price, a sale corrected,
    // another deleted at the source.
    await warehouse.execute(`
      update raw.veiculos set valor = 59990.00, data_atualizacao = '2024-06-01', _sluice_synced_at = timestamptz '2024-06-05 00:00:00+00' where id_veiculos = 1;
      insert into raw.vendas
      select 300 + i, 1, 1, 1, 1, 58190.30, timestamp '2024-06-02' + to_hours(cast(i as bigint)), timestamp '2024-06-02', null, timestamptz '2024-06-05 00:00:00+00'
      from range(1, 11) as t(i);
      update raw.vendas set valor_pago = 89990.00, data_atualizacao = '2024-06-03', _sluice_synced_at = timestamptz '2024-06-05 00:00:00+00' where id_vendas = 13;
      delete from raw.vendas where id_vendas = 14;
    `);
    const second = await build();
    expect(problems(second)).toEqual([]);
    expect(second.results.find((r) => r.name === 'fct_vendas')?.message).toBe('merged 11 rows on venda_id');

    expect(await warehouse.query('select count(*) as n from analytics_facts.fct_vendas')).toEqual([{ n: 309 }]);
    expect(await warehouse.query('select valor_venda from analytics_facts.fct_vendas where venda_id = 13')).toEqual([
      { valor_venda: '89990.00' },
    ]);
    expect(await warehouse.query('select count(*) as n from analytics_facts.fct_vendas where venda_id = 14')).toEqual([
      { n: 0 },
    ]);
    // Old sales of vehicle 1 keep the old price; new ones get the new one.
    expect(
      await warehouse.query(
        "select distinct valor_sugerido_na_venda as preco from analytics_facts.fct_vendas where veiculo_id = 1 and data_venda < '2024-06-01' union all select distinct valor_sugerido_na_venda from analytics_facts.fct_vendas where veiculo_id = 1 and data_venda >= '2024-06-01'",
      ),
    ).toEqual([{ preco: '54990.00' }, { preco: '59990.00' }]);
    expect(
      await warehouse.query(
        'select valor_sugerido, dbt_valid_from::varchar as valid_from, dbt_valid_to::varchar as valid_to from analytics_snapshots.snp_veiculos_precos where veiculo_id = 1 order by dbt_valid_from',
      ),
    ).toEqual([
      { valor_sugerido: '54990.00', valid_from: '2023-05-01 00:00:00', valid_to: '2024-06-01 00:00:00' },
      { valor_sugerido: '59990.00', valid_from: '2024-06-01 00:00:00', valid_to: null },
    ]);
    // Sales of vehicle 2 older than its history (it starts 2024-04-15) take the earliest known price.
    expect(
      await warehouse.query(
        "select distinct valor_sugerido_na_venda as preco from analytics_facts.fct_vendas where veiculo_id = 2 and data_venda < '2024-04-15'",
      ),
    ).toEqual([{ preco: '89990.00' }]);

    // Determinism: rebuilding everything from the same data gives the same fact table.
    const before = await warehouse.query('select * from analytics_facts.fct_vendas order by venda_id');
    const refreshed = await build({ fullRefresh: true });
    expect(problems(refreshed)).toEqual([]);
    expect(refreshed.results.find((r) => r.name === 'fct_vendas')?.message).toBe('table rebuilt (full refresh)');
    expect(await warehouse.query('select * from analytics_facts.fct_vendas order by venda_id')).toEqual(before);
  });

  it('fails the price rule for a sale paid below 95% of the price valid when it was made', async () => {
    await warehouse.execute(`
      insert into raw.vendas values (999, 4, 2, 3, 4, 69995.00, '2024-04-10 10:00', '2024-04-10 10:00', null, timestamptz '2024-05-01 00:00:00+00');
    `);
    const result = await build();
    const failing = result.results.filter((r) => r.status !== 'success' && r.status !== 'pass');
    expect(failing.filter((r) => r.status !== 'skipped').map((r) => [r.name, r.status])).toEqual([
      ['assert_venda_dentro_do_preco_de_tabela', 'fail'],
    ]);
    // dbt's skip rule: the test refs fct_vendas and the price snapshot, so what is built from both — the analysis
    // models, and their tests with them — is skipped; nothing else is.
    expect(
      failing
        .filter((r) => r.status === 'skipped' && r.kind !== 'test')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['vendas_por_concessionaria', 'vendas_por_mes', 'vendas_por_veiculo', 'vendas_por_vendedor']);
    const test = failing.find((r) => r.status === 'fail');
    expect(test?.failures).toBe(1);
    expect(test?.samples).toEqual([
      {
        venda_id: 999,
        veiculo_id: 4,
        data_venda: '2024-04-10 10:00:00.000000',
        valor_venda: '69995.00',
        preco_de_tabela: '139990.00',
      },
    ]);
    expect(test?.storedIn).toEqual({ schema: 'analytics_audit', name: 'assert_venda_dentro_do_preco_de_tabela' });
    expect(test?.message).toContain(
      'compiled SQL: target/compiled/novadrive/tests/assert_venda_dentro_do_preco_de_tabela.sql',
    );
  });

  it('reports a sale whose customer is missing instead of dropping it', async () => {
    await warehouse.execute(
      "insert into raw.vendas values (1000, 4, 2, 3, 777, 139990.00, '2024-04-10 11:00', '2024-04-10 11:00', null, timestamptz '2024-05-01 00:00:00+00')",
    );
    const result = await build();
    expect(await warehouse.query('select count(*) as n from analytics_facts.fct_vendas where venda_id = 1000')).toEqual(
      [{ n: 1 }],
    );
    const relationships = result.results.find(
      (r) => r.name === 'relationships_fct_vendas_cliente_id__cliente_id__ref_dim_clientes_',
    );
    expect(relationships).toMatchObject({
      status: 'fail',
      failures: 1,
      samples: [expect.objectContaining({ venda_id: 1000, cliente_id: 777 })],
    });
    // dbt's skip rule: the relationships test depends on fct_vendas and dim_clientes, and no model is built from
    // both, so it skips nothing (dbt gates only what lies below every node a test depends on).
    expect(result.results.find((r) => r.name === 'vendas_por_mes')?.status).toBe('success');
  });
});
