import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * A duration: `500ms`, `30s`, `10m`, `2h`, `1d`, combinations such as `1h30m`, or a plain number of seconds.
 * Parsed to whole milliseconds.
 */
export const durationSchema = z.union([z.number().nonnegative(), z.string().trim()]).transform((value, ctx) => {
  if (typeof value === 'number') return Math.round(value * 1000);
  if (!DURATION.test(value)) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration: write e.g. 30s, 10m, 2h, 1d or 1h30m` });
    return z.NEVER;
  }
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) ms += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 1000);
  return Math.round(ms);
});

const NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const CRON_FIELD = /^[0-9A-Za-z*/,?#-]+$/;

/** A cron expression: 5 fields (minute hour day month weekday), 6 with seconds first, or `@daily`-style nicknames. */
const cronSchema = z
  .string()
  .trim()
  .refine(
    (value) => {
      if (NICKNAMES.has(value.toLowerCase())) return true;
      const fields = value.split(/\s+/);
      return (fields.length === 5 || fields.length === 6) && fields.every((field) => CRON_FIELD.test(field));
    },
    { message: 'not a cron expression: write 5 fields (minute hour day month weekday), e.g. "0 6 * * *", or @daily' },
  );

/** An IANA time zone name (`Europe/Lisbon`, `America/Sao_Paulo`, `UTC`). */
const timeZoneSchema = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: value });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'unknown time zone: use an IANA name such as UTC, Europe/Lisbon or America/Sao_Paulo' },
  );

const retriesSchema = z.strictObject({
  /** Attempts in all per step (1 = no retry). */
  attempts: z.number().int().min(1).max(20).default(3),
  /** The first delay; doubled for each further attempt. */
  backoff: durationSchema.default(30_000),
  /** No delay is longer than this. */
  max_delay: durationSchema.default(600_000),
  /** 0..1: the share of each delay drawn at random (0.2 = ±20 %). */
  jitter: z.number().min(0).max(1).default(0.2),
});

const alertsSchema = z.strictObject({
  /** A Slack-compatible incoming webhook (use `${env:…}`: it is a secret). Empty: no alerts. */
  webhook_url: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || /^https?:\/\//.test(value), {
      message: 'webhook_url must be an http(s) URL',
    }),
  /** Where people read the status page; alerts link to it. */
  page_url: z.string().trim().optional(),
});

/**
 * The `schedule:` block of `sluice.yml`, read by the scheduler daemon (`sluice-scheduler`). Every key has a default:
 * daily at 06:00 UTC, one catch-up run, 3 attempts per step. Durations come out in milliseconds.
 *
 * @example
 * schedule:
 *   cron: "0 6 * * *"
 *   timezone: America/Sao_Paulo
 *   catch_up: once
 *   retries: { attempts: 3, backoff: 30s, max_delay: 10m }
 */
export const scheduleConfigSchema = z.strictObject({
  cron: cronSchema.default('0 6 * * *'),
  timezone: timeZoneSchema.default('UTC'),
  /** When the daemon was down (or busy) at a slot: run once for everything missed (`once`), or wait for the next slot (`skip`). */
  catch_up: z.enum(['skip', 'once']).default('once'),
  retries: retriesSchema.default({ attempts: 3, backoff: 30_000, max_delay: 600_000, jitter: 0.2 }),
  /** A step (ingest, build) that runs longer is cancelled, and retried while attempts remain. */
  step_timeout: durationSchema.default(2 * 3_600_000),
  /** The whole run is cancelled after this long (recorded `interrupted`). */
  run_timeout: durationSchema.default(6 * 3_600_000),
  /** Run history older than this is deleted from the state store. */
  keep_history: durationSchema.default(90 * 86_400_000),
  alerts: alertsSchema.default({ webhook_url: undefined }),
});

/** The parsed `schedule:` block (durations in milliseconds). */
export type ScheduleConfig = z.output<typeof scheduleConfigSchema>;
