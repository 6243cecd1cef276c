import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireTool } from '@sluice/testing';
import { DEPLOY, REPO } from './deploy-tools.js';

const FIXTURES = path.join(REPO, 'apps', 'scheduler', 'test', 'fixtures', 'os-release');
const COMPOSE = 'https://github.com/docker/compose/releases/download/v2.29.7';
const BUILDX = 'https://github.com/docker/buildx/releases/download/v0.17.1';

/** What a stand-in release asset contains, so its checksum is known. */
const assetBody = (name: string) => `binary:${name}\n`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const urlOf = (call: string) => /https:\/\/\S+/.exec(call)?.[0];

/**
 * A fresh instance in a sandbox: deploy/ copied, and stand-ins on PATH for every command that needs root, a
 * package manager, the network or a Docker engine. Each records its arguments (and the folder it ran in) in
 * calls.log; markers in the sandbox say what has been "installed".
 */
interface Instance {
  readonly dir: string;
  readonly deploy: string;
  readonly root: string;
  run(env?: Record<string, string>): { status: number | null; stderr: string };
  calls(): Promise<string[]>;
}

async function createInstance(osRelease: string, options: { installed?: string[]; arch?: string } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-ec2-'));
  const deploy = path.join(dir, 'deploy');
  await cp(DEPLOY, deploy, { recursive: true, filter: (src) => path.basename(src) !== '.env' });
  const bin = path.join(dir, 'bin');
  const root = path.join(dir, 'root');
  await mkdir(bin);
  await mkdir(root);
  const calls = path.join(dir, 'calls.log');
  const stub = async (name: string, body: string) => {
    const file = path.join(bin, name);
    await writeFile(file, `#!/usr/bin/env bash\necho "${name} $* @$PWD" >> "${calls}"\n${body}\n`);
    await chmod(file, 0o755);
  };
  const plugin = `${root}/usr/local/lib/docker/cli-plugins/docker-compose`;
  await stub('id', 'echo 0');
  await stub('uname', `if [ "$1" = -m ]; then echo "${options.arch ?? 'x86_64'}"; else exec /bin/uname "$@"; fi`);
  await stub('systemctl', 'exit 0');
  await stub('sleep', 'exit 0');
  await stub(
    'docker',
    `case "$1 $2" in
  "compose version") [ -f "${dir}/docker-installed" ] && { [ -f "${dir}/compose-plugin" ] || [ -x "${plugin}" ]; } ;;
  "buildx version") exit 1 ;;
  *) case "$*" in *"ps -q scheduler"*) echo abc123 ;; "inspect --format"*) echo healthy ;; esac ;;
esac`,
  );
  await stub('dnf', `case "$*" in *" docker"*) touch "${dir}/docker-installed" ;; esac`);
  await stub(
    'apt-get',
    `case "$*" in *docker-compose-plugin*) touch "${dir}/docker-installed" "${dir}/compose-plugin" ;; esac`,
  );
  const installed = ` ${(options.installed ?? []).join(' ')} `;
  await stub('rpm', `case "${installed}" in *" $2 "*) exit 0 ;; *) exit 1 ;; esac`);
  await stub(
    'dpkg-query',
    `pkg="\${*: -1}"; case "${installed}" in *" $pkg "*) printf 'install ok installed' ;; *) exit 1 ;; esac`,
  );
  await stub('dpkg', `echo ${options.arch === 'aarch64' ? 'arm64' : 'amd64'}`);
  // curl -fsSL --retry 3 -o FILE URL: a release asset, the release's checksums.txt (as CHECKSUMS says), a key.
  await stub(
    'curl',
    `out=""; url=""; while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift ;; http*) url="$1" ;; esac; shift; done
name="\${url##*/}"
case "$name" in
  checksums.txt)
    case "\${CHECKSUMS:-good}" in
      good) for asset in docker-compose-linux-x86_64 docker-compose-linux-aarch64 buildx-v0.17.1.linux-amd64 buildx-v0.17.1.linux-arm64; do
              sum=$(printf 'binary:%s\\n' "$asset" | sha256sum | cut -d' ' -f1)
              case "$url" in *compose*) echo "$sum *$asset" ;; *) echo "$sum  $asset" ;; esac
            done > "$out" ;;
      wrong) for asset in docker-compose-linux-x86_64 buildx-v0.17.1.linux-amd64; do echo "${'0'.repeat(64)} *$asset"; done > "$out" ;;
      other) echo "${'1'.repeat(64)} *docker-compose-windows-x86_64.exe" > "$out" ;;
    esac ;;
  gpg) echo "stand-in key" > "$out" ;;
  *) printf 'binary:%s\\n' "$name" > "$out" ;;
esac`,
  );
  const instance: Instance = {
    dir,
    deploy,
    root,
    run: (env = {}) => {
      const result = spawnSync('bash', [path.join(deploy, 'install-ec2.sh')], {
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          SLUICE_OS_RELEASE: path.join(FIXTURES, osRelease),
          SLUICE_INSTALL_ROOT: root,
          ...env,
        },
        encoding: 'utf8',
      });
      return { status: result.status, stderr: result.stderr };
    },
    calls: async () =>
      (await readFile(calls, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(/ @.*$/, '')),
  };
  return instance;
}

describe('deploy/install-ec2.sh on a fresh instance (os-release fixtures, stand-ins for the system)', () => {
  let instance: Instance | undefined;
  afterEach(async () => {
    if (instance) await rm(instance.dir, { recursive: true, force: true });
    instance = undefined;
  });

  it('Amazon Linux 2023: dnf installs docker, git and openssl; the plugins are checked against checksums.txt', async () => {
    instance = await createInstance('amzn-2023');
    const first = instance.run();
    expect(first.stderr).toContain('installing Docker on amzn 2023');
    expect(first.status, first.stderr).toBe(0);
    const calls = await instance.calls();
    expect(calls).toContain('dnf install -y docker git openssl');
    expect(calls.some((c) => c.startsWith('apt-get') || c.startsWith('dpkg'))).toBe(false);
    expect(calls.filter((c) => c.startsWith('curl')).map(urlOf)).toEqual([
      `${COMPOSE}/docker-compose-linux-x86_64`,
      `${COMPOSE}/checksums.txt`,
      `${BUILDX}/buildx-v0.17.1.linux-amd64`,
      `${BUILDX}/checksums.txt`,
    ]);
    const plugins = path.join(instance.root, 'usr/local/lib/docker/cli-plugins');
    expect(await readFile(path.join(plugins, 'docker-compose'), 'utf8')).toBe(assetBody('docker-compose-linux-x86_64'));
    expect(await readFile(path.join(plugins, 'docker-buildx'), 'utf8')).toBe(assetBody('buildx-v0.17.1.linux-amd64'));
    expect((await stat(path.join(plugins, 'docker-compose'))).mode & 0o777).toBe(0o755);
    expect(calls).toContain('systemctl enable --now docker');
    expect(first.stderr).toContain('set SLUICE_SOURCE_URL');
    const env = await readFile(path.join(instance.deploy, '.env'), 'utf8');
    const password = /^STATE_DB_PASSWORD=([0-9a-f]{48})$/m.exec(env)?.[1];
    expect(password).toBeDefined();
    // One generated password, in both places the bundled state-db needs it.
    expect(env).toContain(`SLUICE_STATE_URL=postgres://sluice:${password}@state-db:5432/sluice`);
    expect(env).toMatch(/^SLUICE_SCHEDULER_TOKEN=[0-9a-f]{64}$/m);
    expect(env).not.toContain('GENERATED');

    // Again: Docker answers now, so nothing is installed or downloaded.
    const before = (await instance.calls()).length;
    const second = instance.run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toContain('Docker and the Compose plugin are installed');
    const again = (await instance.calls()).slice(before);
    expect(again.some((c) => c.startsWith('dnf') || c.startsWith('curl'))).toBe(false);
  });

  it('Amazon Linux 2023 on arm64 fetches the arm64 assets', async () => {
    instance = await createInstance('amzn-2023', { arch: 'aarch64' });
    const result = instance.run();
    expect(result.status, result.stderr).toBe(0);
    const urls = (await instance.calls()).filter((c) => c.startsWith('curl')).map(urlOf);
    expect(urls).toContain(`${COMPOSE}/docker-compose-linux-aarch64`);
    expect(urls).toContain(`${BUILDX}/buildx-v0.17.1.linux-arm64`);
  });

  it('refuses a plugin whose checksum does not match, or that checksums.txt does not list, and installs nothing', async () => {
    instance = await createInstance('amzn-2023');
    const wrong = instance.run({ CHECKSUMS: 'wrong' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(
      `checksum mismatch for ${COMPOSE}/docker-compose-linux-x86_64: expected ${'0'.repeat(64)}, got ${sha256(assetBody('docker-compose-linux-x86_64'))}`,
    );
    const plugin = path.join(instance.root, 'usr/local/lib/docker/cli-plugins/docker-compose');
    await expect(stat(plugin)).rejects.toThrow();
    const unlisted = instance.run({ CHECKSUMS: 'other' });
    expect(unlisted.status).toBe(1);
    expect(unlisted.stderr).toContain(`${COMPOSE}/checksums.txt lists no docker-compose-linux-x86_64`);
    await expect(stat(plugin)).rejects.toThrow();
  });

  it('refuses Amazon Linux 2, and podman-docker on Amazon Linux 2023, saying what to do', async () => {
    instance = await createInstance('amzn-2');
    const old = instance.run();
    expect(old.status).toBe(1);
    expect(old.stderr).toContain('Amazon Linux 2 is not supported: use Amazon Linux 2023');
    await rm(instance.dir, { recursive: true, force: true });

    instance = await createInstance('amzn-2023', { installed: ['podman-docker'] });
    const podman = instance.run();
    expect(podman.status).toBe(1);
    expect(podman.stderr).toContain('conflict with Amazon Linux');
    expect(podman.stderr).toContain('sudo dnf remove podman-docker');
    expect((await instance.calls()).some((c) => c.startsWith('dnf install'))).toBe(false);
  });

  it("Ubuntu 24.04: Docker's apt repository for noble, docker-ce and its plugins, nothing from GitHub", async () => {
    instance = await createInstance('ubuntu-24.04');
    const result = instance.run();
    expect(result.stderr).toContain('installing Docker on ubuntu 24.04');
    expect(result.status, result.stderr).toBe(0);
    const calls = await instance.calls();
    expect(calls.filter((c) => c.startsWith('apt-get'))).toEqual([
      'apt-get update -qq',
      'apt-get install -y -qq ca-certificates curl openssl git',
      'apt-get update -qq',
      'apt-get install -y -qq docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin',
    ]);
    expect(calls.some((c) => c.startsWith('dnf'))).toBe(false);
    expect(calls.filter((c) => c.startsWith('curl')).map(urlOf)).toEqual([
      'https://download.docker.com/linux/ubuntu/gpg',
    ]);
    expect(await readFile(path.join(instance.root, 'etc/apt/sources.list.d/docker.list'), 'utf8')).toBe(
      `deb [arch=amd64 signed-by=${instance.root}/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n`,
    );
  });

  it("Ubuntu 24.04 with the distribution's docker.io: refuses docker-ce and says both ways out", async () => {
    instance = await createInstance('ubuntu-24.04', { installed: ['docker.io', 'containerd', 'runc'] });
    const result = instance.run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("the distribution's Docker packages are installed (docker.io containerd runc)");
    expect(result.stderr).toContain('sudo apt-get remove docker.io containerd runc');
    expect(result.stderr).toContain('sudo apt-get install docker-compose-v2 docker-buildx');
    expect((await instance.calls()).some((c) => c.startsWith('apt-get'))).toBe(false);

    // With Ubuntu's Compose plugin added, `docker compose` answers and the script installs nothing.
    await writeFile(path.join(instance.dir, 'docker-installed'), '');
    await writeFile(path.join(instance.dir, 'compose-plugin'), '');
    const kept = instance.run();
    expect(kept.status, kept.stderr).toBe(0);
    expect(kept.stderr).toContain('Docker and the Compose plugin are installed');
    expect((await instance.calls()).some((c) => c.startsWith('apt-get'))).toBe(false);
  });

  it('starts the stack from deploy/ (so Compose reads .env and its COMPOSE_FILE) and waits for health', async () => {
    instance = await createInstance('ubuntu-24.04');
    expect(instance.run().status).toBe(0);
    const envFile = path.join(instance.deploy, '.env');
    const env = await readFile(envFile, 'utf8');
    await writeFile(envFile, env.replace(/^SLUICE_SOURCE_URL=.*$/m, 'SLUICE_SOURCE_URL=postgres://r:pw@db:5432/app'));
    const started = instance.run();
    expect(started.status, started.stderr).toBe(0);
    expect(started.stderr).toContain('the scheduler is healthy');
    const log = await readFile(path.join(instance.dir, 'calls.log'), 'utf8');
    expect(log).toContain(`docker compose --project-name sluice config --quiet @${instance.deploy}\n`);
    expect(log).toContain(`docker compose --project-name sluice up -d --build --remove-orphans @${instance.deploy}\n`);
    // Nothing it writes names a compose file: COMPOSE_FILE in .env decides.
    expect(log).not.toMatch(/docker compose .* -f /);
  });
});

describe('the deploy scripts', () => {
  const scripts = ['install-ec2.sh', 'prune-node-modules.sh', 'update-base-image.sh', 'backup.sh'];

  it('are bash with set -euo pipefail, and parse', async () => {
    for (const name of scripts) {
      const text = await readFile(path.join(DEPLOY, name), 'utf8');
      expect(text.startsWith('#!/usr/bin/env bash\n'), name).toBe(true);
      expect(text, name).toMatch(/^set -euo pipefail$/m);
      expect(spawnSync('bash', ['-n', path.join(DEPLOY, name)]).status, name).toBe(0);
    }
  });

  it('are shellcheck-clean, optional checks included', (ctx) => {
    const [shellcheck] = requireTool(ctx, 'shellcheck');
    const result = spawnSync(shellcheck, ['-o', 'all', ...scripts.map((s) => path.join(DEPLOY, s))], {
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('deploy/update-base-image.sh (stand-ins for curl and docker: no registry is reachable here)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-base-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  // A made-up digest for the stand-in registry's answer: test data only, never written to the real Dockerfile.
  const DIGEST = `sha256:${'ab'.repeat(32)}`;

  const setUp = async (registry: 'buildx' | 'none') => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    const dockerfile = path.join(dir, 'Dockerfile');
    await cp(path.join(REPO, 'apps', 'scheduler', 'Dockerfile'), dockerfile);
    const index = JSON.stringify([
      { version: 'v27.2.0', lts: false },
      { version: 'v26.15.1', lts: 'Lithium' },
      { version: 'v26.15.0', lts: 'Lithium' },
    ]);
    await writeFile(
      path.join(bin, 'curl'),
      `#!/usr/bin/env bash\necho "curl $*" >> "${dir}/calls.log"\ncase "$*" in *nodejs.org/dist/index.json*) echo '${index}' ;; *) exit 22 ;; esac\n`,
    );
    await writeFile(
      path.join(bin, 'docker'),
      registry === 'buildx'
        ? `#!/usr/bin/env bash\necho "docker $*" >> "${dir}/calls.log"\ncase "$*" in "buildx version") exit 0 ;; "buildx imagetools inspect node:26.15.1-trixie-slim "*) echo '{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"${DIGEST}"}' ;; *) exit 1 ;; esac\n`
        : '#!/usr/bin/env bash\nexit 1\n',
    );
    await chmod(path.join(bin, 'curl'), 0o755);
    await chmod(path.join(bin, 'docker'), 0o755);
    const run = (...args: string[]) =>
      spawnSync('bash', [path.join(DEPLOY, 'update-base-image.sh'), ...args], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, SLUICE_DOCKERFILE: dockerfile },
        encoding: 'utf8',
      });
    return { dockerfile, run };
  };

  it('pins the newest LTS release of the same variant, by tag and digest', async () => {
    const { dockerfile, run } = await setUp('buildx');
    const before = await readFile(dockerfile, 'utf8');
    const check = run('--check');
    expect(check.status, check.stderr).toBe(3);
    expect(await readFile(dockerfile, 'utf8')).toBe(before);
    const result = run();
    expect(result.status, result.stderr).toBe(0);
    const after = await readFile(dockerfile, 'utf8');
    expect(after).toContain(`\nARG NODE_IMAGE=node:26.15.1-trixie-slim@${DIGEST}\n`);
    // Only that line changed.
    expect(after.replace(/^ARG NODE_IMAGE=.*$/m, '')).toBe(before.replace(/^ARG NODE_IMAGE=.*$/m, ''));
    expect(run('--check').status).toBe(0);
  });

  it('changes nothing when no registry answers: a digest is never guessed', async () => {
    const { dockerfile, run } = await setUp('none');
    const before = await readFile(dockerfile, 'utf8');
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cannot resolve the digest of node:26.15.1-trixie-slim');
    expect(await readFile(dockerfile, 'utf8')).toBe(before);
  });
});
