import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { loadPublicKey, verifyLoginJwt } from './key-pair-auth.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const registered = loadPublicKey(publicPem, 'SLUICE');

function jwt(claims: Record<string, unknown>, key = privateKey, alg = 'RS256'): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg, typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${sign('RSA-SHA256', Buffer.from(body), createPrivateKey(key.export({ format: 'pem', type: 'pkcs8' }))).toString('base64url')}`;
}

const now = Date.now();
const good = { iss: `EMULATOR.SLUICE.${registered.fingerprint}`, sub: 'EMULATOR.SLUICE', iat: now, exp: now + 60_000 };
const expected = { account: 'emulator', user: 'sluice', key: registered.key, fingerprint: registered.fingerprint };

describe('verifyLoginJwt', () => {
  test('accepts a token signed by the registered key with Snowflake claims (milliseconds, as snowflake-sdk sends)', () => {
    expect(verifyLoginJwt(jwt(good), expected, now)).toBeUndefined();
  });

  test('accepts claims in seconds too', () => {
    expect(
      verifyLoginJwt(jwt({ ...good, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 60 }), expected, now),
    ).toBeUndefined();
  });

  test('refuses a token signed by another key', () => {
    expect(verifyLoginJwt(jwt(good, other.privateKey), expected, now)).toMatch(/signature/);
  });

  test('refuses a wrong subject, a wrong issuer fingerprint, an expired or too long-lived token', () => {
    expect(verifyLoginJwt(jwt({ ...good, sub: 'EMULATOR.OTHER' }), expected, now)).toMatch(/subject/);
    expect(verifyLoginJwt(jwt({ ...good, iss: 'EMULATOR.SLUICE.SHA256:abc' }), expected, now)).toMatch(/issuer/);
    expect(verifyLoginJwt(jwt({ ...good, exp: now - 1000 }), expected, now)).toMatch(/expired/);
    expect(verifyLoginJwt(jwt({ ...good, exp: now + 7_200_000 }), expected, now)).toMatch(/longer than one hour/);
  });

  test('refuses other algorithms and garbage', () => {
    expect(verifyLoginJwt(jwt(good, privateKey, 'HS256'), expected, now)).toMatch(/RS256/);
    expect(verifyLoginJwt('not-a-jwt', expected, now)).toMatch(/not a JWT/);
  });

  test('a configured key that is not a public RSA key is an options error', () => {
    expect(() => loadPublicKey('-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----', 'X')).toThrow(
      /not a readable PEM/,
    );
  });
});
