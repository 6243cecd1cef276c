/** Which requests a fault applies to: a path prefix (`/queries/v1/query-request`) or a regular expression. */
export type RequestMatcher = string | RegExp;

/** A fault to inject, counted over the requests it matches from the moment it is added. */
export type FaultRule =
  | {
      /** Answer with an HTTP error instead of handling the request. */
      readonly kind: 'http-error';
      readonly path?: RequestMatcher;
      /** The first matching request to fail, 1-based (default 1: the next one). */
      readonly nth?: number;
      /** How many matching requests in a row to fail (default 1). */
      readonly times?: number;
      /** Default 503. */
      readonly status?: number;
    }
  | {
      /** Hold the response for a while. */
      readonly kind: 'delay';
      readonly ms: number;
      readonly path?: RequestMatcher;
      readonly nth?: number;
      /** Default: every matching request from nth on. */
      readonly times?: number;
    }
  | {
      /** Destroy the TCP connection without answering. */
      readonly kind: 'drop-connection';
      readonly path?: RequestMatcher;
      readonly nth?: number;
      readonly times?: number;
      /**
       * `before` (default): the request is not handled at all. `after`: the request is handled (a statement
       * runs and commits) and only the answer is lost — the case a client must not blindly repeat.
       */
      readonly when?: 'before' | 'after';
    };

/** How {@link FaultController.expireSessions} expires sessions. */
export type SessionExpiry = 'renewable' | 'master-expired' | 'gone';

/** A fault that fired. */
export interface FaultEvent {
  readonly kind: FaultRule['kind'] | 'expire-session';
  readonly path: string;
  readonly at: Date;
}

/** What the server must do to one request. */
export interface FaultDecision {
  readonly httpError: number | undefined;
  readonly delayMs: number;
  readonly drop: 'before' | 'after' | undefined;
}

interface ActiveRule {
  readonly rule: FaultRule;
  seen: number;
  fired: number;
}

/**
 * Fault injection for tests: fail the Nth request with a 5xx, delay responses, drop connections, expire
 * sessions. Rules count the requests they match from when they are added.
 *
 * @example
 * emulator.faults.failRequest({ path: '/queries/v1/query-request', status: 503 });
 */
export class FaultController {
  private rules: ActiveRule[] = [];
  private readonly events: FaultEvent[] = [];
  private readonly expire: (mode: SessionExpiry) => number;

  /** @param expire marks every live session expired; returns how many. */
  constructor(expire: (mode: SessionExpiry) => number, initial: readonly FaultRule[] = []) {
    this.expire = expire;
    for (const rule of initial) this.add(rule);
  }

  /** Add a rule. */
  add(rule: FaultRule): void {
    this.rules.push({ rule, seen: 0, fired: 0 });
  }

  /** Fail the nth matching request (default: the next) with an HTTP status (default 503). */
  failRequest(options: { path?: RequestMatcher; nth?: number; times?: number; status?: number } = {}): void {
    this.add({ kind: 'http-error', ...options });
  }

  /** Delay matching responses by `ms`. */
  delayResponses(options: { ms: number; path?: RequestMatcher; nth?: number; times?: number }): void {
    this.add({ kind: 'delay', ...options });
  }

  /** Drop the connection of the nth matching request, before or after handling it. */
  dropConnection(
    options: { path?: RequestMatcher; nth?: number; times?: number; when?: 'before' | 'after' } = {},
  ): void {
    this.add({ kind: 'drop-connection', ...options });
  }

  /**
   * Expire every live session now. `renewable` (default): the next request gets 390112 (session token expired)
   * and the driver renews with its master token. `master-expired`: 390112, and the renewal then gets 390114
   * (master token expired), so the driver is disconnected. `gone`: 390111, the session no longer exists.
   * Returns the number of sessions affected.
   */
  expireSessions(mode: SessionExpiry = 'renewable'): number {
    const count = this.expire(mode);
    this.events.push({ kind: 'expire-session', path: '', at: new Date() });
    return count;
  }

  /** Remove all rules (the history stays). */
  clear(): void {
    this.rules = [];
  }

  /** The faults that fired so far. */
  get injected(): readonly FaultEvent[] {
    return [...this.events];
  }

  /** Decide what to do to a request (called once per request by the server). */
  decide(pathname: string): FaultDecision {
    let httpError: number | undefined;
    let delayMs = 0;
    let drop: 'before' | 'after' | undefined;
    for (const active of this.rules) {
      const { rule } = active;
      if (!matches(rule.path, pathname)) continue;
      active.seen++;
      const nth = rule.nth ?? 1;
      const times = rule.times ?? (rule.kind === 'delay' ? Number.POSITIVE_INFINITY : 1);
      if (active.seen < nth || active.fired >= times) continue;
      active.fired++;
      this.events.push({ kind: rule.kind, path: pathname, at: new Date() });
      if (rule.kind === 'http-error') httpError ??= rule.status ?? 503;
      else if (rule.kind === 'delay') delayMs += rule.ms;
      else drop ??= rule.when ?? 'before';
    }
    this.rules = this.rules.filter(
      (a) => a.fired < (a.rule.times ?? (a.rule.kind === 'delay' ? Number.POSITIVE_INFINITY : 1)),
    );
    return { httpError, delayMs, drop };
  }
}

function matches(matcher: RequestMatcher | undefined, pathname: string): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === 'string') return pathname.startsWith(matcher);
  return matcher.test(pathname);
}
