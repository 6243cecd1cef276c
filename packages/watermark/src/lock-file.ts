import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileExclusive, errorCode, fileFailure, fsyncDirectory } from './durable-file.js';
import { describeHolder, StateError, type LockHolder } from './state-error.js';
import type { LockOptions, StateEvent, StateLock } from './state-store.js';

/** What a lock file holds. */
interface LockRecord {
  readonly format: 1;
  readonly lock: string;
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly holder?: string;
}

/** A lock file as found on disk. */
interface FoundLock {
  /** Undefined when the file cannot be parsed (not written by Sluice). */
  readonly record: LockRecord | undefined;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** How the file store takes its locks. */
export interface LockFileSettings {
  readonly name: string;
  readonly file: string;
  readonly options: LockOptions;
  /** A lock whose file was not touched for this long is stale whatever its host (the holder refreshes it). */
  readonly staleAfterMs: number | undefined;
  readonly onEvent: ((event: StateEvent) => void) | undefined;
  /** Aborted when the store closes: a waiting acquire gives up. */
  readonly closing: AbortSignal;
}

const POLL_MS = 200;
/** A takeover guard left by a process that died in the middle of a takeover is ignored after this long. */
const GUARD_STALE_MS = 30_000;

/**
 * Take a lock file: created exclusively with `{pid, host, since, holder, token}`. A lock left by a dead process
 * on this host (or, with `staleAfterMs`, one not refreshed for that long) is taken over, and an event says so.
 */
export async function acquireLockFile(settings: LockFileSettings): Promise<StateLock & { stop(): void }> {
  const { name, file, options } = settings;
  const deadline = options.wait === true ? Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY) : Date.now();
  const since = new Date();
  const record: LockRecord = {
    format: 1,
    lock: name,
    token: randomBytes(16).toString('hex'),
    pid: process.pid,
    host: os.hostname(),
    since: since.toISOString(),
    ...(options.holder === undefined ? {} : { holder: options.holder }),
  };
  const stop = options.signal === undefined ? settings.closing : AbortSignal.any([options.signal, settings.closing]);
  let waiting = false;
  for (;;) {
    if (stop.aborted) throw stopped(settings);
    if (await createFileExclusive(file, `${JSON.stringify(record)}\n`)) break;
    const found = await readLock(file);
    if (found === undefined) continue; // released between our attempt and our look: try again
    const staleReason = staleness(found, settings.staleAfterMs);
    if (staleReason !== undefined) {
      if (!(await takeOver(settings, found, staleReason))) await pause(20, stop);
      continue;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw lockHeld(settings, found);
    if (!waiting) {
      waiting = true;
      options.onWaiting?.();
    }
    await pause(Math.min(POLL_MS, remaining), stop);
  }

  const holder = toHolder(record);
  let released = false;
  let heartbeat: NodeJS.Timeout | undefined;
  if (settings.staleAfterMs !== undefined) {
    // Keep the file fresh so other hosts never think a live lock is stale.
    const every = Math.max(50, Math.floor(settings.staleAfterMs / 4));
    heartbeat = setInterval(() => {
      const now = new Date();
      utimes(file, now, now).catch(() => undefined);
    }, every);
    heartbeat.unref();
  }
  const stopHeartbeat = () => {
    if (heartbeat !== undefined) clearInterval(heartbeat);
    heartbeat = undefined;
  };
  return {
    name,
    holder,
    stop: stopHeartbeat,
    async release() {
      if (released) return;
      released = true;
      stopHeartbeat();
      const found = await readLock(file);
      if (found?.record?.token === record.token) {
        try {
          await unlink(file);
        } catch (error) {
          if (errorCode(error) !== 'ENOENT') throw fileFailure(error, `remove the lock file ${file}`, file);
        }
        await fsyncDirectory(path.dirname(file));
        return;
      }
      settings.onEvent?.({
        type: 'lock-lost',
        lock: name,
        reason:
          found === undefined
            ? `the lock file ${file} was removed by someone else while this process held it`
            : `the lock file ${file} now belongs to ${found.record === undefined ? 'an unreadable record' : describeHolder(toHolder(found.record))}; it was taken over while this process held it`,
      });
    },
  };
}

/** The error for a wait that was stopped: by the caller's signal, or because the store closed. */
function stopped(settings: LockFileSettings): StateError {
  if (settings.options.signal?.aborted === true) {
    return new StateError(
      'CANCELLED',
      `Stopped waiting for the state lock ${JSON.stringify(settings.name)}: the wait was cancelled.`,
      { lock: settings.name, file: settings.file },
    );
  }
  return new StateError(
    'STATE_UNAVAILABLE',
    `Stopped waiting for the state lock ${JSON.stringify(settings.name)}: the state store was closed.`,
    { lock: settings.name, file: settings.file },
  );
}

/** Wait `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Why a found lock is stale, or undefined when it is live. */
function staleness(found: FoundLock, staleAfterMs: number | undefined): string | undefined {
  const { record } = found;
  if (record !== undefined && record.host === os.hostname() && !processAlive(record.pid)) {
    return `process ${record.pid} on this host (${record.host}) no longer exists`;
  }
  if (staleAfterMs !== undefined) {
    const age = Date.now() - found.mtimeMs;
    if (age > staleAfterMs)
      return `the lock file was not refreshed for ${Math.round(age)} ms (stale after ${staleAfterMs} ms)`;
  }
  return undefined;
}

/**
 * Remove a stale lock file, under a guard file so that two processes taking over at once never remove each
 * other's fresh lock. False when someone else is taking it over right now.
 */
async function takeOver(settings: LockFileSettings, stale: FoundLock, reason: string): Promise<boolean> {
  const guard = `${settings.file}.takeover`;
  const guardRecord = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() });
  if (!(await createFileExclusive(guard, guardRecord))) {
    const info = await stat(guard).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > GUARD_STALE_MS) await rm(guard, { force: true });
    return false;
  }
  try {
    const again = await readLock(settings.file);
    // Remove it only if it is still the very file we judged stale (same inode, same token).
    if (again !== undefined && again.ino === stale.ino && again.record?.token === stale.record?.token) {
      await unlink(settings.file).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT')
          throw fileFailure(error, `remove the stale lock file ${settings.file}`, settings.file);
      });
      const previous = stale.record === undefined ? unknownHolder(stale) : toHolder(stale.record);
      settings.onEvent?.({
        type: 'lock-taken-over',
        lock: settings.name,
        previous,
        reason: `${reason}; its lock file ${settings.file} was removed`,
      });
    }
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

async function readLock(file: string): Promise<FoundLock | undefined> {
  let text: string;
  let info;
  try {
    info = await stat(file);
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw fileFailure(error, `read the lock file ${file}`, file);
  }
  return { record: parseLockRecord(text), mtimeMs: info.mtimeMs, ino: info.ino };
}

function parseLockRecord(text: string): LockRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockRecord> | null;
    if (
      value !== null &&
      typeof value === 'object' &&
      typeof value.token === 'string' &&
      Number.isInteger(value.pid) &&
      typeof value.host === 'string' &&
      typeof value.since === 'string' &&
      !Number.isNaN(Date.parse(value.since))
    ) {
      return value as LockRecord;
    }
  } catch {
    // not JSON: reported as an unreadable lock
  }
  return undefined;
}

function lockHeld(settings: LockFileSettings, found: FoundLock): StateError {
  const waited = settings.options.wait === true ? ` after waiting ${settings.options.timeoutMs} ms` : '';
  if (found.record === undefined) {
    return new StateError(
      'LOCK_HELD',
      `State lock ${JSON.stringify(settings.name)} is still held${waited}: its lock file ${settings.file} exists but is unreadable. ` +
        'If no Sluice process is using this state, delete that file and try again.',
      { lock: settings.name, file: settings.file, holder: unknownHolder(found) },
    );
  }
  const holder = toHolder(found.record);
  return new StateError(
    'LOCK_HELD',
    `State lock ${JSON.stringify(settings.name)} is held by ${describeHolder(holder)}${waited}: another Sluice process is using this state. ` +
      `Try again when it has finished; if that process no longer exists on ${holder.host}, delete ${settings.file}.`,
    { lock: settings.name, file: settings.file, holder },
  );
}

function toHolder(record: LockRecord): LockHolder {
  return {
    pid: record.pid,
    host: record.host,
    since: new Date(record.since),
    ...(record.holder === undefined ? {} : { holder: record.holder }),
  };
}

function unknownHolder(found: FoundLock): LockHolder {
  return { pid: 0, host: 'unknown', since: new Date(found.mtimeMs), holder: 'unreadable lock file' };
}

/** Whether a process with this id exists on this host (EPERM: it exists but is not ours). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}
