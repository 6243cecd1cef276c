import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  loadProjectConfig,
  openStateStore,
  resolveTarget,
  scheduleConfigSchema,
  sluiceFilesDir,
} from '@sluice/pipeline';
import { createWebhookAlertSender } from './alerts.js';
import { createCronSchedule } from './cron-schedule.js';
import { parseDaemonOptions, USAGE, type DaemonOptions } from './daemon-options.js';
import { startSchedulerServer, type SchedulerServer } from './http-server.js';
import { hostPaths } from './host-paths.js';
import { createLogger } from './logger.js';
import { Scheduler } from './scheduler.js';
import { SchedulerMetrics } from './scheduler-metrics.js';
import { SchedulerError } from './scheduler-error.js';

const EXIT = { ok: 0, crashed: 1, config: 2 } as const;

function version(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  let options: DaemonOptions;
  try {
    options = parseDaemonOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`sluice-scheduler: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.config;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (options.version) {
    process.stdout.write(`sluice-scheduler ${version()}\n`);
    return EXIT.ok;
  }

  const loaded = await loadProjectConfig(options.project);
  // A deployment can point every daemon at one Postgres state store without editing the project.
  const project = options.stateUrl
    ? {
        ...loaded,
        config: {
          ...loaded.config,
          state: { type: 'postgres' as const, url: options.stateUrl, schema: options.stateSchema },
        },
      }
    : loaded;
  const schedule = project.config.schedule ?? scheduleConfigSchema.parse({});
  const target = resolveTarget(project, options.target);
  const cron = createCronSchedule(schedule.cron, schedule.timezone);
  const webhookUrl = options.webhookUrl ?? schedule.alerts.webhook_url;
  const secrets = [
    options.token,
    webhookUrl,
    passwordOf(options.stateUrl),
    passwordOf(project.config.source.url),
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const log = createLogger({ format: options.logFormat, level: options.logLevel, secrets });

  if (options.check) {
    const lines = [
      `sluice.yml OK: project ${project.config.name}, target ${target.name} (${target.config.type}), state ${project.config.state.type}`,
    ];
    lines.push(`schedule "${schedule.cron}" in ${schedule.timezone}, catch_up ${schedule.catch_up}; next runs:`);
    let at = new Date();
    for (let i = 0; i < 3; i++) {
      const next = cron.next(at);
      if (!next) break;
      lines.push(
        `  ${next.toISOString()}  (${next.toLocaleString('en-GB', { timeZone: schedule.timezone })} ${schedule.timezone})`,
      );
      at = next;
    }
    lines.push(
      `alerts: ${webhookUrl ? 'webhook configured' : 'none (set SLUICE_ALERT_WEBHOOK_URL or schedule.alerts.webhook_url)'}; API token: ${options.token ? 'set' : 'not set (write API disabled)'}`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  }

  if (options.token && options.token.length < 16)
    log.warn('SLUICE_SCHEDULER_TOKEN is shorter than 16 characters: use a long random token (openssl rand -hex 32)');
  if (!options.token)
    log.info('no SLUICE_SCHEDULER_TOKEN: the write API (POST /api/runs, /api/pause, /api/resume) is disabled');

  const holder = `sluice-scheduler on ${os.hostname()} pid ${process.pid}`;
  const state = openStateStore(project, (event) => log.warn(`state store: ${event.type}`, { ...event }));
  const workDir = path.resolve(options.workDir ?? path.join(sluiceFilesDir(project), 'work'));
  const scheduler = new Scheduler({
    project,
    target,
    state,
    schedule,
    log,
    holder,
    workDir,
    metrics: new SchedulerMetrics({ version: version() }),
    ...(webhookUrl
      ? {
          alerts: createWebhookAlertSender({
            url: webhookUrl,
            log,
            ...(schedule.alerts.page_url ? { pageUrl: schedule.alerts.page_url } : {}),
          }),
        }
      : {}),
  });

  let server: SchedulerServer | undefined;
  let stopping: Promise<void> | undefined;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: cancel the run now instead of waiting out the grace period.
      void scheduler.stop(signal, 0);
      return;
    }
    stopping = (async () => {
      await scheduler.stop(signal, options.graceMs);
      await server?.close();
      await state.close().catch(() => undefined);
    })().finally(markStopped);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  server = await startSchedulerServer({
    scheduler,
    log,
    token: options.token,
    docsDir: path.join(project.dir, 'target', 'docs'),
    host: options.host,
    port: options.port,
    allowedHosts: allowedHostsOf(options.allowedHosts, options.host, schedule.alerts.page_url),
    hostPaths: hostPaths(project.dir, workDir),
  });
  log.info('listening', { url: server.url, project: project.config.name, target: target.name, version: version() });
  if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    log.warn(
      'the HTTP server listens beyond this machine: keep it behind a firewall or a TLS proxy (the run history is readable without a token)',
      { host: options.host },
    );
  }
  await scheduler.start();
  await stopped;
  return EXIT.ok;
}

/**
 * The host names the HTTP server answers to: those configured, this machine's name, the bind address when it is a
 * name, and the host of `page_url` (where people open the page). IP addresses and localhost always pass.
 */
function allowedHostsOf(configured: readonly string[], bindHost: string, pageUrl: string | undefined): string[] {
  const names = new Set(configured);
  names.add(os.hostname());
  if (!/^[\d.:]+$/.test(bindHost)) names.add(bindHost);
  if (pageUrl) {
    try {
      names.add(new URL(pageUrl).hostname);
    } catch {
      // not a URL: nothing to add
    }
  }
  return [...names];
}

/** The password in a postgres:// URL, so the logger can blank it out wherever it would appear. */
function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

function report(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  if (
    error instanceof ConfigError ||
    (error instanceof SchedulerError && (error.code === 'INVALID_SCHEDULE' || error.code === 'INVALID_OPTION'))
  ) {
    process.stderr.write(`sluice-scheduler: invalid configuration\n${message}\n`);
    return EXIT.config;
  }
  process.stderr.write(`sluice-scheduler: ${message}\n`);
  return EXIT.crashed;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(report(error)),
);
