/** Extra fields of a log line (the run id, a table, a duration…). */
export type LogFields = Readonly<Record<string, unknown>>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The daemon's logger: one JSON object per line, or readable lines on a terminal. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. `{ runId }`) to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Where lines go (default stderr). */
  readonly stream?: { write(text: string): unknown; readonly isTTY?: boolean };
  /** `json` (one object per line), `pretty` (for people), `auto` (pretty on a terminal, else JSON). */
  readonly format?: 'json' | 'pretty' | 'auto';
  readonly level?: LogLevel;
  /** Strings that must never be written (the API token, the webhook URL): replaced by `***` wherever they appear. */
  readonly secrets?: readonly string[];
  readonly now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Create the daemon's logger. JSON lines carry `time`, `level`, `msg` and the fields (`runId` on every line of a
 * run), ready for a log shipper; on a terminal the same facts print as `12:00:01 INFO  run started run=… trigger=…`.
 *
 * @example const log = createLogger({ format: 'auto', secrets: [token] }); log.child({ runId }).info('run started');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const pretty = options.format === 'pretty' || (options.format !== 'json' && Boolean(stream.isTTY));
  const min = RANK[options.level ?? 'info'];
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 4);
  const now = options.now ?? (() => new Date());
  const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);

  const make = (bound: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (RANK[level] < min) return;
      const all = { ...bound, ...fields };
      const time = now();
      const line = pretty
        ? prettyLine(time, level, msg, all)
        : JSON.stringify({ time: time.toISOString(), level, msg, ...serializable(all) });
      stream.write(`${scrub(line)}\n`);
    };
    return {
      debug: (msg, fields) => write('debug', msg, fields),
      info: (msg, fields) => write('info', msg, fields),
      warn: (msg, fields) => write('warn', msg, fields),
      error: (msg, fields) => write('error', msg, fields),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}

function serializable(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] =
      value instanceof Error
        ? { name: value.name, message: value.message, ...('code' in value ? { code: value.code } : {}) }
        : value;
  }
  return out;
}

function prettyLine(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  const clock = time.toISOString().slice(11, 19);
  const tail = Object.entries(serializable(fields))
    .map(
      ([key, value]) =>
        `${key === 'runId' ? 'run' : key}=${typeof value === 'string' ? (/\s/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value)}`,
    )
    .join(' ');
  return `${clock} ${level.toUpperCase().padEnd(5)} ${msg}${tail ? `  ${tail}` : ''}`;
}
