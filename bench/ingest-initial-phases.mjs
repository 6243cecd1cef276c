// ingest-initial-phases: where a first load's time goes (a profile, not a target). The ingest-initial table
// (BENCH_ROWS, default 1,000,000), loaded BENCH_ROUNDS times (default 3) into a new project and DuckDB file each.
// Every Postgres query and connect, DuckDB statement and fsync of a round is timed by wrapping the drivers' methods
// (as ingest-incremental-phases does; nothing in the pipeline changes), and each round is cut into phases at the
// run's own events:
//   positions  from the start to `positions-read` (run lock, work folder, warehouse positions);
//   to-copy    to the first COPY (source connections, catalog, snapshot, helpers; the warehouse table created);
//   copy       the COPY to `table-loading` (rows streamed into chunk files, the upper bound read alongside);
//   load       to `table-committed` (the DuckDB transaction: insert, state row, commit);
//   finish     to the end (the state store's copy, cleanup, lock release).
// Prints each phase's median, the counts of one round and, with BENCH_TIMELINE=1, the last round's timeline (its
// statements cut to BENCH_SQL_WIDTH characters, default 120); last, one JSON line.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
import { begin, end, now, PHASES, phasesOf, printSummary } from './_driver-calls.mjs';
import {
  copyVendasToCsv,
  createVendasTable,
  loadCsvIntoDuckDb,
  median,
  startBenchPostgres,
  VENDAS_YAML,
  withClient,
  writeProject,
} from './_harness.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** BENCH_BASELINE=1: the two raw tools of ingest-initial before each round, each timed with its CPU. */
async function baseline(url, pgBench, round) {
  const csv = path.join(pgBench.root, `baseline-${round}.csv`);
  let cpu = process.cpuUsage();
  const pgCpu = await postgresCpuMs(pgBench.server.dataDir);
  let start = performance.now();
  await copyVendasToCsv(url, csv);
  const copyMs = performance.now() - start;
  let used = process.cpuUsage(cpu);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const copyPg = (await postgresCpuMs(pgBench.server.dataDir)) - pgCpu;
  const copyNode = (used.user + used.system) / 1000;
  cpu = process.cpuUsage();
  start = performance.now();
  await loadCsvIntoDuckDb(path.join(pgBench.root, `baseline-${round}.duckdb`), csv);
  const duckMs = performance.now() - start;
  used = process.cpuUsage(cpu);
  await fs.rm(csv, { force: true });
  console.log(
    `baseline ${round}: ${(copyMs + duckMs).toFixed(1)} ms (copy ${copyMs.toFixed(1)}, duckdb ${duckMs.toFixed(1)}), cpu: copy node ${copyNode.toFixed(0)} ms postgres ${copyPg} ms, duckdb ${((used.user + used.system) / 1000).toFixed(0)} ms`,
  );
}

/**
 * CPU time (ms) of the bench's Postgres server: its live processes, and through the postmaster's `cutime` those
 * that ended (a helper connection's backend). Linux only; 0 elsewhere.
 */
async function postgresCpuMs(dataDir) {
  const postmaster = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0];
  const entries = await fs.readdir('/proc').catch(() => []);
  let ticks = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    // This server's postmaster and its children (fields[1]: the parent's pid).
    if (entry !== postmaster && fields[1] !== postmaster) continue;
    // utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 after the command.
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks * 10;
}

const pgBench = await startBenchPostgres();
try {
  const url = await pgBench.server.createDatabase('bench');
  await withClient(url, (client) => createVendasTable(client, ROWS));
  const rounds = [];
  let last;
  for (let round = 1; round <= ROUNDS; round++) {
    const dir = path.join(pgBench.root, `round-${round}`);
    if (process.env.BENCH_BASELINE === '1') await baseline(url, pgBench, round);
    await writeProject(dir, url, VENDAS_YAML);
    const project = await loadProjectConfig(dir);
    const warehouse = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
    const state = openStateStore(project);
    const events = {};
    const cpu = process.cpuUsage();
    const pgCpu = await postgresCpuMs(pgBench.server.dataDir);
    begin();
    const result = await runIngest({
      project,
      warehouse,
      state,
      workDir: path.join(dir, 'work'),
      onEvent: (event) => {
        events[event.type] ??= now();
      },
    });
    const total = now();
    const used = process.cpuUsage(cpu);
    // Backends of the run's connections may still be ending: their CPU reaches the postmaster once they have.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const postgresCpu = (await postgresCpuMs(pgBench.server.dataDir)) - pgCpu;
    const recorded = end();
    await warehouse.close();
    await state.close();
    if (result.status !== 'success') throw new Error(JSON.stringify(result.tables));
    const phases = phasesOf(recorded, events, total);
    const nodeCpu = (used.user + used.system) / 1000;
    rounds.push({ total, phases, nodeCpu, postgresCpu });
    last = recorded;
    console.log(
      `round ${round}: ${total.toFixed(1)} ms (${PHASES.map((p) => `${p} ${phases[p].toFixed(1)}`).join(', ')}), cpu: node ${nodeCpu.toFixed(0)} ms, postgres ${postgresCpu} ms`,
    );
  }
  const { medians, counts } = printSummary(rounds, last);
  console.log(
    JSON.stringify({
      name: 'ingest-initial-phases',
      rows: ROWS,
      median_ms: +median(rounds.map((r) => r.total)).toFixed(1),
      phases_median_ms: medians,
      node_cpu_median_ms: +median(rounds.map((r) => r.nodeCpu)).toFixed(0),
      postgres_cpu_median_ms: median(rounds.map((r) => r.postgresCpu)),
      ...counts,
      rounds: rounds.map((r) => +r.total.toFixed(1)),
      load_average: os.loadavg().map((l) => +l.toFixed(2)),
    }),
  );
} finally {
  await pgBench.stop();
}
