import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConnectionConfig, loadCredentials, SecretRedactor } from './snowflake-config.js';

const base = { account: 'myorg-acct', user: 'SLUICE', warehouse: 'WH', database: 'DB' };

describe('the connection config', () => {
  it('lists every problem', () => {
    expect(checkConnectionConfig({ ...base, password: 'pw' })).toEqual([]);
    expect(checkConnectionConfig({ account: '', user: 'u', warehouse: '', database: 'd' })).toEqual([
      'account is required',
      'warehouse is required',
      'give a private key (private_key_path), a token with its authenticator, or a password, from the environment; or authenticator: externalbrowser',
    ]);
    expect(checkConnectionConfig({ ...base, password: 'pw', privateKeyPath: '/k.p8', accessUrl: 'ftp://x' })).toEqual([
      'give a password or a private key, not both',
      'access_url must be an http(s) URL, not ftp:',
    ]);
  });

  it('checks that the credential matches the authenticator, and the proxy and timeout', () => {
    expect(checkConnectionConfig({ ...base, authenticator: 'oauth', token: 't' })).toEqual([]);
    expect(checkConnectionConfig({ ...base, authenticator: 'programmatic_access_token', tokenPath: '/t' })).toEqual([]);
    expect(checkConnectionConfig({ ...base, authenticator: 'externalbrowser' })).toEqual([]);
    expect(checkConnectionConfig({ ...base, token: 't' })).toEqual([
      'a token needs authenticator: oauth or programmatic_access_token',
    ]);
    expect(checkConnectionConfig({ ...base, authenticator: 'oauth' })).toEqual([
      'authenticator oauth needs a token (token or token_path)',
    ]);
    expect(
      checkConnectionConfig({ ...base, authenticator: 'snowflake_jwt', privateKeyPath: '/k', password: 'pw' }),
    ).toEqual(['authenticator snowflake_jwt does not use a password; remove it']);
    expect(
      checkConnectionConfig({
        ...base,
        password: 'pw',
        proxy: { host: '', port: 70000, user: 'u' },
        statementTimeoutSeconds: -1,
      }),
    ).toEqual([
      'proxy.host is required',
      'proxy.port must be a port number',
      'proxy.user and proxy.password go together',
      'statement_timeout_seconds must be a whole number of seconds (0: no limit)',
    ]);
  });

  it('decrypts an encrypted key with its passphrase, and says what is wrong otherwise, without the secrets', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const encrypted = privateKey
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'open sesame' })
      .toString();
    const credentials = await loadCredentials({ ...base, privateKey: encrypted, privateKeyPassphrase: 'open sesame' });
    expect(credentials.kind).toBe('key-pair');
    expect(credentials.kind === 'key-pair' && credentials.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const wrong = await loadCredentials({ ...base, privateKey: encrypted, privateKeyPassphrase: 'wrong pass' }).catch(
      (e: Error) => e,
    );
    expect(wrong).toMatchObject({
      code: 'WAREHOUSE_UNAVAILABLE',
      message: 'The Snowflake private key cannot be used: the passphrase does not open it.',
    });
    expect(await loadCredentials({ ...base, privateKey: encrypted }).catch((e: Error) => e.message)).toMatch(
      /no passphrase was given/,
    );
    expect(
      await loadCredentials({ ...base, privateKeyPath: '/nonexistent/key.p8' }).catch((e: Error) => e.message),
    ).toMatch(/Could not read .*ENOENT/);
  });

  it('reads a token from its file at every sign-in', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-token-'));
    const file = path.join(dir, 'token');
    await writeFile(file, 'first-token\n');
    const config = { ...base, authenticator: 'oauth' as const, tokenPath: file };
    expect(await loadCredentials(config)).toEqual({ kind: 'oauth', token: 'first-token' });
    await writeFile(file, 'second-token');
    expect(await loadCredentials(config)).toEqual({ kind: 'oauth', token: 'second-token' });
    expect(await loadCredentials({ ...base, authenticator: 'externalbrowser' })).toEqual({ kind: 'externalbrowser' });
    await rm(dir, { recursive: true, force: true });
  });

  it('redacts passwords, passphrases, keys and tokens from any text', () => {
    const redactor = new SecretRedactor({
      ...base,
      password: 'hunter22',
      privateKeyPassphrase: 'open sesame',
      token: 'tok-secret-9',
    });
    expect(redactor.redact('oauth tok-secret-9 refused')).toBe('oauth ***** refused');
    expect(redactor.redact('login hunter22 failed; key open sesame; Snowflake Token="ST:abcdefghijkl"')).toBe(
      'login ***** failed; key *****; Snowflake Token="*****"',
    );
    expect(redactor.redact('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----')).toBe('*****');
  });
});
