import path from 'node:path';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createSourcePool, loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
import { createVendasTable, startBenchPostgres, VENDAS_YAML, withClient, writeProject } from './_harness.mjs';
const pgBench = await startBenchPostgres();
const sourcePool = createSourcePool();
try {
  const url = await pgBench.server.createDatabase('bench');
  await withClient(url, async (client) => {
    await createVendasTable(client, 1_000_000);
    await client.query(`CREATE INDEX vendas_cursor ON vendas ((COALESCE(data_atualizacao, data_inclusao, '-infinity'::timestamp)), id_vendas)`);
  });
  const dir = path.join(pgBench.root, 'project');
  await writeProject(dir, url, VENDAS_YAML);
  const project = await loadProjectConfig(dir);
  const warehouse = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
  const state = openStateStore(project);
  const workDir = path.join(dir, 'work');
  await runIngest({ project, warehouse, state, workDir, sourcePool });
  const perf = spawn('perf', ['record', '-a', '-F', '2000', '-g', '-o', '/tmp/perf.data'], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 1500));
  let busy = 0;
  for (let round = 1; round <= 12; round++) {
    await withClient(url, (c) => c.query(`UPDATE vendas SET valor_pago = valor_pago - 0.01, data_atualizacao = localtimestamp WHERE id_vendas % 100 = ${round % 100}`));
    const cpu0 = process.cpuUsage(); const t0 = performance.now();
    await runIngest({ project, warehouse, state, workDir, sourcePool });
    const cpu = process.cpuUsage(cpu0);
    if (round >= 3) busy += 0;
    console.log(`round ${round}: wall ${(performance.now() - t0).toFixed(1)} ms, node cpu user ${(cpu.user / 1000).toFixed(1)} sys ${(cpu.system / 1000).toFixed(1)} ms`);
  }
  perf.kill('SIGINT'); await new Promise((r) => perf.on('exit', r));
  await warehouse.close(); await state.close();
} finally { await sourcePool.close(); await pgBench.stop(); }
