// ingest-incremental-phases: where an incremental run's time goes (a profile, not a target). One initial load of
// the ingest-incremental table (BENCH_ROWS, default 1,000,000, indexed cursor), then BENCH_ROUNDS (default 8) rounds
// that change 1% of the rows and run the ingest with the default settings (BENCH_LATE=off: late_commits off), as the
// scheduler runs them: source connections kept from one run to the next (BENCH_COLD=1: new ones every run); the
// DuckDB warehouse stays open between rounds (BENCH_REOPEN=1: closed and opened again before each, untimed, as the
// scheduler opens it).
// Every Postgres query, DuckDB statement and fsync of a round is timed by wrapping the drivers' methods (pg's Client,
// @duckdb/node-api's connection; nothing in the pipeline changes), and each round is cut into phases at the run's
// own events:
//   positions  from the start to `positions-read` (run lock, work folder, state store and warehouse positions);
//   to-copy    to the first COPY (source connections, catalog, snapshot; the warehouse table check alongside);
//   copy       the COPY to `table-loading` (rows streamed into the chunk file);
//   load       to `table-committed` (the DuckDB transaction: stage, merge, state row, commit);
//   finish     to the end (the state store's copy, cleanup, lock release).
// Prints each phase's median over the rounds, the counts of one round (Postgres round trips and connections,
// DuckDB statements, fsyncs) and, with BENCH_TIMELINE=1, the last round's timeline (its statements cut to
// BENCH_SQL_WIDTH characters, default 120); last, one JSON line.
import os from 'node:os';
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createSourcePool, loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
import { begin, end, now, PHASES, phasesOf, printSummary } from './_driver-calls.mjs';
import { createVendasTable, median, startBenchPostgres, VENDAS_YAML, withClient, writeProject } from './_harness.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const YAML =
  process.env.BENCH_LATE === 'off'
    ? VENDAS_YAML.replace('    cursor:', '    late_commits: off\n    cursor:')
    : VENDAS_YAML;

const pgBench = await startBenchPostgres();
const sourcePool = process.env.BENCH_COLD === '1' ? undefined : createSourcePool();
try {
  const url = await pgBench.server.createDatabase('bench');
  await withClient(url, async (client) => {
    await createVendasTable(client, ROWS);
    await client.query(
      `CREATE INDEX vendas_cursor ON vendas ((COALESCE(data_atualizacao, data_inclusao, '-infinity'::timestamp)), id_vendas)`,
    );
  });
  const dir = path.join(pgBench.root, 'project');
  await writeProject(dir, url, YAML);
  const project = await loadProjectConfig(dir);
  const open = () => createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
  let warehouse = await open();
  const state = openStateStore(project);
  const workDir = path.join(dir, 'work');
  const pooled = sourcePool ? { sourcePool } : {};
  const initial = await runIngest({ project, warehouse, state, workDir, ...pooled });
  if (initial.status !== 'success') throw new Error(JSON.stringify(initial.tables));
  const rounds = [];
  let last;
  for (let round = 1; round <= ROUNDS; round++) {
    await withClient(url, (client) =>
      client.query(
        `UPDATE vendas SET valor_pago = valor_pago - 0.01, data_atualizacao = localtimestamp WHERE id_vendas % 100 = ${round % 100}`,
      ),
    );
    if (process.env.BENCH_REOPEN === '1') {
      await warehouse.close();
      warehouse = await open();
    }
    const events = {};
    begin();
    const result = await runIngest({
      project,
      warehouse,
      state,
      workDir,
      ...pooled,
      onEvent: (event) => {
        events[event.type] ??= now();
      },
    });
    const total = now();
    const recorded = end();
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    const phases = phasesOf(recorded, events, total);
    rounds.push({ total, phases, read: result.tables[0]?.read, rows: result.tables[0]?.rows });
    last = recorded;
    console.log(
      `round ${round}: ${total.toFixed(1)} ms (${PHASES.map((p) => `${p} ${phases[p].toFixed(1)}`).join(', ')}), ${result.tables[0]?.rows} rows, ${result.tables[0]?.read}`,
    );
  }
  await warehouse.close();
  await state.close();
  const { medians, counts } = printSummary(rounds, last);
  console.log(
    JSON.stringify({
      name: 'ingest-incremental-phases',
      late_commits: process.env.BENCH_LATE === 'off' ? 'off' : 'default',
      median_ms: +median(rounds.map((r) => r.total)).toFixed(1),
      worst_ms: +Math.max(...rounds.map((r) => r.total)).toFixed(1),
      phases_median_ms: medians,
      ...counts,
      rounds: rounds.map((r) => +r.total.toFixed(1)),
      load_average: os.loadavg().map((l) => +l.toFixed(2)),
    }),
  );
} finally {
  await sourcePool?.close();
  await pgBench.stop();
}
