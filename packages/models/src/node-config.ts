import { parseThreshold } from '@sluice/data-tests';
import { z } from 'zod';
import { closestNames } from '@sluice/warehouse';
import { INCREMENTAL_STRATEGY_NAMES } from './incremental-strategies/strategy-registry.js';
import { MATERIALIZED_NAMES } from './materializations/materialization-registry.js';
import { didYouMean, type ProjectIssue } from './project-issue.js';

/** The kinds of node a config applies to. */
export type ConfigKind = 'model' | 'snapshot' | 'test' | 'seed';

const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (typeof v === 'string' ? [v] : v));
const threshold = z.string().refine(
  (value) => {
    try {
      parseThreshold(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a comparison with a number, such as "!=0" or ">10"' },
);

const commonShape = {
  enabled: z.boolean(),
  tags: stringList,
  meta: z.record(z.string(), z.unknown()),
  docs: z.object({ show: z.boolean().optional(), node_color: z.string().optional() }).strict(),
};
const relationShape = {
  schema: z.string().min(1),
  alias: z.string().min(1),
  pre_hook: stringList,
  post_hook: stringList,
  /** Privilege → roles, as dbt's `grants`: granted after each build, and other grants revoked (where the engine has grants). */
  grants: z.record(z.string(), stringList),
  /** Snowflake: the virtual warehouse the node's statements run on (dbt-snowflake's `snowflake_warehouse`). */
  snowflake_warehouse: z.string().min(1),
  /** The query tag of the node's statements (dbt-snowflake's `query_tag`; default: the run and the node). */
  query_tag: z.string().min(1),
  /** Snowflake: transient tables keep no Fail-safe copy (default true for models, false for snapshots). */
  transient: z.boolean(),
};

/** Config keys of a model (`config(...)`, property files, `models:` in sluice.yml with a `+`). */
export const modelConfigShape = {
  ...commonShape,
  ...relationShape,
  materialized: z.enum(MATERIALIZED_NAMES),
  unique_key: stringList,
  on_schema_change: z.enum(['ignore', 'fail', 'append_new_columns', 'sync_all_columns']),
  incremental_strategy: z.enum(INCREMENTAL_STRATEGY_NAMES),
  full_refresh: z.boolean().nullable(),
  /** Conditions ANDed to the match of `merge` and `delete+insert` (dbt's `incremental_predicates`). */
  incremental_predicates: stringList,
  /** Snowflake: the table's clustering key (dbt-snowflake's `cluster_by`). */
  cluster_by: stringList,
  /** Snowflake: keep the grants of the replaced table or view (default true; dbt-snowflake's default is false). */
  copy_grants: z.boolean(),
};

/** Config keys of a snapshot. */
export const snapshotConfigShape = {
  ...commonShape,
  ...relationShape,
  strategy: z.enum(['timestamp', 'check']),
  unique_key: stringList,
  updated_at: z.string().min(1),
  check_cols: z.union([z.literal('all'), z.array(z.string()).min(1)]),
  hard_deletes: z.enum(['ignore', 'invalidate', 'new_record']),
  invalidate_hard_deletes: z.boolean(),
  target_schema: z.string().min(1),
  /** dbt 1.9: other names for the columns a snapshot adds (`{ dbt_valid_from: valid_from, … }`). */
  snapshot_meta_column_names: z
    .object({
      dbt_valid_from: z.string().min(1),
      dbt_valid_to: z.string().min(1),
      dbt_scd_id: z.string().min(1),
      dbt_updated_at: z.string().min(1),
      dbt_is_deleted: z.string().min(1),
    })
    .partial()
    .strict(),
};

/** Config keys of a data test. */
export const testConfigShape = {
  ...commonShape,
  severity: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(['error', 'warn'])),
  warn_if: threshold,
  error_if: threshold,
  store_failures: z.boolean(),
  /** dbt's `store_failures_as`: set, it wins over `store_failures` (`ephemeral` stores nothing). */
  store_failures_as: z.enum(['table', 'view', 'ephemeral']),
  schema: z.string().min(1),
  where: z.string().min(1),
  limit: z.number().int().positive(),
  fail_calc: z.string().min(1),
};

/** Config keys of a seed (a CSV file under `seed-paths`). */
export const seedConfigShape = {
  ...commonShape,
  ...relationShape,
  /** Column name → the warehouse type written as is (`varchar(2)`, `NUMBER(10,2)`): overrides inference. */
  column_types: z.record(z.string(), z.string().min(1)),
  /** Quote the column names (keep their case and spelling); default false, as in dbt. */
  quote_columns: z.boolean(),
  /** The CSV field separator (default `,`). */
  delimiter: z.string().length(1, 'a delimiter is one character'),
  full_refresh: z.boolean().nullable(),
};

const SHAPES: Record<ConfigKind, Record<string, z.ZodType>> = {
  model: modelConfigShape,
  snapshot: snapshotConfigShape,
  test: testConfigShape,
  seed: seedConfigShape,
};

/** A model's resolved config (folder configs, then property files, then the model's own `config()`). */
export type ModelConfig = Partial<z.output<z.ZodObject<typeof modelConfigShape>>>;
/** A snapshot's resolved config. */
export type SnapshotConfig = Partial<z.output<z.ZodObject<typeof snapshotConfigShape>>>;
/** A data test's resolved config. */
export type TestConfig = Partial<z.output<z.ZodObject<typeof testConfigShape>>>;
/** A seed's resolved config. */
export type SeedConfig = Partial<z.output<z.ZodObject<typeof seedConfigShape>>>;
/** Any node's config. */
export type NodeConfig = ModelConfig | SnapshotConfig | TestConfig | SeedConfig;

/** dbt configs that are real but not implemented here: they are reported as warnings and ignored. */
const UNSUPPORTED: readonly string[] = [
  'persist_docs',
  'contract',
  'quoting',
  'sql_header',
  'partition_by',
  'access',
  'group',
  'batch_size',
  'event_time',
  'lookback',
  'begin',
  'on_configuration_change',
  'column_types',
  'quote_columns',
  'packages',
  'dbt_valid_to_current',
  'target_database',
  'unique_key_nulls',
  // dbt-snowflake's configs not honoured yet (those it has that are: transient, cluster_by, copy_grants, grants,
  // snowflake_warehouse, query_tag, incremental_predicates).
  'automatic_clustering',
  'secure',
  'table_format',
];

/** The valid config keys of a kind (without `+`). */
export function configKeys(kind: ConfigKind): string[] {
  return Object.keys(SHAPES[kind]);
}

/** `+pre-hook` → `pre_hook`; `+materialized` → `materialized`. */
export function normalizeConfigKey(key: string): string {
  const bare = key.startsWith('+') ? key.slice(1) : key;
  return bare === 'pre-hook' ? 'pre_hook' : bare === 'post-hook' ? 'post_hook' : bare;
}

/** Whether `key` (with or without `+`) is a config key of `kind`. */
export function isConfigKey(kind: ConfigKind, key: string): boolean {
  const k = normalizeConfigKey(key);
  return k in SHAPES[kind] || UNSUPPORTED.includes(k) || k === 'database';
}

/** Where a config object was written, to report issues with file and line. */
export interface ConfigLocation {
  readonly file: string;
  /** The line of a key of this config object. */
  readonly lineOf: (key: string) => number | undefined;
  /** Describes the object in messages, e.g. `config() of model fct_vendas`. */
  readonly what: string;
  /** The YAML path of a key of this object, when it was written in YAML. */
  readonly keyPath?: (key: string) => readonly (string | number)[];
}

/**
 * Validate one config object (keys without `+`, or with it in folder configs) and return its normalized values.
 * Unknown keys are errors naming the closest valid key; unsupported dbt keys are warnings.
 */
export function validateConfig(
  kind: ConfigKind,
  raw: Readonly<Record<string, unknown>>,
  location: ConfigLocation,
): { config: Record<string, unknown>; issues: ProjectIssue[] } {
  const shape = SHAPES[kind];
  const config: Record<string, unknown> = {};
  const issues: ProjectIssue[] = [];
  for (const [rawKey, value] of Object.entries(raw)) {
    const key = normalizeConfigKey(rawKey);
    // Lines are looked up only for keys with a problem: finding them costs a scan of the file.
    const at = (): { file: string; line?: number; keyPath?: readonly (string | number)[] } => {
      const line = location.lineOf(rawKey);
      return {
        file: location.file,
        ...(line === undefined ? {} : { line }),
        ...(location.keyPath === undefined ? {} : { keyPath: location.keyPath(rawKey) }),
      };
    };
    if (key === 'database') {
      issues.push({
        code: 'UNSUPPORTED',
        severity: 'error',
        message: `"${rawKey}" in ${location.what}: models live in the target's database; another database is not supported yet. Remove the key.`,
        ...at(),
      });
      continue;
    }
    if (UNSUPPORTED.includes(key) && !(key in shape)) {
      issues.push({
        code: 'UNSUPPORTED',
        severity: 'warning',
        message: `"${rawKey}" in ${location.what} is a dbt config Sluice does not support yet; it is ignored.`,
        ...at(),
      });
      continue;
    }
    const schema = shape[key];
    if (schema === undefined) {
      const suggestions = closestNames(key, Object.keys(shape)).map((s) => (rawKey.startsWith('+') ? `+${s}` : s));
      issues.push({
        code: 'UNKNOWN_KEY',
        severity: 'error',
        message: `"${rawKey}" is not a ${kind} config key (in ${location.what}).${didYouMean(suggestions)}${
          suggestions.length === 0 ? ` Valid keys: ${Object.keys(shape).join(', ')}.` : ''
        }`,
        ...at(),
        suggestions,
      });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const detail = issueWords(parsed.error.issues[0], value);
      issues.push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: `"${rawKey}" in ${location.what}: ${detail} (got ${JSON.stringify(value)}).`,
        ...at(),
      });
      continue;
    }
    config[key] = parsed.data;
  }
  return { config, issues };
}

/**
 * Lay `layer` over `base`: values replace, except `tags` (united), `meta` (merged) and hooks (appended), as in dbt.
 */
export function mergeConfig(base: Record<string, unknown>, layer: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    const previous = out[key];
    if (key === 'tags' && Array.isArray(previous) && Array.isArray(value)) {
      out[key] = [...new Set([...(previous as string[]), ...(value as string[])])];
    } else if ((key === 'pre_hook' || key === 'post_hook') && Array.isArray(previous) && Array.isArray(value)) {
      out[key] = [...(previous as string[]), ...(value as string[])];
    } else if (key === 'meta' && typeof previous === 'object' && previous !== null && typeof value === 'object') {
      out[key] = { ...(previous as object), ...(value as object) };
    } else {
      out[key] = value;
    }
  }
  return out;
}

const EXPECTED_WORDS: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** A config value's problem in words, not the validator's ("Invalid option: expected one of …"). */
function issueWords(issue: z.core.$ZodIssue | undefined, value: unknown): string {
  if (!issue) return 'invalid value';
  switch (issue.code) {
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const hint = typeof value === 'string' ? closestNames(value, allowed)[0] : undefined;
      return `must be one of ${allowed.join(', ')}${hint ? ` (did you mean ${hint}?)` : ''}`;
    }
    case 'invalid_type':
      return `expected ${EXPECTED_WORDS[issue.expected] ?? issue.expected}`;
    case 'invalid_union':
      return 'not a value this key takes';
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}
