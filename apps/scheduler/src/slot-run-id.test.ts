import { describe, expect, it } from 'vitest';
import { slotOfRunId, slotRunId } from './slot-run-id.js';

describe('slot run ids', () => {
  it('carry the slot, so a restart finds the last slot handled', () => {
    const id = slotRunId(new Date('2024-03-10T06:00:00Z'), 'a1b2c3');
    expect(id).toBe('20240310T060000Z-a1b2c3');
    expect(slotOfRunId(id)?.toISOString()).toBe('2024-03-10T06:00:00.000Z');
    expect(slotOfRunId('6f1c2d3e-0000-4000-8000-000000000000')).toBeUndefined();
  });
});
