import { describe, expect, it } from 'vitest';
import { formatTimestamp, NOVADRIVE_CALENDAR, novaDriveDayWindow, parseTimestamp } from './novadrive-clock.js';
import { NovaDriveError } from './novadrive-error.js';

describe('timestamps', () => {
  it('round-trips microseconds through Postgres text', () => {
    for (const text of ['2025-01-01 00:00:00.000000', '2024-02-29 23:59:59.999999', '1999-12-31 12:34:56.000001']) {
      expect(formatTimestamp(parseTimestamp(text))).toBe(text);
    }
    expect(parseTimestamp('2025-01-01 00:00:00.5')).toBe(parseTimestamp('2025-01-01 00:00:00') + 500_000);
    expect(parseTimestamp(new Date('2025-01-01T00:00:01.250Z'))).toBe(parseTimestamp('2025-01-01 00:00:01.25'));
  });

  it('rejects what is not a timestamp', () => {
    expect(() => parseTimestamp('yesterday')).toThrow(NovaDriveError);
    expect(() => parseTimestamp(new Date(Number.NaN))).toThrow(/invalid Date/);
  });
});

describe('novaDriveDayWindow', () => {
  it('puts day 1 on the first day after the generated history', () => {
    expect(novaDriveDayWindow(1)).toEqual({ from: '2025-01-01 00:00:00.000000', to: '2025-01-02 00:00:00.000000' });
    expect(novaDriveDayWindow(1).from).toBe(`${NOVADRIVE_CALENDAR.historyEnd}.000000`);
    expect(novaDriveDayWindow(366).from).toBe('2026-01-01 00:00:00.000000');
  });

  it('refuses day 0, fractions and negatives', () => {
    for (const day of [0, -1, 1.5, Number.NaN]) expect(() => novaDriveDayWindow(day)).toThrow(/day must be an integer/);
  });
});
