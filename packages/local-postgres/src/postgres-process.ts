import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PostgresBinaries } from './postgres-binaries.js';
import type { OsUser } from './postgres-user.js';

/** Options shared by `initdb` and the server. */
export interface PostgresProcessOptions {
  readonly binaries: PostgresBinaries;
  /** Run as this OS user (when started by root); else as the current user. */
  readonly user: OsUser | undefined;
  readonly onLog: (line: string) => void;
}

/**
 * Create a cluster in `dataDir` (empty or missing) whose superuser `superuser` signs in with `password`
 * (scram-sha-256). The password reaches initdb through a file only its user can read, removed afterwards.
 */
export async function initCluster(
  dataDir: string,
  superuser: string,
  password: string,
  extraFlags: readonly string[],
  options: PostgresProcessOptions,
): Promise<void> {
  const passwordFile = path.join(path.dirname(dataDir), `.pgpass-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (options.user) await fs.chown(passwordFile, options.user.uid, options.user.gid);
    const locale = messagesLocale();
    await runToEnd(
      options.binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${superuser}`,
        `--pwfile=${passwordFile}`,
        `--lc-messages=${locale}`,
        ...extraFlags,
      ],
      options,
    );
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

/** A running server process. */
export interface ServerProcess {
  readonly pid: number;
  /** Fast shutdown (SIGINT: open transactions roll back, a checkpoint is written); resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Start `postgres -D dataDir -p port …flags` and resolve once it accepts connections; reject with the server's last
 * log lines when it exits first. Its log is read for as long as it runs (an unread pipe would block the server).
 */
export function startServer(
  dataDir: string,
  port: number,
  flags: readonly string[],
  options: PostgresProcessOptions,
): Promise<ServerProcess> {
  const child = spawnPostgres(options.binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags], options);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const recent: string[] = [];
  return new Promise<ServerProcess>((resolve, reject) => {
    let ready = false;
    const onLine = (line: string) => {
      options.onLog(line);
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (!ready && line.includes('database system is ready to accept connections')) {
        ready = true;
        resolve({ pid: child.pid as number, stop: () => stopProcess(child, exited) });
      }
    };
    readLines(child, onLine);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!ready)
        reject(new Error(`postgres exited (${signal ?? `code ${code}`}) before it was ready:\n${recent.join('\n')}`));
    });
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  // A fast shutdown that has not ended in a minute is stuck: an immediate shutdown (crash recovery at next start).
  const timer = setTimeout(() => child.kill('SIGQUIT'), 60_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function runToEnd(file: string, args: readonly string[], options: PostgresProcessOptions): Promise<void> {
  const child = spawnPostgres(file, args, options);
  const output: string[] = [];
  readLines(child, (line) => {
    options.onLog(line);
    output.push(line);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${path.basename(file)} failed (${signal ?? `code ${code}`}):\n${output.slice(-20).join('\n')}`),
        );
    });
  });
}

function spawnPostgres(file: string, args: readonly string[], options: PostgresProcessOptions): ChildProcess {
  return spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: messagesLocale() },
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
}

function readLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line.trimEnd());
    });
  }
}

let cachedLocale: string | undefined;

/** An English message locale this system has: the server's "ready" line is matched in English. */
function messagesLocale(): string {
  if (cachedLocale) return cachedLocale;
  cachedLocale = 'C';
  try {
    const available = new Set(
      execFileSync('locale', ['-a'], { encoding: 'utf8' })
        .split(/\r?\n/)
        .map((l) => l.trim()),
    );
    cachedLocale = ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8', 'C.utf8'].find((l) => available.has(l)) ?? 'C';
  } catch {
    // no `locale` program: the C locale is always there
  }
  return cachedLocale;
}
