import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { OsUser } from './postgres-user.js';

/**
 * As root, where the local Postgres keeps its binaries and data: Postgres must run as the `postgres` OS user, who
 * cannot enter a private folder (a `mktemp -d` folder, `/root`) — so neither the checkout's `node_modules` nor a
 * data directory inside it will do. `/var/tmp` survives reboots, unlike `/tmp` on many systems.
 */
export const DEFAULT_RUNTIME_DIR = '/var/tmp/sluice-postgres';

const MARKER = 'relocated.json';

/** What a requested data directory holds when its cluster lives under the runtime folder. */
interface Marker {
  readonly dataDir: string;
  readonly id: string;
}

/**
 * The runtime folder, created when missing. It sits in a world-writable parent, so it must be root's own: a real
 * directory (not a link) that nobody else can write, or someone could swap the binaries Postgres runs.
 */
export async function openRuntimeDir(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const info = await fs.lstat(dir);
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new Error(
      `${dir} must be a directory owned by root that only root can write (it holds the local Postgres binaries ` +
        `and data); it is ${info.isSymbolicLink() ? 'a symbolic link' : `owned by uid ${info.uid}, mode ${(info.mode & 0o777).toString(8)}`}: remove it and start again`,
    );
  }
  return dir;
}

/**
 * The data directory under `runtimeDir` that stands for `requested`, which itself keeps only a marker naming it:
 * removing `requested` (a fresh start, a test's temp folder) orphans the cluster, and `removeOrphanedData` then
 * removes it. Keyed by the requested path, so each checkout has its own.
 */
export async function relocatedDataDir(runtimeDir: string, requested: string, owner: OsUser): Promise<string> {
  const markerFile = path.join(requested, MARKER);
  const existing = await readMarker(markerFile);
  if (existing && path.dirname(existing.dataDir) === runtimeDir) return existing.dataDir;
  const id = randomBytes(6).toString('hex');
  const key = createHash('sha256').update(requested).digest('hex').slice(0, 16);
  const dataDir = path.join(runtimeDir, `data-${key}-${id}`);
  // The back-reference first: a crash before the marker is written leaves a folder that is an orphan already.
  await fs.writeFile(`${dataDir}.owner.json`, JSON.stringify({ marker: markerFile, id }), { mode: 0o644 });
  await fs.mkdir(dataDir, { mode: 0o700 });
  await fs.chown(dataDir, owner.uid, owner.gid);
  await fs.mkdir(requested, { recursive: true });
  const marker: Marker = { dataDir, id };
  try {
    await fs.writeFile(markerFile, `${JSON.stringify(marker)}\n`, { flag: 'wx' });
  } catch (error) {
    // Another process made the marker first: use its directory, and drop ours.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await removeData(dataDir);
    const winner = await readMarker(markerFile);
    if (!winner) throw new Error(`${markerFile} is unreadable: remove ${requested} to create the local Postgres again`);
    return winner.dataDir;
  }
  return dataDir;
}

/** Remove a relocated cluster and the marker that names it. */
export async function removeRelocated(requested: string, dataDir: string): Promise<void> {
  await removeData(dataDir);
  await fs.rm(path.join(requested, MARKER), { force: true });
  await fs.rmdir(requested).catch(() => undefined); // only when nothing else is in it
}

/**
 * Remove every cluster under `runtimeDir` whose marker is gone or names another cluster, unless a server still
 * runs on it (`isRunning`). Returns the directories removed.
 */
export async function removeOrphanedData(
  runtimeDir: string,
  isRunning: (dataDir: string) => Promise<boolean>,
): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await fs.readdir(runtimeDir)) {
    if (!entry.startsWith('data-') || !entry.endsWith('.owner.json')) continue;
    const dataDir = path.join(runtimeDir, entry.slice(0, -'.owner.json'.length));
    const owner = await readJson<{ marker?: unknown; id?: unknown }>(path.join(runtimeDir, entry));
    const marker = typeof owner?.marker === 'string' ? await readMarker(owner.marker) : undefined;
    if (marker && marker.id === owner?.id && marker.dataDir === dataDir) continue;
    if (await isRunning(dataDir)) continue;
    await removeData(dataDir);
    removed.push(dataDir);
  }
  return removed;
}

async function removeData(dataDir: string): Promise<void> {
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.rm(`${dataDir}.owner.json`, { force: true });
}

async function readMarker(file: string): Promise<Marker | undefined> {
  const marker = await readJson<{ dataDir?: unknown; id?: unknown }>(file);
  return typeof marker?.dataDir === 'string' && typeof marker.id === 'string'
    ? { dataDir: marker.dataDir, id: marker.id }
    : undefined;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
