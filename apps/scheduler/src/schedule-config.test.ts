import { describe, expect, it } from 'vitest';
import { parseProjectConfig, retryDelayMs, scheduleConfigSchema } from '@sluice/pipeline';
import { runSettings } from './run-settings.js';

const BASE = `name: demo
source: { url: postgres://localhost/db }
targets: { dev: { type: duckdb, path: wh.duckdb } }
target: dev
state: { type: file, dir: state }
tables: { vendas: { strategy: full } }
`;

describe('the schedule: block of sluice.yml', () => {
  it('defaults to daily at 06:00 UTC, one catch-up run, 3 attempts, and timeouts', () => {
    const schedule = scheduleConfigSchema.parse({});
    expect(schedule).toMatchObject({
      cron: '0 6 * * *',
      timezone: 'UTC',
      catch_up: 'once',
      retries: { attempts: 3, backoff: 30_000, max_delay: 600_000, jitter: 0.2 },
      step_timeout: 7_200_000,
      run_timeout: 21_600_000,
      keep_history: 90 * 86_400_000,
    });
    expect(schedule.alerts.webhook_url).toBeUndefined();
  });

  it('reads cron, time zone, catch-up, retries, timeouts and history from sluice.yml (durations in ms)', () => {
    const config = parseProjectConfig(
      `${BASE}schedule:
  cron: "30 2 * * 1-5"
  timezone: America/Sao_Paulo
  catch_up: skip
  retries: { attempts: 5, backoff: 10s, max_delay: 1h30m, jitter: 0 }
  step_timeout: 45m
  run_timeout: 90
  keep_history: 14d
  alerts: { webhook_url: "\${env:HOOK:-}" }
`,
      'sluice.yml',
      {},
    );
    expect(config.schedule).toEqual({
      cron: '30 2 * * 1-5',
      timezone: 'America/Sao_Paulo',
      catch_up: 'skip',
      retries: { attempts: 5, backoff: 10_000, max_delay: 5_400_000, jitter: 0 },
      step_timeout: 2_700_000,
      run_timeout: 90_000,
      keep_history: 14 * 86_400_000,
      alerts: { webhook_url: undefined },
    });
  });

  it('reports every bad key with its path and line', () => {
    let message = '';
    try {
      parseProjectConfig(
        `${BASE}schedule:\n  cron: "every day"\n  timezone: Mars/Olympus\n  catch_up: twice\n  step_timeout: soon\n  retrys: {}\n`,
        'sluice.yml',
        {},
      );
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/sluice\.yml:8: schedule\.cron: not a cron expression/);
    expect(message).toMatch(/schedule\.timezone: unknown time zone/);
    expect(message).toMatch(/schedule\.catch_up/);
    expect(message).toMatch(/schedule\.step_timeout: "soon" is not a duration/);
    expect(message).toMatch(/unknown key "retrys"/);
  });
});

describe('retries and timeouts handed to runPipeline', () => {
  const schedule = scheduleConfigSchema.parse({
    retries: { attempts: 4, backoff: '30s', max_delay: '1m', jitter: 0.2 },
    step_timeout: '20m',
    run_timeout: '1h',
  });
  const settings = runSettings(schedule);

  it('maps the schedule to the pipeline retry policy and timeouts', () => {
    expect(settings).toEqual({
      retry: { attempts: 4, baseDelayMs: 30_000, maxDelayMs: 60_000, jitter: 0.2 },
      stepTimeoutMs: 1_200_000,
      runTimeoutMs: 3_600_000,
    });
  });

  it('backs off exponentially, capped at max_delay, with jitter inside ±20 %', () => {
    // The delay before attempts 2, 3, 4 with the random draw in the middle: 30 s, 60 s, then capped at 60 s.
    expect([2, 3, 4].map((attempt) => retryDelayMs(settings.retry, attempt, 0.5))).toEqual([30_000, 60_000, 60_000]);
    expect(retryDelayMs(settings.retry, 2, 0)).toBe(24_000);
    expect(retryDelayMs(settings.retry, 2, 0.999_999)).toBe(36_000);
    expect(retryDelayMs(settings.retry, 4, 0)).toBe(48_000);
  });
});
