import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { configKeyLineFinder } from './config-key-line.js';
import { targetEngine } from './engine-registry.js';
import type { ConfigProblem, LoadedProject } from './project-config.js';

/** What is at a path: a folder, something else (a file), or nothing. */
function kindOf(file: string): 'folder' | 'file' | 'none' {
  try {
    return statSync(file).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'none';
  }
}

/**
 * What stops a path from being created as `want`: an existing folder where a file must go (or the reverse), or a
 * file where one of the folders above it must be. `undefined` when nothing does.
 */
export function pathProblem(file: string, want: 'file' | 'folder'): string | undefined {
  const here = kindOf(file);
  if (here !== 'none' && here !== want) {
    return `${file} is a ${here}, where a ${want} must be: choose another path, or move it away`;
  }
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const kind = kindOf(dir);
    if (kind === 'folder') return undefined;
    if (kind === 'file') {
      return `${dir} is a file, so ${file} cannot be created under it: choose another path, or move the file away`;
    }
  }
  return undefined;
}

/**
 * The local paths a run of `target` writes — the warehouse file of an engine that keeps one (DuckDB), the state
 * folder of a file state store — checked before anything is written: a file standing where a folder must be is
 * a config problem naming the setting and its line, not a bare `EEXIST … mkdir` halfway through a run.
 *
 * @example const problems = await checkLocalPaths(project, 'dev');
 */
export async function checkLocalPaths(project: LoadedProject, targetName: string): Promise<ConfigProblem[]> {
  const lineOf = configKeyLineFinder(await readFile(project.file, 'utf8').catch(() => ''));
  const problems: ConfigProblem[] = [];
  const target = project.config.targets[targetName];
  const local = target ? targetEngine(target, project.dir).localFile : undefined;
  if (target && local !== undefined) {
    // The setting that names the file: the one whose value resolves to it (engines name it as they like).
    const key =
      Object.entries(target).find(
        ([, value]) => typeof value === 'string' && path.resolve(project.dir, value) === local,
      )?.[0] ?? '';
    const problem = pathProblem(local, 'file');
    if (problem) {
      const keyPath = ['targets', targetName, ...(key ? [key] : [])];
      problems.push({ file: project.file, line: lineOf(keyPath), path: keyPath.join('.'), message: problem });
    }
  }
  const state = project.config.state;
  if (state.type === 'file') {
    const problem = pathProblem(path.resolve(project.dir, state.dir), 'folder');
    if (problem)
      problems.push({ file: project.file, line: lineOf(['state', 'dir']), path: 'state.dir', message: problem });
  }
  return problems;
}
