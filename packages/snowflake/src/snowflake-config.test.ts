import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkConnectionConfig, loadCredentials, SecretRedactor } from './snowflake-config.js';

const base = { account: 'myorg-acct', user: 'SLUICE', warehouse: 'WH', database: 'DB' };

describe('the connection config', () => {
  it('lists every problem', () => {
    expect(checkConnectionConfig({ ...base, password: 'pw' })).toEqual([]);
    expect(checkConnectionConfig({ account: '', user: 'u', warehouse: '', database: 'd' })).toEqual([
      'account is required',
      'warehouse is required',
      'give a password or a private key (private_key_path), from the environment',
    ]);
    expect(checkConnectionConfig({ ...base, password: 'pw', privateKeyPath: '/k.p8', accessUrl: 'ftp://x' })).toEqual([
      'give a password or a private key, not both',
      'access_url must be an http(s) URL, not ftp:',
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

  it('redacts passwords, passphrases, keys and tokens from any text', () => {
    const redactor = new SecretRedactor({ ...base, password: 'hunter22', privateKeyPassphrase: 'open sesame' });
    expect(redactor.redact('login hunter22 failed; key open sesame; Snowflake Token="ST:abcdefghijkl"')).toBe(
      'login ***** failed; key *****; Snowflake Token="*****"',
    );
    expect(redactor.redact('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----')).toBe('*****');
  });
});
