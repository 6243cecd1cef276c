import { closestNames } from '@sluice/warehouse';
import { didYouMean } from '../project-issue.js';
import { lineAt } from '../scan-references.js';
import { atLine, type LoadContext } from './load-context.js';
import type { FileEntry } from './read-project-files.js';

/** A `{% docs name %} … {% enddocs %}` block. */
export interface DocsBlock {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** The block's text, trimmed (Markdown). */
  readonly text: string;
}

/** The docs blocks of a project, and the renderer of `{{ doc('name') }}` in descriptions. */
export interface ProjectDocs {
  readonly blocks: ReadonlyMap<string, DocsBlock>;
  /**
   * A description with every `{{ doc('name') }}` (or `doc('package', 'name')`) replaced by the block's text. An
   * unknown name is an error, other Jinja a warning (left as written), both at `file:line`.
   */
  describe(text: string, where: { readonly file: string; readonly line?: number | undefined }): string;
}

const DOCS_BLOCK = /\{%-?\s*docs\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}([\s\S]*?)\{%-?\s*enddocs\s*-?%\}/g;
const DOC_CALL = /\{\{-?\s*doc\(\s*(?:(['"])([^'"]+)\1\s*,\s*)?(['"])([^'"]+)\3\s*\)\s*-?\}\}/g;

/**
 * Phase 4b: the `{% docs %}` blocks of the `.md` files under the docs folders (DUPLICATE_NAME for a name
 * defined twice), and `describe()`, which property files use to render `doc()` in descriptions.
 */
export function collectDocs(ctx: LoadContext, projectName: string, docFiles: readonly FileEntry[]): ProjectDocs {
  const blocks = new Map<string, DocsBlock>();
  for (const f of docFiles) {
    DOCS_BLOCK.lastIndex = 0;
    for (let m = DOCS_BLOCK.exec(f.text); m !== null; m = DOCS_BLOCK.exec(f.text)) {
      const name = m[1] as string;
      const line = lineAt(f.text, m.index);
      const previous = blocks.get(name);
      if (previous) {
        ctx.issues.push({
          code: 'DUPLICATE_NAME',
          severity: 'error',
          message: `the docs block ${name} is defined twice: here and in ${previous.file}:${previous.line}.`,
          file: f.file,
          line,
        });
        continue;
      }
      blocks.set(name, { name, file: f.file, line, text: (m[2] as string).trim() });
    }
  }
  const describe = (text: string, where: { readonly file: string; readonly line?: number | undefined }): string => {
    if (!text.includes('{')) return text;
    const rendered = text.replace(DOC_CALL, (call, _q, pkg: string | undefined, _q2, name: string) => {
      const block = pkg === undefined || pkg === projectName ? blocks.get(name) : undefined;
      if (block) return block.text;
      const suggestions = closestNames(name, blocks.keys());
      ctx.issues.push({
        code: 'UNKNOWN_NODE',
        severity: 'error',
        message:
          pkg !== undefined && pkg !== projectName
            ? `doc('${pkg}', '${name}'): docs blocks of other packages are not supported; this project is ${projectName}.`
            : `doc('${name}') names no {% docs ${name} %} block in a .md file.${didYouMean(suggestions)}`,
        file: where.file,
        ...atLine(where.line),
        suggestions,
      });
      return call;
    });
    if (/\{\{|\{%/.test(rendered.replace(DOC_CALL, ''))) {
      ctx.issues.push({
        code: 'UNSUPPORTED',
        severity: 'warning',
        message:
          'Jinja in a description is not rendered, except {{ doc() }}: the description keeps the text as written.',
        file: where.file,
        ...atLine(where.line),
      });
    }
    return rendered;
  };
  return { blocks, describe };
}
