/** Time as the scheduler sees it: injected so the schedule logic is tested without waiting. */
export interface Clock {
  now(): Date;
  /** Resolve after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. Waits longer than a minute are cut into one-minute naps by the scheduler, so a wall-clock jump
 *  (NTP, a suspended VM) is noticed within a minute. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};
