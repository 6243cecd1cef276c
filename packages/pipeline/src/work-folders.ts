import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The file naming the run (and the project) a work folder belongs to. */
export const WORK_FOLDER_MARKER = 'sluice-run.json';

/** Unmarked folders (left by a Sluice from before the marker) are removed once this old: a day. */
const UNMARKED_AGE_MS = 24 * 3600 * 1000;

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a work folder's marker says. */
interface WorkFolderMarker {
  readonly runId: string;
  /** The project's `sluice.yml`, resolved: whose run lock covers the folder. */
  readonly project: string;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/**
 * Create this run's work folder (`<workDir>/<runId>`), marked with the run and the project it belongs to.
 *
 * @example const dir = await createWorkFolder(workDir, runId, project.file);
 */
export async function createWorkFolder(workDir: string, runId: string, projectFile: string): Promise<string> {
  const dir = path.join(workDir, runId);
  await mkdir(dir, { recursive: true });
  const marker: WorkFolderMarker = {
    runId,
    project: path.resolve(projectFile),
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
  };
  await writeFile(path.join(dir, WORK_FOLDER_MARKER), `${JSON.stringify(marker)}\n`);
  return dir;
}

/**
 * Remove the work folders (chunk files) that runs of this project left behind when they died (a SIGKILL, a lost
 * machine): call it holding the project's run lock, which no live run of the project can then hold — so every
 * other folder marked with this project belongs to a dead run. Folders of other projects sharing the work folder
 * are left alone; folders without a marker (from a Sluice before it wrote one) go once a day old. Returns the
 * folders removed. Never throws: what cannot be removed now is tried again by the next run.
 */
export async function removeDeadWorkFolders(workDir: string, runId: string, projectFile: string): Promise<string[]> {
  const project = path.resolve(projectFile);
  const entries = await readdir(workDir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === runId) continue;
    const dir = path.join(workDir, entry.name);
    if (!(await deadFolderOf(dir, entry.name, project))) continue;
    try {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // left for the next run
    }
  }
  return removed;
}

async function deadFolderOf(dir: string, name: string, project: string): Promise<boolean> {
  const text = await readFile(path.join(dir, WORK_FOLDER_MARKER), 'utf8').catch(() => undefined);
  if (text !== undefined) {
    try {
      return (JSON.parse(text) as Partial<WorkFolderMarker>).project === project;
    } catch {
      // A marker cut short by the crash itself: judged like an unmarked folder.
    }
  }
  if (!RUN_ID.test(name)) return false;
  const modified = await stat(dir).then(
    (s) => s.mtimeMs,
    () => Date.now(),
  );
  return Date.now() - modified > UNMARKED_AGE_MS;
}
