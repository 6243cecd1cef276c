import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from './project-config.js';

/** What `cleanProject` did: each clean target, relative to the project folder, removed or not there. */
export interface CleanResult {
  readonly removed: readonly string[];
  readonly absent: readonly string[];
}

/**
 * dbt's `clean`: remove the folders dbt_project.yml's `clean-targets` lists (default `[target]`, dbt's target-path).
 * As dbt does by default (`--clean-project-files-only`), a target outside the project folder, or the folder itself,
 * is refused — a ConfigError naming the file and line, and nothing is removed.
 *
 * @example const { removed } = await cleanProject('jaffle-shop'); // ['target', 'dbt_packages']
 */
export async function cleanProject(dir: string): Promise<CleanResult> {
  const projectDir = path.resolve(dir);
  const file = path.join(projectDir, 'dbt_project.yml');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const { targets, problems } =
    text === undefined ? { targets: ['target'], problems: [] } : readCleanTargets(text, file);
  targets.forEach((target, index) => {
    const absolute = path.resolve(projectDir, target);
    const relative = path.relative(projectDir, absolute);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative))
      problems.push({
        file,
        line: lineOfTarget(text, index),
        path: 'clean-targets',
        message: `"${target}" is ${relative === '' ? 'the project folder itself' : 'outside the project folder'}: clean removes only folders inside the project (as dbt clean does by default); remove it from clean-targets`,
      });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const removed: string[] = [];
  const absent: string[] = [];
  for (const target of targets) {
    const absolute = path.resolve(projectDir, target);
    const relative = path.relative(projectDir, absolute);
    if ((await stat(absolute).catch(() => undefined)) === undefined) {
      absent.push(relative);
      continue;
    }
    await rm(absolute, { recursive: true, force: true });
    removed.push(relative);
  }
  return { removed, absent };
}

/** `clean-targets:` of dbt_project.yml: a list of folder names (default `[target]`). */
function readCleanTargets(text: string, file: string): { targets: string[]; problems: ConfigProblem[] } {
  const doc = parseDocument(text, { prettyErrors: false });
  const value: unknown = doc.errors.length > 0 ? undefined : doc.toJS();
  const raw =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['clean-targets'] : undefined;
  if (raw === undefined || raw === null) return { targets: ['target'], problems: [] };
  if (Array.isArray(raw) && raw.every((t) => typeof t === 'string' && t.trim() !== ''))
    return { targets: raw as string[], problems: [] };
  return {
    targets: [],
    problems: [
      {
        file,
        line: lineOfKey(text),
        path: 'clean-targets',
        message: `clean-targets is a list of folders, e.g. clean-targets: [target, dbt_packages] (got ${JSON.stringify(raw)})`,
      },
    ],
  };
}

function lineOfKey(text: string): number | undefined {
  const index = text.split('\n').findIndex((l) => /^clean-targets\s*:/.test(l));
  return index < 0 ? undefined : index + 1;
}

/** The line of the `index`th clean target (the key's line when the list is written on one line). */
function lineOfTarget(text: string | undefined, index: number): number | undefined {
  if (text === undefined) return undefined;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const node = doc.getIn(['clean-targets', index], true) as { range?: [number, number, number] } | undefined;
  return node?.range ? lineCounter.linePos(node.range[0]).line : lineOfKey(text);
}
