// Child of ingest-memory: loads one project and reports its own peak RSS (getrusage maxrss) as JSON.
import path from 'node:path';
import { loadProjectConfig, openStateStore, openWarehouse, resolveTarget, runIngest } from '@sluice/pipeline';

const dir = process.argv[2];
const project = await loadProjectConfig(dir);
const warehouse = await openWarehouse(project, resolveTarget(project).config);
const state = openStateStore(project);
const start = performance.now();
const result = await runIngest({ project, warehouse, state, workDir: path.join(dir, 'work') });
const seconds = (performance.now() - start) / 1000;
await warehouse.close();
await state.close();
process.stdout.write(
  `${JSON.stringify({ status: result.status, rows: result.tables[0]?.rows, seconds, maxRssKb: process.resourceUsage().maxRSS, error: result.tables[0]?.error })}\n`,
);
