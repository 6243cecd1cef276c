/**
 * How a failed step is retried: `attempts` in all, waiting `baseDelayMs · 2^(n-2)` before attempt n (at most
 * `maxDelayMs`, ± `jitter` of it drawn at random). The one policy of every retry in Sluice: the pipeline's steps and
 * an engine's statements (Snowflake) use it alike.
 *
 * @example const policy: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, jitter: 0.2 };
 */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** 0..1: the share of each delay drawn at random (0.2 = ±20 %). */
  readonly jitter: number;
}

/** One attempt, no retry. */
export const NO_RETRY: RetryPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 };

/**
 * The delay before attempt `attempt` (2, 3, …) under a policy; `random` in [0, 1).
 *
 * @example retryDelayMs({ attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, jitter: 0 }, 3) // 1000
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number = Math.random()): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 2);
  const capped = Math.min(policy.maxDelayMs, exponential);
  const spread = capped * policy.jitter;
  return Math.max(0, Math.round(capped - spread + 2 * spread * random));
}
