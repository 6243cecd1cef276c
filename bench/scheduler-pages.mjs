// scheduler-pages: the daemon's status page, run pages, API and metrics with 10,000 recorded runs, on the file state
// store and on a Postgres one: latency at 10 concurrent requests (p50, p99), startup, and how late scheduled slots
// start while 50 concurrent requests hammer the page. One JSON line per figure: name, runs, p50_ms, p99_ms, errors
// (for startup, p50 and p99 are the one measure; for slots, errors counts slots skipped as late and failed page
// requests). The last line is the worst page p50.
//
//   pnpm bench scheduler-pages   (BENCH_RUNS=10000 BENCH_REQUESTS=300 BENCH_CONCURRENCY=10 BENCH_LOAD_SECONDS=50
//                                 BENCH_STORES=file,postgres BENCH_SLOTS=1)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresStateStore } from '@sluice/watermark';
import { startBenchPostgres, withClient } from './_harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const STORES = (process.env.BENCH_STORES ?? 'file,postgres').split(',');
const SLOTS = process.env.BENCH_SLOTS !== '0';
const LOAD_CONCURRENCY = 50;
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 50);
const DAEMON = fileURLToPath(new URL('../apps/scheduler/dist/bin.js', import.meta.url));
const HOUR = 3_600_000;
const NOVADRIVE_TABLES = ['estados', 'cidades', 'concessionarias', 'vendedores', 'veiculos', 'clientes', 'vendas'];
/** Scheduled slots while the page is hammered: one every 10 s, each run loading one small table. */
const SLOT_CRON = '*/10 * * * * *';

/** A realistic finished run's detail: 7 tables, 15 models, 40 tests, a 60-line log (about 14 KB of JSON). */
function detailOf(i, failed) {
  const at = (s) => new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString();
  const tables = ['estados', 'cidades', 'concessionarias', 'vendedores', 'veiculos', 'clientes', 'vendas'].map(
    (table, t) => ({
      table,
      strategy: t < 2 ? 'full' : 'upsert',
      status: failed && table === 'vendas' ? 'failed' : t < 2 ? 'unchanged' : 'success',
      rows: 100 + ((i * 7 + t) % 900),
      bytes: 40_000 + t * 1000,
      inserted: t < 2 ? 0 : 50 + (i % 40),
      updated: t < 2 ? 0 : i % 13,
      deleted: t < 2 ? 0 : i % 3,
      seconds: 0.2 + t / 10,
      ...(failed && table === 'vendas'
        ? { error: { code: 'COLUMN_NOT_FOUND', message: 'column "data_atualizacao" does not exist in public.vendas' } }
        : {}),
    }),
  );
  const models = Array.from({ length: 15 }, (_, m) => ({
    name: `model_${m}`,
    kind: 'model',
    status: 'success',
    startedAt: at(60 + m * 2),
    seconds: 1.5,
    message: 'table created',
  }));
  const tests = Array.from({ length: 40 }, (_, t) => ({
    name: `not_null_model_${t % 15}_column_${t}`,
    model: `model_${t % 15}`,
    status: 'pass',
    severity: 'error',
    failures: 0,
    startedAt: at(62 + t),
    seconds: 0.05,
    message: 'pass',
  }));
  const log = Array.from({ length: 60 }, (_, l) => ({
    at: at(l),
    level: 'info',
    msg: `table ${tables[l % 7].table} success in 0.42 s: 1204 read, 1100 inserted, 100 updated, 4 deleted, 98133 bytes`,
  }));
  return {
    version: 1,
    scope: { steps: ['ingest', 'build'], runTests: 'after-each-model' },
    attempts: { ingest: 1, build: failed ? 0 : 1 },
    holder: { name: 'sluice-scheduler on bench pid 1', host: 'bench', pid: 1 },
    heartbeatAt: at(120),
    tables,
    models,
    tests,
    log,
    ...(failed
      ? { error: { code: 'TABLES_FAILED', message: 'vendas: column "data_atualizacao" does not exist' } }
      : {}),
  };
}

/** The file store's file name of a run id (its `stateFileName`: plain lower-case as is, else slug~hash). */
function fileNameOf(name) {
  if (/^[a-z0-9_][a-z0-9_.-]{0,99}$/.test(name) && !name.endsWith('.tmp')) return name;
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^[.]+/, '_')
    .slice(0, 60);
  return `${slug}~${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

const runId = (startedAt) =>
  `${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${(startedAt.getTime() / HOUR).toString(16).slice(-6)}`;
const startOf = (i) => new Date(Math.floor(Date.now() / HOUR) * HOUR - (i + 1) * HOUR);

async function fillFileStore(dir) {
  const runs = path.join(dir, 'runs');
  await mkdir(runs, { recursive: true });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < RUNS; i = next++) {
      const startedAt = startOf(i);
      const failed = i % 10 === 3;
      const id = runId(startedAt);
      const record = {
        format: 1,
        id,
        trigger: 'schedule',
        status: failed ? 'failed' : 'success',
        startedAt: startedAt.toISOString(),
        endedAt: new Date(startedAt.getTime() + 150_000).toISOString(),
        detail: detailOf(i, failed),
      };
      await writeFile(path.join(runs, `${fileNameOf(id)}.json`), `${JSON.stringify(record, null, 2)}\n`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

async function fillPostgresStore(url) {
  const store = createPostgresStateStore({ url, schema: 'sluice_state' });
  await store.listRuns({ limit: 1 }); // creates the schema
  await store.close();
  await withClient(url, async (client) => {
    for (let from = 0; from < RUNS; from += 500) {
      const values = [];
      const params = [];
      for (let i = from; i < Math.min(RUNS, from + 500); i++) {
        const startedAt = startOf(i);
        const failed = i % 10 === 3;
        params.push(
          runId(startedAt),
          failed ? 'failed' : 'success',
          startedAt,
          new Date(startedAt.getTime() + 150_000),
          JSON.stringify(detailOf(i, failed)),
        );
        const n = params.length;
        values.push(`($${n - 4}, 'schedule', $${n - 3}, $${n - 2}, $${n - 1}, $${n}::jsonb)`);
      }
      await client.query(
        `INSERT INTO sluice_state.runs (id, trigger, status, started_at, ended_at, detail) VALUES ${values.join(',')}`,
        params,
      );
    }
    await client.query('ANALYZE sluice_state.runs');
  });
}

async function writeProject(dir, sourceUrl, state, cron, tables = NOVADRIVE_TABLES) {
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
${state}
tables:
${tables.map((table) => `  ${table}: { strategy: full }`).join('\n')}
schedule:
  cron: "${cron}"
  catch_up: skip
  keep_history: 1000d
  retries: { attempts: 1 }
`,
  );
}

/** Start the built daemon; resolves once the scheduler has started, with its URL, startup time and log lines. */
async function startDaemon(project, env) {
  const started = performance.now();
  const child = spawn(process.execPath, [DAEMON, '--project', project, '--port', '0', '--log-format', 'json'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = [];
  let buffer = '';
  let url;
  const ready = new Promise((resolve, reject) => {
    const take = (chunk) => {
      buffer += chunk.toString('utf8');
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        try {
          const entry = JSON.parse(line);
          logs.push(entry);
          if (entry.msg === 'listening') url = entry.url;
          if (entry.msg === 'scheduler started') resolve(performance.now() - started);
        } catch {
          if (line.trim()) process.stderr.write(`${line}\n`);
        }
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => reject(new Error(`the daemon exited (${code}) before it started`)));
  });
  const startupMs = await ready;
  return {
    url,
    startupMs,
    logs,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** `total` GETs of `url`, `concurrency` at a time: latencies and errors. */
async function hammer(url, total, concurrency) {
  const latencies = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const start = performance.now();
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors };
}

const figures = [];
function report(name, latencies, errors) {
  const figure = {
    name,
    runs: RUNS,
    p50_ms: +percentile(latencies, 50).toFixed(1),
    p99_ms: +percentile(latencies, 99).toFixed(1),
    errors,
  };
  figures.push(figure);
  console.log(JSON.stringify(figure));
}

async function measureStore(label, project, env) {
  const daemon = await startDaemon(project, env);
  report(`${label} startup`, [daemon.startupMs], 0);
  try {
    const newest = runId(startOf(0));
    const routes = ['/', '/api/status', '/api/runs', '/metrics', '/runs', `/runs/${newest}`, `/api/runs/${newest}`];
    for (const route of routes) await fetch(`${daemon.url}${route}`).then((r) => r.arrayBuffer()); // warm
    for (const route of routes) {
      const { latencies, errors } = await hammer(`${daemon.url}${route}`, REQUESTS, CONCURRENCY);
      report(`${label} GET ${route.replace(newest, ':id')} x${CONCURRENCY}`, latencies, errors);
    }
  } finally {
    await daemon.stop();
  }
}

/**
 * Scheduled slots every 10 s while 50 requests at a time hit the page: how late each slot's run started (the
 * runs load one small table, so no slot waits for the run before it).
 */
async function measureSlots(label, project, env) {
  const daemon = await startDaemon(project, env);
  try {
    // A daemon that has run for a while: its first look back through the history is done.
    await fetch(`${daemon.url}/`).then((r) => r.arrayBuffer());
    const loadStart = Date.now();
    const until = performance.now() + LOAD_SECONDS * 1000;
    const load = (async () => {
      let requests = 0;
      let errors = 0;
      const worker = async () => {
        while (performance.now() < until) {
          try {
            const response = await fetch(`${daemon.url}/`);
            await response.arrayBuffer();
            if (response.status !== 200) errors++;
          } catch {
            errors++;
          }
          requests++;
        }
      };
      await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
      return { requests, errors };
    })();
    const { requests, errors } = await load;
    // A slot that came while the run before it still ran waits for it by design (one run at a time): only the
    // slots free to start show how late the scheduler itself was.
    const finishedAt = daemon.logs.filter((l) => l.msg === 'run finished').map((l) => Date.parse(l.time));
    const claims = daemon.logs.filter((l) => l.msg === 'slot claimed' || l.msg === 'slot claimed (late: catch-up run)');
    // A slot before the load began passed while the daemon started (run as an on-time catch-up): left out too.
    const free = claims.filter((claim, index) => {
      const slot = Date.parse(claim.slot);
      if (slot < loadStart) return false;
      if (index === 0) return true;
      return finishedAt.some((at) => at <= slot && at >= Date.parse(claims[index - 1].time));
    });
    const lateness = free.map((l) => Date.parse(l.time) - Date.parse(l.slot));
    const skipped = daemon.logs.filter((l) => l.msg === 'late slot skipped (catch_up: skip)').length;
    const runSeconds = daemon.logs.filter((l) => l.msg === 'run finished').map((l) => Number(l.seconds).toFixed(1));
    console.log(
      `${label}: ${requests} page requests in ${LOAD_SECONDS} s (${errors} errors), ${claims.length} slots started (${claims.length - free.length} came before the load or waited for the run before; runs took ${runSeconds.join(', ')} s), ${skipped} skipped as late`,
    );
    report(
      `${label} slot start lateness under ${LOAD_CONCURRENCY} concurrent page requests`,
      lateness,
      skipped + errors,
    );
  } finally {
    await daemon.stop();
  }
}

const pg = await startBenchPostgres();
try {
  const sourceUrl = await pg.server.createDatabase('source');
  const stateUrl = await pg.server.createDatabase('state');

  const fileProject = path.join(pg.root, 'file-project');
  const pgProject = path.join(pg.root, 'pg-project');
  if (STORES.includes('file')) {
    const t = performance.now();
    await fillFileStore(path.join(fileProject, 'state'));
    console.log(`file store: ${RUNS} run files written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await writeProject(fileProject, sourceUrl, '  type: file\n  dir: state', '0 0 1 1 *');
    await measureStore('file', fileProject, {});
  }
  if (STORES.includes('postgres')) {
    const t = performance.now();
    await fillPostgresStore(stateUrl);
    console.log(`postgres store: ${RUNS} runs inserted in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await writeProject(pgProject, sourceUrl, '  type: postgres\n  url: ${env:SLUICE_STATE_URL}', '0 0 1 1 *');
    await measureStore('postgres', pgProject, { SLUICE_STATE_URL: stateUrl });
  }

  // The same projects with a slot every 10 seconds, loading one small table of the source.
  if (SLOTS) {
    await withClient(sourceUrl, async (client) => {
      await client.query('CREATE TABLE small (id integer PRIMARY KEY, name text)');
      await client.query("INSERT INTO small SELECT i, 'row ' || i FROM generate_series(1, 100) AS i");
    });
    if (STORES.includes('file')) {
      await writeProject(fileProject, sourceUrl, '  type: file\n  dir: state', SLOT_CRON, ['small']);
      await measureSlots('file', fileProject, {});
    }
    if (STORES.includes('postgres')) {
      await writeProject(pgProject, sourceUrl, '  type: postgres\n  url: ${env:SLUICE_STATE_URL}', SLOT_CRON, [
        'small',
      ]);
      await measureSlots('postgres', pgProject, { SLUICE_STATE_URL: stateUrl });
    }
  }

  const pages = figures.filter((f) => f.name.includes(' GET '));
  const worst = pages.reduce((a, b) => (b.p50_ms > a.p50_ms ? b : a));
  console.log(
    `worst p50 at ${CONCURRENCY} concurrent requests: ${worst.p50_ms} ms (${worst.name}); target under 100 ms`,
  );
  console.log(
    JSON.stringify({
      name: 'scheduler-pages worst p50',
      runs: RUNS,
      p50_ms: worst.p50_ms,
      p99_ms: Math.max(...pages.map((f) => f.p99_ms)),
      errors: pages.reduce((sum, f) => sum + f.errors, 0),
    }),
  );
} finally {
  await pg.stop();
}
