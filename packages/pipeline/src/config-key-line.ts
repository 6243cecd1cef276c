import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/**
 * A finder for the 1-based line of a key path in a YAML text: the line of the key itself (`cursor:` for
 * `['tables', 'vendas', 'cursor']`), the line of the item for a list index (`['tables', 'vendas', 'cursor', '0']`),
 * or else the line of the nearest parent that exists. `undefined` when nothing matches or the text does not parse.
 * Used to point problems found after loading (e.g. against the live source) at their place in `sluice.yml`.
 *
 * @example configKeyLineFinder(text)(['tables', 'vendas', 'cursor']) // 14
 */
export function configKeyLineFinder(text: string): (keyPath: readonly string[]) => number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return (keyPath) => {
    for (let depth = keyPath.length; depth >= 1; depth--) {
      const parent = depth === 1 ? doc.contents : doc.getIn(keyPath.slice(0, depth - 1), true);
      const last = keyPath[depth - 1] as string;
      let start: number | undefined;
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === last);
        start = (pair?.key as Node | undefined)?.range?.[0];
      } else if (isSeq(parent) && /^\d+$/.test(last)) {
        start = (parent.items[Number(last)] as Node | undefined)?.range?.[0];
      }
      if (start !== undefined) return lineCounter.linePos(start).line;
    }
    return undefined;
  };
}

/**
 * The YAML syntax errors of a text with their 1-based lines, worded as `loadProjectConfig` words them
 * (`YAML: <first line of the parser's message>`), to place a syntax error that came without a line.
 */
export function yamlErrorLines(text: string): { readonly line: number; readonly message: string }[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return doc.errors.map((error) => ({
    line: lineCounter.linePos(error.pos[0]).line,
    message: `YAML: ${error.message.split('\n')[0]}`,
  }));
}
