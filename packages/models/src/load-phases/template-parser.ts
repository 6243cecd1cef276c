import { closestNames } from '@sluice/warehouse';
import { createParseHooks, emptyParseRecord, type ParseRecord } from '../parse-hooks.js';
import { didYouMean } from '../project-issue.js';
import type { RenderHooks } from '../template-engine.js';
import { lineOfCall, scanReferences } from '../scan-references.js';
import { TemplateError, type CompiledTemplate } from '../template-engine.js';
import { atLine, type LoadContext } from './load-context.js';

/**
 * Parse-time rendering for the load phases: renders a template with `is_incremental()` false to find its refs,
 * sources and `config()`, and turns what goes wrong into issues with file and line (TEMPLATE_ERROR, UNKNOWN_VAR,
 * MISSING_ENV_VAR).
 */
export class TemplateParser {
  constructor(
    private readonly ctx: LoadContext,
    private readonly vars: Readonly<Record<string, unknown>>,
    /** The project file, named in UNKNOWN_VAR messages. */
    private readonly configFile: string,
  ) {}

  /** Hooks of a parse-time render that record into `record`. */
  hooks(nodeName: string, nodeId: string, file: string, record: ParseRecord): RenderHooks {
    const { env, secrets } = this.ctx;
    const target = this.ctx.target;
    return createParseHooks({
      nodeName,
      nodeId,
      file,
      vars: this.vars,
      env,
      secrets,
      record,
      ...(target ? { target } : {}),
    });
  }

  /** A template that failed to compile or render, as a TEMPLATE_ERROR issue. */
  templateIssue(error: unknown, file: string, fallbackLine?: number): void {
    const e = error instanceof TemplateError ? error : this.ctx.engine.toTemplateError(error, file);
    const line = e.line ?? fallbackLine;
    this.ctx.issues.push({
      code: 'TEMPLATE_ERROR',
      severity: 'error',
      message: e.message,
      file,
      ...atLine(line),
      ...(e.column === undefined ? {} : { column: e.column }),
    });
  }

  /** The vars and environment variables a render missed, as issues at the line of their call (or `lineAt`'s). */
  recordIssues(record: ParseRecord, file: string, text: string, lineAt?: () => number | undefined): void {
    for (const name of record.missingVars) {
      const line = lineAt ? lineAt() : lineOfCall(text, 'var', name);
      this.ctx.issues.push({
        code: 'UNKNOWN_VAR',
        severity: 'error',
        message: `var('${name}') has no value and no default: add it under vars: in ${this.configFile}, pass it with --vars '{${name}: …}', or give a default var('${name}', …).${didYouMean(closestNames(name, Object.keys(this.vars)))}`,
        file,
        ...atLine(line),
        suggestions: closestNames(name, Object.keys(this.vars)),
      });
    }
    for (const name of record.missingEnv) {
      const line = lineAt ? lineAt() : lineOfCall(text, 'env_var', name);
      this.ctx.issues.push({
        code: 'MISSING_ENV_VAR',
        severity: 'error',
        message: `env_var('${name}'): the environment variable ${name} is not set and there is no default. Set it, or write env_var('${name}', 'default').`,
        file,
        ...atLine(line),
      });
    }
  }

  /**
   * Render a node's template at parse time. The refs and sources include those written in branches the render
   * did not take (`is_incremental()`, target checks): they order the graph too.
   */
  render(template: CompiledTemplate, file: string, text: string, nodeName: string, nodeId: string): ParseRecord {
    const record = emptyParseRecord();
    try {
      this.ctx.engine.render(template, this.hooks(nodeName, nodeId, file, record));
    } catch (error) {
      this.templateIssue(error, file);
    }
    this.recordIssues(record, file, text);
    const scanned = scanReferences(text);
    record.refs.push(...scanned.refs);
    record.sources.push(...scanned.sources);
    return record;
  }

  /**
   * A `config:` mapping of a property file with its `{{ … }}` values rendered, as dbt renders them before it
   * validates (natively: `"{{ var('sev', 'error') }}"` is `error`, `"{{ var('on', true) }}"` is `true`), with
   * `var()`, `env_var()` and `target` in context. Hooks stay as written (they render when they run), and so does a
   * `where` that names a relation (`ref`, `source`, `this`: compile renders it). A value that cannot be rendered is
   * an issue at its key's line, and is left out.
   */
  renderYamlConfig(
    config: Readonly<Record<string, unknown>>,
    file: string,
    lineOf: (key: string) => number | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
      if (RUNTIME_CONFIG_KEYS.has(key) || (key === 'where' && /\b(ref|source|this)\b/.test(String(value)))) {
        out[key] = value;
        continue;
      }
      const rendered = this.renderConfigValue(value, file, () => lineOf(key));
      if (rendered !== undefined) out[key] = rendered.value;
    }
    return out;
  }

  /** One config value (a string, or a list or mapping of them) rendered natively; `undefined` when it failed. */
  private renderConfigValue(
    value: unknown,
    file: string,
    line: () => number | undefined,
  ): { value: unknown } | undefined {
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      for (const item of value) {
        const rendered = this.renderConfigValue(item, file, line);
        if (rendered === undefined) return undefined;
        items.push(rendered.value);
      }
      return { value: items };
    }
    if (typeof value !== 'string' || !(value.includes('{{') || value.includes('{%'))) return { value };
    const record = emptyParseRecord();
    let text: string;
    try {
      text = this.ctx.engine.renderString(value, file, this.hooks('', '', file, record));
    } catch (error) {
      const e = error instanceof TemplateError ? error : this.ctx.engine.toTemplateError(error, file);
      this.ctx.issues.push({ code: 'TEMPLATE_ERROR', severity: 'error', message: e.message, file, ...atLine(line()) });
      return undefined;
    }
    if (record.missingVars.size + record.missingEnv.size > 0) {
      // Reported at the key's line: lines inside the value mean nothing in the file.
      this.recordIssues(record, file, value, line);
      return undefined;
    }
    return { value: nativeValue(text) };
  }

  /**
   * A project-file value (`dbt_project.yml`) rendered with the full engine and `target` in context, natively as
   * `renderYamlConfig` renders; what goes wrong is returned, not recorded (the caller reports it at its key).
   */
  renderProjectValue(text: string, file: string): { value: unknown } | { error: string } {
    const record = emptyParseRecord();
    try {
      const rendered = this.ctx.engine.renderString(text, file, this.hooks('', '', file, record));
      const missing = [...record.missingVars].map((n) => `var('${n}') has no value`);
      missing.push(...[...record.missingEnv].map((n) => `the environment variable ${n} is not set`));
      return missing.length > 0 ? { error: missing.join('; ') } : { value: nativeValue(rendered) };
    } catch (error) {
      const e = error instanceof TemplateError ? error : this.ctx.engine.toTemplateError(error, file);
      return { error: e.message };
    }
  }

  /** A property-file value that may hold `{{ … }}` (a source's schema or identifier), rendered. */
  renderYamlValue(value: string, file: string): string {
    if (!value.includes('{{')) return value;
    const record = emptyParseRecord();
    try {
      return this.ctx.engine.renderString(value, file, this.hooks('', '', file, record)).trim();
    } catch (error) {
      this.templateIssue(error, file);
      return value;
    } finally {
      this.recordIssues(record, file, value);
    }
  }
}

/** Config keys whose templates render when the node runs, never at load. */
const RUNTIME_CONFIG_KEYS = new Set(['pre_hook', 'post_hook', 'pre-hook', 'post-hook', 'sql_header']);

/**
 * A rendered config value as dbt's native rendering gives it: numbers, `True`/`False`, `None` and list literals
 * become values; anything else stays text.
 */
function nativeValue(text: string): unknown {
  const t = text.trim();
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(t)) return Number(t);
  if (t === 'True' || t === 'true') return true;
  if (t === 'False' || t === 'false') return false;
  if (t === 'None') return null;
  if (/^\[.*\]$/s.test(t)) {
    try {
      return JSON.parse(t.replace(/'/g, '"')) as unknown;
    } catch {
      return t;
    }
  }
  return t;
}
