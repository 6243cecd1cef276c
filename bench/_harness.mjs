// Shared pieces of the benchmarks: a throwaway Postgres, a vendas-shaped table, a one-table Sluice project.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { startLocalPostgres } from '@sluice/local-postgres';

/** Start a throwaway Postgres (removed by `stop`). */
export async function startBenchPostgres() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-'));
  await chmod(root, 0o755);
  const server = await startLocalPostgres({ dataDir: path.join(root, 'pg'), persistent: false, durable: false });
  return {
    root,
    server,
    async stop() {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The raw-tools floor's first tool: the vendas table through `COPY … TO STDOUT` into a CSV file, nothing else. */
export async function copyVendasToCsv(url, csv) {
  await withClient(url, (client) =>
    pipeline(client.query(copyTo('COPY (SELECT * FROM vendas) TO STDOUT (FORMAT csv)')), createWriteStream(csv)),
  );
}

/** The raw-tools floor's second tool: that CSV into a new DuckDB file with `read_csv`, its columns named. */
export async function loadCsvIntoDuckDb(file, csv) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE vendas AS SELECT * FROM read_csv('${csv}', header = false, columns = {
    'id_vendas': 'INTEGER', 'id_veiculos': 'INTEGER', 'id_concessionarias': 'INTEGER', 'id_vendedores': 'INTEGER',
    'id_clientes': 'INTEGER', 'valor_pago': 'DECIMAL(10,2)', 'data_venda': 'TIMESTAMP', 'data_inclusao': 'TIMESTAMP',
    'data_atualizacao': 'TIMESTAMP'})`);
  connection.closeSync();
  instance.closeSync();
}

/** A table shaped like NovaDrive's vendas, with `rows` rows made server-side (never row by row). */
export async function createVendasTable(client, rows, name = 'vendas') {
  await client.query(`DROP TABLE IF EXISTS ${name}`);
  await client.query(`CREATE TABLE ${name} (
    id_vendas integer PRIMARY KEY,
    id_veiculos integer NOT NULL,
    id_concessionarias integer NOT NULL,
    id_vendedores integer NOT NULL,
    id_clientes integer NOT NULL,
    valor_pago numeric(10,2) NOT NULL,
    data_venda timestamp,
    data_inclusao timestamp,
    data_atualizacao timestamp)`);
  await client.query(`INSERT INTO ${name}
    SELECT i::int, (1 + i % 40)::int, (1 + i % 25)::int, (1 + i % 120)::int, (1 + (i * 7) % 50000)::int,
           round((30000 + (i * 7919) % 170000 + ((i * 31) % 100) / 100.0)::numeric, 2),
           timestamp '2023-01-01' + (i % 730) * interval '1 day' + (i % 86400) * interval '1 second' + (i % 1000) * interval '1 microsecond',
           timestamp '2023-01-01' + (i % 730) * interval '1 day',
           CASE WHEN i % 10 = 0 THEN timestamp '2024-06-01' + (i % 1000) * interval '1 minute' END
      FROM generate_series(1::bigint, ${rows}::bigint) AS i`);
  await client.query(`CREATE INDEX ON ${name} (data_atualizacao)`);
  await client.query(`VACUUM ANALYZE ${name}`);
}

/** A Sluice project folder loading the listed tables (yaml fragment per table) into a DuckDB file. */
export async function writeProject(dir, sourceUrl, tablesYaml) {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'sluice.yml'),
    `name: bench
source:
  url: ${sourceUrl}
targets:
  dev:
    type: duckdb
    path: warehouse.duckdb
target: dev
state:
  type: file
  dir: state
tables:
${tablesYaml}`,
  );
}

export const VENDAS_YAML = `  vendas:
    strategy: upsert
    cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_vendas]
`;

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function seconds(start) {
  return (performance.now() - start) / 1000;
}
