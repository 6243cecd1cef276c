import type { SqlDialect } from '@sluice/warehouse';
import nunjucks from 'nunjucks';
import { callArguments, type CallArguments } from './call-arguments.js';
import { closestNames } from '@sluice/warehouse';
import { crossEngineMacros, type TemplateFunction } from './cross-engine-macros.js';
import { didYouMean } from './project-issue.js';
import {
  parseStaticTemplate,
  type StaticExpression,
  type StaticLiteral,
  type StaticSegment,
} from './static-template.js';

/** A relation as templates see it: `{{ this }}` renders the quoted name; `.schema` and `.identifier` are parts. */
export class RelationValue {
  constructor(
    readonly schema: string,
    readonly identifier: string,
    private readonly sql: string,
  ) {}
  get name(): string {
    return this.identifier;
  }
  get database(): undefined {
    return undefined;
  }
  render(): string {
    return this.sql;
  }
  toString(): string {
    return this.sql;
  }
}

/**
 * What the template functions do during one render. The loader's hooks record refs and config (parse mode);
 * the compiler's hooks return relations (compile mode).
 */
export interface RenderHooks {
  readonly mode: 'parse' | 'compile';
  ref(args: CallArguments): unknown;
  source(args: CallArguments): unknown;
  config(args: CallArguments): void;
  configGet(key: string, fallback: unknown): unknown;
  variable(name: string, fallback: { readonly value: unknown } | undefined): unknown;
  envVar(name: string, fallback: { readonly value: unknown } | undefined): unknown;
  isIncremental(): boolean;
  readonly thisRelation: unknown;
  readonly target: unknown;
  readonly model: unknown;
  readonly dialect: SqlDialect;
  readonly runStartedAt: string;
}

/** A template ready to render: parsed once at load, rendered any number of times. */
export type CompiledTemplate =
  | { readonly kind: 'static'; readonly file: string; readonly segments: readonly StaticSegment[] }
  | { readonly kind: 'nunjucks'; readonly file: string; readonly template: nunjucks.Template };

/** A template that failed to parse or render, with the 1-based line (and column) when known. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Raised by template functions for a mistake the author must fix (unknown ref, missing var). */
export class TemplateUsageError extends Error {
  override readonly name = 'TemplateUsageError';
}

let jinjaCompatInstalled = false;

/** nunjucks' Template.getExported, missing from @types/nunjucks. */
interface ExportingTemplate {
  getExported(context: object, frame: null, callback: (error: Error | null, exported: unknown) => void): void;
}

interface NunjucksError extends Error {
  lineno?: number;
  colno?: number;
  cause?: unknown;
}

/** The names every template can use besides macros. */
const BUILTIN_NAMES = [
  'ref',
  'source',
  'config',
  'var',
  'env_var',
  'is_incremental',
  'this',
  'target',
  'model',
  'execute',
  'run_started_at',
  'exceptions',
  'raise_compiler_error',
  'log',
  'dbt',
  'dbt_utils',
  'adapter',
];

/**
 * One nunjucks Environment per project (never per model): the template functions are globals that delegate to
 * the hooks of the render in progress, so macros compiled once see the right `this`, `ref` and `target`.
 * Rendering is synchronous, so one current render at a time is exact even when models run in parallel.
 */
export class TemplateEngine {
  private readonly env: nunjucks.Environment;
  /** The environment's globals (absent from @types/nunjucks, present in nunjucks 3). */
  private readonly globals: Record<string, unknown>;
  private hooks: RenderHooks | undefined;
  private readonly macroNames = new Set<string>();

  constructor() {
    if (!jinjaCompatInstalled) {
      // Python-style `.items()`, slices and `True`/`False` in templates, as dbt authors write them.
      nunjucks.installJinjaCompat();
      jinjaCompatInstalled = true;
    }
    this.env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, dev: true });
    this.globals = (this.env as unknown as { globals: Record<string, unknown> }).globals;
    const hooks = (): RenderHooks => {
      if (this.hooks === undefined) throw new Error('template functions called outside a render');
      return this.hooks;
    };
    const globals = this.globals;
    const config = (...args: unknown[]): string => {
      hooks().config(callArguments(args));
      return '';
    };
    config.get = (key: unknown, fallback?: unknown): unknown => hooks().configGet(String(key), fallback);
    config.require = (key: unknown): unknown => {
      const value = hooks().configGet(String(key), undefined);
      if (value === undefined) throw new TemplateUsageError(`config "${String(key)}" is required here but not set.`);
      return value;
    };
    const raise = (message: unknown): never => {
      throw new TemplateUsageError(String(message));
    };
    const fallbackOf = (args: unknown[]): { value: unknown } | undefined => {
      const { positional, keywords } = callArguments(args);
      if (positional.length > 1) return { value: positional[1] };
      if ('default' in keywords) return { value: keywords.default };
      return undefined;
    };
    Object.assign(globals, {
      ref: (...args: unknown[]) => hooks().ref(callArguments(args)),
      source: (...args: unknown[]) => hooks().source(callArguments(args)),
      config,
      var: (...args: unknown[]) => hooks().variable(String(callArguments(args).positional[0]), fallbackOf(args)),
      env_var: (...args: unknown[]) => hooks().envVar(String(callArguments(args).positional[0]), fallbackOf(args)),
      is_incremental: () => hooks().isIncremental(),
      raise_compiler_error: raise,
      exceptions: { raise_compiler_error: raise, warn: () => '' },
      log: () => '',
    });
    // dbt's `adapter.quote(name)`: the name quoted as the target spells it (Snowflake stores plain names upper-cased,
    // so `adapter.quote('order')` is "ORDER" there and "order" on DuckDB).
    globals.adapter = { quote: (name: unknown) => hooks().dialect.quoteIdentifier(String(name)) };
    const macros = crossEngineMacros(() => hooks().dialect);
    Object.assign(globals, macros);
    globals.dbt = { ...macros };
    globals.dbt_utils = { ...macros };
    for (const [name, read] of [
      ['this', () => hooks().thisRelation],
      ['target', () => hooks().target],
      ['model', () => hooks().model],
      ['execute', () => hooks().mode === 'compile'],
      ['run_started_at', () => hooks().runStartedAt],
    ] as const) {
      Object.defineProperty(globals, name, { get: read, enumerable: true, configurable: true });
    }
  }

  /** Names callable in templates (built-ins, cross-engine macros, project macros), for suggestions. */
  knownNames(): string[] {
    return Object.keys(this.globals);
  }

  /** Whether the project defines a macro with this name. */
  hasMacro(name: string): boolean {
    return this.macroNames.has(name);
  }

  /** Call a project macro (or built-in function) by name from TypeScript, within a render context. */
  callMacro(name: string, hooks: RenderHooks, args: readonly unknown[]): string {
    const fn = this.globals[name];
    if (typeof fn !== 'function') throw new TemplateUsageError(`no macro named "${name}".`);
    return this.withHooks(hooks, () => String((fn as TemplateFunction)(...args) ?? ''));
  }

  /**
   * Compile a macro file (with dbt's `{% test name(...) %}` blocks turned into macros named `test_name`) and make
   * its macros global. Returns the names defined.
   */
  addMacroFile(source: string, file: string, hooks: RenderHooks): string[] {
    const text = source
      .replace(/\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g, '{%$1 macro test_$2(')
      .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}');
    if (/\{%-?\s*materialization\b/.test(text)) {
      throw new TemplateError(
        'custom materializations ({% materialization %}) are not supported.',
        file,
        undefined,
        undefined,
      );
    }
    const template = this.compile(text, file);
    if (template.kind !== 'nunjucks') return [];
    const exported = this.withHooks(hooks, () => {
      let result: Record<string, unknown> = {};
      let failure: unknown;
      try {
        (template.template as unknown as ExportingTemplate).getExported(
          {},
          null,
          (error: Error | null, value: unknown) => {
            if (error) failure = error;
            else result = value as Record<string, unknown>;
          },
        );
      } catch (error) {
        failure = error;
      }
      if (failure !== undefined) throw this.toTemplateError(failure, file);
      return result;
    });
    for (const [name, fn] of Object.entries(exported)) {
      this.globals[name] = fn;
      this.macroNames.add(name);
    }
    return Object.keys(exported);
  }

  /** Whether `name` is a built-in template name a project macro may not replace. */
  static isReservedName(name: string): boolean {
    return BUILTIN_NAMES.includes(name);
  }

  /** Parse a template once: the static fast path when possible, else nunjucks (syntax errors throw here). */
  compile(source: string, file: string): CompiledTemplate {
    const segments = parseStaticTemplate(source);
    if (segments !== undefined) return { kind: 'static', file, segments };
    try {
      return { kind: 'nunjucks', file, template: new nunjucks.Template(source, this.env, file, true) };
    } catch (error) {
      throw this.toTemplateError(error, file);
    }
  }

  /** Render a compiled template with the given hooks; errors come back as `TemplateError` with the line. */
  render(template: CompiledTemplate, hooks: RenderHooks): string {
    return this.withHooks(hooks, () => {
      if (template.kind === 'nunjucks') {
        try {
          return template.template.render({});
        } catch (error) {
          throw this.toTemplateError(error, template.file);
        }
      }
      return this.renderStatic(template);
    });
  }

  /** Render a one-off template string (hooks, YAML values), compiling it first. */
  renderString(source: string, file: string, hooks: RenderHooks): string {
    return this.render(this.compile(source, file), hooks);
  }

  private withHooks<T>(hooks: RenderHooks, fn: () => T): T {
    const previous = this.hooks;
    this.hooks = hooks;
    try {
      return fn();
    } finally {
      this.hooks = previous;
    }
  }

  private renderStatic(template: Extract<CompiledTemplate, { kind: 'static' }>): string {
    let out = '';
    for (const segment of template.segments) {
      if (typeof segment === 'string') {
        out += segment;
        continue;
      }
      let value: unknown;
      try {
        value = this.evaluate(segment);
      } catch (error) {
        throw this.toTemplateError(error, template.file, segment.line);
      }
      if (value === undefined || value === null) {
        throw new TemplateError(
          `{{ ${segment.path.join('.')} }} is undefined.${didYouMean(closestNames(segment.path[0] ?? '', this.knownNames()))}`,
          template.file,
          segment.line,
          undefined,
        );
      }
      out += String(value);
    }
    return out;
  }

  private evaluate(expression: StaticExpression): unknown {
    const globals = this.globals;
    const [head, ...rest] = expression.path;
    let owner: unknown;
    let value: unknown = globals[head as string];
    for (const key of rest) {
      owner = value;
      value = value === undefined || value === null ? undefined : (value as Record<string, unknown>)[key];
    }
    if (expression.call === undefined) return value;
    if (typeof value !== 'function') {
      throw new TemplateUsageError(`Unable to call \`${expression.path.join('.')}\`, which is undefined or falsey`);
    }
    const args: unknown[] = [...expression.call.positional.map(copyLiteral)];
    const keywords = Object.entries(expression.call.keywords);
    if (keywords.length > 0) {
      args.push({ ...Object.fromEntries(keywords.map(([k, v]) => [k, copyLiteral(v)])), __keywords: true });
    }
    return (value as (...a: unknown[]) => unknown).apply(owner, args);
  }

  /** A nunjucks error (or one of ours raised inside a render) as a `TemplateError` with a 1-based line. */
  toTemplateError(error: unknown, file: string, line?: number): TemplateError {
    if (error instanceof TemplateError) return error;
    const e = error as NunjucksError;
    const cause = e.cause instanceof Error ? e.cause : undefined;
    // nunjucks reports render-time errors with a 0-based line, parse errors and undefined outputs 1-based.
    const reportedLine = e.lineno === undefined ? undefined : cause ? e.lineno + 1 : e.lineno;
    let message = (cause ?? e).message ?? String(error);
    message = message.replace(/^\([^)]*\)(?: \[Line \d+(?:, Column \d+)?\])?\s*/, '').replace(/^Error: /, '');
    const unknown = /Unable to call `([^`]+)`/.exec(message);
    if (unknown) {
      const name = (unknown[1] as string).split('.').at(-1) as string;
      message = `${unknown[1]}() is not a function, macro or built-in.${didYouMean(closestNames(name, this.knownNames()))}`;
    } else if (message.includes('attempted to output null or undefined value')) {
      message = 'a name used in {{ }} is undefined (not a variable, macro or built-in).';
    }
    return new TemplateError(message, file, line ?? reportedLine, e.colno, { cause: cause ?? error });
  }
}

function copyLiteral(value: StaticLiteral): unknown {
  return Array.isArray(value) ? value.map(copyLiteral) : value;
}
