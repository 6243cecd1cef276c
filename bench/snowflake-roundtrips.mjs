// snowflake-roundtrips: how many statements one table's incremental run sends to Snowflake (the in-repo emulator,
// through the real snowflake-sdk) as the changed rows grow — 1,000, 10,000, 100,000: it must stay the same — and the
// time of Sluice's run for 10,000 changed rows against the old design's one INSERT statement per row (10,000
// single-row INSERTs through snowflake-sdk into the same emulator). Both measured in this run.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadProjectConfig, openStateStore, openWarehouse, runIngest } from '@sluice/pipeline';
import { startSnowflakeEmulator } from '@sluice/snowflake-emulator';
import { createVendasTable, seconds, startBenchPostgres, VENDAS_YAML, withClient } from './_harness.mjs';

// snowflake-sdk probes cloud metadata endpoints when loaded, and sends connection telemetry: not here.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE ??= 'true';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const BASELINE_ROWS = Number(process.env.BENCH_BASELINE_ROWS ?? 10_000);
const ROWS = Math.max(...SIZES, BASELINE_ROWS) + 20_000;
const PASSWORD = 'bench-password';

const pgBench = await startBenchPostgres();
let emulator;
try {
  const url = await pgBench.server.createDatabase('bench');
  await withClient(url, (client) => createVendasTable(client, ROWS));
  emulator = await startSnowflakeEmulator({
    dataDir: path.join(pgBench.root, 'snowflake'),
    users: [{ name: 'bench', password: PASSWORD }],
    databases: ['BENCH'],
  });
  const dir = path.join(pgBench.root, 'project');
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'sluice.yml'),
    `name: bench
source:
  url: ${url}
targets:
  prod:
    type: snowflake
    account: emulator
    user: bench
    warehouse: BENCH_WH
    database: BENCH
    schema: analytics
    password: \${env:BENCH_SNOWFLAKE_PASSWORD}
    access_url: ${emulator.url}
target: prod
state:
  type: file
  dir: state
tables:
${VENDAS_YAML}`,
  );
  const project = await loadProjectConfig(dir, { ...process.env, BENCH_SNOWFLAKE_PASSWORD: PASSWORD });
  const warehouse = await openWarehouse(project, project.config.targets.prod);
  const state = openStateStore(project);
  const ingest = async () => {
    const before = emulator.stats().statements.length;
    const start = performance.now();
    const result = await runIngest({ project, warehouse, state, workDir: path.join(dir, 'work') });
    const elapsed = seconds(start);
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    const sent = emulator.stats().statements.slice(before);
    return {
      table: result.tables[0],
      elapsed,
      statements: sent.length,
      warehouseStatements: sent.filter((s) => s.needsWarehouse).length,
    };
  };

  const initial = await ingest();
  console.log(
    `initial load of ${ROWS.toLocaleString()} rows: ${initial.elapsed.toFixed(2)} s, ${initial.statements} statements`,
  );

  const statementsPerTable = {};
  const secondsFor = {};
  for (const [round, size] of SIZES.entries()) {
    await withClient(url, (client) =>
      client.query(
        `UPDATE vendas SET valor_pago = valor_pago - 0.01, data_atualizacao = timestamp '2030-01-01' + interval '${round + 1} day' + id_vendas * interval '1 microsecond'
          WHERE id_vendas <= ${size}`,
      ),
    );
    const run = await ingest();
    if (run.table.rows < size) throw new Error(`only ${run.table.rows} rows read, expected ${size}`);
    statementsPerTable[size] = run.statements;
    secondsFor[size] = run.elapsed;
    console.log(
      `${size.toLocaleString().padStart(9)} changed rows: ${run.statements} statements (${run.warehouseStatements} needing a warehouse), ` +
        `${run.table.updated.toLocaleString()} updated, ${run.elapsed.toFixed(3)} s`,
    );
  }
  const stats = warehouse.stats();
  console.log(
    `uploaded ${stats.filesUploaded} files, ${(stats.bytesUploaded / 1024 / 1024).toFixed(1)} MiB gzip (${(stats.sourceBytesUploaded / 1024 / 1024).toFixed(1)} MiB of CSV)`,
  );

  // Sluice's time for BASELINE_ROWS changed rows (measured above when it is one of the sizes).
  let sluiceSeconds = secondsFor[BASELINE_ROWS];
  if (sluiceSeconds === undefined) {
    await withClient(url, (client) =>
      client.query(
        `UPDATE vendas SET data_atualizacao = timestamp '2031-01-01' + id_vendas * interval '1 microsecond' WHERE id_vendas <= ${BASELINE_ROWS}`,
      ),
    );
    sluiceSeconds = (await ingest()).elapsed;
  }

  // The old design: one INSERT statement per row, each its own round trip and its own commit.
  const rows = await withClient(url, (client) =>
    client.query(
      `SELECT id_vendas, id_veiculos, id_concessionarias, id_vendedores, id_clientes, valor_pago::text AS valor_pago,
              to_char(data_venda, 'YYYY-MM-DD HH24:MI:SS.US') AS data_venda, to_char(data_inclusao, 'YYYY-MM-DD HH24:MI:SS.US') AS data_inclusao,
              to_char(data_atualizacao, 'YYYY-MM-DD HH24:MI:SS.US') AS data_atualizacao
         FROM vendas ORDER BY id_vendas LIMIT ${BASELINE_ROWS}`,
    ),
  ).then((r) => r.rows);
  await warehouse.execute(
    `CREATE OR REPLACE TABLE raw.vendas_row_by_row (id_vendas NUMBER(10,0), id_veiculos NUMBER(10,0), id_concessionarias NUMBER(10,0),
       id_vendedores NUMBER(10,0), id_clientes NUMBER(10,0), valor_pago NUMBER(10,2), data_venda TIMESTAMP_NTZ(6),
       data_inclusao TIMESTAMP_NTZ(6), data_atualizacao TIMESTAMP_NTZ(6))`,
  );
  const literal = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v}'`);
  const start = performance.now();
  for (const row of rows) {
    await warehouse.execute(
      `INSERT INTO raw.vendas_row_by_row VALUES (${Object.values(row).map(literal).join(', ')})`,
      { tag: 'bench row by row' },
    );
  }
  const rowByRow = seconds(start);
  console.log(
    `${BASELINE_ROWS.toLocaleString()} rows: Sluice ${sluiceSeconds.toFixed(3)} s (extract + load), one INSERT per row ${rowByRow.toFixed(3)} s`,
  );
  await warehouse.close();
  await state.close();
  console.log(
    JSON.stringify({
      name: 'snowflake-roundtrips',
      statements_per_table: statementsPerTable,
      ratio: +(sluiceSeconds / rowByRow).toFixed(4),
      sluice_seconds: +sluiceSeconds.toFixed(3),
      row_by_row_seconds: +rowByRow.toFixed(3),
    }),
  );
} finally {
  await emulator?.stop();
  await pgBench.stop();
}
