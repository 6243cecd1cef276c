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
