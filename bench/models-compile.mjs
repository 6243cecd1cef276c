// models-compile: a generated project of 10,000 models (chains and fan-outs, each with refs and config) is loaded,
// rendered and planned. Target: ≤ 2 s. For scale: dbt-core ~3 min for 1,600 models; dbt Fusion states < 0.6 s for 10,000.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { duckDbDialect } from '@sluice/duckdb';
import { compileProject, loadProject, selectNodes } from '@sluice/models';
import { median, seconds } from './_harness.mjs';
import { writeModelProject } from './_model-project.mjs';

const MODELS = Number(process.env.BENCH_MODELS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-models-'));
try {
  await writeModelProject(dir, MODELS);
  const times = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const start = performance.now();
    const { project, errors } = await loadProject(dir);
    if (errors.length > 0) throw new Error(`project did not load: ${errors[0]?.message}`);
    const { nodes } = selectNodes(project, {});
    const compiled = compileProject(project, {
      target: { name: 'bench', type: 'duckdb', schema: 'analytics' },
      dialect: duckDbDialect,
    });
    if (compiled.errors.length > 0) throw new Error(`compile failed: ${compiled.errors[0]?.message}`);
    times.push(seconds(start));
    console.log(
      `round ${round}: ${nodes.length} nodes planned, ${compiled.nodes.size} compiled in ${times.at(-1).toFixed(3)} s`,
    );
  }
  const s = median(times);
  console.log(`median ${s.toFixed(3)} s for ${MODELS.toLocaleString()} models (target ≤ 2 s)`);
  console.log(JSON.stringify({ name: 'models-compile', models: MODELS, seconds: +s.toFixed(3) }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
