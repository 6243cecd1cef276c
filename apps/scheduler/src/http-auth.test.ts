import { describe, expect, it } from 'vitest';
import { bearerMatches, crossSiteRefusal, hostAllowed } from './http-server.js';

describe('bearerMatches', () => {
  it('accepts exactly "Bearer <token>"', () => {
    expect(bearerMatches('Bearer abc123', 'abc123')).toBe(true);
    expect(bearerMatches('bearer   abc123', 'abc123')).toBe(true);
    expect(bearerMatches('Bearer abc1234', 'abc123')).toBe(false);
    expect(bearerMatches('Bearer ', 'abc123')).toBe(false);
    expect(bearerMatches('abc123', 'abc123')).toBe(false);
    expect(bearerMatches(undefined, 'abc123')).toBe(false);
    expect(bearerMatches('Basic YWJjMTIz', 'abc123')).toBe(false);
  });
});

describe('hostAllowed (DNS rebinding)', () => {
  it('answers IP addresses, localhost and the configured names, and refuses any other name', () => {
    const allowed = ['sluice.example.com', 'scheduler'];
    for (const host of [
      '127.0.0.1:8080',
      '10.1.2.3',
      '[::1]:8080',
      'localhost:8080',
      'app.localhost',
      'scheduler:8080',
      'SLUICE.example.com',
    ])
      expect(hostAllowed(host, allowed), host).toBe(true);
    for (const host of ['attacker.example:8080', 'evil.com', 'sluice.example.com.evil.com', '', undefined])
      expect(hostAllowed(host, allowed), String(host)).toBe(false);
    expect(hostAllowed('anything.example', ['*'])).toBe(true);
  });
});

describe('crossSiteRefusal (CSRF)', () => {
  const req = (headers: Record<string, string>) => ({ headers: { host: '127.0.0.1:8080', ...headers } }) as never;
  it('takes same-origin posts and posts typed by hand, and refuses cross-site ones', () => {
    expect(crossSiteRefusal(req({}))).toBeUndefined();
    expect(crossSiteRefusal(req({ 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:8080' }))).toBeUndefined();
    expect(crossSiteRefusal(req({ 'sec-fetch-site': 'none' }))).toBeUndefined();
    expect(crossSiteRefusal(req({ 'sec-fetch-site': 'cross-site' }))).toMatch(/cross-site/);
    expect(crossSiteRefusal(req({ 'sec-fetch-site': 'same-site' }))).toMatch(/same-site/);
    expect(crossSiteRefusal(req({ origin: 'https://evil.example' }))).toMatch(/evil\.example/);
    expect(crossSiteRefusal(req({ origin: 'null' }))).toMatch(/opaque origin/);
  });
});
