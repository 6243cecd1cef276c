/** The 1-based line of character `index` in `text`. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The 1-based line of the first match of `pattern`, or `undefined`. */
export function lineOfMatch(text: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(text);
  return match ? lineAt(text, match.index) : undefined;
}

/** `text` with regex special characters escaped. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The line of `fn('name'` in a template (e.g. the `ref('stg_x')` call), for messages. */
export function lineOfCall(text: string, fn: string, firstArgument: string): number | undefined {
  return lineOfMatch(text, new RegExp(`\\b${escapeRegExp(fn)}\\s*\\(\\s*['"]${escapeRegExp(firstArgument)}['"]`));
}

/** The spans of Jinja expressions and statements (`{{ }}`, `{% %}`), comments removed. */
function jinjaSpans(text: string): string[] {
  const spans: string[] = [];
  const pattern = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
  const withoutComments = text.replace(/\{#[\s\S]*?#\}/g, '');
  for (let m = pattern.exec(withoutComments); m !== null; m = pattern.exec(withoutComments))
    spans.push(m[1] ?? m[2] ?? '');
  return spans;
}

/**
 * Every `ref('x')` / `ref('pkg', 'x')` and `source('s', 't')` with literal arguments anywhere in the template's
 * Jinja, including branches a parse-time render does not take (`{% if is_incremental() %}`).
 */
export function scanReferences(text: string): {
  refs: Array<{ name: string; package?: string }>;
  sources: Array<{ source: string; table: string }>;
} {
  const refs: Array<{ name: string; package?: string }> = [];
  const sources: Array<{ source: string; table: string }> = [];
  if (!text.includes('ref') && !text.includes('source')) return { refs, sources };
  const refPattern = /\bref\s*\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]+)\3\s*)?[,)]/g;
  const sourcePattern = /\bsource\s*\(\s*(['"])([^'"]+)\1\s*,\s*(['"])([^'"]+)\3\s*\)/g;
  for (const span of jinjaSpans(text)) {
    for (let m = refPattern.exec(span); m !== null; m = refPattern.exec(span)) {
      if (m[4] !== undefined) refs.push({ package: m[2] as string, name: m[4] });
      else refs.push({ name: m[2] as string });
    }
    for (let m = sourcePattern.exec(span); m !== null; m = sourcePattern.exec(span)) {
      sources.push({ source: m[2] as string, table: m[4] as string });
    }
  }
  return { refs, sources };
}
