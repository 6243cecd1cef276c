import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseProjectConfig } from '@sluice/pipeline';
import { requireTool } from '@sluice/testing';
import { DEPLOY, REPO } from './deploy-tools.js';

const run = promisify(execFile);
type Service = Record<string, unknown> & { environment?: Record<string, string> };
type ComposeFile = { services: Record<string, Service>; networks?: Record<string, unknown>; volumes?: object };

const read = async (name: string) => parse(await readFile(path.join(DEPLOY, name), 'utf8')) as ComposeFile;
const envExample = async () =>
  Object.fromEntries(
    (await readFile(path.join(DEPLOY, '.env.example'), 'utf8'))
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string>;

/** `2g`, `512m`, `1GB` → bytes (binary units for Compose's, as Docker reads them). */
function bytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?)?$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: ${text}`);
  const unit = (match[2] ?? '').toLowerCase()[0];
  return Number(match[1]) * (unit === 'g' ? 1024 ** 3 : unit === 'm' ? 1024 ** 2 : unit === 'k' ? 1024 : 1);
}

describe('deploy/docker-compose*.yml, as files', () => {
  let base: ComposeFile;
  let stateDb: ComposeFile;
  let secrets: ComposeFile;
  beforeAll(async () => {
    [base, stateDb, secrets] = await Promise.all([
      read('docker-compose.yml'),
      read('docker-compose.state-db.yml'),
      read('docker-compose.secrets.yml'),
    ]);
  });

  it('takes every setting from .env: no environment block overrides it, and .env.example defines every variable', async () => {
    const scheduler = base.services.scheduler!;
    expect(scheduler.env_file).toBe('.env');
    expect(scheduler.environment).toBeUndefined();
    expect(stateDb.services.scheduler!.environment).toBeUndefined();
    const example = await envExample();
    for (const name of ['docker-compose.yml', 'docker-compose.state-db.yml', 'docker-compose.secrets.yml']) {
      const text = await readFile(path.join(DEPLOY, name), 'utf8');
      for (const [, variable] of text.matchAll(/\$\{([A-Z_]+)/g)) {
        expect(Object.keys(example), `${name} reads \${${variable}}`).toContain(variable);
      }
    }
    // The secrets overlay names files, never values.
    expect(
      Object.values(secrets.services.scheduler!.environment ?? {}).every((v) => v.startsWith('/run/secrets/')),
    ).toBe(true);
    expect(example.COMPOSE_FILE).toBe('docker-compose.yml:docker-compose.state-db.yml');
  });

  it('limits memory (with DuckDB below it), drops every capability, and runs read-only with the tmpfs it needs', async () => {
    const scheduler = base.services.scheduler!;
    const example = await envExample();
    expect(scheduler.mem_limit).toBe('${SLUICE_MEMORY_LIMIT:-2g}');
    expect(scheduler.memswap_limit).toBe('${SLUICE_MEMORY_LIMIT:-2g}');
    expect(bytes(example.SLUICE_DUCKDB_MEMORY_LIMIT!)).toBeLessThanOrEqual(0.6 * bytes(example.SLUICE_MEMORY_LIMIT!));
    expect(scheduler.cap_drop).toEqual(['ALL']);
    expect(scheduler.cap_add).toBeUndefined();
    expect(scheduler.security_opt).toEqual(['no-new-privileges:true']);
    expect(scheduler.read_only).toBe(true);
    expect((scheduler.tmpfs as string[]).map((t) => t.split(':')[0])).toEqual(['/tmp', '/project/target']);
    expect(scheduler.volumes).toEqual(['sluice-data:/var/lib/sluice']);
    expect(scheduler.ports).toEqual(['127.0.0.1:${SLUICE_HTTP_PORT:-8080}:${SLUICE_SCHEDULER_PORT:-8080}']);
    expect(scheduler.restart).toBe('unless-stopped');
    const db = stateDb.services['state-db']!;
    expect(db.cap_drop).toEqual(['ALL']);
    expect(db.read_only).toBe(true);
    expect(db.mem_limit).toBe('${STATE_DB_MEMORY_LIMIT:-512m}');
    expect(stateDb.networks).toEqual({ internal: { internal: true } });
    // The example project gives DuckDB the limit from the environment; empty leaves DuckDB's default.
    const sluiceYml = await readFile(path.join(REPO, 'sql-models', 'sluice.yml'), 'utf8');
    const file = path.join(REPO, 'sql-models', 'sluice.yml');
    const config = parseProjectConfig(sluiceYml, file, {
      SLUICE_SOURCE_URL: 'postgres://u@h/db',
      SLUICE_DUCKDB_MEMORY_LIMIT: '1GB',
    });
    expect(config.targets.dev).toMatchObject({ type: 'duckdb', memory_limit: '1GB' });
  });

  it('checks readiness with the image’s own probe, and gives a run its grace before Docker kills it', async () => {
    const scheduler = base.services.scheduler!;
    const healthcheck = scheduler.healthcheck as { test: string[] };
    expect(healthcheck.test).toEqual(['CMD', 'node', '/usr/local/lib/sluice/docker-healthcheck.mjs']);
    const probe = await readFile(path.join(DEPLOY, 'docker-healthcheck.mjs'), 'utf8');
    expect(probe).toContain('/readyz');
    const example = await envExample();
    const minutes = (text: string) => Number(/^(\d+)m$/.exec(text)?.[1]);
    expect(minutes(example.SLUICE_STOP_GRACE_PERIOD!)).toBeGreaterThan(minutes(example.SLUICE_SCHEDULER_GRACE!));
    expect(stateDb.services.scheduler!.depends_on).toEqual({ 'state-db': { condition: 'service_healthy' } });
  });
});

// Compose v2 (`docker compose`) or Debian's docker-compose resolve the files without a Docker engine; each test asks
// for it with requireTool (skipped where it is missing, a failure under CI).
describe('deploy/ resolved by Compose with only .env edited', () => {
  let sandbox: string | undefined;
  afterEach(async () => {
    if (sandbox) await rm(sandbox, { recursive: true, force: true });
    sandbox = undefined;
  });

  /** `compose config` in a copy of deploy/ whose .env is the example with `edits` applied. */
  const resolve = async (compose: readonly [string, ...string[]], edits: Record<string, string>) => {
    sandbox = await mkdtemp(path.join(os.tmpdir(), 'sluice-compose-'));
    const deploy = path.join(sandbox, 'deploy');
    await cp(DEPLOY, deploy, { recursive: true, filter: (src) => path.basename(src) !== '.env' });
    let env = (await readFile(path.join(DEPLOY, '.env.example'), 'utf8')).replaceAll('GENERATED', '0123abcd');
    for (const [key, value] of Object.entries(edits))
      env = env.replace(new RegExp(`^${key}=.*$`, 'm'), `${key}=${value}`);
    await writeFile(path.join(deploy, '.env'), env);
    const [command, ...args] = compose;
    // No -f: COMPOSE_FILE in .env picks the files, as for install-ec2.sh and backup.sh.
    const { stdout } = await run(command, [...args, 'config'], {
      cwd: deploy,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    return { resolved: parse(stdout) as ComposeFile, deploy };
  };
  const limitOf = (service: Service) => bytes(String(service.mem_limit));

  it('bundles the state Postgres by default', async (ctx) => {
    const compose = requireTool(ctx, 'docker-compose');
    const { resolved } = await resolve(compose, {});
    expect(Object.keys(resolved.services).sort()).toEqual(['scheduler', 'state-db']);
    const scheduler = resolved.services.scheduler!;
    expect(scheduler.environment?.SLUICE_STATE_URL).toBe('postgres://sluice:0123abcd@state-db:5432/sluice');
    expect(resolved.services['state-db']!.environment?.POSTGRES_PASSWORD).toBe('0123abcd');
    expect(scheduler.environment?.SLUICE_SOURCE_URL).toContain('postgres://');
    expect(scheduler.depends_on).toMatchObject({ 'state-db': { condition: 'service_healthy' } });
    expect(limitOf(scheduler)).toBe(2 * 1024 ** 3);
    expect(scheduler.read_only).toBe(true);
    expect(scheduler.cap_drop).toEqual(['ALL']);
  });

  it('uses an external state store, memory limit and port set in .env alone', async (ctx) => {
    const compose = requireTool(ctx, 'docker-compose');
    const { resolved } = await resolve(compose, {
      COMPOSE_FILE: 'docker-compose.yml',
      SLUICE_STATE_URL: 'postgres://sluice:pw@state.example.internal:5432/sluice?sslmode=require',
      SLUICE_MEMORY_LIMIT: '4g',
      SLUICE_HTTP_PORT: '9090',
    });
    expect(Object.keys(resolved.services)).toEqual(['scheduler']);
    const scheduler = resolved.services.scheduler!;
    expect(scheduler.depends_on).toBeUndefined();
    expect(scheduler.environment?.SLUICE_STATE_URL).toBe(
      'postgres://sluice:pw@state.example.internal:5432/sluice?sslmode=require',
    );
    expect(limitOf(scheduler)).toBe(4 * 1024 ** 3);
    expect(JSON.stringify(scheduler.ports)).toContain('9090');
  });

  it('reads the secrets from files with the secrets overlay', async (ctx) => {
    const compose = requireTool(ctx, 'docker-compose');
    const { resolved } = await resolve(compose, {
      COMPOSE_FILE: 'docker-compose.yml:docker-compose.state-db.yml:docker-compose.secrets.yml',
    });
    const scheduler = resolved.services.scheduler!;
    expect(scheduler.environment).toMatchObject({
      SLUICE_SOURCE_URL_FILE: '/run/secrets/source_url',
      SLUICE_STATE_URL_FILE: '/run/secrets/state_url',
      SLUICE_SCHEDULER_TOKEN_FILE: '/run/secrets/scheduler_token',
    });
    const names = (scheduler.secrets as Array<string | { source: string }>).map((s) =>
      typeof s === 'string' ? s : s.source,
    );
    expect(names.sort()).toEqual(['scheduler_token', 'source_url', 'state_url']);
  });

  it('refuses to start the bundled state-db without its password', async (ctx) => {
    const compose = requireTool(ctx, 'docker-compose');
    await expect(resolve(compose, { STATE_DB_PASSWORD: '' })).rejects.toThrow(/set STATE_DB_PASSWORD in deploy\/.env/);
  });
});
