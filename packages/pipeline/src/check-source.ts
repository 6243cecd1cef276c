import { readFile } from 'node:fs/promises';
import {
  describeEndpoint,
  ExtractError,
  openSourceCatalog,
  planExtraction,
  sourceCatalog,
  type ExtractPlan,
  type OpenTransaction,
  type Queryable,
  type SourceCatalog,
  type SourceTable,
} from '@sluice/pg-extract';
import { configKeyLineFinder } from './config-key-line.js';
import { tableSpecOf, type ConfigProblem, type LoadedProject, type TableConfig } from './project-config.js';

/** The oldest Postgres the extraction supports (`pg_snapshot_xmin`, `pg_current_snapshot`: PostgreSQL 13). */
export const MIN_SOURCE_SERVER_VERSION = 130000;

/** What the live source says about one configured table. */
export interface SourceTableCheck {
  /** The table's key in `sluice.yml`. */
  readonly name: string;
  /** `schema.table` in the source. */
  readonly qualified: string;
  readonly strategy: TableConfig['strategy'];
  /** What Postgres says about it; `undefined` when it does not exist. */
  readonly table: SourceTable | undefined;
  /** The extraction plan, when the table's config works against the table. */
  readonly plan: ExtractPlan | undefined;
  /** Whether the connected role may read every column that will be extracted; `undefined` when the table is missing. */
  readonly readable: boolean | undefined;
  /** The config problems of this table, each with its place in `sluice.yml`. */
  readonly problems: readonly ConfigProblem[];
  /** For a table read by a cursor, when asked (`cursorIndexes`): whether an index serves it, and the statement
   *  creating one that would. */
  readonly cursorIndex?: { readonly served: boolean; readonly suggestion: string };
}

/** The outcome of {@link checkSource}. */
export interface SourceCheck {
  /** `host:port` (never the user or password). */
  readonly endpoint: string;
  readonly database: string;
  /** The role the URL logs in as. */
  readonly role: string;
  /** `server_version`, e.g. `16.4`. */
  readonly serverVersion: string;
  /** `server_version_num`, e.g. `160004`. */
  readonly serverVersionNum: number;
  readonly tables: readonly SourceTableCheck[];
  /** Every config problem found, in `sluice.yml` order of tables: refuse to run while any remain. */
  readonly problems: readonly ConfigProblem[];
  /** `schema.table` of each table the role cannot read (`GRANT SELECT` fixes it). */
  readonly unreadable: readonly string[];
  /** When asked (`openTransactions`): transactions on the server open longer than that, which hold back the xmin
   *  horizon, so that every `scan` run re-reads what was written since they began. */
  readonly openTransactions?: readonly OpenTransaction[];
}

export interface CheckSourceOptions {
  /** Only these tables (keys of `tables:`); default all. */
  readonly tables?: readonly string[];
  /** An open connection to use instead of connecting to `source.url` (it is left open). */
  readonly client?: Queryable;
  /** Also ask, per table read by a cursor, whether an index serves the cursor (`cursorIndex`; one EXPLAIN each). */
  readonly cursorIndexes?: boolean;
  /** Also list the transactions open longer than this many seconds (`openTransactions`). */
  readonly openTransactions?: number;
}

/**
 * Check a project's tables against the live source before anything runs: each table exists, the role can read
 * it, and its config (strategy, cursor, include/exclude/hash, primary key for upsert) works against its real
 * columns. Every config problem comes back at once with its key path and line in `sluice.yml`, e.g.
 * `sluice.yml:14: tables.vendas.cursor: column "data_atualizacaoo" does not exist in public.vendas (did you mean
 * data_atualizacao?)`. Reads only the catalog. Throws `ExtractError` `SOURCE_UNREACHABLE` when it cannot connect.
 *
 * @example
 * const check = await checkSource(project);
 * if (check.problems.length > 0) throw new ConfigError(check.problems);
 */
export async function checkSource(project: LoadedProject, options: CheckSourceOptions = {}): Promise<SourceCheck> {
  const { config } = project;
  const catalog: SourceCatalog = options.client
    ? sourceCatalog(options.client)
    : await openSourceCatalog(config.source.url, 'sluice-check');
  try {
    const lineOf = configKeyLineFinder(await readFile(project.file, 'utf8').catch(() => ''));
    const server = await catalog.server();
    const names = options.tables ?? Object.keys(config.tables);
    const tables: SourceTableCheck[] = [];
    for (const name of names) {
      const spec = config.tables[name];
      if (spec) tables.push(await checkTable(catalog, project, name, spec, lineOf, options.cursorIndexes === true));
    }
    const open =
      options.openTransactions === undefined ? undefined : await catalog.openTransactions(options.openTransactions);
    return {
      ...(open ? { openTransactions: open } : {}),
      endpoint: describeEndpoint(config.source.url),
      database: server.database,
      role: server.role,
      serverVersion: server.version,
      serverVersionNum: server.versionNum,
      tables,
      problems: tables.flatMap((table) => table.problems),
      unreadable: tables.filter((table) => table.readable === false).map((table) => table.qualified),
    };
  } finally {
    await catalog.close();
  }
}

async function checkTable(
  catalog: SourceCatalog,
  project: LoadedProject,
  name: string,
  spec: TableConfig,
  lineOf: (keyPath: readonly string[]) => number | undefined,
  cursorIndexes: boolean,
): Promise<SourceTableCheck> {
  const schema = spec.schema ?? project.config.source.schema;
  const qualified = `${schema}.${name}`;
  const problem = (keyPath: readonly string[], path: string, message: string): ConfigProblem => ({
    file: project.file,
    line: lineOf(keyPath),
    path,
    message,
  });
  const base = { name, qualified, strategy: spec.strategy };
  let table: SourceTable;
  try {
    table = await catalog.introspectTable(schema, name);
  } catch (error) {
    if (error instanceof ExtractError && error.code === 'TABLE_NOT_FOUND') {
      return {
        ...base,
        table: undefined,
        plan: undefined,
        readable: undefined,
        problems: [problem(['tables', name], `tables.${name}`, error.message)],
      };
    }
    throw error;
  }
  const problems: ConfigProblem[] = [];
  let plan: ExtractPlan | undefined;
  try {
    plan = planExtraction(table, tableSpecOf(project.config, spec), undefined);
  } catch (error) {
    if (!(error instanceof ExtractError) || error.code !== 'INVALID_TABLE_CONFIG') throw error;
    for (const line of error.message.split('\n')) {
      const place = placeOfPlanProblem(name, qualified, spec, line);
      problems.push(problem(place.keyPath, place.keyPath.slice(0, 3).join('.'), place.message));
    }
  }
  const columns = plan ? plan.columns.map((column) => column.name) : table.columns.map((column) => column.name);
  const readable = await catalog.canRead(schema, name, columns);
  const cursorIndex =
    cursorIndexes && plan && readable && plan.cursorSql.length > 0 ? await catalog.cursorIndex(plan) : undefined;
  return { ...base, table, plan, readable, problems, ...(cursorIndex ? { cursorIndex } : {}) };
}

/**
 * The key a plan problem is about, from the way `planExtraction` words it (`cursor[1]: …`, `include: …`,
 * `… has no primary key …`), and the message without a leading `schema.table: `.
 */
export function placeOfPlanProblem(
  name: string,
  qualified: string,
  spec: Pick<TableConfig, 'include' | 'exclude'>,
  problem: string,
): { keyPath: string[]; message: string } {
  const at = (key: string, ...rest: string[]) => ['tables', name, key, ...rest];
  const element = /^cursor\[(\d+)\]: ([\s\S]*)$/.exec(problem);
  if (element) return { keyPath: at('cursor', element[1] as string), message: element[2] as string };
  const list = /^(include|exclude|hash): ([\s\S]*)$/.exec(problem);
  if (list) return { keyPath: at(list[1] as string), message: list[2] as string };
  const chosen = /^columns\.([^:]+): ([\s\S]*)$/.exec(problem);
  if (chosen) return { keyPath: at('columns', chosen[1] as string), message: chosen[2] as string };
  const message = problem.startsWith(`${qualified}: `) ? problem.slice(qualified.length + 2) : problem;
  const excludedKey = /^primary key column "([^"]+)" of .* cannot be excluded/.exec(problem);
  if (excludedKey)
    return {
      keyPath: at(spec.exclude?.includes(excludedKey[1] as string) || !spec.include ? 'exclude' : 'include'),
      message,
    };
  if (/cannot be hashed/.test(problem)) return { keyPath: at('hash'), message };
  if (/has no primary key|is a view or foreign table/.test(problem)) return { keyPath: at('strategy'), message };
  if (/cursor/.test(problem)) return { keyPath: at('cursor'), message };
  return { keyPath: ['tables', name], message };
}
