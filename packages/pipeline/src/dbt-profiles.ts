import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { renderConfigTree } from '@sluice/models';
import { closestNames } from '@sluice/warehouse';
import type { ConfigProblem, TargetConfig } from './project-config.js';
import { lineOf, targetConfigSchema } from './project-config.js';

/** A folder that may hold `profiles.yml`, and why it is searched. */
export interface ProfileFolder {
  readonly dir: string;
  /** `--profiles-dir` and `DBT_PROFILES_DIR` must hold the file; the others are looked in when they do. */
  readonly from: '--profiles-dir' | 'DBT_PROFILES_DIR' | 'project' | 'working folder' | 'home';
}

/** A dbt profile read as Sluice targets. */
export interface DbtProfile {
  readonly file: string;
  readonly targets: Record<string, TargetConfig>;
  /** The profile's `target:` (its default output). */
  readonly target: string | undefined;
  /** dbt's `threads` per output. */
  readonly threads: Record<string, number>;
}

/**
 * Where `profiles.yml` is looked for, in dbt's order: `--profiles-dir`, else `DBT_PROFILES_DIR`, else the project
 * folder, the working folder and `~/.dbt/` (the first that has the file).
 */
export function profileSearchPath(
  projectDir: string,
  env: NodeJS.ProcessEnv,
  options: { readonly profilesDir?: string; readonly cwd?: string },
): ProfileFolder[] {
  if (options.profilesDir !== undefined) return [{ dir: path.resolve(options.profilesDir), from: '--profiles-dir' }];
  if (env.DBT_PROFILES_DIR) return [{ dir: path.resolve(env.DBT_PROFILES_DIR), from: 'DBT_PROFILES_DIR' }];
  const folders: ProfileFolder[] = [{ dir: projectDir, from: 'project' }];
  const cwd = path.resolve(options.cwd ?? process.cwd());
  if (cwd !== projectDir) folders.push({ dir: cwd, from: 'working folder' });
  const home = env.HOME ?? env.USERPROFILE;
  if (home) folders.push({ dir: path.join(home, '.dbt'), from: 'home' });
  return folders;
}

/** dbt-duckdb keys Sluice reads; the others are warnings (see DUCKDB_IGNORED). */
const DUCKDB_KEYS = ['type', 'path', 'schema', 'database', 'threads', 'settings'];
/** dbt-duckdb keys without a Sluice meaning yet: ignored with a warning. */
const DUCKDB_IGNORED = [
  'extensions',
  'attach',
  'plugins',
  'filesystems',
  'external_root',
  'use_credential_provider',
  'secrets',
  'module_paths',
  'disable_transactions',
  'keep_open',
  'retries',
  'config_options',
  'is_ducklake',
];
const SNOWFLAKE_KEYS = [
  'type',
  'account',
  'user',
  'password',
  'role',
  'database',
  'warehouse',
  'schema',
  'threads',
  'private_key_path',
  'private_key_passphrase',
  'authenticator',
  'token',
  'oauth_client_id',
  'oauth_client_secret',
  'client_session_keep_alive',
  'proxy_host',
  'proxy_port',
  'host',
  'port',
  'protocol',
];
const SNOWFLAKE_IGNORED = [
  'query_tag',
  'connect_retries',
  'connect_timeout',
  'retry_on_database_errors',
  'retry_all',
  'reuse_connections',
  'insecure_mode',
  's3_stage_vpce_dns_name',
];
/** dbt-snowflake authenticators Sluice signs in with (the same names as its own `authenticator`). */
const SNOWFLAKE_AUTHENTICATORS = [
  'snowflake',
  'snowflake_jwt',
  'oauth',
  'programmatic_access_token',
  'externalbrowser',
];

/**
 * Read the profile `profileName` from the first `profiles.yml` on `dirs`, its `{{ env_var() }}` / `{{ var() }}`
 * values rendered, and map each output to a Sluice target (dbt-duckdb: `path`, `schema` (default `main`),
 * `settings.memory_limit` / `settings.threads`; dbt-snowflake: account, user, password, key pair, `authenticator`
 * (oauth and programmatic_access_token with `token`, externalbrowser), role, database, warehouse, schema,
 * `client_session_keep_alive`, `proxy_host`/`proxy_port`, and `host`/`port`/`protocol` as the address). Keys Sluice
 * does not use are warnings naming the file and line; an engine or authenticator it cannot connect with is an error.
 * Problems come back with places.
 */
export async function readDbtProfile(options: {
  readonly profileName: string;
  readonly dirs: readonly ProfileFolder[];
  readonly env: NodeJS.ProcessEnv;
  readonly vars: Readonly<Record<string, unknown>>;
  /** The target chosen on the command line (`-t`); default: the profile's `target:`. */
  readonly target?: string;
}): Promise<{ profile?: DbtProfile; problems: ConfigProblem[]; warnings: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  let file: string | undefined;
  let text: string | undefined;
  for (const folder of options.dirs) {
    const candidate = path.join(folder.dir, 'profiles.yml');
    text = await readFile(candidate, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      file = candidate;
      break;
    }
    if (folder.from === '--profiles-dir' || folder.from === 'DBT_PROFILES_DIR') break;
  }
  if (file === undefined || text === undefined) {
    problems.push({
      file: path.join(options.dirs[0]?.dir ?? '.', 'profiles.yml'),
      line: undefined,
      path: '',
      message: `no profiles.yml with the profile "${options.profileName}" (looked in ${options.dirs.map((d) => `${d.dir} (${d.from})`).join(', ')}): add one, pass --profiles-dir DIR, or add targets: to sluice.yml`,
    });
    return { problems, warnings };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (keyPath: readonly string[]) => lineOf(doc, lineCounter, keyPath);
  for (const error of doc.errors) {
    problems.push({
      file,
      line: error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line,
      path: '',
      message: `YAML: ${error.message.split('\n')[0]}`,
    });
  }
  if (problems.length > 0) return { problems, warnings };
  const all: unknown = doc.toJS();
  const profiles = isObject(all) ? all : {};
  const raw = profiles[options.profileName];
  if (!isObject(raw)) {
    const names = Object.keys(profiles).filter((name) => name !== 'config');
    const hint = closestNames(options.profileName, names);
    problems.push({
      file,
      line: undefined,
      path: options.profileName,
      message: `no profile "${options.profileName}" (the profile dbt_project.yml names)${hint.length ? ` (did you mean ${hint.join(' or ')}?)` : ''}; this file has ${names.join(', ') || 'none'}`,
    });
    return { problems, warnings };
  }
  const profile = renderProfile(raw, options, (keyPath, message) =>
    problems.push({ file, line: at(keyPath), path: keyPath.join('.'), message }),
  );
  const misspeltOutputs = checkProfileKeys(profile, options.profileName, file, at, { problems, warnings });
  const outputs = isObject(profile.outputs) ? profile.outputs : {};
  if (Object.keys(outputs).length === 0 && !misspeltOutputs) {
    problems.push({
      file,
      line: at([options.profileName]),
      path: `${options.profileName}.outputs`,
      message: 'the profile has no outputs: add outputs: { dev: { type: duckdb, path: dev.duckdb } }',
    });
  }
  const targets: Record<string, TargetConfig> = {};
  const threads: Record<string, number> = {};
  for (const [name, output] of Object.entries(outputs)) {
    const where = [options.profileName, 'outputs', name];
    if (!isObject(output)) {
      problems.push({ file, line: at(where), path: where.join('.'), message: 'an output is a mapping of settings' });
      continue;
    }
    const mapped = mapOutput(output, (key, message, severity) =>
      (severity === 'error' ? problems : warnings).push({
        file,
        line: at(key === undefined ? where : [...where, key]),
        path: [...where, ...(key === undefined ? [] : [key])].join('.'),
        message,
      }),
    );
    if (mapped === undefined) continue;
    const parsed = targetConfigSchema.safeParse(mapped);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const key = issue.path.map(String);
        problems.push({
          file,
          line: at([...where, ...key]),
          path: [...where, ...key].join('.'),
          message: issue.message,
        });
      }
      continue;
    }
    targets[name] = parsed.data;
    if (typeof output.threads === 'number' && Number.isInteger(output.threads) && output.threads > 0)
      threads[name] = output.threads;
    else if (output.threads !== undefined)
      problems.push({
        file,
        line: at([...where, 'threads']),
        path: [...where, 'threads'].join('.'),
        message: `threads must be a whole number of 1 or more (got ${JSON.stringify(output.threads)})`,
      });
  }
  const target = typeof profile.target === 'string' ? profile.target : undefined;
  if (target !== undefined && Object.keys(targets).length > 0 && !(target in outputs)) {
    problems.push({
      file,
      line: at([options.profileName, 'target']),
      path: `${options.profileName}.target`,
      message: `target "${target}" is not among the outputs (${Object.keys(outputs).join(', ')})`,
    });
  }
  return { profile: { file, targets, target, threads }, problems, warnings };
}

/**
 * Render a profile's `{{ env_var() }}` / `{{ var() }}` values as dbt does: only the chosen output (`-t`, else the
 * profile's `target:`) — a `prod` output whose secrets are not in this shell must not stop work on `dev`. Other
 * outputs are rendered too, but one that cannot be is left out of the targets instead of failing the load.
 */
function renderProfile(
  raw: Record<string, unknown>,
  options: {
    readonly profileName: string;
    readonly env: NodeJS.ProcessEnv;
    readonly vars: Readonly<Record<string, unknown>>;
    readonly target?: string;
  },
  report: (keyPath: readonly string[], message: string) => void,
): Record<string, unknown> {
  const context = { env: options.env, vars: options.vars };
  const { outputs, ...rest } = raw;
  const rendered = renderConfigTree(rest, context);
  for (const problem of rendered.problems) report([options.profileName, ...problem.path.map(String)], problem.message);
  const profile = { ...(rendered.value as Record<string, unknown>) };
  if (!isObject(outputs)) return outputs === undefined ? profile : { ...profile, outputs };
  const chosen = options.target ?? (typeof profile.target === 'string' ? profile.target : undefined);
  const kept: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(outputs)) {
    const out = renderConfigTree(output, context);
    if (out.problems.length > 0 && name !== chosen && chosen !== undefined) continue;
    for (const problem of out.problems)
      report([options.profileName, 'outputs', name, ...problem.path.map(String)], problem.message);
    kept[name] = out.value;
  }
  return { ...profile, outputs: kept };
}

/**
 * A profile's keys besides `target:` and `outputs:`: a misspelling of one the profile lacks (`outptus:`, `taget:`) is
 * an error at its line naming the key meant; any other key is not read (a warning). True when `outputs` was misspelt.
 */
function checkProfileKeys(
  profile: Record<string, unknown>,
  profileName: string,
  file: string,
  at: (keyPath: readonly string[]) => number | undefined,
  found: { problems: ConfigProblem[]; warnings: ConfigProblem[] },
): boolean {
  let misspeltOutputs = false;
  for (const key of Object.keys(profile)) {
    if (key === 'target' || key === 'outputs') continue;
    const hint = closestNames(
      key,
      ['target', 'outputs'].filter((k) => !(k in profile)),
    );
    if (hint[0] === 'outputs') misspeltOutputs = true;
    (hint.length > 0 ? found.problems : found.warnings).push({
      file,
      line: at([profileName, key]),
      path: `${profileName}.${key}`,
      message:
        hint.length > 0
          ? `"${key}" is not a profile key (did you mean ${hint[0]}?): a profile has target: and outputs:`
          : `"${key}" in a profile is not read (a profile has target: and outputs:)`,
    });
  }
  return misspeltOutputs;
}

type Report = (key: string | undefined, message: string, severity: 'error' | 'warning') => void;

/** One dbt output as the settings of a Sluice target, or `undefined` (and an error) when it cannot be one. */
function mapOutput(output: Record<string, unknown>, report: Report): Record<string, unknown> | undefined {
  const type = output.type;
  if (type === 'duckdb') {
    checkKeys(output, DUCKDB_KEYS, DUCKDB_IGNORED, 'dbt-duckdb', report);
    const settings = isObject(output.settings) ? output.settings : {};
    for (const key of Object.keys(settings)) {
      if (key !== 'memory_limit' && key !== 'threads')
        report(
          'settings',
          `the DuckDB setting "${key}" is not applied (Sluice sets memory_limit and threads)`,
          'warning',
        );
    }
    const file = output.path === undefined ? ':memory:' : String(output.path);
    if (file === ':memory:')
      report(
        'path',
        "path is :memory: (dbt-duckdb's default): the warehouse lives only as long as one command, so nothing a command builds is there for the next",
        'warning',
      );
    return {
      type: 'duckdb',
      path: file,
      schema: output.schema === undefined ? 'main' : String(output.schema),
      ...(settings.memory_limit === undefined ? {} : { memory_limit: String(settings.memory_limit) }),
      ...(settings.threads === undefined ? {} : { threads: Number(settings.threads) }),
    };
  }
  if (type === 'snowflake') {
    checkKeys(output, SNOWFLAKE_KEYS, SNOWFLAKE_IGNORED, 'dbt-snowflake', report);
    if ('private_key' in output) {
      report(
        'private_key',
        'an inline private_key is not supported yet: write it to a file and set private_key_path',
        'error',
      );
      return undefined;
    }
    const authenticator = output.authenticator === undefined ? undefined : String(output.authenticator).toLowerCase();
    if (authenticator !== undefined && !SNOWFLAKE_AUTHENTICATORS.includes(authenticator)) {
      report(
        'authenticator',
        `authenticator ${String(output.authenticator)} is not supported yet: use a password, a key pair (private_key_path), oauth or programmatic_access_token with token, or externalbrowser`,
        'error',
      );
      return undefined;
    }
    // dbt-snowflake's Snowflake OAuth: with a client id and secret, token is a REFRESH token dbt trades for an access
    // token. Sluice takes the access token itself (External OAuth, or one minted outside).
    for (const key of ['oauth_client_id', 'oauth_client_secret']) {
      if (key in output) {
        report(
          key,
          'a refresh token traded through oauth_client_id / oauth_client_secret is not supported yet: give an OAuth access token in token, and remove the client id and secret',
          'error',
        );
        return undefined;
      }
    }
    const proxyHost = output.proxy_host === undefined ? undefined : String(output.proxy_host);
    const proxyPort = output.proxy_port === undefined ? undefined : Number(output.proxy_port);
    if ((proxyHost === undefined) !== (proxyPort === undefined)) {
      report(proxyHost === undefined ? 'proxy_port' : 'proxy_host', 'proxy_host and proxy_port go together', 'error');
      return undefined;
    }
    const keepAlive = output.client_session_keep_alive;
    const host = output.host === undefined ? undefined : String(output.host);
    const accessUrl =
      host === undefined
        ? undefined
        : `${output.protocol === undefined ? 'https' : String(output.protocol)}://${host}${output.port === undefined ? '' : `:${String(output.port)}`}`;
    const text = (key: string) => (output[key] === undefined ? {} : { [key]: String(output[key]) });
    return {
      type: 'snowflake',
      ...text('account'),
      ...text('user'),
      ...text('password'),
      ...text('role'),
      ...text('database'),
      ...text('warehouse'),
      ...text('schema'),
      ...text('private_key_path'),
      ...text('private_key_passphrase'),
      ...(authenticator === undefined ? {} : { authenticator }),
      ...text('token'),
      ...(proxyHost === undefined ? {} : { proxy: { host: proxyHost, port: proxyPort } }),
      // dbt's default is false; unset, Sluice's (heartbeats on) applies.
      ...(keepAlive === undefined
        ? {}
        : { keep_alive: keepAlive === true || String(keepAlive).toLowerCase() === 'true' }),
      ...(accessUrl === undefined ? {} : { access_url: accessUrl }),
    };
  }
  if (type === undefined) {
    // No type: a misspelt `tpye:` is named at its line; else the output's line says what is missing.
    const misspelt = Object.keys(output).find((key) => closestNames(key, ['type']).length > 0);
    report(
      misspelt,
      misspelt === undefined
        ? 'an output needs a type: type: duckdb or type: snowflake (the dbt-duckdb and dbt-snowflake profile formats)'
        : `"${misspelt}" is not an output setting (did you mean type?): an output needs type: duckdb or type: snowflake`,
      'error',
    );
    return undefined;
  }
  report(
    'type',
    `type ${JSON.stringify(type)}: Sluice builds on duckdb or snowflake (the dbt-duckdb and dbt-snowflake profile formats)`,
    'error',
  );
  return undefined;
}

function checkKeys(
  output: Record<string, unknown>,
  known: readonly string[],
  ignored: readonly string[],
  adapter: string,
  report: Report,
): void {
  for (const key of Object.keys(output)) {
    if (known.includes(key)) continue;
    if (ignored.includes(key)) {
      report(key, `"${key}" (${adapter}) is not supported yet; it is ignored`, 'warning');
      continue;
    }
    const hint = closestNames(key, [...known, ...ignored]);
    report(
      key,
      `"${key}" is not a ${adapter} setting${hint.length ? ` (did you mean ${hint.join(' or ')}?)` : ''}; it is ignored`,
      'warning',
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
