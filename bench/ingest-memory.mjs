// ingest-memory: peak RSS of the process loading a 5,000,000-row table stays under 300 MB: everything streams.
// The loader runs in a child process that reports its own peak RSS (getrusage). The DuckDB target is given a
// memory_limit of 64MB and rows up to 4 MiB (DuckDB otherwise caches up to 80% of RAM by design, and buffers each
// file read in parallel at twice the longest row allowed); beyond its limit DuckDB spills to disk.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVendasTable, startBenchPostgres, VENDAS_YAML, withClient, writeProject } from './_harness.mjs';
import { writeFile, readFile } from 'node:fs/promises';

const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const LIMIT = process.env.BENCH_DUCKDB_MEMORY ?? '64MB';
const THREADS = process.env.BENCH_DUCKDB_THREADS ?? '2';
const child = fileURLToPath(new URL('./_ingest-child.mjs', import.meta.url));

const pgBench = await startBenchPostgres();
try {
  const url = await pgBench.server.createDatabase('bench');
  await withClient(url, (client) => createVendasTable(client, ROWS));
  const dir = path.join(pgBench.root, 'project');
  await writeProject(dir, url, VENDAS_YAML);
  const yml = path.join(dir, 'sluice.yml');
  await writeFile(
    yml,
    (await readFile(yml, 'utf8')).replace(
      'path: warehouse.duckdb',
      `path: warehouse.duckdb\n    memory_limit: ${LIMIT}\n    threads: ${THREADS}\n    max_row_mb: 4`,
    ),
  );
  const run = spawnSync(process.execPath, [child, dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  const report = JSON.parse(run.stdout.trim().split('\n').at(-1));
  if (report.status !== 'success') throw new Error(JSON.stringify(report));
  const peak = report.maxRssKb / 1024;
  console.log(
    `${report.rows.toLocaleString()} rows loaded in ${report.seconds.toFixed(1)} s; peak RSS ${peak.toFixed(0)} MB (target < 300 MB; DuckDB memory_limit ${LIMIT}, threads ${THREADS}, max_row_mb 4)`,
  );
  console.log(
    JSON.stringify({
      name: 'ingest-memory',
      rows: report.rows,
      peak_rss_mb: +peak.toFixed(1),
      duckdb_memory_limit: LIMIT,
      duckdb_threads: Number(THREADS),
    }),
  );
} finally {
  await pgBench.stop();
}
