import { isErrorTestFailure, readRunRecord } from '@sluice/pipeline';
import type { RunRecord } from '@sluice/watermark';
import type { Logger } from './logger.js';

/** Why an alert is sent. */
export type AlertKind = 'failure' | 'recovery' | 'test-failure';

/** One alert about one run. */
export interface Alert {
  readonly kind: AlertKind;
  readonly project: string;
  readonly runId: string;
  readonly trigger: string;
  readonly status: string;
  /** One line: what happened. */
  readonly title: string;
  /** The details: the error, the failing tables and tests (at most a dozen lines). */
  readonly lines: readonly string[];
}

const MAX_LINES = 12;

/** True for a run that ended in a way people are alerted about (so a later success is a recovery). */
export function isAlertedFailure(run: Pick<RunRecord, 'id' | 'status' | 'detail'>): boolean {
  if (run.status === 'failed' || run.status === 'abandoned') return true;
  // A run cancelled by its own timeout is a failure; one interrupted by a shutdown is not.
  return run.status === 'interrupted' && /timed out/i.test(readRunRecord(run).detail.error?.message ?? '');
}

/**
 * How a finished run counts for alerts: `failing` (it failed, timed out, was abandoned, or a data test failed at
 * error severity), `healthy` (a clean success), or `neutral` (still running, skipped, or interrupted by a
 * shutdown: it says nothing about the data).
 */
export function runHealth(run: Pick<RunRecord, 'id' | 'status' | 'detail'>): 'failing' | 'healthy' | 'neutral' {
  if (isAlertedFailure(run)) return 'failing';
  if (run.status !== 'success') return 'neutral';
  return readRunRecord(run).detail.tests.some(isErrorTestFailure) ? 'failing' : 'healthy';
}

/**
 * Decide the alert for a finished run, given the run before it that was not neutral (`runHealth`). Alerts go once
 * per failure streak, not once per failed run: `failure` (the run failed, timed out or was abandoned; its failing
 * tables, models and tests are named) or `test-failure` (it succeeded but a data test failed at `error`
 * severity) only when the run before was not failing too; `recovery` when a clean success ends a streak. Pure:
 * the caller sends it.
 */
export function decideAlert(project: string, current: RunRecord, previous: RunRecord | undefined): Alert | undefined {
  const streakGoesOn = previous !== undefined && runHealth(previous) === 'failing';
  if (runHealth(current) === 'failing' && streakGoesOn) return undefined;
  const { detail } = readRunRecord(current);
  const failingTests = detail.tests.filter(isErrorTestFailure);
  const testLines = failingTests.map(
    (t) =>
      `test ${t.name}${t.model ? ` on ${t.model}` : ''}: ${t.status}${t.failures !== undefined ? ` (${t.failures} failing rows)` : ''}${t.message ? ` — ${t.message}` : ''}`,
  );
  const base = { project, runId: current.id, trigger: current.trigger, status: current.status };
  if (isAlertedFailure(current)) {
    const tableLines = detail.tables
      .filter((t) => t.status === 'failed')
      .map((t) => `table ${t.table}: ${t.error?.message ?? 'failed'}`);
    const modelLines = detail.models
      .filter((m) => m.status === 'error')
      .map((m) => `model ${m.name}: ${m.message || m.status}`);
    const lines = [
      ...(detail.error ? [`${detail.error.code}: ${detail.error.message}`] : []),
      ...tableLines,
      ...modelLines,
      ...testLines,
    ];
    return { ...base, kind: 'failure', title: `Sluice run ${current.status} — ${project}`, lines: clip(lines) };
  }
  if (current.status !== 'success') return undefined;
  if (failingTests.length > 0) {
    return {
      ...base,
      kind: 'test-failure',
      title: `Sluice: ${failingTests.length} data test${failingTests.length === 1 ? '' : 's'} failed at error severity — ${project}`,
      lines: clip(testLines),
    };
  }
  if (previous && streakGoesOn) {
    return {
      ...base,
      kind: 'recovery',
      title: `Sluice recovered — ${project}`,
      lines: [`run ${current.id} succeeded after run ${previous.id} ${previous.status}`],
    };
  }
  return undefined;
}

function clip(lines: readonly string[]): string[] {
  if (lines.length <= MAX_LINES) return [...lines];
  return [...lines.slice(0, MAX_LINES - 1), `… and ${lines.length - MAX_LINES + 1} more`];
}

const COLORS: Record<AlertKind, string> = { failure: '#d93025', 'test-failure': '#e8710a', recovery: '#188038' };
const ICONS: Record<AlertKind, string> = {
  failure: ':red_circle:',
  'test-failure': ':large_orange_circle:',
  recovery: ':large_green_circle:',
};

/**
 * The alert as Slack incoming-webhook JSON: a one-line `text` (what notifications show) and one coloured attachment
 * with the details. Mattermost, Rocket.Chat and Discord's `/slack` endpoint accept the same body.
 */
export function slackPayload(alert: Alert, pageUrl?: string): Record<string, unknown> {
  const runLink = pageUrl
    ? `<${pageUrl.replace(/\/$/, '')}/runs/${encodeURIComponent(alert.runId)}|${alert.runId}>`
    : alert.runId;
  return {
    text: `${ICONS[alert.kind]} ${alert.title}`,
    attachments: [
      {
        color: COLORS[alert.kind],
        text: alert.lines.map((line) => `• ${line}`).join('\n'),
        footer: `run ${runLink} · trigger ${alert.trigger} · status ${alert.status}${pageUrl ? ` · <${pageUrl}|status page>` : ''}`,
        mrkdwn_in: ['text', 'footer'],
      },
    ],
  };
}

/** Sends alerts to a webhook. */
export interface AlertSender {
  send(alert: Alert): Promise<boolean>;
}

export interface WebhookAlertOptions {
  readonly url: string;
  readonly log: Logger;
  readonly pageUrl?: string;
  /** Attempts in all (default 3), `retryDelayMs` apart (default one second), doubling each time. */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
}

/**
 * POST alerts to a Slack-compatible webhook, with a timeout and a few retries. Never throws: a webhook that stays
 * down is logged (the URL never is: it is a secret) and the daemon goes on.
 */
export function createWebhookAlertSender(options: WebhookAlertOptions): AlertSender {
  const attempts = options.attempts ?? 3;
  return {
    async send(alert) {
      const body = JSON.stringify(slackPayload(alert, options.pageUrl));
      let problem = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const response = await fetch(options.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
          });
          await response.arrayBuffer().catch(() => undefined);
          if (response.ok) {
            options.log.info('alert sent', { runId: alert.runId, alert: alert.kind });
            return true;
          }
          problem = `HTTP ${response.status}`;
          if (response.status < 500 && response.status !== 429) break;
        } catch (error) {
          problem =
            error instanceof Error ? (error.name === 'TimeoutError' ? 'timed out' : error.message) : String(error);
        }
        if (attempt < attempts)
          await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 1000) * 2 ** (attempt - 1)));
      }
      options.log.warn('alert webhook failed: the alert was not delivered', {
        runId: alert.runId,
        alert: alert.kind,
        problem,
      });
      return false;
    },
  };
}
