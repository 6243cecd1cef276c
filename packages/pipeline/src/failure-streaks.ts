import type { RunRecord } from '@sluice/watermark';
import type { RunDetail, RunError } from './run-record.js';

/** One failing run of a streak. */
export interface StreakRun {
  readonly runId: string;
  /** When the run started. */
  readonly at: Date;
  /** The table's error in that run. */
  readonly error: RunError | undefined;
}

/** A table that failed in several runs in a row, up to the newest run that loaded it. */
export interface FailureStreak {
  /** The table, as `sluice.yml` names it. */
  readonly table: string;
  /** Runs in a row in which it failed (at least `minRuns`). */
  readonly runs: number;
  /** The first failing run of the streak: since when the table has not loaded. */
  readonly first: StreakRun;
  /** The newest failing run. */
  readonly latest: StreakRun;
}

/** A run as `failureStreaks` reads it: a stored run with its detail parsed (`readRunRecord`). */
export type StreakInput = Pick<RunRecord, 'id' | 'status' | 'startedAt'> & {
  readonly detail: Pick<RunDetail, 'tables'>;
};

/**
 * The tables that failed in `minRuns` (default 2) or more runs in a row, from the run history (`readRunRecord` of
 * `state.listRuns()`, in any order): per table, its outcomes from the newest run back — runs still going, runs that
 * did not load the table (models only, other tables) and runs where it was cancelled or skipped say nothing and are
 * passed over; a failure adds to the streak, anything else ends it. Tables with the longest streaks first. Pure.
 *
 * @example failureStreaks((await state.listRuns({ limit: 100 })).map(readRunRecord))
 */
export function failureStreaks(
  runs: readonly StreakInput[],
  options: { readonly minRuns?: number } = {},
): FailureStreak[] {
  const minRuns = options.minRuns ?? 2;
  const newestFirst = [...runs]
    .filter((run) => run.status !== 'running')
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  const streaks = new Map<string, { failed: StreakRun[]; ended: boolean }>();
  for (const run of newestFirst) {
    for (const outcome of run.detail.tables) {
      if (outcome.status === 'cancelled' || outcome.status === 'skipped') continue;
      const streak = streaks.get(outcome.table) ?? { failed: [], ended: false };
      streaks.set(outcome.table, streak);
      if (streak.ended) continue;
      if (outcome.status === 'failed') streak.failed.push({ runId: run.id, at: run.startedAt, error: outcome.error });
      else streak.ended = true;
    }
  }
  const found: FailureStreak[] = [];
  for (const [table, { failed }] of streaks) {
    const latest = failed[0];
    const first = failed[failed.length - 1];
    if (failed.length >= minRuns && latest && first) found.push({ table, runs: failed.length, first, latest });
  }
  return found.sort((a, b) => b.runs - a.runs || a.table.localeCompare(b.table));
}
