import { describe, expect, it } from 'vitest';
import { evaluateThresholds, parseThreshold } from './evaluate-thresholds.js';

describe('parseThreshold', () => {
  it('reads dbt threshold expressions', () => {
    expect(parseThreshold('!=0')).toEqual({ operator: '!=', value: 0 });
    expect(parseThreshold(' > 10 ')).toEqual({ operator: '>', value: 10 });
    expect(parseThreshold('>=2.5')).toEqual({ operator: '>=', value: 2.5 });
    expect(parseThreshold('=3')).toEqual({ operator: '==', value: 3 });
    expect(parseThreshold('<>1')).toEqual({ operator: '!=', value: 1 });
  });

  it('rejects anything else with an example of what works', () => {
    expect(() => parseThreshold('more than 10')).toThrow(/">10"/);
    expect(() => parseThreshold('>')).toThrowError(expect.objectContaining({ code: 'INVALID_THRESHOLD' }));
  });
});

describe('evaluateThresholds', () => {
  it('follows dbt: error_if decides fail, then warn_if decides warn', () => {
    expect(evaluateThresholds(0, { severity: 'error' })).toBe('pass');
    expect(evaluateThresholds(1, { severity: 'error' })).toBe('fail');
    expect(evaluateThresholds(3, { severity: 'error', errorIf: '>10' })).toBe('warn');
    expect(evaluateThresholds(11, { severity: 'error', errorIf: '>10' })).toBe('fail');
    expect(evaluateThresholds(3, { severity: 'error', errorIf: '>10', warnIf: '>5' })).toBe('pass');
  });

  it('never fails at severity warn', () => {
    expect(evaluateThresholds(100, { severity: 'warn', errorIf: '>1' })).toBe('warn');
    expect(evaluateThresholds(0, { severity: 'warn' })).toBe('pass');
  });
});
