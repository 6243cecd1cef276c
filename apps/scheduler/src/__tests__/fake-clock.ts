import type { Clock } from '../clock.js';

/**
 * A clock for tests that moves only when told: `sleep` jumps the time forward by the nap at once (or to the moment
 * the signal aborts), so a simulated week passes in milliseconds and every instant is exact.
 */
export class FakeClock implements Clock {
  #now: number;
  readonly naps: number[] = [];

  constructor(start: Date | string) {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  set(at: Date | string): void {
    this.#now = new Date(at).getTime();
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.naps.push(ms);
    this.#now += ms;
    await Promise.resolve();
  }
}
