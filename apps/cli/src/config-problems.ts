import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configKeyLineFinder, yamlErrorLines, type ConfigProblem } from '@sluice/pipeline';

/** A path as the user wants to read it: relative to the working folder when inside it, else absolute. */
export function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const relative = path.relative(process.cwd(), file);
  if (relative === '') return '.';
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/**
 * One config problem as a line: `sluice.yml:14: tables.vendas.cursor: column "…" does not exist …`. Problems of
 * model files already carry their place in the message (`models/x.sql:3: …`), which is kept as it is.
 */
export function formatProblem(problem: ConfigProblem): string {
  if (
    problem.file &&
    (problem.message.startsWith(`${problem.file}:`) || problem.message.startsWith(`${problem.file} `))
  ) {
    return problem.message;
  }
  const where = problem.file
    ? `${displayPath(problem.file)}${problem.line === undefined ? '' : `:${problem.line}`}: `
    : '';
  return `${where}${problem.path ? `${problem.path}: ` : ''}${problem.message}`;
}

/**
 * The problems of a `ConfigError` as lines, ready to print: a YAML syntax error that came without a line gets
 * its line, a misspelled key the line of the key (not of the map holding it), and a value that is only wrong because its `${env:…}` variable is missing is reported once.
 */
export function problemLines(problems: readonly ConfigProblem[]): string[] {
  const texts = new Map<string, string>();
  const text = (file: string): string => {
    if (!texts.has(file)) {
      try {
        texts.set(file, readFileSync(file, 'utf8'));
      } catch {
        texts.set(file, '');
      }
    }
    return texts.get(file) ?? '';
  };
  const missingEnv = new Set(
    problems.filter((p) => /^environment variable \S+ is not set/.test(p.message)).map((p) => p.path),
  );
  return problems
    .filter((p) => !missingEnv.has(p.path) || /^environment variable \S+ is not set/.test(p.message))
    .map((p) => {
      if (p.line === undefined && p.message.startsWith('YAML: ') && p.file) {
        const found = yamlErrorLines(text(p.file)).find((error) => error.message === p.message);
        if (found) return formatProblem({ ...p, line: found.line });
      }
      // A misspelled key is reported on its parent: point at the key itself.
      const unknownKey = /^unknown key "([^"]+)"/.exec(p.message);
      if (unknownKey && p.file?.endsWith('.yml')) {
        const line = configKeyLineFinder(text(p.file))([...(p.path ? p.path.split('.') : []), unknownKey[1] as string]);
        if (line !== undefined) return formatProblem({ ...p, line });
      }
      return formatProblem(p);
    });
}
