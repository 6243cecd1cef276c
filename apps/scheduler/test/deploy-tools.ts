import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root and its deploy/ folder. */
export const REPO = path.resolve(here, '..', '..', '..');
export const DEPLOY = path.join(REPO, 'deploy');

/** True when `command args…` runs and exits 0. */
export function commandWorks(command: string, args: readonly string[] = ['--version']): boolean {
  return spawnSync(command, [...args], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether a test that needs an outside tool may be skipped: it may where the tool is missing, with one line saying
 * how to install it, but not in CI (CI=true) for a tool CI installs (`.ci/run`), where a missing tool must fail
 * the run instead of passing it.
 */
export function skipWithout(
  available: boolean,
  tool: string,
  install: string,
  options: { readonly ciInstallsIt?: boolean } = {},
): boolean {
  if (available) return false;
  if (process.env.CI === 'true' && options.ciInstallsIt !== false) {
    throw new Error(`${tool} is missing on this CI machine: ${install}`);
  }
  process.stderr.write(`[skip] ${tool} is not installed: ${install}\n`);
  return true;
}
