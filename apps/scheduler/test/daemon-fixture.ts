import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createNovaDriveSchema, generateNovaDrive, NOVADRIVE_PRIMARY_KEYS, NOVADRIVE_TABLES } from '@sluice/novadrive';
import {
  createTestDatabase,
  diffFingerprints,
  fingerprintPostgresTable,
  fingerprintWarehouseTable,
  type TestDatabase,
} from '@sluice/testing';
import { METADATA_COLUMNS, type Warehouse } from '@sluice/warehouse';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built daemon: the tests run the real `sluice-scheduler` as child processes. */
export const DAEMON_BIN = path.resolve(here, '..', 'dist', 'bin.js');

/** Fail early with the fix when the daemon was not built. */
export function assertDaemonBuilt(): void {
  if (!existsSync(DAEMON_BIN)) {
    throw new Error(`${DAEMON_BIN} is missing: build it first (npx turbo run build --filter=@sluice/scheduler...)`);
  }
}

/** A NovaDrive source database of `scale` sales. */
export async function createNovaDriveSource(scale: number, seed = 11): Promise<TestDatabase> {
  const db = await createTestDatabase('sched');
  await db.withClient(async (client) => {
    await createNovaDriveSchema(client);
    await generateNovaDrive(client, { scale, seed });
  });
  return db;
}

/** The ingestion half of the NovaDrive sluice.yml; `schedule` and `state` are given by each test. */
export async function writeNovaDriveProject(
  dir: string,
  options: { readonly state: string; readonly schedule: string; readonly parallelism?: number },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const yml = `name: novadrive
source:
  url: \${env:SLUICE_SOURCE_URL}
  schema: public
raw_schema: raw
targets:
  dev:
    type: duckdb
    path: \${env:SLUICE_HOME}/warehouse.duckdb
target: dev
state:
${indent(options.state)}
ingest:
  parallelism: ${options.parallelism ?? 4}
tables:
  estados: { strategy: full }
  cidades: { strategy: full }
  concessionarias: { strategy: upsert, cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_concessionarias] }
  vendedores: { strategy: upsert, cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_vendedores] }
  veiculos: { strategy: upsert, cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_veiculos] }
  clientes: { strategy: upsert, cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_clientes], deletes: reconcile }
  vendas: { strategy: upsert, cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_vendas], deletes: reconcile }
schedule:
${indent(options.schedule)}
`;
  await writeFile(path.join(dir, 'sluice.yml'), yml);
}

function indent(block: string): string {
  return block
    .trim()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** One JSON log line of the daemon. */
export type LogLine = { readonly time: string; readonly level: string; readonly msg: string } & Record<string, unknown>;

/** A `sluice-scheduler` child process, its JSON log lines, and its HTTP address once it listens. */
export interface DaemonProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  /** Everything it wrote that was not a JSON line (crashes, warnings from Node). */
  readonly otherOutput: string[];
  url(): Promise<string>;
  waitForLog(predicate: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** Start the built daemon with JSON logs. */
export function startDaemon(name: string, args: readonly string[], env: NodeJS.ProcessEnv): DaemonProcess {
  assertDaemonBuilt();
  const child = spawn(process.execPath, [DAEMON_BIN, '--log-format', 'json', '--port', '0', ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const otherOutput: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  const take = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        if (line.trim()) otherOutput.push(line);
      }
      for (const wake of waiters) wake();
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });

  const waitForLog = (predicate: (line: LogLine) => boolean, what: string, timeoutMs = 45_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found) {
          cleanup();
          resolve(found);
        } else if (exitCode !== undefined) {
          cleanup();
          reject(
            new Error(
              `${name} exited (${exitCode}) before logging ${what}:\n${[...otherOutput, ...logs.map((l) => JSON.stringify(l))].slice(-25).join('\n')}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${name} did not log ${what} within ${timeoutMs} ms:\n${[...otherOutput, ...logs.map((l) => JSON.stringify(l))].slice(-25).join('\n')}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    name,
    child,
    logs,
    otherOutput,
    exited,
    url: async () => String((await waitForLog((l) => l.msg === 'listening', 'that it listens')).url),
    waitForLog,
    stop: async (signal = 'SIGTERM') => {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

/** Every difference between the seven source tables and their warehouse copies (empty when equal). */
export async function compareNovaDrive(
  sourceUrl: string,
  warehouse: Warehouse,
  tables: readonly string[] = NOVADRIVE_TABLES,
): Promise<string[]> {
  const client = new pg.Client({ connectionString: sourceUrl });
  await client.connect();
  try {
    const problems: string[] = [];
    for (const table of tables) {
      const columns = (
        await client.query<{ name: string }>(
          `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
          [table],
        )
      ).rows
        .map((row) => row.name)
        .filter((name) => !METADATA_COLUMNS.includes(name));
      const key = [NOVADRIVE_PRIMARY_KEYS[table as keyof typeof NOVADRIVE_PRIMARY_KEYS]];
      const source = await fingerprintPostgresTable(client, { schema: 'public', name: table }, columns, key);
      const target = await fingerprintWarehouseTable(warehouse, { schema: 'raw', name: table }, columns, key);
      problems.push(...diffFingerprints(source, target).map((p) => `${table}: ${p}`));
    }
    return problems;
  } finally {
    await client.end();
  }
}

/** POST to the daemon's API with the bearer token. */
export async function post(
  url: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? '' : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
