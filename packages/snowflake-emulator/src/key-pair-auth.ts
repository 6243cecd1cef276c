import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { SnowflakeEmulatorError } from './emulator-error.js';

/** Parse a configured RSA public key (PEM, SPKI or PKCS#1) and compute Snowflake's fingerprint of it. */
export function loadPublicKey(pem: string, user: string): { key: KeyObject; fingerprint: string } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SnowflakeEmulatorError(
      'INVALID_OPTIONS',
      `The public key configured for user ${user} is not a readable PEM public key: ${(error as Error).message}.`,
      { cause: error },
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SnowflakeEmulatorError(
      'INVALID_OPTIONS',
      `The public key configured for user ${user} is ${key.asymmetricKeyType ?? 'not RSA'}; Snowflake key-pair authentication uses RSA keys.`,
    );
  }
  return { key, fingerprint: publicKeyFingerprint(key) };
}

/** `SHA256:<base64 of the SHA-256 of the DER SPKI>` — what Snowflake stores as RSA_PUBLIC_KEY_FP. */
export function publicKeyFingerprint(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
}

function decodeSegment(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** The claims of a key-pair login token that the emulator checks. */
export interface JwtClaims {
  readonly iss: string;
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
}

/** Seconds, whether the client sent seconds or (as snowflake-sdk 3.x does) milliseconds. */
function seconds(value: number): number {
  return value > 1e11 ? value / 1000 : value;
}

/**
 * Verify a key-pair login JWT as Snowflake does: RS256 signature valid for the user's public key,
 * `sub` = `ACCOUNT.USER`, `iss` = `ACCOUNT.USER.SHA256:<fingerprint of that key>`, not expired, and living at
 * most an hour. Returns a reason when the token is refused (the caller answers with 390144).
 */
export function verifyLoginJwt(
  token: string,
  expected: { account: string; user: string; key: KeyObject; fingerprint: string },
  now = Date.now(),
): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return 'the token is not a JWT (three dot-separated parts)';
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: Partial<JwtClaims>;
  try {
    header = decodeSegment(headerPart) as { alg?: string };
    claims = decodeSegment(payloadPart) as Partial<JwtClaims>;
  } catch {
    return 'the token header or payload is not base64url JSON';
  }
  if (header.alg !== 'RS256') return `the token is signed with ${String(header.alg)}, not RS256`;
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${headerPart}.${payloadPart}`),
    expected.key,
    Buffer.from(signaturePart, 'base64url'),
  );
  if (!signed) return 'the signature does not match the public key registered for the user';
  const account = expected.account.toUpperCase();
  const user = expected.user.toUpperCase();
  if (claims.sub !== `${account}.${user}`)
    return `the subject is '${String(claims.sub)}', expected '${account}.${user}'`;
  if (claims.iss !== `${account}.${user}.${expected.fingerprint}`) {
    return `the issuer '${String(claims.iss)}' does not name the registered key (${account}.${user}.${expected.fingerprint})`;
  }
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return 'the token has no iat/exp claims';
  const nowSeconds = now / 1000;
  if (seconds(claims.exp) < nowSeconds) return 'the token has expired';
  if (seconds(claims.exp) - seconds(claims.iat) > 3600) return 'the token lives longer than one hour';
  return undefined;
}
