import { findJsonProblem } from './position.js';
import { StateError } from './state-error.js';
import { assertStateName } from './state-name.js';
import { RUN_STATUSES, type ListRunsOptions, type RunCursor, type RunRecord } from './state-store.js';

/** Check a run record before it is saved; throws `INVALID_ARGUMENT` naming the field. */
export function assertRunRecord(run: RunRecord): RunRecord {
  const fail = (message: string): never => {
    throw new StateError('INVALID_ARGUMENT', `Invalid run record ${JSON.stringify(String(run?.id))}: ${message}`);
  };
  if (typeof run !== 'object' || run === null) fail('expected an object');
  assertStateName('run', run.id);
  if (typeof run.trigger !== 'string') fail('trigger must be a string');
  if (!RUN_STATUSES.includes(run.status))
    fail(`status must be one of ${RUN_STATUSES.join(', ')}, got ${JSON.stringify(run.status)}`);
  if (!isValidDate(run.startedAt)) fail('startedAt must be a valid Date');
  if (run.endedAt !== undefined && !isValidDate(run.endedAt)) fail('endedAt must be a valid Date when given');
  if (typeof run.detail !== 'object' || run.detail === null || Array.isArray(run.detail))
    fail('detail must be a JSON object');
  const problem = findJsonProblem(run.detail, 'detail');
  if (problem !== undefined) fail(problem);
  return run;
}

/** Check commit meta: a run id, and when given a non-negative integer row count and a string note. */
export function assertCommitMeta(meta: { runId: unknown; rows?: unknown; note?: unknown }, table: string): void {
  if (typeof meta !== 'object' || meta === null) {
    throw new StateError('INVALID_ARGUMENT', `commit(${JSON.stringify(table)}): meta with a runId is required`, {
      table,
    });
  }
  assertStateName('run', meta.runId);
  if (
    meta.rows !== undefined &&
    !(typeof meta.rows === 'number' && Number.isSafeInteger(meta.rows) && meta.rows >= 0)
  ) {
    throw new StateError('INVALID_ARGUMENT', `commit(${JSON.stringify(table)}): rows must be a non-negative integer`, {
      table,
    });
  }
  if (meta.note !== undefined && typeof meta.note !== 'string') {
    throw new StateError('INVALID_ARGUMENT', `commit(${JSON.stringify(table)}): note must be a string`, { table });
  }
}

/** Check a `limit` option: a positive integer or undefined. */
export function assertLimit(limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new StateError('INVALID_ARGUMENT', `Invalid limit ${String(limit)}: expected a positive integer`);
  }
  return limit;
}

/** True for a Date that holds a time. */
export function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** Check `listRuns` options: a limit, a known status and a cursor with a valid date and an id. */
export function assertListRunsOptions(options: ListRunsOptions): ListRunsOptions {
  assertLimit(options.limit);
  if (options.status !== undefined && !RUN_STATUSES.includes(options.status)) {
    throw new StateError(
      'INVALID_ARGUMENT',
      `listRuns: status must be one of ${RUN_STATUSES.join(', ')}, got ${JSON.stringify(options.status)}`,
    );
  }
  if (
    options.before !== undefined &&
    !(isValidDate(options.before.startedAt) && typeof options.before.id === 'string')
  ) {
    throw new StateError('INVALID_ARGUMENT', 'listRuns: before must be a run (startedAt, a valid Date, and its id)');
  }
  return options;
}

/** True when `run` comes after `cursor` in the order of `listRuns` (newest start first, then larger id first). */
export function isAfterCursor(run: Pick<RunRecord, 'startedAt' | 'id'>, cursor: RunCursor): boolean {
  const a = run.startedAt.getTime();
  const b = cursor.startedAt.getTime();
  return a < b || (a === b && run.id < cursor.id);
}

/** The order of `listRuns`: newest start first, then larger id first. */
export function compareRunsNewestFirst(
  a: Pick<RunRecord, 'startedAt' | 'id'>,
  b: Pick<RunRecord, 'startedAt' | 'id'>,
): number {
  return b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
