import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';

/** The programs some tests need that neither Node nor pnpm installs; each comes from a Debian package. */
export type OutsideToolName = 'chromium' | 'shellcheck' | 'docker-compose' | 'psql' | 'promtool';

/** Why a test was skipped: a tool missing here. Kept in the test's meta, where the summary reporter reads it. */
export interface MissingTool {
  readonly tool: OutsideToolName;
  /** The Debian package that provides it. */
  readonly debianPackage: string;
}

declare module 'vitest' {
  interface TaskMeta {
    /** Set by `requireTool` on a test it skipped. */
    missingTool?: MissingTool;
  }
}

interface OutsideTool {
  readonly debianPackage: string;
  /** The command that runs it (program and leading arguments), or undefined when it is not installed. */
  find(): readonly string[] | undefined;
}

const TOOLS: Readonly<Record<OutsideToolName, OutsideTool>> = {
  chromium: {
    debianPackage: 'chromium',
    find: () => {
      const found = onPath('chromium') ?? (executable('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
      return found === undefined ? undefined : [found];
    },
  },
  shellcheck: {
    debianPackage: 'shellcheck',
    find: () => {
      const found = onPath('shellcheck');
      return found === undefined ? undefined : [found];
    },
  },
  promtool: {
    debianPackage: 'prometheus',
    find: () => {
      const found = onPath('promtool');
      return found === undefined ? undefined : [found];
    },
  },
  psql: {
    debianPackage: 'postgresql-client',
    find: () => {
      const found = onPath('psql');
      return found === undefined ? undefined : [found];
    },
  },
  // The Compose v2 plugin, or Debian's docker-compose: both validate a compose file without a Docker engine.
  'docker-compose': {
    debianPackage: 'docker-compose',
    find: () => {
      if (answers('docker', ['compose', 'version'])) return ['docker', 'compose'];
      if (answers('docker-compose', ['version'])) return ['docker-compose'];
      return undefined;
    },
  },
};

/** True when the environment says this is CI (`CI=true`, as `.ci/run` sets): a missing tool is then a failure. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/**
 * The command that runs an outside tool, for a test that needs it. Where the tool is missing the test is skipped
 * (the run's closing summary names it and the `apt-get install` that enables it) — except under CI, where a
 * missing tool fails the test. Never skip a test any other way.
 *
 * @example
 * it('is shellcheck-clean', (ctx) => {
 *   const [shellcheck] = requireTool(ctx, 'shellcheck');
 *   …
 * });
 */
export function requireTool(context: TestContext, tool: OutsideToolName): readonly [string, ...string[]] {
  const { debianPackage, find } = TOOLS[tool];
  const command = find();
  if (command !== undefined && command.length > 0) return command as readonly [string, ...string[]];
  const install = `apt-get install ${debianPackage}`;
  if (isCi()) {
    throw new Error(
      `${tool} is not installed, and under CI a missing tool fails the test instead of skipping it: run \`${install}\` (.ci/run does).`,
    );
  }
  context.task.meta.missingTool = { tool, debianPackage };
  return context.skip(`${tool} is not installed (${install})`);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function answers(command: string, args: readonly string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}
