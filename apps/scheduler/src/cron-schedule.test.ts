import { describe, expect, it } from 'vitest';
import { createCronSchedule, type CronSchedule } from './cron-schedule.js';
import { SchedulerError } from './scheduler-error.js';

/** Every slot in [from, to), as ISO strings. */
function slotsBetween(schedule: CronSchedule, from: string, to: string): string[] {
  const out: string[] = [];
  for (
    let slot = schedule.next(new Date(new Date(from).getTime() - 1));
    slot && slot < new Date(to);
    slot = schedule.next(slot)
  ) {
    out.push(slot.toISOString());
  }
  return out;
}

describe('createCronSchedule', () => {
  it('gives the next daily slot at the wall-clock time of the time zone', () => {
    const schedule = createCronSchedule('0 6 * * *', 'America/Sao_Paulo');
    expect(schedule.next(new Date('2024-05-01T12:00:00Z'))?.toISOString()).toBe('2024-05-02T09:00:00.000Z');
    // Strictly after: at the slot itself, the next one is a day later.
    expect(schedule.next(new Date('2024-05-02T09:00:00Z'))?.toISOString()).toBe('2024-05-03T09:00:00.000Z');
    expect(schedule.latest(new Date('2024-05-02T09:00:00Z'))?.toISOString()).toBe('2024-05-02T09:00:00.000Z');
    expect(schedule.latest(new Date('2024-05-02T08:59:59.999Z'))?.toISOString()).toBe('2024-05-01T09:00:00.000Z');
  });

  it('keeps 06:00 local across both DST changes of a year (Lisbon: UTC+0 in winter, UTC+1 in summer)', () => {
    const schedule = createCronSchedule('0 6 * * *', 'Europe/Lisbon');
    expect(slotsBetween(schedule, '2024-03-30T00:00:00Z', '2024-04-02T00:00:00Z')).toEqual([
      '2024-03-30T06:00:00.000Z',
      '2024-03-31T05:00:00.000Z', // summer time began at 01:00 UTC that night
      '2024-04-01T05:00:00.000Z',
    ]);
    expect(slotsBetween(schedule, '2024-10-26T00:00:00Z', '2024-10-29T00:00:00Z')).toEqual([
      '2024-10-26T05:00:00.000Z',
      '2024-10-27T06:00:00.000Z', // back to UTC+0
      '2024-10-28T06:00:00.000Z',
    ]);
  });

  it('spring-forward day: a daily time inside the skipped hour runs once, an hour later by the clock', () => {
    // New York, 10 March 2024: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that day.
    const schedule = createCronSchedule('30 2 * * *', 'America/New_York');
    expect(slotsBetween(schedule, '2024-03-09T00:00:00Z', '2024-03-12T00:00:00Z')).toEqual([
      '2024-03-09T07:30:00.000Z', // 02:30 EST
      '2024-03-10T07:30:00.000Z', // 03:30 EDT: once
      '2024-03-11T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('fall-back day: a daily time inside the repeated hour runs once, at its first occurrence', () => {
    // New York, 3 November 2024: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    const schedule = createCronSchedule('30 1 * * *', 'America/New_York');
    expect(slotsBetween(schedule, '2024-11-02T00:00:00Z', '2024-11-05T00:00:00Z')).toEqual([
      '2024-11-02T05:30:00.000Z',
      '2024-11-03T05:30:00.000Z', // 01:30 EDT; not again at 01:30 EST (06:30Z)
      '2024-11-04T06:30:00.000Z',
    ]);
  });

  it('hourly across the DST changes: strictly increasing slots, each wall-clock hour once', () => {
    const schedule = createCronSchedule('0 * * * *', 'America/New_York');
    // 10 March 2024 in New York is 23 hours long (05:00Z to 04:00Z next day); 02:00 does not exist.
    const spring = slotsBetween(schedule, '2024-03-10T05:00:00Z', '2024-03-11T04:00:00Z');
    expect(spring).toHaveLength(23);
    expect(new Set(spring).size).toBe(23);
    expect(spring.slice(0, 4)).toEqual([
      '2024-03-10T05:00:00.000Z',
      '2024-03-10T06:00:00.000Z',
      '2024-03-10T07:00:00.000Z',
      '2024-03-10T08:00:00.000Z',
    ]);
    // 3 November 2024 is 25 hours long (04:00Z to 05:00Z next day); the repeated 01:00 runs once.
    const fall = slotsBetween(schedule, '2024-11-03T04:00:00Z', '2024-11-04T05:00:00Z');
    expect(fall).toHaveLength(24);
    expect(fall.slice(0, 3)).toEqual([
      '2024-11-03T04:00:00.000Z',
      '2024-11-03T05:00:00.000Z',
      '2024-11-03T07:00:00.000Z',
    ]);
    for (let i = 1; i < fall.length; i++) expect(fall[i]! > fall[i - 1]!).toBe(true);
  });

  it('takes seconds as a sixth field and @nicknames', () => {
    expect(createCronSchedule('*/3 * * * * *', 'UTC').next(new Date('2024-01-01T00:00:01.500Z'))?.toISOString()).toBe(
      '2024-01-01T00:00:03.000Z',
    );
    expect(createCronSchedule('@daily', 'UTC').next(new Date('2024-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2024-01-02T00:00:00.000Z',
    );
  });

  it('refuses a bad expression or time zone with INVALID_SCHEDULE, naming it', () => {
    expect(() => createCronSchedule('61 * * * *', 'UTC')).toThrow(SchedulerError);
    expect(() => createCronSchedule('61 * * * *', 'UTC')).toThrow(/schedule.cron "61 \* \* \* \*".*minute/);
    expect(() => createCronSchedule('0 6 * * *', 'Mars/Olympus')).toThrow(/Mars\/Olympus/);
  });

  it('says when an expression never fires again', () => {
    expect(createCronSchedule('0 0 30 2 *', 'UTC').next(new Date('2024-01-01T00:00:00Z'))).toBeUndefined();
  });
});
