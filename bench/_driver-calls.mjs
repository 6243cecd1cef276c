// The driver calls of a recorded ingest round, for the phase profiles (ingest-incremental-phases,
// ingest-initial-phases): every Postgres query and connect, DuckDB statement and connect, and fsync, timed by wrapping
// the drivers' methods (nothing in the pipeline changes).
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
const text = (value) => String(value).replace(/\s+/g, ' ').slice(0, 120);
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
