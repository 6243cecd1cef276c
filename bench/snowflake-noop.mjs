// snowflake-noop: a full `sluice build` of NovaDrive (ingest, then seeds, models, snapshots and tests) through the
// Snowflake emulator and the real snowflake-sdk, in which no source row changed since the run before: how many
// statements it sends and how many of them would resume a warehouse, by the emulator's rules table
// (packages/snowflake-emulator/src/warehouse-use.ts). Then the same with one changed sale. Every statement that
// needs a warehouse is listed by kind, so what still costs money is visible.
//
// Target (issue 16, with the change-aware build of issue 17): 0 warehouse statements in the no-change run. Measured
// at scale 2,000 (packages/snowflake/README.md, "Cost"): ingest sends none; the build's 73 are the models and data
// tests that run again although nothing changed (13 model CTAS, 57 store_failures audit CTAS, 2 incremental MERGEs,
// fct_vendas's post-hook DELETE) — skipping those is issue 17's change-aware build.
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { loadProjectConfig, openStateStore, openWarehouse, resolveTarget, runPipeline } from '@sluice/pipeline';
import { startSnowflakeEmulator } from '@sluice/snowflake-emulator';
import { seconds, startBenchPostgres, withClient } from './_harness.mjs';

// snowflake-sdk probes cloud metadata endpoints when loaded, and sends connection telemetry: not here.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE ??= 'true';

const SCALE = Number(process.env.BENCH_SCALE ?? 2_000);
const PASSWORD = 'bench-password';
const SQL_MODELS = fileURLToPath(new URL('../sql-models/', import.meta.url));

/** A short name for the kind of a statement, to group them ("CREATE OR REPLACE TABLE … AS", "MERGE", …). */
function statementKind(sql) {
  const text = sql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const upper = text.toUpperCase();
  if (/INFORMATION_SCHEMA/.test(upper)) return 'SELECT … INFORMATION_SCHEMA';
  if (/^CREATE (OR REPLACE )?(TRANSIENT |TEMPORARY )?TABLE .* AS[ (]/.test(upper))
    return 'CREATE [OR REPLACE] TABLE … AS SELECT';
  if (/^SELECT COUNT\(\*\)/.test(upper)) return 'SELECT count(*) …';
  const words = upper.split(' ');
  const head = words[0] === 'CREATE' || words[0] === 'ALTER' || words[0] === 'DROP' ? 3 : words[0] === 'SHOW' ? 2 : 1;
  return words
    .slice(0, head + (words[1] === 'OR' ? 2 : 0))
    .join(' ')
    .replace(/[("].*$/, '');
}

function tally(statements) {
  const byKind = new Map();
  for (const s of statements) {
    const kind = statementKind(s.sqlText);
    const entry = byKind.get(kind) ?? { kind, statements: 0, warehouse: 0 };
    entry.statements++;
    if (s.needsWarehouse) entry.warehouse++;
    byKind.set(kind, entry);
  }
  return [...byKind.values()].sort((a, b) => b.warehouse - a.warehouse || b.statements - a.statements);
}

function report(label, statements) {
  const warehouse = statements.filter((s) => s.needsWarehouse);
  console.log(`${label}: ${statements.length} statements, ${warehouse.length} would resume a warehouse`);
  for (const row of tally(statements)) {
    console.log(`  ${String(row.statements).padStart(4)} ${String(row.warehouse).padStart(4)}  ${row.kind}`);
  }
  return warehouse;
}

const pgBench = await startBenchPostgres();
let emulator;
try {
  const url = await pgBench.server.createDatabase('novadrive');
  await withClient(url, async (client) => {
    await createNovaDriveSchema(client);
    await generateNovaDrive(client, { scale: SCALE, seed: 1 });
  });
  emulator = await startSnowflakeEmulator({
    dataDir: path.join(pgBench.root, 'snowflake'),
    users: [{ name: 'bench', password: PASSWORD }],
    databases: ['SLUICE'],
  });
  const dir = path.join(pgBench.root, 'project');
  await mkdir(dir, { recursive: true });
  await cp(SQL_MODELS, dir, {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}target`) && !source.includes(`${path.sep}.sluice`),
  });
  const env = {
    ...process.env,
    SLUICE_SOURCE_URL: url,
    SLUICE_HOME: path.join(dir, '.sluice'),
    SNOWFLAKE_ACCOUNT: 'emulator',
    SNOWFLAKE_USER: 'bench',
    SNOWFLAKE_PASSWORD: PASSWORD,
    SNOWFLAKE_DATABASE: 'SLUICE',
    SNOWFLAKE_WAREHOUSE: 'SLUICE_WH',
    SNOWFLAKE_ACCESS_URL: emulator.url,
  };
  const project = await loadProjectConfig(dir, env);
  const target = resolveTarget(project, 'prod');
  const warehouse = await openWarehouse(project, target.config);
  const state = openStateStore(project);
  // `sluice build`: ingest, then dbt's build (seeds, models, snapshots, tests in DAG order).
  const build = async () => {
    const before = emulator.stats().statements.length;
    const start = performance.now();
    const result = await runPipeline({
      project,
      warehouse,
      state,
      workDir: path.join(dir, 'work'),
      trigger: 'bench',
      target,
    });
    if (result.status !== 'success') throw new Error(`the run ended ${result.status}: ${JSON.stringify(result.error)}`);
    return { result, elapsed: seconds(start), statements: emulator.stats().statements.slice(before) };
  };

  const first = await build();
  console.log(
    `NovaDrive scale ${SCALE}: first build ${first.elapsed.toFixed(1)} s, ${first.statements.length} statements`,
  );
  await build(); // settles what a first run leaves to the second (watermarks, snapshots)

  const noop = await build();
  const noopIngest = noop.statements.filter((s) => / table raw\./.test(s.queryTag));
  console.log(`no-change build: ${noop.elapsed.toFixed(1)} s`);
  const noopWarehouse = report('no-change build', noop.statements);
  const ingestWarehouse = noopIngest.filter((s) => s.needsWarehouse).length;
  console.log(`  of which ingest: ${noopIngest.length} statements, ${ingestWarehouse} needing a warehouse`);

  // One sale changes: its price moves a cent.
  await withClient(url, (client) =>
    client.query(
      `UPDATE vendas SET valor_pago = valor_pago + 0.01, data_atualizacao = now() WHERE id_vendas = (SELECT min(id_vendas) FROM vendas)`,
    ),
  );
  const oneSale = await build();
  console.log(`one-sale build: ${oneSale.elapsed.toFixed(1)} s`);
  const oneSaleWarehouse = report('one-sale build', oneSale.statements);
  const oneSaleIngest = oneSale.statements.filter((s) => / table raw\./.test(s.queryTag));
  console.log(
    `  of which ingest: ${oneSaleIngest.length} statements, ${oneSaleIngest.filter((s) => s.needsWarehouse).length} needing a warehouse`,
  );

  await warehouse.close();
  await state.close();
  console.log(
    JSON.stringify({
      name: 'snowflake-noop',
      statements: noop.statements.length,
      warehouse_statements: noopWarehouse.length,
      ingest_warehouse_statements: ingestWarehouse,
      one_sale_statements: oneSale.statements.length,
      one_sale_warehouse_statements: oneSaleWarehouse.length,
    }),
  );
} finally {
  await emulator?.stop();
  await pgBench.stop();
}
