import os from 'node:os';
import { StateError, type LockHolder, type RunRecord, type StateStore } from '@sluice/watermark';
import { RUN_LOCK } from './ingest.js';
import { endRunRecord, readRunRecord, type RunHolder } from './run-record.js';

/** How often a running run re-saves its record (its heartbeat). */
export const RUN_HEARTBEAT_MS = 10_000;
/**
 * A running run whose last heartbeat is older than this is presumed gone (three heartbeats missed) — if nobody
 * holding the run lock can be it. With a look every `RUN_HEARTBEAT_MS`, a dead run is recorded `abandoned`
 * within about 40 s of its last heartbeat.
 */
export const RUN_STALE_AFTER_MS = 30_000;

/** A run recorded `abandoned`, and why. */
export interface AbandonedRun {
  readonly id: string;
  /** The process that ran it, when its record says. */
  readonly holder: RunHolder | undefined;
  /** Its last sign of life (the last heartbeat, else its start): recorded as its end. */
  readonly lastSeen: Date;
  readonly reason: string;
}

export interface CloseAbandonedRunsOptions {
  readonly state: StateStore;
  /** Who looks (the lock holder label while it probes the run lock; named in the record). */
  readonly holder: string;
  readonly now?: Date;
  readonly staleAfterMs?: number;
  /** The caller holds the run lock already (a run that just started): nobody else can hold it. */
  readonly lockHeld?: boolean;
  /** A run not to look at (the caller's own). */
  readonly except?: string;
  /** Whether a process of this host is alive (default: `process.kill(pid, 0)`). */
  readonly isProcessAlive?: (pid: number) => boolean;
}

/**
 * Record `abandoned` every run still recorded `running` whose process is gone. A run is gone when nobody who
 * could be it holds the run lock (the lock is free, held by this caller, or held by another process) AND either
 * its process is dead (same host, no such pid) or its heartbeat is older than `staleAfterMs`. The record is
 * replaced only while it is still `running` (`saveRun(…, { ifStatus: 'running' })`), with what it had recorded
 * kept, its last heartbeat as its end, and the error `ABANDONED`. Called by every daemon every few seconds, by
 * `sluice status`, and by each run once it holds the lock.
 *
 * Clocks: a heartbeat is compared with this host's clock, so hosts sharing a state store should keep their clocks
 * in step (NTP); a skew of a few seconds only moves the moment a dead run is noticed.
 *
 * @example const closed = await closeAbandonedRuns({ state, holder: 'sluice status' });
 */
export async function closeAbandonedRuns(options: CloseAbandonedRunsOptions): Promise<AbandonedRun[]> {
  const now = options.now ?? new Date();
  const staleAfterMs = options.staleAfterMs ?? RUN_STALE_AFTER_MS;
  const alive = options.isProcessAlive ?? isProcessAlive;
  const host = os.hostname();
  const running = await options.state.listRuns({ status: 'running', limit: 200 });
  const candidates: Array<{ run: RunRecord; holder: RunHolder | undefined; lastSeen: Date; why: string }> = [];
  for (const run of running) {
    if (run.id === options.except) continue;
    const { detail } = readRunRecord(run);
    const lastSeen = detail.heartbeatAt ? new Date(detail.heartbeatAt) : run.startedAt;
    const silentMs = now.getTime() - lastSeen.getTime();
    const holder = detail.holder;
    if (holder && holder.host === host && holder.pid !== process.pid && !alive(holder.pid)) {
      candidates.push({ run, holder, lastSeen, why: `its process (pid ${holder.pid} on ${host}) has ended` });
    } else if (silentMs > staleAfterMs) {
      candidates.push({
        run,
        holder,
        lastSeen,
        why: `no heartbeat for ${Math.round(silentMs / 1000)} s (one is due every ${RUN_HEARTBEAT_MS / 1000} s)`,
      });
    }
  }
  if (candidates.length === 0) return [];

  // Who holds the run lock now decides which of them may still be alive.
  let lockHolder: LockHolder | undefined;
  let probe: { release(): Promise<void> } | undefined;
  if (!options.lockHeld) {
    try {
      probe = await options.state.acquireLock(RUN_LOCK, { holder: options.holder });
    } catch (error) {
      if (!(error instanceof StateError && error.code === 'LOCK_HELD')) throw error;
      // Held, by an unknown session: any of them might be it.
      if (!error.holder) return [];
      lockHolder = error.holder;
    }
  }
  const closed: AbandonedRun[] = [];
  try {
    for (const { run, holder, lastSeen, why } of candidates) {
      if (lockHolder) {
        // The lock is held by someone: only a run whose own process is known, and is not the holder, is gone.
        if (!holder || (holder.host === lockHolder.host && holder.pid === lockHolder.pid)) continue;
      }
      const lockState = lockHolder
        ? 'the run lock is held by another process'
        : options.lockHeld
          ? `the run lock is held by ${options.holder}`
          : 'nobody holds the run lock';
      const who = holder ? `${holder.name} (pid ${holder.pid} on ${holder.host})` : 'the process running it';
      const reason = `${who} is gone: ${why}, and ${lockState}. Recorded abandoned by ${options.holder}; what it had committed stays committed, and the next run carries on from the watermarks.`;
      const saved = await options.state.saveRun(
        endRunRecord(run, {
          status: 'abandoned',
          endedAt: lastSeen.getTime() < run.startedAt.getTime() ? run.startedAt : lastSeen,
          error: { code: 'ABANDONED', message: reason },
        }),
        { ifStatus: 'running' },
      );
      if (saved) closed.push({ id: run.id, holder, lastSeen, reason });
    }
  } finally {
    await probe?.release();
  }
  return closed;
}

/** True while a process with this pid exists on this host (`kill(pid, 0)`: EPERM means it exists, as another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who this process is, as a run record keeps it. */
export function currentRunHolder(name: string): RunHolder {
  return { name, host: os.hostname(), pid: process.pid };
}
