import os from 'node:os';

/** A folder of this host and the name it is shown under. */
export interface HostPath {
  readonly path: string;
  readonly as: string;
}

/**
 * The folders whose absolute paths the pages and the API never show: the project (shown as `.`), the work folder,
 * the home folder and the temp folder. Longest first, so the most precise name wins.
 */
export function hostPaths(projectDir: string, workDir: string): HostPath[] {
  return [
    { path: workDir, as: '<work dir>' },
    { path: projectDir, as: '.' },
    { path: os.homedir(), as: '~' },
    { path: os.tmpdir(), as: '<tmp>' },
  ]
    .filter((entry) => entry.path.length > 1)
    .sort((a, b) => b.path.length - a.path.length);
}

/**
 * Those folders replaced in a text already rendered: HTML (`html: true`, the stand-ins escaped) or JSON (a path
 * needs no JSON escape unless it holds a quote or a backslash, which these folders do not). One pass over the text
 * instead of a copy of every object behind it.
 */
export function scrubHostPathsInText(
  text: string,
  paths: readonly HostPath[],
  options: { html?: boolean } = {},
): string {
  let out = text;
  for (const { path, as } of paths) {
    if (!out.includes(path)) continue;
    out = out.split(path).join(options.html ? as.replace(/</g, '&lt;').replace(/>/g, '&gt;') : as);
  }
  return out;
}

/** A copy of `value` in which every string has those folders replaced (`/srv/project/target/x` → `./target/x`). */
export function scrubHostPaths<T>(value: T, paths: readonly HostPath[]): T {
  if (typeof value === 'string') {
    let text: string = value;
    for (const { path, as } of paths) if (text.includes(path)) text = text.split(path).join(as);
    return text as T;
  }
  if (Array.isArray(value)) return value.map((item) => scrubHostPaths(item, paths)) as T;
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubHostPaths(item, paths)])) as T;
  }
  return value;
}
