import { NovaDriveError } from './novadrive-error.js';

/** Microseconds in one day. */
export const DAY_US = 86_400_000_000;
/** Microseconds in one hour. */
export const HOUR_US = 3_600_000_000;

/**
 * The simulated calendar (wall-clock `timestamp without time zone` values). Generated history lies before
 * `historyEnd`; sales are dated from `salesFrom` on, over 730 days; `simulateDay(day N)` writes inside
 * `baseDate + N days` (day 1 is 2025-01-01).
 */
export const NOVADRIVE_CALENDAR = {
  /** Catalog rows (states, cities, vehicles, dealerships, salespeople) are created during 2022. */
  catalogFrom: '2022-01-01 00:00:00',
  /** The first possible `data_venda`. */
  salesFrom: '2023-01-01 00:00:00',
  /** Every generated timestamp is strictly before this instant. */
  historyEnd: '2025-01-01 00:00:00',
  /** Day 0 of the change simulator: day N writes on baseDate + N days. */
  baseDate: '2024-12-31 00:00:00',
} as const;

/** The number of days over which generated sales are spread. */
export const SALES_SPAN_DAYS = 730;

/** A half-open interval of simulated time, as Postgres timestamp text (`YYYY-MM-DD HH:MM:SS.ffffff`). */
export interface TimeWindow {
  readonly from: string;
  readonly to: string;
}

/**
 * The window `simulateDay` writes in for a day: [baseDate + day days, baseDate + day + 1 days).
 *
 * @example novaDriveDayWindow(1) // { from: '2025-01-01 00:00:00.000000', to: '2025-01-02 00:00:00.000000' }
 */
export function novaDriveDayWindow(day: number): TimeWindow {
  if (!Number.isInteger(day) || day < 1 || day > 1_000_000) {
    throw new NovaDriveError('INVALID_OPTIONS', `day must be an integer from 1 to 1000000, got ${String(day)}`);
  }
  const from = parseTimestamp(NOVADRIVE_CALENDAR.baseDate) + day * DAY_US;
  return { from: formatTimestamp(from), to: formatTimestamp(from + DAY_US) };
}

/** Microseconds since 1970-01-01 00:00 of a wall-clock timestamp: `Date` (read as UTC) or Postgres text. */
export function parseTimestamp(value: Date | string): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new NovaDriveError('INVALID_OPTIONS', 'an invalid Date was given as a timestamp');
    return ms * 1000;
  }
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z?$/.exec(value.trim());
  if (!match) {
    throw new NovaDriveError(
      'INVALID_OPTIONS',
      `"${value}" is not a timestamp: write it as YYYY-MM-DD HH:MM:SS[.ffffff] (wall clock, no time zone)`,
    );
  }
  const ms = Date.parse(`${match[1]}T${match[2]}Z`);
  if (Number.isNaN(ms)) throw new NovaDriveError('INVALID_OPTIONS', `"${value}" is not a valid date and time`);
  return ms * 1000 + Number((match[3] ?? '').padEnd(6, '0'));
}

/** Postgres timestamp text with six fractional digits for microseconds since 1970-01-01 00:00. */
export function formatTimestamp(us: number): string {
  const day = Math.floor(us / DAY_US);
  let date = dateCache.get(day);
  if (date === undefined) {
    date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (dateCache.size > 10_000) dateCache.clear();
    dateCache.set(day, date);
  }
  // The generator formats millions of these: plain arithmetic instead of a Date per value.
  let rest = us - day * DAY_US;
  const micros = rest % 1_000_000;
  rest = (rest - micros) / 1_000_000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${date} ${two(hours)}:${two(minutes)}:${two(seconds)}.${String(micros).padStart(6, '0')}`;
}

const dateCache = new Map<number, string>();

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
