import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI (build it first: turbo run build --filter=@sluice/cli...). */
export const SLUICE_BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface SluiceRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment the CLI runs in: no colour, not CI, and without the developer's PGPASSWORD unless given. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base.PGPASSWORD;
  delete base.CI;
  return { ...base, ...env };
}

/** Run `sluice …` to completion and collect what it printed. */
export function sluice(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<SluiceRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SLUICE_BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(options.env ?? {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start `sluice …` and leave it running (for `docs serve`). */
export function startSluice(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): ChildProcess {
  return spawn(process.execPath, [SLUICE_BIN, ...args], {
    cwd: options.cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(options.env ?? {}),
  });
}
