import { describe, expect, test } from 'vitest';
import { FaultController } from './fault-controller.js';

const noSessions = () => 0;

describe('FaultController', () => {
  test('fails only the nth matching request, counted from when the rule was added', () => {
    const faults = new FaultController(noSessions);
    faults.failRequest({ path: '/queries/', nth: 2, status: 502 });
    expect(faults.decide('/session/heartbeat').httpError).toBeUndefined();
    expect(faults.decide('/queries/v1/query-request').httpError).toBeUndefined();
    expect(faults.decide('/queries/v1/query-request').httpError).toBe(502);
    expect(faults.decide('/queries/v1/query-request').httpError).toBeUndefined();
    expect(faults.injected.map((e) => e.kind)).toEqual(['http-error']);
  });

  test('times fails several requests in a row; a RegExp path matches', () => {
    const faults = new FaultController(noSessions);
    faults.failRequest({ path: /login/, times: 2 });
    expect([1, 2, 3].map(() => faults.decide('/session/v1/login-request').httpError)).toEqual([503, 503, undefined]);
  });

  test('delays apply to every matching request until cleared', () => {
    const faults = new FaultController(noSessions);
    faults.delayResponses({ ms: 25 });
    expect(faults.decide('/a').delayMs).toBe(25);
    expect(faults.decide('/b').delayMs).toBe(25);
    faults.clear();
    expect(faults.decide('/c').delayMs).toBe(0);
  });

  test('drops a connection before or after the request is handled', () => {
    const faults = new FaultController(noSessions, [{ kind: 'drop-connection', when: 'after' }]);
    expect(faults.decide('/queries/v1/query-request').drop).toBe('after');
    faults.dropConnection();
    expect(faults.decide('/x').drop).toBe('before');
    expect(faults.decide('/x').drop).toBeUndefined();
  });

  test('expiring sessions is delegated to the server and recorded', () => {
    let mode = '';
    const faults = new FaultController((m) => {
      mode = m;
      return 3;
    });
    expect(faults.expireSessions('gone')).toBe(3);
    expect(mode).toBe('gone');
    expect(faults.injected.map((e) => e.kind)).toEqual(['expire-session']);
  });
});
