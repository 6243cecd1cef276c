import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import type { ColumnChoice, TableSpec } from '@sluice/pg-extract';
import { hasConfigTemplate, MODELS_CONFIG_KEYS, renderConfigTemplate } from '@sluice/models';
import { closestNames } from '@sluice/warehouse';
import { describeConfigIssue, valueAt } from './config-messages.js';
import { substituteVariables } from './config-variables.js';
import { profileSearchPath, readDbtProfile } from './dbt-profiles.js';
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

/** `text`, `double` or `decimal(p,s)`: how a column is loaded instead of its own type (see ColumnChoice). */
const columnAs = z.string().transform((value, context): ColumnChoice => {
  const text = value.trim().toLowerCase().replace(/\s+/g, '');
  if (text === 'text' || text === 'double') return { as: text };
  const decimal = /^decimal\((\d+),(\d+)\)$/.exec(text);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision >= 1 && precision <= 38 && scale <= precision) return { as: 'decimal', precision, scale };
  }
  context.addIssue({
    code: 'custom',
    message: `"${value}" is not a type a column can be loaded as: text, double, or decimal(p,s) with 1 ≤ p ≤ 38 and 0 ≤ s ≤ p`,
  });
  return z.NEVER;
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
  /** Columns loaded as another type than their own, by choice: `columns: { c_num: { as: text } }` (or `double`,
   *  `decimal(p,s)`), for values no exact mapping holds (a numeric wider than DECIMAL(38,18), a type Sluice does not
   *  map). */
  columns: z.record(sourceName, z.strictObject({ as: columnAs })).optional(),
  /**
   * How rows committed behind the cursor are found (see LateCommits in @sluice/pg-extract): `auto` (default) is
   * `lookback` for a table of 64 MB or more whose date/timestamp cursor an index serves, and `scan` otherwise.
   */
  late_commits: z.enum(['auto', 'scan', 'lookback', 'off']).default('auto'),
  /** `lookback`: how far behind the cursor each run looks (default 1h). */
  lookback: durationSchema.optional(),
  /** `lookback`: the longest time between two sweeps (default 1d). */
  sweep_every: durationSchema.optional(),
  /**
   * The raw table was loaded by another tool (a cut-over): when Sluice has no position for it and it holds rows,
   * compare it with the source per key range and load only the difference, instead of replacing it (the default).
   * Needs a single integer primary key. Has no effect once Sluice holds a position for the table.
   */
  adopt: z.boolean().default(false),
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

/** An optional text: empty (`${env:X:-}` unset) is the same as absent. */
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));

/**
 * Where each run sends its OpenLineage events (START, then COMPLETE, FAIL or ABORT): an HTTP endpoint (Marquez's
 * `/api/v1/lineage`, DataHub's, Airflow's OpenLineage proxy) or a file of JSON lines. Both empty: no events.
 */
export const openLineageConfigSchema = z
  .strictObject({
    /** `http(s)://…/api/v1/lineage`: each event is POSTed as JSON. */
    url: optionalText.refine((value) => value === undefined || /^https?:\/\//.test(value), {
      message: 'url must be an http(s) URL, e.g. http://marquez:5000/api/v1/lineage',
    }),
    /** A file (relative to the project folder) each event is appended to as one JSON line. */
    file: optionalText,
    /** Sent as `Authorization: Bearer <api_key>` (use `${env:…}`: it is a secret). */
    api_key: optionalText,
    /** The jobs' namespace (default: the project's name). */
    namespace: optionalText,
    /** How long one delivery may take; a failed delivery is reported, never fails the run. */
    timeout: durationSchema.default(5000),
  })
  .refine((value) => !(value.url && value.file), { message: 'set url or file, not both' });

export type OpenLineageConfig = z.output<typeof openLineageConfigSchema>;

const stateConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('file'), dir: z.string().min(1) }),
  z.strictObject({ type: z.literal('postgres'), url: postgresUrl, schema: identifier.default('sluice_state') }),
]);

/** The state store when `sluice.yml` names none: files under `.sluice/state` in the project folder. */
export const DEFAULT_STATE: StateConfig = { type: 'file', dir: '.sluice/state' };

/**
 * Where Sluice keeps its own files (state, work folders) in a folder with dbt_project.yml and no sluice.yml:
 * under `target/`, which every dbt project's .gitignore covers — unless an earlier Sluice already made `.sluice/`
 * there, which stays in use so no state is stranded.
 */
export const DBT_PROJECT_SLUICE_DIR = path.join('target', 'sluice');

/** The folder of Sluice's own files in a project (absolute): `sluiceDir` when loaded, else `<project>/.sluice`. */
export function sluiceFilesDir(project: Pick<LoadedProject, 'dir' | 'sluiceDir'>): string {
  return project.sluiceDir ?? path.join(project.dir, '.sluice');
}

/** `.sluice` when the folder has one (an earlier Sluice's state), else `target/sluice`. */
async function dbtProjectSluiceDir(projectDir: string): Promise<string> {
  const existing = await stat(path.join(projectDir, '.sluice')).catch(() => undefined);
  return existing?.isDirectory() ? '.sluice' : DBT_PROJECT_SLUICE_DIR;
}

/** The keys of `sluice.yml` the model runner owns (checked by `@sluice/models` when it loads the project). */
const modelKeys = Object.fromEntries(
  MODELS_CONFIG_KEYS.filter((key) => key !== 'name').map((key) => [key, z.unknown().optional()]),
);

/**
 * What `sluice.yml` may hold. Nothing is required by itself: a model project needs targets (here or a dbt
 * profile) and a name (here or in dbt_project.yml); ingestion needs `source` and `tables`. `loadProjectConfig`
 * completes it into a `ProjectConfig`. Keys owned by the model runner (`models`, `vars`, `seeds`, `model-paths`…)
 * are checked by `@sluice/models` when it loads the project.
 */
export const projectConfigSchema = z.strictObject({
  name: identifier.optional(),
  version: z.literal(1).default(1),
  /** The source Postgres: required when `tables:` lists any table. */
  source: z
    .strictObject({
      url: postgresUrl,
      schema: sourceName.default('public'),
    })
    .optional(),
  /** Warehouse schema the source tables are loaded into. */
  raw_schema: identifier.default('raw'),
  targets: z
    .record(identifier, targetConfigSchema)
    .refine(
      (targets) => Object.keys(targets).length > 0,
      'needs at least one target, e.g. dev: { type: duckdb, path: .sluice/warehouse.duckdb }',
    )
    .optional(),
  /** The target used when none is named on the command line. */
  target: identifier.optional(),
  state: stateConfigSchema.default(DEFAULT_STATE),
  ingest: z
    .strictObject({
      /** Tables extracted and loaded at once. */
      parallelism: z.number().int().min(1).max(64).default(4),
      /** Size of one chunk file, uncompressed. */
      chunk_mb: z.number().int().min(1).max(4096).default(128),
      /** Salt for hashed columns (use `${env:…}`). */
      hash_salt: z.string().optional(),
      /** Connections reading one large table at once, in one snapshot: its first load (block ranges) and, with 2 or
       *  more, a lookback's two parts (the rows past the cursor; the check behind it). */
      first_load_parallelism: z.number().int().min(1).max(16).default(2),
      /** The largest block range of a first load, in MiB of table (fractions allowed): a larger table is read in
       *  ranges that commit one by one, and a first load interrupted midway resumes at the next range. */
      first_load_range_mb: z.number().positive().max(1_048_576).default(1024),
    })
    .default({ parallelism: 4, chunk_mb: 128, first_load_parallelism: 2, first_load_range_mb: 1024 }),
  /** The tables ingestion loads; none (the default) means no ingestion: `run` and `build` only build. */
  tables: z.record(sourceName, tableConfigSchema).default({}),
  schedule: scheduleConfigSchema.optional(),
  /** OpenLineage events of every run (CLI and scheduler alike). */
  openlineage: openLineageConfigSchema.optional(),
  ...modelKeys,
});

/** `sluice.yml` as written (validated, defaults applied), before it is completed with dbt_project.yml and profiles. */
export type SluiceFileConfig = z.infer<typeof projectConfigSchema>;

/**
 * A project's complete configuration: `sluice.yml` completed with `dbt_project.yml` (the name) and the dbt
 * profile (the targets) where it leaves them out. `source.url` is `''` when no source is configured, which
 * happens only when `tables` is empty.
 */
export type ProjectConfig = Omit<SluiceFileConfig, 'name' | 'source' | 'targets' | 'target'> & {
  readonly name: string;
  readonly source: { readonly url: string; readonly schema: string };
  readonly targets: Record<string, TargetConfig>;
  readonly target: string;
};
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

/** A loaded project: its folder, the complete config, and the files it came from. */
export interface LoadedProject {
  readonly dir: string;
  /** The file problems of the whole project are reported against: `sluice.yml`, else `dbt_project.yml`. */
  readonly file: string;
  readonly config: ProjectConfig;
  /** `dbt_project.yml`, when the folder has one. */
  readonly dbtProjectFile?: string;
  /** The dbt profile the targets came from (when `sluice.yml` names none): its `profiles.yml` and name. */
  readonly profile?: { readonly file: string; readonly name: string };
  /** dbt's `threads` per target (from the profile): how many nodes a build runs at once by default. */
  readonly threads?: Readonly<Record<string, number>>;
  /** What was read but is not used (profile settings Sluice ignores), each with its place: for the apps to show. */
  readonly warnings?: readonly ConfigProblem[];
  /**
   * The folder of Sluice's own files (absolute): `<project>/.sluice`, or `<project>/target/sluice` in a dbt project
   * without sluice.yml (see DBT_PROJECT_SLUICE_DIR). Read it through `sluiceFilesDir(project)`.
   */
  readonly sluiceDir?: string;
}

/** Where `loadProjectConfig` looks beyond the project folder. */
export interface LoadProjectConfigOptions {
  /**
   * `--profiles-dir`: the folder of `profiles.yml`. Without it: `DBT_PROFILES_DIR`, the project folder, the working
   * folder, then `~/.dbt/` (dbt's order, the project folder added).
   */
  readonly profilesDir?: string;
  /** The command line's `--vars`, which `var()` reads in profiles.yml and dbt_project.yml. */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** The working folder searched for profiles.yml (default `process.cwd()`). */
  readonly cwd?: string;
  /** The target chosen on the command line (`-t`): of a dbt profile only that output must render. */
  readonly target?: string;
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
 * Read a project folder's configuration: `sluice.yml` (ingestion, state, targets, schedule), `dbt_project.yml`
 * (the project's name and profile) and, when `sluice.yml` names no targets, the dbt profile's outputs from
 * `profiles.yml` (dbt-duckdb and dbt-snowflake formats). A folder with only a dbt project and a profile is a
 * complete project; a folder with neither file is not one. In `sluice.yml`, `${env:NAME}`, `${env:NAME:-default}`
 * (or the file named by `NAME_FILE`) and `${file:PATH}` are replaced (see `substituteVariables`); in profiles.yml
 * and dbt_project.yml, `{{ env_var('NAME') }}`. Values are never echoed in messages. Collects every problem before
 * throwing one `ConfigError`; a value in both files that disagrees is one, naming both files.
 *
 * @example const { config } = await loadProjectConfig('sql-models');
 */
export async function loadProjectConfig(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadProjectConfigOptions = {},
): Promise<LoadedProject> {
  const projectDir = path.resolve(dir);
  const sluicePath = path.join(projectDir, 'sluice.yml');
  const dbtPath = path.join(projectDir, 'dbt_project.yml');
  const [sluiceRead, dbtRead] = await Promise.all([readConfigFile(sluicePath), readConfigFile(dbtPath)]);
  const unreadable = [sluiceRead, dbtRead].flatMap((read) => ('problem' in read ? [read.problem] : []));
  if (unreadable.length > 0) throw new ConfigError(unreadable);
  const sluiceText = 'text' in sluiceRead ? sluiceRead.text : undefined;
  const dbtText = 'text' in dbtRead ? dbtRead.text : undefined;
  if (sluiceText === undefined && dbtText === undefined) {
    throw new ConfigError([
      {
        file: sluicePath,
        line: undefined,
        path: '',
        message: `no sluice.yml or dbt_project.yml in ${projectDir}: pass --project DIR (a dbt project folder, or one made by sluice init), or run sluice init`,
      },
    ]);
  }
  const problems: ConfigProblem[] = [];
  const sluice = sluiceText === undefined ? undefined : readSluiceFile(sluiceText, sluicePath, env, problems);
  const dbt =
    dbtText === undefined ? undefined : readDbtProjectFile(dbtText, dbtPath, env, options.vars ?? {}, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const config = sluice?.config ?? projectConfigSchema.parse({});
  const sluiceLine = (keyPath: readonly string[]) => sluice?.lineOf(keyPath);
  // The name: dbt_project.yml's and sluice.yml's must agree.
  if (dbt?.name !== undefined && config.name !== undefined && dbt.name !== config.name) {
    problems.push({
      file: sluicePath,
      line: sluiceLine(['name']),
      path: 'name',
      message: `"${config.name}" here but "${dbt.name}" in dbt_project.yml${dbt.nameLine === undefined ? '' : `:${dbt.nameLine}`}: remove name from sluice.yml (the dbt project's name is used) or make them equal`,
    });
  }
  const name = dbt?.name ?? config.name;
  if (name === undefined) {
    problems.push({
      file: sluice ? sluicePath : dbtPath,
      line: sluice ? 1 : undefined,
      path: 'name',
      message: 'the project needs a name (letters, digits and underscores), e.g. name: shop',
    });
  }
  // The targets: sluice.yml's, else the dbt profile's outputs.
  const { targets, target, profile, threads, warnings } = await resolveTargets({
    config,
    hasSluiceFile: sluice !== undefined,
    sluicePath,
    sluiceLine,
    dbtPath,
    dbt,
    projectDir,
    env,
    options,
    problems,
  });
  if (Object.keys(config.tables).length > 0 && config.source === undefined) {
    problems.push({
      file: sluicePath,
      line: sluiceLine(['tables']),
      path: 'source',
      message: 'tables: lists tables to ingest, but there is no source: add source: { url: postgres://… }',
    });
  }
  problems.push(...(sluice?.later ?? []));
  if (problems.length > 0) throw new ConfigError(problems);
  const sluiceDir = sluice === undefined ? await dbtProjectSluiceDir(projectDir) : '.sluice';
  return {
    dir: projectDir,
    file: sluice ? sluicePath : dbtPath,
    sluiceDir: path.join(projectDir, sluiceDir),
    config: {
      ...config,
      // A dbt project without sluice.yml: the state goes with Sluice's other files (target/sluice/state).
      ...(sluice === undefined ? { state: { type: 'file' as const, dir: path.join(sluiceDir, 'state') } } : {}),
      name: name as string,
      source: config.source ?? { url: '', schema: 'public' },
      targets: targets as Record<string, TargetConfig>,
      target: target as string,
    },
    ...(dbt ? { dbtProjectFile: dbtPath } : {}),
    ...(profile ? { profile } : {}),
    ...(threads && Object.keys(threads).length > 0 ? { threads } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * The targets of a project and its default: `sluice.yml`'s, else the outputs of the dbt profile that
 * dbt_project.yml names (with its threads). Problems are added to `problems`; what the profile holds but Sluice does
 * not use comes back as `warnings`.
 */
async function resolveTargets(args: {
  readonly config: SluiceFileConfig;
  readonly hasSluiceFile: boolean;
  readonly sluicePath: string;
  readonly sluiceLine: (keyPath: readonly string[]) => number | undefined;
  readonly dbtPath: string;
  readonly dbt: ReturnType<typeof readDbtProjectFile> | undefined;
  readonly projectDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly options: LoadProjectConfigOptions;
  readonly problems: ConfigProblem[];
}): Promise<{
  targets: Record<string, TargetConfig> | undefined;
  target: string | undefined;
  profile: LoadedProject['profile'];
  threads: Record<string, number> | undefined;
  warnings: ConfigProblem[];
}> {
  const { config, hasSluiceFile, sluicePath, sluiceLine, dbtPath, dbt, projectDir, env, options, problems } = args;
  let targets = config.targets;
  let target = config.target;
  let profile: LoadedProject['profile'];
  let threads: Record<string, number> | undefined;
  const warnings: ConfigProblem[] = [];
  if (targets === undefined) {
    const profileName = dbt?.profile;
    if (dbt === undefined) {
      problems.push({
        file: sluicePath,
        line: hasSluiceFile ? 1 : undefined,
        path: 'targets',
        message:
          'no targets: add targets: (e.g. dev: { type: duckdb, path: .sluice/warehouse.duckdb }) and target: dev',
      });
    } else if (profileName === undefined) {
      problems.push({
        file: dbtPath,
        line: undefined,
        path: 'profile',
        message: `no profile: name the dbt profile whose outputs are the targets (profile: ${dbt.name ?? 'my_profile'}), or add targets: to sluice.yml`,
      });
    } else {
      const read = await readDbtProfile({
        profileName,
        dirs: profileSearchPath(projectDir, env, options),
        env,
        vars: options.vars ?? {},
        ...(options.target === undefined ? {} : { target: options.target }),
      });
      problems.push(...read.problems);
      warnings.push(...read.warnings);
      // A profile with problems: its outputs are not all there, so the target is not checked against them.
      if (read.profile && read.problems.length === 0) {
        targets = read.profile.targets;
        threads = read.profile.threads;
        profile = { file: read.profile.file, name: profileName };
        target ??= read.profile.target;
      }
    }
  }
  if (targets !== undefined && target === undefined) {
    const names = Object.keys(targets);
    if (names.length === 1) target = names[0];
    else
      problems.push({
        file: profile?.file ?? sluicePath,
        line: profile ? undefined : sluiceLine(['targets']),
        path: 'target',
        message: `name the default target: target: ${names[0] ?? 'dev'} (one of ${names.join(', ')})`,
      });
  }
  if (targets !== undefined && target !== undefined && !(target in targets)) {
    problems.push({
      file: config.target !== undefined || !profile ? sluicePath : profile.file,
      line: config.target !== undefined ? sluiceLine(['target']) : undefined,
      path: 'target',
      message: `target "${target}" is not among targets (${Object.keys(targets).join(', ')})`,
    });
  }
  return { targets, target, profile, threads, warnings };
}

/**
 * Validate the text of a `sluice.yml` that stands alone (no dbt_project.yml, no profile): it must name the
 * project and its targets. See `loadProjectConfig`.
 */
export function parseProjectConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ProjectConfig {
  const problems: ConfigProblem[] = [];
  const read = readSluiceFile(text, file, env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const { config, lineOf: at, later } = read;
  if (config.name === undefined)
    problems.push({ file, line: 1, path: 'name', message: 'the project needs a name, e.g. name: shop' });
  const targets = config.targets;
  let target = config.target;
  if (targets === undefined) {
    problems.push({ file, line: 1, path: 'targets', message: 'no targets: add targets: and target:' });
  } else {
    const names = Object.keys(targets);
    if (target === undefined && names.length === 1) target = names[0];
    if (target === undefined)
      problems.push({
        file,
        line: at(['targets']),
        path: 'target',
        message: `name the default target (one of ${names.join(', ')})`,
      });
    else if (!(target in targets))
      problems.push({
        file,
        line: at(['target']),
        path: 'target',
        message: `target "${target}" is not among targets (${names.join(', ')})`,
      });
  }
  if (Object.keys(config.tables).length > 0 && config.source === undefined)
    problems.push({
      file,
      line: at(['tables']),
      path: 'source',
      message: 'tables: lists tables to ingest, but there is no source: add source: { url: postgres://… }',
    });
  problems.push(...later);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...config,
    name: config.name as string,
    source: config.source ?? { url: '', schema: 'public' },
    targets: targets as Record<string, TargetConfig>,
    target: target as string,
  };
}

/** Parse and validate `sluice.yml` as written; its problems are added to `problems`. */
function readSluiceFile(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
): {
  config: SluiceFileConfig;
  lineOf: (keyPath: readonly string[]) => number | undefined;
  /** Problems across keys (a strategy without its cursor), reported after the targets' problems. */
  later: ConfigProblem[];
} {
  const later: ConfigProblem[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (keyPath: readonly string[]) => lineOf(doc, lineCounter, keyPath);
  const own: ConfigProblem[] = [];
  const lastWritten = text.split('\n').reduce((last, line, i) => (line.trim() !== '' ? i + 1 : last), 1);
  for (const error of doc.errors) {
    const found = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
    // An unclosed bracket is found at the end of the file: point at the last line written, not past it.
    own.push({ file, line: Math.min(found, lastWritten), path: '', message: `YAML: ${error.message.split('\n')[0]}` });
  }
  const root = own.length > 0 ? undefined : (doc.toJS() as unknown);
  if (own.length === 0 && (root === null || root === undefined || typeof root !== 'object' || Array.isArray(root))) {
    own.push({
      file,
      line: 1,
      path: '',
      message:
        root === null || root === undefined
          ? 'the file is empty: write its settings as "key: value" (sluice init --from postgres://… writes one), or remove it when dbt_project.yml and profiles.yml say everything'
          : `the file holds ${Array.isArray(root) ? 'a list' : 'a single value'}, not keys: write each setting as "key: value"`,
    });
  }
  if (own.length > 0) {
    problems.push(...own);
    return { config: projectConfigSchema.parse({}), lineOf: at, later };
  }
  const raw = substituteVariables(root as object, {
    env,
    baseDir: path.dirname(file),
    onProblem: (keyPath, message) => own.push({ file, line: at(keyPath), path: keyPath.join('.'), message }),
  });
  const unset = new Set(own.map((problem) => problem.path));
  const parsed = projectConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keyPath = issue.path.map(String);
      // A value left empty by an unset variable is already reported once, by the variable's name.
      if (unset.has(keyPath.join('.'))) continue;
      // An unknown key is pointed at on its own line, not on its parent's.
      const where =
        issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...keyPath, issue.keys[0]] : keyPath;
      own.push({ file, line: at(where) ?? 1, path: keyPath.join('.'), message: describeIssue(issue, keyPath, raw) });
    }
  } else {
    for (const [name, table] of Object.entries(parsed.data.tables)) {
      if (table.include && table.exclude) {
        own.push({
          file,
          line: at(['tables', name, 'exclude']),
          path: `tables.${name}.exclude`,
          message:
            'include and exclude cannot both be given: include lists the only columns to load, exclude the columns to leave out; keep one',
        });
      }
      if (table.strategy !== 'full' && !table.cursor) {
        later.push({
          file,
          line: at(['tables', name, 'strategy']),
          path: `tables.${name}.cursor`,
          message: `strategy ${table.strategy} needs a cursor, e.g. cursor: [updated_at, id]`,
        });
      }
    }
  }
  problems.push(...own);
  return { config: parsed.success ? parsed.data : projectConfigSchema.parse({}), lineOf: at, later };
}

/** What the pipeline reads from `dbt_project.yml`: the name and the profile (the model runner reads the rest). */
function readDbtProjectFile(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv,
  vars: Readonly<Record<string, unknown>>,
  problems: ConfigProblem[],
): { name?: string; nameLine?: number; profile?: string } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const error of doc.errors)
      problems.push({
        file,
        line: error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line,
        path: '',
        message: `YAML: ${error.message.split('\n')[0]}`,
      });
    return {};
  }
  const value: unknown = doc.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ file, line: 1, path: '', message: 'dbt_project.yml must be a mapping of keys' });
    return {};
  }
  const out: { name?: string; nameLine?: number; profile?: string } = {};
  for (const key of ['name', 'profile'] as const) {
    let v = (value as Record<string, unknown>)[key];
    if (hasConfigTemplate(v)) {
      const rendered = renderConfigTemplate(v, { env, vars });
      if ('error' in rendered) {
        problems.push({ file, line: lineOf(doc, lineCounter, [key]), path: key, message: rendered.error });
        continue;
      }
      v = rendered.value;
    }
    if (v === undefined || v === null) continue;
    if (key === 'name' && (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))) {
      problems.push({
        file,
        line: lineOf(doc, lineCounter, [key]),
        path: key,
        message: `a project name is letters, digits and underscores (got ${JSON.stringify(v)})`,
      });
      continue;
    }
    if (key === 'name') {
      out.name = String(v);
      const line = lineOf(doc, lineCounter, ['name']);
      if (line !== undefined) out.nameLine = line;
    } else out.profile = String(v);
  }
  return out;
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
  openlineage: ['url', 'file', 'api_key', 'namespace', 'timeout'],
  ingest: ['parallelism', 'chunk_mb', 'hash_salt', 'first_load_parallelism', 'first_load_range_mb'],
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
    ...(spec.columns
      ? { columns: Object.fromEntries(Object.entries(spec.columns).map(([name, column]) => [name, column.as])) }
      : {}),
    lateCommits: spec.late_commits,
    ...(spec.lookback !== undefined ? { lookbackMs: spec.lookback } : {}),
    ...(spec.sweep_every !== undefined ? { sweepEveryMs: spec.sweep_every } : {}),
  };
}

/** A config file's text, `{}` when it does not exist, or the problem that keeps it from being read. */
async function readConfigFile(
  file: string,
): Promise<{ text: string } | { missing: true } | { problem: ConfigProblem }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    const name = path.basename(file);
    return {
      problem: {
        file,
        line: undefined,
        path: '',
        message:
          code === 'EISDIR'
            ? `${file} is a folder, not a file: ${name} must be the project's config file (move the folder away)`
            : `${file} cannot be read (${code ?? 'unknown error'}): check its permissions`,
      },
    };
  }
}
