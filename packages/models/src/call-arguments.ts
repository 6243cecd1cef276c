/** nunjucks passes keyword arguments as a last object marked `__keywords`. */
interface KeywordArguments {
  readonly __keywords: true;
  readonly [name: string]: unknown;
}

function isKeywordArguments(value: unknown): value is KeywordArguments {
  return typeof value === 'object' && value !== null && (value as { __keywords?: unknown }).__keywords === true;
}

/** A template function's arguments, positional and by keyword (`ref('x')`, `config(materialized='table')`). */
export interface CallArguments {
  readonly positional: readonly unknown[];
  readonly keywords: Readonly<Record<string, unknown>>;
}

/** Split what nunjucks passed to a global function into positional and keyword arguments. */
export function callArguments(args: readonly unknown[]): CallArguments {
  const last = args.at(-1);
  if (!isKeywordArguments(last)) return { positional: args, keywords: {} };
  const { __keywords: _marker, ...keywords } = last;
  return { positional: args.slice(0, -1), keywords };
}

/** Arguments matched to parameter names, positionally then by keyword (Python's rules, without checks). */
export function bindArguments(names: readonly string[], args: readonly unknown[]): Record<string, unknown> {
  const { positional, keywords } = callArguments(args);
  const bound: Record<string, unknown> = { ...keywords };
  names.forEach((name, i) => {
    if (i < positional.length) bound[name] = positional[i];
  });
  return bound;
}

/** Build the keyword-argument object nunjucks macros expect, to call a macro from TypeScript. */
export function keywordArguments(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { ...values, __keywords: true };
}
