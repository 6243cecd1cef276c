// ingest-incremental: after a 1,000,000-row initial load, 1% of the rows change (updated in place, touching their
// cursor); every incremental run must take ≤ 10% of the initial load's time — the worst round counts, not the
// median (JSON: worst_ratio). Both measured in this run: the initial load's median of three is the baseline.
//
// Every run goes in one long-lived process, its source connections kept from one run to the next
// (`createSourcePool`), as the scheduler keeps them, and its DuckDB warehouse open from one run to the next, as a
// process that embeds the pipeline keeps it (the scheduler closes the file after each run and opens it for the next:
// variant 3). The table has an index on its cursor expression, as the README asks of a large table. Measured in turn:
//   1. default settings (late_commits: auto, which looks back on a table this size) — the headline figure;
//   2. the same with new source connections for every run, as the one-shot CLI has them (JSON: cold_*);
//   3. the same with the warehouse closed and opened again before every run, outside the time measured, as the
//      scheduler opens it (JSON: reopened_*);
//   4. late_commits: scan (every run reads everything written since the last one: one sequential pass);
//   5. late_commits: off (the cursor alone);
//   6. default settings once the index is dropped (auto then scans).
import os from 'node:os';
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createSourcePool, loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
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
const sourcePool = createSourcePool();
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
    const result = await runIngest({ project, warehouse, state: fresh, workDir: path.join(dir, 'work'), sourcePool });
    initials.push(seconds(start));
    await fresh.close();
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    console.log(`initial load ${i} of ${ROWS.toLocaleString()} rows: ${initials.at(-1).toFixed(2)} s`);
  }
  const initial = median(initials);
  let state;
  let round = 0;
  /** Change 1% of the rows, then time one incremental run; returns the run's seconds and its table result. */
  const changeAndIngest = async (project, pooled, reopen) => {
    round++;
    await withClient(url, (client) =>
      client.query(
        // Stamped as an application does: with the transaction's time (rows sharing it are told apart by the key).
        `UPDATE vendas SET valor_pago = valor_pago - 0.01, data_atualizacao = localtimestamp
          WHERE id_vendas % 100 = ${round % 100}`,
      ),
    );
    if (reopen) {
      await warehouse.close();
      warehouse = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
    }
    const start = performance.now();
    const result = await runIngest({
      project,
      warehouse,
      state,
      workDir: path.join(dir, 'work'),
      ...(pooled ? { sourcePool } : {}),
    });
    const time = seconds(start);
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    const table = result.tables[0];
    if (table.rows < CHANGED * 0.9) throw new Error(`only ${table.rows} rows read, expected about ${CHANGED}`);
    return { time, table };
  };
  const pct = (s) => `${((s / initial) * 100).toFixed(1)}%`;
  const rounds = [];
  const variant = async (label, yaml, { pooled = true, reopen = false } = {}) => {
    await writeProject(dir, url, yaml);
    const project = await loadProjectConfig(dir);
    // The last initial load's warehouse and state go on; each variant carries on from the one before.
    state ??= openStateStore(project);
    const times = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { time, table } = await changeAndIngest(project, pooled, reopen);
      times.push(time);
      rounds.push({ variant: label, round, seconds: +time.toFixed(3), ratio: +(time / initial).toFixed(3) });
      console.log(
        `${label}, round ${round}: ${table.rows.toLocaleString()} rows (${table.read}; +${table.inserted} ~${table.updated}) in ${time.toFixed(3)} s, ${pct(time)} of the initial load`,
      );
    }
    return { median: median(times), worst: Math.max(...times) };
  };

  const auto = await variant('default (auto: lookback)', VENDAS_YAML);
  const cold = await variant('default, new source connections every run', VENDAS_YAML, { pooled: false });
  const reopened = await variant('default, the warehouse opened again for every run', VENDAS_YAML, { reopen: true });
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
  console.log(
    `default settings: worst round ${auto.worst.toFixed(3)} s, ${pct(auto.worst)} of the initial load (target ≤ 10%); median ${auto.median.toFixed(3)} s, ${pct(auto.median)}`,
  );
  for (const [label, v] of [
    ['default settings, new source connections every run', cold],
    ['default settings, the warehouse opened again for every run', reopened],
    ['late_commits: scan', scan],
    ['late_commits: off', off],
    ['default settings without an index on the cursor', unindexed],
  ]) {
    console.log(
      `${label}: worst ${v.worst.toFixed(3)} s, ${pct(v.worst)}; median ${v.median.toFixed(3)} s, ${pct(v.median)}`,
    );
  }
  const ratio = (s) => +(s / initial).toFixed(3);
  console.log(
    JSON.stringify({
      name: 'ingest-incremental',
      initial_seconds: +initial.toFixed(3),
      initial_rounds: initials.map((s) => +s.toFixed(3)),
      worst_seconds: +auto.worst.toFixed(3),
      worst_ratio: ratio(auto.worst),
      seconds: +auto.median.toFixed(3),
      ratio: ratio(auto.median),
      cold_worst_ratio: ratio(cold.worst),
      cold_ratio: ratio(cold.median),
      reopened_worst_ratio: ratio(reopened.worst),
      reopened_ratio: ratio(reopened.median),
      scan_worst_ratio: ratio(scan.worst),
      scan_ratio: ratio(scan.median),
      off_worst_ratio: ratio(off.worst),
      off_ratio: ratio(off.median),
      unindexed_worst_ratio: ratio(unindexed.worst),
      unindexed_ratio: ratio(unindexed.median),
      rounds,
      load_average: os.loadavg().map((l) => +l.toFixed(2)),
    }),
  );
} finally {
  await sourcePool.close();
  await pgBench.stop();
}
