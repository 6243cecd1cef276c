// ingest-incremental: after a 1,000,000-row initial load, 1% of the rows change (updated in place, touching their
// cursor); the incremental run must take ≤ 10% of the initial load's time. Both measured in this run.
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
import { createVendasTable, median, seconds, startBenchPostgres, VENDAS_YAML, withClient, writeProject } from './_harness.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CHANGED = Math.round(ROWS / 100);

const pgBench = await startBenchPostgres();
try {
  const url = await pgBench.server.createDatabase('bench');
  await withClient(url, (client) => createVendasTable(client, ROWS));
  const dir = path.join(pgBench.root, 'project');
  await writeProject(dir, url, VENDAS_YAML);
  const project = await loadProjectConfig(dir);
  const warehouse = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
  const state = openStateStore(project);
  const ingest = async () => {
    const result = await runIngest({ project, warehouse, state, workDir: path.join(dir, 'work') });
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    return result.tables[0];
  };
  let start = performance.now();
  await ingest();
  const initial = seconds(start);
  console.log(`initial load of ${ROWS.toLocaleString()} rows: ${initial.toFixed(2)} s`);
  const times = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await withClient(url, (client) =>
      client.query(
        `UPDATE vendas SET valor_pago = valor_pago - 0.01, data_atualizacao = timestamp '2030-01-01' + interval '${round} day' + id_vendas * interval '1 microsecond'
          WHERE id_vendas % 100 = ${round}`,
      ),
    );
    start = performance.now();
    const table = await ingest();
    times.push(seconds(start));
    if (table.rows < CHANGED * 0.9) throw new Error(`only ${table.rows} rows read, expected about ${CHANGED}`);
    console.log(`round ${round}: ${table.rows.toLocaleString()} changed rows in ${times.at(-1).toFixed(3)} s`);
  }
  const s = median(times);
  console.log(`median ${s.toFixed(3)} s, ${((s / initial) * 100).toFixed(1)}% of the initial load (target ≤ 10%)`);

  // Variant: the cursor indexed and late-commit scanning off (trusting the cursor alone): no full scan per run.
  await withClient(url, (client) =>
    client.query(`CREATE INDEX vendas_cursor ON vendas ((COALESCE(data_atualizacao, data_inclusao, '-infinity'::timestamp)), id_vendas)`),
  );
  await writeProject(dir, url, VENDAS_YAML.replace('    cursor:', '    late_commits: off\n    cursor:'));
  const trusting = await loadProjectConfig(dir);
  const trustingTimes = [];
  for (let round = ROUNDS + 1; round <= 2 * ROUNDS; round++) {
    await withClient(url, (client) =>
      client.query(
        `UPDATE vendas SET valor_pago = valor_pago - 0.01, data_atualizacao = timestamp '2030-01-01' + interval '${round} day' + id_vendas * interval '1 microsecond'
          WHERE id_vendas % 100 = ${round}`,
      ),
    );
    start = performance.now();
    const result = await runIngest({ project: trusting, warehouse, state, workDir: path.join(dir, 'work') });
    trustingTimes.push(seconds(start));
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    console.log(`round ${round} (index, late_commits: off): ${result.tables[0].rows.toLocaleString()} rows in ${trustingTimes.at(-1).toFixed(3)} s`);
  }
  await warehouse.close();
  await state.close();
  const t = median(trustingTimes);
  console.log(`median with an index on the cursor and late_commits: off: ${t.toFixed(3)} s, ${((t / initial) * 100).toFixed(1)}% of the initial load`);
  console.log(
    JSON.stringify({
      name: 'ingest-incremental',
      seconds: +s.toFixed(3),
      initial_seconds: +initial.toFixed(3),
      ratio: +(s / initial).toFixed(3),
      indexed_no_late_scan_seconds: +t.toFixed(3),
      indexed_no_late_scan_ratio: +(t / initial).toFixed(3),
    }),
  );
} finally {
  await pgBench.stop();
}
