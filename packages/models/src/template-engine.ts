import type { SqlDialect } from '@sluice/warehouse';
import { closestNames } from '@sluice/warehouse';
import nunjucks from 'nunjucks';
import { callArguments, type CallArguments } from './call-arguments.js';
import { crossEngineMacros, type TemplateFunction } from './cross-engine-macros.js';
import { DBT_ARTIFACT_VERSION } from './dbt-version.js';
import { dbtContextFunctions, type DbtRenderState, runStartedAtValue } from './dbt-context.js';
import { installJinjaBuiltins, jinjaGlobals } from './jinja/jinja-builtins.js';
import { compileJinja } from './jinja/jinja-compiler.js';
import { TEMPLATE_SOURCE, type TemplateSource } from './jinja/jinja-runtime.js';
import { pyStr } from './jinja/python-values.js';
import { pythonModules } from './jinja/python-modules.js';
import { DBT_NAMESPACE, type DispatchConfig, type MacroFunction, MacroRegistry } from './macro-registry.js';
import { didYouMean } from './project-issue.js';
import {
  parseStaticTemplate,
  type StaticExpression,
  type StaticLiteral,
  type StaticSegment,
} from './static-template.js';
import { TemplateError, TemplateUsageError } from './template-errors.js';
import type { WarehouseCalls } from './warehouse-calls.js';

export { RelationValue } from './dbt-relation.js';
export { TemplateError, TemplateUsageError } from './template-errors.js';

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
  /**
   * How the render asks the warehouse (`run_query`, `statement`, `adapter.get_columns_in_relation`). Absent at parse
   * time (nothing is asked, as in dbt) and in a compile without a warehouse (asking is then an error).
   */
  readonly warehouse?: WarehouseCalls;
  /** dbt's `graph` (the project's nodes and sources); `{ nodes: {}, sources: {} }` when absent. */
  readonly graph?: () => unknown;
  /** dbt's `flags` (`flags.WHICH`, `flags.FULL_REFRESH`). */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly invocationId?: string;
  /** `log()`, `print()` and `exceptions.warn()` messages. */
  log?(message: string): void;
  /** What only dbt's `on-run-end` hooks see: `results`, `schemas`, `database_schemas`. */
  readonly runContext?: Readonly<Record<string, unknown>>;
  /**
   * A unit test's `overrides.macros`: each name, as the template reads it unqualified, gives this value (a macro is
   * called and returns it; a variable such as `invocation_id` is it) for this render only.
   */
  readonly macroOverrides?: Readonly<Record<string, unknown>>;
}

/** A template ready to render: parsed once at load, rendered any number of times. */
export type CompiledTemplate =
  | {
      readonly kind: 'static';
      readonly file: string;
      readonly segments: readonly StaticSegment[];
      /** A package's template: `{{ undefined_name }}` writes nothing (dbt's rule). */
      readonly lenient?: boolean;
      /** A package's template: its own macros, found unqualified before the globals (dbt's local namespace). */
      readonly scope?: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'nunjucks'; readonly file: string; readonly template: nunjucks.Template };

/** A `{% materialization %}` block found in a macro file: not supported, left out with a warning. */
export interface SkippedBlock {
  readonly name: string;
  readonly line: number;
}

let jinjaCompatInstalled = false;

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
  'adapter',
  'api',
  'statement',
  'load_result',
  'run_query',
  'return',
  'modules',
  'graph',
  'flags',
  'invocation_id',
  'dbt_version',
  'project_name',
];

/** The render in progress: its hooks, and what `statement` blocks stored for `load_result`. */
interface RenderFrame {
  readonly hooks: RenderHooks;
  readonly results: Map<string, unknown>;
  state?: DbtRenderState;
}

const EMPTY_GRAPH = {
  nodes: {},
  sources: {},
  exposures: {},
  metrics: {},
  groups: {},
  semantic_models: {},
  saved_queries: {},
};

const MATERIALIZATION_BLOCK =
  /\{%-?\s*materialization\s+([A-Za-z_][A-Za-z0-9_]*)[\s\S]*?\{%-?\s*endmaterialization\s*-?%\}/g;

/**
 * One nunjucks Environment per project (never per model): the template functions are globals that delegate to
 * the hooks of the render in progress, so macros compiled once see the right `this`, `ref` and `target`.
 * Rendering is synchronous, so one current render at a time is exact even when models run in parallel.
 *
 * Templates are compiled by `compileJinja` (Jinja's semantics on nunjucks) and see dbt's context: `adapter`,
 * `api`, `statement`/`load_result`, `run_query`, `modules`, `graph`, `flags`, `return`, dbt's cross-database macros
 * (unqualified and as `dbt.x`), and the macros of the project (global) and of its packages (`package.macro`).
 */
export class TemplateEngine {
  private readonly env: nunjucks.Environment;
  /** The environment's globals (absent from @types/nunjucks, present in nunjucks 3). */
  private readonly globals: Record<string, unknown>;
  private frame: RenderFrame | undefined;
  private readonly macroNames = new Set<string>();
  private registry = new MacroRegistry('');
  /** Namespaces holding Sluice's built-ins until a package of that name brings its own macros (`dbt_utils`). */
  private readonly standIns = new Set<string>(['dbt_utils']);
  /** Package name → the names its macros see unqualified (dbt's local namespace). */
  private readonly scopes = new Map<string, Record<string, unknown>>();
  /** Where `log()` messages go outside a render's own hook. */
  onLog: (message: string) => void = () => undefined;

  constructor() {
    if (!jinjaCompatInstalled) {
      // Python-style slices and `True`/`False`/`None`, as dbt authors write them.
      nunjucks.installJinjaCompat();
      jinjaCompatInstalled = true;
    }
    this.env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, dev: true });
    installJinjaBuiltins(this.env);
    this.globals = (this.env as unknown as { globals: Record<string, unknown> }).globals;
    const hooks = (): RenderHooks => this.current().hooks;
    const globals = this.globals;
    const config = (...args: unknown[]): string => {
      hooks().config(callArguments(args));
      return '';
    };
    config.get = (key: unknown, fallback?: unknown): unknown => hooks().configGet(pyStr(key), fallback ?? null);
    config.require = (key: unknown): unknown => {
      const value = hooks().configGet(pyStr(key), undefined);
      if (value === undefined) throw new TemplateUsageError(`config "${pyStr(key)}" is required here but not set.`);
      return value;
    };
    const raise = (message: unknown): never => {
      throw new TemplateUsageError(pyStr(message));
    };
    const fallbackOf = (args: unknown[]): { value: unknown } | undefined => {
      const { positional, keywords } = callArguments(args);
      if (positional.length > 1) return { value: positional[1] };
      if ('default' in keywords) return { value: keywords.default };
      return undefined;
    };
    const log = (message: string): void => {
      const h = this.frame?.hooks;
      if (h?.log) h.log(message);
      else this.onLog(message);
    };
    Object.assign(globals, jinjaGlobals(log), {
      modules: pythonModules(),
      // The dbt release Sluice's artifacts and context follow (dbt's `dbt_version`).
      dbt_version: DBT_ARTIFACT_VERSION,
      ref: (...args: unknown[]) => hooks().ref(callArguments(args)),
      source: (...args: unknown[]) => hooks().source(callArguments(args)),
      config,
      var: (...args: unknown[]) => hooks().variable(pyStr(callArguments(args).positional[0]), fallbackOf(args)),
      env_var: (...args: unknown[]) => hooks().envVar(pyStr(callArguments(args).positional[0]), fallbackOf(args)),
      is_incremental: () => hooks().isIncremental(),
      raise_compiler_error: raise,
      exceptions: {
        raise_compiler_error: raise,
        raise_not_implemented: raise,
        raise_database_error: raise,
        raise_fail_fast_error: raise,
        warn: (message: unknown) => {
          log(`warning: ${pyStr(message)}`);
          return '';
        },
      },
    });
    Object.assign(
      globals,
      dbtContextFunctions(() => this.renderState(), {
        resolve: (name, namespace, adapterType) => this.registry.resolve(name, namespace, adapterType),
      }),
    );
    const builtins = crossEngineMacros(
      () => hooks().dialect,
      (sql) => {
        const table = (globals.run_query as (sql: string) => { rows: unknown[][] } | null)(sql);
        return table === null ? undefined : (table.rows[0] ?? []);
      },
    );
    Object.assign(globals, builtins);
    this.installDbtNamespace(builtins);
    for (const [name, read] of [
      ['this', () => hooks().thisRelation],
      ['target', () => hooks().target],
      ['model', () => hooks().model],
      ['execute', () => hooks().mode === 'compile'],
      ['run_started_at', () => runStartedAtValue(hooks().runStartedAt)],
      ['project_name', () => this.registry.rootProject],
      ['graph', () => hooks().graph?.() ?? EMPTY_GRAPH],
      ['flags', () => hooks().flags ?? {}],
      ['invocation_id', () => hooks().invocationId ?? ''],
      ['results', () => hooks().runContext?.results],
      ['schemas', () => hooks().runContext?.schemas],
      ['database_schemas', () => hooks().runContext?.database_schemas],
    ] as const) {
      Object.defineProperty(globals, name, { get: read, enumerable: true, configurable: true });
    }
  }

  /**
   * dbt's own macros as the `dbt` package: each cross-database macro as `dbt.x` and `dbt.default__x` (what
   * `adapter.dispatch('x', 'dbt')` finds). `dbt.x` first looks for the project's `<adapter>__x` / `default__x`
   * (dbt's dispatch searches the root project first). `dbt_utils.x` reaches the same built-ins until a dbt_utils
   * package is installed.
   */
  private installDbtNamespace(builtins: Record<string, TemplateFunction>): void {
    const dbt = this.registry.namespace(DBT_NAMESPACE);
    const fallback = this.registry.namespace('dbt_utils');
    for (const [name, fn] of Object.entries(builtins)) {
      const dispatching: MacroFunction = (...args) => {
        const type = this.frame?.state?.adapterType ?? this.renderState().adapterType;
        const root = this.registry.namespace(this.registry.rootProject);
        const override = root.macro(`${type}__${name}`) ?? root.macro(`default__${name}`);
        return (override ?? fn)(...args);
      };
      dbt.define(name, dispatching);
      dbt.define(`default__${name}`, fn);
      fallback.define(name, fn);
    }
    this.globals.dbt = dbt;
    this.globals.dbt_utils = fallback;
  }

  /** The root project's name (as `configureProject` set it). */
  get rootProject(): string {
    return this.registry.rootProject;
  }

  /** Name the root project and set the `dispatch:` search orders (before macros are added). */
  configureProject(rootProject: string, dispatch: readonly DispatchConfig[] = []): void {
    const previous = this.registry;
    this.registry = new MacroRegistry(rootProject);
    for (const name of previous.packageNames()) {
      const target = this.registry.namespace(name);
      const source = previous.namespace(name);
      for (const macro of source.names()) target.define(macro, source.macro(macro) as MacroFunction);
    }
    this.registry.setDispatch(dispatch);
    this.globals.dbt = this.registry.namespace(DBT_NAMESPACE);
    this.globals.dbt_utils = this.registry.namespace('dbt_utils');
  }

  /** The state the dbt context functions read, computed once per render. */
  private renderState(): DbtRenderState {
    const frame = this.current();
    if (frame.state !== undefined) return frame.state;
    const { hooks } = frame;
    const target = (hooks.target ?? {}) as { type?: unknown; database?: unknown };
    const database = typeof target.database === 'string' ? target.database : undefined;
    frame.state = {
      mode: hooks.mode,
      dialect: hooks.dialect,
      adapterType: typeof target.type === 'string' ? target.type : '',
      ...(database === undefined ? {} : { database }),
      ...(hooks.warehouse === undefined ? {} : { warehouse: hooks.warehouse }),
      config: {
        store_failures: hooks.configGet('store_failures', undefined),
        full_refresh: hooks.configGet('full_refresh', undefined),
      },
      log: (message) => (hooks.log ? hooks.log(message) : this.onLog(message)),
      results: frame.results,
    };
    return frame.state;
  }

  private current(): RenderFrame {
    if (this.frame === undefined) throw new Error('template functions called outside a render');
    return this.frame;
  }

  /** Names callable in templates (built-ins, cross-engine macros, project macros), for suggestions. */
  knownNames(): string[] {
    return Object.keys(this.globals);
  }

  /** Whether the project (or, given, a package) defines a macro with this name. */
  hasMacro(name: string, packageName?: string): boolean {
    if (packageName === undefined || packageName === this.registry.rootProject) return this.macroNames.has(name);
    return this.registry.has(packageName) && this.registry.namespace(packageName).macro(name) !== undefined;
  }

  /** Whether a package of this name has macros here. */
  hasPackage(packageName: string): boolean {
    return (
      !this.standIns.has(packageName) &&
      this.registry.has(packageName) &&
      this.registry.namespace(packageName).names().length > 0
    );
  }

  /** Call a macro of the project (or of a package) by name from TypeScript, within a render context. */
  callMacro(name: string, hooks: RenderHooks, args: readonly unknown[], packageName?: string): string {
    const fn =
      packageName === undefined || packageName === this.registry.rootProject
        ? this.globals[name]
        : this.registry.namespace(packageName).macro(name);
    if (typeof fn !== 'function') throw new TemplateUsageError(`no macro named "${name}".`);
    return this.withHooks(hooks, () => pyStr((fn as TemplateFunction)(...args) ?? ''));
  }

  /**
   * Compile a macro file (with dbt's `{% test name(...) %}` blocks turned into macros named `test_name`) and add
   * its macros: the root project's become global (and `<project>.name`), a package's become `<package>.name` and
   * what that package's own templates see unqualified. `{% materialization %}` blocks are left out and returned.
   */
  addMacroFile(
    source: string,
    file: string,
    hooks: RenderHooks,
    packageName?: string,
  ): { names: string[]; skipped: SkippedBlock[] } {
    const skipped: SkippedBlock[] = [];
    let text = source.replace(MATERIALIZATION_BLOCK, (block, name: string, offset: number) => {
      skipped.push({ name, line: source.slice(0, offset).split('\n').length });
      // Keep the lines, so errors after the block report the right line.
      return '\n'.repeat(block.split('\n').length - 1);
    });
    text = text
      .replace(/\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g, '{%$1 macro test_$2(')
      .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}');
    if (parseStaticTemplate(text) !== undefined) return { names: [], skipped };
    const isPackage = packageName !== undefined && packageName !== this.registry.rootProject;
    let defined: Record<string, unknown> = {};
    let template: nunjucks.Template;
    try {
      template = compileJinja(text, this.env, file, {
        ...(isPackage ? { scope: this.scopeOf(packageName), lenientUndefined: true } : {}),
        onContext: (context) => {
          defined = context.ctx;
        },
      });
    } catch (error) {
      throw this.toTemplateError(error, file);
    }
    this.withHooks(hooks, () => {
      try {
        template.render({});
      } catch (error) {
        throw this.toTemplateError(error, file);
      }
    });
    const names: string[] = [];
    const namespace = this.registry.namespace(isPackage ? packageName : this.registry.rootProject);
    if (isPackage && this.standIns.delete(packageName))
      for (const name of namespace.names()) delete (namespace as unknown as Record<string, unknown>)[name];
    for (const name of Object.keys(defined)) {
      const fn = defined[name];
      if (typeof fn !== 'function') continue;
      names.push(name);
      namespace.define(name, fn as MacroFunction);
      if (isPackage) (this.scopeOf(packageName) as Record<string, unknown>)[name] = fn;
      else {
        this.globals[name] = fn;
        this.macroNames.add(name);
      }
    }
    if (isPackage) this.globals[packageName] = namespace;
    else if (this.registry.rootProject !== '' && !(this.registry.rootProject in this.globals)) {
      this.globals[this.registry.rootProject] = namespace;
    }
    return { names, skipped };
  }

  private scopeOf(packageName: string): Record<string, unknown> {
    let scope = this.scopes.get(packageName);
    if (scope === undefined) {
      scope = Object.create(null) as Record<string, unknown>;
      this.scopes.set(packageName, scope);
    }
    return scope;
  }

  /** Whether `name` is a built-in template name a project macro may not replace. */
  static isReservedName(name: string): boolean {
    return BUILTIN_NAMES.includes(name);
  }

  /**
   * Parse a template once: the static fast path when possible, else Jinja (syntax errors throw here). A template
   * of a package sees that package's macros unqualified.
   */
  compile(source: string, file: string, packageName?: string): CompiledTemplate {
    const isPackage = packageName !== undefined && packageName !== this.registry.rootProject;
    const segments = parseStaticTemplate(source);
    if (segments !== undefined) {
      return {
        kind: 'static',
        file,
        segments,
        ...(isPackage ? { lenient: true, scope: this.scopeOf(packageName) } : {}),
      };
    }
    try {
      return {
        kind: 'nunjucks',
        file,
        template: compileJinja(
          source,
          this.env,
          file,
          isPackage ? { scope: this.scopeOf(packageName), lenientUndefined: true } : {},
        ),
      };
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

  /** Render a one-off template string (hooks, YAML values), compiling it first (in `packageName`'s namespace). */
  renderString(source: string, file: string, hooks: RenderHooks, packageName?: string): string {
    return this.render(this.compile(source, file, packageName), hooks);
  }

  private withHooks<T>(hooks: RenderHooks, fn: () => T): T {
    const previous = this.frame;
    this.frame = { hooks, results: new Map() };
    const restore = this.overrideGlobals(hooks.macroOverrides);
    try {
      return fn();
    } finally {
      restore();
      this.frame = previous;
    }
  }

  /** Replace globals for one render (a unit test's macro overrides); returns what puts them back. */
  private overrideGlobals(overrides: Readonly<Record<string, unknown>> | undefined): () => void {
    if (overrides === undefined) return () => undefined;
    const saved: Array<[string, PropertyDescriptor | undefined]> = [];
    for (const [name, value] of Object.entries(overrides)) {
      // Handled by the hooks themselves (they are read through getters).
      if (name === 'is_incremental' || name === 'invocation_id') continue;
      const descriptor = Object.getOwnPropertyDescriptor(this.globals, name);
      saved.push([name, descriptor]);
      const callable = descriptor === undefined || typeof descriptor.value === 'function';
      Object.defineProperty(this.globals, name, {
        value: callable ? () => value : value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
    return () => {
      for (const [name, descriptor] of saved.reverse()) {
        if (descriptor === undefined) delete this.globals[name];
        else Object.defineProperty(this.globals, name, descriptor);
      }
    };
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
        value = this.evaluate(segment, template.scope);
      } catch (error) {
        throw this.toTemplateError(error, template.file, segment.line);
      }
      if (value === undefined && template.lenient === true && segment.path.length === 1 && segment.call === undefined) {
        continue;
      }
      if (value === undefined) {
        throw new TemplateError(
          `{{ ${segment.path.join('.')} }} is undefined.${didYouMean(closestNames(segment.path[0] ?? '', this.knownNames()))}`,
          template.file,
          segment.line,
          undefined,
        );
      }
      out += pyStr(value);
    }
    return out;
  }

  private evaluate(expression: StaticExpression, scope?: Readonly<Record<string, unknown>>): unknown {
    const [head, ...rest] = expression.path as [string, ...string[]];
    let owner: unknown;
    let value: unknown = scope !== undefined && head in scope ? scope[head] : this.globals[head];
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
    // Raised inside a macro of another file: say where (dbt's "> in macro …").
    const source = sourceOf(error);
    if (source !== undefined && source.file !== file) {
      const inner = this.toTemplateError(cause ?? error, source.file, source.line);
      return new TemplateError(`${inner.message} (in ${source.file}:${source.line})`, file, line, undefined, {
        cause: inner.cause,
      });
    }
    if (source !== undefined && line === undefined) line = source.line;
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

/** Where a compiled template recorded the error (or what caused it) was raised. */
function sourceOf(error: unknown): TemplateSource | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== null && typeof current === 'object'; depth++) {
    const source = (current as { [TEMPLATE_SOURCE]?: TemplateSource })[TEMPLATE_SOURCE];
    if (source !== undefined) return source;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function copyLiteral(value: StaticLiteral): unknown {
  return Array.isArray(value) ? value.map(copyLiteral) : value;
}
