import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, type KeyObject } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { DuckDbEngine } from './duckdb-engine.js';
import { SnowflakeEmulatorError } from './emulator-error.js';
import { StatsRecorder, type EmulatorStats } from './emulator-stats.js';
import { FaultController, type FaultRule } from './fault-controller.js';
import { loadPublicKey, verifyLoginJwt } from './key-pair-auth.js';
import { MetadataStore } from './metadata-store.js';
import { errorBody, QueryService, type QueryRequestBody, type ResponseBody } from './query-service.js';
import { checkedParameter } from './session-parameter-rules.js';
import { MASTER_TOKEN_VALIDITY, SESSION_TOKEN_VALIDITY, Session, type ParameterValue } from './session.js';
import { quoteIdent, quoteString } from './sql/syntax-tree.js';
import { namedStageDir } from './stage-area.js';
import type { ExecutorServices } from './execution-context.js';

/** A user the emulator lets log in: with a password, a key pair, or both. */
export interface EmulatorUser {
  /** Login name (matched case-insensitively, as Snowflake does). */
  readonly name: string;
  readonly password?: string;
  /** RSA public key (PEM) for key-pair (SNOWFLAKE_JWT) login. */
  readonly publicKeyPem?: string;
  /**
   * `SERVICE` users cannot sign in with a password or SSO (https://docs.snowflake.com/en/user-guide/admin-user-management);
   * default `PERSON`.
   */
  readonly type?: 'PERSON' | 'SERVICE';
  /** OAuth access tokens accepted for this user (authenticator OAUTH). */
  readonly oauthTokens?: readonly string[];
  /** Programmatic access tokens accepted for this user (authenticator PROGRAMMATIC_ACCESS_TOKEN). */
  readonly programmaticAccessTokens?: readonly string[];
}

/** Options of {@link startSnowflakeEmulator}. */
export interface SnowflakeEmulatorOptions {
  /** Where the DuckDB files, stages and metadata live; created if missing. */
  readonly dataDir: string;
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Who may log in. When omitted, any user name with any password is accepted (key-pair logins too, unchecked). */
  readonly users?: readonly EmulatorUser[];
  /** Fault rules active from the start (more can be added through `faults`). */
  readonly faults?: readonly FaultRule[];
  /** Databases to create at start when they do not exist yet. */
  readonly databases?: readonly string[];
  /**
   * How long a query request waits for its result before answering "in progress" (333333) and letting the
   * driver poll `getResultUrl`. Snowflake waits about 45 seconds; tests use less to exercise polling.
   */
  readonly resultWaitMs?: number;
  /**
   * Session parameters set at the account level (`ALTER ACCOUNT SET …`): every session starts with them instead of
   * Snowflake's defaults. `HOSTILE_ACCOUNT_PARAMETERS` is a set that breaks clients that do not pin what they need.
   */
  readonly accountParameters?: Readonly<Record<string, string | number | boolean>>;
}

/** A running emulator. */
export interface SnowflakeEmulator {
  /** `http://host:port` — pass it to snowflake-sdk as `accessUrl`. */
  readonly url: string;
  readonly port: number;
  /** Fault injection for tests. */
  readonly faults: FaultController;
  /** What the emulator has seen so far (statements with their query tags, logins, PUT bytes, compute use). */
  stats(): EmulatorStats;
  /** Stop serving, end every session and close DuckDB. */
  stop(): Promise<void>;
}

interface ConfiguredUser {
  readonly name: string;
  readonly password: string | undefined;
  readonly key: { key: KeyObject; fingerprint: string } | undefined;
  readonly type: 'PERSON' | 'SERVICE';
  readonly oauthTokens: readonly string[];
  readonly programmaticAccessTokens: readonly string[];
}

/** The authenticators the emulator accepts at login (snowflake-sdk's names). */
const AUTHENTICATORS = new Set(['SNOWFLAKE', 'SNOWFLAKE_JWT', 'OAUTH', 'PROGRAMMATIC_ACCESS_TOKEN', 'EXTERNALBROWSER']);

const json = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};

const ok = (data: unknown, message: string | null = null): ResponseBody => ({
  data,
  code: null,
  message,
  success: true,
});

const failure = (code: string, message: string, data: Record<string, unknown> = {}): ResponseBody => ({
  data: { ...data, errorCode: code },
  code,
  message,
  success: false,
  headers: null,
});

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let data = Buffer.concat(chunks);
  if (data.length === 0) return undefined;
  if ((req.headers['content-encoding'] ?? '').includes('gzip')) data = gunzipSync(data);
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}

function sessionToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  const m = /Snowflake Token="([^"]*)"/.exec(header);
  return m?.[1];
}

/**
 * Start a local server that speaks snowflake-sdk's HTTP protocol (login, queries, result polling, PUT/GET
 * with the LOCAL_FS stage type, session renewal and deletion, heartbeat, telemetry) and runs the SQL in DuckDB.
 *
 * @example
 * const emulator = await startSnowflakeEmulator({ dataDir: '/tmp/sf', users: [{ name: 'sluice', password: 'pw' }] });
 * const conn = snowflake.createConnection({ account: 'emulator', username: 'sluice', password: 'pw', accessUrl: emulator.url });
 */
export async function startSnowflakeEmulator(options: SnowflakeEmulatorOptions): Promise<SnowflakeEmulator> {
  if (!options.dataDir)
    throw new SnowflakeEmulatorError(
      'INVALID_OPTIONS',
      'startSnowflakeEmulator needs a dataDir where its DuckDB files and stages are kept.',
    );
  const users = options.users?.map(
    (u): ConfiguredUser => ({
      name: u.name,
      password: u.password,
      key: u.publicKeyPem === undefined ? undefined : loadPublicKey(u.publicKeyPem, u.name),
      type: u.type ?? 'PERSON',
      oauthTokens: u.oauthTokens ?? [],
      programmaticAccessTokens: u.programmaticAccessTokens ?? [],
    }),
  );
  if (options.accountParameters) {
    for (const [name, value] of Object.entries(options.accountParameters)) checkedParameter(name.toUpperCase(), value);
  }
  /** Browser sign-ins completed on `/console/login`, by the token the driver sends back: user and proof key. */
  const browserTickets = new Map<string, { readonly user: string; readonly proofKey: string }>();
  await mkdir(options.dataDir, { recursive: true });
  const engine = await DuckDbEngine.open(options.dataDir);
  for (const name of options.databases ?? []) {
    if (engine.databaseName(name) === undefined) await engine.createDatabase(name);
  }
  const metadata = new MetadataStore(options.dataDir);
  const stats = new StatsRecorder();
  const sessions = new Map<string, Session>();
  const warehouses = new Set<string>();

  const services: ExecutorServices = {
    engine,
    metadata,
    dataDir: options.dataDir,
    warehouses,
    onUpload: (sessionId, upload) => stats.expectUpload(sessionId, upload),
    sessions: () => sessions.values(),
  };
  const queries = new QueryService({ engine, services, stats, resultWaitMs: options.resultWaitMs ?? 45_000 });
  const faults = new FaultController((mode) => {
    let n = 0;
    for (const s of sessions.values()) {
      s.tokenState = mode === 'gone' ? 'gone' : 'expired';
      if (mode === 'master-expired') s.masterExpiresAt = Date.now() - 1;
      n++;
    }
    return n;
  }, options.faults ?? []);

  const closeSession = async (session: Session): Promise<void> => {
    if (session.closed) return;
    session.closed = true;
    sessions.delete(session.id);
    await engine.exclusive(async () => {
      const conn = session.connection;
      if (session.inTransaction) await conn.run('ROLLBACK').catch(() => undefined);
      for (const t of session.temporaryTables) {
        await conn
          .run(`DROP TABLE IF EXISTS ${quoteIdent(t.database)}.${quoteIdent(t.schema)}.${quoteIdent(t.name)}`)
          .catch(() => undefined);
      }
      conn.closeSync();
    });
    for (const stage of metadata.dropSessionObjects(session.id)) {
      await rm(namedStageDir(options.dataDir, stage.database, stage.schema, stage.name), {
        recursive: true,
        force: true,
      });
    }
  };

  const findByToken = (token: string | undefined): Session | undefined => {
    if (token === undefined) return undefined;
    for (const s of sessions.values()) if (s.token === token) return s;
    return undefined;
  };
  const findByMasterToken = (token: string | undefined): Session | undefined => {
    if (token === undefined) return undefined;
    for (const s of sessions.values()) if (s.masterToken === token) return s;
    return undefined;
  };

  /** The session of an authenticated request, or the Snowflake error to answer with. */
  const authenticate = (req: IncomingMessage): Session | ResponseBody => {
    const session = findByToken(sessionToken(req));
    if (!session) return failure('390104', 'Invalid session token. The session may have been closed; log in again.');
    if (session.tokenState === 'gone')
      return failure('390111', 'Session no longer exists.  New login required to access the service.');
    if (session.tokenState === 'expired' || Date.now() > session.tokenExpiresAt) {
      session.tokenState = 'expired';
      return failure('390112', 'Session token has expired.');
    }
    return session;
  };

  const login = async (req: IncomingMessage, url: URL): Promise<ResponseBody> => {
    const body = ((await readBody(req)) ?? {}) as { data?: Record<string, unknown> };
    const data = body.data ?? {};
    const loginName = String(data.LOGIN_NAME ?? '');
    const account = String(data.ACCOUNT_NAME ?? 'EMULATOR');
    const authenticator = String(data.AUTHENTICATOR ?? 'SNOWFLAKE').toUpperCase();
    const refuse = (code: string, message: string): ResponseBody => {
      stats.failedLogins++;
      return failure(code, message, {
        nextAction: 'RETRY_LOGIN',
        authnMethod: authenticator === 'SNOWFLAKE_JWT' ? 'KEY_PAIR' : 'USERNAME_PASSWORD',
        signInOptions: {},
      });
    };
    if (!AUTHENTICATORS.has(authenticator)) {
      return refuse('390190', `The authenticator ${authenticator} is not supported by the emulator.`);
    }
    let userName = loginName;
    if (authenticator === 'EXTERNALBROWSER') {
      const ticket = browserTickets.get(String(data.TOKEN ?? ''));
      if (!ticket || ticket.proofKey !== String(data.PROOF_KEY ?? ''))
        return refuse('390195', 'The provided SAML response is invalid or the proof key does not match.');
      browserTickets.delete(String(data.TOKEN));
      userName = ticket.user;
    } else if (users) {
      const user = users.find((u) => u.name.toUpperCase() === loginName.toUpperCase());
      const unknown = (): ResponseBody =>
        authenticator === 'SNOWFLAKE_JWT'
          ? refuse('390144', 'JWT token is invalid.')
          : authenticator === 'OAUTH'
            ? refuse('390303', 'Invalid OAuth access token.')
            : refuse('390100', 'Incorrect username or password was specified.');
      if (!user) return unknown();
      userName = user.name;
      if (authenticator === 'SNOWFLAKE_JWT') {
        if (!user.key)
          return refuse('390144', `JWT token is invalid. [user ${user.name} has no public key registered]`);
        const reason = verifyLoginJwt(String(data.TOKEN ?? ''), {
          account,
          user: loginName,
          key: user.key.key,
          fingerprint: user.key.fingerprint,
        });
        if (reason) return refuse('390144', `JWT token is invalid. [${reason}]`);
      } else if (authenticator === 'OAUTH') {
        if (!user.oauthTokens.includes(String(data.TOKEN ?? '')))
          return refuse('390303', 'Invalid OAuth access token.');
      } else if (authenticator === 'PROGRAMMATIC_ACCESS_TOKEN') {
        if (!user.programmaticAccessTokens.includes(String(data.TOKEN ?? '')))
          return refuse('390100', 'Incorrect username or password was specified. (programmatic access token)');
      } else if (user.type === 'SERVICE') {
        // Snowflake refuses password sign-in for TYPE = SERVICE users; its exact answer is not documented: this
        // one is the wrong-password answer (no hint to an attacker).
        return refuse('390100', 'Incorrect username or password was specified.');
      } else if (user.password === undefined || user.password !== data.PASSWORD) {
        return refuse('390100', 'Incorrect username or password was specified.');
      }
    }
    const requested = (name: string): string | undefined => url.searchParams.get(name) ?? undefined;
    const identifier = (value: string | undefined): string | undefined =>
      value === undefined
        ? undefined
        : value.startsWith('"') && value.endsWith('"')
          ? value.slice(1, -1)
          : value.toUpperCase();
    let database = identifier(requested('databaseName')) ?? null;
    if (database !== null && engine.databaseName(database) === undefined) database = null;
    let schema: string | null = null;
    if (database !== null) {
      const wanted = identifier(requested('schemaName')) ?? 'PUBLIC';
      const rows = await engine.exclusive(async () => {
        const conn = await engine.connect();
        try {
          return (
            await conn.runAndReadAll(
              `SELECT 1 FROM duckdb_schemas() WHERE database_name = ${quoteString(database as string)} AND schema_name = ${quoteString(wanted)}`,
            )
          ).getRows();
        } finally {
          conn.closeSync();
        }
      });
      schema = rows.length > 0 ? wanted : null;
    }
    const warehouse = identifier(requested('warehouse')) ?? null;
    if (warehouse) warehouses.add(warehouse);
    const connection = await engine.connect();
    const session = new Session({
      user: userName.toUpperCase(),
      account: account.toUpperCase(),
      connection,
      database,
      schema,
      warehouse,
      role: identifier(requested('roleName')) ?? 'PUBLIC',
      ...(options.accountParameters ? { accountParameters: upperKeys(options.accountParameters) } : {}),
    });
    const sessionParameters = (data.SESSION_PARAMETERS ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(sessionParameters)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        session.parameters.set(k.toUpperCase(), v);
    }
    sessions.set(session.id, session);
    stats.logins++;
    return ok(
      {
        masterToken: session.masterToken,
        token: session.token,
        validityInSeconds: SESSION_TOKEN_VALIDITY,
        masterValidityInSeconds: MASTER_TOKEN_VALIDITY,
        displayUserName: session.user,
        serverVersion: '9.0.0 (Sluice emulator)',
        firstLogin: false,
        remMeToken: null,
        remMeValidityInSeconds: 0,
        healthCheckInterval: 45,
        newClientForUpgrade: null,
        sessionId: Number(session.id),
        parameters: session.parameterList(),
        sessionInfo: { databaseName: database, schemaName: schema, warehouseName: warehouse, roleName: session.role },
        idToken: null,
        idTokenValidityInSeconds: 0,
        responseData: null,
        mfaToken: null,
        mfaTokenValidityInSeconds: 0,
      },
      'Success',
    );
  };

  const renew = async (req: IncomingMessage): Promise<ResponseBody> => {
    const body = ((await readBody(req)) ?? {}) as { requestType?: string; oldSessionToken?: string };
    const session = findByMasterToken(sessionToken(req));
    if (!session) return failure('390104', 'Invalid master token.');
    if (session.tokenState === 'gone')
      return failure('390111', 'Session no longer exists.  New login required to access the service.');
    if (Date.now() > session.masterExpiresAt)
      return failure('390114', 'Authentication token has expired.  The user must authenticate again.');
    if (body.requestType !== undefined && body.requestType !== 'RENEW')
      return failure('390100', `Unsupported token request type ${body.requestType}.`);
    session.renew();
    return ok({
      sessionToken: session.token,
      validityInSecondsST: SESSION_TOKEN_VALIDITY,
      masterToken: session.masterToken,
      validityInSecondsMT: MASTER_TOKEN_VALIDITY,
      sessionId: Number(session.id),
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const pathname = url.pathname;
    stats.recordRequest(pathname);
    const decision = faults.decide(pathname);
    if (decision.drop === 'before') {
      req.resume();
      req.socket.destroy();
      return;
    }
    if (decision.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    if (decision.httpError !== undefined) {
      req.resume();
      json(res, decision.httpError, {
        message: `HTTP ${decision.httpError} injected by the Sluice Snowflake emulator's fault controller.`,
      });
      return;
    }
    let response: ResponseBody | undefined;
    let status = 200;
    const method = req.method ?? 'GET';
    if (method === 'GET' && pathname === '/console/login') {
      // Snowflake's own login page, as the browser of an EXTERNALBROWSER sign-in sees it: the emulator signs the
      // named user in without asking (a test double) and redirects to the driver's local port with a token.
      req.resume();
      const user = users?.find(
        (u) => u.name.toUpperCase() === (url.searchParams.get('login_name') ?? '').toUpperCase(),
      );
      const port = Number(url.searchParams.get('browser_mode_redirect_port'));
      if ((users && (!user || user.type === 'SERVICE')) || !Number.isInteger(port) || port <= 0) {
        res.writeHead(403, { 'Content-Type': 'text/plain' });
        res.end('This user cannot sign in here (unknown, or a SERVICE user: no SSO).');
        return;
      }
      const token = `SSO-${randomBytes(16).toString('hex')}`;
      browserTickets.set(token, {
        user: user?.name ?? url.searchParams.get('login_name') ?? '',
        proofKey: url.searchParams.get('proof_key') ?? '',
      });
      res.writeHead(302, { Location: `http://localhost:${port}/?token=${token}` });
      res.end();
      return;
    }
    if (method === 'POST' && pathname === '/session/v1/login-request') {
      response = await login(req, url);
    } else if (method === 'POST' && pathname === '/session/token-request') {
      response = await renew(req);
    } else if (method === 'POST' && pathname === '/telemetry/send') {
      await readBody(req);
      response = ok('Log Received');
    } else {
      const auth = authenticate(req);
      if (!(auth instanceof Session)) {
        req.resume();
        // a session that is already gone or expired may still be deleted: Snowflake says so with the code
        response = auth;
      } else {
        const session = auth;
        stats.settleUploads(session.id);
        const queryResult = /^\/queries\/([^/]+)\/result$/.exec(pathname);
        const queryAbort = /^\/queries\/([^/]+)\/abort-request$/.exec(pathname);
        const monitoring = /^\/monitoring\/queries\/([^/]+)$/.exec(pathname);
        if (method === 'POST' && pathname === '/queries/v1/query-request') {
          const body = ((await readBody(req)) ?? {}) as QueryRequestBody;
          response = await queries.submit(
            session,
            body,
            url.searchParams.get('requestId') ?? undefined,
            Number(url.searchParams.get('retryCount') ?? 0),
          );
        } else if (method === 'GET' && queryResult) {
          response = await queries.result(session, queryResult[1] as string);
        } else if (method === 'POST' && queryAbort) {
          await readBody(req);
          response = queries.abort(session, { queryId: queryAbort[1] as string })
            ? ok(null)
            : failure('000605', 'Identified SQL statement is not currently executing.');
        } else if (method === 'POST' && pathname === '/queries/v1/abort-request') {
          const body = ((await readBody(req)) ?? {}) as { requestId?: string };
          response = queries.abort(session, body.requestId === undefined ? {} : { requestId: body.requestId })
            ? ok(null)
            : failure('000605', 'Identified SQL statement is not currently executing.');
        } else if (method === 'GET' && monitoring) {
          response = queries.monitoring(session, monitoring[1] as string);
        } else if (method === 'POST' && pathname === '/session' && url.searchParams.get('delete') === 'true') {
          await readBody(req);
          await closeSession(session);
          response = ok(null);
        } else if (method === 'POST' && pathname === '/session/heartbeat') {
          await readBody(req);
          response = ok({});
        } else {
          req.resume();
          status = 404;
          response = {
            message: `The Sluice Snowflake emulator does not serve ${method} ${pathname}.`,
            success: false,
            code: '404',
            data: null,
          };
        }
      }
    }
    if (decision.drop === 'after') {
      // the request was handled (a statement may have committed); only the answer is lost
      res.socket?.destroy();
      return;
    }
    json(res, status, response);
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const wrapped =
        error instanceof SnowflakeEmulatorError
          ? error
          : SnowflakeEmulatorError.sql(
              '000603',
              'XX000',
              `Internal error in the emulator: ${(error as Error).message}`,
              error,
            );
      if (!res.headersSent && !res.socket?.destroyed) json(res, 200, errorBody(wrapped));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await engine.close();
    throw new SnowflakeEmulatorError(
      'START_FAILED',
      `The emulator could not listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const port = (server.address() as AddressInfo).port;
  let stopped = false;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    faults,
    stats: () => stats.snapshot(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      for (const session of [...sessions.values()]) await closeSession(session);
      await metadata.flush();
      await engine.close();
    },
  };
}

function upperKeys(parameters: Readonly<Record<string, ParameterValue>>): Record<string, ParameterValue> {
  return Object.fromEntries(
    Object.entries(parameters).map(([k, v]) => [k.toUpperCase(), checkedParameter(k.toUpperCase(), v)]),
  );
}
