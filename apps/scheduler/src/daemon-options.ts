import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { durationSchema } from '@sluice/pipeline';
import type { LogLevel } from './logger.js';
import { SchedulerError } from './scheduler-error.js';

/** How the daemon was asked to run: command-line flags first, then environment variables, then defaults. */
export interface DaemonOptions {
  readonly project: string;
  readonly target: string | undefined;
  readonly host: string;
  readonly port: number;
  /** Host names the pages and API answer to, besides localhost and IP addresses (`*`: any). */
  readonly allowedHosts: readonly string[];
  readonly graceMs: number;
  readonly workDir: string | undefined;
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly logLevel: LogLevel;
  /** The API bearer token (`SLUICE_SCHEDULER_TOKEN`, or the file named by `SLUICE_SCHEDULER_TOKEN_FILE`). */
  readonly token: string | undefined;
  /** Overrides `schedule.alerts.webhook_url` (`SLUICE_ALERT_WEBHOOK_URL`, or the file named by `…_FILE`). */
  readonly webhookUrl: string | undefined;
  /**
   * Overrides the `state:` block of sluice.yml with a Postgres state store (`SLUICE_STATE_URL` or the file named by
   * `SLUICE_STATE_URL_FILE`, and `SLUICE_STATE_SCHEMA`).
   */
  readonly stateUrl: string | undefined;
  readonly stateSchema: string;
  /** Validate the project and the schedule, print the next slots, and exit. */
  readonly check: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

export const USAGE = `Usage: sluice-scheduler [options]

Runs the Sluice pipeline of a project on the cron schedule in its sluice.yml, and serves a status page,
a JSON API and Prometheus metrics.

Options (environment variable in brackets):
  --project <dir>       the project folder with sluice.yml      [SLUICE_PROJECT]           default .
  --target <name>       the target to load                      [SLUICE_TARGET]            default: target in sluice.yml
  --host <addr>         HTTP address to bind                    [SLUICE_SCHEDULER_HOST]    default 127.0.0.1
  --port <n>            HTTP port (0: any free port)            [SLUICE_SCHEDULER_PORT]    default 8080
  --allowed-hosts <a,b> host names the pages and API answer to  [SLUICE_SCHEDULER_ALLOWED_HOSTS]
                        besides localhost and IP addresses (* = any); others get 421 (DNS rebinding)
  --grace <duration>    on SIGTERM, how long a running run may  [SLUICE_SCHEDULER_GRACE]   default 30s
                        go on before it is cancelled
  --work-dir <dir>      where chunk files go during a run       [SLUICE_WORK_DIR]          default <project>/.sluice/work
  --log-format <f>      auto | json | pretty                    [SLUICE_LOG_FORMAT]        default auto (pretty on a terminal)
  --log-level <l>       debug | info | warn | error             [SLUICE_LOG_LEVEL]         default info
  --check               validate sluice.yml and the schedule, print the next runs, and exit
  --version, --help

Secrets come only from the environment, or from the file a *_FILE variable names (Docker secrets):
  SLUICE_SCHEDULER_TOKEN (or SLUICE_SCHEDULER_TOKEN_FILE)      token of the write API and the page's run/pause/resume forms
  SLUICE_ALERT_WEBHOOK_URL (or SLUICE_ALERT_WEBHOOK_URL_FILE)  Slack-compatible webhook (else schedule.alerts.webhook_url)
  SLUICE_STATE_URL (or SLUICE_STATE_URL_FILE), SLUICE_STATE_SCHEMA
                                                     a Postgres state store instead of the state: of sluice.yml
In sluice.yml, \${env:NAME} falls back to the file named by NAME_FILE, and \${file:PATH} reads a file.
`;

/** Read the daemon's options; throws `INVALID_OPTION` naming the flag or variable and what it accepts. */
export function parseDaemonOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DaemonOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        project: { type: 'string' },
        target: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'allowed-hosts': { type: 'string' },
        grace: { type: 'string' },
        'work-dir': { type: 'string' },
        'log-format': { type: 'string' },
        'log-level': { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SchedulerError(
      'INVALID_OPTION',
      `${error instanceof Error ? error.message : String(error)} (see sluice-scheduler --help)`,
    );
  }
  const pick = (flag: string, variable: string): string | undefined => {
    const value = values[flag];
    if (typeof value === 'string') return value;
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const portText = pick('port', 'SLUICE_SCHEDULER_PORT') ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new SchedulerError(
      'INVALID_OPTION',
      `--port / SLUICE_SCHEDULER_PORT: "${portText}" is not a port number (0 to 65535)`,
    );
  }
  const graceText = pick('grace', 'SLUICE_SCHEDULER_GRACE') ?? '30s';
  const grace = durationSchema.safeParse(/^\d+(\.\d+)?$/.test(graceText) ? Number(graceText) : graceText);
  if (!grace.success)
    throw new SchedulerError(
      'INVALID_OPTION',
      `--grace / SLUICE_SCHEDULER_GRACE: "${graceText}" is not a duration (e.g. 30s, 2m)`,
    );
  const logFormat = pick('log-format', 'SLUICE_LOG_FORMAT') ?? 'auto';
  if (logFormat !== 'auto' && logFormat !== 'json' && logFormat !== 'pretty') {
    throw new SchedulerError(
      'INVALID_OPTION',
      `--log-format / SLUICE_LOG_FORMAT: "${logFormat}" is not one of auto, json, pretty`,
    );
  }
  const logLevel = pick('log-level', 'SLUICE_LOG_LEVEL') ?? 'info';
  if (logLevel !== 'debug' && logLevel !== 'info' && logLevel !== 'warn' && logLevel !== 'error') {
    throw new SchedulerError(
      'INVALID_OPTION',
      `--log-level / SLUICE_LOG_LEVEL: "${logLevel}" is not one of debug, info, warn, error`,
    );
  }
  const allowedHosts = (pick('allowed-hosts', 'SLUICE_SCHEDULER_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const badHost = allowedHosts.find((name) => name !== '*' && !/^[A-Za-z0-9.-]+$/.test(name));
  if (badHost !== undefined) {
    throw new SchedulerError(
      'INVALID_OPTION',
      `--allowed-hosts / SLUICE_SCHEDULER_ALLOWED_HOSTS: "${badHost}" is not a host name (write names without port or scheme, comma-separated, or *)`,
    );
  }
  return {
    project: pick('project', 'SLUICE_PROJECT') ?? '.',
    target: pick('target', 'SLUICE_TARGET'),
    host: pick('host', 'SLUICE_SCHEDULER_HOST') ?? '127.0.0.1',
    port,
    allowedHosts,
    graceMs: grace.data,
    workDir: pick('work-dir', 'SLUICE_WORK_DIR'),
    logFormat,
    logLevel,
    token: env.SLUICE_SCHEDULER_TOKEN
      ? env.SLUICE_SCHEDULER_TOKEN.trim() || undefined
      : readSecretFile(env, 'SLUICE_SCHEDULER_TOKEN'),
    webhookUrl: env.SLUICE_ALERT_WEBHOOK_URL || readSecretFile(env, 'SLUICE_ALERT_WEBHOOK_URL'),
    stateUrl: env.SLUICE_STATE_URL || readSecretFile(env, 'SLUICE_STATE_URL'),
    stateSchema: env.SLUICE_STATE_SCHEMA || 'sluice_state',
    check: values.check === true,
    help: values.help === true,
    version: values.version === true,
  };
}

/** The content of the file named by `<name>_FILE` (Docker secrets), trimmed; its value never appears in an error. */
function readSecretFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (error) {
    throw new SchedulerError(
      'INVALID_OPTION',
      `${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
