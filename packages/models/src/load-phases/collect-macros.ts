import { emptyParseRecord } from '../parse-hooks.js';
import { escapeRegExp, lineOfMatch } from '../scan-references.js';
import { TemplateEngine } from '../template-engine.js';
import { atLine, type LoadContext } from './load-context.js';
import type { FileEntry } from './read-project-files.js';
import type { TemplateParser } from './template-parser.js';

/**
 * Phase 4: register the macros of `macros/` and `tests/generic/` (before anything that may call them). A macro
 * named like a built-in, or defined twice, is DUPLICATE_NAME. Returns macro name → file.
 */
export function collectMacros(
  ctx: LoadContext,
  parser: TemplateParser,
  projectName: string,
  macroFiles: readonly FileEntry[],
  /** The package the files belong to (its macros are `package.name`); absent for the root project. */
  packageName?: string,
): Map<string, string> {
  const macros = new Map<string, string>();
  for (const f of macroFiles) {
    try {
      const record = emptyParseRecord();
      const { names, skipped } = ctx.engine.addMacroFile(
        f.text,
        f.file,
        parser.hooks(f.stem, `macro.${projectName}.${f.stem}`, f.file, record),
        packageName,
      );
      parser.recordIssues(record, f.file, f.text);
      for (const block of skipped) {
        ctx.issues.push({
          code: 'UNSUPPORTED',
          severity: 'warning',
          message: `custom materialization ${block.name} ({% materialization %}) is not supported: it is left out, and a model materialized as ${block.name} is an error.`,
          file: f.file,
          line: block.line,
        });
      }
      for (const name of names) {
        const line = lineOfMatch(
          f.text,
          new RegExp(`\\{%-?\\s*(?:macro|test)\\s+(?:test_)?${escapeRegExp(name.replace(/^test_/, ''))}\\b`),
        );
        const previous = macros.get(name);
        if ((packageName === undefined && TemplateEngine.isReservedName(name)) || previous !== undefined) {
          ctx.issues.push({
            code: 'DUPLICATE_NAME',
            severity: 'error',
            message:
              previous === undefined
                ? `macro ${name} would replace the built-in ${name}; rename it.`
                : `macro ${name} is defined twice: here and in ${previous}.`,
            file: f.file,
            ...atLine(line),
          });
        } else {
          macros.set(name, f.file);
        }
      }
    } catch (error) {
      parser.templateIssue(error, f.file);
    }
  }
  return macros;
}
