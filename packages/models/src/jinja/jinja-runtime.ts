import nunjucks from 'nunjucks';
import {
  isDict,
  loopFilter,
  pyAdd,
  pyContains,
  pyEquals,
  pyIterable,
  pyMul,
  pySlice,
  pyStr,
  pySub,
  pythonMethod,
  truthy,
  tupleOf,
} from './python-values.js';

/**
 * `{{ return(value) }}` inside a macro: the macro call evaluates to `value` (dbt's `return`). Thrown by `return`
 * and caught by the macro being run — not by a `{% call %}` block's body, which belongs to the macro around it.
 */
export class MacroReturn {
  constructor(readonly value: unknown) {}
}

interface NunjucksRuntime {
  readonly Frame: new (...args: unknown[]) => unknown;
  readonly SafeString: new (value: string) => object;
  memberLookup(obj: unknown, key: unknown, ...slice: unknown[]): unknown;
  callWrap(fn: unknown, name: string, context: unknown, args: unknown[]): unknown;
}

const base = nunjucks.runtime as unknown as NunjucksRuntime;
const KEYWORDS = '__keywords';
const CALLER = Symbol('caller');

/** The values of a macro call that Jinja exposes beyond the named parameters. */
interface MacroExtras {
  __varargs?: unknown[];
  __extraKwargs?: Record<string, unknown>;
}

type MacroBody = (...args: unknown[]) => unknown;

/**
 * Jinja's macro calling rules: positional arguments fill the parameters in order (those with defaults too),
 * keyword arguments by name, extra positionals become `varargs` and extra keywords `kwargs`; a `caller` keyword
 * is the `{% call %}` body. The body's `return(...)` ends the call with that value.
 */
function makeMacro(argNames: readonly string[], kwargNames: readonly string[], func: MacroBody) {
  const macro = function (this: unknown, ...macroArgs: unknown[]): unknown {
    const last = macroArgs.at(-1);
    const hasKeywords = isKeywordObject(last);
    const positional = hasKeywords ? macroArgs.slice(0, -1) : macroArgs;
    const keywords: Record<string, unknown> = hasKeywords ? { ...(last as Record<string, unknown>) } : {};
    delete keywords[KEYWORDS];
    const args: unknown[] = [];
    argNames.forEach((name, i) => {
      if (i < positional.length) args.push(positional[i]);
      else if (Object.hasOwn(keywords, name)) {
        args.push(keywords[name]);
        delete keywords[name];
      } else args.push(undefined);
    });
    const kwargs: Record<string, unknown> & MacroExtras = {};
    kwargNames.forEach((name, i) => {
      const at = argNames.length + i;
      if (at < positional.length) kwargs[name] = positional[at];
      else if (Object.hasOwn(keywords, name)) {
        kwargs[name] = keywords[name];
        delete keywords[name];
      }
    });
    if (Object.hasOwn(keywords, 'caller')) {
      kwargs.caller = keywords.caller;
      delete keywords.caller;
    }
    kwargs.__varargs = positional.slice(argNames.length + kwargNames.length);
    kwargs.__extraKwargs = keywords;
    if ((macro as { [CALLER]?: boolean })[CALLER]) return func.apply(this, [...args, kwargs]);
    try {
      return func.apply(this, [...args, kwargs]);
    } catch (error) {
      if (error instanceof MacroReturn) return error.value;
      throw error;
    }
  };
  return macro;
}

function isKeywordObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, KEYWORDS);
}

/** `{% call %}` bodies are macros too, but a `return` inside one belongs to the macro around the block. */
function markCaller<T extends object>(macro: T): T {
  (macro as { [CALLER]?: boolean })[CALLER] = true;
  return macro;
}

/** `obj.name` / `obj[key]` as Jinja resolves them: Python's methods, negative indexes, then attributes and items. */
function memberLookup(obj: unknown, key: unknown, ...slice: unknown[]): unknown {
  if (slice.length > 0) return base.memberLookup(obj, key, ...slice);
  if (obj === undefined || obj === null) return undefined;
  if (typeof key === 'string') {
    const method = pythonMethod(obj, key);
    if (method !== undefined) return method;
  }
  if (obj instanceof base.SafeString) obj = String(obj);
  if (typeof key === 'number' && key < 0 && (Array.isArray(obj) || typeof obj === 'string')) {
    return (obj as ArrayLike<unknown>)[(obj as ArrayLike<unknown>).length + key];
  }
  if (typeof obj === 'object' || typeof obj === 'function') {
    const property = (obj as Record<string, unknown>)[key as string];
    if (typeof property === 'function' && !isDict(obj)) {
      return (...args: unknown[]) => (property as (...a: unknown[]) => unknown).apply(obj, args);
    }
    if (property === undefined && typeof key !== 'string' && typeof key !== 'number') {
      return (obj as Record<string, unknown>)[pyStr(key)];
    }
    return property;
  }
  return base.memberLookup(obj, key);
}

/** Spread arguments (`f(*args, **kwargs)`) marked by the compiler. */
export class SpreadArgument {
  constructor(
    readonly kind: 'positional' | 'keywords',
    readonly value: unknown,
  ) {}
}

function spreadArguments(args: unknown[]): unknown[] {
  if (!args.some((a) => a instanceof SpreadArgument || isKeywordObject(a))) return args;
  const positional: unknown[] = [];
  let keywords: Record<string, unknown> | undefined;
  for (const arg of args) {
    if (arg instanceof SpreadArgument) {
      if (arg.kind === 'positional') positional.push(...(((pyIterable(arg.value) as unknown[]) ?? []) as unknown[]));
      else {
        keywords ??= {};
        for (const [k, v] of Object.entries((arg.value as Record<string, unknown>) ?? {}))
          if (k !== KEYWORDS) keywords[k] = v;
      }
    } else if (isKeywordObject(arg)) {
      keywords = { ...(keywords ?? {}), ...(arg as Record<string, unknown>) };
    } else positional.push(arg);
  }
  return keywords === undefined ? positional : [...positional, { ...keywords, [KEYWORDS]: true }];
}

/** Where in which template an error was raised: set by the innermost call that saw it. */
export const TEMPLATE_SOURCE = Symbol.for('sluice.jinja.source');

/** The file and 1-based line an error was raised at, when a compiled template recorded it. */
export interface TemplateSource {
  readonly file: string;
  readonly line: number;
}

function annotate(error: unknown, file: string | undefined, line: number): void {
  if (file === undefined || error === null || typeof error !== 'object' || error instanceof MacroReturn) return;
  if (TEMPLATE_SOURCE in error) return;
  try {
    Object.defineProperty(error, TEMPLATE_SOURCE, { value: { file, line } satisfies TemplateSource });
  } catch {
    // A frozen error keeps no source.
  }
}

/** The runtime of one compiled template: which file it is, and whether `{{ undefined }}` is an error there. */
interface TemplateRuntime {
  readonly templateFile?: string;
  readonly strictUndefined?: boolean;
}

function callWrap(
  this: TemplateRuntime,
  fn: unknown,
  name: string,
  context: unknown,
  args: unknown[],
  line?: number,
): unknown {
  try {
    return base.callWrap(fn, name, context, spreadArguments(args));
  } catch (error) {
    annotate(error, this.templateFile, (line ?? 0) + 1);
    throw error;
  }
}

/**
 * `{{ value }}`: `None`, `True` and lists as Python prints them. A name that is not defined renders as nothing
 * in packages' templates, as in dbt; in the project's own templates it is an error (Sluice catches the typo).
 */
function ensureDefined(this: TemplateRuntime, value: unknown, lineno: number, colno: number): unknown {
  if (value === undefined) {
    if (this.strictUndefined === false) return '';
    const error = new nunjucks.lib.TemplateError('attempted to output null or undefined value', lineno + 1, colno + 1);
    annotate(error, this.templateFile, lineno + 1);
    throw error;
  }
  return value;
}

function suppressValue(value: unknown): unknown {
  if (value instanceof base.SafeString || typeof value === 'string') return value;
  return pyStr(value);
}

/** `{% set ns.attr = value %}` (a `namespace()`). */
function setAttribute(target: unknown, attribute: string, value: unknown): void {
  if (target === null || typeof target !== 'object') {
    throw new Error(`cannot set ${attribute} on ${pyStr(target)}: only a namespace() takes attributes.`);
  }
  (target as Record<string, unknown>)[attribute] = value;
}

/** The runtime of one template (`file`), `strictUndefined` unless its `{{ undefined }}` should render empty. */
export function templateRuntime(file: string, options: { readonly strictUndefined: boolean }): Record<string, unknown> {
  return Object.assign(Object.create(jinjaRuntime) as Record<string, unknown>, {
    templateFile: file,
    strictUndefined: options.strictUndefined,
  });
}

/**
 * The runtime compiled Jinja templates run with: nunjucks' own, with Jinja's (Python's) semantics where dbt
 * packages depend on them. Used by the code `jinja-compiler.ts` generates (as `runtime.<name>`).
 */
export const jinjaRuntime: Record<string, unknown> = Object.assign(Object.create(base as object), {
  makeMacro,
  markCaller,
  memberLookup,
  callWrap,
  ensureDefined,
  suppressValue,
  setAttribute,
  spread: (kind: 'positional' | 'keywords', value: unknown) => new SpreadArgument(kind, value),
  truthy,
  pyAnd: (left: unknown, right: () => unknown) => (truthy(left) ? right() : left),
  pyOr: (left: unknown, right: () => unknown) => (truthy(left) ? left : right()),
  pyEquals,
  pyAdd,
  pySub,
  pyMul,
  pySlice,
  pyIterable,
  loopFilter,
  tuple: tupleOf,
  loopCycle:
    (index: number) =>
    (...values: unknown[]) =>
      values[index % values.length],
  pyConcat: (left: unknown, right: unknown) => pyStr(left) + pyStr(right),
  pyKey: (key: unknown) => pyStr(key),
  inOperator: (item: unknown, container: unknown) => pyContains(container, item),
});
