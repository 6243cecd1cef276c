import type { z } from 'zod';
import { closestNames } from '@sluice/warehouse';

/**
 * What each key of `sluice.yml` holds, with an example line: what a message about that key says instead of the
 * validator's own words. `*` matches any one key (a table or target name).
 */
const FIELDS: readonly (readonly [pattern: string, example: string])[] = [
  ['name', 'name: shop'],
  ['version', 'version: 1 (or leave it out)'],
  ['source', 'source: { url: postgres://user@host:5432/db, schema: public }'],
  ['source.url', 'url: postgres://user@host:5432/db (or ${env:SOURCE_URL})'],
  ['source.schema', 'schema: public'],
  ['raw_schema', 'raw_schema: raw'],
  ['targets', 'targets: { dev: { type: duckdb, path: .sluice/warehouse.duckdb } }'],
  ['targets.*', 'dev: { type: duckdb, path: .sluice/warehouse.duckdb }'],
  ['targets.*.type', 'type: duckdb (or snowflake)'],
  ['targets.*.path', 'path: .sluice/warehouse.duckdb'],
  ['targets.*.schema', 'schema: analytics'],
  ['targets.*.threads', 'threads: 4'],
  ['targets.*.memory_limit', 'memory_limit: 2GB'],
  ['targets.*.max_row_mb', 'max_row_mb: 16'],
  ['targets.*.account', 'account: xy12345.eu-central-1'],
  ['targets.*.user', 'user: SLUICE'],
  ['targets.*.role', 'role: SLUICE_LOADER'],
  ['targets.*.warehouse', 'warehouse: LOADING'],
  ['targets.*.database', 'database: ANALYTICS'],
  ['targets.*.password', 'password: ${env:SNOWFLAKE_PASSWORD}'],
  ['targets.*.private_key_path', 'private_key_path: ${env:SNOWFLAKE_KEY}'],
  ['targets.*.private_key_passphrase', 'private_key_passphrase: ${env:SNOWFLAKE_KEY_PASSPHRASE}'],
  ['targets.*.access_url', 'access_url: https://xy12345.snowflakecomputing.com'],
  ['target', 'target: dev'],
  ['state', 'state: { type: file, dir: .sluice/state }'],
  ['state.type', 'type: file (or postgres)'],
  ['state.dir', 'dir: .sluice/state'],
  ['state.url', 'url: ${env:STATE_URL}'],
  ['state.schema', 'schema: sluice_state'],
  ['ingest', 'ingest: { parallelism: 4, chunk_mb: 128 }'],
  ['ingest.parallelism', 'parallelism: 4'],
  ['ingest.chunk_mb', 'chunk_mb: 128'],
  ['ingest.hash_salt', 'hash_salt: ${env:HASH_SALT}'],
  ['ingest.first_load_parallelism', 'first_load_parallelism: 2'],
  ['tables', 'tables: { orders: { strategy: upsert, cursor: [updated_at, id] } }'],
  ['tables.*', 'orders: { strategy: full }'],
  ['tables.*.schema', 'schema: public'],
  ['tables.*.strategy', 'strategy: upsert (append, upsert or full)'],
  ['tables.*.cursor', 'cursor: [updated_at, id]'],
  ['tables.*.cursor.*', 'a column, or { coalesce: [updated_at, created_at] }'],
  ['tables.*.cursor.*.coalesce', 'coalesce: [updated_at, created_at]'],
  ['tables.*.deletes', 'deletes: reconcile (or none)'],
  ['tables.*.delete_mode', 'delete_mode: delete (or mark)'],
  ['tables.*.include', 'include: [id, name, updated_at]'],
  ['tables.*.exclude', 'exclude: [notes]'],
  ['tables.*.hash', 'hash: [email]'],
  ['tables.*.late_commits', 'late_commits: auto (scan, lookback or off)'],
  ['tables.*.lookback', 'lookback: 1h'],
  ['tables.*.sweep_every', 'sweep_every: 1d'],
  ['schedule', 'schedule: { cron: "0 6 * * *", timezone: UTC }'],
  ['schedule.cron', 'cron: "0 6 * * *"'],
  ['schedule.timezone', 'timezone: Europe/Lisbon'],
  ['schedule.catch_up', 'catch_up: once (or skip)'],
  ['schedule.retries', 'retries: { attempts: 3, backoff: 30s, max_delay: 10m }'],
  ['schedule.retries.attempts', 'attempts: 3'],
  ['schedule.retries.jitter', 'jitter: 0.2'],
  ['schedule.alerts', 'alerts: { webhook_url: ${env:SLACK_WEBHOOK} }'],
];

/** Keys whose values may be secrets: never quoted in a message. */
const SECRET_KEY = /(url|password|passphrase|salt|key|token|secret|account|user)/i;

/** The example of a key path, when `FIELDS` knows it. */
export function fieldExample(keyPath: readonly string[]): string | undefined {
  for (const [pattern, example] of FIELDS) {
    const parts = pattern.split('.');
    if (parts.length === keyPath.length && parts.every((part, i) => part === '*' || part === keyPath[i])) {
      return example;
    }
  }
  return undefined;
}

/** A value as a message may show it: its kind, and the value itself only when short and not under a secret key. */
function describeValue(value: unknown, keyPath: readonly string[]): string {
  if (value === null) return 'nothing (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  if (typeof value === 'string') {
    // Only a short word is shown: never what could be a URL, a path with a user in it, or a secret's value.
    const last = keyPath[keyPath.length - 1] ?? '';
    return /^[\p{L}\p{N} _.,+-]{0,40}$/u.test(value) && !SECRET_KEY.test(last) ? JSON.stringify(value) : 'text';
  }
  return typeof value;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys',
  record: 'a mapping of names to their settings',
  literal: 'a fixed value',
};

function eg(keyPath: readonly string[]): string {
  const example = fieldExample(keyPath);
  return example ? `, e.g. ${example}` : '';
}

/** The value at a key path of the parsed YAML (`undefined` when absent). */
export function valueAt(root: unknown, keyPath: readonly (string | number)[]): unknown {
  let value = root;
  for (const key of keyPath) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/**
 * A zod issue of `sluice.yml` in words a person acts on: what is wrong with the value (never a secret), and what
 * to write instead, with an example — no validator wording ("Invalid input", "expected record, received array").
 *
 * @example describeConfigIssue(issue, ['tables'], raw) // 'expected a mapping of names to their settings, got a list, e.g. tables: { orders: … }'
 */
export function describeConfigIssue(issue: z.core.$ZodIssue, keyPath: readonly string[], raw: unknown): string {
  const value = valueAt(raw, keyPath);
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return `missing: add it${eg(keyPath)}`;
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      const listHint =
        Array.isArray(value) && (issue.expected === 'record' || issue.expected === 'object')
          ? ' (write each entry as "name: settings", without a leading "- ")'
          : '';
      return `expected ${expected}, got ${describeValue(value, keyPath)}${listHint}${eg(keyPath)}`;
    }
    case 'invalid_value': {
      if (value === undefined) return `missing: add it${eg(keyPath)}`;
      const allowed = issue.values.map((v) => String(v));
      if (allowed.length === 1) {
        return `${describeValue(value, keyPath)} is not supported: write ${allowed[0]}${keyPath.at(-1) === 'version' ? ' (or leave it out)' : ''}`;
      }
      const hint = typeof value === 'string' ? closestNames(value, allowed) : [];
      return `${describeValue(value, keyPath)} is not one of ${allowed.join(', ')}${hint.length > 0 ? ` (did you mean ${hint[0]}?)` : ''}`;
    }
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator !== undefined) {
        const options = (issue as { options?: readonly unknown[] }).options?.map(String) ?? [];
        if (value === undefined) return `missing: add ${issue.discriminator}: ${options.join(' or ')}`;
        const hint = typeof value === 'string' ? closestNames(value, options) : [];
        return `${describeValue(value, keyPath)} is not one of ${options.join(', ')}${hint.length > 0 ? ` (did you mean ${hint[0]}?)` : ''}`;
      }
      const example = fieldExample(keyPath);
      return `expected ${example ?? 'another kind of value'}, got ${describeValue(value, keyPath)}`;
    }
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'array') {
        return `needs at least ${minimum === 1 ? 'one entry' : `${minimum} entries`}${eg(keyPath)}`;
      }
      if (issue.origin === 'string') return `must not be empty${eg(keyPath)}`;
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${minimum}, got ${describeValue(value, keyPath)}${eg(keyPath)}`;
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'string') return `is too long: at most ${maximum}`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${maximum}, got ${describeValue(value, keyPath)}`;
    }
    case 'invalid_format':
      return `${describeValue(value, keyPath)} is not a plain identifier (letters, digits and _, not starting with a digit)${eg(keyPath)}`;
    case 'invalid_key': {
      const key = keyPath[keyPath.length - 1] ?? '';
      return `${JSON.stringify(key)} is not a plain identifier: ${keyPath[0] === 'targets' ? 'a target name' : 'this name'} is letters, digits and _, not starting with a digit`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    default:
      return issue.message;
  }
}
