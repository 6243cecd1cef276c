// ingest-initial: a 1,000,000-row vendas-shaped table, Postgres → DuckDB, end to end through Sluice, against the
// two raw tools alone in the same run (COPY … TO STDOUT into a file, then DuckDB read_csv of that file).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
import {
  copyVendasToCsv,
  createVendasTable,
  loadCsvIntoDuckDb,
  median,
  seconds,
  startBenchPostgres,
  VENDAS_YAML,
  withClient,
  writeProject,
} from './_harness.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const pgBench = await startBenchPostgres();
try {
  const url = await pgBench.server.createDatabase('bench');
  const t0 = performance.now();
  await withClient(url, (client) => createVendasTable(client, ROWS));
  console.log(`made ${ROWS.toLocaleString()} rows in ${seconds(t0).toFixed(1)} s`);

  const baseline = [];
  const sluice = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Baseline: the two raw tools, nothing else.
    const dir = path.join(pgBench.root, `round-${round}`);
    const csv = path.join(pgBench.root, `baseline-${round}.csv`);
    let start = performance.now();
    await copyVendasToCsv(url, csv);
    await loadCsvIntoDuckDb(path.join(pgBench.root, `baseline-${round}.duckdb`), csv);
    baseline.push(seconds(start));
    await rm(csv, { force: true });

    // Sluice end to end: introspect, plan, snapshot, COPY into chunk files, load, merge, watermark.
    await writeProject(dir, url, VENDAS_YAML);
    const project = await loadProjectConfig(dir);
    const warehouse = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
    const state = openStateStore(project);
    start = performance.now();
    const result = await runIngest({ project, warehouse, state, workDir: path.join(dir, 'work') });
    sluice.push(seconds(start));
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables, null, 2));
    const [count] = await warehouse.query('SELECT count(*) AS n FROM raw.vendas');
    if (Number(count.n) !== ROWS) throw new Error(`loaded ${count.n} rows, expected ${ROWS}`);
    await warehouse.close();
    await state.close();
    console.log(`round ${round}: baseline ${baseline.at(-1).toFixed(2)} s, sluice ${sluice.at(-1).toFixed(2)} s`);
  }
  const s = median(sluice);
  const b = median(baseline);
  console.log(
    `median: sluice ${s.toFixed(2)} s, baseline ${b.toFixed(2)} s, ratio ${(s / b).toFixed(2)} (target ≤ 1.3)`,
  );
  console.log(
    JSON.stringify({
      name: 'ingest-initial',
      rows: ROWS,
      seconds: +s.toFixed(3),
      baseline_seconds: +b.toFixed(3),
      ratio: +(s / b).toFixed(3),
    }),
  );
} finally {
  await pgBench.stop();
}
