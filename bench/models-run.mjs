// models-run: 500 trivial view models on DuckDB at --threads 4. Measures, in the same run, the wall time and the
// time DuckDB spends in statements (the union of the intervals in which at least one statement was running), and
// reports the runner's overhead per model: (wall − statement time) / models. Target: < 5 ms per model.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { loadProject, runProject } from '@sluice/models';
import { median } from './_harness.mjs';
import { writeModelProject } from './_model-project.mjs';

const MODELS = Number(process.env.BENCH_MODELS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** A warehouse that records when each statement ran. */
function timed(warehouse, intervals) {
  const wrap =
    (fn) =>
    async (...args) => {
      const start = performance.now();
      try {
        return await fn(...args);
      } finally {
        intervals.push([start, performance.now()]);
      }
    };
  return new Proxy(warehouse, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (key === 'execute' || key === 'query' || key === 'describeTable' || key === 'ensureSchema')
        return wrap(value.bind(target));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function union(intervals) {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [start, end] = sorted[0] ?? [0, 0];
  for (const [s, e] of sorted.slice(1)) {
    if (s > end) {
      total += end - start;
      [start, end] = [s, e];
    } else end = Math.max(end, e);
  }
  return (total + (end - start)) / 1000;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-run-'));
try {
  await writeModelProject(dir, MODELS, { trivial: true });
  const { project, errors } = await loadProject(dir);
  if (errors.length > 0) throw new Error(errors[0]?.message);
  const walls = [];
  const busy = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const warehouse = await createDuckDbWarehouse({ path: path.join(dir, `wh-${round}.duckdb`) });
    const intervals = [];
    const start = performance.now();
    const run = await runProject(project, timed(warehouse, intervals), {
      target: { name: 'bench', type: 'duckdb', schema: 'analytics' },
      threads: 4,
      runTests: 'none',
    });
    const wall = (performance.now() - start) / 1000;
    await warehouse.close();
    if (run.status !== 'success')
      throw new Error(`run ${run.status}: ${run.results.find((r) => r.status === 'error')?.message}`);
    walls.push(wall);
    busy.push(union(intervals));
    console.log(
      `round ${round}: ${MODELS} views in ${wall.toFixed(3)} s, statements busy ${busy.at(-1).toFixed(3)} s (${intervals.length} calls)`,
    );
  }
  const w = median(walls);
  const b = median(busy);
  const overhead = ((w - b) / MODELS) * 1000;
  console.log(
    `median: wall ${w.toFixed(3)} s, statements ${b.toFixed(3)} s, overhead ${overhead.toFixed(2)} ms per model (target < 5)`,
  );
  console.log(
    JSON.stringify({
      name: 'models-run',
      models: MODELS,
      seconds: +w.toFixed(3),
      statement_seconds: +b.toFixed(3),
      overhead_ms_per_model: +overhead.toFixed(3),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
