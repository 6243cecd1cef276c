// pnpm smoke:snowflake — the NovaDrive pipeline against a REAL Snowflake account, end to end: a small NovaDrive in a
// throwaway local Postgres, the sql-models project copied to a temporary folder with its prod target read from the
// SNOWFLAKE_* variables, ingest → models → snapshot → data tests, a day of changes, a second run, a run in which
// nothing changed — then every schema it created dropped again. It lives with the benchmarks for their dependencies
// (the built packages); it is not one, and `pnpm test` never runs it.
//
// Runs only when the variables are set; otherwise it says what is missing and exits 0. Sign-in: a key pair
// (SNOWFLAKE_PRIVATE_KEY_PATH, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE), a token (SNOWFLAKE_AUTHENTICATOR=oauth or
// programmatic_access_token, SNOWFLAKE_TOKEN), or a password (SNOWFLAKE_PASSWORD; not for TYPE = SERVICE users).
// The role needs USAGE on the warehouse and USAGE, CREATE SCHEMA on the database (see packages/snowflake/README.md).
//
// NEVER RUN HERE: this repository has no Snowflake account; the script is exercised only against the emulator
// (SNOWFLAKE_ACCESS_URL pointing at `sluice-snowflake-emulator`).
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNovaDriveSchema, generateNovaDrive, simulateDay } from '@sluice/novadrive';
import { loadProjectConfig, openStateStore, openWarehouse, resolveTarget, runPipeline } from '@sluice/pipeline';
import { startBenchPostgres, withClient } from './_harness.mjs';

process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';

const REQUIRED = ['SNOWFLAKE_ACCOUNT', 'SNOWFLAKE_USER', 'SNOWFLAKE_WAREHOUSE', 'SNOWFLAKE_DATABASE'];
const missing = REQUIRED.filter((name) => !process.env[name]);
const signIn = process.env.SNOWFLAKE_PRIVATE_KEY_PATH
  ? 'key pair'
  : process.env.SNOWFLAKE_TOKEN || process.env.SNOWFLAKE_TOKEN_PATH
    ? (process.env.SNOWFLAKE_AUTHENTICATOR ?? 'oauth')
    : process.env.SNOWFLAKE_PASSWORD
      ? 'password'
      : undefined;
if (missing.length > 0 || signIn === undefined) {
  console.log(
    `smoke:snowflake skipped: set ${[...missing, ...(signIn ? [] : ['SNOWFLAKE_PRIVATE_KEY_PATH (or SNOWFLAKE_TOKEN, or SNOWFLAKE_PASSWORD)'])].join(', ')} to run it against a Snowflake account.`,
  );
  process.exit(0);
}

const SQL_MODELS = fileURLToPath(new URL('../sql-models/', import.meta.url));
const id = `sluice_smoke_${randomBytes(3).toString('hex')}`;
const scale = Number(process.env.SMOKE_NOVADRIVE_SCALE ?? 200);
const started = performance.now();
const summary = { name: 'smoke-snowflake', schema_prefix: id.toUpperCase(), sign_in: signIn, runs: [] };
let failed = false;

const pgServer = await startBenchPostgres();
const dir = path.join(pgServer.root, 'project');
let warehouse;
let state;
try {
  const url = await pgServer.server.createDatabase('novadrive');
  await withClient(url, async (client) => {
    await createNovaDriveSchema(client);
    await generateNovaDrive(client, { scale, seed: 16 });
  });
  await mkdir(dir, { recursive: true });
  await cp(SQL_MODELS, dir, {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}target`) && !source.includes(`${path.sep}.sluice`),
  });
  // Everything this run creates lives in schemas named after it: raw tables in <id>_raw, models in <id>_stage, …
  const yaml = (await readFile(path.join(dir, 'sluice.yml'), 'utf8'))
    .replace(/^raw_schema: raw$/m, `raw_schema: ${id}_raw`)
    .replace(/^target: dev$/m, 'target: prod')
    .replace(/(\n {2}prod:\n(?: {4}.*\n)*? {4}schema: )analytics\n/, `$1${id}\n`)
    .replace(
      /( {4}private_key_passphrase: .*\n)/,
      `$1    authenticator: \${env:SNOWFLAKE_AUTHENTICATOR:-}\n    token: \${env:SNOWFLAKE_TOKEN:-}\n    token_path: \${env:SNOWFLAKE_TOKEN_PATH:-}\n`,
    );
  if (!yaml.includes(`raw_schema: ${id}_raw`) || !yaml.includes(`schema: ${id}\n`)) {
    throw new Error('sql-models/sluice.yml changed shape: the smoke test cannot point it at its own schemas');
  }
  await writeFile(path.join(dir, 'sluice.yml'), yaml);
  const env = { ...process.env, SLUICE_SOURCE_URL: url, SLUICE_HOME: path.join(dir, '.sluice') };
  for (const key of ['SNOWFLAKE_AUTHENTICATOR', 'SNOWFLAKE_TOKEN', 'SNOWFLAKE_TOKEN_PATH']) env[key] ??= '';
  const project = await loadProjectConfig(dir, env);
  const target = resolveTarget(project, 'prod');
  warehouse = await openWarehouse(project, target.config);
  state = openStateStore(project);

  const run = async (label) => {
    const before = warehouse.stats?.().statements ?? 0;
    const t0 = performance.now();
    const result = await runPipeline({
      project,
      warehouse,
      state,
      workDir: path.join(dir, 'work'),
      trigger: 'smoke',
      target,
    });
    const problems = [
      ...(result.ingest?.tables ?? [])
        .filter((t) => t.status === 'failed')
        .map((t) => `table ${t.table}: ${t.error?.message}`),
      ...(result.build?.run.results ?? [])
        .filter((r) => !['success', 'pass'].includes(r.status))
        .map((r) => `${r.kind} ${r.name} ${r.status}: ${r.message}`),
      ...(result.error ? [`run: ${result.error.message}`] : []),
    ];
    const entry = {
      run: label,
      status: result.status,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      statements: (warehouse.stats?.().statements ?? 0) - before,
      problems,
    };
    summary.runs.push(entry);
    console.log(`${label}: ${result.status} in ${entry.seconds} s, ${entry.statements} statements`);
    for (const problem of problems) console.log(`  ${problem}`);
    if (result.status !== 'success') failed = true;
  };

  await run('first run (load everything, build, test)');
  await withClient(url, (client) => simulateDay(client, { seed: 17, day: 1, saleCorrections: 5, saleDeletes: 2 }));
  await run('a day of changes');
  await run('nothing changed');
  const tables = await warehouse.query(
    `SHOW TABLES IN DATABASE ${warehouse.dialect.quoteIdentifier(env.SNOWFLAKE_DATABASE)}`,
  );
  const ours = tables.filter((t) => String(t.schema_name).startsWith(id.toUpperCase()));
  summary.tables = Object.fromEntries(
    [...new Set(ours.map((t) => String(t.kind)))].map((kind) => [kind, ours.filter((t) => t.kind === kind).length]),
  );
  console.log(`tables created: ${ours.length} (${ours.filter((t) => t.kind === 'TRANSIENT').length} transient)`);
} catch (error) {
  failed = true;
  summary.error = error instanceof Error ? error.message : String(error);
  console.error(`smoke:snowflake failed: ${summary.error}`);
} finally {
  // Drop every schema this run created (tables, views, the stage and its files go with them).
  if (warehouse) {
    try {
      const schemas = await warehouse.query(
        `SHOW SCHEMAS LIKE '${id.toUpperCase()}%' IN DATABASE ${warehouse.dialect.quoteIdentifier(process.env.SNOWFLAKE_DATABASE)}`,
      );
      for (const schema of schemas) {
        await warehouse.execute(
          `DROP SCHEMA IF EXISTS ${warehouse.dialect.quoteIdentifier(String(schema.name))} CASCADE`,
        );
      }
      summary.dropped = schemas.map((s) => s.name);
      console.log(`dropped ${schemas.length} schema(s): ${summary.dropped.join(', ')}`);
    } catch (error) {
      failed = true;
      console.error(
        `could not drop the schemas starting with ${id.toUpperCase()}: drop them by hand (${error.message})`,
      );
    }
    await warehouse.close();
  }
  await state?.close();
  await pgServer.stop();
  await rm(dir, { recursive: true, force: true });
}
summary.seconds = Number(((performance.now() - started) / 1000).toFixed(1));
summary.status = failed ? 'failed' : 'success';
console.log(JSON.stringify(summary));
process.exit(failed ? 1 : 0);
