import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ExtractError,
  openSourceCatalog,
  type SourceCatalog,
  type SourceRelation,
  type SourceServer,
  type SourceTable,
} from '@sluice/pg-extract';
import { quoteIdentifier } from '@sluice/warehouse';
import { ConfigError } from './project-config.js';
import {
  DEFAULT_SMALL_ROWS,
  displayName,
  proposeTable,
  type ColumnFacts,
  type InitTableProposal,
  type TableFacts,
} from './propose-table.js';
import { identifierFrom, renderInitFiles, type LeftOutRelation } from './render-init-files.js';

export interface InitProjectOptions {
  /** The folder to write into (created when missing). */
  readonly dir: string;
  /** The source to introspect (may hold a password: it is never printed, nor written unless `urlInFile` has it). */
  readonly url: string;
  /** What to write as `source.url`: `${env:NAME}`, the URL without its password (default), or the URL as given. */
  readonly urlInFile?: string;
  /** The Postgres schema whose tables are proposed (default `public`). */
  readonly schema?: string;
  /** The project name (default: from the folder's name). */
  readonly name?: string;
  readonly smallRows?: number;
}

export interface InitProjectResult {
  readonly dir: string;
  readonly configFile: string;
  /** Files written, relative to `dir`. */
  readonly written: readonly string[];
  /** Files that existed and were left alone (relative to `dir`). */
  readonly kept: readonly string[];
  readonly tables: readonly InitTableProposal[];
  readonly skipped: readonly LeftOutRelation[];
  readonly serverVersion: string;
}

/** A URL without its password, for files and messages. */
export function urlWithoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Pages a sample of a never-analyzed table reads (`TABLESAMPLE SYSTEM`), and the rows it keeps at most. */
const SAMPLE_PAGES = 300;
const SAMPLE_ROWS = 30_000;
const PAGE_BYTES = 8192;
/** Statistics this stale (rows changed since ANALYZE, against the live rows) are not trusted: a sample is read. */
const STALE_SHARE = 0.2;

/**
 * `sluice init`: read every relation of a schema in a live Postgres — its catalog entry, what Postgres counted
 * (inserts, updates, deletes), its columns' NULL fractions and distinct counts (`pg_stats`, or a sample when it
 * was never analyzed) — propose a strategy for each table (`proposeTable`), and write a new project
 * (`renderInitFiles`). Partitions are loaded through their root; views, materialized views and foreign tables, and
 * tables the role cannot read, are left out with the entry that would add them. Refuses (a `ConfigError`) when the
 * folder has a `sluice.yml` already; other files that exist are kept. Reads the catalog, counts up to
 * `smallRows + 1` rows per table, and samples at most a few hundred pages of a table never analyzed.
 *
 * @example await initProject({ dir: 'shop', url: process.env.SHOP_URL!, urlInFile: '${env:SHOP_URL}' });
 */
export async function initProject(options: InitProjectOptions): Promise<InitProjectResult> {
  const dir = path.resolve(options.dir);
  const configFile = path.join(dir, 'sluice.yml');
  if (existsSync(configFile)) {
    throw new ConfigError([
      {
        file: configFile,
        line: undefined,
        path: '',
        message: `${configFile} exists already: sluice init never overwrites it. Edit it, or run init in an empty folder (--project DIR)`,
      },
    ]);
  }
  const schema = options.schema ?? 'public';
  const catalog = await openSourceCatalog(options.url, 'sluice-init');
  let found: { server: SourceServer } & Awaited<ReturnType<typeof proposeTables>>;
  try {
    const server = await catalog.server();
    found = { server, ...(await proposeTables(catalog, schema, configFile, server.role, options.smallRows)) };
  } finally {
    await catalog.close();
  }
  const { server, tables, skipped } = found;
  const name = options.name ?? identifierFrom(path.basename(dir), 'sluice_project');
  const files = renderInitFiles({
    name,
    sourceName: identifierFrom(server.database, 'source'),
    url: options.urlInFile ?? urlWithoutPassword(options.url),
    schema,
    tables,
    from: urlWithoutPassword(options.url),
    skipped,
  });
  const written: string[] = [];
  const kept: string[] = [];
  // sluice.yml first and exclusively ('wx'): two inits racing in one folder cannot both write it.
  for (const relative of Object.keys(files).sort((a, b) =>
    a === 'sluice.yml' ? -1 : b === 'sluice.yml' ? 1 : a.localeCompare(b),
  )) {
    const file = path.join(dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await writeFile(file, files[relative] as string, { flag: 'wx' });
      written.push(relative);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (relative === 'sluice.yml') {
        throw new ConfigError([
          { file, line: undefined, path: '', message: `${file} exists already: sluice init never overwrites it` },
        ]);
      }
      kept.push(relative);
    }
  }
  return { dir, configFile, written, kept, tables, skipped, serverVersion: server.version };
}

const DERIVED: Readonly<Record<string, string>> = {
  v: 'a view',
  m: 'a materialized view',
  f: 'a foreign table',
};

/**
 * Weigh every relation of `schema` and propose how to load each table: partitions go through their root, views
 * and what the role cannot read are left out (with the entry that would add them), and so is a table whose name
 * differs from one already proposed only in case (the warehouse would not tell them apart).
 */
async function proposeTables(
  catalog: SourceCatalog,
  schema: string,
  configFile: string,
  role: string,
  smallRows: number | undefined,
): Promise<{ tables: InitTableProposal[]; skipped: LeftOutRelation[] }> {
  const relations = await catalog.listRelations(schema);
  if (relations.length === 0) {
    throw new ConfigError([
      {
        file: configFile,
        line: undefined,
        path: '',
        message: `schema ${schema} of the source has no tables: pass --schema NAME`,
      },
    ]);
  }
  const partitions = new Map<string, string[]>();
  const skipped: LeftOutRelation[] = [];
  for (const relation of relations) {
    const root = relation.partitionOf;
    if (!root) continue;
    if (root.schema === schema) partitions.set(root.name, [...(partitions.get(root.name) ?? []), relation.name]);
    else
      skipped.push({
        name: relation.name,
        reason: `a partition of ${displayName(root.schema)}.${displayName(root.name)}, loaded through it (init ${displayName(root.schema)} with --schema)`,
      });
  }
  const tables: InitTableProposal[] = [];
  const taken = new Map<string, string>();
  for (const relation of relations) {
    if (relation.partitionOf) continue;
    const derived = DERIVED[relation.kind];
    if (derived) {
      skipped.push({
        name: relation.name,
        reason: `${derived}: its rows come from tables that are loaded themselves, so it is not loaded again (build it as a model on them)`,
        entry: { schema, strategy: 'full', when: 'To load it whole every run anyway, uncomment' },
      });
      continue;
    }
    if (!relation.readable) {
      skipped.push({
        name: relation.name,
        reason: `the role ${displayName(role)} cannot read it (GRANT SELECT ON ${quoteIdentifier(schema)}.${quoteIdentifier(relation.name)} TO ${quoteIdentifier(role)}; fixes that)`,
        entry: { schema, strategy: 'full', when: 'Once granted, uncomment (then sluice doctor checks the strategy)' },
      });
      continue;
    }
    const clash = taken.get(relation.name.toLowerCase());
    if (clash !== undefined) {
      skipped.push({
        name: relation.name,
        reason: `its name differs from ${displayName(clash)} only in case, which the warehouse does not tell apart`,
      });
      continue;
    }
    const table = await catalog.introspectTable(schema, relation.name);
    const facts = await tableFacts(catalog, table, relation, partitions.get(relation.name) ?? [], smallRows);
    try {
      tables.push(proposeTable(table, facts, smallRows === undefined ? {} : { smallRows }));
      taken.set(relation.name.toLowerCase(), relation.name);
    } catch (error) {
      if (!(error instanceof ExtractError)) throw error;
      skipped.push({ name: relation.name, reason: error.message.split('\n')[0] ?? error.code });
    }
  }
  return { tables, skipped };
}

const STATISTIC_KINDS: ReadonlySet<string> = new Set([
  'smallint',
  'integer',
  'bigint',
  'decimal',
  'date',
  'timestamp',
  'timestamptz',
  'uuid',
]);

/**
 * What the data says about a table: its rows (counted up to `smallRows + 1`), Postgres's counters, and NULL
 * fractions and distinct counts — from `pg_stats` when it was analyzed and is not stale, else from a sample of the
 * columns a cursor could use.
 */
async function tableFacts(
  catalog: SourceCatalog,
  table: SourceTable,
  relation: SourceRelation,
  partitions: readonly string[],
  smallRows: number | undefined,
): Promise<TableFacts> {
  const rows = await catalog.countUpTo(table.schema, table.name, (smallRows ?? DEFAULT_SMALL_ROWS) + 1);
  const activity = relation.activity
    ? {
        inserted: relation.activity.inserted,
        updated: relation.activity.updated,
        deleted: relation.activity.deleted,
        ...(relation.statsReset ? { since: relation.statsReset } : {}),
      }
    : undefined;
  const base = { rows, ...(activity ? { activity } : {}), ...(partitions.length > 0 ? { partitions } : {}) };
  if (rows === 0) return base;
  const live = Math.max(relation.activity?.liveRows ?? 0, relation.estimatedRows, rows);
  const analyzed = relation.activity?.lastAnalyzed !== undefined;
  const stale = analyzed && (relation.activity?.modifiedSinceAnalyze ?? 0) > STALE_SHARE * live;
  const stats = stale ? [] : await catalog.columnStatistics(table.schema, table.name, table.kind === 'p');
  if (stats.length > 0) {
    const columns = new Map<string, ColumnFacts>(
      stats.map((column) => [
        column.name,
        {
          nullFraction: column.nullFraction,
          distinct: column.distinct >= 0 ? column.distinct : Math.round(-column.distinct * live),
        },
      ]),
    );
    return { ...base, columns, statistics: { source: 'pg_stats' } };
  }
  const sampled = table.columns
    .filter((column) => column.logical && STATISTIC_KINDS.has(column.logical.kind))
    .map((column) => column.name);
  const percent = relation.bytes > 0 ? (100 * SAMPLE_PAGES * PAGE_BYTES) / relation.bytes : 100;
  let sample = await catalog.sampleColumns(table.schema, table.name, sampled, { percent, limit: SAMPLE_ROWS });
  // Pages picked at random can all be empty ones: then read the first rows instead.
  if (sample.rows === 0 && percent < 100) {
    sample = await catalog.sampleColumns(table.schema, table.name, sampled, { percent: 100, limit: SAMPLE_ROWS });
  }
  if (sample.rows === 0) return base;
  const columns = new Map<string, ColumnFacts>(
    sample.columns.map((column) => [
      column.name,
      { nullFraction: 1 - column.nonNull / sample.rows, distinct: column.distinct },
    ]),
  );
  return {
    ...base,
    columns,
    statistics: { source: 'sample', rows: sample.rows, because: analyzed ? 'stale' : 'never analyzed' },
  };
}
