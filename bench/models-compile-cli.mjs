// models-compile-cli: `sluice compile` and `sluice ls` of a generated 10,000-model project, each as a whole process
// (node start, imports, project load, render, writing target/: compiled SQL per node and manifest.json, what
// `dbt compile` writes). Targets (issue 18): compile ≤ 2 s, ls ≤ 1 s. The baseline, measured in the same run, is the
// same load + compile in this process (bench models-compile's measure): the ratio is what the process costs on top.
// Each round's `compile` writes into an empty target/ (every file created anew). The previous round's target/ is moved
// aside, not deleted, until the end: on this machine's ext4 (no journal), creating files within minutes of deleting
// as many in the same place makes the kernel step over each recently deleted inode for every new one
// (`recently_deleted` in `__ext4_new_inode`, seen with perf) — 2–5 s for 10,000 files, whoever writes them. That is
// the bench's own rm, not the compile. `recompile` is the everyday case: `compile` again over an existing target/.
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { duckDbDialect } from '@sluice/duckdb';
import { compileProject, loadProject } from '@sluice/models';
import { median, seconds } from './_harness.mjs';
import { writeModelProject } from './_model-project.mjs';

const MODELS = Number(process.env.BENCH_MODELS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'apps', 'cli', 'dist', 'bin.js');
const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-compile-cli-'));

function timed(args) {
  const start = performance.now();
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  const s = seconds(start);
  if (result.status !== 0) throw new Error(`sluice ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return s;
}

try {
  await writeModelProject(dir, MODELS);
  await appendFile(
    path.join(dir, 'sluice.yml'),
    'targets:\n  dev:\n    type: duckdb\n    path: warehouse.duckdb\ntarget: dev\n',
  );
  const compileTimes = [];
  const recompileTimes = [];
  const lsTimes = [];
  const inProcess = [];
  await mkdir(path.join(dir, 'previous'));
  for (let round = 1; round <= ROUNDS; round++) {
    if (round > 1) await rename(path.join(dir, 'target'), path.join(dir, 'previous', `target-${round}`));
    compileTimes.push(timed(['compile']));
    recompileTimes.push(timed(['compile']));
    lsTimes.push(timed(['ls']));
    const start = performance.now();
    const { project, errors } = await loadProject(dir);
    if (errors.length > 0) throw new Error(`project did not load: ${errors[0]?.message}`);
    const compiled = compileProject(project, {
      target: { name: 'dev', type: 'duckdb', schema: 'main' },
      dialect: duckDbDialect,
    });
    if (compiled.errors.length > 0) throw new Error(`compile failed: ${compiled.errors[0]?.message}`);
    inProcess.push(seconds(start));
    console.log(
      `round ${round}: sluice compile ${compileTimes.at(-1).toFixed(2)} s (again: ${recompileTimes.at(-1).toFixed(2)} s), ` +
        `sluice ls ${lsTimes.at(-1).toFixed(2)} s, ` +
        `in-process load+compile ${inProcess.at(-1).toFixed(2)} s (load average ${os.loadavg()[0].toFixed(1)})`,
    );
  }
  const compileS = median(compileTimes);
  const lsS = median(lsTimes);
  const recompileS = median(recompileTimes);
  const baseline = median(inProcess);
  console.log(
    `median: compile ${compileS.toFixed(2)} s (target ≤ 2 s), again ${recompileS.toFixed(2)} s, ls ${lsS.toFixed(2)} s (target ≤ 1 s), ` +
      `in-process ${baseline.toFixed(2)} s, ${os.cpus().length} cores`,
  );
  console.log(
    JSON.stringify({
      name: 'models-compile-cli',
      models: MODELS,
      compile_seconds: +compileS.toFixed(3),
      recompile_seconds: +recompileS.toFixed(3),
      ls_seconds: +lsS.toFixed(3),
      in_process_seconds: +baseline.toFixed(3),
      compile_ratio: +(compileS / baseline).toFixed(2),
      ls_ratio: +(lsS / baseline).toFixed(2),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
