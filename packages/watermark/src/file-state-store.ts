import { readdir, readFile, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  appendLineDurable,
  createFileExclusive,
  ensureDirectory,
  errorCode,
  fileFailure,
  writeFileAtomic,
} from './durable-file.js';
import { acquireLockFile } from './lock-file.js';
import { assertPosition, type JsonObject, type Position } from './position.js';
import { FileRunIndex } from './file-run-index.js';
import {
  assertCommitMeta,
  assertLimit,
  assertListRunsOptions,
  assertRunRecord,
  isAfterCursor,
  isValidDate,
} from './run-record.js';
import { StateError } from './state-error.js';
import { assertStateName, stateFileName } from './state-name.js';
import {
  RUN_STATUSES,
  type CommitMeta,
  type LockOptions,
  type ResetMeta,
  type RunRecord,
  type RunStatus,
  type StateLock,
  type StateStore,
  type StateStoreOptions,
  type Watermark,
  type WatermarkHistoryEntry,
} from './state-store.js';

/** Options of the file state store. */
export interface FileStateStoreOptions extends StateStoreOptions {
  /** The state directory (created on first write). */
  readonly dir: string;
  /**
   * A lock file not refreshed for this long is stale whatever host wrote it (holders refresh theirs every quarter
   * of it). Leave unset when only one host uses the directory: then only a dead process on this host frees a lock.
   */
  readonly staleLockAfterMs?: number;
}

/** The watermark file of one table. `position: null` after a reset. */
interface WatermarkFileRecord {
  readonly format: 1;
  readonly table: string;
  readonly version: number;
  readonly position: Position | null;
  readonly runId?: string;
  /** When the position was committed (or reset). */
  readonly committedAt: string;
}

/**
 * A state store in a directory: `watermarks/<table>.json` (replaced atomically: temp file, fsync, rename, fsync
 * of the directory), `history/<table>.jsonl`, `locks/<name>.lock`, `runs/<id>.json`, `slots/<schedule>/<ms>.claim`.
 *
 * @example
 * const store = createFileStateStore({ dir: '.sluice/state' });
 */
export function createFileStateStore(options: FileStateStoreOptions): StateStore {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new StateError('INVALID_CONFIG', 'createFileStateStore: dir must be a non-empty path');
  }
  if (
    options.staleLockAfterMs !== undefined &&
    !(Number.isFinite(options.staleLockAfterMs) && options.staleLockAfterMs > 0)
  ) {
    throw new StateError(
      'INVALID_CONFIG',
      'createFileStateStore: staleLockAfterMs must be a positive number of milliseconds',
    );
  }
  const root = path.resolve(options.dir);
  const dirs = {
    watermarks: path.join(root, 'watermarks'),
    history: path.join(root, 'history'),
    locks: path.join(root, 'locks'),
    runs: path.join(root, 'runs'),
    slots: path.join(root, 'slots'),
  };
  const made = new Set<string>();
  const ensure = async (dir: string) => {
    if (made.has(dir)) return;
    await ensureDirectory(dir);
    made.add(dir);
  };
  const watermarkFile = (table: string) => path.join(dirs.watermarks, `${stateFileName(table)}.json`);
  const historyFile = (table: string) => path.join(dirs.history, `${stateFileName(table)}.jsonl`);
  const runFile = (id: string) => path.join(dirs.runs, `${stateFileName(id)}.json`);

  // Commits and resets of one table are serialized within this process; across processes the run lock does it.
  const queues = new Map<string, Promise<unknown>>();
  const serialize = <T>(table: string, work: () => Promise<T>): Promise<T> => {
    const previous = queues.get(table) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    queues.set(table, tail);
    void tail.then(() => {
      if (queues.get(table) === tail) queues.delete(table);
    });
    return next;
  };

  const corrupt = (
    file: string,
    table: string | undefined,
    why: string,
    cause?: unknown,
    runRecord = false,
  ): StateError => {
    const remedy = runRecord
      ? 'It holds one run record: delete it to go on (only that run drops out of the run history).'
      : table === undefined
        ? 'Restore it from a backup, or delete it (a deleted watermark file means its table is loaded from scratch on the next run).'
        : `Restore it from the history in ${historyFile(table)}, or run \`sluice state reset --table ${table}\` to reload the table from scratch.`;
    return new StateError(
      'CORRUPT_STATE',
      `State file ${file} is corrupt (${why}). Sluice replaces it atomically, so something else changed it. ${remedy}`,
      { file, ...(table === undefined ? {} : { table }), cause },
    );
  };

  const parseWatermarkFile = (file: string, text: string, table?: string): WatermarkFileRecord => {
    let value: Partial<WatermarkFileRecord> | null;
    try {
      value = JSON.parse(text) as Partial<WatermarkFileRecord> | null;
    } catch (error) {
      throw corrupt(file, table, `not valid JSON: ${(error as Error).message}`, error);
    }
    const name = table ?? (typeof value?.table === 'string' ? value.table : undefined);
    if (value === null || typeof value !== 'object' || value.format !== 1)
      throw corrupt(file, name, 'not a Sluice watermark file (format 1)');
    if (typeof value.table !== 'string' || (table !== undefined && value.table !== table)) {
      throw corrupt(file, name, `it names table ${JSON.stringify(value.table)}, expected ${JSON.stringify(table)}`);
    }
    if (typeof value.version !== 'number' || !Number.isSafeInteger(value.version) || value.version < 1)
      throw corrupt(file, name, 'bad version');
    if (typeof value.committedAt !== 'string' || Number.isNaN(Date.parse(value.committedAt)))
      throw corrupt(file, name, 'bad committedAt');
    if (value.position !== null) {
      try {
        assertPosition(value.position, value.table);
      } catch (error) {
        throw corrupt(file, name, (error as Error).message, error);
      }
      if (typeof value.runId !== 'string') throw corrupt(file, name, 'a position without a runId');
    }
    return value as WatermarkFileRecord;
  };

  const readWatermarkFile = async (table: string): Promise<WatermarkFileRecord | undefined> => {
    const file = watermarkFile(table);
    const text = await readText(file);
    return text === undefined ? undefined : parseWatermarkFile(file, text, table);
  };

  const toWatermark = (record: WatermarkFileRecord): Watermark | undefined =>
    record.position === null
      ? undefined
      : {
          table: record.table,
          position: record.position,
          runId: record.runId ?? '',
          committedAt: new Date(record.committedAt),
          version: record.version,
        };

  const readHistory = async (table: string): Promise<WatermarkHistoryEntry[]> => {
    const file = historyFile(table);
    const text = await readText(file);
    if (text === undefined) return [];
    const entries: WatermarkHistoryEntry[] = [];
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const entry = parseHistoryLine(line, table);
      if (entry === undefined) {
        // A line cut short by a crash during an append; the watermark file itself is never torn.
        options.onEvent?.({
          type: 'history-line-skipped',
          file,
          line: index + 1,
          reason: 'not a complete history entry (a crash during an append?)',
        });
        return;
      }
      entries.push(entry);
    });
    return entries;
  };

  const lockFiles = new Set<StateLock & { stop(): void }>();
  const closing = new AbortController();
  const lockFile = (name: string) => path.join(dirs.locks, `${stateFileName(name)}.lock`);

  const parseRunFile = (file: string, text: string): RunRecord => {
    let value: Record<string, unknown> | null;
    try {
      value = JSON.parse(text) as Record<string, unknown> | null;
    } catch (error) {
      throw corrupt(file, undefined, `not valid JSON: ${(error as Error).message}`, error, true);
    }
    if (
      value === null ||
      typeof value !== 'object' ||
      value.format !== 1 ||
      typeof value.id !== 'string' ||
      typeof value.trigger !== 'string' ||
      !RUN_STATUSES.includes(value.status as RunStatus) ||
      typeof value.startedAt !== 'string' ||
      Number.isNaN(Date.parse(value.startedAt)) ||
      (value.endedAt !== undefined && (typeof value.endedAt !== 'string' || Number.isNaN(Date.parse(value.endedAt)))) ||
      typeof value.detail !== 'object' ||
      value.detail === null
    ) {
      throw corrupt(file, undefined, 'not a Sluice run record (format 1)', undefined, true);
    }
    return {
      id: value.id,
      trigger: value.trigger,
      status: value.status as RunStatus,
      startedAt: new Date(value.startedAt),
      ...(typeof value.endedAt === 'string' ? { endedAt: new Date(value.endedAt) } : {}),
      detail: value.detail as JsonObject,
    };
  };

  const runIndex = new FileRunIndex(dirs.runs, parseRunFile);
  const runFileName = (id: string) => `${stateFileName(id)}.json`;

  return {
    async read(table) {
      assertStateName('table', table);
      const record = await readWatermarkFile(table);
      return record === undefined ? undefined : toWatermark(record);
    },

    async readAll() {
      const watermarks: Watermark[] = [];
      for (const name of await listFiles(dirs.watermarks, '.json')) {
        const file = path.join(dirs.watermarks, name);
        const text = await readText(file);
        if (text === undefined) continue;
        // A plain file name is the table name itself (see stateFileName), which lets a corrupt file name its table.
        const base = name.slice(0, -'.json'.length);
        const watermark = toWatermark(parseWatermarkFile(file, text, stateFileName(base) === base ? base : undefined));
        if (watermark !== undefined) watermarks.push(watermark);
      }
      return watermarks.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
    },

    async commit(table, position, meta: CommitMeta) {
      assertStateName('table', table);
      assertPosition(position, table);
      assertCommitMeta(meta, table);
      // Copy now: the caller may change its object while we wait for the queue.
      const stored = JSON.parse(JSON.stringify(position)) as Position;
      return serialize(table, async () => {
        const current = await readWatermarkFile(table);
        const committedAt = new Date();
        const record: WatermarkFileRecord = {
          format: 1,
          table,
          version: (current?.version ?? 0) + 1,
          position: stored,
          runId: meta.runId,
          committedAt: committedAt.toISOString(),
        };
        await ensure(dirs.watermarks);
        await ensure(dirs.history);
        // The watermark first: it is the truth. A crash before the history line only loses that line.
        await writeFileAtomic(watermarkFile(table), `${JSON.stringify(record, null, 2)}\n`);
        await appendLineDurable(
          historyFile(table),
          JSON.stringify({
            kind: 'commit',
            table,
            version: record.version,
            position: stored,
            runId: meta.runId,
            ...(meta.rows === undefined ? {} : { rows: meta.rows }),
            ...(meta.note === undefined ? {} : { note: meta.note }),
            at: record.committedAt,
          }),
        );
        return { table, position: stored, runId: meta.runId, committedAt, version: record.version };
      });
    },

    async reset(table, meta: ResetMeta = {}) {
      assertStateName('table', table);
      return serialize(table, async () => {
        let current: WatermarkFileRecord | undefined;
        let unreadable = false;
        try {
          current = await readWatermarkFile(table);
        } catch (error) {
          // A corrupt file is exactly what a reset is for: clear it, continuing the version count from the history.
          if (!(error instanceof StateError && error.code === 'CORRUPT_STATE')) throw error;
          unreadable = true;
        }
        if (!unreadable && (current === undefined || current.position === null)) return false;
        const version =
          current !== undefined
            ? current.version + 1
            : Math.max(0, ...(await readHistory(table)).map((entry) => entry.version)) + 1;
        const at = new Date().toISOString();
        await ensure(dirs.watermarks);
        await ensure(dirs.history);
        await writeFileAtomic(
          watermarkFile(table),
          `${JSON.stringify({ format: 1, table, version, position: null, committedAt: at } satisfies WatermarkFileRecord, null, 2)}\n`,
        );
        await appendLineDurable(
          historyFile(table),
          JSON.stringify({
            kind: 'reset',
            table,
            version,
            ...(current?.position ? { previous: current.position } : {}),
            ...(meta.runId === undefined ? {} : { runId: meta.runId }),
            ...(meta.reason === undefined ? {} : { reason: meta.reason }),
            at,
          }),
        );
        return true;
      });
    },

    async history(table, historyOptions = {}) {
      assertStateName('table', table);
      const limit = assertLimit(historyOptions.limit);
      const entries = (await readHistory(table)).reverse();
      return limit === undefined ? entries : entries.slice(0, limit);
    },

    async acquireLock(name, lockOptions: LockOptions = {}) {
      assertStateName('lock', name);
      await ensure(dirs.locks);
      const lock = await acquireLockFile({
        name,
        file: lockFile(name),
        options: lockOptions,
        staleAfterMs: options.staleLockAfterMs,
        onEvent: options.onEvent,
        closing: closing.signal,
      });
      lockFiles.add(lock);
      return {
        name: lock.name,
        holder: lock.holder,
        release: async () => {
          lockFiles.delete(lock);
          await lock.release();
        },
      };
    },

    async saveRun(run, saveOptions = {}) {
      assertRunRecord(run);
      if (saveOptions.ifStatus !== undefined) {
        // Read, compare, replace: not atomic across processes (the Postgres store's is); see the README.
        const file = runFile(run.id);
        const text = await readText(file);
        const current = text === undefined ? undefined : parseRunFile(file, text);
        if (current?.id !== run.id || current.status !== saveOptions.ifStatus) return false;
      }
      await ensure(dirs.runs);
      const record = {
        format: 1,
        id: run.id,
        trigger: run.trigger,
        status: run.status,
        startedAt: run.startedAt.toISOString(),
        ...(run.endedAt === undefined ? {} : { endedAt: run.endedAt.toISOString() }),
        detail: run.detail,
      };
      await writeFileAtomic(runFile(run.id), `${JSON.stringify(record, null, 2)}\n`);
      runIndex.remember(runFileName(run.id), parseRunFile(runFile(run.id), JSON.stringify(record)));
      return true;
    },

    async getRun(id) {
      assertStateName('run', id);
      const file = runFile(id);
      const text = await readText(file);
      if (text === undefined) return undefined;
      const run = parseRunFile(file, text);
      return run.id === id ? run : undefined;
    },

    async listRuns(listOptions = {}) {
      const { limit, status, before } = assertListRunsOptions(listOptions);
      const runs: RunRecord[] = [];
      for (const run of await runIndex.runs()) {
        if (status !== undefined && run.status !== status) continue;
        if (before !== undefined && !isAfterCursor(run, before)) continue;
        runs.push(run);
        if (runs.length === limit) break;
      }
      return runs;
    },

    async pruneRuns(olderThan) {
      if (!isValidDate(olderThan))
        throw new StateError('INVALID_ARGUMENT', 'pruneRuns: olderThan must be a valid Date');
      let removed = 0;
      for (const run of [...(await runIndex.runs())]) {
        if (run.startedAt.getTime() < olderThan.getTime()) {
          await removeFile(runFile(run.id));
          runIndex.forget(runFileName(run.id));
          removed++;
        }
      }
      for (const schedule of await listFiles(dirs.slots, '')) {
        const dir = path.join(dirs.slots, schedule);
        for (const name of await listFiles(dir, '.claim')) {
          const ms = Number(name.slice(0, -'.claim'.length));
          if (Number.isFinite(ms) && ms < olderThan.getTime()) await removeFile(path.join(dir, name));
        }
      }
      return removed;
    },

    async claimSlot(schedule, slot, holder) {
      assertStateName('schedule', schedule);
      if (!isValidDate(slot))
        throw new StateError('INVALID_ARGUMENT', `claimSlot(${JSON.stringify(schedule)}): slot must be a valid Date`);
      const dir = path.join(dirs.slots, stateFileName(schedule));
      await ensure(dir);
      const content = JSON.stringify({
        schedule,
        slot: slot.toISOString(),
        holder: String(holder),
        pid: process.pid,
        host: os.hostname(),
        claimedAt: new Date().toISOString(),
      });
      return createFileExclusive(path.join(dir, `${slot.getTime()}.claim`), `${content}\n`);
    },

    async close() {
      closing.abort();
      const held = [...lockFiles];
      lockFiles.clear();
      for (const lock of held) lock.stop();
      await Promise.all(held.map((lock) => lock.release()));
    },
  };
}

function parseHistoryLine(line: string, table: string): WatermarkHistoryEntry | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || typeof value.version !== 'number' || typeof value.at !== 'string')
    return undefined;
  const at = new Date(value.at);
  if (Number.isNaN(at.getTime())) return undefined;
  if (
    value.kind === 'commit' &&
    typeof value.position === 'object' &&
    value.position !== null &&
    typeof value.runId === 'string'
  ) {
    return {
      kind: 'commit',
      table,
      version: value.version,
      position: value.position as Position,
      runId: value.runId,
      at,
      ...(typeof value.rows === 'number' ? { rows: value.rows } : {}),
      ...(typeof value.note === 'string' ? { note: value.note } : {}),
    };
  }
  if (value.kind === 'reset') {
    return {
      kind: 'reset',
      table,
      version: value.version,
      ...(typeof value.previous === 'object' && value.previous !== null
        ? { previous: value.previous as Position }
        : {}),
      ...(typeof value.runId === 'string' ? { runId: value.runId } : {}),
      ...(typeof value.reason === 'string' ? { reason: value.reason } : {}),
      at,
    };
  }
  return undefined;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw fileFailure(error, `read ${file}`, file);
  }
}

/** Names in a directory ending with `suffix`, temp and dot files left out; [] when it does not exist. */
async function listFiles(dir: string, suffix: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => !name.startsWith('.') && name.endsWith(suffix)).sort();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw fileFailure(error, `list ${dir}`, dir);
  }
}

async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw fileFailure(error, `remove ${file}`, file);
  }
}
