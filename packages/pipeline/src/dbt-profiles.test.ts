import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTempDir } from '@sluice/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProjectConfig } from './project-config.js';
import { ConfigError, formatConfigProblem, sluiceFilesDir } from './project-config.js';

/*
 * A folder with only a dbt project and a profile is a complete project: the targets come from profiles.yml
 * (dbt-duckdb and dbt-snowflake formats, env_var()), found where dbt finds it.
 */

const DBT_PROJECT = 'name: shop\nprofile: shop\n';
const DUCKDB_PROFILE = `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('SHOP_DUCKDB', 'shop.duckdb') }}"
      threads: 8
      settings: { memory_limit: 1GB, threads: 2, preserve_insertion_order: false }
      extensions: [httpfs]
    ci:
      type: duckdb
      schema: ci
      threads: "{{ env_var('CI_THREADS', '3') | int }}"
`;

describe('loadProjectConfig with a dbt project and a profile', () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeEach(async () => {
    dir = await createTempDir('sluice-profiles-');
  });
  afterEach(async () => {
    await dir.remove();
  });

  async function files(entries: Record<string, string>): Promise<void> {
    for (const [file, text] of Object.entries(entries)) {
      await mkdir(path.dirname(path.join(dir.path, file)), { recursive: true });
      await writeFile(path.join(dir.path, file), text);
    }
  }

  async function problems(env: NodeJS.ProcessEnv, options = {}): Promise<string[]> {
    try {
      await loadProjectConfig(path.join(dir.path, 'project'), env, { cwd: dir.path, ...options });
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems.map(
        (p) => `${path.relative(dir.path, p.file)}${p.line ? `:${p.line}` : ''}: ${p.message}`,
      );
    }
  }

  it('reads dbt-duckdb outputs as targets, the profile’s target as the default, threads as the build’s parallelism', async () => {
    await files({ 'project/dbt_project.yml': DBT_PROJECT, 'project/profiles.yml': DUCKDB_PROFILE });
    const project = await loadProjectConfig(path.join(dir.path, 'project'), { SHOP_DUCKDB: 'data/shop.duckdb' });
    expect(project.config.name).toBe('shop');
    expect(project.config.target).toBe('dev');
    expect(project.config.targets).toEqual({
      dev: { type: 'duckdb', path: 'data/shop.duckdb', schema: 'main', memory_limit: '1GB', threads: 2 },
      ci: { type: 'duckdb', path: ':memory:', schema: 'ci' },
    });
    expect(project.threads).toEqual({ dev: 8, ci: 3 });
    // Ingestion is not configured: no tables, no source; Sluice's own files under target/ (dbt's .gitignore has it).
    expect(project.config.tables).toEqual({});
    expect(project.config.source.url).toBe('');
    expect(project.config.state).toEqual({ type: 'file', dir: path.join('target', 'sluice', 'state') });
    expect(sluiceFilesDir(project)).toBe(path.join(dir.path, 'project', 'target', 'sluice'));
    expect(project.file).toBe(path.join(dir.path, 'project', 'dbt_project.yml'));
    expect(project.profile).toEqual({ file: path.join(dir.path, 'project', 'profiles.yml'), name: 'shop' });
    // What is read but not used is said, with its line.
    expect(project.warnings?.map(formatConfigProblem)).toEqual([
      'profiles.yml:9: shop.outputs.dev.extensions: "extensions" (dbt-duckdb) is not supported yet; it is ignored',
      'profiles.yml:8: shop.outputs.dev.settings: the DuckDB setting "preserve_insertion_order" is not applied (Sluice sets memory_limit and threads)',
      "profiles.yml:10: shop.outputs.ci.path: path is :memory: (dbt-duckdb's default): the warehouse lives only as long as one command, so nothing a command builds is there for the next",
    ]);
  });

  it('reads dbt-snowflake outputs: password or key pair, host/port/protocol as the address', async () => {
    await files({
      'project/dbt_project.yml': DBT_PROJECT,
      'project/profiles.yml': `shop:
  target: prod
  outputs:
    prod:
      type: snowflake
      account: xy12345.eu-west-1
      user: "{{ env_var('SNOWFLAKE_USER') }}"
      password: "{{ env_var('SNOWFLAKE_PASSWORD') }}"
      role: transformer
      database: ANALYTICS
      warehouse: TRANSFORMING
      schema: dbt_shop
      threads: 4
      client_session_keep_alive: false
      host: 127.0.0.1
      port: 8085
      protocol: http
    keys:
      type: snowflake
      account: xy12345
      user: loader
      private_key_path: keys/rsa_key.p8
      private_key_passphrase: "{{ env_var('KEY_PASS', '') }}"
      database: ANALYTICS
      warehouse: TRANSFORMING
      schema: dbt_shop
`,
    });
    const project = await loadProjectConfig(path.join(dir.path, 'project'), {
      SNOWFLAKE_USER: 'dbt',
      SNOWFLAKE_PASSWORD: 'p4ss',
    });
    expect(project.config.targets.prod).toEqual({
      type: 'snowflake',
      account: 'xy12345.eu-west-1',
      user: 'dbt',
      password: 'p4ss',
      role: 'transformer',
      database: 'ANALYTICS',
      warehouse: 'TRANSFORMING',
      schema: 'dbt_shop',
      keep_alive: false,
      access_url: 'http://127.0.0.1:8085',
    });
    expect(project.config.targets.keys).toMatchObject({
      private_key_path: 'keys/rsa_key.p8',
      private_key_passphrase: '',
    });
    expect((project.warnings ?? []).map(formatConfigProblem)).toEqual([]);
  });

  it('renders only the chosen output: a prod output whose secrets are not set does not stop work on dev', async () => {
    await files({
      'project/dbt_project.yml': DBT_PROJECT,
      'project/profiles.yml': `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
    prod:
      type: snowflake
      account: xy12345
      user: dbt
      password: "{{ env_var('PROD_PASSWORD') }}"
      database: ANALYTICS
      warehouse: TRANSFORMING
      schema: shop
`,
    });
    const dev = await loadProjectConfig(path.join(dir.path, 'project'), {});
    expect(dev.config.target).toBe('dev');
    expect(Object.keys(dev.config.targets)).toEqual(['dev']);
    // Chosen with -t, the output must render: its problem is an error naming the file, line and key.
    const prod = await loadProjectConfig(path.join(dir.path, 'project'), {}, { target: 'prod' }).catch(
      (error: unknown) => error,
    );
    expect(prod).toBeInstanceOf(ConfigError);
    expect((prod as ConfigError).problems.map(formatConfigProblem).join('\n')).toMatch(
      /profiles\.yml:11: shop\.outputs\.prod\.password: .*PROD_PASSWORD/,
    );
    const withSecret = await loadProjectConfig(
      path.join(dir.path, 'project'),
      { PROD_PASSWORD: 'x' },
      { target: 'prod' },
    );
    expect(Object.keys(withSecret.config.targets)).toEqual(['dev', 'prod']);
  });

  it('reads dbt-snowflake’s other sign-ins (oauth and PAT tokens, externalbrowser) and its proxy', async () => {
    const output = (name: string, lines: string) =>
      `    ${name}:\n      type: snowflake\n      account: a\n      user: u\n      database: D\n      warehouse: W\n${lines}`;
    await files({
      'project/dbt_project.yml': DBT_PROJECT,
      'project/profiles.yml': `shop:
  target: oauth
  outputs:
${output('oauth', '      authenticator: oauth\n      token: "{{ env_var(\'SF_TOKEN\') }}"\n      proxy_host: proxy.internal\n      proxy_port: 3128\n')}
${output('pat', '      authenticator: PROGRAMMATIC_ACCESS_TOKEN\n      token: pat-secret\n      client_session_keep_alive: true\n')}
${output('desk', '      authenticator: externalbrowser\n')}`,
    });
    const project = await loadProjectConfig(path.join(dir.path, 'project'), { SF_TOKEN: 'access-token' });
    expect(project.config.targets.oauth).toMatchObject({
      authenticator: 'oauth',
      token: 'access-token',
      proxy: { host: 'proxy.internal', port: 3128 },
    });
    expect(project.config.targets.pat).toMatchObject({
      authenticator: 'programmatic_access_token',
      token: 'pat-secret',
      keep_alive: true,
    });
    expect(project.config.targets.desk).toMatchObject({ authenticator: 'externalbrowser' });
    expect((project.warnings ?? []).map(formatConfigProblem)).toEqual([]);
  });

  it('refuses a dbt-snowflake OAuth refresh token (oauth_client_id / oauth_client_secret) and half a proxy', async () => {
    await files({
      'project/dbt_project.yml': DBT_PROJECT,
      'project/profiles.yml': `shop:
  target: dev
  outputs:
    dev:
      type: snowflake
      account: a
      user: u
      database: D
      warehouse: W
      authenticator: oauth
      token: refresh-token
      oauth_client_id: client
      oauth_client_secret: secret
    half:
      type: snowflake
      account: a
      user: u
      password: p
      database: D
      warehouse: W
      proxy_host: proxy.internal
`,
    });
    const found = await problems({});
    expect(found).toEqual([
      'project/profiles.yml:12: a refresh token traded through oauth_client_id / oauth_client_secret is not supported yet: give an OAuth access token in token, and remove the client id and secret',
      'project/profiles.yml:21: proxy_host and proxy_port go together',
    ]);
    expect(found.join('\n')).not.toMatch(/secret$|refresh-token/);
  });

  it('finds profiles.yml where dbt does: --profiles-dir, DBT_PROFILES_DIR, the project, the working folder, ~/.dbt', async () => {
    const profile = (schema: string) => DUCKDB_PROFILE.replace('threads: 8', `threads: 8\n      schema: ${schema}`);
    await files({
      'project/dbt_project.yml': DBT_PROJECT,
      'home/.dbt/profiles.yml': profile('from_home'),
      'elsewhere/profiles.yml': profile('from_env'),
      'flag/profiles.yml': profile('from_flag'),
    });
    const schemaOf = async (env: NodeJS.ProcessEnv, options = {}) =>
      (await loadProjectConfig(path.join(dir.path, 'project'), env, { cwd: dir.path, ...options })).config.targets.dev
        ?.schema;
    const home = { HOME: path.join(dir.path, 'home') };
    expect(await schemaOf(home)).toBe('from_home');
    await files({ 'profiles.yml': profile('from_cwd') });
    expect(await schemaOf(home)).toBe('from_cwd');
    await files({ 'project/profiles.yml': profile('from_project') });
    expect(await schemaOf(home)).toBe('from_project');
    expect(await schemaOf({ ...home, DBT_PROFILES_DIR: path.join(dir.path, 'elsewhere') })).toBe('from_env');
    expect(
      await schemaOf(
        { ...home, DBT_PROFILES_DIR: path.join(dir.path, 'elsewhere') },
        { profilesDir: path.join(dir.path, 'flag') },
      ),
    ).toBe('from_flag');
    // A folder named explicitly must hold the file.
    expect(await problems(home, { profilesDir: path.join(dir.path, 'nowhere') })).toEqual([
      `nowhere/profiles.yml: no profiles.yml with the profile "shop" (looked in ${path.join(dir.path, 'nowhere')} (--profiles-dir)): add one, pass --profiles-dir DIR, or add targets: to sluice.yml`,
    ]);
  });

  it('says what is wrong in a profile, at its line', async () => {
    await files({
      'project/dbt_project.yml': DBT_PROJECT.replace('profile: shop', 'profile: shopp'),
      'project/profiles.yml': `shop:
  target: dev
  outputs:
    dev:
      type: postgres
      host: localhost
    sf:
      type: snowflake
      account: a
      user: "{{ env_var('SF_USER') }}"
      authenticator: https://myorg.okta.com
      database: D
      warehouse: W
`,
    });
    expect(await problems({})).toEqual([
      'project/profiles.yml: no profile "shopp" (the profile dbt_project.yml names) (did you mean shop?); this file has shop',
    ]);
    await files({ 'project/dbt_project.yml': DBT_PROJECT });
    // As dbt, only the chosen output is rendered: sf's unset variable matters once sf is chosen.
    expect(await problems({})).toEqual([
      'project/profiles.yml:5: type "postgres": Sluice builds on duckdb or snowflake (the dbt-duckdb and dbt-snowflake profile formats)',
    ]);
    expect(await problems({}, { target: 'sf' })).toEqual([
      "project/profiles.yml:10: env_var('SF_USER'): the environment variable SF_USER is not set and there is no default",
      'project/profiles.yml:5: type "postgres": Sluice builds on duckdb or snowflake (the dbt-duckdb and dbt-snowflake profile formats)',
      'project/profiles.yml:11: authenticator https://myorg.okta.com is not supported yet: use a password, a key pair (private_key_path), oauth or programmatic_access_token with token, or externalbrowser',
    ]);
  });

  it('names a misspelt profile key (outptus:, taget:) or output type (tpye:) at its line, with the key meant', async () => {
    await files({
      'project/dbt_project.yml': DBT_PROJECT,
      'project/profiles.yml': 'shop:\n  target: dev\n  outptus:\n    dev:\n      type: duckdb\n',
    });
    expect(await problems({})).toEqual([
      'project/profiles.yml:3: "outptus" is not a profile key (did you mean outputs?): a profile has target: and outputs:',
    ]);
    await files({
      'project/profiles.yml':
        'shop:\n  taget: dev\n  outputs:\n    dev:\n      tpye: duckdb\n      path: x.duckdb\n    ci:\n      path: y.duckdb\n',
    });
    expect(await problems({})).toEqual([
      'project/profiles.yml:2: "taget" is not a profile key (did you mean target?): a profile has target: and outputs:',
      'project/profiles.yml:5: "tpye" is not an output setting (did you mean type?): an output needs type: duckdb or type: snowflake',
      'project/profiles.yml:7: an output needs a type: type: duckdb or type: snowflake (the dbt-duckdb and dbt-snowflake profile formats)',
    ]);
  });

  it('with sluice.yml: its targets win, the names must agree, tables need a source', async () => {
    await files({
      'project/dbt_project.yml': DBT_PROJECT,
      'project/profiles.yml': DUCKDB_PROFILE,
      'project/sluice.yml': 'raw_schema: landing\n',
    });
    // sluice.yml without targets: the profile's.
    let project = await loadProjectConfig(path.join(dir.path, 'project'), {});
    expect(project.config).toMatchObject({ name: 'shop', target: 'dev', raw_schema: 'landing' });
    await files({
      'project/sluice.yml': 'targets:\n  local: { type: duckdb, path: wh.duckdb }\n',
    });
    project = await loadProjectConfig(path.join(dir.path, 'project'), {});
    expect(project.config.targets).toEqual({ local: { type: 'duckdb', path: 'wh.duckdb', schema: 'analytics' } });
    expect(project.config.target).toBe('local');
    expect(project.profile).toBeUndefined();
    await files({ 'project/sluice.yml': 'name: store\ntables:\n  orders: { strategy: full }\n' });
    expect(await problems({})).toEqual([
      'project/sluice.yml:1: "store" here but "shop" in dbt_project.yml:1: remove name from sluice.yml (the dbt project\'s name is used) or make them equal',
      'project/sluice.yml:2: tables: lists tables to ingest, but there is no source: add source: { url: postgres://… }',
    ]);
  });

  it('keeps Sluice’s files in .sluice/ where an earlier Sluice made it, and always when there is a sluice.yml', async () => {
    await files({
      'project/dbt_project.yml': DBT_PROJECT,
      'project/profiles.yml': DUCKDB_PROFILE,
      'project/.sluice/state/runs.json': '[]',
    });
    const earlier = await loadProjectConfig(path.join(dir.path, 'project'), {});
    expect(earlier.config.state).toEqual({ type: 'file', dir: path.join('.sluice', 'state') });
    expect(sluiceFilesDir(earlier)).toBe(path.join(dir.path, 'project', '.sluice'));
    await files({ 'other/dbt_project.yml': DBT_PROJECT, 'other/profiles.yml': DUCKDB_PROFILE, 'other/sluice.yml': '' });
    await writeFile(path.join(dir.path, 'other', 'sluice.yml'), 'state: { type: file, dir: .sluice/state }\n');
    const withSluice = await loadProjectConfig(path.join(dir.path, 'other'), {});
    expect(withSluice.config.state).toEqual({ type: 'file', dir: '.sluice/state' });
    expect(sluiceFilesDir(withSluice)).toBe(path.join(dir.path, 'other', '.sluice'));
  });

  it('a folder with neither sluice.yml nor dbt_project.yml is not a project', async () => {
    await files({ 'project/models/a.sql': 'select 1' });
    expect(await problems({})).toEqual([
      `project/sluice.yml: no sluice.yml or dbt_project.yml in ${path.join(dir.path, 'project')}: pass --project DIR (a dbt project folder, or one made by sluice init), or run sluice init`,
    ]);
  });
});
