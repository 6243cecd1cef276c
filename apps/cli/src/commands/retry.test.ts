import { describe, expect, it } from 'vitest';
import { previousInvocation } from './retry.js';

describe('previousInvocation (what sluice retry reads of run_results.json)', () => {
  it('keeps the errored, failed and skipped nodes and the verb', () => {
    const previous = previousInvocation(
      {
        args: { which: 'build', target: 'dev' },
        results: [
          { unique_id: 'model.shop.a', status: 'success' },
          { unique_id: 'model.shop.b', status: 'error' },
          { unique_id: 'test.shop.t', status: 'fail' },
          { unique_id: 'model.shop.c', status: 'skipped' },
          { unique_id: 'test.shop.w', status: 'warn' },
        ],
      },
      'target/run_results.json',
    );
    expect(previous.verb).toBe('build');
    expect(previous.ids).toEqual(['model.shop.b', 'test.shop.t', 'model.shop.c']);
  });

  it('reads the verb from invocation_command when args.which is absent; names the file and field when it cannot', () => {
    expect(previousInvocation({ args: { invocation_command: 'dbt run -s x' }, results: [] }, 'r.json').verb).toBe(
      'run',
    );
    expect(() => previousInvocation({ args: {}, results: [] }, 'r.json')).toThrow('r.json: args.which is missing');
    expect(() => previousInvocation({ args: { which: 'compile' }, results: [] }, 'r.json')).toThrow(
      'args.which is "compile", which sluice retry cannot rerun',
    );
    expect(() => previousInvocation({ args: {} }, 'r.json')).toThrow('r.json: results is missing or not a list');
  });
});
