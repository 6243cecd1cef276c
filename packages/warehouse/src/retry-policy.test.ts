import { describe, expect, it } from 'vitest';
import { NO_RETRY, retryDelayMs, type RetryPolicy } from './retry-policy.js';

describe('retryDelayMs', () => {
  const policy: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 3_000, jitter: 0.2 };

  it('doubles from the base delay before the second attempt, up to the cap', () => {
    expect([2, 3, 4, 5, 6].map((attempt) => retryDelayMs(policy, attempt, 0.5))).toEqual([
      500, 1_000, 2_000, 3_000, 3_000,
    ]);
  });

  it('spreads each delay by the jitter share, both ways', () => {
    expect(retryDelayMs(policy, 2, 0)).toBe(400);
    expect(retryDelayMs(policy, 2, 0.999_999)).toBe(600);
    expect(retryDelayMs({ ...policy, jitter: 0 }, 3, 0.9)).toBe(1_000);
  });

  it('waits nothing without a retry policy', () => {
    expect(retryDelayMs(NO_RETRY, 2)).toBe(0);
  });
});
