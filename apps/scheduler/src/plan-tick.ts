import type { CronSchedule } from './cron-schedule.js';

/** What to do about slots missed while the daemon was down or busy: run once for all of them, or skip them. */
export type CatchUpPolicy = 'skip' | 'once';

/** A slot this late (after its time) is no longer "on time": the catch-up policy decides whether it runs. */
export const ON_TIME_TOLERANCE_MS = 60_000;

/** Due slots are counted one by one up to this many. */
const MAX_COUNTED_SLOTS = 1000;

/** What the scheduler does at one moment: the pure decision, given the clock and the last slot handled. */
export interface TickDecision {
  /** The slot to run now, and whether it is a late (catch-up) run. */
  readonly run: { readonly slot: Date; readonly late: boolean } | undefined;
  /** The latest due slot that will not run (catch-up `skip`), for the record. */
  readonly skipped: Date | undefined;
  /** Due slots that do not get a run of their own (folded into `run`, or skipped); a lower bound past 1000. */
  readonly missed: number;
  /** The last slot now handled: pass it as `anchor` next time. */
  readonly anchor: Date;
  /** The first slot after `now` (undefined when the expression has no more). */
  readonly next: Date | undefined;
}

export interface PlanTickInput {
  readonly schedule: CronSchedule;
  /** The last slot already handled (run, skipped or claimed elsewhere); slots after it and up to `now` are due. */
  readonly anchor: Date;
  readonly now: Date;
  readonly catchUp: CatchUpPolicy;
  readonly toleranceMs?: number;
}

/**
 * Decide what is due at `now`. The slots in (anchor, now] are due. The latest of them runs when it is on time (at
 * most `toleranceMs` late); a late one runs only under catch-up `once`. Earlier due slots never get runs of their
 * own: one run brings the data up to date, so a daemon that was down for a week runs once, not seven times.
 *
 * @example planTick({ schedule, anchor: lastSlot, now: clock.now(), catchUp: 'once' }).run?.slot
 */
export function planTick(input: PlanTickInput): TickDecision {
  const tolerance = input.toleranceMs ?? ON_TIME_TOLERANCE_MS;
  const { count, latest, next } = dueSlots(input.schedule, input.anchor, input.now);
  if (!latest) return { run: undefined, skipped: undefined, missed: 0, anchor: input.anchor, next };
  const late = input.now.getTime() - latest.getTime() > tolerance;
  if (!late || input.catchUp === 'once') {
    return { run: { slot: latest, late }, skipped: undefined, missed: count - 1, anchor: latest, next };
  }
  return { run: undefined, skipped: latest, missed: count, anchor: latest, next };
}

/**
 * How many slots fall in (after, until], the latest of them, and the first slot after `until`. The slots are
 * walked from `after`, one after the other, so the answer is the same whenever it is asked: the cron library,
 * asked from inside a DST change, can skip a shifted slot that the walk from the slot before finds. Counting stops
 * at `MAX_COUNTED_SLOTS` (then `count` is a lower bound), so a per-second schedule after a week down is decided at
 * once.
 */
export function dueSlots(
  schedule: CronSchedule,
  after: Date,
  until: Date,
): { count: number; latest: Date | undefined; next: Date | undefined } {
  let count = 0;
  let latest: Date | undefined;
  let slot = schedule.next(after);
  for (; slot && slot.getTime() <= until.getTime(); slot = schedule.next(slot)) {
    count++;
    latest = slot;
    if (count >= MAX_COUNTED_SLOTS)
      return { count, latest: schedule.latest(until) ?? latest, next: schedule.next(until) };
  }
  return { count, latest, next: slot };
}
