import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import type { TableSpec } from '@sluice/pg-extract';
import { closestNames } from '@sluice/warehouse';
import { describeConfigIssue, valueAt } from './config-messages.js';
import { substituteVariables } from './config-variables.js';
import { durationSchema, scheduleConfigSchema } from './schedule-config.js';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a plain SQL identifier (letters, digits, _)');

/**
 * A name in the source, written as Postgres stores it: any text (spaces, capitals, quotes, Unicode, keywords),
 * without SQL quotes — YAML's own quotes hold the odd ones (`cursor: ["Updated At", id]`). Sluice quotes every
 * name in every statement it writes.
 */
const sourceName = z
  .string()
  .min(1)
  .refine((name) => !name.includes('\u0000'), 'a name cannot hold a NUL character');

const cursorElement = z.union([sourceName, z.strictObject({ coalesce: z.array(sourceName).min(2) })]);

/**
 * What is wrong with a Postgres URL, without quoting it (it may hold a password); `undefined` when it is one.
 * Catches what would otherwise fail later as a connection error naming no setting: another database's scheme, a
 * missing colon (`postgres//host/db`, which the driver reads as a host named "base"), a port that is no number.
 *
 * @example postgresUrlProblem('mysql://u@h/db') // 'a mysql:// URL: Sluice reads PostgreSQL; write postgres://…'
 */
export function postgresUrlProblem(url: string): string | undefined {
  const example = 'postgres://user@host:5432/database';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1];
  if (scheme === undefined) {
    if (/^postgres(ql)?\/\//i.test(url)) return `the colon after "postgres" is missing: write ${example}`;
    if (/^postgres(ql)?:\/?[^/]/i.test(url)) return `"//" after "postgres:" is missing: write ${example}`;
    return `not a URL: write ${example}`;
  }
  if (!/^postgres(ql)?$/i.test(scheme)) return `a ${scheme}:// URL: Sluice reads PostgreSQL only; write ${example}`;
  const authority = /^[^:]+:\/\/([^/?#]*)/.exec(url)?.[1] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort)?.[1];
  if (port !== undefined && port !== '') {
    if (!/^\d+$/.test(port)) return `the port ${JSON.stringify(port)} is not a number: write ${example}`;
    if (Number(port) < 1 || Number(port) > 65535) return `the port ${port} is out of range (1 to 65535)`;
  }
  try {
    new URL(url);
  } catch {
    return `not a valid URL (a character in the user, password or host needs percent-encoding, e.g. @ as %40): write ${example}`;
  }
  return undefined;
}

const postgresUrl = z
  .string()
  .min(1)
  .superRefine((url, ctx) => {
    const problem = postgresUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** One source table and how it is loaded. */
export const tableConfigSchema = z.strictObject({
  /** Source schema (default: `source.schema`). */
  schema: sourceName.optional(),
  strategy: z.enum(['append', 'upsert', 'full']),
  cursor: z.array(cursorElement).min(1).optional(),
  /** Find rows deleted in the source by comparing keys (`reconcile`), or not at all (`none`, the default). */
  deletes: z.enum(['none', 'reconcile']).default('none'),
  /** What a detected delete does in the warehouse: remove the row, or set `_sluice_deleted_at`. */
  delete_mode: z.enum(['delete', 'mark']).default('delete'),
  include: z.array(sourceName).optional(),
  exclude: z.array(sourceName).optional(),
  /** Columns loaded as a salted SHA-256 digest (personal data). */
  hash: z.array(sourceName).optional(),
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
  password: z.string().optional(),
  private_key_path: z.string().optional(),
  private_key_passphrase: z.string().optional(),
  access_url: z.string().optional(),
});

export const targetConfigSchema = z.discriminatedUnion('type', [duckdbTarget, snowflakeTarget]);

const stateConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('file'), dir: z.string().min(1) }),
  z.strictObject({ type: z.literal('postgres'), url: postgresUrl, schema: identifier.default('sluice_state') }),
]);

/**
 * The whole `sluice.yml`. Keys owned by the model runner (`models`, `vars`, `snapshots`, `data_tests`) are checked by
 * `@sluice/models` when it loads the project.
 */
export const projectConfigSchema = z.strictObject({
  name: identifier,
  version: z.literal(1).default(1),
  source: z.strictObject({
    url: postgresUrl,
    schema: sourceName.default('public'),
  }),
  /** Warehouse schema the source tables are loaded into. */
  raw_schema: identifier.default('raw'),
  targets: z
    .record(identifier, targetConfigSchema)
    .refine(
      (targets) => Object.keys(targets).length > 0,
      'needs at least one target, e.g. dev: { type: duckdb, path: .sluice/warehouse.duckdb }',
    ),
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
  /** The source tables, by name as Postgres stores it. */
  tables: z
    .record(sourceName, tableConfigSchema)
    .refine(
      (tables) => Object.keys(tables).length > 0,
      'needs at least one table, e.g. orders: { strategy: full } (sluice init --from postgres://… lists them all)',
    ),
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
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([
      {
        file,
        line: undefined,
        path: '',
        message:
          code === 'EISDIR'
            ? `${file} is a folder, not a file: sluice.yml must be the project's config file (move the folder away, then run sluice init)`
            : code === 'ENOENT' || code === 'ENOTDIR'
              ? `no sluice.yml in ${path.resolve(dir)}: pass --project DIR, or run sluice init`
              : `${file} cannot be read (${code ?? 'unknown error'}): check its permissions`,
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
  const lines = text.split('\n');
  const lastWritten = lines.reduce((last, line, i) => (line.trim() !== '' ? i + 1 : last), 1);
  for (const error of doc.errors) {
    const at = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
    // An unclosed bracket is found at the end of the file: point at the last line written, not past it.
    const line = Math.min(at, lastWritten);
    problems.push({ file, line, path: '', message: `YAML: ${error.message.split('\n')[0]}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const root = doc.toJS() as unknown;
  if (root === null || root === undefined || typeof root !== 'object' || Array.isArray(root)) {
    const required = 'name, source, targets, target, state and tables';
    throw new ConfigError([
      {
        file,
        line: 1,
        path: '',
        message:
          root === null || root === undefined
            ? `the file is empty: it needs ${required} (sluice init --from postgres://… writes one)`
            : `the file holds ${Array.isArray(root) ? 'a list' : 'a single value'}, not keys: it needs ${required}, each as "key: value"`,
      },
    ]);
  }
  const raw = substituteVariables(root, {
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
        line: lineOf(doc, lineCounter, at) ?? 1,
        path: keyPath.join('.'),
        message: describeIssue(issue, keyPath, raw),
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
      if (table.include && table.exclude) {
        problems.push({
          file,
          line: lineOf(doc, lineCounter, ['tables', name, 'exclude']),
          path: `tables.${name}.exclude`,
          message:
            'include and exclude cannot both be given: include lists the only columns to load, exclude the columns to leave out; keep one',
        });
      }
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

function describeIssue(issue: z.core.$ZodIssue, keyPath: string[], raw: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => unknownKeyMessage(key, keyPath, raw)).join('; ');
  }
  return describeConfigIssue(issue, keyPath, raw);
}

const TARGET_KEYS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  targetConfigSchema.options.map((option) => [option.shape.type.value, Object.keys(option.shape)]),
);

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(projectConfigSchema.shape),
  table: Object.keys(tableConfigSchema.shape),
  source: ['url', 'schema'],
  ingest: ['parallelism', 'chunk_mb', 'hash_salt', 'first_load_parallelism'],
  state: ['type', 'dir', 'url', 'schema'],
  schedule: Object.keys(scheduleConfigSchema.shape),
  // Any engine's keys, when the target's own type is not known.
  target: [...new Set(Object.values(TARGET_KEYS).flat())],
};

/** `unknown key "cursr" (did you mean cursor?)`, or the keys that fit there; a key of another engine says so. */
function unknownKeyMessage(key: string, keyPath: string[], raw: unknown): string {
  let known = KNOWN_KEYS[scopeOf(keyPath)] ?? [];
  if (scopeOf(keyPath) === 'target') {
    const type = valueAt(raw, [...keyPath, 'type']);
    const own = typeof type === 'string' ? TARGET_KEYS[type] : undefined;
    if (own) {
      const other = Object.entries(TARGET_KEYS).find(([name, keys]) => name !== type && keys.includes(key));
      if (other) return `unknown key "${key}": it is a ${other[0]} setting, and this target is type: ${type as string}`;
      known = own;
    }
  }
  const hint = closestNames(key, known)[0];
  return `unknown key "${key}"${hint ? ` (did you mean ${hint}?)` : ` (the keys here: ${known.join(', ')})`}`;
}

function scopeOf(keyPath: string[]): string {
  return keyPath.length === 0
    ? ''
    : keyPath[0] === 'tables' && keyPath.length === 2
      ? 'table'
      : keyPath[0] === 'targets' && keyPath.length === 2
        ? 'target'
        : (keyPath[0] ?? '');
}

/** The 1-based line of the YAML node at `keyPath` (or of its nearest existing parent). */
export function lineOf(doc: Document, lineCounter: LineCounter, keyPath: readonly string[]): number | undefined {
  for (let depth = keyPath.length; depth >= 1; depth--) {
    // The key's own line (`tables:`), not its value's, which for a map or list starts on the next line.
    const parent = depth === 1 ? doc.contents : doc.getIn(keyPath.slice(0, depth - 1), true);
    const last = keyPath[depth - 1] as string;
    let start: number | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === last);
      start = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
    } else if (isSeq(parent) && /^\d+$/.test(last)) {
      start = (parent.items[Number(last)] as { range?: [number, number, number] } | undefined)?.range?.[0];
    }
    if (start !== undefined) return lineCounter.linePos(start).line;
  }
  const root = doc.contents as { range?: [number, number, number] } | null;
  return root?.range ? lineCounter.linePos(root.range[0]).line : undefined;
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
