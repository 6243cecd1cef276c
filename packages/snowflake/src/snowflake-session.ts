import type {
  Connection,
  ConnectionOptions,
  FileAndStageBindStatement,
  RowStatement,
  SnowflakeError,
} from 'snowflake-sdk';
import { WarehouseError } from '@sluice/warehouse';
import {
  loadCredentials,
  SecretRedactor,
  type Credentials,
  type SnowflakeConnectionConfig,
} from './snowflake-config.js';
import { sessionSetup } from './session-parameters.js';
import type { ResultColumn } from './row-value.js';

type Sdk = typeof import('snowflake-sdk');

/** The result of one statement, values as the driver delivered them (`rowMode: 'array'`, numbers as text). */
export interface StatementResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly unknown[])[];
  /** Rows inserted, updated or deleted, for DML; undefined otherwise. */
  readonly rowsAffected: number | undefined;
}

/** How a failure should be handled. */
export type FailureKind =
  /** The session is gone or expired: log in again; the statement did not run. */
  | 'session'
  /** Network or server trouble after the driver's own retries: the statement may or may not have run. */
  | 'transient'
  /** The statement itself failed (SQL, data, permissions): repeating it would fail again. */
  | 'permanent';

/** A finished statement's columns, rows and affected-row count, as the driver delivered them. */
function statementResult(done: RowStatement | FileAndStageBindStatement, rows: unknown): StatementResult {
  const columns = (done.getColumns() ?? []).map((c) => ({
    name: c.getName(),
    type: String(c.getType()),
    scale: Number(c.getScale() ?? 0),
  }));
  const affected = (done as { getNumUpdatedRows?: () => number | undefined }).getNumUpdatedRows?.();
  return {
    columns,
    rows: (rows ?? []) as unknown as (readonly unknown[])[],
    rowsAffected: typeof affected === 'number' && affected >= 0 ? affected : undefined,
  };
}

/** Snowflake's codes for a session that must be logged in again. */
const SESSION_CODES = new Set(['390111', '390112', '390113', '390114', '390104', '390101', '390106']);
/** snowflake-sdk's codes for a connection that is not (or no longer) up, or a token the server refused. */
const DRIVER_SESSION_CODES = new Set([407001, 407002, 401004]);
/** snowflake-sdk's codes for network trouble and unreadable responses. */
const DRIVER_TRANSIENT_CODES = new Set([401001, 401002, 401003, 402001, 402002]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Classify a driver error (or anything thrown while talking to Snowflake). */
export function classifyFailure(error: unknown): FailureKind {
  const e = error as Partial<SnowflakeError> & { code?: unknown; response?: { status?: number }; cause?: unknown };
  const code = e?.code;
  // A statement cancelled by its timeout would time out again: not a network problem, whatever its words say.
  if (String(code) === '000630') return 'permanent';
  if (typeof code === 'number' && DRIVER_SESSION_CODES.has(code)) return 'session';
  if (typeof code === 'string' && SESSION_CODES.has(code)) return 'session';
  if (typeof code === 'number' && DRIVER_TRANSIENT_CODES.has(code)) return 'transient';
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'transient';
  const message = error instanceof Error ? error.message : String(error);
  if (
    /terminated connection|not connected|connection (was|is) (closed|destroyed)|session (no longer exists|(token )?(has )?expired)/i.test(
      message,
    )
  )
    return 'session';
  if (/socket hang up|network|timed? ?out|ECONNRESET|503|502|504|429|Service Unavailable|Bad Gateway/i.test(message))
    return 'transient';
  if (e?.response?.status !== undefined && (e.response.status >= 500 || e.response.status === 429)) return 'transient';
  return 'permanent';
}

/** What the session reports as it works (statements, logins). Never carries secrets. */
export type SessionEvent =
  | { readonly type: 'login'; readonly account: string; readonly user: string; readonly sessions: number }
  | { readonly type: 'statement-start'; readonly sql: string; readonly tag: string }
  | {
      readonly type: 'statement-end';
      readonly sql: string;
      readonly tag: string;
      readonly ms: number;
      readonly error?: string;
    };

/** Options of a session. */
export interface SessionOptions {
  readonly onEvent?: ((event: SessionEvent) => void) | undefined;
  /** Passed to snowflake-sdk's `configure({ logLevel })`, which is global to the process. Default 'OFF'. */
  readonly driverLogLevel?: 'OFF' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE' | undefined;
  /** The driver's request timeout in ms (default 90 s). */
  readonly timeoutMs?: number | undefined;
}

let sdkPromise: Promise<Sdk> | undefined;

/** snowflake-sdk, loaded on first use (its import probes cloud platforms: nobody pays for it who does not connect). */
function loadSdk(logLevel: SessionOptions['driverLogLevel']): Promise<Sdk> {
  sdkPromise ??= import('snowflake-sdk').then((mod) => {
    const sdk = ((mod as { default?: Sdk }).default ?? mod) as Sdk;
    sdk.configure({ logLevel: logLevel ?? 'OFF', additionalLogToConsole: false });
    return sdk;
  });
  return sdkPromise;
}

/**
 * One Snowflake session through snowflake-sdk: logs in on first use (password or key pair), sets the session up
 * (UTC, microsecond TIME output), runs statements concurrently on it, and logs in again after `reset()`. It does
 * not retry: the warehouse decides what may be repeated.
 */
export class SnowflakeSession {
  readonly #config: SnowflakeConnectionConfig;
  readonly #options: SessionOptions;
  readonly redactor: SecretRedactor;
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #closed = false;
  logins = 0;
  statements = 0;

  constructor(config: SnowflakeConnectionConfig, options: SessionOptions = {}) {
    this.#config = config;
    this.#options = options;
    this.redactor = new SecretRedactor(config);
  }

  /** Run one statement on the session (logging in first if needed). Rejects with the driver's error, unwrapped. */
  async run(
    sql: string,
    options: { readonly tag: string; readonly signal?: AbortSignal | undefined },
  ): Promise<StatementResult> {
    const connection = await this.#connect();
    this.statements++;
    this.#options.onEvent?.({ type: 'statement-start', sql, tag: options.tag });
    const started = performance.now();
    try {
      const result = await new Promise<StatementResult>((resolve, reject) => {
        let statement: RowStatement | FileAndStageBindStatement | undefined;
        const cancel = () => statement?.cancel(() => undefined);
        options.signal?.addEventListener('abort', cancel, { once: true });
        statement = connection.execute({
          sqlText: sql,
          rowMode: 'array',
          fetchAsString: ['Number', 'JSON'],
          parameters: { QUERY_TAG: options.tag },
          complete: (error, done, rows) => {
            options.signal?.removeEventListener('abort', cancel);
            if (error) {
              reject(error);
              return;
            }
            resolve(statementResult(done, rows));
          },
        });
        if (options.signal?.aborted) cancel();
      });
      this.#options.onEvent?.({ type: 'statement-end', sql, tag: options.tag, ms: performance.now() - started });
      return result;
    } catch (error) {
      this.#options.onEvent?.({
        type: 'statement-end',
        sql,
        tag: options.tag,
        ms: performance.now() - started,
        error: this.redactor.redact(error instanceof Error ? error.message : String(error)),
      });
      throw error;
    }
  }

  /**
   * Run several statements in ONE request (`MULTI_STATEMENT_COUNT`), so that Snowflake executes all of them even if
   * this process dies after sending: how a `BEGIN … COMMIT` transaction is sent whole, never left open between
   * round trips. Resolves with every statement's result, in order; rejects with the first failure (the statements
   * after it did not run — a transaction it opened is still open: the caller rolls back).
   */
  async runMany(
    sqls: readonly string[],
    options: { readonly tag: string; readonly signal?: AbortSignal | undefined },
  ): Promise<StatementResult[]> {
    if (sqls.length === 1) return [await this.run(sqls[0] as string, options)];
    const connection = await this.#connect();
    const sql = sqls.join(';\n');
    this.statements += sqls.length;
    this.#options.onEvent?.({ type: 'statement-start', sql, tag: options.tag });
    const started = performance.now();
    try {
      const results = await new Promise<StatementResult[]>((resolve, reject) => {
        const collected: StatementResult[] = [];
        let statement: RowStatement | FileAndStageBindStatement | undefined;
        const cancel = () => statement?.cancel(() => undefined);
        options.signal?.addEventListener('abort', cancel, { once: true });
        statement = connection.execute({
          sqlText: sql,
          rowMode: 'array',
          fetchAsString: ['Number', 'JSON'],
          parameters: { QUERY_TAG: options.tag, MULTI_STATEMENT_COUNT: sqls.length },
          complete: (error, done, rows) => {
            if (error) {
              options.signal?.removeEventListener('abort', cancel);
              reject(error);
              return;
            }
            collected.push(statementResult(done, rows));
            const multi = done as { hasNext?: () => boolean; NextResult?: () => void };
            if (multi.hasNext?.() === true) {
              multi.NextResult?.();
              return;
            }
            options.signal?.removeEventListener('abort', cancel);
            resolve(collected);
          },
        });
        if (options.signal?.aborted) cancel();
      });
      this.#options.onEvent?.({ type: 'statement-end', sql, tag: options.tag, ms: performance.now() - started });
      return results;
    } catch (error) {
      this.#options.onEvent?.({
        type: 'statement-end',
        sql,
        tag: options.tag,
        ms: performance.now() - started,
        error: this.redactor.redact(error instanceof Error ? error.message : String(error)),
      });
      throw error;
    }
  }

  /** Forget the current connection (closed in the background): the next statement logs in again. */
  reset(): void {
    const old = this.#connection;
    this.#connection = undefined;
    this.#connecting = undefined;
    if (old?.isUp()) old.destroy(() => undefined);
  }

  /** Log out and close. Later statements fail with `WAREHOUSE_UNAVAILABLE`. */
  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection ?? (await this.#connecting?.catch(() => undefined));
    this.#connection = undefined;
    this.#connecting = undefined;
    if (connection?.isUp()) await new Promise<void>((resolve) => connection.destroy(() => resolve()));
  }

  async #connect(): Promise<Connection> {
    if (this.#closed)
      throw new WarehouseError(
        'WAREHOUSE_UNAVAILABLE',
        `The Snowflake warehouse (account ${this.#config.account}) is closed.`,
      );
    if (this.#connection?.isUp()) return this.#connection;
    if (this.#connection) this.reset();
    this.#connecting ??= this.#login().then(
      (connection) => {
        this.#connection = connection;
        return connection;
      },
      (error: unknown) => {
        this.#connecting = undefined;
        throw error;
      },
    );
    return this.#connecting;
  }

  async #login(): Promise<Connection> {
    const sdk = await loadSdk(this.#options.driverLogLevel);
    const credentials = await loadCredentials(this.#config);
    if (credentials.kind === 'key-pair') this.redactor.add(credentials.privateKey);
    if (credentials.kind === 'oauth' || credentials.kind === 'pat') this.redactor.add(credentials.token);
    const connection = sdk.createConnection(connectionOptions(this.#config, credentials, this.#options));
    await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
    this.logins++;
    this.#options.onEvent?.({
      type: 'login',
      account: this.#config.account,
      user: this.#config.user,
      sessions: this.logins,
    });
    try {
      // Every session the same way, whatever the account's and user's defaults (see session-parameters.ts).
      this.statements++;
      await new Promise<void>((resolve, reject) =>
        connection.execute({
          sqlText: sessionSetup({ statementTimeoutSeconds: this.#config.statementTimeoutSeconds }),
          complete: (error) => (error ? reject(error) : resolve()),
        }),
      );
    } catch (error) {
      connection.destroy(() => undefined);
      throw error;
    }
    return connection;
  }

  /** Log in now (if not yet logged in), so that bad credentials or an unreachable account show at once. */
  async connect(): Promise<void> {
    await this.#connect();
  }
}

/** snowflake-sdk's connection options for a config and its credentials (pure; secrets go to the driver only). */
export function connectionOptions(
  config: SnowflakeConnectionConfig,
  credentials: Credentials,
  options: Pick<SessionOptions, 'timeoutMs'> = {},
): ConnectionOptions {
  const auth: Record<string, unknown> =
    credentials.kind === 'password'
      ? { password: credentials.password }
      : credentials.kind === 'key-pair'
        ? { authenticator: 'SNOWFLAKE_JWT', privateKey: credentials.privateKey }
        : credentials.kind === 'oauth'
          ? { authenticator: 'OAUTH', token: credentials.token }
          : credentials.kind === 'pat'
            ? { authenticator: 'PROGRAMMATIC_ACCESS_TOKEN', token: credentials.token }
            : {
                authenticator: 'EXTERNALBROWSER',
                ...(config.openBrowser ? { openExternalBrowserCallback: config.openBrowser } : {}),
                ...(config.browserConsoleLogin ? { disableConsoleLogin: false } : {}),
              };
  const proxy = config.proxy;
  return {
    account: config.account,
    username: config.user,
    warehouse: config.warehouse,
    database: config.database,
    application: 'Sluice',
    representNullAsStringNull: false,
    clientSessionKeepAlive: config.keepAlive ?? true,
    ...(config.schema ? { schema: config.schema } : {}),
    ...(config.role ? { role: config.role } : {}),
    ...(config.accessUrl ? { accessUrl: config.accessUrl } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(proxy
      ? {
          proxyHost: proxy.host,
          proxyPort: proxy.port,
          proxyProtocol: proxy.protocol ?? 'http',
          ...(proxy.user ? { proxyUser: proxy.user, proxyPassword: proxy.password } : {}),
          ...(proxy.noProxy ? { noProxy: proxy.noProxy } : {}),
        }
      : {}),
    ...auth,
  } as ConnectionOptions;
}
