import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaDriveSchema, generateNovaDrive, simulateDay } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { sluice, startSluice } from './sluice-process.js';

const SEED = 7;

describe('sluice init → build → change data → build → status (the built binary, real Postgres and DuckDB)', () => {
  let db: TestDatabase;
  let home: { path: string; remove(): Promise<void> };
  let project: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('cli');
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 300, seed: SEED });
    });
    home = await createTempDir('sluice-cli-');
    project = path.join(home.path, 'shop');
    env = { SHOP_URL: db.url };
  });
  afterAll(async () => {
    await home?.remove();
    await db?.drop();
  });

  it('init proposes a strategy per table and writes sluice.yml (URL as ${env:…}, no password) and the staging models', async () => {
    const run = await sluice(['init', '--project', project, '--url-env', 'SHOP_URL', '--small-rows', '50'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}vendas +upsert +\(coalesce\(data_atualizacao, data_inclusao\), id_vendas\)/m);
    expect(run.stdout).toMatch(/^ {2}estados +full +- +27 rows/m);
    expect(run.stdout).toContain('sluice run');
    const config = await readFile(path.join(project, 'sluice.yml'), 'utf8');
    expect(config).toContain('url: "${env:SHOP_URL}"');
    expect(config).not.toContain(new URL(db.url).password);
    expect(config).toMatch(
      / {2}vendas:\n {4}strategy: upsert\n {4}cursor: \[\{ coalesce: \[data_atualizacao, data_inclusao\] \}, id_vendas\]/,
    );
    const model = await readFile(path.join(project, 'models', 'stage', 'stg_vendas.sql'), 'utf8');
    expect(model).toContain("from {{ source('");
    expect(existsSync(path.join(project, 'models', 'stage', 'sources.yml'))).toBe(true);
  });

  it('init refuses to overwrite an existing sluice.yml', async () => {
    const before = await readFile(path.join(project, 'sluice.yml'), 'utf8');
    const run = await sluice(['init', '--project', project, '--url-env', 'SHOP_URL'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/sluice\.yml exists already: sluice init never overwrites it/);
    expect(await readFile(path.join(project, 'sluice.yml'), 'utf8')).toBe(before);
  });

  it('doctor passes every check on the new project', async () => {
    const run = await sluice(['doctor'], { cwd: project, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ source +connected to 127\.0\.0\.1:\d+\/\w+ as \w+/);
    expect(run.stdout).toMatch(
      /✓ table +public\.vendas: upsert by \(coalesce\(data_atualizacao, data_inclusao\), id_vendas\); key id_vendas/,
    );
    expect(run.stdout).toMatch(/✓ warehouse .* does not exist yet; the first run creates it/);
    expect(run.stdout).toMatch(/all \d+ checks passed/);
    expect(existsSync(path.join(project, '.sluice'))).toBe(false);
  });

  // The verb rule: with tables configured, `build` ingests them first, then runs dbt's build (models and tests).
  it('the first build loads every table, builds the models and runs the tests; --json prints one object on stdout', async () => {
    const run = await sluice(['build', '--json'], { cwd: project, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ command: 'build', status: 'success', exitCode: 0, target: 'dev', error: null });
    expect(result.ingest.tables).toHaveLength(7);
    for (const table of result.ingest.tables) expect(table.status, table.table).toBe('success');
    expect(result.build.counts).toMatchObject({ success: 7, pass: 14, fail: 0, error: 0 });
    expect(existsSync(path.join(project, '.sluice', 'warehouse.duckdb'))).toBe(true);
    expect(existsSync(path.join(project, 'target', 'docs', 'index.html'))).toBe(true);
  });

  it('after a simulated day the next build loads only the changes, as plain lines when not on a terminal', async () => {
    await db.withClient((client) => simulateDay(client, { seed: SEED, day: 1 }));
    const run = await sluice(['build'], { cwd: project, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/\u001b/); // no colours nor redraws in a pipe
    expect(run.stdout).toMatch(/^Ingest$/m);
    expect(run.stdout).toMatch(/^ {2}✓ vendas +upsert +\+\d+/m);
    expect(run.stdout).toMatch(/^ {2}· estados +full +unchanged/m);
    expect(run.stdout).toMatch(/^Models and tests$/m);
    // Change-aware (issue 17): a view over changed tables is kept (its contents follow them), the tests on the
    // changed tables run again, the other tests' last results stand.
    expect(run.stdout).toMatch(/^ {2}= model +stg_vendas +reused/m);
    expect(run.stdout).toMatch(/^ {6}reused: a view: its inputs changed, its definition did not$/m);
    const tests = /tests: (\d+) passed, 0 warned, 0 failed, (\d+) reused/.exec(run.stdout);
    expect(tests, run.stdout).not.toBeNull();
    expect(Number(tests?.[1]) + Number(tests?.[2])).toBe(14);
    expect(Number(tests?.[1])).toBeGreaterThanOrEqual(4); // vendas' and clientes' unique and not_null at least
    expect(run.stdout).toMatch(/^run [0-9a-f]{8} success in /m);
  });

  it('status shows both runs, each table’s freshness and the tests', async () => {
    const run = await sluice(['status'], { cwd: project, env });
    expect(run.code).toBe(0);
    expect(run.stdout.match(/^ {2}[0-9a-f]{8} +cli +success /gm)).toHaveLength(2);
    expect(run.stdout).toMatch(/^ {2}public\.vendas +upsert +[\d.]+ (s|min) ago +success/m);
    expect(run.stdout).toMatch(/^ {2}public\.estados +full +[\d.]+ (s|min) ago +unchanged/m);
    expect(run.stdout).toMatch(/Tests: all 14 passed/);
    const json = JSON.parse((await sluice(['status', '--json'], { cwd: project, env })).stdout);
    expect(json.runs).toHaveLength(2);
    expect(
      json.tables.find((t: { table: string }) => t.table === 'public.vendas').watermark.position.cursor,
    ).toHaveLength(2);
  });

  it('ls, compile and docs generate read the project without running anything', async () => {
    const ls = await sluice(['ls', '--select', '+stg_vendas'], { cwd: project });
    expect(ls.code).toBe(0);
    expect(
      ls.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/ +/).slice(0, 2).join(' ')),
    ).toEqual([
      'source vendas',
      'model stg_vendas',
      expect.stringMatching(/^test source_(unique|not_null)_/),
      expect.stringMatching(/^test source_(unique|not_null)_/),
    ]);
    const models = JSON.parse((await sluice(['ls', '--resource-type', 'model', '--json'], { cwd: project })).stdout);
    expect(models.count).toBe(7);

    const compile = await sluice(['compile', '--select', 'stg_vendas'], { cwd: project });
    expect(compile.code).toBe(0);
    expect(compile.stdout).toContain('from "raw"."vendas"');

    const docs = await sluice(['docs', 'generate', '--json'], { cwd: project });
    expect(docs.code).toBe(0);
    const generated = JSON.parse(docs.stdout);
    expect(generated).toMatchObject({
      command: 'docs generate',
      nodes: { models: 7, tests: 14, sources: 7 },
      catalog: true,
      // The page keeps the marks of the last build (target/run_results.json), and says when they were produced.
      results: { source: 'target/run_results.json', producedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    const page = await readFile(generated.lineagePage, 'utf8');
    expect(page).toContain('stg_vendas');
    expect(page).toMatch(/results from target\/run_results\.json, produced \d{4}-/);
    expect(page.match(/"mark":"pass"/g)).toHaveLength(14);
    expect(page).not.toContain('"mark":"not-run"');
  });

  it('docs serve serves the lineage page on 127.0.0.1 and stops on Ctrl-C', async () => {
    const child = startSluice(['docs', 'serve', '--port', '0'], { cwd: project });
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
        if (found) resolve(found[0]);
      });
      child.on('exit', () => reject(new Error(`docs serve exited: ${text}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('stg_vendas');
    expect((await fetch(new URL('../../etc/passwd', url))).status).toBe(404);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('a failing data test makes sluice test exit 1, and status names it', async () => {
    await mkdir(path.join(project, 'tests'), { recursive: true });
    await writeFile(
      path.join(project, 'tests', 'no_sale_above_100k.sql'),
      "select * from {{ ref('stg_vendas') }} where valor_pago > 100000\n",
    );
    const test = await sluice(['test', '--select', 'test_type:singular'], { cwd: project, env });
    expect(test.code).toBe(1);
    expect(test.stdout).toMatch(/^ {2}✗ test +no_sale_above_100k +fail \(\d+ failing rows?\)/m);
    expect(test.stdout).toMatch(/^FAIL test no_sale_above_100k/m);
    const status = await sluice(['status'], { cwd: project, env });
    expect(status.stdout).toMatch(/Failing tests \(run [0-9a-f]{8}/);
    expect(status.stdout).toMatch(/^ {2}FAIL no_sale_above_100k: /m);

    // The deprecated alias still works (it is sluice run --no-ingest) and says it is deprecated.
    const models = await sluice(['models', 'run', '--select', 'stg_vendas', '--json'], { cwd: project, env });
    expect(models.code).toBe(0);
    expect(models.stderr).toMatch(/warning: sluice models run is deprecated: it is sluice run --no-ingest/);
    expect(JSON.parse(models.stdout)).toMatchObject({ command: 'models run', ingest: null });
    expect(JSON.parse(models.stdout).build.counts.success).toBe(1);

    const bad = await sluice(['build', '--select', 'nosuchmethod:x'], { cwd: project, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid selector/);
  });

  it('run is dbt run after the ingest: models only, no tests; --no-ingest and test never touch the source', async () => {
    await db.withClient((client) => simulateDay(client, { seed: SEED, day: 2 }));
    const run = await sluice(['run'], { cwd: project, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Ingest$/m);
    expect(run.stdout).toMatch(/^ {2}✓ vendas +upsert +\+\d+/m);
    expect(run.stdout).toMatch(/^Models$/m);
    expect(run.stdout).toMatch(/^ {2}= model +stg_vendas +reused/m);
    expect(run.stdout).not.toMatch(/^ {2}. test /m);
    expect(run.stdout).toMatch(/^models: 0 built, 0 failed, 0 skipped, 7 reused — /m);
    // --all builds everything, as dbt's run does.
    const all = await sluice(['run', '--all'], { cwd: project, env });
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^ {2}✓ model +stg_vendas +view/m);
    expect(all.stdout).not.toMatch(/^ {2}. test /m);
    expect(all.stdout).toMatch(/^models: 7 built, 0 failed, 0 skipped — /m);
    // Without the source's URL, the verbs that do not ingest still work: they never open the source.
    const offline = { SHOP_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const noIngest = await sluice(['run', '--no-ingest', '--json'], { cwd: project, env: offline });
    expect(noIngest.code).toBe(0);
    expect(JSON.parse(noIngest.stdout)).toMatchObject({
      command: 'run',
      ingest: null,
      build: { counts: { success: 7 } },
    });
    const test = await sluice(['test', '--exclude', 'test_type:singular', '--json'], { cwd: project, env: offline });
    expect(test.code).toBe(0);
    expect(JSON.parse(test.stdout)).toMatchObject({ command: 'test', ingest: null, build: { counts: { pass: 14 } } });
  });

  it('init without --url-env never writes the password: PGPASSWORD supplies it', async () => {
    const other = path.join(home.path, 'plain');
    const init = await sluice(['init', '--project', other, '--from', db.url, '--json']);
    expect(init.code).toBe(0);
    expect(JSON.parse(init.stdout).next[0]).toMatch(/^export PGPASSWORD=/);
    const config = await readFile(path.join(other, 'sluice.yml'), 'utf8');
    const url = new URL(db.url);
    expect(config).not.toContain(url.password);
    expect(config).toContain(`@${url.host}/`);
    const doctor = await sluice(['doctor', '--json'], {
      cwd: other,
      env: { PGPASSWORD: decodeURIComponent(url.password) },
    });
    expect(JSON.parse(doctor.stdout)).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(doctor.code).toBe(0);
  });
});
