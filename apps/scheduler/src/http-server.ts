import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readRunRecord } from '@sluice/pipeline';
import { RUN_STATUSES, type RunRecord, type RunStatus } from '@sluice/watermark';
import type { Logger } from './logger.js';
import type { Scheduler } from './scheduler.js';
import { SchedulerError } from './scheduler-error.js';
import { renderStatusPage } from './status-page.js';

export interface SchedulerServerOptions {
  readonly scheduler: Scheduler;
  readonly log: Logger;
  /** The bearer token of the write endpoints; without one they answer 403. Never logged. */
  readonly token: string | undefined;
  /** The folder served at `/docs/` (the project's `target/docs`). */
  readonly docsDir: string;
  readonly host: string;
  readonly port: number;
}

/** The running HTTP server. */
export interface SchedulerServer {
  /** `http://127.0.0.1:8080` (the port actually bound, when 0 was asked). */
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/** True when `header` is `Bearer <token>`; compared in constant time (over SHA-256 digests, so length leaks nothing). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(match?.[1]?.trim() ?? '')
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && match !== null;
}

/**
 * The daemon's HTTP server (node:http, no framework): the status page at `/`, the lineage docs at `/docs/`, the JSON
 * API, health and readiness probes, and Prometheus metrics. Binds `host:port` (127.0.0.1 unless configured).
 */
export async function startSchedulerServer(options: SchedulerServerOptions): Promise<SchedulerServer> {
  const { scheduler, log } = options;
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error('request failed', {
        method: req.method,
        path: pathOf(req),
        error: error instanceof Error ? error : String(error),
      });
      if (!res.headersSent)
        sendJson(res, 500, { error: 'INTERNAL', message: 'the request failed: see the daemon log' });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname;
    const method = req.method ?? 'GET';
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');

    if (route === '/healthz') return only(method, ['GET', 'HEAD'], res, () => sendText(res, 200, 'ok\n'));
    if (route === '/readyz') {
      return only(method, ['GET', 'HEAD'], res, async () => {
        if (!scheduler.ready) return sendText(res, 503, scheduler.stopping ? 'shutting down\n' : 'starting\n');
        if (!(await scheduler.stateReachable())) return sendText(res, 503, 'state store unreachable\n');
        return sendText(res, 200, 'ready\n');
      });
    }
    if (route === '/metrics') {
      return only(method, ['GET'], res, async () => {
        const body = scheduler.metrics.render(await scheduler.metricsSnapshot());
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' })
          .end(body);
      });
    }
    if (route === '/') {
      return only(method, ['GET', 'HEAD'], res, async () => {
        const html = renderStatusPage(await scheduler.statusView());
        res
          .writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            'content-security-policy':
              "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          })
          .end(method === 'HEAD' ? undefined : html);
      });
    }
    if (route === '/docs') {
      res.writeHead(301, { location: '/docs/' }).end();
      return;
    }
    if (route.startsWith('/docs/'))
      return only(method, ['GET', 'HEAD'], res, () => serveDocs(route.slice('/docs/'.length), res));
    if (route === '/api/status') {
      return only(method, ['GET'], res, async () => {
        const view = await scheduler.statusView();
        sendJson(res, 200, {
          project: view.project,
          cron: view.cron,
          timezone: view.timezone,
          paused: view.paused,
          stopping: view.stopping,
          nextRun: view.nextRun?.toISOString() ?? null,
          current: view.current ? { ...view.current, startedAt: view.current.startedAt.toISOString() } : null,
          tables: view.tables.map((t) => ({ ...t, lastLoaded: t.lastLoaded?.toISOString() ?? null })),
        });
      });
    }
    if (route === '/api/runs') {
      if (method === 'GET') {
        const limit = Number(url.searchParams.get('limit') ?? '50');
        const status = url.searchParams.get('status');
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          return sendJson(res, 400, { error: 'INVALID_ARGUMENT', message: 'limit must be an integer from 1 to 1000' });
        if (status !== null && !RUN_STATUSES.includes(status as RunStatus)) {
          return sendJson(res, 400, {
            error: 'INVALID_ARGUMENT',
            message: `status must be one of ${RUN_STATUSES.join(', ')}`,
          });
        }
        const runs = await scheduler.listRuns(limit, (status as RunStatus | null) ?? undefined);
        return sendJson(res, 200, { runs: runs.map(runJson) });
      }
      if (method === 'POST') {
        if (!authorized(req, res)) return;
        const body = await readJson(req, res);
        if (body === undefined) return;
        const tables = (body as { tables?: unknown }).tables;
        if (tables !== undefined && !(Array.isArray(tables) && tables.every((t) => typeof t === 'string'))) {
          return sendJson(res, 400, {
            error: 'INVALID_ARGUMENT',
            message: 'tables must be a list of table names, e.g. {"tables": ["vendas"]}',
          });
        }
        try {
          const { runId } = await scheduler.trigger({
            ...(tables ? { tables: tables as string[] } : {}),
            trigger: 'api',
          });
          log.info('manual run started through the API', { runId, tables });
          res.setHeader('location', `/api/runs/${encodeURIComponent(runId)}`);
          return sendJson(res, 202, { id: runId, status: 'running', url: `/api/runs/${encodeURIComponent(runId)}` });
        } catch (error) {
          if (error instanceof SchedulerError) {
            const status =
              error.code === 'BUSY'
                ? 409
                : error.code === 'SHUTTING_DOWN'
                  ? 503
                  : error.code === 'UNKNOWN_TABLE'
                    ? 400
                    : 500;
            return sendJson(res, status, { error: error.code, message: error.message });
          }
          throw error;
        }
      }
      return methodNotAllowed(res, ['GET', 'POST']);
    }
    const runMatch = /^\/api\/runs\/([^/]+)$/.exec(route);
    if (runMatch) {
      return only(method, ['GET'], res, async () => {
        const run = await scheduler.getRun(decodeURIComponent(runMatch[1] ?? ''));
        if (!run)
          return sendJson(res, 404, {
            error: 'NOT_FOUND',
            message: 'no run with that id (runs older than keep_history are pruned)',
          });
        return sendJson(res, 200, runJson(run));
      });
    }
    if (route === '/api/pause' || route === '/api/resume') {
      if (method !== 'POST') return methodNotAllowed(res, ['POST']);
      if (!authorized(req, res)) return;
      if (route === '/api/pause') scheduler.pause();
      else scheduler.resume();
      return sendJson(res, 200, { paused: scheduler.paused, nextRun: scheduler.nextRun?.toISOString() ?? null });
    }
    sendJson(res, 404, {
      error: 'NOT_FOUND',
      message: `no route ${route}: see / for the status page, /api/runs for the run history`,
    });
  }

  function authorized(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (!options.token) {
      sendJson(res, 403, {
        error: 'API_DISABLED',
        message: 'the write API is disabled: start the daemon with SLUICE_SCHEDULER_TOKEN set',
      });
      return false;
    }
    if (!bearerMatches(req.headers.authorization, options.token)) {
      res.setHeader('www-authenticate', 'Bearer realm="sluice-scheduler"');
      sendJson(res, 401, {
        error: 'UNAUTHORIZED',
        message: 'send Authorization: Bearer <the SLUICE_SCHEDULER_TOKEN value>',
      });
      log.warn('API call refused: missing or wrong bearer token', {
        method: req.method,
        path: pathOf(req),
        remote: req.socket.remoteAddress,
      });
      return false;
    }
    return true;
  }

  async function serveDocs(relative: string, res: http.ServerResponse): Promise<void> {
    const root = path.resolve(options.docsDir);
    let decoded: string;
    try {
      decoded = decodeURIComponent(relative);
    } catch {
      return sendText(res, 400, 'bad path\n');
    }
    const file = path.resolve(root, decoded === '' || decoded.endsWith('/') ? `${decoded}index.html` : decoded);
    if (file !== root && !file.startsWith(`${root}${path.sep}`)) return sendText(res, 404, 'not found\n');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      if (decoded === '' || decoded === 'index.html') {
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          '<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><title>No docs yet</title><p>The lineage page has not been built yet: it appears here once a run has built the models (<code>target/docs/index.html</code>). <a href="/">Back to the status page</a></p>',
        );
        return;
      }
      return sendText(res, 404, 'not found\n');
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-cache',
    });
    await new Promise<void>((resolve, reject) =>
      createReadStream(file).on('error', reject).pipe(res).on('finish', resolve).on('error', reject),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new SchedulerError(
              'PORT_IN_USE',
              `port ${options.port} on ${options.host} is in use: stop what uses it, or pass --port`,
              { cause: error },
            )
          : error,
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function runJson(run: RunRecord): Record<string, unknown> {
  return {
    id: run.id,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    endedAt: run.endedAt?.toISOString() ?? null,
    seconds: run.endedAt ? (run.endedAt.getTime() - run.startedAt.getTime()) / 1000 : null,
    detail: readRunRecord(run).detail,
  };
}

function pathOf(req: http.IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').pathname;
}

async function only(
  method: string,
  allowed: readonly string[],
  res: http.ServerResponse,
  work: () => unknown,
): Promise<void> {
  if (!allowed.includes(method)) return methodNotAllowed(res, allowed);
  await work();
}

function methodNotAllowed(res: http.ServerResponse, allowed: readonly string[]): void {
  res.setHeader('allow', allowed.join(', '));
  sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED', message: `use ${allowed.join(' or ')}` });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(`${JSON.stringify(body, null, 2)}\n`);
}

function sendText(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}

/** The JSON body (an empty body is `{}`), or undefined after answering 400/413. */
async function readJson(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      sendJson(res, 413, { error: 'TOO_LARGE', message: `the body is over ${MAX_BODY_BYTES} bytes` });
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  } catch {
    // answered below
  }
  sendJson(res, 400, {
    error: 'INVALID_JSON',
    message: 'the body must be a JSON object, e.g. {} or {"tables": ["vendas"]}',
  });
  return undefined;
}
