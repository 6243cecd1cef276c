import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import type { TableSpec } from '@sluice/pg-extract';
import { closestNames } from '@sluice/warehouse';
import { substituteVariables } from './config-variables.js';
import { durationSchema, scheduleConfigSchema } from './schedule-config.js';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a plain SQL identifier (letters, digits, _)');

const cursorElement = z.union([identifier, z.strictObject({ coalesce: z.array(identifier).min(2) })]);

/** One source table and how it is loaded. */
export const tableConfigSchema = z.strictObject({
  /** Source schema (default: `source.schema`). */
  schema: identifier.optional(),
  strategy: z.enum(['append', 'upsert', 'full']),
  cursor: z.array(cursorElement).min(1).optional(),
  /** Find rows deleted in the source by comparing keys (`reconcile`), or not at all (`none`, the default). */
  deletes: z.enum(['none', 'reconcile']).default('none'),
  /** What a detected delete does in the warehouse: remove the row, or set `_sluice_deleted_at`. */
  delete_mode: z.enum(['delete', 'mark']).default('delete'),
  include: z.array(identifier).optional(),
  exclude: z.array(identifier).optional(),
  /** Columns loaded as a salted SHA-256 digest (personal data). */
  hash: z.array(identifier).optional(),
  /**
   * How rows committed behind the cursor are found (see LateCommits in @sluice/pg-extract): `auto` (default) is
   * `lookback` for a table of 64 MB or more whose date/timestamp cursor an index serves, and `scan` otherwise.
   */
  late_commits: z.enum(['auto', 'scan', 'lookback', 'off']).default('auto'),
  /** `lookback`: how far behind the cursor each run looks (default 1h). */
  lookback: durationSchema.optional(),
  /** `lookback`: the longest time between two sweeps (default 1d). */
  sweep_every: durationSchema.optional(),
});

const duckdbTarget = z.strictObject({
  type: z.literal('duckdb'),
  /** The DuckDB file, relative to the project folder. */
  path: z.string().min(1),
  /** Schema the models are built in (default `analytics`). */
  schema: identifier.default('analytics'),
  threads: z.number().int().positive().optional(),
  memory_limit: z.string().optional(),
  /** The longest source row a load accepts, in MiB (default 16); each file read in parallel buffers twice this. */
  max_row_mb: z.number().int().min(1).max(1024).optional(),
});

const snowflakeTarget = z.strictObject({
  type: z.literal('snowflake'),
  account: z.string().min(1),
  user: z.string().min(1),
  role: z.string().optional(),
  warehouse: z.string().min(1),
  database: z.string().min(1),
  schema: identifier.default('ANALYTICS'),
  /** How to sign in (default: from the credentials given): see @sluice/snowflake's README. */
  // An empty value (`${env:SNOWFLAKE_AUTHENTICATOR:-}` unset) means: from the credentials given.
  authenticator: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.enum(['snowflake', 'snowflake_jwt', 'oauth', 'programmatic_access_token', 'externalbrowser']).optional(),
  ),
  password: z.string().optional(),
  private_key_path: z.string().optional(),
  private_key_passphrase: z.string().optional(),
  /** An OAuth access token or a programmatic access token (with `authenticator`) … */
  token: z.string().optional(),
  /** … or the file holding it (read at every sign-in), relative to the project folder or absolute. */
  token_path: z.string().optional(),
  /** externalbrowser: sign in on Snowflake's own login page instead of the identity provider's. */
  browser_console_login: z.boolean().optional(),
  access_url: z.string().optional(),
  proxy: z
    .strictObject({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535),
      protocol: z.enum(['http', 'https']).optional(),
      user: z.string().optional(),
      password: z.string().optional(),
      no_proxy: z.string().optional(),
    })
    .optional(),
  /** Cancel a statement that runs longer (the session's STATEMENT_TIMEOUT_IN_SECONDS; 0: no limit). */
  statement_timeout_seconds: z.number().int().min(0).optional(),
  /** Heartbeats keep a long run's session alive (default true). */
  keep_alive: z.boolean().optional(),
});

export const targetConfigSchema = z.discriminatedUnion('type', [duckdbTarget, snowflakeTarget]);

const stateConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('file'), dir: z.string().min(1) }),
  z.strictObject({ type: z.literal('postgres'), url: z.string().min(1), schema: identifier.default('sluice_state') }),
]);

/**
 * The whole `sluice.yml`. Keys owned by the model runner (`models`, `vars`, `snapshots`, `data_tests`) are checked by
 * `@sluice/models` when it loads the project.
 */
export const projectConfigSchema = z.strictObject({
  name: identifier,
  version: z.literal(1).default(1),
  source: z.strictObject({
    url: z.string().min(1),
    schema: identifier.default('public'),
  }),
  /** Warehouse schema the source tables are loaded into. */
  raw_schema: identifier.default('raw'),
  targets: z
    .record(identifier, targetConfigSchema)
    .refine((targets) => Object.keys(targets).length > 0, 'at least one target is needed'),
  /** The target used when none is named on the command line. */
  target: identifier,
  state: stateConfigSchema,
  ingest: z
    .strictObject({
      /** Tables extracted and loaded at once. */
      parallelism: z.number().int().min(1).max(64).default(4),
      /** Size of one chunk file, uncompressed. */
      chunk_mb: z.number().int().min(1).max(4096).default(128),
      /** Salt for hashed columns (use `${env:…}`). */
      hash_salt: z.string().optional(),
      /** Connections reading a large table's first load at once (block ranges in one snapshot). */
      first_load_parallelism: z.number().int().min(1).max(16).default(2),
    })
    .default({ parallelism: 4, chunk_mb: 128, first_load_parallelism: 2 }),
  tables: z
    .record(identifier, tableConfigSchema)
    .refine((tables) => Object.keys(tables).length > 0, 'list at least one table'),
  schedule: scheduleConfigSchema.optional(),
  models: z.unknown().optional(),
  vars: z.unknown().optional(),
  snapshots: z.unknown().optional(),
  data_tests: z.unknown().optional(),
});

export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export type TableConfig = z.infer<typeof tableConfigSchema>;
export type TargetConfig = z.infer<typeof targetConfigSchema>;
export type StateConfig = z.infer<typeof stateConfigSchema>;

/** One problem found in `sluice.yml`: where (file, line, key path) and what. */
export interface ConfigProblem {
  readonly file: string;
  readonly line: number | undefined;
  readonly path: string;
  readonly message: string;
}

/** A loaded project: its folder, the validated config, and the config file path. */
export interface LoadedProject {
  readonly dir: string;
  readonly file: string;
  readonly config: ProjectConfig;
}

/** `sluice.yml:14: tables.vendas.cursor: …` */
export function formatConfigProblem(problem: ConfigProblem): string {
  const where = `${path.basename(problem.file)}${problem.line === undefined ? '' : `:${problem.line}`}`;
  return `${where}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`;
}

/** The error `loadProjectConfig` throws: every problem found, each with its place. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'INVALID_CONFIG';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatConfigProblem).join('\n'));
    this.problems = problems;
  }
}

/**
 * Read and validate `<dir>/sluice.yml`. `${env:NAME}`, `${env:NAME:-default}` (or the file named by `NAME_FILE`) and
 * `${file:PATH}` in string values are replaced (see `substituteVariables`; values are never echoed in messages).
 * Collects every problem before throwing one `ConfigError`.
 *
 * @example const { config } = await loadProjectConfig('sql-models');
 */
export async function loadProjectConfig(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedProject> {
  const file = path.join(path.resolve(dir), 'sluice.yml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError([
      {
        file,
        line: undefined,
        path: '',
        message: `no sluice.yml in ${path.resolve(dir)}: pass --project DIR, or run sluice init`,
      },
    ]);
  }
  return { dir: path.resolve(dir), file, config: parseProjectConfig(text, file, env) };
}

/** Validate the text of a `sluice.yml` (see `loadProjectConfig`). */
export function parseProjectConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ProjectConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  for (const error of doc.errors) {
    const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
    problems.push({ file, line, path: '', message: `YAML: ${error.message.split('\n')[0]}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const raw = substituteVariables(doc.toJS(), {
    env,
    baseDir: path.dirname(file),
    onProblem: (keyPath, message) =>
      problems.push({ file, line: lineOf(doc, lineCounter, keyPath), path: keyPath.join('.'), message }),
  });
  const unset = new Set(problems.map((problem) => problem.path));
  const parsed = projectConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keyPath = issue.path.map(String);
      // A value left empty by an unset variable is already reported once, by the variable's name.
      if (unset.has(keyPath.join('.'))) continue;
      // An unknown key is pointed at on its own line, not on its parent's.
      const at =
        issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...keyPath, issue.keys[0]] : keyPath;
      problems.push({
        file,
        line: lineOf(doc, lineCounter, at),
        path: keyPath.join('.'),
        message: describeIssue(issue, keyPath),
      });
    }
  }
  if (parsed.success) {
    const config = parsed.data;
    if (!(config.target in config.targets)) {
      problems.push({
        file,
        line: lineOf(doc, lineCounter, ['target']),
        path: 'target',
        message: `target "${config.target}" is not among targets (${Object.keys(config.targets).join(', ')})`,
      });
    }
    for (const [name, table] of Object.entries(config.tables)) {
      if (table.strategy !== 'full' && !table.cursor) {
        problems.push({
          file,
          line: lineOf(doc, lineCounter, ['tables', name, 'strategy']),
          path: `tables.${name}.cursor`,
          message: `strategy ${table.strategy} needs a cursor, e.g. cursor: [updated_at, id]`,
        });
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return (parsed as { data: ProjectConfig }).data;
}

function describeIssue(issue: z.core.$ZodIssue, keyPath: string[]): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => {
        const hint = suggestKey(key, keyPath);
        return `unknown key "${key}"${hint ? ` (did you mean ${hint}?)` : ''}`;
      })
      .join('; ');
  }
  return issue.message;
}

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(projectConfigSchema.shape),
  table: Object.keys(tableConfigSchema.shape),
  source: ['url', 'schema'],
  ingest: ['parallelism', 'chunk_mb', 'hash_salt', 'first_load_parallelism'],
  // Any engine's keys: the target's own type is not known while its keys are wrong.
  target: targetConfigSchema.options.flatMap((option) => Object.keys(option.shape)),
};

function suggestKey(key: string, keyPath: string[]): string | undefined {
  const scope =
    keyPath.length === 0
      ? ''
      : keyPath[0] === 'tables' && keyPath.length === 2
        ? 'table'
        : keyPath[0] === 'targets' && keyPath.length === 2
          ? 'target'
          : (keyPath[0] ?? '');
  return closestNames(key, KNOWN_KEYS[scope] ?? [])[0];
}

/** The 1-based line of the YAML node at `keyPath` (or of its nearest existing parent). */
export function lineOf(doc: Document, lineCounter: LineCounter, keyPath: readonly string[]): number | undefined {
  for (let depth = keyPath.length; depth >= 0; depth--) {
    const node = doc.getIn(keyPath.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && (isMap(node) || isSeq(node) || isScalar(node)) && node.range) {
      // For a map or list value, point at its key's line when we can: the value starts on the next line.
      return lineCounter.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

/** The extraction half of a table's config, as `@sluice/pg-extract` takes it. */
export function tableSpecOf(config: ProjectConfig, spec: TableConfig): TableSpec {
  return {
    strategy: spec.strategy,
    ...(spec.cursor ? { cursor: spec.cursor } : {}),
    ...(spec.include ? { include: spec.include } : {}),
    ...(spec.exclude ? { exclude: spec.exclude } : {}),
    ...(spec.hash ? { hash: spec.hash, hashSalt: config.ingest.hash_salt ?? '' } : {}),
    lateCommits: spec.late_commits,
    ...(spec.lookback !== undefined ? { lookbackMs: spec.lookback } : {}),
    ...(spec.sweep_every !== undefined ? { sweepEveryMs: spec.sweep_every } : {}),
  };
}
