import type { SqlDialect } from '@sluice/warehouse';
import { formatLogicalType, qualifiedName, quoteIdentifier } from '@sluice/warehouse';
import type { CallArguments } from './call-arguments.js';
import { RelationValue, TemplateUsageError, type RenderHooks } from './template-engine.js';

/** The target as a parse-time render sees it (`target.type` picks dispatch implementations). */
export interface ParseTarget {
  readonly type: string;
  readonly name?: string;
  readonly schema?: string;
  readonly database?: string;
}

/** What a parse-time render found in a template. */
export interface ParseRecord {
  readonly refs: Array<{ name: string; package?: string }>;
  readonly sources: Array<{ source: string; table: string }>;
  /** `config()` calls, merged in call order. */
  readonly config: Record<string, unknown>;
  readonly missingVars: Set<string>;
  readonly missingEnv: Set<string>;
}

export function emptyParseRecord(): ParseRecord {
  return { refs: [], sources: [], config: {}, missingVars: new Set(), missingEnv: new Set() };
}

/** A dialect for parse-time renders: its SQL is never run, only the dependencies and config are kept. */
const parseDialect: SqlDialect = {
  quoteIdentifier,
  qualify: qualifiedName,
  typeName: formatLogicalType,
  createOrReplaceView: () => '',
  createOrReplaceTableAs: () => '',
  mergeInto: () => '',
  dropRelation: () => '',
  castToText: () => '',
  floorDivide: () => '',
};

/** `var(name)`: the project's value, else the default; `undefined` when neither exists. */
export function lookupVariable(
  vars: Readonly<Record<string, unknown>>,
  name: string,
  fallback: { readonly value: unknown } | undefined,
): { value: unknown } | undefined {
  if (Object.hasOwn(vars, name)) return { value: vars[name] };
  return fallback;
}

/** `env_var(name)`: the environment's value (remembered as a secret), else the default. */
export function lookupEnv(
  env: Readonly<Record<string, string | undefined>>,
  secrets: Set<string>,
  name: string,
  fallback: { readonly value: unknown } | undefined,
): { value: unknown } | undefined {
  const value = env[name];
  if (value !== undefined) {
    secrets.add(value);
    return { value };
  }
  return fallback;
}

function stringArgument(fn: string, args: CallArguments, index: number): string {
  const value = args.positional[index];
  if (typeof value !== 'string') throw new TemplateUsageError(`${fn}() takes names as text, e.g. ${fn}('name').`);
  return value;
}

/** `config(...)` arguments as one object: keywords, or a single mapping passed positionally. */
export function configArguments(args: CallArguments): Record<string, unknown> {
  const first = args.positional[0];
  const positional =
    typeof first === 'object' && first !== null && !Array.isArray(first) ? (first as Record<string, unknown>) : {};
  return { ...positional, ...args.keywords };
}

/**
 * Hooks for the load-time render of a template: `ref`/`source`/`config` calls are recorded, `is_incremental()` is
 * false, missing vars and env vars are recorded as problems instead of stopping the render.
 */
export function createParseHooks(options: {
  readonly nodeName: string;
  readonly nodeId: string;
  readonly file: string;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secrets: Set<string>;
  readonly record: ParseRecord;
  /** The target, when the loader knows it: parse-time `adapter.dispatch` then picks what compile will. */
  readonly target?: ParseTarget;
}): RenderHooks {
  const { record } = options;
  const placeholder = (name: string): RelationValue => new RelationValue('__parse__', name, `"__parse__"."${name}"`);
  return {
    mode: 'parse',
    ref(args) {
      if (args.positional.length >= 2) {
        record.refs.push({ package: stringArgument('ref', args, 0), name: stringArgument('ref', args, 1) });
      } else {
        record.refs.push({ name: stringArgument('ref', args, 0) });
      }
      return placeholder(String(args.positional.at(-1)));
    },
    source(args) {
      const source = stringArgument('source', args, 0);
      const table = stringArgument('source', args, 1);
      record.sources.push({ source, table });
      return placeholder(`${source}.${table}`);
    },
    config(args) {
      Object.assign(record.config, configArguments(args));
    },
    configGet(key, fallback) {
      return record.config[key] ?? fallback;
    },
    variable(name, fallback) {
      const found = lookupVariable(options.vars, name, fallback);
      if (found === undefined) {
        record.missingVars.add(name);
        return '';
      }
      return found.value;
    },
    envVar(name, fallback) {
      const found = lookupEnv(options.env, options.secrets, name, fallback);
      if (found === undefined) {
        record.missingEnv.add(name);
        return '';
      }
      return found.value;
    },
    isIncremental: () => false,
    thisRelation: placeholder(options.nodeName),
    target: {
      name: options.target?.name ?? '',
      type: options.target?.type ?? '',
      schema: options.target?.schema ?? '',
      ...(options.target?.database === undefined ? {} : { database: options.target.database }),
      profile_name: options.target?.name ?? '',
      threads: 1,
    },
    model: {
      name: options.nodeName,
      unique_id: options.nodeId,
      original_file_path: options.file,
      config: record.config,
    },
    dialect: parseDialect,
    runStartedAt: '',
    // As at `dbt parse`: the command is not known yet, and nothing is asked of the warehouse.
    flags: { WHICH: 'parse', FULL_REFRESH: false, STORE_FAILURES: false },
  };
}
