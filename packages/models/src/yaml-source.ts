import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { ProjectIssue } from './project-issue.js';

/** A parsed YAML file that can say on which line any value (or key) sits. */
export interface YamlSource {
  /** The file, relative to the project folder. */
  readonly file: string;
  readonly value: unknown;
  /** The 1-based line of the value at `path`, or of its key when `key` is true; the nearest parent otherwise. */
  lineOf(path: readonly (string | number)[], key?: boolean): number | undefined;
}

/** Parse a YAML file; syntax errors come back as issues (with their line) and `value` is then `undefined`. */
export function parseYamlSource(text: string, file: string): { source: YamlSource; issues: ProjectIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: ProjectIssue[] = doc.errors.map((error) => {
    const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
    return {
      code: 'YAML_SYNTAX',
      severity: 'error',
      message: `YAML syntax error: ${error.message.split('\n')[0]}`,
      file,
      line,
    } satisfies ProjectIssue;
  });
  const value: unknown = issues.length > 0 ? undefined : doc.toJS({ maxAliasCount: 1000 });
  const lineAt = (node: Node | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  const lineOf = (path: readonly (string | number)[], key = false): number | undefined => {
    let node: unknown = doc.contents;
    let best = lineAt(doc.contents as Node | null);
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return best;
        const keyLine = lineAt(pair.key as Node);
        if (last && key) return keyLine ?? best;
        best = lineAt(pair.value as Node) ?? keyLine ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) return best;
        best = lineAt(item as Node) ?? best;
        node = item;
      } else {
        return best;
      }
    }
    return best;
  };
  return { source: { file, value, lineOf }, issues };
}
