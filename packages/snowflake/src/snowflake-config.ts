import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { WarehouseError } from '@sluice/warehouse';

/**
 * Where and as whom to connect. Secrets (`password`, `privateKey`, `privateKeyPassphrase`) should come from the
 * environment (`${env:…}` in sluice.yml); they never appear in errors, events or statistics.
 */
export interface SnowflakeConnectionConfig {
  /** Account identifier: `orgname-account_name`, or the account locator with region (`xy12345.eu-central-1`). */
  readonly account: string;
  readonly user: string;
  /** Role to use; default: the user's default role. */
  readonly role?: string;
  /** Virtual warehouse for the statements that need compute (COPY, MERGE, queries over tables). */
  readonly warehouse: string;
  /** Database (must exist): every schema Sluice writes lives in it. */
  readonly database: string;
  /** The session's schema (the target schema of the models); need not exist. */
  readonly schema?: string;
  /** Password login. */
  readonly password?: string;
  /** Key-pair login: the private key, PEM (PKCS#8, encrypted or not) … */
  readonly privateKey?: string;
  /** … or the path of a PEM file holding it. */
  readonly privateKeyPath?: string;
  /** Passphrase of an encrypted private key. */
  readonly privateKeyPassphrase?: string;
  /**
   * A full URL to reach the account at instead of `https://<account>.snowflakecomputing.com` (PrivateLink, or the
   * emulator: `http://127.0.0.1:4566`).
   */
  readonly accessUrl?: string;
}

/** How the driver logs in. */
export type Credentials =
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'key-pair'; readonly privateKey: string };

/**
 * Check a connection config, returning every problem found (empty when it can be used): the required names,
 * exactly one of password and private key, and an access URL that is a URL.
 */
export function checkConnectionConfig(config: SnowflakeConnectionConfig): string[] {
  const problems: string[] = [];
  for (const key of ['account', 'user', 'warehouse', 'database'] as const) {
    if (typeof config[key] !== 'string' || config[key].trim() === '') problems.push(`${key} is required`);
  }
  const keyGiven = Boolean(config.privateKey) || Boolean(config.privateKeyPath);
  if (!config.password && !keyGiven)
    problems.push('give a password or a private key (private_key_path), from the environment');
  if (config.password && keyGiven) problems.push('give a password or a private key, not both');
  if (config.privateKey && config.privateKeyPath) problems.push('give the private key or its path, not both');
  if (config.accessUrl !== undefined) {
    try {
      const url = new URL(config.accessUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        problems.push(`access_url must be an http(s) URL, not ${url.protocol}`);
    } catch {
      problems.push('access_url is not a URL');
    }
  }
  return problems;
}

/**
 * The credentials to log in with. A key file is read and, with a passphrase, decrypted here (the driver is given
 * a plain PKCS#8 PEM), so a wrong passphrase or an unreadable file is reported before any network call.
 */
export async function loadCredentials(config: SnowflakeConnectionConfig): Promise<Credentials> {
  if (config.password) return { kind: 'password', password: config.password };
  let pem = config.privateKey;
  if (pem === undefined && config.privateKeyPath !== undefined) {
    try {
      pem = await readFile(config.privateKeyPath, 'utf8');
    } catch (error) {
      throw new WarehouseError(
        'WAREHOUSE_UNAVAILABLE',
        `Could not read the Snowflake private key file ${config.privateKeyPath}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}. Check private_key_path.`,
      );
    }
  }
  if (pem === undefined)
    throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'No Snowflake password or private key was given.');
  try {
    const key = createPrivateKey({
      key: pem,
      format: 'pem',
      ...(config.privateKeyPassphrase ? { passphrase: config.privateKeyPassphrase } : {}),
    });
    return { kind: 'key-pair', privateKey: key.export({ format: 'pem', type: 'pkcs8' }).toString() };
  } catch (error) {
    const encrypted = /ENCRYPTED/.test(pem);
    const hint = encrypted
      ? config.privateKeyPassphrase
        ? 'the passphrase does not open it'
        : 'it is encrypted and no passphrase was given (private_key_passphrase)'
      : 'it is not a PEM private key';
    throw new WarehouseError(
      'WAREHOUSE_UNAVAILABLE',
      `The Snowflake private key${config.privateKeyPath ? ` in ${config.privateKeyPath}` : ''} cannot be used: ${hint}.`,
      {
        cause: new Error((error as Error).name),
      },
    );
  }
}

/** Replaces every secret of a config (and text derived from them) by `*****` in messages. */
export class SecretRedactor {
  readonly #secrets: string[];

  constructor(config: SnowflakeConnectionConfig) {
    this.#secrets = [config.password, config.privateKeyPassphrase, config.privateKey]
      .filter((s): s is string => typeof s === 'string' && s.length >= 3)
      .sort((a, b) => b.length - a.length);
  }

  /** Add a secret found later (the decrypted key). */
  add(secret: string): void {
    if (secret.length >= 3 && !this.#secrets.includes(secret)) {
      this.#secrets.push(secret);
      this.#secrets.sort((a, b) => b.length - a.length);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('*****');
    // PEM blocks and tokens a driver message might echo.
    out = out.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '*****');
    return out.replace(/(Snowflake Token=|token["']?\s*[:=]\s*["']?)[A-Za-z0-9:+/=_.-]{8,}/gi, '$1*****');
  }
}
