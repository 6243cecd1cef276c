import { describe, expect, it } from 'vitest';
import { isCi } from './outside-tool.js';
import { pollUntil } from './poll-until.js';

describe('pollUntil', () => {
  it('returns the first value that is not undefined, null or false', async () => {
    let looks = 0;
    const value = await pollUntil(() => (++looks < 3 ? undefined : { looks }), { what: 'a third look', intervalMs: 1 });
    expect(value).toEqual({ looks: 3 });
  });

  it('gives up after its bound, naming what it waited for and what it saw', async () => {
    const error = await pollUntil(() => false, {
      what: 'something that never comes',
      timeoutMs: 30,
      intervalMs: 5,
      describe: () => 'nothing yet',
    }).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /^Error: Timed out after \d+ ms \(\d+ looks\) waiting for something that never comes/,
    );
    expect(String(error)).toContain('last seen: nothing yet');
  });
});

describe('isCi', () => {
  it('reads CI as CI services set it', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({})).toBe(false);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '0' })).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
  });
});
