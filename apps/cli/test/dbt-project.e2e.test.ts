import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@sluice/snowflake-emulator';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sluice } from './sluice-process.js';

/*
 * An unmodified dbt project (the NovaDrive fixture: dbt_project.yml, profiles.yml, seeds, models, docs blocks,
 * freshness, a snapshot, tests, an analysis) run with the dbt verbs as a dbt user types them, through the built
 * binary — on DuckDB, on Snowflake through the emulator, and beside a sluice.yml that configures ingestion.
 */

const FIXTURE = fileURLToPath(new URL('../../../packages/models/src/__fixtures__/dbt-novadrive', import.meta.url));

/** The fixture copied into `dir`, minus its analyses when asked (they only add a warning). */
async function copyProject(dir: string): Promise<string> {
  await cp(FIXTURE, dir, { recursive: true });
  return dir;
}

const json = (text: string) =>
  JSON.parse(text) as Record<string, unknown> & { build: { counts: Record<string, number> } };

describe('sluice in a dbt project folder (no sluice.yml), on DuckDB', () => {
  let home: { path: string; remove(): Promise<void> };
  let project: string;
  // The profile's path comes from env_var(); nothing of the machine's ~/.dbt is read.
  const env = { NOVADRIVE_DBT_DUCKDB: 'warehouse/novadrive.duckdb', HOME: '/nonexistent' };

  beforeAll(async () => {
    home = await createTempDir('sluice-dbt-cli-');
    project = await copyProject(path.join(home.path, 'novadrive'));
  });
  afterAll(async () => {
    await home?.remove();
  });

  it('build runs seeds, models, snapshots and tests in DAG order; warnings name the unsupported feature, file and line', async () => {
    const run = await sluice(['build'], { cwd: project, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^sluice build · project novadrive_dbt \(\.\) · target dev \(duckdb\)$/m);
    expect(run.stdout).not.toMatch(/^Ingest$/m);
    expect(run.stdout).toMatch(/^ {2}✓ seed +tabela_precos +seed 3 rows/m);
    expect(run.stdout).toMatch(/^ {2}✓ model +vendas_por_estado +table/m);
    expect(run.stdout).toMatch(/^ {2}✓ snapshot +precos_snapshot +snapshot/m);
    expect(run.stdout).toMatch(
      /^seeds: 4 loaded, 0 failed, 0 skipped; models: 5 built, 0 failed, 0 skipped; tests: 12 passed, 0 warned, 0 failed — /m,
    );
    expect(run.stderr).toContain(
      'warning: analyses/ranking_estados.sql:1: analyses are not supported yet: the 1 file under analyses/ is not compiled.',
    );
    expect(run.stderr).toContain(
      'warning: models/marts/schema.yml:5: Jinja in a description is not rendered, except {{ doc() }}',
    );
    expect(existsSync(path.join(project, 'warehouse', 'novadrive.duckdb'))).toBe(true);
    expect(existsSync(path.join(project, 'target', 'manifest.json'))).toBe(true);
    // dbt's closing line; Sluice's own files under target/ (which a dbt project's .gitignore covers), not .sluice/.
    expect(run.stdout).toMatch(/^Done\. PASS=\d+ WARN=0 ERROR=0 SKIP=0 TOTAL=\d+$/m);
    expect(existsSync(path.join(project, '.sluice'))).toBe(false);
    expect(existsSync(path.join(project, 'target', 'sluice', 'state'))).toBe(true);
  });

  it('seed, run, test and snapshot do what dbt does, each its own kind of node', async () => {
    const seed = json((await sluice(['seed', '--json'], { cwd: project, env })).stdout);
    expect(seed).toMatchObject({ command: 'seed', status: 'success', ingest: null });
    expect(seed.build.counts).toMatchObject({ success: 4, pass: 0 });
    const run = json((await sluice(['run', '--json'], { cwd: project, env })).stdout);
    expect(run).toMatchObject({ command: 'run', status: 'success', ingest: null });
    expect(run.build.counts).toMatchObject({ success: 4, pass: 0 });
    const results = (run.build as unknown as { results: { kind: string }[] }).results;
    expect(new Set(results.map((r) => r.kind))).toEqual(new Set(['model']));
    const test = json((await sluice(['test', '--select', 'tag:reporting', '--json'], { cwd: project, env })).stdout);
    expect(test.build.counts).toMatchObject({ success: 0, pass: 5 });
    const snapshot = json((await sluice(['snapshot', '--json'], { cwd: project, env })).stdout);
    expect(snapshot.build.counts).toMatchObject({ success: 1 });
  });

  it('--vars, as dbt reads them: switch seeds on, override project vars; a var without a value names --vars', async () => {
    const seed = await sluice(['seed', '--select', 'vendas_2019', '--vars', '{carregar_legado: true}'], {
      cwd: project,
      env,
    });
    expect(seed.code).toBe(0);
    expect(seed.stdout).toMatch(/^ {2}✓ seed +vendas_2019 +seed 1 rows?/m);
    const compiled = await sluice(['compile', '--select', 'vendas_por_estado', '--vars', 'moeda: USD'], {
      cwd: project,
      env,
    });
    expect(compiled.code).toBe(0);
    expect(compiled.stdout).toContain("'USD' as moeda");
    const bad = await sluice(['run', '--vars', '[1, 2]'], { cwd: project, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--vars must be a mapping of names to values, e.g. --vars '{key: value}'");

    await writeFile(path.join(project, 'models', 'novo.sql'), "select {{ var('limite') }} as limite\n");
    try {
      const missing = await sluice(['compile', '--select', 'novo'], { cwd: project, env });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(
        "models/novo.sql:1: var('limite') has no value and no default: add it under vars: in dbt_project.yml, pass it with --vars '{limite: …}', or give a default var('limite', …).",
      );
      const given = await sluice(['compile', '--select', 'novo', '--vars', '{limite: 7}'], { cwd: project, env });
      expect(given.stdout).toContain('select 7 as limite');
    } finally {
      await rm(path.join(project, 'models', 'novo.sql'));
    }
  });

  it('ls, compile and docs generate read the project; doc() in descriptions is rendered into the manifest', async () => {
    const ls = JSON.parse((await sluice(['ls', '--resource-type', 'seed', '--json'], { cwd: project, env })).stdout);
    expect(ls.nodes.map((n: { name: string }) => n.name).sort()).toEqual([
      'estados',
      'paises',
      'tabela_precos',
      'vendas',
    ]);
    const compile = await sluice(['compile', '--select', 'stg_estados'], { cwd: project, env });
    expect(compile.stdout).toContain('from "main_raw"."estados"');
    const docs = JSON.parse((await sluice(['docs', 'generate', '--json'], { cwd: project, env })).stdout);
    expect(docs.nodes).toMatchObject({ seeds: 4, models: 4, snapshots: 1, sources: 3 });
    const manifest = JSON.parse(await readFile(path.join(project, 'target', 'manifest.json'), 'utf8'));
    expect(manifest.nodes['model.novadrive_dbt.stg_vendas'].description).toMatch(/^One row per vehicle sale/);
    expect(manifest.nodes['seed.novadrive_dbt.paises'].description).toMatch(/^Countries NovaDrive ships to/);
  });

  it("ls --output selector|name|path|json (with --output-keys) prints dbt's lines, sorted by unique id", async () => {
    const ls = (...args: string[]) => sluice(['ls', ...args], { cwd: project, env });
    const selector = await ls('--select', 'source:novadrive', 'stg_estados', '--output', 'selector');
    expect(selector.code).toBe(0);
    expect(selector.stdout).toBe(
      [
        'novadrive_dbt.staging.stg_estados',
        'source:novadrive_dbt.novadrive.estados',
        'source:novadrive_dbt.novadrive.vendas',
        'source:novadrive_dbt.novadrive.vendas_com_prazo',
        // Selecting a model selects its tests (dbt's eager indirect selection); a test's selector is its fqn.
        'novadrive_dbt.staging.not_null_stg_estados_uf',
        'novadrive_dbt.staging.unique_stg_estados_uf',
        '',
      ].join('\n'),
    );
    const names = await ls(
      ...['--select', 'source:novadrive.vendas', 'stg_estados', '--resource-type', 'model,source', '--output', 'name'],
    );
    expect(names.stdout).toBe('stg_estados\nnovadrive.vendas\n');
    const paths = await ls('--select', 'stg_estados', '--output', 'path');
    // A generic test's path is the property file it is written in, as in dbt.
    expect(paths.stdout).toBe('models/staging/stg_estados.sql\nmodels/staging/schema.yml\nmodels/staging/schema.yml\n');
    const full = await ls('--select', 'stg_estados', '--resource-type', 'model', '--output', 'json');
    const entry = JSON.parse(full.stdout.trim());
    expect(Object.keys(entry).sort()).toEqual([
      'alias',
      'config',
      'depends_on',
      'name',
      'original_file_path',
      'package_name',
      'resource_type',
      'tags',
      'unique_id',
    ]);
    expect(entry).toMatchObject({
      name: 'stg_estados',
      resource_type: 'model',
      unique_id: 'model.novadrive_dbt.stg_estados',
    });
    const keys = await ls('--resource-type', 'seed', '--output', 'json', '--output-keys', 'name resource_type');
    expect(
      keys.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(['estados', 'paises', 'tabela_precos', 'vendas'].map((name) => ({ name, resource_type: 'seed' })));
    const bad = await ls('--output', 'yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--output yaml: expected one of json, name, path, selector');
  });

  it('source freshness checks the freshness: rules in the warehouse and writes target/sources.json', async () => {
    const one = await sluice(['source', 'freshness', '--select', 'source:novadrive.vendas'], { cwd: project, env });
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(
      /^ {2}! novadrive\.vendas +warn +newest row [\d.]+ days old \(2024-03-09T14:20:00\.000Z\): over 1 day$/m,
    );
    const all = await sluice(['source', 'freshness', '--json'], { cwd: project, env });
    expect(all.code).toBe(1);
    const result = JSON.parse(all.stdout);
    expect(result.results.map((r: { name: string; status: string }) => `${r.name} ${r.status}`)).toEqual([
      'novadrive.vendas warn',
      'novadrive.vendas_com_prazo error',
    ]);
    const sources = JSON.parse(await readFile(path.join(project, 'target', 'sources.json'), 'utf8'));
    expect(sources.results[1]).toMatchObject({
      unique_id: 'source.novadrive_dbt.novadrive.vendas_com_prazo',
      status: 'error',
      max_loaded_at: '2024-03-09T14:20:00.000Z',
      // The table's rule over its source's, key by key: the source's warn_after stays.
      criteria: { error_after: { count: 1, period: 'day' }, warn_after: { count: 1, period: 'day' } },
    });
  });

  it('-t picks another output of the profile; --profiles-dir and DBT_PROFILES_DIR another profiles.yml', async () => {
    const ci = json(
      (await sluice(['seed', '-t', 'ci', '--select', 'estados', '--json'], { cwd: project, env })).stdout,
    );
    expect(ci).toMatchObject({ target: 'ci', status: 'success' });
    expect(existsSync(path.join(project, 'ci.duckdb'))).toBe(true);
    const compiled = await sluice(['compile', '--target', 'ci', '--select', 'stg_estados'], { cwd: project, env });
    expect(compiled.stdout).toContain('from "ci_raw"."estados"');

    const elsewhere = path.join(home.path, 'profiles-elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(
      path.join(elsewhere, 'profiles.yml'),
      'novadrive:\n  target: other\n  outputs:\n    other:\n      type: duckdb\n      path: other.duckdb\n      schema: other\n',
    );
    const flag = await sluice(['compile', '--profiles-dir', elsewhere, '--select', 'stg_estados'], {
      cwd: project,
      env,
    });
    expect(flag.stdout).toContain('from "other_raw"."estados"');
    const fromEnv = await sluice(['compile', '--select', 'stg_estados'], {
      cwd: project,
      env: { ...env, DBT_PROFILES_DIR: elsewhere },
    });
    expect(fromEnv.stdout).toContain('from "other_raw"."estados"');
    const missing = await sluice(['ls', '--profiles-dir', path.join(home.path, 'nowhere')], { cwd: project, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /no profiles\.yml with the profile "novadrive" \(looked in .*nowhere \(--profiles-dir\)\)/,
    );
    const unknown = await sluice(['ls', '-t', 'prd'], { cwd: project, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no target "prd" (from --target); the profile novadrive has dev, ci');
  });

  it('--project-dir runs the project from another folder; a folder with neither file says so (exit 2)', async () => {
    const run = await sluice(['ls', '--project-dir', project, '--resource-type', 'model', '--json'], {
      cwd: home.path,
      env,
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).count).toBe(4);
    const none = await sluice(['build'], { cwd: home.path, env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no sluice.yml or dbt_project.yml in');
  });

  it('ingest refuses: the project configures no ingestion; doctor passes without a source', async () => {
    const run = await sluice(['ingest'], { cwd: project, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nothing to ingest: dbt_project.yml lists no tables:');
    const doctor = await sluice(['doctor'], { cwd: project, env });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(
      /✓ config +dbt_project\.yml is valid: no ingestion \(no tables:\), targets dev, ci \(profile novadrive in profiles\.yml\)/,
    );
    expect(doctor.stdout).toMatch(
      /✓ models +4 models, 4 seeds, 1 snapshots, 12 tests and 3 sources load without errors/,
    );
    expect(doctor.stdout).toMatch(/✓ source +no ingestion configured/);
  });
});

describe('a dbt project beside a sluice.yml that configures ingestion (the verb rule)', () => {
  let db: TestDatabase;
  let home: { path: string; remove(): Promise<void> };
  let project: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('dbtcli');
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 100, seed: 5 });
    });
    home = await createTempDir('sluice-dbt-ingest-');
    project = await copyProject(path.join(home.path, 'novadrive'));
    await rm(path.join(project, 'analyses'), { recursive: true });
    // Ingestion settings stay in sluice.yml; the dbt project's settings come from dbt_project.yml.
    await writeFile(
      path.join(project, 'sluice.yml'),
      'source:\n  url: ${env:NOVADRIVE_URL}\nraw_schema: landing\ntables:\n  estados: { strategy: full }\n',
    );
    await writeFile(
      path.join(project, 'models', 'staging', 'ingested.yml'),
      'version: 2\nsources:\n  - name: landing\n    schema: "{{ var(\'raw_schema\') }}"\n    tables:\n      - name: estados\n',
    );
    await writeFile(
      path.join(project, 'models', 'staging', 'stg_estados_origem.sql'),
      "select * from {{ source('landing', 'estados') }}\n",
    );
    env = { NOVADRIVE_URL: db.url, NOVADRIVE_DBT_DUCKDB: 'novadrive.duckdb', HOME: '/nonexistent' };
  });
  afterAll(async () => {
    await home?.remove();
    await db?.drop();
  });

  it('build ingests the tables first, then runs dbt’s build; --no-ingest and test never open the source', async () => {
    const build = await sluice(['build'], { cwd: project, env });
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/^sluice build · project novadrive_dbt \(\.\) · target dev \(duckdb\) · 1 table$/m);
    expect(build.stdout).toMatch(/^Ingest$/m);
    expect(build.stdout).toMatch(/^ {2}✓ estados +full +\+27/m);
    expect(build.stdout).toMatch(/^Models and tests$/m);
    expect(build.stdout).toMatch(/^ {2}✓ model +stg_estados_origem +view/m);
    expect(build.stdout).toMatch(/^tables: 1 loaded/m);

    const offline = { ...env, NOVADRIVE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const run = json((await sluice(['run', '--no-ingest', '--json'], { cwd: project, env: offline })).stdout);
    expect(run).toMatchObject({ command: 'run', status: 'success', ingest: null });
    const test = json((await sluice(['test', '--json'], { cwd: project, env: offline })).stdout);
    expect(test).toMatchObject({ command: 'test', status: 'success', ingest: null });
    const seed = await sluice(['seed', '--table', 'estados'], { cwd: project, env: offline });
    expect(seed.code).toBe(2);
  });

  it('a setting written differently in both files is an error naming both files and keys (exit 2)', async () => {
    const sluiceYml = await readFile(path.join(project, 'sluice.yml'), 'utf8');
    await writeFile(path.join(project, 'sluice.yml'), `${sluiceYml}model-paths: [transform]\n`);
    try {
      const run = await sluice(['build', '--no-ingest'], { cwd: project, env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        'sluice.yml:6: "model-paths" is ["models"] in dbt_project.yml:7 but ["transform"] in sluice.yml:6',
      );
    } finally {
      await writeFile(path.join(project, 'sluice.yml'), sluiceYml);
    }
  });
});

describe('a dbt project with a dbt-snowflake profile, through the Snowflake emulator', () => {
  let emulator: SnowflakeEmulator;
  let home: { path: string; remove(): Promise<void> };
  let project: string;
  const password = 'correct horse battery staple';

  beforeAll(async () => {
    home = await createTempDir('sluice-dbt-snowflake-');
    emulator = await startSnowflakeEmulator({
      dataDir: path.join(home.path, 'emulator'),
      port: 0,
      users: [{ name: 'dbt_user', password }],
      databases: ['ANALYTICS'],
    });
    project = await copyProject(path.join(home.path, 'novadrive'));
    const url = new URL(emulator.url);
    await writeFile(
      path.join(project, 'profiles.yml'),
      `novadrive:
  target: prod
  outputs:
    prod:
      type: snowflake
      account: emulator
      user: dbt_user
      password: "{{ env_var('DBT_SNOWFLAKE_PASSWORD') }}"
      database: ANALYTICS
      warehouse: TRANSFORMING
      schema: MARTS
      threads: 2
      host: ${url.hostname}
      port: ${url.port}
      protocol: http
`,
    );
  }, 120_000);
  afterAll(async () => {
    await emulator?.stop();
    await home?.remove();
  });

  it('seed and build run on Snowflake with the profile’s credentials from env_var()', async () => {
    // snowflake-sdk probes cloud metadata endpoints and sends telemetry when it loads: not in tests.
    const quiet = { SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true', SF_TELEMETRY_DISABLE_CONNECTION_SHAPE: 'true' };
    const env = { ...quiet, DBT_SNOWFLAKE_PASSWORD: password, HOME: '/nonexistent' };
    const seed = await sluice(['seed', '--json'], { cwd: project, env });
    expect(seed.code).toBe(0);
    expect(json(seed.stdout)).toMatchObject({ target: 'prod', status: 'success' });
    const build = await sluice(['build', '--json'], { cwd: project, env });
    const result = json(build.stdout);
    expect(result.status).toBe('success');
    expect(result.build.counts).toMatchObject({ success: 9, pass: 12, error: 0, fail: 0 });
    expect(build.stdout).not.toContain(password);
    const wrong = await sluice(['seed'], { cwd: project, env: { ...env, DBT_SNOWFLAKE_PASSWORD: 'not-the-password' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).not.toContain('not-the-password');
  });
});
