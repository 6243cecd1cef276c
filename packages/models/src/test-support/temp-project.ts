import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A temporary folder (the tests' equivalent of @sluice/testing's createTempDir). */
export async function tempDir(prefix = 'sluice-models-'): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Write a project's files (relative path → content) under `dir`. */
export async function writeProject(dir: string, files: Record<string, string>): Promise<string> {
  for (const [file, text] of Object.entries(files)) {
    const target = path.join(dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  return dir;
}

/** Absolute path of a fixture project. */
export function fixture(name: string): string {
  return path.join(path.dirname(new URL(import.meta.url).pathname), '..', '__fixtures__', name);
}
