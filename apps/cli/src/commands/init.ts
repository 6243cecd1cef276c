import path from 'node:path';
import {
  cursorLabel,
  initProject,
  postgresUrlProblem,
  urlWithoutPassword,
  type InitTableProposal,
} from '@sluice/pipeline';
import { displayPath } from '../config-problems.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable } from '../format.js';
import type { Output } from '../output.js';
import { jsonText } from '../run-result.js';

export interface InitCommandOptions {
  readonly project: string;
  readonly from?: string;
  readonly urlEnv?: string;
  readonly schema: string;
  readonly name?: string;
  readonly smallRows?: number;
  readonly writePassword: boolean;
  readonly json: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `sluice init --from postgres://…`: introspect the source's schema and write a project proposing a strategy per
 * table, a staging model per table and `sources.yml`. The URL goes into `sluice.yml` as `${env:NAME}` with
 * `--url-env NAME`, else without its password (unless `--write-password`). Refuses to overwrite a `sluice.yml`.
 */
export async function initCommand(options: InitCommandOptions, out: Output): Promise<number> {
  if (options.urlEnv !== undefined && !ENV_NAME.test(options.urlEnv)) {
    throw new CliError(
      `--url-env ${options.urlEnv}: expected an environment variable name such as SLUICE_SOURCE_URL`,
      EXIT.usage,
    );
  }
  const url = options.from ?? (options.urlEnv ? process.env[options.urlEnv] : undefined);
  if (!url) {
    throw new CliError(
      options.urlEnv
        ? `--url-env ${options.urlEnv}: the variable is not set; export it, or pass --from postgres://…`
        : 'sluice init needs the source: --from postgres://user@host:5432/db (or --url-env NAME to read it from an environment variable)',
      EXIT.usage,
    );
  }
  const urlProblem = postgresUrlProblem(url);
  if (urlProblem)
    throw new CliError(`${options.from ? '--from' : `--url-env ${options.urlEnv}`}: ${urlProblem}`, EXIT.usage);
  if (options.smallRows !== undefined && !(Number.isInteger(options.smallRows) && options.smallRows >= 0)) {
    throw new CliError('--small-rows: expected a whole number of rows', EXIT.usage);
  }
  const hasPassword = urlWithoutPassword(url) !== url;
  const urlInFile = options.urlEnv
    ? `\${env:${options.urlEnv}}`
    : options.writePassword
      ? url
      : urlWithoutPassword(url);
  const result = await initProject({
    dir: options.project,
    url,
    urlInFile,
    schema: options.schema,
    ...(options.name ? { name: options.name } : {}),
    ...(options.smallRows !== undefined ? { smallRows: options.smallRows } : {}),
  });
  const next: string[] = [];
  if (options.urlEnv && !process.env[options.urlEnv])
    next.push(`export ${options.urlEnv}='${urlWithoutPassword(url)}'   # with the password`);
  if (!options.urlEnv && !options.writePassword && hasPassword)
    next.push("export PGPASSWORD='…'   # the password is not written to sluice.yml");
  const cd = path.resolve(options.project) === process.cwd() ? '' : `cd ${displayPath(result.dir)} && `;
  next.push(`${cd}sluice doctor   # check the project against the database`);
  next.push(`${cd}sluice build    # the first load, then the staging models and their tests (sluice run: no tests)`);

  if (options.json) {
    out.line(
      jsonText({
        command: 'init',
        dir: result.dir,
        configFile: result.configFile,
        written: result.written,
        kept: result.kept,
        serverVersion: result.serverVersion,
        tables: result.tables.map((table) => ({
          name: table.name,
          schema: table.schema,
          strategy: table.strategy,
          cursor: table.cursor ?? null,
          exclude: table.exclude ?? [],
          deletes: table.deletes ?? 'none',
          reason: table.reason,
          details: table.details,
        })),
        skipped: result.skipped.map((skipped) => ({ name: skipped.name, reason: skipped.reason })),
        urlInFile: options.urlEnv ? urlInFile : options.writePassword ? '(as given, with its password)' : urlInFile,
        next,
      }),
    );
    return EXIT.ok;
  }
  out.line(
    `introspected ${result.tables.length + result.skipped.length} tables in schema ${options.schema} of ${urlWithoutPassword(url)} (PostgreSQL ${result.serverVersion})`,
  );
  out.line();
  for (const line of formatTable(
    ['table', 'strategy', 'cursor', 'why'],
    result.tables.map((table) => proposalRow(table, out.columns)),
  ))
    out.line(`  ${line}`);
  for (const skipped of result.skipped) out.line(out.yellow(`  left out ${skipped.name}: ${skipped.reason}`));
  out.line();
  const models = result.written.filter((file) => file.startsWith('models/stage/stg_')).length;
  out.line(
    `wrote ${displayPath(result.configFile)}, ${models} staging model${models === 1 ? '' : 's'} and sources.yml in models/stage/${result.written.includes('.gitignore') ? ', .gitignore' : ''}`,
  );
  if (result.kept.length > 0) out.line(out.dim(`kept as they were: ${result.kept.join(', ')}`));
  if (options.writePassword && hasPassword)
    out.line(out.yellow('sluice.yml holds the password (--write-password): keep it out of version control'));
  out.line();
  out.line(out.bold('next:'));
  for (const line of next) out.line(`  ${line}`);
  return EXIT.ok;
}

function proposalRow(table: InitTableProposal, columns: number): string[] {
  const cursor = table.cursor ? cursorLabel(table.cursor) : '-';
  const why =
    table.reason.length > Math.max(30, columns - 60)
      ? `${table.reason.slice(0, Math.max(30, columns - 61))}…`
      : table.reason;
  return [table.name, table.strategy, cursor, why];
}
