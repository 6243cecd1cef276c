/**
 * The Jinja dbt allows in configuration values (`dbt_project.yml`, `profiles.yml`): `{{ env_var('NAME') }}`,
 * `{{ env_var('NAME', 'default') }}`, `{{ var('name', default) }}`, literals, and the filters dbt documents for
 * them (`| int`, `| float`, `| as_number`, `| as_bool`, `| as_native`, `| as_text`, `| string`, `| lower`,
 * `| upper`, `| trim`). A value that is exactly one `{{ … }}` keeps its native type (`false`, `4`); text around
 * expressions makes a string. Anything else (statements `{% %}`, `target`, other functions) is refused with a
 * message, never rendered wrong.
 */

/** What a config template can read. */
export interface ConfigTemplateContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Values for `var()` (the command line's `--vars`; dbt does not give project vars to these files). */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** Every value read through `env_var()` is added here, so it can be kept out of artifacts and messages. */
  readonly secrets?: Set<string>;
}

/** A rendered value, or why it could not be rendered. */
export type ConfigTemplateResult = { readonly value: unknown } | { readonly error: string };

/** Does a string hold Jinja that `renderConfigTemplate` must render? */
export function hasConfigTemplate(value: unknown): value is string {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

/**
 * Render one configuration string.
 *
 * @example renderConfigTemplate("{{ env_var('DBT_THREADS', '4') | int }}", { env: {} }) // { value: 4 }
 */
export function renderConfigTemplate(text: string, context: ConfigTemplateContext): ConfigTemplateResult {
  if (/\{%/.test(text))
    return { error: 'Jinja statements ({% … %}) are not supported in configuration values; use {{ env_var() }}' };
  const parts: unknown[] = [];
  let last = 0;
  const pattern = /\{\{-?([\s\S]*?)-?\}\}/g;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const evaluated = evaluate(m[1] as string, context);
    if ('error' in evaluated) return evaluated;
    parts.push(evaluated.value);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.length === 1 && text.trim().startsWith('{{') && text.trim().endsWith('}}')) return { value: parts[0] };
  return { value: parts.map(textOf).join('') };
}

/**
 * Render every string of a parsed YAML value (a mapping, a list, a scalar), leaving the keys `skip` names (at any
 * depth) as written — dbt does not render hooks when it reads the file. Problems come back with their key path.
 */
export function renderConfigTree(
  value: unknown,
  context: ConfigTemplateContext,
  options: {
    readonly skip?: (path: readonly (string | number)[]) => boolean;
    /** A renderer for what this one refuses (`target`, `{% if %}`): the full Jinja engine, where a target is known. */
    readonly fallback?: (text: string) => ConfigTemplateResult;
  } = {},
): { value: unknown; problems: { path: (string | number)[]; message: string }[] } {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (options.skip?.(path)) return node;
    if (hasConfigTemplate(node)) {
      let result = renderConfigTemplate(node, context);
      if ('error' in result && options.fallback) result = options.fallback(node);
      if ('error' in result) {
        problems.push({ path, message: result.error });
        return node;
      }
      return result.value;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (typeof node === 'object' && node !== null) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) out[key] = walk(item, [...path, key]);
      return out;
    }
    return node;
  };
  return { value: walk(value, []), problems };
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

type Token =
  | { readonly type: 'name'; readonly text: string }
  | { readonly type: 'string'; readonly text: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'punct'; readonly text: string };

function tokenize(source: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\' && j + 1 < source.length) j++;
        text += source[j];
        j++;
      }
      if (j >= source.length) return 'a string is not closed';
      tokens.push({ type: 'string', text });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'number', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'name', text: m[0] });
      i += m[0].length;
    } else if ('(),|'.includes(c)) {
      tokens.push({ type: 'punct', text: c });
      i++;
    } else {
      return `"${c}" is not supported in configuration values`;
    }
  }
  return tokens;
}

const FILTERS: Record<string, (value: unknown) => unknown> = {
  int: (v) => Math.trunc(Number(v)),
  float: (v) => Number(v),
  as_number: (v) => Number(v),
  as_bool: (v) => (typeof v === 'string' ? ['true', '1', 'yes'].includes(v.trim().toLowerCase()) : Boolean(v)),
  as_native: (v) => {
    if (typeof v !== 'string') return v;
    const t = v.trim();
    if (/^-?[0-9]+(\.[0-9]+)?$/.test(t)) return Number(t);
    if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
    if (/^none$/i.test(t)) return null;
    return v;
  },
  as_text: (v) => textOf(v),
  string: (v) => textOf(v),
  lower: (v) => textOf(v).toLowerCase(),
  upper: (v) => textOf(v).toUpperCase(),
  trim: (v) => textOf(v).trim(),
};

function evaluate(expression: string, context: ConfigTemplateContext): ConfigTemplateResult {
  const tokens = tokenize(expression);
  if (typeof tokens === 'string') return { error: tokens };
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const literal = (): ConfigTemplateResult => {
    const token = tokens[at++];
    if (token === undefined) return { error: `"${expression.trim()}" ends too early` };
    if (token.type === 'string') return { value: token.text };
    if (token.type === 'number') return { value: token.value };
    if (token.type === 'name') {
      if (/^(true|True)$/.test(token.text)) return { value: true };
      if (/^(false|False)$/.test(token.text)) return { value: false };
      if (/^(none|None)$/.test(token.text)) return { value: null };
      const next = peek();
      if (next?.type === 'punct' && next.text === '(') return call(token.text);
    }
    return {
      error: `"${expression.trim()}": only env_var('NAME'[, default]), var('name'[, default]) and literals are supported in configuration values`,
    };
  };
  const call = (name: string): ConfigTemplateResult => {
    at++; // (
    const args: unknown[] = [];
    while (!(peek()?.type === 'punct' && (peek() as { text: string }).text === ')')) {
      const arg = literal();
      if ('error' in arg) return arg;
      args.push(arg.value);
      const sep = peek();
      if (sep?.type === 'punct' && sep.text === ',') at++;
      else if (!(sep?.type === 'punct' && sep.text === ')')) return { error: `"${expression.trim()}" does not parse` };
    }
    at++; // )
    if (name === 'env_var') {
      const variable = String(args[0] ?? '');
      const found = context.env[variable];
      if (found !== undefined && found !== '') {
        context.secrets?.add(found);
        return { value: found };
      }
      if (args.length > 1) return { value: args[1] };
      return {
        error: `env_var('${variable}'): the environment variable ${variable} is not set and there is no default`,
      };
    }
    if (name === 'var') {
      const variable = String(args[0] ?? '');
      if (context.vars && variable in context.vars) return { value: context.vars[variable] };
      if (args.length > 1) return { value: args[1] };
      return {
        error: `var('${variable}') has no value here: pass it with --vars '{${variable}: …}' or give a default`,
      };
    }
    return {
      error: `${name}() is not supported in configuration values (only env_var() and var())`,
    };
  };
  let result = literal();
  if ('error' in result) return result;
  while (at < tokens.length) {
    const pipe = tokens[at++];
    const filter = tokens[at++];
    if (!(pipe?.type === 'punct' && pipe.text === '|') || filter?.type !== 'name')
      return { error: `"${expression.trim()}" does not parse` };
    const apply = FILTERS[filter.text];
    if (apply === undefined)
      return { error: `the filter "${filter.text}" is not supported (${Object.keys(FILTERS).join(', ')})` };
    result = { value: apply(result.value) };
  }
  return result;
}
