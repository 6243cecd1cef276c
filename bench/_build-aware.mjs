// Shared body of build-noop and build-one-table: NovaDrive (BENCH_SCALE sales, default 100,000) in Postgres, the
// sql-models project, `sluice run` (ingest → models; tests with `sluice build`) change-aware, against a full
// `sluice build --all` in the same process, on DuckDB and through the Snowflake emulator (real snowflake-sdk).
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { loadProjectConfig, openStateStore, openWarehouse, resolveTarget, runPipeline } from '@sluice/pipeline';
import { startSnowflakeEmulator } from '@sluice/snowflake-emulator';
import { seconds, startBenchPostgres, withClient } from './_harness.mjs';

process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE ??= 'true';

const SCALE = Number(process.env.BENCH_SCALE ?? 100_000);
const PASSWORD = 'bench-password';
const SQL_MODELS = fileURLToPath(new URL('../sql-models/', import.meta.url));

/**
 * Measure one engine: two settling runs, then `change` (what the figure is about) applied to the source and a
 * change-aware `sluice build`; then the same change again and a full `sluice build --all`.
 */
async function measure(engine, url, root, emulator, change) {
  const dir = path.join(root, `project-${engine}`);
  await mkdir(dir, { recursive: true });
  await cp(SQL_MODELS, dir, {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}target`) && !source.includes(`${path.sep}.sluice`),
  });
  const env = {
    ...process.env,
    SLUICE_SOURCE_URL: url,
    SLUICE_HOME: path.join(dir, '.sluice'),
    ...(emulator
      ? {
          SNOWFLAKE_ACCOUNT: 'emulator',
          SNOWFLAKE_USER: 'bench',
          SNOWFLAKE_PASSWORD: PASSWORD,
          SNOWFLAKE_DATABASE: 'SLUICE',
          SNOWFLAKE_WAREHOUSE: 'SLUICE_WH',
          SNOWFLAKE_ACCESS_URL: emulator.url,
        }
      : {}),
  };
  const project = await loadProjectConfig(dir, env);
  const target = resolveTarget(project, emulator ? 'prod' : 'dev');
  const warehouse = await openWarehouse(project, target.config);
  const state = openStateStore(project);
  const build = async (all) => {
    const before = emulator ? emulator.stats().statements.length : 0;
    const start = performance.now();
    const result = await runPipeline({
      project,
      warehouse,
      state,
      workDir: path.join(dir, 'work'),
      trigger: 'bench',
      target,
      ...(all ? { all: true } : {}),
    });
    if (result.status !== 'success')
      throw new Error(`${engine}: the run ended ${result.status}: ${JSON.stringify(result.error)}`);
    const results = result.build?.run.results ?? [];
    const statements = emulator ? emulator.stats().statements.slice(before) : [];
    return {
      elapsed: seconds(start),
      built: results.filter((r) => r.kind !== 'test' && r.reused === undefined).map((r) => r.name),
      tests: results.filter((r) => r.kind === 'test' && r.reused === undefined).length,
      warehouse: statements.filter((s) => s.needsWarehouse).length,
      statements: statements.length,
    };
  };
  try {
    await build(false);
    await build(false); // settles what a first run leaves to the second
    await change(url, 1);
    const aware = await build(false);
    await change(url, 2);
    const full = await build(true);
    console.log(
      `${engine}: change-aware ${aware.elapsed.toFixed(2)} s (built ${aware.built.length}: ${aware.built.join(', ') || 'nothing'}; tests run ${aware.tests}; ${aware.statements} statements, ${aware.warehouse} needing a warehouse) vs full ${full.elapsed.toFixed(2)} s (built ${full.built.length}, tests ${full.tests}${emulator ? `, ${full.warehouse} needing a warehouse` : ''})`,
    );
    return { aware, full };
  } finally {
    await warehouse.close();
    await state.close();
  }
}

/** Run the figure on both engines and print its JSON line. */
export async function benchBuildAware(name, change) {
  const pgBench = await startBenchPostgres();
  let emulator;
  try {
    const url = await pgBench.server.createDatabase('novadrive');
    await withClient(url, async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: SCALE, seed: 1 });
    });
    console.log(`NovaDrive scale ${SCALE} sales`);
    const duckdb = await measure('duckdb', url, pgBench.root, undefined, change);
    emulator = await startSnowflakeEmulator({
      dataDir: path.join(pgBench.root, 'snowflake'),
      users: [{ name: 'bench', password: PASSWORD }],
      databases: ['SLUICE'],
    });
    const snowflake = await measure('snowflake', url, pgBench.root, emulator, change);
    const figure = (m) => ({
      models_built: m.aware.built.length,
      tests_run: m.aware.tests,
      seconds: Number(m.aware.elapsed.toFixed(3)),
      full_seconds: Number(m.full.elapsed.toFixed(3)),
      ratio: Number((m.aware.elapsed / m.full.elapsed).toFixed(3)),
    });
    console.log(
      JSON.stringify({
        name,
        ...figure(duckdb),
        warehouse_statements: snowflake.aware.warehouse,
        built: duckdb.aware.built,
        scale: SCALE,
        snowflake: {
          ...figure(snowflake),
          warehouse_statements: snowflake.aware.warehouse,
          full_warehouse_statements: snowflake.full.warehouse,
          built: snowflake.aware.built,
        },
      }),
    );
  } finally {
    await emulator?.stop();
    await pgBench.stop();
  }
}
