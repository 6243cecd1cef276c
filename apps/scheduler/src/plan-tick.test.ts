import { describe, expect, it } from 'vitest';
import { createCronSchedule } from './cron-schedule.js';
import { dueSlots, planTick } from './plan-tick.js';

const daily = createCronSchedule('0 6 * * *', 'UTC');
const at = (iso: string) => new Date(iso);

describe('planTick', () => {
  it('does nothing before the next slot, and says when it is', () => {
    const decision = planTick({
      schedule: daily,
      anchor: at('2024-05-01T06:00:00Z'),
      now: at('2024-05-01T17:00:00Z'),
      catchUp: 'once',
    });
    expect(decision.run).toBeUndefined();
    expect(decision.skipped).toBeUndefined();
    expect(decision.next?.toISOString()).toBe('2024-05-02T06:00:00.000Z');
    expect(decision.anchor.toISOString()).toBe('2024-05-01T06:00:00.000Z');
  });

  it('runs a slot on time, and moves the anchor to it', () => {
    const decision = planTick({
      schedule: daily,
      anchor: at('2024-05-01T06:00:00Z'),
      now: at('2024-05-02T06:00:00.004Z'),
      catchUp: 'skip',
    });
    expect(decision.run).toEqual({ slot: at('2024-05-02T06:00:00Z'), late: false });
    expect(decision.missed).toBe(0);
    expect(decision.anchor.toISOString()).toBe('2024-05-02T06:00:00.000Z');
    expect(decision.next?.toISOString()).toBe('2024-05-03T06:00:00.000Z');
  });

  it('catch-up once: after three days down, runs once for the latest missed slot', () => {
    const decision = planTick({
      schedule: daily,
      anchor: at('2024-05-01T06:00:00Z'),
      now: at('2024-05-04T09:30:00Z'),
      catchUp: 'once',
    });
    expect(decision.run).toEqual({ slot: at('2024-05-04T06:00:00Z'), late: true });
    expect(decision.missed).toBe(2); // 2 May and 3 May are folded into that one run
    expect(decision.anchor.toISOString()).toBe('2024-05-04T06:00:00.000Z');
  });

  it('catch-up skip: a late slot is not run, and is reported with every slot missed', () => {
    const decision = planTick({
      schedule: daily,
      anchor: at('2024-05-01T06:00:00Z'),
      now: at('2024-05-04T09:30:00Z'),
      catchUp: 'skip',
    });
    expect(decision.run).toBeUndefined();
    expect(decision.skipped?.toISOString()).toBe('2024-05-04T06:00:00.000Z');
    expect(decision.missed).toBe(3);
    expect(decision.anchor.toISOString()).toBe('2024-05-04T06:00:00.000Z');
  });

  it('catch-up skip still runs a slot within the tolerance, and folds older missed ones into it', () => {
    const decision = planTick({
      schedule: daily,
      anchor: at('2024-05-01T06:00:00Z'),
      now: at('2024-05-03T06:00:30Z'),
      catchUp: 'skip',
      toleranceMs: 60_000,
    });
    expect(decision.run).toEqual({ slot: at('2024-05-03T06:00:00Z'), late: false });
    expect(decision.missed).toBe(1);
    const late = planTick({
      schedule: daily,
      anchor: at('2024-05-02T06:00:00Z'),
      now: at('2024-05-03T06:01:00.001Z'),
      catchUp: 'skip',
      toleranceMs: 60_000,
    });
    expect(late.run).toBeUndefined();
  });

  it('finds a slot shifted by the spring-forward change even when asked inside the gap', () => {
    // 02:30 does not exist in New York on 10 March 2024; its slot is 03:30 EDT (07:30Z). Asked at 03:10 EDT:
    const schedule = createCronSchedule('30 2 * * *', 'America/New_York');
    const decision = planTick({
      schedule,
      anchor: at('2024-03-09T07:30:00Z'),
      now: at('2024-03-10T07:10:00Z'),
      catchUp: 'once',
    });
    expect(decision.run).toBeUndefined();
    expect(decision.next?.toISOString()).toBe('2024-03-10T07:30:00.000Z');
  });

  it('never names a past slot as next inside the repeated fall-back hour', () => {
    // 01:30 EST (06:30Z) on 3 November 2024 is the second 01:30 of the night: it does not run again.
    const schedule = createCronSchedule('30 1 * * *', 'America/New_York');
    expect(schedule.next(at('2024-11-03T06:10:00Z'))?.toISOString()).toBe('2024-11-04T06:30:00.000Z');
    const decision = planTick({
      schedule,
      anchor: at('2024-11-03T05:30:00Z'),
      now: at('2024-11-03T06:10:00Z'),
      catchUp: 'once',
    });
    expect(decision.run).toBeUndefined();
    expect(decision.next?.toISOString()).toBe('2024-11-04T06:30:00.000Z');
  });

  it('decides at once after a long outage of a per-second schedule (counting stops at 1000)', () => {
    const everySecond = createCronSchedule('* * * * * *', 'UTC');
    const { count, latest } = dueSlots(everySecond, at('2024-05-01T00:00:00Z'), at('2024-05-08T00:00:00.500Z'));
    expect(count).toBe(1000);
    expect(latest?.toISOString()).toBe('2024-05-08T00:00:00.000Z');
  });
});
