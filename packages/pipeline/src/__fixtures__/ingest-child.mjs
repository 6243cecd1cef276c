// Runs one ingest of a project and prints every event as a JSON line, so a test can SIGKILL it at chosen points.
// Usage: node ingest-child.mjs <pipeline-entry.js> <projectDir> <sourceUrl> <home>
import path from 'node:path';

const [entry, projectDir, sourceUrl, home] = process.argv.slice(2);
const { loadProjectConfig, openStateStore, openWarehouse, resolveTarget, runIngest } = await import(entry);
const project = await loadProjectConfig(projectDir, { SLUICE_SOURCE_URL: sourceUrl, SLUICE_HOME: home });
const warehouse = await openWarehouse(project, resolveTarget(project).config);
const state = openStateStore(project);
const say = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
try {
  const result = await runIngest({ project, warehouse, state, workDir: path.join(home, 'work'), onEvent: say });
  say({ type: 'done', status: result.status, tables: result.tables.map((t) => [t.table, t.status, t.error?.message]) });
} finally {
  await warehouse.close();
  await state.close();
}
