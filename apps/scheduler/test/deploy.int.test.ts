import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pollUntil, requireTool } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { writeNovaDriveProject } from './daemon-fixture.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '..', '..', '..');
const DEPLOY = path.join(REPO, 'deploy');
const DOCKERFILE = path.join(REPO, 'apps', 'scheduler', 'Dockerfile');
/** The Dockerfile's build stage cuts the production install with this command (after the workspace install). */
const DEPLOY_COMMAND = 'pnpm --filter @sluice/scheduler --config.inject-workspace-packages=true deploy --prod /out';

describe('deploy/install-ec2.sh', () => {
  it('is valid bash with set -euo pipefail', async () => {
    const script = await readFile(path.join(DEPLOY, 'install-ec2.sh'), 'utf8');
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toMatch(/^set -euo pipefail$/m);
    await run('bash', ['-n', path.join(DEPLOY, 'install-ec2.sh')]);
  });

  it('is shellcheck-clean, optional checks included', (ctx) => {
    const [shellcheck] = requireTool(ctx, 'shellcheck');
    const result = spawnSync(shellcheck, ['-o', 'all', path.join(DEPLOY, 'install-ec2.sh')], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('is idempotent: writes deploy/.env once with generated secrets, waits for the source URL, then starts the stack', async () => {
    // A sandbox: a copy of deploy/ and stand-ins for the commands that need root or a Docker engine.
    const sandbox = await mkdtemp(path.join(os.tmpdir(), 'sluice-install-'));
    try {
      const deploy = path.join(sandbox, 'deploy');
      await cp(DEPLOY, deploy, { recursive: true, filter: (src) => path.basename(src) !== '.env' });
      const bin = path.join(sandbox, 'bin');
      await mkdir(bin);
      const calls = path.join(sandbox, 'calls.log');
      const stub = async (name: string, body: string) => {
        await writeFile(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "${calls}"\n${body}\n`);
        await chmod(path.join(bin, name), 0o755);
      };
      await stub('id', 'echo 0');
      await stub('systemctl', 'exit 0');
      await stub('sleep', 'exit 0');
      await stub(
        'docker',
        'case "$1 $2" in "compose ps") echo abc123 ;; "inspect --format") echo healthy ;; esac; exit 0',
      );
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
      const script = path.join(deploy, 'install-ec2.sh');

      const first = await run('bash', [script], { env });
      expect(first.stderr).toContain('writing');
      expect(first.stderr).toContain('set SLUICE_SOURCE_URL');
      const envFile = path.join(deploy, '.env');
      expect((await stat(envFile)).mode & 0o777).toBe(0o600);
      const written = await readFile(envFile, 'utf8');
      expect(written).toMatch(/^STATE_DB_PASSWORD=[0-9a-f]{48}$/m);
      expect(written).toMatch(/^SLUICE_SCHEDULER_TOKEN=[0-9a-f]{64}$/m);
      expect(await readFile(calls, 'utf8')).not.toContain('compose up');

      // Again: the file and its secrets are kept.
      await run('bash', [script], { env });
      expect(await readFile(envFile, 'utf8')).toBe(written);

      // With the source set, the stack is built and started, and the script waits until it is healthy.
      await writeFile(
        envFile,
        written.replace(/^SLUICE_SOURCE_URL=.*$/m, 'SLUICE_SOURCE_URL=postgres://reader:pw@db:5432/app'),
      );
      const started = await run('bash', [script], { env });
      expect(started.stderr).toContain('the scheduler is healthy');
      const log = await readFile(calls, 'utf8');
      // Run from deploy/ (the stand-in cannot see the folder; install-ec2.int.test.ts checks it), so Compose reads
      // .env and the files its COMPOSE_FILE names.
      expect(log).toContain('docker compose --project-name sluice up -d --build --remove-orphans');
      expect(log).toContain('systemctl enable --now docker');
    } finally {
      await rm(sandbox, { recursive: true, force: true });
    }
  });
});

describe('deploy/docker-compose.yml', () => {
  it('runs the scheduler and a Postgres for state, with volumes, restart policies, healthchecks and an env file', async () => {
    const compose = parse(await readFile(path.join(DEPLOY, 'docker-compose.yml'), 'utf8'));
    // The bundled state store is an overlay that .env's COMPOSE_FILE selects by default.
    const overlay = parse(await readFile(path.join(DEPLOY, 'docker-compose.state-db.yml'), 'utf8'));
    const { scheduler } = compose.services;
    const stateDb = overlay.services['state-db'];
    expect(scheduler.build).toEqual({
      context: '..',
      dockerfile: 'apps/scheduler/Dockerfile',
      args: { PROJECT_DIR: '${SLUICE_PROJECT_DIR:-sql-models}' },
    });
    expect(scheduler.restart).toBe('unless-stopped');
    expect(stateDb.restart).toBe('unless-stopped');
    expect(scheduler.env_file).toBe('.env');
    expect(overlay.services.scheduler.depends_on['state-db'].condition).toBe('service_healthy');
    expect(scheduler.volumes).toEqual(['sluice-data:/var/lib/sluice']);
    expect(stateDb.volumes).toEqual(['state-db:/var/lib/postgresql/data']);
    expect(Object.keys({ ...compose.volumes, ...overlay.volumes }).sort()).toEqual(['sluice-data', 'state-db']);
    expect(scheduler.ports).toEqual(['127.0.0.1:${SLUICE_HTTP_PORT:-8080}:${SLUICE_SCHEDULER_PORT:-8080}']);
    // Readiness (/readyz) through the probe the image carries (compose.int.test.ts checks the rest).
    expect(scheduler.healthcheck.test.join(' ')).toContain('docker-healthcheck.mjs');
    expect(stateDb.healthcheck.test.join(' ')).toContain('pg_isready');
    // No secret written in the file itself.
    expect(JSON.stringify([compose, overlay])).not.toMatch(/PASSWORD: [^$]/);
    // Nothing overrides .env: the state store URL comes from it, like every other setting.
    expect(scheduler.environment).toBeUndefined();
    expect(stateDb.environment.POSTGRES_PASSWORD).toContain('${STATE_DB_PASSWORD:?');
  });

  // The Compose v2 plugin or Debian's docker-compose validate the file without a Docker engine.
  it('passes `docker compose config`', async (ctx) => {
    const [command, ...args] = requireTool(ctx, 'docker-compose');
    const sandbox = await mkdtemp(path.join(os.tmpdir(), 'sluice-compose-'));
    try {
      await cp(DEPLOY, path.join(sandbox, 'deploy'), { recursive: true });
      const example = await readFile(path.join(DEPLOY, '.env.example'), 'utf8');
      await writeFile(path.join(sandbox, 'deploy', '.env'), example.replaceAll('GENERATED', '0123abcd'));
      const { stdout } = await run(command, [...args, '--project-name', 'sluice', 'config'], {
        cwd: path.join(sandbox, 'deploy'),
      });
      const resolved = parse(stdout);
      expect(resolved.services.scheduler.environment.SLUICE_STATE_URL).toBe(
        'postgres://sluice:0123abcd@state-db:5432/sluice',
      );
      expect(resolved.services.scheduler.environment.SLUICE_SOURCE_URL).toContain('postgres://');
    } finally {
      await rm(sandbox, { recursive: true, force: true });
    }
  });
});

describe('apps/scheduler/Dockerfile', () => {
  let dockerfile: string;
  beforeAll(async () => {
    dockerfile = await readFile(DOCKERFILE, 'utf8');
  });

  it('is multi-stage, runs as a non-root user, and has a healthcheck', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toContain(DEPLOY_COMMAND);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "/app/dist/bin.js"]');
  });

  describe('its entry command, from a clean production install (what the build stage makes)', () => {
    let app: string;
    let project: string;
    let healthcheck: string[];
    beforeAll(async () => {
      const sandbox = await mkdtemp(path.join(os.tmpdir(), 'sluice-image-'));
      app = path.join(sandbox, 'app');
      project = path.join(sandbox, 'project');
      // The Dockerfile's build stage command (the workspace is built before the tests run), offline: the
      // production install comes from the lockfile and the packages the workspace install put in pnpm's store,
      // never from a metadata cache or the network.
      const [pnpm, ...args] = DEPLOY_COMMAND.replace(/ \/out$/, ' --offline').split(' ');
      await run(pnpm!, [...args, app], { cwd: REPO, env: { ...process.env, CI: 'true' } });
      await writeNovaDriveProject(project, {
        state: 'type: file\ndir: ${env:SLUICE_HOME}/state',
        schedule: 'cron: "0 6 * * *"',
      });
      const line = /^\s+CMD (\[.*\])$/m.exec(dockerfile.slice(dockerfile.indexOf('HEALTHCHECK')));
      healthcheck = JSON.parse(line![1]!) as string[];
    }, 120_000);
    afterAll(async () => {
      if (app) await rm(path.dirname(app), { recursive: true, force: true });
    });

    const clean = () => ({
      PATH: process.env.PATH,
      SLUICE_SOURCE_URL: 'postgres://reader:pw@127.0.0.1:1/none',
      SLUICE_HOME: path.join(path.dirname(app), 'home'),
    });

    it('has only production dependencies, and answers --version and --check', async () => {
      const manifest = JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8'));
      expect(manifest.name).toBe('@sluice/scheduler');
      await expect(stat(path.join(app, 'node_modules', 'playwright-core'))).rejects.toThrow();
      const version = await run(process.execPath, [path.join(app, 'dist', 'bin.js'), '--version'], {
        cwd: os.tmpdir(),
        env: clean(),
      });
      expect(version.stdout).toBe(`sluice-scheduler ${manifest.version}\n`);
      const check = await run(process.execPath, [path.join(app, 'dist', 'bin.js'), '--check', '--project', project], {
        cwd: os.tmpdir(),
        env: clean(),
      });
      expect(check.stdout).toContain('sluice.yml OK: project novadrive, target dev (duckdb), state file');
      expect(check.stdout).toContain('schedule "0 6 * * *" in UTC');
    });

    it('starts the daemon, passes the image HEALTHCHECK command, and stops on SIGTERM', async () => {
      const child = spawn(process.execPath, [path.join(app, 'dist', 'bin.js')], {
        cwd: os.tmpdir(),
        env: { ...clean(), SLUICE_PROJECT: project, SLUICE_SCHEDULER_PORT: '0', SLUICE_LOG_FORMAT: 'json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      let exitCode: number | null | undefined;
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => {
          exitCode = code;
          resolve(code);
        }),
      );
      try {
        await pollUntil(() => output.includes('"scheduler started"') || exitCode !== undefined, {
          what: 'the daemon to log "scheduler started"',
          describe: () => output.slice(-2000),
        });
        expect(output).toContain('"scheduler started"');
        const port = /"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(output)?.[1];
        expect(port).toBeDefined();
        const [command, ...args] = healthcheck;
        expect(command).toBe('node');
        const probe = spawnSync(
          process.execPath,
          args.map((arg) => arg.replace('/usr/local/lib/sluice/', `${DEPLOY}/`)),
          {
            env: { PATH: process.env.PATH, SLUICE_SCHEDULER_PORT: String(port) },
            encoding: 'utf8',
            timeout: 10_000,
          },
        );
        expect(probe.status, probe.stderr).toBe(0);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(output).toContain('"scheduler stopped"');
    });
  });
});
