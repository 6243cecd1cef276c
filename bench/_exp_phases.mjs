import path from 'node:path';
import pg from 'pg';
import { DuckDBConnection } from '@duckdb/node-api';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
import { createVendasTable, startBenchPostgres, VENDAS_YAML, withClient, writeProject } from './_harness.mjs';
const pgBench = await startBenchPostgres();
const log = [];
let t0 = 0;
const mark = (what, start) => { if (t0) log.push([start - t0, `${(start - t0).toFixed(1).padStart(7)} +${(performance.now() - start).toFixed(1).padStart(6)} ${what}`]); };
const wrap = (obj, name, label) => { const orig = obj[name]; obj[name] = async function (...args) { const s = performance.now(); try { return await orig.apply(this, args); } finally { mark(label(args), s); } }; };
wrap(pg.Client.prototype, 'connect', () => 'pg connect');
wrap(pg.Client.prototype, 'end', () => 'pg end');
const origQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (q, ...rest) {
  const s = performance.now(); const r = origQuery.call(this, q, ...rest);
  const text = typeof q === 'string' ? q : (q?.text ?? 'copy-stream');
  if (r && typeof r.then === 'function') r.then(() => mark('pg ' + text.slice(0, 80).replace(/\s+/g, ' '), s), () => {});
  else if (r && r.on) r.on('end', () => mark('pg COPY', s));
  return r;
};
const origRun = DuckDBConnection.prototype.run;
DuckDBConnection.prototype.run = async function (sql, ...rest) { const s = performance.now(); try { return await origRun.call(this, sql, ...rest); } finally { mark('duck ' + sql.slice(0, 60).replace(/\s+/g, ' '), s); } };
try {
  const url = await pgBench.server.createDatabase('bench');
  await withClient(url, async (c) => { await createVendasTable(c, 1_000_000); await c.query(`CREATE INDEX vendas_cursor ON vendas ((COALESCE(data_atualizacao, data_inclusao, '-infinity'::timestamp)), id_vendas)`); });
  const dir = path.join(pgBench.root, 'project');
  await writeProject(dir, url, VENDAS_YAML);
  const project = await loadProjectConfig(dir);
  const warehouse = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
  for (const m of ['ensureTable', 'load']) wrap(warehouse, m, () => 'wh ' + m);
  const state = openStateStore(project);
  for (const m of ['read', 'commit', 'acquireLock']) wrap(state, m, () => 'state ' + m);
  await runIngest({ project, warehouse, state, workDir: path.join(dir, 'work') });
  for (let round = 1; round <= 3; round++) {
    await withClient(url, (client) => client.query(`UPDATE vendas SET valor_pago = valor_pago - 0.01, data_atualizacao = localtimestamp WHERE id_vendas % 100 = ${round}`));
    log.length = 0; t0 = performance.now();
    await runIngest({ project, warehouse, state, workDir: path.join(dir, 'work') });
    const total = performance.now() - t0; t0 = 0;
    console.log(`--- round ${round}: ${total.toFixed(1)} ms`); console.log(log.sort((a, b) => a[0] - b[0]).map((l) => l[1]).join('\n'));
  }
  await warehouse.close(); await state.close();
} finally { await pgBench.stop(); }
