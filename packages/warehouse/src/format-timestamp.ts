/*
 * The text every engine's `query` gives dates, times and timestamps in (the `Row` shapes the contract pins):
 * `YYYY-MM-DD`, `HH:MM:SS.ffffff`, `YYYY-MM-DD HH:MM:SS.ffffff` — six fraction digits always, proleptic Gregorian,
 * years before 1 written Postgres's way (`0044-03-15 BC`). Engines convert their driver's values to days or
 * microseconds and format them here.
 */

const MICROS_PER_DAY = 86_400_000_000n;

/**
 * Microseconds since 1970-01-01 as `YYYY-MM-DD HH:MM:SS.ffffff` (years before 1 as `… BC`).
 *
 * @example formatTimestamp(1_704_164_645_123_456n) // '2024-01-02 03:04:05.123456'
 */
export function formatTimestamp(micros: bigint): string {
  const days = floorDiv(micros, MICROS_PER_DAY);
  const date = formatDate(Number(days));
  const time = formatTime(micros - days * MICROS_PER_DAY);
  return date.endsWith(' BC') ? `${date.slice(0, -3)} ${time} BC` : `${date} ${time}`;
}

/**
 * Days since 1970-01-01 as `YYYY-MM-DD` (years before 1 as `YYYY-MM-DD BC`, Postgres's way).
 *
 * @example formatDate(-735_160) // '0044-03-15 BC'
 */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const shown = year > 0 ? year : 1 - year;
  return `${String(shown).padStart(4, '0')}-${pad2(month)}-${pad2(day)}${year > 0 ? '' : ' BC'}`;
}

/** Microseconds since midnight as `HH:MM:SS.ffffff` (`24:00:00.000000` included). */
export function formatTime(micros: bigint): string {
  const totalSeconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const hours = totalSeconds / 3600n;
  const minutes = (totalSeconds % 3600n) / 60n;
  const seconds = totalSeconds % 60n;
  return `${pad2(Number(hours))}:${pad2(Number(minutes))}:${pad2(Number(seconds))}.${String(fraction).padStart(6, '0')}`;
}

/** `a / b` rounded towards negative infinity. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Howard Hinnant's days → civil date (proleptic Gregorian, astronomical years: 0 is 1 BC). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}
