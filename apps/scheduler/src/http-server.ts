import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isIP } from 'node:net';
import { RUN_STATUSES, type RunRecord, type RunStatus } from '@sluice/watermark';
import { renderHistoryPage } from './history-page.js';
import { scrubHostPathsInText, type HostPath } from './host-paths.js';
import { esc, htmlPage, PAGE_CSP } from './html-page.js';
import type { Logger } from './logger.js';
import { runDetail } from './run-history-view.js';
import { renderRunPage } from './run-page.js';
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
  /**
   * Host names the pages and the API answer to (the `Host:` header, without its port), besides `localhost` and
   * IP addresses: a name not listed is refused with 421, so a page on another site cannot read them through DNS
   * rebinding. `*` allows any name.
   */
  readonly allowedHosts?: readonly string[];
  /** Folders never shown in a page or an answer (the project, the work folder…), with their stand-ins. */
  readonly hostPaths?: readonly HostPath[];
}

/** The running HTTP server. */
export interface SchedulerServer {
  /** `http://127.0.0.1:8080` (the port actually bound, when 0 was asked). */
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
/** How long a read's response is reused (see `cachedGet`), and how many are kept. */
const RESPONSE_TTL_MS = 1000;
const MAX_CACHED_RESPONSES = 500;
/** The reads answered through that cache: pages, the API's reads, metrics (not the probes, not /docs/). */
const CACHED_ROUTES = /^(\/|\/metrics|\/runs|\/runs\/[^/]+|\/api\/status|\/api\/runs|\/api\/runs\/[^/]+)$/;

/** A response kept for reuse. */
interface RecordedResponse {
  readonly status: number;
  readonly headers: Record<string, string | number | string[]>;
  readonly body: string | Buffer | undefined;
}

/** Stands in for the response while a cached read is made: keeps the status, headers and body. */
class ResponseRecorder {
  noStore = false;
  #status = 200;
  readonly #headers: Record<string, string | number | string[]> = {};
  #body: string | Buffer | undefined;
  #ended = false;

  get headersSent(): boolean {
    return this.#ended;
  }

  setHeader(name: string, value: string | number | string[]): this {
    this.#headers[name.toLowerCase()] = value;
    return this;
  }

  writeHead(status: number, headers: Record<string, string | number | string[]> = {}): this {
    this.#status = status;
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    return this;
  }

  end(body?: string | Buffer): this {
    this.#body = body;
    this.#ended = true;
    return this;
  }

  result(): RecordedResponse {
    return { status: this.#status, headers: { ...this.#headers }, body: this.#body };
  }
}

/** Keep this response out of the cache (it shows something still changing: a run in progress). */
function noStore(res: http.ServerResponse): void {
  const recorder: unknown = res;
  if (recorder instanceof ResponseRecorder) recorder.noStore = true;
}

/** Runs a page of the history shows. */
const HISTORY_PAGE = 50;
/** A model selection from the API or a form: at most this many parts, each this long. */
const MAX_SELECT_PARTS = 100;
const MAX_SELECT_CHARS = 200;
/** The one-line results a form leads to (`?notice=`), from this list only. */
const NOTICES: Record<string, string> = {
  started: 'Run started.',
  paused: 'Paused: scheduled runs will not start until resumed.',
  resumed: 'Resumed: scheduled runs start again.',
  cancelling: 'Cancelling: the step under way is being stopped.',
};

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

/** True when `given` equals the token; compared in constant time (over SHA-256 digests). */
function tokenMatches(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

/**
 * Whether a request's `Host:` may be answered: an IP address (v4 or v6), `localhost` (or a name under it), or a
 * name in `allowed` (`*`: any). What stops DNS rebinding: the page of another site that renamed its own host to
 * 127.0.0.1 still sends its own name.
 */
export function hostAllowed(header: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  if (!header) return false;
  const host = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d+$/, '');
  const name = host.toLowerCase().replace(/\.$/, '');
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((entry) => entry.toLowerCase() === name);
}

/**
 * Why a browser form post must be refused as cross-site, or undefined: `Sec-Fetch-Site` other than same-origin
 * (or none: typed by hand), or an `Origin` that is not this very host. The token in the form is the real guard
 * (no cookie ever authenticates); these checks refuse a forged post before the token is even looked at.
 */
export function crossSiteRefusal(req: http.IncomingMessage): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
    return `a ${site} request (Sec-Fetch-Site): forms are only taken from this page`;
  const origin = req.headers.origin;
  if (typeof origin === 'string') {
    const host = req.headers.host ?? '';
    if (origin !== `http://${host}` && origin !== `https://${host}`)
      return `a request from ${origin === 'null' ? 'an opaque origin' : origin}, not this host`;
  }
  return undefined;
}

/**
 * The daemon's HTTP server (node:http, no framework): the status page at `/`, run pages at `/runs/:id` and the
 * history at `/runs`, forms to run, pause, resume and cancel (`/actions/…`, with the token), the lineage docs at
 * `/docs/`, the JSON API, health and readiness probes, and Prometheus metrics. Binds `host:port` (127.0.0.1 unless
 * configured). Every route but the probes refuses a `Host:` it does not know.
 */
export async function startSchedulerServer(options: SchedulerServerOptions): Promise<SchedulerServer> {
  const { scheduler, log } = options;
  const allowedHosts = options.allowedHosts ?? [];
  const paths = options.hostPaths ?? [];
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
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` even with a form of this very
    // page, and the forms' cross-site check could not tell this page from any other.
    res.setHeader('referrer-policy', 'same-origin');

    if (route === '/healthz') return only(method, ['GET', 'HEAD'], res, () => sendText(res, 200, 'ok\n'));
    if (route === '/readyz') {
      return only(method, ['GET', 'HEAD'], res, async () => {
        if (!scheduler.ready) return sendText(res, 503, scheduler.stopping ? 'shutting down\n' : 'starting\n');
        if (!(await scheduler.stateReachable())) return sendText(res, 503, 'state store unreachable\n');
        return sendText(res, 200, 'ready\n');
      });
    }
    // Everything else is refused to a Host it does not know: the probes above answer any (orchestrators probe by IP).
    if (!hostAllowed(req.headers.host, allowedHosts)) {
      log.warn('request refused: unexpected Host header (DNS rebinding?)', {
        method,
        path: route,
        host: String(req.headers.host ?? '').slice(0, 100),
        remote: req.socket.remoteAddress,
      });
      return sendJson(res, 421, {
        error: 'MISDIRECTED_REQUEST',
        message:
          'this daemon does not answer to that host name: add it to --allowed-hosts (SLUICE_SCHEDULER_ALLOWED_HOSTS), or use its IP address',
      });
    }
    if ((method === 'GET' || method === 'HEAD') && CACHED_ROUTES.test(route))
      return cachedGet(req, res, `${route}${url.search}`, (recorder) => routeRequest(req, recorder, url, route, 'GET'));
    return routeRequest(req, res, url, route, method);
  }

  /**
   * Answer a read from a response made at most `RESPONSE_TTL_MS` ago for the same URL and the same `viewVersion`
   * (which moves whenever a run of this daemon starts or ends, on pause, resume and stop), and make one response
   * for the requests that arrive together: ten concurrent requests for a page cost one rendering. A response
   * marked `noStore` (a run still running) or not 200 is not kept.
   */
  async function cachedGet(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    produce: (recorder: http.ServerResponse) => Promise<void>,
  ): Promise<void> {
    const key = `${scheduler.viewVersion}\u0000${path}`;
    const hit = responses.get(key);
    let recorded: RecordedResponse;
    if (hit && Date.now() - hit.at < RESPONSE_TTL_MS) recorded = hit.response;
    else {
      let pending = producing.get(key);
      if (!pending) {
        pending = (async () => {
          const recorder = new ResponseRecorder();
          await produce(recorder as unknown as http.ServerResponse);
          const response = recorder.result();
          if (response.status === 200 && !recorder.noStore) {
            responses.delete(key);
            responses.set(key, { at: Date.now(), response });
            if (responses.size > MAX_CACHED_RESPONSES) responses.delete(responses.keys().next().value as string);
          }
          return response;
        })().finally(() => producing.delete(key));
        producing.set(key, pending);
      }
      recorded = await pending;
    }
    res.writeHead(recorded.status, recorded.headers);
    res.end(req.method === 'HEAD' ? undefined : recorded.body);
  }

  /** `/runs`: the history, a page of runs at a time, back to `keep_history`. */
  async function serveHistory(res: http.ServerResponse, url: URL, method: string): Promise<void> {
    const status = url.searchParams.get('status');
    const before = url.searchParams.get('before') ?? undefined;
    if (status !== null && !RUN_STATUSES.includes(status as RunStatus))
      return sendHtml(res, 400, messagePage('Bad request', `status must be one of ${RUN_STATUSES.join(', ')}`), method);
    let runs: RunRecord[];
    try {
      runs = await scheduler.listRuns(HISTORY_PAGE + 1, (status as RunStatus | null) ?? undefined, before);
    } catch (error) {
      if (error instanceof SchedulerError && error.code === 'NOT_FOUND')
        return sendHtml(res, 404, messagePage('Not found', 'That run is not in the history (pruned?).'), method);
      throw error;
    }
    const page = runs.slice(0, HISTORY_PAGE);
    const html = renderHistoryPage({
      project: scheduler.scheduleName,
      timezone: scheduler.cron.timezone,
      runs: page,
      next: runs.length > HISTORY_PAGE ? page.at(-1)?.id : undefined,
      before,
      status: (status as RunStatus | null) ?? undefined,
      statuses: RUN_STATUSES,
      keepHistoryMs: scheduler.keepHistoryMs,
    });
    sendHtml(res, 200, html, method);
  }

  /** `GET /api/runs`: a page of runs (`limit`, `status`, `before`), without their logs, and the next page's cursor. */
  async function listRunsApi(res: http.ServerResponse, url: URL): Promise<void> {
    const limit = Number(url.searchParams.get('limit') ?? '50');
    const status = url.searchParams.get('status');
    const before = url.searchParams.get('before') ?? undefined;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return sendJson(res, 400, { error: 'INVALID_ARGUMENT', message: 'limit must be an integer from 1 to 1000' });
    if (status !== null && !RUN_STATUSES.includes(status as RunStatus)) {
      return sendJson(res, 400, {
        error: 'INVALID_ARGUMENT',
        message: `status must be one of ${RUN_STATUSES.join(', ')}`,
      });
    }
    let runs: RunRecord[];
    try {
      runs = await scheduler.listRuns(limit + 1, (status as RunStatus | null) ?? undefined, before);
    } catch (error) {
      if (error instanceof SchedulerError) return sendError(res, error);
      throw error;
    }
    const page = runs.slice(0, limit);
    // The list leaves each run's log out (GET /api/runs/:id has it); the next page: GET /api/runs?before=<next>.
    const next = runs.length > limit ? (page.at(-1)?.id ?? null) : null;
    return sendJsonText(
      res,
      200,
      `{"runs":[${page.map((run) => runListEntry(run)).join(',')}],"next":${JSON.stringify(next)}}`,
    );
  }

  async function routeRequest(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    route: string,
    method: string,
  ): Promise<void> {
    if (route === '/metrics') {
      return only(method, ['GET'], res, async () => {
        const body = await scheduler.metrics.render(await scheduler.metricsSnapshot());
        res
          .writeHead(200, { 'content-type': scheduler.metrics.registry.contentType, 'cache-control': 'no-store' })
          .end(body);
      });
    }
    if (route === '/') {
      return only(method, ['GET', 'HEAD'], res, async () => {
        const view = await scheduler.statusView();
        const notice = NOTICES[url.searchParams.get('notice') ?? ''];
        const html = renderStatusPage({
          ...view,
          tokenConfigured: options.token !== undefined && options.token !== '',
          ...(notice ? { notice } : {}),
        });
        const warning = view.stateError
          ? `<p class="note warn" id="state-down">The state store cannot be read (${esc(view.stateError)}): this is what was known when it last answered.</p>`
          : '';
        sendHtml(res, 200, warning ? html.replace('<main>\n', `<main>\n${warning}\n`) : html, method);
      });
    }
    if (route === '/runs') return only(method, ['GET', 'HEAD'], res, () => serveHistory(res, url, method));
    const runPage = /^\/runs\/([^/]+)(\/cancel)?$/.exec(route);
    if (runPage) {
      const id = safeDecode(runPage[1] ?? '') ?? '';
      if (runPage[2]) {
        if (method !== 'POST') return methodNotAllowed(res, ['POST']);
        return formAction(req, res, async () => {
          await scheduler.cancel(id, 'cancelled from the run page');
          return `/runs/${encodeURIComponent(id)}?notice=cancelling`;
        });
      }
      return only(method, ['GET', 'HEAD'], res, async () => {
        const run = id === '' ? undefined : await scheduler.getRun(id).catch(() => undefined);
        if (!run)
          return sendHtml(
            res,
            404,
            messagePage('No such run', 'No run with that id (runs older than keep_history are pruned).'),
            method,
          );
        if (run.status === 'running' || run.status === 'abandoned') noStore(res);
        const notice = NOTICES[url.searchParams.get('notice') ?? ''];
        const html = renderRunPage({
          project: scheduler.scheduleName,
          now: new Date(),
          timezone: scheduler.cron.timezone,
          run,
          configuredTables: scheduler.tableNames,
          cancellable: scheduler.current?.runId === run.id,
          tokenConfigured: options.token !== undefined && options.token !== '',
          ...(notice ? { notice } : {}),
        });
        sendHtml(res, 200, html, method);
      });
    }
    if (route === '/actions/run' || route === '/actions/pause' || route === '/actions/resume') {
      if (method !== 'POST') return methodNotAllowed(res, ['POST']);
      return formAction(req, res, async (form) => {
        if (route === '/actions/pause') {
          scheduler.pause();
          return '/?notice=paused';
        }
        if (route === '/actions/resume') {
          scheduler.resume();
          return '/?notice=resumed';
        }
        const some = form.get('what') === 'some';
        const tables = some ? form.getAll('tables') : [];
        const select = some ? parseSelect(form.get('select') ?? '') : [];
        const { runId } = await scheduler.trigger({
          ...(tables.length > 0 ? { tables } : {}),
          ...(select.length > 0 ? { select } : {}),
          trigger: 'page',
        });
        log.info('manual run started from the status page', { runId, tables, select });
        return `/runs/${encodeURIComponent(runId)}?notice=started`;
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
      if (method === 'GET') return listRunsApi(res, url);
      if (method === 'POST') {
        if (!apiWriteAllowed(req, res)) return;
        const body = await readJson(req, res);
        if (body === undefined) return;
        const { tables, select } = body as { tables?: unknown; select?: unknown };
        if (tables !== undefined && !(Array.isArray(tables) && tables.every((t) => typeof t === 'string'))) {
          return sendJson(res, 400, {
            error: 'INVALID_ARGUMENT',
            message: 'tables must be a list of table names, e.g. {"tables": ["vendas"]}',
          });
        }
        if (
          select !== undefined &&
          !(
            Array.isArray(select) &&
            select.length <= MAX_SELECT_PARTS &&
            select.every((part) => typeof part === 'string' && part.length > 0 && part.length <= MAX_SELECT_CHARS)
          )
        ) {
          return sendJson(res, 400, {
            error: 'INVALID_ARGUMENT',
            message: `select must be a list of model selectors (at most ${MAX_SELECT_PARTS}), e.g. {"select": ["fct_vendas+"]}`,
          });
        }
        try {
          const { runId } = await scheduler.trigger({
            ...(tables ? { tables: tables as string[] } : {}),
            ...(select ? { select: select as string[] } : {}),
            trigger: 'api',
          });
          log.info('manual run started through the API', {
            runId,
            tables: Array.isArray(tables) ? tables.length : undefined,
            select,
          });
          res.setHeader('location', `/api/runs/${encodeURIComponent(runId)}`);
          return sendJson(res, 202, {
            id: runId,
            status: 'running',
            url: `/api/runs/${encodeURIComponent(runId)}`,
            page: `/runs/${encodeURIComponent(runId)}`,
          });
        } catch (error) {
          if (error instanceof SchedulerError) return sendError(res, error);
          throw error;
        }
      }
      return methodNotAllowed(res, ['GET', 'POST']);
    }
    const runMatch = /^\/api\/runs\/([^/]+)(\/cancel)?$/.exec(route);
    if (runMatch) {
      const id = safeDecode(runMatch[1] ?? '') ?? '';
      if (runMatch[2]) {
        if (method !== 'POST') return methodNotAllowed(res, ['POST']);
        if (!apiWriteAllowed(req, res)) return;
        try {
          await scheduler.cancel(id);
        } catch (error) {
          if (error instanceof SchedulerError) return sendError(res, error);
          throw error;
        }
        return sendJson(res, 202, { id, status: 'cancelling', page: `/runs/${encodeURIComponent(id)}` });
      }
      return only(method, ['GET'], res, async () => {
        const run = await scheduler.getRun(id).catch(() => undefined);
        if (!run)
          return sendJson(res, 404, {
            error: 'NOT_FOUND',
            message: 'no run with that id (runs older than keep_history are pruned)',
          });
        if (run.status === 'running' || run.status === 'abandoned') noStore(res);
        return sendJsonText(res, 200, JSON.stringify(runJson(run, { log: true }), null, 2));
      });
    }
    if (route === '/api/pause' || route === '/api/resume') {
      if (method !== 'POST') return methodNotAllowed(res, ['POST']);
      if (!apiWriteAllowed(req, res)) return;
      if (route === '/api/pause') scheduler.pause();
      else scheduler.resume();
      return sendJson(res, 200, { paused: scheduler.paused, nextRun: scheduler.nextRun?.toISOString() ?? null });
    }
    sendJson(res, 404, {
      error: 'NOT_FOUND',
      message: `no route ${route}: see / for the status page, /api/runs for the run history`,
    });
  }

  const responses = new Map<string, { at: number; response: RecordedResponse }>();
  const listEntries = new Map<string, string>();
  const producing = new Map<string, Promise<RecordedResponse>>();

  /** A JSON API write: not cross-site (a browser never sends the bearer header cross-site; checked anyway), token. */
  function apiWriteAllowed(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const crossSite = crossSiteRefusal(req);
    if (crossSite) {
      log.warn('API call refused: cross-site', { method: req.method, path: pathOf(req), reason: crossSite });
      sendJson(res, 403, { error: 'CROSS_SITE', message: `refused: ${crossSite}` });
      return false;
    }
    return authorized(req, res);
  }

  /**
   * A form of the pages: refused when cross-site, then the token (a form field: no cookie ever authenticates),
   * then `work`, which answers with where to go next (303). Errors answer a short page with a way back.
   */
  async function formAction(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    work: (form: URLSearchParams) => Promise<string>,
  ): Promise<void> {
    const crossSite = crossSiteRefusal(req);
    if (crossSite) {
      log.warn('form refused: cross-site', { path: pathOf(req), reason: crossSite });
      return sendHtml(
        res,
        403,
        messagePage('Refused', `This form is only taken from this daemon's own page: ${crossSite}.`),
      );
    }
    if (!options.token)
      return sendHtml(
        res,
        403,
        messagePage('Disabled', 'The write actions are disabled: start the daemon with SLUICE_SCHEDULER_TOKEN set.'),
      );
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-www-form-urlencoded'))
      return sendHtml(res, 415, messagePage('Refused', 'Send the form as application/x-www-form-urlencoded.'));
    const text = await readBody(req, res);
    if (text === undefined) return;
    const form = new URLSearchParams(text);
    const given = form.get('token') ?? bearerOf(req.headers.authorization) ?? '';
    if (!tokenMatches(given, options.token)) {
      log.warn('form refused: missing or wrong token', { path: pathOf(req), remote: req.socket.remoteAddress });
      return sendHtml(
        res,
        401,
        messagePage('Wrong token', 'The token was missing or wrong: it is the value of SLUICE_SCHEDULER_TOKEN.'),
      );
    }
    try {
      const location = await work(form);
      res.writeHead(303, { location, 'cache-control': 'no-store' }).end();
    } catch (error) {
      if (error instanceof SchedulerError)
        return sendHtml(res, statusOf(error), messagePage(error.code, error.message));
      throw error;
    }
  }

  /** A run as the API answers it: its detail in the current shape (its log only when asked), the lineage page as
   *  its URL. This host's folders are replaced in the text sent (`sendJsonText`). */
  function runJson(run: RunRecord, include: { readonly log: boolean }): Record<string, unknown> {
    const { lineagePage, log, logDropped, ...detail } = runDetail(run);
    return {
      id: run.id,
      trigger: run.trigger,
      status: run.status,
      startedAt: run.startedAt.toISOString(),
      endedAt: run.endedAt?.toISOString() ?? null,
      seconds: run.endedAt ? (run.endedAt.getTime() - run.startedAt.getTime()) / 1000 : null,
      page: `/runs/${encodeURIComponent(run.id)}`,
      detail: {
        ...detail,
        ...(lineagePage ? { lineagePage: '/docs/' } : {}),
        ...(include.log && log ? { log, ...(logDropped ? { logDropped } : {}) } : {}),
      },
    };
  }

  /** A run as the list shows it, as JSON text: kept for finished runs, whose records never change. */
  function runListEntry(run: RunRecord): string {
    const immutable = run.status !== 'running' && run.status !== 'abandoned';
    const key = `${run.id}\u0000${run.status}\u0000${run.endedAt?.getTime() ?? ''}`;
    const known = immutable ? listEntries.get(key) : undefined;
    if (known !== undefined) return known;
    const text = JSON.stringify(runJson(run, { log: false }));
    if (immutable) {
      if (listEntries.size >= MAX_CACHED_RESPONSES * 4) listEntries.delete(listEntries.keys().next().value as string);
      listEntries.set(key, text);
    }
    return text;
  }

  /** JSON text, with this host's folders replaced. */
  function sendJsonText(res: http.ServerResponse, status: number, text: string): void {
    res
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
      .end(`${scrubHostPathsInText(text, paths)}\n`);
  }

  /** HTML, with this host's folders replaced. */
  function sendHtml(res: http.ServerResponse, status: number, html: string, method = 'GET'): void {
    res
      .writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': PAGE_CSP,
      })
      .end(method === 'HEAD' ? undefined : scrubHostPathsInText(html, paths, { html: true }));
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

function sendError(res: http.ServerResponse, error: SchedulerError): void {
  sendJson(res, statusOf(error), { error: error.code, message: error.message });
}

function statusOf(error: SchedulerError): number {
  switch (error.code) {
    case 'BUSY':
    case 'NOT_HERE':
      return 409;
    case 'SHUTTING_DOWN':
      return 503;
    case 'UNKNOWN_TABLE':
    case 'INVALID_ARGUMENT':
      return 400;
    case 'NOT_FOUND':
      return 404;
    default:
      return 500;
  }
}

/** A small page saying what happened, with a way back. */
function messagePage(title: string, message: string): string {
  return htmlPage(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p><p><a href="/">Back to the status page</a></p>`);
}

/** `tag:daily fct_vendas+` → its parts (as `--select` takes them), bounded. */
function parseSelect(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .filter((part) => part.length > 0)
    .slice(0, MAX_SELECT_PARTS)
    .map((part) => part.slice(0, MAX_SELECT_CHARS));
}

function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function sendText(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}

/** The body as text, or undefined after answering 413. */
async function readBody(req: http.IncomingMessage, res: http.ServerResponse): Promise<string | undefined> {
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
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON body (an empty body is `{}`), or undefined after answering 400/413. */
async function readJson(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
  const body = await readBody(req, res);
  if (body === undefined) return undefined;
  const text = body.trim();
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
