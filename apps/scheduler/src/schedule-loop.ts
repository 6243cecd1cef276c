import type { Clock } from './clock.js';
import type { CronSchedule } from './cron-schedule.js';
import { planTick, type CatchUpPolicy } from './plan-tick.js';

/** The longest nap between two looks at the clock: a wall-clock jump is noticed within this. */
export const MAX_NAP_MS = 60_000;

/** How long the loop waits before trying a slot again after its handling failed. */
export const ERROR_NAP_MS = 30_000;

export interface ScheduleLoopOptions {
  readonly schedule: CronSchedule;
  readonly catchUp: CatchUpPolicy;
  readonly clock: Clock;
  /** The last slot already handled (from the run history), or the start time on a first start. */
  readonly anchor: Date;
  /** Stops the loop (a shutdown); a nap ends at once. */
  readonly signal: AbortSignal;
  /** A slot is due: run it (claiming it first). The loop waits for it. */
  readonly onRun: (slot: Date, info: { readonly late: boolean; readonly missed: number }) => Promise<void>;
  /** A late slot is not run (catch-up `skip`): record it. */
  readonly onSkip: (slot: Date, info: { readonly missed: number }) => Promise<void>;
  /** The next slot changed (for the status page and metrics). */
  readonly onNext?: (next: Date | undefined) => void;
  /** `onRun` or `onSkip` threw (the state store is down, say): the slot stays due and is tried again after a nap. */
  readonly onError?: (error: unknown, slot: Date) => void;
  readonly toleranceMs?: number;
}

/**
 * The scheduler's heart, free of I/O but the injected clock and callbacks: look at the clock, let `planTick`
 * decide, run or skip what is due (one slot at a time, waiting for it), then nap until the next slot (at most a
 * minute at a time). Slots that pass while a run goes on are due when it ends, and the catch-up policy decides.
 * Returns when `signal` aborts.
 */
export async function runScheduleLoop(options: ScheduleLoopOptions): Promise<void> {
  let anchor = options.anchor;
  let next: Date | undefined;
  let planned = false;
  while (!options.signal.aborted) {
    const now = options.clock.now();
    if (planned && next && now.getTime() < next.getTime()) {
      // Nothing can be due before the next slot: nap on without asking the cron library again.
      await options.clock.sleep(Math.min(next.getTime() - now.getTime(), MAX_NAP_MS), options.signal);
      continue;
    }
    planned = true;
    const decision = planTick({
      schedule: options.schedule,
      anchor,
      now,
      catchUp: options.catchUp,
      ...(options.toleranceMs !== undefined ? { toleranceMs: options.toleranceMs } : {}),
    });
    next = decision.next;
    options.onNext?.(next);
    const due = decision.run?.slot ?? decision.skipped;
    if (due) {
      try {
        if (decision.run) await options.onRun(decision.run.slot, { late: decision.run.late, missed: decision.missed });
        else await options.onSkip(due, { missed: decision.missed });
        anchor = decision.anchor;
      } catch (error) {
        // The anchor stays: the slot is decided again (catch-up policy included) after the nap.
        options.onError?.(error, due);
        planned = false;
        await options.clock.sleep(ERROR_NAP_MS, options.signal);
      }
      continue;
    }
    anchor = decision.anchor;
    const untilNext = next ? next.getTime() - now.getTime() : MAX_NAP_MS;
    await options.clock.sleep(Math.max(0, Math.min(untilNext, MAX_NAP_MS)), options.signal);
  }
}
