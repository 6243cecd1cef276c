import { cp, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { builtRelations } from '@sluice/models';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Relation, Row, Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { changeNovaDrive } from './__tests__/source-changes.js';
import { loadModels, modelTarget } from './build-models.js';
import { runIngest } from './ingest.js';
import { loadProjectConfig, type LoadedProject } from './project-config.js';
import { runPipeline, type PipelineRunResult } from './run-pipeline.js';

// SLUICE_CHANGE_AWARE_ROUNDS=60 for a long run; every test run does the short form.
const ROUNDS = Number(process.env.SLUICE_CHANGE_AWARE_ROUNDS ?? 5);
const SQL_MODELS = fileURLToPath(new URL('../../../sql-models/', import.meta.url));

/** mulberry32: a failing sequence replays from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two targets in one DuckDB file: `aware` built change-aware, `full` its twin built whole every round. */
const TARGETS = `targets:
  aware:
    type: duckdb
    path: \${env:SLUICE_HOME}/warehouse.duckdb
    schema: aware
  full:
    type: duckdb
    path: \${env:SLUICE_HOME}/warehouse.duckdb
    schema: full
target: aware
`;

async function writeProject(dir: string, sourceUrl: string, generated: boolean): Promise<LoadedProject> {
  if (generated) {
    const ingest = await readFile(fileURLToPath(new URL('./__tests__/novadrive-ingest.yml', import.meta.url)), 'utf8');
    const body = ingest.replace(/targets:[\s\S]*?target: dev\n/, TARGETS);
    await mkdir(path.join(dir, 'models'), { recursive: true });
    await writeFile(path.join(dir, 'sluice.yml'), `name: generated\n${body}`);
  } else {
    await cp(SQL_MODELS, dir, {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}target`) && !source.includes(`${path.sep}.sluice`),
    });
    const yml = await readFile(path.join(dir, 'sluice.yml'), 'utf8');
    await writeFile(path.join(dir, 'sluice.yml'), yml.replace(/targets:[\s\S]*?\ntarget: dev\n/, TARGETS));
  }
  return loadProjectConfig(dir, { SLUICE_SOURCE_URL: sourceUrl, SLUICE_HOME: path.join(dir, '.sluice') });
}

const SOURCES = [
  { table: 'vendas', key: 'id_vendas', value: 'cast(valor_pago * 100 as bigint)' },
  { table: 'clientes', key: 'id_clientes', value: 'id_concessionarias' },
  { table: 'veiculos', key: 'id_veiculos', value: 'cast(valor * 100 as bigint)' },
  { table: 'vendedores', key: 'id_vendedores', value: 'id_concessionarias' },
];
const MATERIALIZATIONS = ['view', 'table', 'table', 'ephemeral', 'incremental'] as const;

/** A generated model: (k, v) rows from a source or from one or two earlier models. */
function generatedModel(index: number, next: () => number, edit = 0): string {
  const materialized = MATERIALIZATIONS[Math.floor(next() * MATERIALIZATIONS.length)] ?? 'table';
  const config = `{{ config(materialized='${materialized}'${materialized === 'incremental' ? ", unique_key='k'" : ''}) }}\n`;
  const modulus = 3 + Math.floor(next() * 7) + edit;
  if (index < 3 || next() < 0.3) {
    const source = SOURCES[Math.floor(next() * SOURCES.length)] ?? SOURCES[0];
    if (source === undefined) throw new Error('no source');
    return `${config}select ${source.key} % ${modulus} as k, sum(${source.value}) as v from {{ source('novadrive', '${source.table}') }} group by 1`;
  }
  const a = `g${Math.floor(next() * index)}`;
  if (next() < 0.4) {
    const b = `g${Math.floor(next() * index)}`;
    return `${config}select k % ${modulus} as k, sum(v) as v from (select k, v from {{ ref('${a}') }} union all select k, v from {{ ref('${b}') }}) u group by 1`;
  }
  return `${config}select k % ${modulus} as k, sum(v) + ${edit} as v from {{ ref('${a}') }} group by 1`;
}

async function writeGeneratedModels(dir: string, seed: number, count: number): Promise<void> {
  const next = random(seed);
  await writeFile(
    path.join(dir, 'models', 'sources.yml'),
    `version: 2\nsources:\n  - name: novadrive\n    schema: raw\n    tables:\n${SOURCES.map((s) => `      - name: ${s.table}\n`).join('')}`,
  );
  const tests: string[] = [];
  for (let i = 0; i < count; i++) {
    const sql = generatedModel(i, next);
    await writeFile(path.join(dir, 'models', `g${i}.sql`), sql);
    if (!sql.includes("'ephemeral'"))
      tests.push(`  - name: g${i}\n    columns:\n      - name: k\n        data_tests: [not_null, unique]\n`);
  }
  await writeFile(path.join(dir, 'models', 'schema.yml'), `version: 2\nmodels:\n${tests.join('')}`);
}

/** Every model relation's rows in a target, normalised (numbers to 9 significant digits) and sorted. */
async function contents(
  warehouse: Warehouse,
  project: LoadedProject,
  targetName: string,
): Promise<Map<string, string[] | 'missing'>> {
  const target = {
    name: targetName,
    config: project.config.targets[targetName] as LoadedProject['config']['targets'][string],
  };
  const models = await loadModels(project, {}, {}, modelTarget(target));
  const relations = builtRelations(models, modelTarget(target), warehouse.dialect);
  const out = new Map<string, string[] | 'missing'>();
  for (const [id, relation] of relations) {
    const node = models.nodes.get(id);
    if (node?.kind !== 'model') continue;
    out.set(id, await rowsOf(warehouse, relation));
  }
  return out;
}

async function rowsOf(warehouse: Warehouse, relation: Relation): Promise<string[] | 'missing'> {
  if ((await warehouse.describeRelation(relation)) === undefined) return 'missing';
  const rows = await warehouse.query(`select * from ${warehouse.dialect.qualify(relation)}`);
  const norm = (row: Row): string =>
    JSON.stringify(
      Object.entries(row)
        .filter(([name]) => name !== '_sluice_synced_at')
        .map(([name, value]) => [name, typeof value === 'number' ? Number(value.toPrecision(9)) : value]),
    );
  return rows.map(norm).sort();
}

function differences(a: Map<string, string[] | 'missing'>, b: Map<string, string[] | 'missing'>): string[] {
  const out: string[] = [];
  for (const [id, rows] of a) {
    const other = b.get(id);
    if (JSON.stringify(rows) !== JSON.stringify(other))
      out.push(
        `${id}: aware ${rows === 'missing' ? 'missing' : rows.length} rows, full ${other === 'missing' ? 'missing' : other?.length} rows`,
      );
  }
  return out;
}

describe.each([
  { project: 'NovaDrive', generated: false },
  { project: 'a generated project', generated: true },
])('change-aware build on $project: equal to a twin built whole, after every round', ({ generated }) => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let project: LoadedProject;
  let warehouse: Warehouse;
  let state: StateStore;

  beforeAll(async () => {
    db = await createTestDatabase(`change_aware_${generated ? 'gen' : 'nova'}`);
    dir = await createTempDir();
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 300, seed: 5 });
    });
    project = await writeProject(dir.path, db.url, generated);
    if (generated) await writeGeneratedModels(dir.path, 17, 14);
    await mkdir(path.join(dir.path, '.sluice'), { recursive: true });
    warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, '.sluice', 'warehouse.duckdb') });
    state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
  });
  afterAll(async () => {
    await warehouse?.close();
    await state?.close();
    await db?.drop();
    await dir?.remove();
  });

  const run = (targetName: 'aware' | 'full', options: { signal?: AbortSignal; onNode?: () => void } = {}) =>
    runPipeline({
      project,
      warehouse,
      state,
      workDir: path.join(dir.path, 'work'),
      trigger: 'test',
      target: {
        name: targetName,
        config: project.config.targets[targetName] as LoadedProject['config']['targets'][string],
      },
      // The twin does not ingest: the aware run loaded the raw tables both read.
      steps: targetName === 'aware' ? ['ingest', 'build'] : ['build'],
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onNode
        ? { onEvent: (e) => e.type === 'build' && e.event.type === 'node-finish' && options.onNode?.() }
        : {}),
    });
  const counts = (result: PipelineRunResult) => {
    const results = result.build?.run.results ?? [];
    return {
      built: results.filter((r) => r.kind !== 'test' && r.reused === undefined).length,
      reused: results.filter((r) => r.kind !== 'test' && r.reused !== undefined).length,
      testsRun: results.filter((r) => r.kind === 'test' && r.reused === undefined).length,
    };
  };

  it(`${ROUNDS} rounds of source changes, model edits and failures`, async () => {
    const next = random(generated ? 99 : 7);
    const first = await run('aware');
    await run('full');
    expect(first.status, JSON.stringify(first.error)).toBe('success');
    expect(
      differences(await contents(warehouse, project, 'aware'), await contents(warehouse, project, 'full')),
    ).toEqual([]);
    // Nothing changed: nothing is built, no test runs.
    const idle = await run('aware');
    expect(idle.status).toBe('success');
    expect(
      counts(idle),
      JSON.stringify(
        idle.build?.run.results
          .filter((r) => r.reused === undefined)
          .map((r) => [r.name, r.message])
          .slice(0, 8),
      ) + JSON.stringify(idle.ingest?.tables.map((t) => [t.table, t.inserted, t.updated, t.deleted, t.status])),
    ).toMatchObject({ built: 0, testsRun: 0 });
    expect(idle.build?.run.results.every((r) => r.reused !== undefined)).toBe(true);

    const modelFiles = generated
      ? Array.from({ length: 14 }, (_, i) => path.join('models', `g${i}.sql`))
      : [
          'models/analysis/vendas_por_mes.sql',
          'models/dimensions/dim_clientes.sql',
          'models/analysis/vendas_por_vendedor.sql',
        ];
    let broken: { file: string; text: string } | undefined;
    const seen = { reusedSome: false, builtSome: false, interrupted: 0, failed: 0 };
    for (let round = 1; round <= ROUNDS; round++) {
      if (broken) {
        await writeFile(path.join(dir.path, broken.file), broken.text);
        broken = undefined;
      }
      if (next() < 0.7) await db.withClient((client) => changeNovaDrive(client as pg.Client, round));
      const file = modelFiles[Math.floor(next() * modelFiles.length)] as string;
      const text = await readFile(path.join(dir.path, file), 'utf8');
      const roll = next();
      if (roll < 0.25) {
        // An edit: a comment (fingerprint changes, contents do not) or a changed constant.
        await writeFile(path.join(dir.path, file), `${text}\n-- edited in round ${round}\n`);
      } else if (roll < 0.45) {
        broken = { file, text };
        await writeFile(path.join(dir.path, file), `${text}\n-- broken\nwhere no_such_column_${round} = 1`);
        seen.failed++;
      }
      const interrupt = roll > 0.85;
      const controller = new AbortController();
      const aware = await run(
        'aware',
        interrupt
          ? { signal: controller.signal, onNode: () => controller.abort(new Error('interrupted by the test')) }
          : {},
      );
      if (interrupt) {
        seen.interrupted++;
        // The build did not finish: the twin is not compared this round; the next round must catch up.
        continue;
      }
      await run('full');
      const c = counts(aware);
      if (c.reused > 0) seen.reusedSome = true;
      if (c.built > 0) seen.builtSome = true;
      expect(
        differences(await contents(warehouse, project, 'aware'), await contents(warehouse, project, 'full')),
        `round ${round}`,
      ).toEqual([]);
    }
    if (broken) await writeFile(path.join(dir.path, broken.file), broken.text);
    const last = await run('aware');
    const twin = await run('full');
    expect(
      differences(await contents(warehouse, project, 'aware'), await contents(warehouse, project, 'full')),
    ).toEqual([]);
    // Every node ends as its twin does: a reused test's last result is the result a run would give.
    const statuses = (result: PipelineRunResult) =>
      Object.fromEntries((result.build?.run.results ?? []).map((r) => [r.name, r.status]));
    expect(statuses(last)).toEqual(statuses(twin));
    expect(last.status).toBe(twin.status);
    expect(seen.builtSome || ROUNDS < 3).toBe(true);
  }, 600_000);

  it('a run killed between a load commit and its change counter: the next run still rebuilds what reads the table', async () => {
    await run('aware');
    // A change no data test minds: one customer moves (later than every change the rounds above made).
    await db.withClient((client) =>
      client.query(
        `UPDATE clientes SET endereco = endereco || ' (moved)', data_atualizacao = timestamp '2032-01-01'
          WHERE id_clientes = (SELECT min(id_clientes) FROM clientes)`,
      ),
    );
    // What such a run leaves: the rows and positions committed (runIngest commits them), the counters not bumped.
    const killed = await runIngest({ project, warehouse, state, workDir: path.join(dir.path, 'work') });
    expect(killed.tables.find((t) => t.table === 'clientes')?.updated).toBe(1);
    const next = await run('aware');
    const twin = await run('full');
    expect(next.status).toBe(twin.status);
    expect(
      differences(await contents(warehouse, project, 'aware'), await contents(warehouse, project, 'full')),
    ).toEqual([]);
  }, 300_000);
});
