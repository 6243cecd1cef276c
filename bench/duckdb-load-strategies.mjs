// Measures how the DuckDB warehouse loads a 1,000,000-row, 8-column chunk set (vendas-shaped), and compares the
// two ways of applying a merge: DELETE+INSERT (what `load` does) and DuckDB's MERGE INTO over the same staged batch.
// Not a test. Run after a build:  pnpm --filter @sluice/duckdb build && node packages/duckdb/bench/load-strategies.mjs
// Prints one line per step and, last, one JSON object with the figures.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbWarehouse, planLoad } from '@sluice/duckdb';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
// MEMORY_LIMIT (e.g. 256MB) bounds DuckDB's memory for the DELETE+INSERT part; larger work spills to disk.
const MEMORY_LIMIT = process.env.MEMORY_LIMIT;
const FILES = 4;
const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-duckdb-bench-'));

const table = {
  schema: 'raw',
  name: 'vendas',
  primaryKey: ['id_vendas'],
  columns: [
    { name: 'id_vendas', type: { kind: 'integer' }, nullable: false },
    { name: 'id_veiculos', type: { kind: 'integer' }, nullable: false },
    { name: 'id_concessionarias', type: { kind: 'integer' }, nullable: false },
    { name: 'id_vendedores', type: { kind: 'integer' }, nullable: false },
    { name: 'id_clientes', type: { kind: 'integer' }, nullable: false },
    { name: 'valor_pago', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: false },
    { name: 'data_venda', type: { kind: 'timestamp' }, nullable: true },
    { name: 'data_atualizacao', type: { kind: 'timestamp' }, nullable: true },
  ],
};
const columns = table.columns.map((c) => c.name);

/** Chunk files in Postgres CSV, `version` changing the values; `every` picks every n-th key. */
async function writeChunks(name, version, every = 1) {
  const files = [];
  const perFile = Math.ceil(ROWS / FILES);
  for (let f = 0; f < FILES; f += 1) {
    const file = path.join(dir, `${name}-${f}.csv`);
    const out = createWriteStream(file);
    let buffer = '';
    let rows = 0;
    for (let id = f * perFile + 1; id <= Math.min(ROWS, (f + 1) * perFile); id += 1) {
      if (id % every !== 0) continue;
      const micros = String((id * 7919 + version) % 1_000_000).padStart(6, '0');
      const ts = `2024-${String(1 + (id % 12)).padStart(2, '0')}-${String(1 + (id % 28)).padStart(2, '0')} 1${id % 10}:2${id % 10}:3${id % 10}.${micros}`;
      buffer += `${id},${id % 500},${id % 50},${id % 300},${id % 100_000},${30000 + ((id + version) % 170_000)}.${String(id % 100).padStart(2, '0')},${ts},${id % 3 === 0 ? '' : ts}\n`;
      rows += 1;
      if (buffer.length > 1 << 20) {
        if (!out.write(buffer)) await once(out, 'drain');
        buffer = '';
      }
    }
    out.end(buffer);
    await once(out, 'finish');
    files.push({ path: file, rows, bytes: (await stat(file)).size, format: 'csv' });
  }
  return files;
}

async function timed(label, work) {
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(44)} ${seconds.toFixed(3)} s`);
  return { seconds, result };
}

const initial = await writeChunks('initial', 0);
const changedAll = await writeChunks('all', 1);
const changedOnePercent = await writeChunks('one-percent', 2, 100);
const figures = {};

// 1. What `load` does (DELETE+INSERT), end to end through the public API.
{
  const warehouse = await createDuckDbWarehouse({
    path: path.join(dir, 'delete-insert.duckdb'),
    ...(MEMORY_LIMIT ? { memoryLimit: MEMORY_LIMIT } : {}),
  });
  await warehouse.ensureTable(table);
  figures.readCsvOnly = (
    await timed('read_csv of the files alone (count(*))', () =>
      warehouse.query(
        `SELECT count(*) AS n FROM read_csv([${initial.map((f) => `'${f.path}'`).join(', ')}], header = false, auto_detect = true)`,
      ),
    )
  ).seconds;
  const request = (files) => ({ table, columns, files, mode: 'merge', newestBy: ['data_atualizacao'] });
  figures.deleteInsertInitial = (
    await timed('load merge, empty table (DELETE+INSERT)', () => warehouse.load(request(initial)))
  ).seconds;
  figures.deleteInsertAll = (
    await timed('load merge, every row changed (DELETE+INSERT)', () => warehouse.load(request(changedAll)))
  ).seconds;
  figures.deleteInsertOnePercent = (
    await timed('load merge, 1% changed (DELETE+INSERT)', () => warehouse.load(request(changedOnePercent)))
  ).seconds;
  figures.replace = (
    await timed('load replace (DELETE all + INSERT)', () => warehouse.load({ ...request(initial), mode: 'replace' }))
  ).seconds;
  await warehouse.close();
  figures.peakRssMbAfterDeleteInsert = process.resourceUsage().maxRSS / 1024;
}

// 2. The same staging, applied with MERGE INTO instead (counts need an extra query; kept out of the timing).
{
  const instance = await DuckDBInstance.create(path.join(dir, 'merge.duckdb'));
  const connection = await instance.connect();
  const described = { schema: 'raw', name: 'vendas', kind: 'table', primaryKey: ['id_vendas'], columns: [] };
  await connection.run(`CREATE SCHEMA raw; CREATE TABLE raw.vendas (id_vendas INTEGER, id_veiculos INTEGER, id_concessionarias INTEGER,
    id_vendedores INTEGER, id_clientes INTEGER, valor_pago DECIMAL(10,2), data_venda TIMESTAMP, data_atualizacao TIMESTAMP,
    _sluice_synced_at TIMESTAMPTZ)`);
  const physical = ['INTEGER', 'INTEGER', 'INTEGER', 'INTEGER', 'INTEGER', 'DECIMAL(10,2)', 'TIMESTAMP', 'TIMESTAMP'];
  const withColumns = {
    ...described,
    columns: columns.map((name, i) => ({
      name,
      storage: physical[i],
      type: table.columns[i].type,
      nullable: true,
      recorded: true,
    })),
  };
  const mergeSql = (files) => {
    const steps = planLoad({ table, columns, files, mode: 'merge', newestBy: ['data_atualizacao'] }, withColumns).steps;
    const stage = steps.find((s) => s.role === 'stage').sql;
    const dedupe = `SELECT * FROM "__sluice_stage" QUALIFY row_number() OVER (PARTITION BY "id_vendas" ORDER BY "data_atualizacao" DESC NULLS LAST, rowid DESC) = 1`;
    const set = columns
      .filter((c) => c !== 'id_vendas')
      .map((c) => `"${c}" = "source"."${c}"`)
      .join(', ');
    return [
      'BEGIN TRANSACTION',
      stage,
      `MERGE INTO raw.vendas AS "target" USING (${dedupe}) AS "source" ON "target"."id_vendas" = "source"."id_vendas"
       WHEN MATCHED THEN UPDATE SET ${set}, "_sluice_synced_at" = now()
       WHEN NOT MATCHED THEN INSERT (${columns.map((c) => `"${c}"`).join(', ')}, "_sluice_synced_at") VALUES (${columns.map((c) => `"source"."${c}"`).join(', ')}, now())`,
      'DROP TABLE "__sluice_stage"',
      'COMMIT',
    ];
  };
  const run = async (files) => {
    for (const sql of mergeSql(files)) await connection.run(sql);
  };
  figures.mergeInitial = (await timed('MERGE INTO, empty table', () => run(initial))).seconds;
  figures.mergeAll = (await timed('MERGE INTO, every row changed', () => run(changedAll))).seconds;
  figures.mergeOnePercent = (await timed('MERGE INTO, 1% changed', () => run(changedOnePercent))).seconds;
  connection.closeSync();
  instance.closeSync();
}

await rm(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    name: 'duckdb-load-strategies',
    rows: ROWS,
    files: FILES,
    cpus: os.cpus().length,
    ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(3))])),
  }),
);
