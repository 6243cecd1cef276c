import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTempDir } from '@sluice/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProjectConfig } from './project-config.js';
import { ConfigError, formatConfigProblem } from './project-config.js';

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
    // Ingestion is not configured: no tables, no source; state in the project folder.
    expect(project.config.tables).toEqual({});
    expect(project.config.source.url).toBe('');
    expect(project.config.state).toEqual({ type: 'file', dir: '.sluice/state' });
    expect(project.file).toBe(path.join(dir.path, 'project', 'dbt_project.yml'));
    expect(project.profile).toEqual({ file: path.join(dir.path, 'project', 'profiles.yml'), name: 'shop' });
    // What is read but not used is said, with its line.
    expect(project.warnings?.map(formatConfigProblem)).toEqual([
      'profiles.yml:9: shop.outputs.dev.extensions: "extensions" (dbt-duckdb) is not supported yet; it is ignored',
      'profiles.yml:8: shop.outputs.dev.settings: the DuckDB setting "preserve_insertion_order" is not applied (Sluice sets memory_limit and threads)',
      "profiles.yml:11: shop.outputs.ci.path: path is :memory: (dbt-duckdb's default): the warehouse lives only as long as one command, so nothing a command builds is there for the next",
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
      access_url: 'http://127.0.0.1:8085',
    });
    expect(project.config.targets.keys).toMatchObject({
      private_key_path: 'keys/rsa_key.p8',
      private_key_passphrase: '',
    });
    expect(project.warnings?.map(formatConfigProblem)).toEqual([
      'profiles.yml:14: shop.outputs.prod.client_session_keep_alive: "client_session_keep_alive" (dbt-snowflake) is not supported yet; it is ignored',
    ]);
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
      authenticator: externalbrowser
      database: D
      warehouse: W
`,
    });
    expect(await problems({})).toEqual([
      'project/profiles.yml: no profile "shopp" (the profile dbt_project.yml names) (did you mean shop?); this file has shop',
    ]);
    await files({ 'project/dbt_project.yml': DBT_PROJECT });
    expect(await problems({})).toEqual([
      "project/profiles.yml:10: env_var('SF_USER'): the environment variable SF_USER is not set and there is no default",
      'project/profiles.yml:5: type "postgres": Sluice builds on duckdb or snowflake (the dbt-duckdb and dbt-snowflake profile formats)',
      'project/profiles.yml:11: authenticator externalbrowser is not supported yet: use a password or a key pair (private_key_path)',
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
      'project/sluice.yml:3: tables: lists tables to ingest, but there is no source: add source: { url: postgres://… }',
    ]);
  });

  it('a folder with neither sluice.yml nor dbt_project.yml is not a project', async () => {
    await files({ 'project/models/a.sql': 'select 1' });
    expect(await problems({})).toEqual([
      `project/sluice.yml: no sluice.yml or dbt_project.yml in ${path.join(dir.path, 'project')}: pass --project DIR (a dbt project folder, or one made by sluice init), or run sluice init`,
    ]);
  });
});
