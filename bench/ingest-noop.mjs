// ingest-noop: nothing changed in any of the seven NovaDrive tables. The run must do no warehouse writes and take
// well under a second of warehouse work. Warehouse statements are counted by wrapping the warehouse.
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { loadProjectConfig, openStateStore, runIngest } from '@sluice/pipeline';
import { median, seconds, startBenchPostgres, withClient, writeProject } from './_harness.mjs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const SCALE = Number(process.env.BENCH_SCALE ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WRITE = /^\s*(insert|update|delete|merge|create|alter|drop|copy|truncate|begin)/i;

/** Count statements per kind and the time spent in the warehouse. */
function counting(warehouse, tally) {
  const wrap =
    (name, fn) =>
    async (...args) => {
      const start = performance.now();
      try {
        return await fn(...args);
      } finally {
        tally.seconds += (performance.now() - start) / 1000;
        const sql = typeof args[0] === 'string' ? args[0] : '';
        const write =
          name === 'load' || name === 'ensureSchema' || name === 'dropTable' || (name === 'execute' && WRITE.test(sql));
        if (write) tally.writes.push(`${name}: ${sql.slice(0, 60)}`);
        tally.calls++;
      }
    };
  return new Proxy(warehouse, {
    get(target, key) {
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? wrap(String(key), value.bind(target)) : value;
    },
  });
}

const pgBench = await startBenchPostgres();
try {
  const url = await pgBench.server.createDatabase('novadrive');
  await withClient(url, async (client) => {
    await createNovaDriveSchema(client);
    await generateNovaDrive(client, { scale: SCALE, seed: 1 });
  });
  const tables = (await readFile(fileURLToPath(new URL('../sql-models/sluice.yml', import.meta.url)), 'utf8'))
    .split('\ntables:\n')[1]
    .split('\n# ---')[0];
  const dir = path.join(pgBench.root, 'project');
  await writeProject(dir, url, tables);
  const project = await loadProjectConfig(dir);
  const inner = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
  const state = openStateStore(project);
  await runIngest({ project, warehouse: inner, state, workDir: path.join(dir, 'work') }); // first load
  await runIngest({ project, warehouse: inner, state, workDir: path.join(dir, 'work') }); // settles the watermarks
  const times = [];
  const warehouseSeconds = [];
  let writes = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const tally = { seconds: 0, writes: [], calls: 0 };
    const start = performance.now();
    const result = await runIngest({
      project,
      warehouse: counting(inner, tally),
      state,
      workDir: path.join(dir, 'work'),
    });
    times.push(seconds(start));
    warehouseSeconds.push(tally.seconds);
    writes = writes.concat(tally.writes);
    const changed = result.tables.filter((t) => t.status !== 'unchanged');
    console.log(
      `round ${round}: ${times.at(-1).toFixed(3)} s, warehouse ${tally.seconds.toFixed(3)} s in ${tally.calls} calls, ` +
        `${tally.writes.length} writes, tables changed: ${changed.map((t) => t.table).join(', ') || 'none'}`,
    );
  }
  await inner.close();
  await state.close();
  const s = median(times);
  console.log(
    `median ${s.toFixed(3)} s, warehouse work ${median(warehouseSeconds).toFixed(3)} s, writes ${writes.length}`,
  );
  for (const write of writes.slice(0, 5)) console.log(`  write: ${write}`);
  console.log(
    JSON.stringify({
      name: 'ingest-noop',
      seconds: +s.toFixed(3),
      warehouse_seconds: +median(warehouseSeconds).toFixed(3),
      warehouse_writes: writes.length,
    }),
  );
} finally {
  await pgBench.stop();
}
