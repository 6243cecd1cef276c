import { TemplateUsageError } from './template-errors.js';

/** A macro as templates call it: nunjucks' compiled macro, or a built-in function. */
export type MacroFunction = (...args: unknown[]) => unknown;

/**
 * The macros of one package (or of the project, or dbt's built-ins), reachable as `package_name.macro(...)`.
 * A class (not a plain object), so templates never mistake it for a dict (`dbt_utils.items` is a macro, not
 * dict.items).
 */
export class MacroNamespace {
  constructor(readonly packageName: string) {}
  /** The macros by name, as own properties of the namespace. */
  macro(name: string): MacroFunction | undefined {
    const value = (this as unknown as Record<string, unknown>)[name];
    return Object.hasOwn(this, name) && typeof value === 'function' ? (value as MacroFunction) : undefined;
  }
  define(name: string, macro: MacroFunction): void {
    Object.defineProperty(this, name, { value: macro, enumerable: true, configurable: true, writable: true });
  }
  names(): string[] {
    return Object.keys(this).filter((k) => k !== 'packageName');
  }
  toString(): string {
    return `<namespace ${this.packageName}>`;
  }
}

/** One `dispatch:` entry of dbt_project.yml. */
export interface DispatchConfig {
  readonly macroNamespace: string;
  readonly searchOrder: readonly string[];
}

/** The package name of dbt's own macros (`dbt.dateadd`, `adapter.dispatch('x', 'dbt')`). */
export const DBT_NAMESPACE = 'dbt';

/**
 * Every macro of the project and its packages by namespace, and dbt's dispatch rule: `adapter.dispatch('x', 'pkg')`
 * searches the `dispatch:` search order configured for `pkg`, by default the root project then `pkg`, and in each
 * package `<adapter>__x` before `default__x`.
 */
export class MacroRegistry {
  private readonly namespaces = new Map<string, MacroNamespace>();
  private readonly dispatch = new Map<string, readonly string[]>();

  constructor(readonly rootProject: string) {}

  /** The namespace of a package (created on first use). */
  namespace(packageName: string): MacroNamespace {
    let ns = this.namespaces.get(packageName);
    if (ns === undefined) {
      ns = new MacroNamespace(packageName);
      this.namespaces.set(packageName, ns);
    }
    return ns;
  }

  has(packageName: string): boolean {
    return this.namespaces.has(packageName);
  }

  packageNames(): string[] {
    return [...this.namespaces.keys()];
  }

  setDispatch(configs: readonly DispatchConfig[]): void {
    this.dispatch.clear();
    for (const c of configs) this.dispatch.set(c.macroNamespace, c.searchOrder);
  }

  /** The packages `adapter.dispatch` searches, in order, for a macro namespace. */
  searchOrder(macroNamespace: string | undefined): string[] {
    if (macroNamespace === undefined) {
      return [
        this.rootProject,
        DBT_NAMESPACE,
        ...[...this.namespaces.keys()].filter((n) => n !== this.rootProject && n !== DBT_NAMESPACE),
      ];
    }
    const configured = this.dispatch.get(macroNamespace);
    if (configured !== undefined) return [...configured];
    return macroNamespace === this.rootProject ? [this.rootProject] : [this.rootProject, macroNamespace];
  }

  /**
   * The implementation `adapter.dispatch(name, macroNamespace)` picks for an adapter type, or a usage error listing
   * what was searched.
   */
  resolve(name: string, macroNamespace: string | undefined, adapterType: string): MacroFunction {
    const prefixes = [...(adapterType === '' ? [] : [adapterType]), 'default'];
    const searched: string[] = [];
    const packages = this.searchOrder(macroNamespace);
    for (const pkg of packages) {
      const ns = this.namespaces.get(pkg);
      for (const prefix of prefixes) {
        const candidate = `${prefix}__${name}`;
        if (!searched.includes(candidate)) searched.push(candidate);
        const found = ns?.macro(candidate);
        if (found !== undefined) return found;
      }
    }
    const missing =
      macroNamespace !== undefined && !this.namespaces.has(macroNamespace) && !this.dispatch.has(macroNamespace);
    throw new TemplateUsageError(
      `adapter.dispatch: no macro named '${name}' found within namespace '${macroNamespace ?? 'None'}' (searched ${packages.join(', ')} for ${searched.map((s) => `'${s}'`).join(', ')}).${missing ? ` No package named ${macroNamespace} is installed: add it to packages.yml and run \`dbt deps\`, or configure dispatch: in the project file.` : ''}`,
    );
  }
}
