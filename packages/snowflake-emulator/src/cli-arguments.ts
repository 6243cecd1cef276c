import { parseArgs } from 'node:util';
import type { EmulatorUser, SnowflakeEmulatorOptions } from './snowflake-emulator.js';

/** The usage text of `sluice-snowflake-emulator`. */
export const CLI_USAGE = `Usage: sluice-snowflake-emulator --data DIR [--port N] [--host H]
                                 [--user NAME [--password-env VAR] [--public-key FILE]]
                                 [--database NAME]... [--result-wait-ms MS]

A local server that speaks snowflake-sdk's protocol and runs the SQL in DuckDB.

  --data DIR            where DuckDB files, stages and metadata are kept (required)
  --port N              TCP port (default 0: any free port)
  --host H              interface to listen on (default 127.0.0.1)
  --user NAME           the one user allowed to log in (default: any user, any password)
  --password-env VAR    environment variable holding that user's password
  --public-key FILE     PEM public key of that user, for key-pair (SNOWFLAKE_JWT) login
  --database NAME       create this database at start if missing (repeatable)
  --result-wait-ms MS   how long a query request waits before answering "in progress" (default 45000)
`;

/** What the command line asks for: emulator options, or a message and exit code. */
export type CliArguments =
  | {
      readonly kind: 'run';
      readonly options: SnowflakeEmulatorOptions;
      readonly passwordVariable: string | undefined;
      readonly user: string | undefined;
    }
  | { readonly kind: 'exit'; readonly message: string; readonly exitCode: number };

/**
 * Parse `sluice-snowflake-emulator` arguments. Secrets come from the environment (`--password-env VAR`), never
 * from the command line; the public key is read with `readFile`.
 */
export function parseCliArguments(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile: (file: string) => string,
): CliArguments {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        data: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        user: { type: 'string' },
        'password-env': { type: 'string' },
        'public-key': { type: 'string' },
        database: { type: 'string', multiple: true },
        'result-wait-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    return { kind: 'exit', message: `${(error as Error).message}\n\n${CLI_USAGE}`, exitCode: 2 };
  }
  if (values.help) return { kind: 'exit', message: CLI_USAGE, exitCode: 0 };
  if (!values.data) return { kind: 'exit', message: `--data DIR is required.\n\n${CLI_USAGE}`, exitCode: 2 };
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return { kind: 'exit', message: `--port must be a number between 0 and 65535, got '${values.port}'.`, exitCode: 2 };
  }
  const resultWaitMs = values['result-wait-ms'] === undefined ? undefined : Number(values['result-wait-ms']);
  if (resultWaitMs !== undefined && !(Number.isFinite(resultWaitMs) && resultWaitMs >= 0)) {
    return {
      kind: 'exit',
      message: `--result-wait-ms must be a number of milliseconds, got '${values['result-wait-ms']}'.`,
      exitCode: 2,
    };
  }
  let users: EmulatorUser[] | undefined;
  if (values.user) {
    let password: string | undefined;
    const variable = values['password-env'];
    if (variable) {
      password = env[variable];
      if (password === undefined)
        return {
          kind: 'exit',
          message: `The environment variable ${variable} (from --password-env) is not set.`,
          exitCode: 2,
        };
    }
    let publicKeyPem: string | undefined;
    if (values['public-key']) {
      try {
        publicKeyPem = readFile(values['public-key']);
      } catch (error) {
        return {
          kind: 'exit',
          message: `Cannot read the public key file ${values['public-key']}: ${(error as Error).message}`,
          exitCode: 2,
        };
      }
    }
    if (password === undefined && publicKeyPem === undefined) {
      return { kind: 'exit', message: '--user needs --password-env VAR or --public-key FILE (or both).', exitCode: 2 };
    }
    users = [
      {
        name: values.user,
        ...(password === undefined ? {} : { password }),
        ...(publicKeyPem === undefined ? {} : { publicKeyPem }),
      },
    ];
  } else if (values['password-env'] || values['public-key']) {
    return { kind: 'exit', message: '--password-env and --public-key need --user NAME.', exitCode: 2 };
  }
  return {
    kind: 'run',
    user: values.user,
    passwordVariable: values['password-env'],
    options: {
      dataDir: values.data,
      port,
      ...(values.host ? { host: values.host } : {}),
      ...(users ? { users } : {}),
      ...(values.database ? { databases: values.database } : {}),
      ...(resultWaitMs === undefined ? {} : { resultWaitMs }),
    },
  };
}

/** How to point snowflake-sdk at a running emulator (printed by the bin; no secret in it). */
export function connectionHint(
  url: string,
  user: string | undefined,
  passwordVariable: string | undefined,
  database: string | undefined,
): string {
  return [
    'Point snowflake-sdk at it with accessUrl:',
    '',
    '  snowflake.createConnection({',
    "    account: 'emulator',",
    `    username: '${user ?? 'any_user'}',`,
    `    password: process.env.${passwordVariable ?? 'SNOWFLAKE_PASSWORD'},`,
    `    accessUrl: '${url}',`,
    `    database: '${database ?? 'ANALYTICS'}', schema: 'PUBLIC', warehouse: 'COMPUTE_WH',`,
    '  });',
  ].join('\n');
}
