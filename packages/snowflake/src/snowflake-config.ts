import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { WarehouseError } from '@sluice/warehouse';

/**
 * How to sign in, by Snowflake's names for the driver's authenticators
 * (https://docs.snowflake.com/en/developer-guide/node-js/nodejs-driver-authenticate):
 *
 * - `snowflake`: a password (not allowed for a `TYPE = SERVICE` user);
 * - `snowflake_jwt`: a key pair (`privateKey` or `privateKeyPath`);
 * - `oauth`: an OAuth access token (`token` or `tokenPath`) from your identity provider or a Snowflake OAuth
 *   integration;
 * - `programmatic_access_token`: a programmatic access token (`token` or `tokenPath`);
 * - `externalbrowser`: a person at a desk signs in in their web browser (SSO); never for a scheduler.
 */
export type SnowflakeAuthenticator =
  | 'snowflake'
  | 'snowflake_jwt'
  | 'oauth'
  | 'programmatic_access_token'
  | 'externalbrowser';

/** The authenticators, as `authenticator:` in sluice.yml takes them. */
export const SNOWFLAKE_AUTHENTICATORS: readonly SnowflakeAuthenticator[] = [
  'snowflake',
  'snowflake_jwt',
  'oauth',
  'programmatic_access_token',
  'externalbrowser',
];

/** An HTTP(S) proxy between Sluice and Snowflake (snowflake-sdk's `proxyHost`, `proxyPort`, …). */
export interface SnowflakeProxy {
  readonly host: string;
  readonly port: number;
  /** `http` (default) or `https`: how Sluice talks to the proxy. */
  readonly protocol?: 'http' | 'https';
  readonly user?: string;
  readonly password?: string;
  /** Hosts reached directly, `|`-separated, `*` as a wildcard (`*.internal|10.0.0.1`). */
  readonly noProxy?: string;
}

/**
 * Where and as whom to connect. Secrets (`password`, `privateKey`, `privateKeyPassphrase`, `token`, the proxy's
 * password) should come from the environment (`${env:…}` in sluice.yml); they never appear in errors, events or
 * statistics.
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
  /** How to sign in; default: from the credentials given (a key → `snowflake_jwt`, a password → `snowflake`). */
  readonly authenticator?: SnowflakeAuthenticator;
  /** Password sign-in (`snowflake`). */
  readonly password?: string;
  /** Key-pair sign-in: the private key, PEM (PKCS#8, encrypted or not) … */
  readonly privateKey?: string;
  /** … or the path of a PEM file holding it. */
  readonly privateKeyPath?: string;
  /** Passphrase of an encrypted private key. */
  readonly privateKeyPassphrase?: string;
  /** `oauth` / `programmatic_access_token`: the token … */
  readonly token?: string;
  /** … or a file holding it, read again at every sign-in (so a token refreshed on disk is picked up). */
  readonly tokenPath?: string;
  /** `externalbrowser`: open this URL in the user's browser (default: the driver opens the system browser). */
  readonly openBrowser?: (url: string) => void;
  /**
   * `externalbrowser`: sign in on Snowflake's own login page instead of the identity provider's (snowflake-sdk's
   * `disableConsoleLogin: false`). Default false.
   */
  readonly browserConsoleLogin?: boolean;
  /**
   * A full URL to reach the account at instead of `https://<account>.snowflakecomputing.com` (PrivateLink, or the
   * emulator: `http://127.0.0.1:4566`).
   */
  readonly accessUrl?: string;
  /** An HTTP proxy (default: none, or `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` from the environment). */
  readonly proxy?: SnowflakeProxy;
  /**
   * Cancel a statement that runs longer than this (the session's `STATEMENT_TIMEOUT_IN_SECONDS`; Snowflake applies
   * the lower of this and the warehouse's own). Default: the account's setting.
   */
  readonly statementTimeoutSeconds?: number;
  /**
   * Keep the session alive with a heartbeat every hour (snowflake-sdk's `clientSessionKeepAlive`), so a run longer
   * than the four hours a session lives idle does not have to sign in again mid-run. Default true.
   */
  readonly keepAlive?: boolean;
}

/** How the driver signs in. */
export type Credentials =
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'key-pair'; readonly privateKey: string }
  | { readonly kind: 'oauth'; readonly token: string }
  | { readonly kind: 'pat'; readonly token: string }
  | { readonly kind: 'externalbrowser' };

/** The authenticator a config signs in with: the one given, else the one its credentials imply. */
export function authenticatorOf(config: SnowflakeConnectionConfig): SnowflakeAuthenticator | undefined {
  if (config.authenticator !== undefined) return config.authenticator;
  if (config.privateKey || config.privateKeyPath) return 'snowflake_jwt';
  if (config.password) return 'snowflake';
  return undefined;
}

/**
 * Check a connection config, returning every problem found (empty when it can be used): the required names,
 * exactly the credential the authenticator needs (and no other), an access URL that is a URL, a whole proxy.
 */
export function checkConnectionConfig(config: SnowflakeConnectionConfig): string[] {
  const problems: string[] = [];
  for (const key of ['account', 'user', 'warehouse', 'database'] as const) {
    if (typeof config[key] !== 'string' || config[key].trim() === '') problems.push(`${key} is required`);
  }
  const given = {
    password: Boolean(config.password),
    key: Boolean(config.privateKey) || Boolean(config.privateKeyPath),
    token: Boolean(config.token) || Boolean(config.tokenPath),
  };
  if (config.authenticator !== undefined && !SNOWFLAKE_AUTHENTICATORS.includes(config.authenticator)) {
    problems.push(
      `authenticator must be one of ${SNOWFLAKE_AUTHENTICATORS.join(', ')}, not ${String(config.authenticator)}`,
    );
  }
  const authenticator = authenticatorOf(config);
  const needs: Record<SnowflakeAuthenticator, keyof typeof given | undefined> = {
    snowflake: 'password',
    snowflake_jwt: 'key',
    oauth: 'token',
    programmatic_access_token: 'token',
    externalbrowser: undefined,
  };
  const label = {
    password: 'a password',
    key: 'a private key (private_key_path)',
    token: 'a token (token or token_path)',
  };
  if (authenticator === undefined) {
    problems.push(
      given.token
        ? 'a token needs authenticator: oauth or programmatic_access_token'
        : 'give a private key (private_key_path), a token with its authenticator, or a password, from the environment; or authenticator: externalbrowser',
    );
  } else if (SNOWFLAKE_AUTHENTICATORS.includes(authenticator)) {
    const needed = needs[authenticator];
    if (needed !== undefined && !given[needed]) problems.push(`authenticator ${authenticator} needs ${label[needed]}`);
    const extra = (Object.keys(given) as (keyof typeof given)[]).filter((k) => given[k] && k !== needed);
    if (extra.length > 0) {
      problems.push(
        config.authenticator === undefined && given.password && given.key
          ? 'give a password or a private key, not both'
          : `authenticator ${authenticator} does not use ${extra.map((k) => label[k]).join(' or ')}; remove it`,
      );
    }
  }
  if (config.privateKey && config.privateKeyPath) problems.push('give the private key or its path, not both');
  if (config.token && config.tokenPath) problems.push('give the token or its path (token_path), not both');
  if (config.accessUrl !== undefined) {
    try {
      const url = new URL(config.accessUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        problems.push(`access_url must be an http(s) URL, not ${url.protocol}`);
    } catch {
      problems.push('access_url is not a URL');
    }
  }
  if (config.proxy !== undefined) {
    const { host, port, user, password } = config.proxy;
    if (!host) problems.push('proxy.host is required');
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push('proxy.port must be a port number');
    if (Boolean(user) !== Boolean(password)) problems.push('proxy.user and proxy.password go together');
  }
  if (
    config.statementTimeoutSeconds !== undefined &&
    (!Number.isInteger(config.statementTimeoutSeconds) || config.statementTimeoutSeconds < 0)
  ) {
    problems.push('statement_timeout_seconds must be a whole number of seconds (0: no limit)');
  }
  return problems;
}

/**
 * The credentials to sign in with. A key file is read and, with a passphrase, decrypted here (the driver is given
 * a plain PKCS#8 PEM), so a wrong passphrase or an unreadable file is reported before any network call; a token
 * file is read at every sign-in.
 */
export async function loadCredentials(config: SnowflakeConnectionConfig): Promise<Credentials> {
  const authenticator = authenticatorOf(config);
  if (authenticator === 'externalbrowser') return { kind: 'externalbrowser' };
  if (authenticator === 'oauth' || authenticator === 'programmatic_access_token') {
    const token = config.token ?? (config.tokenPath === undefined ? undefined : await readToken(config.tokenPath));
    if (!token)
      throw new WarehouseError('WAREHOUSE_UNAVAILABLE', `Sign-in with ${authenticator} needs a token; none was given.`);
    return { kind: authenticator === 'oauth' ? 'oauth' : 'pat', token };
  }
  if (authenticator === 'snowflake' && config.password) return { kind: 'password', password: config.password };
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
    throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'No Snowflake password, private key or token was given.');
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

async function readToken(tokenPath: string): Promise<string> {
  try {
    return (await readFile(tokenPath, 'utf8')).trim();
  } catch (error) {
    throw new WarehouseError(
      'WAREHOUSE_UNAVAILABLE',
      `Could not read the Snowflake token file ${tokenPath}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}. Check token_path.`,
    );
  }
}

/** Replaces every secret of a config (and text derived from them) by `*****` in messages. */
export class SecretRedactor {
  readonly #secrets: string[];

  constructor(config: SnowflakeConnectionConfig) {
    this.#secrets = [
      config.password,
      config.privateKeyPassphrase,
      config.privateKey,
      config.token,
      config.proxy?.password,
    ]
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
