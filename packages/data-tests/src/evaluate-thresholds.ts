import { DataTestError } from './data-test-error.js';

/** How bad a failing test is: `error` stops what depends on the tested model, `warn` only reports. */
export type TestSeverity = 'error' | 'warn';

/** A comparison against the number of failures, parsed from dbt's `warn_if` / `error_if` (`">10"`, `"!= 0"`). */
export interface Threshold {
  readonly operator: '>' | '>=' | '<' | '<=' | '==' | '!=';
  readonly value: number;
}

const THRESHOLD = /^\s*(>=|<=|==|!=|<>|>|<|=)\s*(-?\d+(?:\.\d+)?)\s*$/;

/**
 * Parse a threshold expression.
 *
 * @example parseThreshold('>10') // { operator: '>', value: 10 }
 */
export function parseThreshold(expression: string): Threshold {
  const match = THRESHOLD.exec(expression);
  if (!match) {
    throw new DataTestError(
      'INVALID_THRESHOLD',
      `"${expression}" is not a threshold: write a comparison with a number, such as "!=0", ">10" or ">=100".`,
    );
  }
  const raw = match[1] as string;
  const operator = raw === '=' ? '==' : raw === '<>' ? '!=' : (raw as Threshold['operator']);
  return { operator, value: Number(match[2]) };
}

/** Whether `failures` meets the threshold. */
export function meetsThreshold(failures: number, threshold: Threshold): boolean {
  switch (threshold.operator) {
    case '>':
      return failures > threshold.value;
    case '>=':
      return failures >= threshold.value;
    case '<':
      return failures < threshold.value;
    case '<=':
      return failures <= threshold.value;
    case '==':
      return failures === threshold.value;
    case '!=':
      return failures !== threshold.value;
  }
}

/** The thresholds of one test; both default to `!=0` (any failing row counts), as in dbt. */
export interface ThresholdConfig {
  readonly severity: TestSeverity;
  readonly warnIf?: string;
  readonly errorIf?: string;
}

/**
 * The outcome for a number of failing rows, with dbt's rules: at severity `error`, `error_if` decides `fail`,
 * else `warn_if` decides `warn`; at severity `warn`, only `warn_if` is looked at.
 *
 * @example evaluateThresholds(3, { severity: 'error', errorIf: '>10' }) // 'warn'
 */
export function evaluateThresholds(failures: number, config: ThresholdConfig): 'pass' | 'warn' | 'fail' {
  const warnIf = parseThreshold(config.warnIf ?? '!=0');
  if (config.severity === 'error' && meetsThreshold(failures, parseThreshold(config.errorIf ?? '!=0'))) return 'fail';
  return meetsThreshold(failures, warnIf) ? 'warn' : 'pass';
}
