// ingest-incremental: after a 1,000,000-row initial load, 1% of the rows change (updated in place, touching their
// cursor); the incremental run must take ≤ 10% of the initial load's time. Both measured in this run.
//
// The table has an index on its cursor expression, as the README asks of a large table. Measured in turn:
//   1. default settings (late_commits: auto, which looks back on a table this size) — the headline figure;
//   2. late_commits: scan (every run reads everything written since the last one: one sequential pass);
//   3. late_commits: off (the cursor alone);
//   4. default settings once the index is dropped (auto then scans).
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
import {
  createVendasTable,
  median,
  seconds,
  startBenchPostgres,
  VENDAS_YAML,
  withClient,
  writeProject,
} from './_harness.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const INITIAL_ROUNDS = 3;
const CHANGED = Math.round(ROWS / 100);

const pgBench = await startBenchPostgres();
try {
  const url = await pgBench.server.createDatabase('bench');
  await withClient(url, async (client) => {
    await createVendasTable(client, ROWS);
    await client.query(
      `CREATE INDEX vendas_cursor ON vendas ((COALESCE(data_atualizacao, data_inclusao, '-infinity'::timestamp)), id_vendas)`,
    );
  });
  // The initial load is measured three times (each into a fresh warehouse and state): its median is the baseline.
  const initials = [];
  let dir;
  let warehouse;
  for (let i = 1; i <= INITIAL_ROUNDS; i++) {
    await warehouse?.close();
    dir = path.join(pgBench.root, `project-${i}`);
    await writeProject(dir, url, VENDAS_YAML);
    const project = await loadProjectConfig(dir);
    warehouse = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
    const fresh = openStateStore(project);
    const start = performance.now();
    const result = await runIngest({ project, warehouse, state: fresh, workDir: path.join(dir, 'work') });
    initials.push(seconds(start));
    await fresh.close();
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    console.log(`initial load ${i} of ${ROWS.toLocaleString()} rows: ${initials.at(-1).toFixed(2)} s`);
  }
  const initial = median(initials);
  let state;
  let round = 0;
  /** Change 1% of the rows, then time one incremental run; returns the run's seconds and its table result. */
  const changeAndIngest = async (project) => {
    round++;
    await withClient(url, (client) =>
      client.query(
        // Stamped as an application does: with the transaction's time (rows sharing it are told apart by the key).
        `UPDATE vendas SET valor_pago = valor_pago - 0.01, data_atualizacao = localtimestamp
          WHERE id_vendas % 100 = ${round % 100}`,
      ),
    );
    const start = performance.now();
    const result = await runIngest({ project, warehouse, state, workDir: path.join(dir, 'work') });
    const time = seconds(start);
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    const table = result.tables[0];
    if (table.rows < CHANGED * 0.9) throw new Error(`only ${table.rows} rows read, expected about ${CHANGED}`);
    return { time, table };
  };
  const variant = async (label, yaml) => {
    await writeProject(dir, url, yaml);
    const project = await loadProjectConfig(dir);
    // The last initial load's warehouse and state go on; each variant carries on from the one before.
    state ??= openStateStore(project);
    const times = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { time, table } = await changeAndIngest(project);
      times.push(time);
      console.log(
        `${label}, round ${round}: ${table.rows.toLocaleString()} rows (${table.read}) in ${time.toFixed(3)} s`,
      );
    }
    return median(times);
  };

  const auto = await variant('default (auto: lookback)', VENDAS_YAML);
  const scan = await variant(
    'late_commits: scan',
    VENDAS_YAML.replace('    cursor:', '    late_commits: scan\n    cursor:'),
  );
  const off = await variant(
    'late_commits: off',
    VENDAS_YAML.replace('    cursor:', '    late_commits: off\n    cursor:'),
  );
  // Without the index, auto scans (a lookback would read the whole table too, and knows less).
  await withClient(url, (client) => client.query('DROP INDEX vendas_cursor'));
  const unindexed = await variant('default, no index on the cursor (auto: scan)', VENDAS_YAML);
  await warehouse.close();
  await state.close();
  const pct = (s) => `${((s / initial) * 100).toFixed(1)}%`;
  console.log(`median, default settings: ${auto.toFixed(3)} s, ${pct(auto)} of the initial load (target ≤ 10%)`);
  console.log(
    `median, late_commits: scan: ${scan.toFixed(3)} s, ${pct(scan)}; late_commits: off: ${off.toFixed(3)} s, ${pct(off)}`,
  );
  console.log(`median, default settings without an index on the cursor: ${unindexed.toFixed(3)} s, ${pct(unindexed)}`);
  console.log(
    JSON.stringify({
      name: 'ingest-incremental',
      seconds: +auto.toFixed(3),
      initial_seconds: +initial.toFixed(3),
      ratio: +(auto / initial).toFixed(3),
      scan_seconds: +scan.toFixed(3),
      scan_ratio: +(scan / initial).toFixed(3),
      off_seconds: +off.toFixed(3),
      off_ratio: +(off / initial).toFixed(3),
      unindexed_seconds: +unindexed.toFixed(3),
      unindexed_ratio: +(unindexed / initial).toFixed(3),
    }),
  );
} finally {
  await pgBench.stop();
}
