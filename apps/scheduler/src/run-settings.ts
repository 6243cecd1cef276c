import type { RetryPolicy, ScheduleConfig } from '@sluice/pipeline';

/** What `runPipeline` is given from the `schedule:` block: how steps are retried and when they time out. */
export interface RunSettings {
  readonly retry: RetryPolicy;
  readonly stepTimeoutMs: number;
  readonly runTimeoutMs: number;
}

/** The run settings of a schedule (a timeout of 0 means none). */
export function runSettings(schedule: ScheduleConfig): RunSettings {
  return {
    retry: {
      attempts: schedule.retries.attempts,
      baseDelayMs: schedule.retries.backoff,
      maxDelayMs: schedule.retries.max_delay,
      jitter: schedule.retries.jitter,
    },
    stepTimeoutMs: schedule.step_timeout,
    runTimeoutMs: schedule.run_timeout,
  };
}
