// The scheduler image's HEALTHCHECK (copied to /usr/local/lib/sluice/docker-healthcheck.mjs).
//
// Healthy means ready: GET /readyz answers 200 (the schedule loop runs and the state store answers). Docker only
// marks a container unhealthy; plain `docker compose` never restarts it. So when the daemon has stayed not ready
// for SLUICE_UNREADY_RESTART_AFTER (default 10m; 0 = never), this probe sends SIGTERM to the container's first
// process (docker-init forwards it to the daemon): the daemon stops as it does on `docker stop` (the run in
// progress gets its grace period and is recorded), the container exits, and `restart: unless-stopped` starts a
// fresh one. The time of the first failed probe is kept in SLUICE_HEALTHCHECK_STATE (default
// /tmp/sluice-unready-since, a tmpfs in the compose file); where it cannot be written, the probe only reports.
//
// Environment: SLUICE_SCHEDULER_PORT (8080), SLUICE_UNREADY_RESTART_AFTER, SLUICE_HEALTHCHECK_STATE, and
// SLUICE_HEALTHCHECK_PID (1): the process to stop, for a daemon run outside a container.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const env = process.env;
const port = env.SLUICE_SCHEDULER_PORT || '8080';
const stateFile = env.SLUICE_HEALTHCHECK_STATE || '/tmp/sluice-unready-since';
const pid = Number(env.SLUICE_HEALTHCHECK_PID || '1');
// After a SIGTERM the daemon may take its whole grace period (compose: 5m) to stop; a second SIGTERM cancels the
// run at once, so it is sent only after this long.
const RESIGNAL_AFTER_MS = 6 * 60_000;

/** `600`, `90s`, `10m`, `1h` → milliseconds; undefined when unreadable. */
function duration(text) {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'];
}

async function readiness() {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(4_000) });
    return { ready: response.ok, why: `${response.status} ${(await response.text()).trim()}` };
  } catch (error) {
    return { ready: false, why: `no answer (${error instanceof Error ? (error.cause?.code ?? error.name) : error})` };
  }
}

function readState() {
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    return typeof state.since === 'number' ? state : undefined;
  } catch {
    return undefined;
  }
}

function writeState(state) {
  try {
    writeFileSync(stateFile, JSON.stringify(state));
    return true;
  } catch {
    return false;
  }
}

const limit = duration(env.SLUICE_UNREADY_RESTART_AFTER ?? '10m');
const { ready, why } = await readiness();
if (ready) {
  rmSync(stateFile, { force: true });
  console.log(`ready (${why})`);
  process.exit(0);
}

const now = Date.now();
const state = readState() ?? { since: now };
const recorded = writeState(state);
const unreadySeconds = Math.round((now - state.since) / 1000);
console.log(`not ready for ${unreadySeconds} s: ${why}`);
if (limit === undefined) {
  console.log(
    `SLUICE_UNREADY_RESTART_AFTER="${env.SLUICE_UNREADY_RESTART_AFTER}" is not a duration (e.g. 10m): not restarting`,
  );
} else if (!recorded) {
  console.log(`cannot write ${stateFile}: not counting how long the daemon is not ready, not restarting`);
} else if (limit > 0 && now - state.since >= limit && now - (state.signalledAt ?? 0) >= RESIGNAL_AFTER_MS) {
  console.log(
    `not ready for longer than ${env.SLUICE_UNREADY_RESTART_AFTER ?? '10m'}: SIGTERM to pid ${pid} so the restart policy starts it again`,
  );
  writeState({ ...state, signalledAt: now });
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    console.log(`could not signal pid ${pid}: ${error instanceof Error ? error.message : error}`);
  }
}
process.exit(1);
