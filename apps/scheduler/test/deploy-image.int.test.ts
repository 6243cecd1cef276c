import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pollUntil, testServerUrl, type TestDatabase } from '@sluice/testing';
import { writeNovaDriveProject } from './daemon-fixture.js';
import { DEPLOY, REPO } from './deploy-tools.js';

const run = promisify(execFile);
const DOCKERFILE = path.join(REPO, 'apps', 'scheduler', 'Dockerfile');

/** Files under a folder (symlinks not followed): apparent bytes and paths. */
async function walk(dir: string): Promise<{ bytes: number; files: string[] }> {
  let bytes = 0;
  const files: string[] = [];
  const visit = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await visit(full);
      else if (entry.isFile()) {
        bytes += (await lstat(full)).size;
        files.push(full);
      }
    }
  };
  await visit(dir);
  return { bytes, files };
}

describe('apps/scheduler/Dockerfile, read instruction by instruction (no Docker engine here)', () => {
  let lines: string[];
  beforeAll(async () => {
    // Instructions with their continuation lines joined, comments dropped.
    lines = (await readFile(DOCKERFILE, 'utf8'))
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => line.replace(/\s+/g, ' ').trim());
  });

  it('takes its base from one build argument: Node 26 (the Active LTS line since 2026-10-28), pinned by version', () => {
    expect(lines[0]).toMatch(/^ARG NODE_IMAGE=node:26\.\d+\.\d+-trixie-slim(@sha256:[0-9a-f]{64})?$/);
    const froms = lines.filter((line) => line.startsWith('FROM '));
    expect(froms).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${NODE_IMAGE} AS project',
      'FROM ${NODE_IMAGE} AS runtime',
    ]);
    expect(lines.join('\n')).not.toMatch(/:latest\b|:lts\b/);
  });

  it('copies only files that exist in the build context and that Dockerfile.dockerignore lets through', async () => {
    const ignored = (await readFile(`${DOCKERFILE}.dockerignore`, 'utf8'))
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'));
    const copies = lines.filter((line) => line.startsWith('COPY ') && !line.includes('--from='));
    expect(copies.length).toBeGreaterThanOrEqual(6);
    for (const copy of copies) {
      const words = copy.split(/\s+/).filter((word) => !word.startsWith('--'));
      for (const source of words.slice(1, -1)) {
        const resolved = source.replace('${PROJECT_DIR}', 'sql-models');
        expect(existsSync(path.join(REPO, resolved)), `${copy}: ${resolved}`).toBe(true);
        for (const pattern of ignored) {
          const plain = pattern.replace(/^\*\*\//, '');
          expect(
            resolved.split('/').includes(plain) || resolved === plain,
            `${resolved} is ignored by ${pattern}`,
          ).toBe(false);
        }
      }
    }
  });

  it('prunes the production install, runs as node, and checks readiness with the script it copies', () => {
    const text = lines.join('\n');
    expect(text).toContain(
      'pnpm --filter @sluice/scheduler --config.inject-workspace-packages=true deploy --prod /out && deploy/prune-node-modules.sh /out',
    );
    const healthcheck = lines.find((line) => line.startsWith('HEALTHCHECK '));
    const probe = /CMD (\[.*\])$/.exec(healthcheck ?? '')?.[1];
    expect(JSON.parse(probe ?? '[]')).toEqual(['node', '/usr/local/lib/sluice/docker-healthcheck.mjs']);
    expect(text).toContain(
      'COPY --chown=root:root --chmod=0644 deploy/docker-healthcheck.mjs /usr/local/lib/sluice/docker-healthcheck.mjs',
    );
    const runtime = lines.slice(lines.indexOf('FROM ${NODE_IMAGE} AS runtime'));
    expect(runtime.indexOf('USER node')).toBeGreaterThan(0);
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.findIndex((line) => line.startsWith('ENTRYPOINT')));
    expect(text).toMatch(/TMPDIR=\/var\/lib\/sluice\/tmp/);
    expect(runtime.at(-1)).toBe('ENTRYPOINT ["node", "/app/dist/bin.js"]');
  });
});

describe('the production install the build stage makes, pruned as in the image', () => {
  let sandbox: string;
  let app: string;
  let before: { bytes: number; files: string[] };
  let after: { bytes: number; files: string[] };
  let stateDb: TestDatabase;

  beforeAll(async () => {
    sandbox = await mkdtemp(path.join(os.tmpdir(), 'sluice-image-'));
    app = path.join(sandbox, 'app');
    // The build stage's command (the workspace is built before the tests run), offline: injected workspace
    // packages install from the lockfile and the store the workspace install filled — no metadata cache, no network.
    await run(
      'pnpm',
      [
        '--filter',
        '@sluice/scheduler',
        '--config.inject-workspace-packages=true',
        'deploy',
        '--prod',
        '--offline',
        app,
      ],
      { cwd: REPO, env: { ...process.env, CI: 'true' } },
    );
    before = await walk(app);
    const pruned = await run(path.join(DEPLOY, 'prune-node-modules.sh'), [app]);
    process.stderr.write(pruned.stderr);
    after = await walk(app);
    process.stderr.write(
      `[measured] production install: ${(before.bytes / 1e6).toFixed(1)} MB in ${before.files.length} files before pruning, ${(after.bytes / 1e6).toFixed(1)} MB in ${after.files.length} files after (apparent sizes)\n`,
    );
    stateDb = await createTestDatabase('state');
  }, 240_000);
  afterAll(async () => {
    await stateDb?.drop();
    if (sandbox) await rm(sandbox, { recursive: true, force: true });
  });

  it('keeps no type declarations, sources, source maps or docs, and every licence', () => {
    const modules = (files: string[]) => files.filter((f) => f.includes(`${path.sep}node_modules${path.sep}`));
    expect(modules(after.files).filter((f) => /\.(d\.ts|ts|mts|cts|map)$/.test(f))).toEqual([]);
    expect(
      modules(after.files).filter((f) => /\.md$/i.test(f) && !/licen[cs]e|notice/i.test(path.basename(f))),
    ).toEqual([]);
    const licences = (files: string[]) => files.filter((f) => /^licen[cs]e/i.test(path.basename(f))).length;
    expect(licences(after.files)).toBe(licences(before.files));
    // The app's own dist/ is untouched.
    const dist = (files: string[]) => files.filter((f) => f.startsWith(path.join(app, 'dist'))).sort();
    expect(dist(after.files)).toEqual(dist(before.files));
    // A regression guard on the size (195 MB on disk before pruning; see the README for the measured figures).
    expect(after.bytes).toBeLessThan(before.bytes * 0.8);
    expect(after.bytes).toBeLessThan(140e6);
  });

  it("keeps only this platform's native addons, and they still load", async () => {
    const addons = after.files.filter((f) => f.endsWith('.node')).map((f) => path.basename(f));
    const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
    expect(addons.filter((name) => name.startsWith('sf_mini_core'))).toEqual([
      `sf_mini_core_0.0.1.linux-${arch}-gnu.node`,
    ]);
    expect(addons).toContain('duckdb.node');
    const minicore = after.files.find((f) => f.endsWith(path.join('minicore', 'minicore.js')));
    expect(minicore).toBeDefined();
    const loaded = await run(process.execPath, [
      '-e',
      `const m = require(${JSON.stringify(minicore)}); if (!m.minicoreStatus.version) { console.error(m.minicoreStatus); process.exit(1) } console.log(m.minicoreStatus.binaryName)`,
    ]);
    expect(loaded.stdout.trim()).toBe(`sf_mini_core_0.0.1.linux-${arch}-gnu.node`);
  });

  it('opens the example project through the pruned install with the DuckDB memory limit from the environment', async () => {
    const project = path.join(sandbox, 'sql-models');
    await cp(path.join(REPO, 'sql-models'), project, { recursive: true, filter: (src) => !src.includes('.sluice') });
    const script = `
      const { loadProjectConfig, openWarehouse, resolveTarget } = await import('@sluice/pipeline');
      const project = await loadProjectConfig(${JSON.stringify(project)});
      const warehouse = await openWarehouse(project, resolveTarget(project).config);
      const [row] = await warehouse.query("select current_setting('memory_limit') as m");
      await warehouse.close();
      console.log(row.m);`;
    const env = {
      PATH: process.env.PATH,
      SLUICE_SOURCE_URL: 'postgres://reader:pw@127.0.0.1:1/none',
      SLUICE_HOME: path.join(sandbox, 'home'),
      SLUICE_DUCKDB_MEMORY_LIMIT: '1GB',
    };
    await mkdir(env.SLUICE_HOME, { recursive: true });
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env });
    // DuckDB reads 1GB as 10^9 bytes and shows it in MiB.
    expect(stdout.trim()).toBe('953.6 MiB');
  });

  it('runs the daemon with its secrets from files, healthy while ready, and stops it when not ready too long', async () => {
    const secrets = path.join(sandbox, 'secrets');
    await mkdir(secrets, { recursive: true });
    const token = 'tok-from-a-secret-file-5f2a';
    const sourcePassword = 'source-pw-from-a-file-91c';
    const statePassword = new URL(stateDb.url).password;
    await writeFile(path.join(secrets, 'source_url'), `postgres://reader:${sourcePassword}@127.0.0.1:1/none\n`);
    await writeFile(path.join(secrets, 'state_url'), `${stateDb.url}\n`);
    await writeFile(path.join(secrets, 'token'), `${token}\n`);
    const project = path.join(sandbox, 'project');
    await writeNovaDriveProject(project, {
      state: 'type: file\ndir: ${env:SLUICE_HOME}/state',
      schedule: 'cron: "0 6 * * *"',
    });
    const home = path.join(sandbox, 'daemon-home');
    await mkdir(home, { recursive: true });
    const env = {
      PATH: process.env.PATH,
      SLUICE_HOME: home,
      SLUICE_PROJECT: project,
      SLUICE_SCHEDULER_PORT: '0',
      SLUICE_LOG_FORMAT: 'json',
      SLUICE_SOURCE_URL_FILE: path.join(secrets, 'source_url'),
      SLUICE_STATE_URL_FILE: path.join(secrets, 'state_url'),
      SLUICE_SCHEDULER_TOKEN_FILE: path.join(secrets, 'token'),
    };

    // A missing secret file is a configuration error naming the variable and the file (exit 2).
    const missing = spawnSync(process.execPath, [path.join(app, 'dist', 'bin.js'), '--check'], {
      env: { ...env, SLUICE_SOURCE_URL_FILE: path.join(secrets, 'nope') },
      encoding: 'utf8',
      cwd: os.tmpdir(),
    });
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toContain(
      `source.url: environment variable SLUICE_SOURCE_URL is not set and SLUICE_SOURCE_URL_FILE names ${path.join(secrets, 'nope')}, which cannot be read (ENOENT)`,
    );

    const child = spawn(process.execPath, [path.join(app, 'dist', 'bin.js')], {
      cwd: os.tmpdir(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const changed = new Set<() => void>();
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const wake of changed) wake();
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const until = (what: string, test: () => boolean, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (test()) {
            changed.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          changed.delete(check);
          reject(new Error(`no ${what} within ${timeoutMs} ms:\n${output.slice(-3000)}`));
        }, timeoutMs);
        changed.add(check);
        check();
      });
    const admin = new pg.Client({ connectionString: testServerUrl() });
    await admin.connect();
    const allowConnections = async (allow: boolean) => {
      await admin.query(`alter database ${admin.escapeIdentifier(stateDb.name)} allow_connections ${allow}`);
      if (!allow) {
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [stateDb.name]);
      }
    };
    try {
      await until('"scheduler started"', () => output.includes('"scheduler started"'));
      const port = /"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(output)?.[1];
      expect(port).toBeDefined();
      const base = `http://127.0.0.1:${port}`;
      // The token came from its file: it opens the write API.
      const paused = await fetch(`${base}/api/pause`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(paused.status).toBe(200);
      await fetch(`${base}/api/resume`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

      const stateFile = path.join(sandbox, 'unready-since');
      const probe = () =>
        spawnSync(process.execPath, [path.join(DEPLOY, 'docker-healthcheck.mjs')], {
          env: {
            PATH: process.env.PATH,
            SLUICE_SCHEDULER_PORT: String(port),
            SLUICE_HEALTHCHECK_STATE: stateFile,
            SLUICE_HEALTHCHECK_PID: String(child.pid),
            SLUICE_UNREADY_RESTART_AFTER: '10m',
          },
          encoding: 'utf8',
          timeout: 20_000,
        });
      // A keep-alive connection the server closes as the next request goes out fails that fetch: ask again.
      const readyz = async () => (await fetch(`${base}/readyz`).catch(() => fetch(`${base}/readyz`))).status;
      const readyzBecomes = async (status: number) => {
        await pollUntil(async () => (await readyz()) === status, { what: `/readyz to answer ${status}` });
        expect(await readyz()).toBe(status);
      };

      const healthy = probe();
      expect(healthy.status, healthy.stdout).toBe(0);
      expect(healthy.stdout).toContain('ready (200 ready)');

      // The state store goes away: not ready, reported, counted from now, and the daemon is left alone.
      await allowConnections(false);
      await readyzBecomes(503);
      const unready = probe();
      expect(unready.status).toBe(1);
      expect(unready.stdout).toMatch(/^not ready for 0 s: 503 state store unreachable$/m);
      expect(JSON.parse(await readFile(stateFile, 'utf8')).since).toBeGreaterThan(0);
      expect(child.exitCode).toBeNull();

      // It comes back: healthy again, and the count starts over.
      await allowConnections(true);
      await readyzBecomes(200);
      expect(probe().status).toBe(0);
      expect(existsSync(stateFile)).toBe(false);

      // Gone for longer than SLUICE_UNREADY_RESTART_AFTER (the first failure recorded 11 minutes ago): the probe
      // stops the daemon with SIGTERM, which it handles as a clean stop, for the restart policy to replace it.
      await allowConnections(false);
      await readyzBecomes(503);
      await writeFile(stateFile, JSON.stringify({ since: Date.now() - 11 * 60_000 }));
      const stopping = probe();
      expect(stopping.status).toBe(1);
      expect(stopping.stdout).toContain(`SIGTERM to pid ${child.pid} so the restart policy starts it again`);
      expect(await exited).toBe(0);
      expect(output).toContain('"scheduler stopped"');
      for (const secret of [token, sourcePassword, statePassword]) expect(output).not.toContain(secret);
    } finally {
      await allowConnections(true).catch(() => undefined);
      await admin.end();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
