import { setTimeout as delay } from 'node:timers/promises';

/** How `pollUntil` looks. */
export interface PollOptions {
  /** What is awaited, for the failure message: "the catch-up run to finish". */
  readonly what: string;
  /** Give up after this long (default 30 s: a bound for a loaded machine, never a measure of speed). */
  readonly timeoutMs?: number;
  /** Time between two looks (default 25 ms). */
  readonly intervalMs?: number;
  /** Describes the last thing seen, for the failure message. */
  readonly describe?: () => string;
}

/**
 * Look again and again until `check` returns a value other than `undefined`, `null` or `false`, and return it.
 * Bounded: after `timeoutMs` it throws an error naming what it waited for (and, with `describe`, what it saw).
 * For a state that can only be observed by asking (a file, a table, an HTTP endpoint); wait for an event instead
 * where there is one.
 *
 * @example
 * const run = await pollUntil(async () => {
 *   const found = await state.getRun(id);
 *   return found?.status === 'running' ? undefined : found;
 * }, { what: `run ${id} to finish` });
 */
export async function pollUntil<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: PollOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 25;
  const started = Date.now();
  for (let looks = 1; ; looks += 1) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      const seen = options.describe === undefined ? '' : `; last seen: ${options.describe()}`;
      throw new Error(`Timed out after ${waited} ms (${looks} looks) waiting for ${options.what}${seen}`);
    }
    await delay(Math.min(intervalMs, timeoutMs - waited));
  }
}
