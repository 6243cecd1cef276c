import { Cron } from 'croner';
import { SchedulerError } from './scheduler-error.js';

const NUDGES_MS = [0, 1000, 60_000, 15 * 60_000, 30 * 60_000, 60 * 60_000, 2 * 60 * 60_000, 3 * 60 * 60_000];

/** A cron expression in a time zone: when its slots fall, as instants. */
export interface CronSchedule {
  readonly cron: string;
  readonly timezone: string;
  /** The first slot strictly after `after`, or undefined when the expression has no more (e.g. `0 0 30 2 *`). */
  next(after: Date): Date | undefined;
  /** The latest slot at or before `until`, or undefined when there is none. */
  latest(until: Date): Date | undefined;
}

/**
 * A cron schedule evaluated in an IANA time zone (croner). Slots are wall-clock times in that zone, so a daily
 * `0 6 * * *` stays at 06:00 local across daylight-saving changes. On the spring-forward day a time that does not
 * exist (02:30 when clocks jump from 02:00 to 03:00) runs once, an hour later by the wall clock (03:30); on the
 * fall-back day a repeated wall time (01:30) runs once, at its first occurrence. Slots are strictly increasing:
 * two wall times that land on the same instant are one slot.
 *
 * @example createCronSchedule('0 6 * * *', 'Europe/Lisbon').next(new Date()) // the next 06:00 in Lisbon
 */
export function createCronSchedule(cron: string, timezone: string): CronSchedule {
  let job: Cron;
  try {
    job = new Cron(cron, { timezone, paused: true, mode: '5-or-6-parts' });
    job.nextRun(new Date(0));
  } catch (error) {
    throw new SchedulerError(
      'INVALID_SCHEDULE',
      `schedule.cron "${cron}" in time zone ${timezone} is not valid: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return {
    cron,
    timezone,
    next(after: Date): Date | undefined {
      // croner's answer is checked to be strictly later: asked from inside a repeated (fall-back) hour it can name
      // an instant in the past, or the same instant twice. The repeated hour's wall times already ran in its first
      // pass, so asking again from a little later, then later still, finds the true next slot.
      for (const stepMs of NUDGES_MS) {
        const found = job.nextRun(new Date(after.getTime() + stepMs));
        if (!found) return undefined;
        if (found.getTime() > after.getTime()) return found;
      }
      return undefined;
    },
    latest(until: Date): Date | undefined {
      // previousRuns looks strictly before its (whole-second) reference: start one second past `until`.
      const found = job
        .previousRuns(2, new Date(until.getTime() + 1000))
        .filter((slot) => slot.getTime() <= until.getTime());
      return found[0];
    },
  };
}
