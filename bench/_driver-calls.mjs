// The driver calls of a recorded ingest round, for the phase profiles (ingest-incremental-phases,
// ingest-initial-phases): every Postgres query and connect, DuckDB statement and connect, and fsync, timed by wrapping
// the drivers' methods (nothing in the pipeline changes).
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { median } from './_harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// The driver modules the packages themselves load (pnpm gives each package its own resolution).
const pg = createRequire(path.join(here, '../packages/pg-extract/package.json'))('pg');
const duckdb = createRequire(path.join(here, '../packages/duckdb/package.json'))('@duckdb/node-api');

/** The calls of the round being recorded (undefined: not recording), timed from `begin()`. */
let calls;
let t0 = 0;

/** Milliseconds since the recording began. */
export const now = () => performance.now() - t0;

/** Start recording a round: its calls are timed from now. */
export function begin() {
  calls = [];
  t0 = performance.now();
}

/** Stop recording; the round's calls: `{ kind, what, start, end }`. */
export function end() {
  const recorded = calls;
  calls = undefined;
  return recorded;
}

/** Wrap `proto[name]` (a method returning a promise or a stream) to record its calls while a round is recorded. */
function record(proto, name, kind, describe) {
  const original = proto[name];
  if (typeof original !== 'function') return;
  proto[name] = function (...args) {
    const start = now();
    const result = original.apply(this, args);
    if (!calls || !result) return result;
    const what = describe(args, this);
    const done = () => calls?.push({ kind, what, start, end: now() });
    if (typeof result.then === 'function') result.then(done, done);
    // A COPY is a submittable stream: timed to its end.
    else if (typeof result.once === 'function') result.once('end', done).once('error', done);
    return result;
  };
}

const ids = new WeakMap();
let nextId = 0;
const clientId = (client) => {
  if (!ids.has(client)) ids.set(client, ++nextId);
  return `c${ids.get(client)}`;
};
const text = (value) =>
  String(value)
    .replace(/\s+/g, ' ')
    .slice(0, Number(process.env.BENCH_SQL_WIDTH ?? 120));
record(pg.Client.prototype, 'query', 'pg', ([query], client) => `${clientId(client)} ${text(query?.text ?? query)}`);
record(pg.Client.prototype, 'connect', 'pg-connect', (_, client) => `${clientId(client)} connect`);
// DuckDB: every statement passes through `run` (`runAndReadAll` calls it too).
record(duckdb.DuckDBConnection.prototype, 'run', 'duckdb', ([sql]) => text(sql));
record(duckdb.DuckDBInstance.prototype, 'connect', 'duckdb-connect', () => 'connect');
const probe = path.join(os.tmpdir(), `sluice-phases-${process.pid}`);
const handle = await fs.open(probe, 'w');
const handleProto = Object.getPrototypeOf(handle);
await handle.close();
await fs.rm(probe);
record(handleProto, 'sync', 'fsync', () => 'fsync');
record(handleProto, 'datasync', 'fsync', () => 'fdatasync');

/** The phases a recorded round is cut into, at the run's own events (see the profiles' headers). */
export const PHASES = ['positions', 'to-copy', 'copy', 'load', 'finish'];

/** A round's phases (ms) from its recorded calls, the first time each run event fired, and its total. */
export function phasesOf(recorded, events, total) {
  const copyStart = recorded.find((call) => call.kind === 'pg' && / COPY \(/.test(call.what))?.start ?? NaN;
  const marks = [0, events['positions-read'], copyStart, events['table-loading'], events['table-committed'], total];
  return Object.fromEntries(PHASES.map((phase, i) => [phase, marks[i + 1] - marks[i]]));
}

/**
 * Print each phase's median over `rounds` (each `{ phases }`), the calls of the `last` round by kind and, with
 * BENCH_TIMELINE=1, that round's timeline; return the medians and the counts for the profile's JSON line.
 */
export function printSummary(rounds, last) {
  const count = (kind) => last.filter((call) => call.kind === kind).length;
  const counts = {
    pg_round_trips: count('pg'),
    pg_connections: count('pg-connect'),
    duckdb_statements: count('duckdb'),
    fsyncs: count('fsync'),
  };
  const medians = Object.fromEntries(PHASES.map((p) => [p, +median(rounds.map((r) => r.phases[p])).toFixed(1)]));
  console.log(`median per phase (ms): ${JSON.stringify(medians)}`);
  console.log(`one round sends: ${JSON.stringify(counts)}`);
  if (process.env.BENCH_TIMELINE === '1') {
    for (const call of last.sort((a, b) => a.start - b.start)) {
      console.log(
        `${call.start.toFixed(1).padStart(7)} ${(call.end - call.start).toFixed(1).padStart(7)} ${call.kind.padEnd(14)} ${call.what}`,
      );
    }
  }
  return { medians, counts };
}
