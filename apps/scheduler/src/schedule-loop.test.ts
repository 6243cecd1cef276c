import { describe, expect, it } from 'vitest';
import { FakeClock } from './__tests__/fake-clock.js';
import { createCronSchedule } from './cron-schedule.js';
import type { CatchUpPolicy } from './plan-tick.js';
import { MAX_NAP_MS, runScheduleLoop } from './schedule-loop.js';

interface Simulation {
  runs: Array<{ slot: string; at: string; late: boolean; missed: number }>;
  skips: Array<{ slot: string; at: string; missed: number }>;
}

/**
 * Run the real loop on a fake clock from `start` until `until`. `runMs` is how long each run takes; `downtime`
 * simulates the daemon being off: when the clock enters it, the loop stops and restarts at its end with the
 * anchor it had (as a restart reads it from the run history).
 */
async function simulate(options: {
  cron: string;
  timezone: string;
  catchUp: CatchUpPolicy;
  start: string;
  until: string;
  runMs?: number;
  downtime?: { from: string; to: string };
}): Promise<Simulation> {
  const schedule = createCronSchedule(options.cron, options.timezone);
  const clock = new FakeClock(options.start);
  const sim: Simulation = { runs: [], skips: [] };
  let anchor = clock.now();
  let lastHandled = anchor;
  const until = new Date(options.until).getTime();
  const down = options.downtime
    ? { from: new Date(options.downtime.from).getTime(), to: new Date(options.downtime.to).getTime() }
    : undefined;
  let restarted = false;
  for (;;) {
    const stop = new AbortController();
    const watch = () => {
      const now = clock.now().getTime();
      if (now >= until || (down && !restarted && now >= down.from)) stop.abort();
    };
    await runScheduleLoop({
      schedule,
      catchUp: options.catchUp,
      clock: {
        now: () => clock.now(),
        sleep: async (ms, signal) => {
          await clock.sleep(ms, signal);
          watch();
        },
      },
      anchor,
      signal: stop.signal,
      onRun: async (slot, info) => {
        sim.runs.push({
          slot: slot.toISOString(),
          at: clock.now().toISOString(),
          late: info.late,
          missed: info.missed,
        });
        lastHandled = slot;
        clock.advance(options.runMs ?? 1000);
        watch();
      },
      onSkip: async (slot, info) => {
        sim.skips.push({ slot: slot.toISOString(), at: clock.now().toISOString(), missed: info.missed });
        lastHandled = slot;
      },
    });
    if (down && !restarted && clock.now().getTime() < until) {
      restarted = true;
      clock.set(new Date(down.to));
      anchor = lastHandled;
      continue;
    }
    return sim;
  }
}

describe('the schedule loop on an injected clock', () => {
  it('runs a daily slot once a day, at the slot', async () => {
    const sim = await simulate({
      cron: '0 6 * * *',
      timezone: 'UTC',
      catchUp: 'once',
      start: '2024-05-01T00:00:00Z',
      until: '2024-05-04T00:00:00Z',
    });
    expect(sim.runs.map((r) => r.slot)).toEqual([
      '2024-05-01T06:00:00.000Z',
      '2024-05-02T06:00:00.000Z',
      '2024-05-03T06:00:00.000Z',
    ]);
    expect(sim.runs.every((r) => r.at === r.slot && !r.late)).toBe(true);
  });

  it('naps at most a minute at a time, so a clock jump is noticed', async () => {
    const clock = new FakeClock('2024-05-01T00:00:00Z');
    const stop = new AbortController();
    await runScheduleLoop({
      schedule: createCronSchedule('0 6 * * *', 'UTC'),
      catchUp: 'once',
      clock: {
        now: () => clock.now(),
        sleep: async (ms, signal) => {
          await clock.sleep(ms, signal);
          if (clock.naps.length >= 5) stop.abort();
        },
      },
      anchor: clock.now(),
      signal: stop.signal,
      onRun: async () => undefined,
      onSkip: async () => undefined,
    });
    expect(clock.naps).toEqual([MAX_NAP_MS, MAX_NAP_MS, MAX_NAP_MS, MAX_NAP_MS, MAX_NAP_MS]);
  });

  it('catch-up once: down for three days, one late run on restart, then back on schedule', async () => {
    const sim = await simulate({
      cron: '0 6 * * *',
      timezone: 'UTC',
      catchUp: 'once',
      start: '2024-05-01T00:00:00Z',
      until: '2024-05-07T00:00:00Z',
      downtime: { from: '2024-05-01T12:00:00Z', to: '2024-05-04T10:00:00Z' },
    });
    expect(sim.runs.map((r) => [r.slot, r.at, r.late, r.missed])).toEqual([
      ['2024-05-01T06:00:00.000Z', '2024-05-01T06:00:00.000Z', false, 0],
      ['2024-05-04T06:00:00.000Z', '2024-05-04T10:00:00.000Z', true, 2],
      ['2024-05-05T06:00:00.000Z', '2024-05-05T06:00:00.000Z', false, 0],
      ['2024-05-06T06:00:00.000Z', '2024-05-06T06:00:00.000Z', false, 0],
    ]);
    expect(sim.skips).toEqual([]);
  });

  it('catch-up skip: down for three days, nothing runs until the next slot', async () => {
    const sim = await simulate({
      cron: '0 6 * * *',
      timezone: 'UTC',
      catchUp: 'skip',
      start: '2024-05-01T00:00:00Z',
      until: '2024-05-07T00:00:00Z',
      downtime: { from: '2024-05-01T12:00:00Z', to: '2024-05-04T10:00:00Z' },
    });
    expect(sim.runs.map((r) => r.slot)).toEqual([
      '2024-05-01T06:00:00.000Z',
      '2024-05-05T06:00:00.000Z',
      '2024-05-06T06:00:00.000Z',
    ]);
    expect(sim.skips).toEqual([{ slot: '2024-05-04T06:00:00.000Z', at: '2024-05-04T10:00:00.000Z', missed: 3 }]);
  });

  it('a run longer than the interval: once runs the latest missed slot right after, skip waits for the next', async () => {
    const base = {
      cron: '*/10 * * * *',
      timezone: 'UTC',
      start: '2024-05-01T00:00:00Z',
      until: '2024-05-01T01:00:00Z',
      runMs: 25 * 60_000,
    };
    const once = await simulate({ ...base, catchUp: 'once' });
    expect(once.runs.map((r) => [r.slot.slice(11, 16), r.at.slice(11, 16), r.late])).toEqual([
      ['00:10', '00:10', false],
      ['00:30', '00:35', true], // 00:20 and 00:30 passed during the first run: one catch-up run
    ]);
    expect(once.runs[1]?.missed).toBe(1);
    const skip = await simulate({ ...base, catchUp: 'skip' });
    expect(skip.runs.map((r) => r.slot.slice(11, 16))).toEqual(['00:10', '00:40']);
    expect(skip.skips.map((s) => [s.slot.slice(11, 16), s.missed])).toEqual([['00:30', 2]]);
  });

  it('a slot whose handling failed (state store down) stays due and is tried again after a nap', async () => {
    const clock = new FakeClock('2024-05-01T05:59:00Z');
    const stop = new AbortController();
    const attempts: string[] = [];
    const errors: string[] = [];
    await runScheduleLoop({
      schedule: createCronSchedule('0 6 * * *', 'UTC'),
      catchUp: 'once',
      clock,
      anchor: clock.now(),
      signal: stop.signal,
      onRun: async (slot, info) => {
        attempts.push(`${slot.toISOString()} at ${clock.now().toISOString()} late=${info.late}`);
        if (attempts.length < 3) throw new Error('state store unavailable');
        stop.abort();
      },
      onSkip: async () => undefined,
      onError: (error) => errors.push(String(error)),
    });
    expect(attempts).toEqual([
      '2024-05-01T06:00:00.000Z at 2024-05-01T06:00:00.000Z late=false',
      '2024-05-01T06:00:00.000Z at 2024-05-01T06:00:30.000Z late=false',
      '2024-05-01T06:00:00.000Z at 2024-05-01T06:01:00.000Z late=false',
    ]);
    expect(errors).toEqual(['Error: state store unavailable', 'Error: state store unavailable']);
  });

  it('DST spring-forward and fall-back in New York: one run per day at the local time', async () => {
    const spring = await simulate({
      cron: '30 2 * * *',
      timezone: 'America/New_York',
      catchUp: 'once',
      start: '2024-03-08T12:00:00Z',
      until: '2024-03-12T12:00:00Z',
    });
    expect(spring.runs.map((r) => r.slot)).toEqual([
      '2024-03-09T07:30:00.000Z',
      '2024-03-10T07:30:00.000Z',
      '2024-03-11T06:30:00.000Z',
      '2024-03-12T06:30:00.000Z',
    ]);
    const fall = await simulate({
      cron: '30 1 * * *',
      timezone: 'America/New_York',
      catchUp: 'once',
      start: '2024-11-01T12:00:00Z',
      until: '2024-11-05T12:00:00Z',
    });
    expect(fall.runs.map((r) => r.slot)).toEqual([
      '2024-11-02T05:30:00.000Z',
      '2024-11-03T05:30:00.000Z',
      '2024-11-04T06:30:00.000Z',
      '2024-11-05T06:30:00.000Z',
    ]);
    expect([...spring.runs, ...fall.runs].filter((r) => r.at !== r.slot || r.late)).toEqual([]);
  });

  it('the fall-back night with an every-30-minutes schedule: no slot runs twice', async () => {
    const sim = await simulate({
      cron: '*/30 * * * *',
      timezone: 'America/New_York',
      catchUp: 'once',
      start: '2024-11-03T04:00:00Z',
      until: '2024-11-03T09:00:00Z',
    });
    const slots = sim.runs.map((r) => r.slot);
    expect(new Set(slots).size).toBe(slots.length);
    // 00:00 01:00 01:30 EDT, then 02:00 EST: the repeated 01:00 and 01:30 EST are not run again.
    expect(slots.slice(0, 5)).toEqual([
      '2024-11-03T04:30:00.000Z',
      '2024-11-03T05:00:00.000Z',
      '2024-11-03T05:30:00.000Z',
      '2024-11-03T07:00:00.000Z',
      '2024-11-03T07:30:00.000Z',
    ]);
  });
});
