import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDuckDbWarehouse, type DuckDbWarehouse } from '@sluice/duckdb';
import type { Warehouse } from '@sluice/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from './compile-project.js';
import { loadProject } from './load-project.js';
import { formatIssue } from './project-issue.js';
import type { SeedNode, SourceNode } from './project.js';
import { runProject, type NodeResult } from './run-project.js';
import { checkSourceFreshness } from './source-freshness.js';
import { startEmulatedSnowflake } from './test-support/snowflake-emulator.js';
import { fixture, tempDir } from './test-support/temp-project.js';

/*
 * The dbt project of NovaDrive models (__fixtures__/dbt-novadrive: dbt_project.yml, seeds, docs blocks, freshness,
 * a snapshot, an analysis) loaded and built as dbt builds it, on DuckDB and on Snowflake through the emulator.
 */

const PROJECT = fixture('dbt-novadrive');

/** A column's name and type as the warehouse has it. */
async function columnsOf(warehouse: Warehouse, schema: string, name: string): Promise<string[]> {
  const state = await warehouse.describeRelation({ schema, name });
  return (state?.columns ?? []).map((c) => `${c.name} ${c.dataType}`);
}

function byName(results: readonly NodeResult[]): Record<string, NodeResult> {
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

describe('a dbt project of NovaDrive models', () => {
  it('loads without a sluice.yml: seeds, docs blocks, freshness, folder configs rendered from dbt_project.yml', async () => {
    const { project, errors, warnings } = await loadProject(PROJECT);
    expect(errors.map(formatIssue)).toEqual([]);
    expect(project.name).toBe('novadrive_dbt');
    expect(project.configFile).toBe('dbt_project.yml');
    // What is not supported is said, with its file and line.
    expect(warnings.map(formatIssue)).toEqual([
      'analyses/ranking_estados.sql:1: analyses are not supported yet: the 1 file under analyses/ is not compiled.',
      'models/marts/schema.yml:5: Jinja in a description is not rendered, except {{ doc() }}: the description keeps the text as written.',
    ]);
    const seeds = [...project.nodes.values()].filter((n): n is SeedNode => n.kind === 'seed');
    // `legado/` is disabled by `+enabled: "{{ var('carregar_legado', false) }}"`.
    expect(seeds.map((s) => s.name).sort()).toEqual(['estados', 'paises', 'tabela_precos', 'vendas']);
    const precos = seeds.find((s) => s.name === 'tabela_precos');
    expect(precos?.config).toMatchObject({
      schema: 'reference',
      delimiter: ';',
      column_types: { codigo: 'varchar(8)', preco: 'decimal(12,2)' },
    });
    expect(precos?.fqn).toEqual(['novadrive_dbt', 'reference', 'tabela_precos']);
    expect(seeds.find((s) => s.name === 'paises')?.config).toMatchObject({ schema: 'reference', quote_columns: true });
    expect(project.nodes.get('model.novadrive_dbt.stg_vendas')?.dependsOn).toEqual(['seed.novadrive_dbt.vendas']);
    // doc() in descriptions renders the docs block.
    const stg = project.nodes.get('model.novadrive_dbt.stg_vendas');
    expect(stg?.description).toBe(
      'One row per vehicle sale: who bought, in which state, for how much and whether it is paid.',
    );
    expect(stg?.kind === 'model' && stg.columns.find((c) => c.name === 'uf')?.description).toMatch(/two-letter code/);
    expect(project.docs?.get('paises')?.file).toBe('models/docs.md');
    // Freshness: the table's over its source's, `freshness: null` switches it off.
    const source = (name: string) => project.nodes.get(`source.novadrive_dbt.novadrive.${name}`) as SourceNode;
    expect(source('vendas').freshness).toEqual({
      warnAfter: { count: 1, period: 'day' },
      errorAfter: { count: 36500, period: 'day' },
    });
    expect(source('vendas').loadedAtField).toBe('data_venda');
    expect(source('estados').freshness).toBeNull();
    expect(source('vendas_com_prazo').freshness).toMatchObject({ errorAfter: { count: 1, period: 'day' } });
  });

  it('--vars switch the legacy seeds on and win over the project vars', async () => {
    const { project, errors } = await loadProject(PROJECT, { vars: { carregar_legado: true, moeda: 'USD' } });
    expect(errors).toEqual([]);
    expect(project.nodes.has('seed.novadrive_dbt.vendas_2019')).toBe(true);
    expect(project.vars).toMatchObject({ venda_minima: 0, moeda: 'USD', carregar_legado: true });
  });

  describe('on DuckDB', () => {
    let warehouse: DuckDbWarehouse;
    const target = { name: 'dev', type: 'duckdb', schema: 'main' };
    beforeAll(async () => {
      warehouse = await createDuckDbWarehouse({ path: ':memory:', threads: 2 });
    });
    afterAll(async () => {
      await warehouse?.close();
    });

    it('builds seeds, models, snapshots and tests in DAG order, seeds typed as dbt types them', async () => {
      const { project } = await loadProject(PROJECT);
      const run = await runProject(project, warehouse, { target, threads: 4 });
      const r = byName(run.results);
      expect(run.status).toBe('success');
      // 4 seeds, 4 models, 1 snapshot; 12 tests.
      expect(run.counts).toMatchObject({ success: 9, pass: 12, error: 0, fail: 0, skipped: 0 });
      expect(r.vendas).toMatchObject({ kind: 'seed', status: 'success', rowsAffected: 6, materialized: 'seed' });
      // Seeds run before what refs them.
      const order = run.results.map((x) => x.name);
      expect(order.indexOf('vendas')).toBeLessThan(order.indexOf('stg_vendas'));
      expect(order.indexOf('tabela_precos')).toBeLessThan(order.indexOf('precos_snapshot'));
      expect(await columnsOf(warehouse, 'main_raw', 'vendas')).toEqual([
        'id_venda INTEGER',
        'id_cliente INTEGER',
        'uf VARCHAR',
        'valor DOUBLE',
        'data_venda TIMESTAMP',
        'pago BOOLEAN',
      ]);
      expect(await columnsOf(warehouse, 'main_reference', 'tabela_precos')).toEqual([
        'codigo VARCHAR',
        'modelo VARCHAR',
        'preco DECIMAL(12,2)',
        'vigente_desde DATE',
      ]);
      expect(await columnsOf(warehouse, 'main_reference', 'paises')).toEqual([
        'Codigo ISO VARCHAR',
        'Nome do Pais VARCHAR',
      ]);
      expect(
        await warehouse.query('select codigo, modelo, preco from main_reference.tabela_precos order by 1'),
      ).toEqual([
        { codigo: '007', modelo: 'Onix; 1.0', preco: '45990.00' },
        { codigo: '012', modelo: 'Tracker', preco: '52000.00' },
        { codigo: '101', modelo: 'HB20', preco: '38500.50' },
      ]);
      expect(await warehouse.query('select valor, pago from main_raw.vendas where id_venda = 5')).toEqual([
        { valor: null, pago: null },
      ]);
      expect(await warehouse.query('select uf, vendas, total, moeda from main.vendas_por_estado order by uf')).toEqual([
        { uf: 'BA', vendas: 1, total: 39900, moeda: 'BRL' },
        { uf: 'MG', vendas: 1, total: 41250.75, moeda: 'BRL' },
        { uf: 'RJ', vendas: 1, total: 38500.5, moeda: 'BRL' },
        { uf: 'SP', vendas: 3, total: 97990, moeda: 'BRL' },
      ]);
    });

    it("ref() to a seed compiles to the seed's relation", async () => {
      const { project } = await loadProject(PROJECT);
      const compiled = compileProject(project, { target, dialect: warehouse.dialect });
      expect(compiled.errors).toEqual([]);
      expect(compiled.nodes.get('model.novadrive_dbt.stg_estados')?.sql).toContain('from "main_raw"."estados"');
    });

    it('reloads a changed seed; a seed whose columns changed needs --full-refresh', async () => {
      const dir = await tempDir('sluice-dbt-seed-');
      try {
        await cp(PROJECT, dir.path, { recursive: true });
        await rm(path.join(dir.path, 'analyses'), { recursive: true });
        await writeFile(path.join(dir.path, 'seeds', 'estados.csv'), 'uf,nome,regiao\nSP,São Paulo,Sudeste\n');
        let { project } = await loadProject(dir.path);
        let run = await runProject(project, warehouse, { target, select: ['estados'], runTests: 'none' });
        expect(byName(run.results).estados).toMatchObject({ status: 'success', rowsAffected: 1 });
        expect(await warehouse.query('select count(*) as n from main_raw.estados')).toEqual([{ n: 1 }]);

        await writeFile(path.join(dir.path, 'seeds', 'estados.csv'), 'uf,nome\nSP,São Paulo\n');
        ({ project } = await loadProject(dir.path));
        run = await runProject(project, warehouse, { target, select: ['estados'], runTests: 'none' });
        expect(byName(run.results).estados).toMatchObject({ status: 'error', errorCode: 'SCHEMA_CHANGED' });
        expect(byName(run.results).estados?.message).toContain(
          "the CSV's columns (uf, nome) are not the table's (uf, nome, regiao); rebuild it with --full-refresh",
        );
        run = await runProject(project, warehouse, {
          target,
          select: ['estados'],
          runTests: 'none',
          fullRefresh: true,
        });
        expect(byName(run.results).estados).toMatchObject({
          status: 'success',
          message: '1 row loaded (full refresh)',
        });
        expect(await columnsOf(warehouse, 'main_raw', 'estados')).toEqual(['uf VARCHAR', 'nome VARCHAR']);
      } finally {
        await dir.remove();
      }
    });

    it('source freshness: warn and error by the rules, switched-off tables left out', async () => {
      const { project } = await loadProject(PROJECT);
      await runProject(project, warehouse, { target, select: ['vendas'], runTests: 'none' });
      const run = await checkSourceFreshness(project, warehouse, { target });
      expect(run.results.map((r) => [r.name, r.status])).toEqual([
        ['novadrive.vendas', 'warn'],
        ['novadrive.vendas_com_prazo', 'error'],
      ]);
      expect(run.status).toBe('error');
      expect(run.results[0]?.maxLoadedAt).toBe('2024-03-09T14:20:00.000Z');
      expect(run.results[0]?.message).toMatch(/^newest row [\d.]+ days old \(2024-03-09T14:20:00\.000Z\): over 1 day$/);
      const one = await checkSourceFreshness(project, warehouse, { target, select: ['source:novadrive.vendas'] });
      expect(one.status).toBe('warn');
    });
  });

  describe('on Snowflake (through the emulator)', () => {
    let snowflake: Awaited<ReturnType<typeof startEmulatedSnowflake>>;
    const target = { name: 'prod', type: 'snowflake', schema: 'MARTS', database: 'ANALYTICS' };
    beforeAll(async () => {
      snowflake = await startEmulatedSnowflake();
    }, 120_000);
    afterAll(async () => {
      await snowflake?.dispose();
    });

    it('loads the seeds with their types and builds everything on them', async () => {
      const warehouse = snowflake.warehouse;
      const { project } = await loadProject(PROJECT);
      const run = await runProject(project, warehouse, { target, threads: 2 });
      const r = byName(run.results);
      expect(
        run.results.filter((x) => x.status !== 'success' && x.status !== 'pass').map((x) => `${x.name}: ${x.message}`),
      ).toEqual([]);
      expect(r.tabela_precos).toMatchObject({ kind: 'seed', status: 'success', rowsAffected: 3 });
      // Names compared without case: the emulator's catalog keeps the case they were written in.
      expect(
        (await columnsOf(warehouse, 'MARTS_RAW', 'VENDAS')).map((c) => c.replace(/^\S+/, (n) => n.toUpperCase())),
      ).toEqual([
        'ID_VENDA NUMBER(10,0)',
        'ID_CLIENTE NUMBER(10,0)',
        'UF VARCHAR',
        'VALOR FLOAT',
        expect.stringMatching(/^DATA_VENDA TIMESTAMP_NTZ\(\d\)$/),
        'PAGO BOOLEAN',
      ]);
      expect(
        await warehouse.query('select codigo as "c", preco as "p" from marts_reference.tabela_precos order by codigo'),
      ).toEqual([
        { c: '007', p: '45990.00' },
        { c: '012', p: '52000.00' },
        { c: '101', p: '38500.50' },
      ]);
      expect(
        await warehouse.query('select uf as "uf", vendas as "n" from marts.vendas_por_estado order by uf'),
      ).toEqual([
        { uf: 'BA', n: 1 },
        { uf: 'MG', n: 1 },
        { uf: 'RJ', n: 1 },
        { uf: 'SP', n: 3 },
      ]);
    });
  });
});
