import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ExtractError,
  openSourceCatalog,
  planExtraction,
  type CursorElement,
  type SourceCatalog,
  type SourceColumn,
  type SourceServer,
  type SourceTable,
} from '@sluice/pg-extract';
import { quoteIdentifier, SYNCED_AT_COLUMN } from '@sluice/warehouse';
import { ConfigError } from './project-config.js';

/** A table `sluice init` proposes to load, and why it chose that strategy. */
export interface InitTableProposal {
  readonly name: string;
  readonly schema: string;
  readonly strategy: 'append' | 'upsert' | 'full';
  readonly cursor?: readonly CursorElement[];
  /** Columns of types Sluice cannot load exactly, left out. */
  readonly exclude?: readonly string[];
  /** One line on why: written above the table in `sluice.yml`. */
  readonly reason: string;
  readonly primaryKey: readonly string[];
  /** The columns that will be loaded (the staging model selects them). */
  readonly columns: readonly string[];
}

/** How `proposeTable` decides. */
export interface ProposeOptions {
  /** Tables with at most this many rows are reloaded whole (`full`). Default 10,000. */
  readonly smallRows?: number;
}

const DEFAULT_SMALL_ROWS = 10_000;
const TIMESTAMP_KINDS: ReadonlySet<string> = new Set(['timestamp', 'timestamptz']);
const INTEGER_KINDS: ReadonlySet<string> = new Set(['smallint', 'integer', 'bigint']);
/** Names that say "last changed at", best first (English and Portuguese, as NovaDrive's data_atualizacao). */
const UPDATE_NAMES = [
  'updated_at',
  'updated_on',
  'updated',
  'update_time',
  'updated_time',
  'last_updated',
  'last_updated_at',
  'last_update',
  'modified_at',
  'modified_on',
  'modified',
  'last_modified',
  'last_modified_at',
  'changed_at',
  'mtime',
  'data_atualizacao',
  'dt_atualizacao',
  'atualizado_em',
  'data_alteracao',
  'dt_alteracao',
  'alterado_em',
  'data_modificacao',
];
const UPDATE_PATTERN = /(updat|modif|chang|atualiz|alter)/i;
/** Names that say "inserted at": the fallback of a nullable update column. */
const CREATE_NAMES = [
  'created_at',
  'created_on',
  'created',
  'create_time',
  'inserted_at',
  'insert_time',
  'added_at',
  'data_inclusao',
  'dt_inclusao',
  'data_criacao',
  'dt_criacao',
  'criado_em',
  'data_cadastro',
  'dt_cadastro',
  'incluido_em',
];
const CREATE_PATTERN = /(creat|insert|added|inclu|criad|criac|cadastr)/i;

function findColumn(
  columns: readonly SourceColumn[],
  names: readonly string[],
  pattern: RegExp,
  kinds: ReadonlySet<string>,
): SourceColumn | undefined {
  const typed = columns.filter((column) => column.logical && kinds.has(column.logical.kind));
  for (const name of names) {
    const found = typed.find((column) => column.name.toLowerCase() === name);
    if (found) return found;
  }
  return typed.find((column) => pattern.test(column.name));
}

/**
 * Propose how to load one table, from what Postgres says about it. Pure. A view, a table without a primary key,
 * or a small table is reloaded whole (`full`); a primary key with an update-timestamp-looking column
 * (`updated_at`, `data_atualizacao`, `modified`…) gives `upsert` by `[that column, …key]`, coalesced with a
 * creation column (`created_at`, `data_inclusao`…) when the update column can be NULL; a single integer key and
 * no update column looks insert-only: `append` by the key. The proposal is checked with `planExtraction`, so the
 * first load works; columns Sluice cannot load exactly are excluded. Throws `ExtractError` `INVALID_TABLE_CONFIG`
 * for a table that cannot be loaded at all (a primary key of a type Sluice cannot load).
 *
 * @example proposeTable(await introspectTable(client, 'public', 'vendas'), 600_000)
 */
export function proposeTable(table: SourceTable, rows: number, options: ProposeOptions = {}): InitTableProposal {
  const smallRows = options.smallRows ?? DEFAULT_SMALL_ROWS;
  const unloadable = table.columns
    .filter((column) => !column.logical && !table.primaryKey.includes(column.name))
    .map((column) => column.name);
  const columns = table.columns.map((column) => column.name).filter((name) => !unloadable.includes(name));
  const base = {
    name: table.name,
    schema: table.schema,
    primaryKey: table.primaryKey,
    columns,
    ...(unloadable.length > 0 ? { exclude: unloadable } : {}),
  };
  const full = (reason: string): InitTableProposal => ({ ...base, strategy: 'full', reason });
  let proposal: InitTableProposal;
  if (table.kind === 'v' || table.kind === 'm' || table.kind === 'f') {
    proposal = full(
      `a ${table.kind === 'v' ? 'view' : table.kind === 'm' ? 'materialized view' : 'foreign table'}: read whole every run`,
    );
  } else if (table.primaryKey.length === 0) {
    proposal = full('no primary key: reloaded whole every run (add a key to load it incrementally)');
  } else if (rows <= smallRows) {
    proposal = full(`${rows.toLocaleString('en-US')} rows: small, reloaded whole (skipped when unchanged)`);
  } else {
    const updated = findColumn(table.columns, UPDATE_NAMES, UPDATE_PATTERN, TIMESTAMP_KINDS);
    const single =
      table.primaryKey.length === 1 ? table.columns.find((column) => column.name === table.primaryKey[0]) : undefined;
    if (updated) {
      const created = updated.nullable
        ? findColumn(
            table.columns.filter(
              (column) => column.name !== updated.name && column.logical?.kind === updated.logical?.kind,
            ),
            CREATE_NAMES,
            CREATE_PATTERN,
            TIMESTAMP_KINDS,
          )
        : undefined;
      const head: CursorElement = created ? { coalesce: [updated.name, created.name] } : updated.name;
      const why = created
        ? `updated by ${updated.name}, NULL until a first update, so it falls back to ${created.name}`
        : updated.nullable
          ? `updated by ${updated.name} (rows where it is NULL are read by the first load only: set it on insert)`
          : `updated by ${updated.name}`;
      proposal = {
        ...base,
        strategy: 'upsert',
        cursor: [head, ...table.primaryKey],
        reason: `key ${table.primaryKey.join(', ')}; ${why}`,
      };
    } else if (single?.logical && INTEGER_KINDS.has(single.logical.kind)) {
      proposal = {
        ...base,
        strategy: 'append',
        cursor: [single.name],
        reason: `key ${single.name}, no update timestamp: looks insert-only (if rows are ever updated, use upsert)`,
      };
    } else {
      proposal = full('no update timestamp and no integer key: reloaded whole every run');
    }
  }
  try {
    planExtraction(
      table,
      {
        strategy: proposal.strategy,
        ...(proposal.cursor ? { cursor: proposal.cursor } : {}),
        ...(proposal.exclude ? { exclude: proposal.exclude } : {}),
      },
      undefined,
    );
    return proposal;
  } catch (error) {
    if (proposal.strategy === 'full' || !(error instanceof ExtractError)) throw error;
    return full(`reloaded whole every run: ${proposal.strategy} would not work (${error.message.split('\n')[0]})`);
  }
}

/** What `renderInitFiles` writes. */
export interface InitFilesInput {
  /** The project's name (an identifier). */
  readonly name: string;
  /** The source's name in `sources.yml` (`source('<name>', 'table')`). */
  readonly sourceName: string;
  /** What `source.url` says: a URL without password, or `${env:NAME}`. */
  readonly url: string;
  readonly schema: string;
  readonly tables: readonly InitTableProposal[];
  /** Said in the header comment, e.g. `postgres://app@db:5432/shop`. Never with a password. */
  readonly from: string;
  /** Tables left out, with why (said in a comment). */
  readonly skipped?: readonly { readonly name: string; readonly reason: string }[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

function yamlString(value: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

function cursorYaml(cursor: readonly CursorElement[]): string {
  return `[${cursor.map((element) => (typeof element === 'string' ? element : `{ coalesce: [${element.coalesce.join(', ')}] }`)).join(', ')}]`;
}

function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : quoteIdentifier(name);
}

/**
 * The files of a new project, by path relative to its folder: `sluice.yml`, `models/stage/sources.yml`, one
 * `models/stage/stg_<table>.sql` per table, and `.gitignore`. Pure.
 */
export function renderInitFiles(input: InitFilesInput): Record<string, string> {
  const lines: string[] = [
    `# Sluice project generated by \`sluice init\` from ${input.from} (schema ${input.schema}).`,
    '# Review the strategy of each table, then: sluice doctor (checks this file against the database) and sluice build.',
    '',
    `name: ${input.name}`,
    '',
    'source:',
    `  url: ${yamlString(input.url)}`,
    `  schema: ${input.schema}`,
    'raw_schema: raw',
    '',
    'targets:',
    '  dev:',
    '    type: duckdb',
    '    path: .sluice/warehouse.duckdb',
    '    schema: analytics',
    'target: dev',
    '',
    'state:',
    '  type: file',
    '  dir: .sluice/state',
    '',
    '# Strategies: full (reload whole, skipped when unchanged), append (new rows by an increasing cursor),',
    '# upsert (new and changed rows by a compound cursor ending with the primary key, so equal timestamps are never',
    '# skipped). Add `deletes: reconcile` to an append or upsert table to find rows deleted in the source.',
    'tables:',
  ];
  for (const table of input.tables) {
    lines.push(`  # ${table.reason}`);
    lines.push(`  ${table.name}:`);
    if (table.schema !== input.schema) lines.push(`    schema: ${table.schema}`);
    lines.push(`    strategy: ${table.strategy}`);
    if (table.cursor) lines.push(`    cursor: ${cursorYaml(table.cursor)}`);
    if (table.exclude) lines.push(`    exclude: [${table.exclude.join(', ')}]  # types Sluice cannot load exactly`);
  }
  for (const skipped of input.skipped ?? []) lines.push(`  # left out: ${skipped.name} (${skipped.reason})`);
  lines.push(
    '',
    '# Models build in <target schema>_<folder schema>, e.g. analytics_stage.stg_<table>.',
    'models:',
    '  stage:',
    '    +materialized: view',
    '    +schema: stage',
    '',
  );
  const files: Record<string, string> = { 'sluice.yml': lines.join('\n') };

  const sources: string[] = [
    'version: 2',
    '',
    'sources:',
    `  - name: ${input.sourceName}`,
    `    description: Tables of ${input.schema} in the source Postgres, as Sluice loads them into the raw schema.`,
    `    schema: "{{ var('raw_schema', 'raw') }}"`,
    `    loaded_at_field: ${SYNCED_AT_COLUMN}`,
    '    tables:',
  ];
  for (const table of input.tables) {
    sources.push(`      - name: ${table.name}`);
    if (table.primaryKey.length > 0) {
      sources.push('        columns:');
      for (const key of table.primaryKey) {
        sources.push(`          - name: ${yamlString(key)}`);
        if (!IDENTIFIER.test(key) || key !== key.toLowerCase()) sources.push('            quote: true');
        sources.push(`            data_tests: [${table.primaryKey.length === 1 ? 'unique, not_null' : 'not_null'}]`);
      }
    }
  }
  files['models/stage/sources.yml'] = `${sources.join('\n')}\n`;

  for (const table of input.tables) {
    const select = [...table.columns, SYNCED_AT_COLUMN].map((column) => `    ${sqlName(column)}`).join(',\n');
    files[`models/stage/stg_${table.name}.sql`] =
      `-- Staging view of ${table.schema}.${table.name}, as Sluice loads it: rename, cast and tidy columns here.\n` +
      `select\n${select}\nfrom {{ source('${input.sourceName}', '${table.name}') }}\n`;
  }
  files['.gitignore'] = '.sluice/\ntarget/\n';
  return files;
}

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
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
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

/** An identifier made from any text: `My Shop` → `my_shop`. */
export function identifierFrom(text: string, fallback: string): string {
  const cleaned = text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!cleaned) return fallback;
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/**
 * `sluice init`: introspect every table of a schema in a live Postgres, propose a strategy for each
 * (`proposeTable`), and write a new project (`renderInitFiles`). Refuses (a `ConfigError`) when the folder has a
 * `sluice.yml` already; other files that exist are kept. Reads only the catalog and counts up to `smallRows + 1`
 * rows per table.
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
        message: `${configFile} exists already: sluice init never overwrites it. Edit it, or run init in an empty folder (--dir)`,
      },
    ]);
  }
  const schema = options.schema ?? 'public';
  const catalog = await openSourceCatalog(options.url, 'sluice-init');
  let found: { server: SourceServer } & Awaited<ReturnType<typeof proposeTables>>;
  try {
    found = {
      server: await catalog.server(),
      ...(await proposeTables(catalog, schema, configFile, options.smallRows)),
    };
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

/** Introspect every table of `schema` and propose how to load each; tables that cannot be loaded are skipped. */
async function proposeTables(
  catalog: SourceCatalog,
  schema: string,
  configFile: string,
  smallRows: number | undefined,
): Promise<{ tables: InitTableProposal[]; skipped: { name: string; reason: string }[] }> {
  const names = await catalog.listTables(schema);
  if (names.length === 0) {
    throw new ConfigError([
      {
        file: configFile,
        line: undefined,
        path: '',
        message: `schema ${schema} of the source has no tables: pass --schema NAME`,
      },
    ]);
  }
  const tables: InitTableProposal[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const name of names) {
    if (!IDENTIFIER.test(name)) {
      skipped.push({ name, reason: 'not a plain identifier, which sluice.yml table keys must be' });
      continue;
    }
    const table = await catalog.introspectTable(schema, name);
    const rows =
      table.kind === 'r' || table.kind === 'p'
        ? await catalog.countUpTo(schema, name, (smallRows ?? DEFAULT_SMALL_ROWS) + 1)
        : 0;
    try {
      tables.push(proposeTable(table, rows, smallRows === undefined ? {} : { smallRows }));
    } catch (error) {
      if (!(error instanceof ExtractError)) throw error;
      skipped.push({ name, reason: error.message.split('\n')[0] ?? error.code });
    }
  }
  return { tables, skipped };
}
