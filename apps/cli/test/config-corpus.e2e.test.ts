import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { sluice } from './sluice-process.js';

/**
 * The broken-config corpus: each case one mistake a person makes in a project, run through the built `sluice run`.
 * Every one must exit 2, print `<file>:<line>: <field>: <what is wrong and what to do>` with no validator wording
 * in front, and write nothing (no warehouse file, no state, no target/).
 */
const VALID = `name: broken

source:
  url: \${env:CORPUS_URL}
  schema: public

targets:
  dev:
    type: duckdb
    path: .sluice/warehouse.duckdb
target: dev

state:
  type: file
  dir: .sluice/state

tables:
  estados:
    strategy: full
  vendas:
    strategy: upsert
    cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_vendas]
  eventos:
    strategy: append
    cursor: [id]
`;

/** A model project beside the config, for the cases about models. */
const MODELS: Record<string, string> = {
  'models/stg_estados.sql': "select id_estados, sigla from {{ source('nd', 'estados') }}\n",
  'models/sources.yml': 'version: 2\nsources:\n  - name: nd\n    schema: raw\n    tables:\n      - name: estados\n',
};

/** Wording of validators and parsers that a message must never open with (or hold). */
const RAW_VALIDATOR =
  /Invalid input|Invalid option|Invalid discriminator|Invalid key in record|Invalid string|Too small|Too big|Unrecognized key|expected \w+, received|ZodError|ERR_INVALID_URL|getaddrinfo|EEXIST|ENOTDIR/;

interface Case {
  readonly name: string;
  readonly config: string;
  /** Other files of the project (model files), by path. */
  readonly files?: Readonly<Record<string, string>>;
  /** Prepare the folder: what stands where Sluice would write. */
  readonly setup?: (dir: string) => Promise<void>;
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** The file the message names (default sluice.yml). */
  readonly file?: string;
  /** The line: a number, or text on that line of the config (first match, or first after `after`). */
  readonly line?: number | string | { readonly after: string; readonly find: string };
  /** The key path the message names ('' when the problem is the whole file). */
  readonly field: string;
  /** What the message says: what is wrong and what to do. */
  readonly says: readonly (string | RegExp)[];
}

const replace = (from: string, to: string) => {
  if (!VALID.includes(from)) throw new Error(`the valid config has no ${JSON.stringify(from)}`);
  return VALID.replace(from, to);
};
const ESTADOS = '  estados:\n    strategy: full\n';
const VENDAS_CURSOR = '    cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_vendas]\n';

const CASES: readonly Case[] = [
  // The file itself.
  {
    name: 'an empty file',
    config: '',
    line: 1,
    field: '',
    says: ['the file is empty: write its settings as "key: value" (sluice init --from postgres://… writes one)'],
  },
  {
    name: 'only comments',
    config: '# to do\n',
    line: 1,
    field: '',
    says: ['the file is empty: write its settings as "key: value"'],
  },
  {
    name: 'a list at the top',
    config: '- name: broken\n',
    line: 1,
    field: '',
    says: ['the file holds a list, not keys: write each setting as "key: value"'],
  },
  {
    name: 'a single value',
    config: 'broken\n',
    line: 1,
    field: '',
    says: ['the file holds a single value, not keys'],
  },
  {
    name: 'sluice.yml is a folder',
    config: '',
    setup: async (dir) => {
      await mkdir(path.join(dir, 'sluice.yml'), { recursive: true });
    },
    field: '',
    says: ['sluice.yml is a folder, not a file'],
  },
  {
    name: 'a YAML syntax error',
    config: replace('    cursor: [id]', '    cursor: [id'),
    line: { after: 'eventos:', find: 'cursor: [id' },
    field: '',
    says: [/YAML: .*/],
  },
  {
    name: 'a key given twice',
    config: replace('    strategy: full\n', '    strategy: full\n    strategy: append\n'),
    line: 'strategy: append',
    field: '',
    says: ['YAML: Map keys must be unique'],
  },
  {
    name: 'a tab for indentation',
    config: replace('    strategy: full\n', '\tstrategy: full\n'),
    line: '\tstrategy: full',
    field: '',
    says: ['YAML: '],
  },
  // Top-level keys.
  {
    name: 'a misspelled top-level key',
    config: replace('tables:', 'tabels:'),
    line: 'tabels:',
    field: '',
    says: ['unknown key "tabels" (did you mean tables?)'],
  },
  {
    name: 'no name',
    config: replace('name: broken\n', ''),
    line: 1,
    field: 'name',
    says: ['the project needs a name (letters, digits and underscores), e.g. name: shop'],
  },
  {
    name: 'a name with a space',
    config: replace('name: broken', 'name: my shop'),
    line: 'name: my shop',
    field: 'name',
    says: ['"my shop" is not a plain identifier (letters, digits and _, not starting with a digit), e.g. name: shop'],
  },
  {
    name: 'a name that is a number',
    config: replace('name: broken', 'name: 42'),
    line: 'name: 42',
    field: 'name',
    says: ['expected text, got the number 42, e.g. name: shop'],
  },
  {
    name: 'no source',
    config: replace('source:\n  url: ${env:CORPUS_URL}\n  schema: public\n', ''),
    line: 'tables:',
    field: 'source',
    says: ['tables: lists tables to ingest, but there is no source: add source: { url: postgres://… }'],
  },
  {
    name: 'the source written as its URL',
    config: replace('source:\n  url: ${env:CORPUS_URL}\n  schema: public\n', 'source: ${env:CORPUS_URL}\n'),
    line: 'source:',
    field: 'source',
    says: ['expected a mapping of keys, got text, e.g. source: { url: postgres://'],
  },
  {
    name: 'no source.url',
    config: replace('  url: ${env:CORPUS_URL}\n', ''),
    line: 'source:',
    field: 'source.url',
    says: ['missing: add it, e.g. url: postgres://user@host:5432/db (or ${env:SOURCE_URL})'],
  },
  {
    name: 'a MySQL URL',
    config: VALID,
    env: { CORPUS_URL: 'mysql://app:s3cret@db.internal/shop' },
    line: 'url:',
    field: 'source.url',
    says: ['a mysql:// URL: Sluice reads PostgreSQL only; write postgres://user@host:5432/database'],
  },
  {
    name: 'the colon after postgres missing',
    config: replace('${env:CORPUS_URL}', 'postgres//db.internal/shop'),
    line: 'url:',
    field: 'source.url',
    says: ['the colon after "postgres" is missing: write postgres://user@host:5432/database'],
  },
  {
    name: 'a port that is no number',
    config: replace('${env:CORPUS_URL}', 'postgres://app@db.internal:notaport/shop'),
    line: 'url:',
    field: 'source.url',
    says: ['the port "notaport" is not a number'],
  },
  {
    name: 'a port out of range',
    config: replace('${env:CORPUS_URL}', 'postgres://app@db.internal:70000/shop'),
    line: 'url:',
    field: 'source.url',
    says: ['the port 70000 is out of range (1 to 65535)'],
  },
  {
    name: 'an empty URL',
    config: replace('${env:CORPUS_URL}', '""'),
    line: 'url:',
    field: 'source.url',
    says: ['must not be empty, e.g. url: postgres://'],
  },
  {
    name: 'a host name instead of a URL',
    config: replace('${env:CORPUS_URL}', 'db.internal'),
    line: 'url:',
    field: 'source.url',
    says: ['not a URL: write postgres://user@host:5432/database'],
  },
  {
    name: 'an unset environment variable',
    config: VALID,
    env: { CORPUS_URL: '' },
    line: 'url:',
    field: 'source.url',
    says: ['environment variable CORPUS_URL is not set: export it, or give a default with ${env:CORPUS_URL:-value}'],
  },
  {
    name: 'a secret file that does not exist',
    config: replace('${env:CORPUS_URL}', '${file:/nonexistent/sluice-url}'),
    line: 'url:',
    field: 'source.url',
    says: ['file /nonexistent/sluice-url cannot be read (ENOENT)'],
  },
  {
    name: 'a misspelled key under source',
    config: replace('  url:', '  uri:'),
    line: 'uri:',
    field: 'source',
    says: ['unknown key "uri" (did you mean url?)'],
  },
  {
    name: 'source.schema as a list',
    config: replace('  schema: public', '  schema: [public]'),
    line: 'schema: [public]',
    field: 'source.schema',
    says: ['expected text, got a list, e.g. schema: public'],
  },
  {
    name: 'a raw schema with a space',
    config: replace('target: dev\n', 'target: dev\nraw_schema: raw data\n'),
    line: 'raw_schema:',
    field: 'raw_schema',
    says: ['"raw data" is not a plain identifier'],
  },
  // Targets.
  {
    name: 'no targets',
    config: replace('targets:\n  dev:\n    type: duckdb\n    path: .sluice/warehouse.duckdb\n', ''),
    line: 1,
    field: 'targets',
    says: ['no targets: add targets: (e.g. dev: { type: duckdb, path: .sluice/warehouse.duckdb }) and target: dev'],
  },
  {
    name: 'targets empty',
    config: replace('targets:\n  dev:\n    type: duckdb\n    path: .sluice/warehouse.duckdb\n', 'targets: {}\n'),
    line: 'targets:',
    field: 'targets',
    says: ['needs at least one target, e.g. dev: { type: duckdb, path: .sluice/warehouse.duckdb }'],
  },
  {
    name: 'targets as a list',
    config: replace('  dev:\n    type: duckdb\n    path:', '  - dev:\n    type: duckdb\n    path:'),
    line: 'targets:',
    field: 'targets',
    says: ['expected a mapping of names to their settings, got a list'],
  },
  {
    name: 'an unknown target type',
    config: replace('type: duckdb', 'type: duck'),
    line: 'type: duck',
    field: 'targets.dev.type',
    says: ['"duck" is not one of duckdb, snowflake (did you mean duckdb?)'],
  },
  {
    name: 'a target without a type',
    config: replace('    type: duckdb\n', ''),
    line: '  dev:',
    field: 'targets.dev.type',
    says: ['missing: add type: duckdb or snowflake'],
  },
  {
    name: 'a DuckDB target without a path',
    config: replace('    path: .sluice/warehouse.duckdb\n', ''),
    line: '  dev:',
    field: 'targets.dev.path',
    says: ['missing: add it, e.g. path: .sluice/warehouse.duckdb'],
  },
  {
    name: 'zero threads',
    config: replace('    path: .sluice/warehouse.duckdb\n', '    path: .sluice/warehouse.duckdb\n    threads: 0\n'),
    line: 'threads:',
    field: 'targets.dev.threads',
    says: ['must be more than 0, got the number 0, e.g. threads: 4'],
  },
  {
    name: 'threads as a word',
    config: replace('    path: .sluice/warehouse.duckdb\n', '    path: .sluice/warehouse.duckdb\n    threads: four\n'),
    line: 'threads:',
    field: 'targets.dev.threads',
    says: ['expected a number, got "four", e.g. threads: 4'],
  },
  {
    name: 'max_row_mb of 0',
    config: replace('    path: .sluice/warehouse.duckdb\n', '    path: .sluice/warehouse.duckdb\n    max_row_mb: 0\n'),
    line: 'max_row_mb:',
    field: 'targets.dev.max_row_mb',
    says: ['must be at least 1, got the number 0, e.g. max_row_mb: 16'],
  },
  {
    name: 'an unknown key in a DuckDB target',
    config: replace('    path: .sluice/warehouse.duckdb\n', '    path: .sluice/warehouse.duckdb\n    file: x.duckdb\n'),
    line: 'file: x.duckdb',
    field: 'targets.dev',
    says: ['unknown key "file" (the keys here: type, path, schema, threads, memory_limit, max_row_mb)'],
  },
  {
    name: 'a Snowflake key in a DuckDB target',
    config: replace('    path: .sluice/warehouse.duckdb\n', '    path: .sluice/warehouse.duckdb\n    account: xy123\n'),
    line: 'account:',
    field: 'targets.dev',
    says: ['unknown key "account": it is a snowflake setting, and this target is type: duckdb'],
  },
  {
    name: 'a Snowflake target without an account',
    config: replace(
      'target: dev\n',
      '  prod:\n    type: snowflake\n    user: SLUICE\n    warehouse: LOADING\n    database: ANALYTICS\ntarget: dev\n',
    ),
    line: '  prod:',
    field: 'targets.prod.account',
    says: ['missing: add it, e.g. account: xy12345.eu-central-1'],
  },
  {
    name: 'a target name with a dash',
    config: replace('  dev:\n', '  dev-1:\n'),
    line: 'dev-1:',
    field: 'targets.dev-1',
    says: ['"dev-1" is not a plain identifier: a target name is letters, digits and _'],
  },
  {
    name: 'a default target that is not defined',
    config: replace('target: dev', 'target: prod'),
    line: 'target: prod',
    field: 'target',
    says: ['target "prod" is not among targets (dev)'],
  },
  {
    name: 'no default target among two',
    config: replace('target: dev\n', '').replace(
      'targets:\n',
      'targets:\n  ci:\n    type: duckdb\n    path: .sluice/ci.duckdb\n',
    ),
    line: 'targets:',
    field: 'target',
    says: ['name the default target: target: ci (one of ci, dev)'],
  },
  {
    name: 'an unknown --target',
    config: VALID,
    args: ['--target', 'deb'],
    line: 'targets:',
    field: 'targets',
    says: ['no target "deb" (from --target) (did you mean dev?); sluice.yml defines dev'],
  },
  {
    name: 'the DuckDB file under a regular file',
    config: VALID,
    setup: async (dir) => {
      await writeFile(path.join(dir, '.sluice'), 'a file, not a folder\n');
    },
    line: 'path: .sluice/warehouse.duckdb',
    field: 'targets.dev.path',
    says: [
      /\.sluice is a file, so .*warehouse\.duckdb cannot be created under it: choose another path, or move the file away/,
    ],
  },
  {
    name: 'the DuckDB file is a folder',
    config: VALID,
    setup: async (dir) => {
      await mkdir(path.join(dir, '.sluice', 'warehouse.duckdb'), { recursive: true });
    },
    line: 'path: .sluice/warehouse.duckdb',
    field: 'targets.dev.path',
    says: [/warehouse\.duckdb is a folder, where a file must be: choose another path, or move it away/],
  },
  // State.
  {
    name: 'an unknown state type',
    config: replace('  type: file', '  type: redis'),
    line: 'type: redis',
    field: 'state.type',
    says: ['"redis" is not one of file, postgres'],
  },
  {
    name: 'a file state without a folder',
    config: replace('  dir: .sluice/state\n', ''),
    line: 'state:',
    field: 'state.dir',
    says: ['missing: add it, e.g. dir: .sluice/state'],
  },
  {
    name: 'a Postgres state without a URL',
    config: replace('  type: file\n  dir: .sluice/state\n', '  type: postgres\n'),
    line: 'state:',
    field: 'state.url',
    says: ['missing: add it, e.g. url: ${env:STATE_URL}'],
  },
  {
    name: 'a Postgres state with a MySQL URL',
    config: replace('  type: file\n  dir: .sluice/state\n', '  type: postgres\n  url: mysql://u@h/state\n'),
    line: 'url: mysql',
    field: 'state.url',
    says: ['a mysql:// URL: Sluice reads PostgreSQL only'],
  },
  {
    name: 'the state folder under a regular file',
    config: replace('  dir: .sluice/state', '  dir: statefile/state'),
    setup: async (dir) => {
      await writeFile(path.join(dir, 'statefile'), 'a file\n');
    },
    line: 'dir: statefile/state',
    field: 'state.dir',
    says: [/statefile is a file, so .*state cannot be created under it/],
  },
  // Ingest settings.
  {
    name: 'no tables at once',
    config: replace('tables:\n', 'ingest:\n  parallelism: 0\ntables:\n'),
    line: 'parallelism:',
    field: 'ingest.parallelism',
    says: ['must be at least 1, got the number 0, e.g. parallelism: 4'],
  },
  {
    name: 'a chunk size as a word',
    config: replace('tables:\n', 'ingest:\n  chunk_mb: big\ntables:\n'),
    line: 'chunk_mb:',
    field: 'ingest.chunk_mb',
    says: ['expected a number, got "big", e.g. chunk_mb: 128'],
  },
  {
    name: 'a misspelled ingest key',
    config: replace('tables:\n', 'ingest:\n  paralelism: 2\ntables:\n'),
    line: 'paralelism:',
    field: 'ingest',
    says: ['unknown key "paralelism" (did you mean parallelism?)'],
  },
  // Tables.
  {
    name: 'tables written as a list',
    config: `${VALID.slice(0, VALID.indexOf('tables:'))}tables:\n  - estados\n  - vendas\n`,
    line: 'tables:',
    field: 'tables',
    says: [
      'expected a mapping of names to their settings, got a list (write each entry as "name: settings", without a leading "- ")',
    ],
  },
  {
    name: 'a table without settings',
    config: replace(ESTADOS, '  estados:\n'),
    line: 'estados:',
    field: 'tables.estados',
    says: ['expected a mapping of keys, got nothing (an empty value), e.g. orders: { strategy: full }'],
  },
  {
    name: 'a table without a strategy',
    config: replace(ESTADOS, '  estados:\n    deletes: none\n'),
    line: 'estados:',
    field: 'tables.estados.strategy',
    says: ['missing: add it, e.g. strategy: upsert (append, upsert or full)'],
  },
  {
    name: 'a misspelled strategy',
    config: replace('strategy: full', 'strategy: fulll'),
    line: 'strategy: fulll',
    field: 'tables.estados.strategy',
    says: ['"fulll" is not one of append, upsert, full (did you mean full?)'],
  },
  {
    name: 'append without a cursor',
    config: replace('    cursor: [id]\n', ''),
    line: 'strategy: append',
    field: 'tables.eventos.cursor',
    says: ['strategy append needs a cursor, e.g. cursor: [updated_at, id]'],
  },
  {
    name: 'a cursor written as one name',
    config: replace('    cursor: [id]', '    cursor: id'),
    line: 'cursor: id',
    field: 'tables.eventos.cursor',
    says: ['expected a list, got "id", e.g. cursor: [updated_at, id]'],
  },
  {
    name: 'an empty cursor',
    config: replace('    cursor: [id]', '    cursor: []'),
    line: 'cursor: []',
    field: 'tables.eventos.cursor',
    says: ['needs at least one entry, e.g. cursor: [updated_at, id]'],
  },
  {
    name: 'a coalesce of one column',
    config: replace('{ coalesce: [data_atualizacao, data_inclusao] }', '{ coalesce: [data_atualizacao] }'),
    line: 'coalesce:',
    field: 'tables.vendas.cursor.0.coalesce',
    says: ['needs at least 2 entries, e.g. coalesce: [updated_at, created_at]'],
  },
  {
    name: 'include and exclude on one table',
    config: replace(VENDAS_CURSOR, `${VENDAS_CURSOR}    include: [id_vendas, valor_pago]\n    exclude: [data_venda]\n`),
    line: 'exclude: [data_venda]',
    field: 'tables.vendas.exclude',
    says: [
      'include and exclude cannot both be given: include lists the only columns to load, exclude the columns to leave out; keep one',
    ],
  },
  {
    name: 'deletes: yes',
    config: replace(VENDAS_CURSOR, `${VENDAS_CURSOR}    deletes: yes\n`),
    line: 'deletes: yes',
    field: 'tables.vendas.deletes',
    says: ['"yes" is not one of none, reconcile'],
  },
  {
    name: 'an unknown late_commits mode',
    config: replace(VENDAS_CURSOR, `${VENDAS_CURSOR}    late_commits: sometimes\n`),
    line: 'late_commits:',
    field: 'tables.vendas.late_commits',
    says: ['"sometimes" is not one of auto, scan, lookback, off'],
  },
  {
    name: 'a lookback that is no duration',
    config: replace(VENDAS_CURSOR, `${VENDAS_CURSOR}    lookback: soon\n`),
    line: 'lookback:',
    field: 'tables.vendas.lookback',
    says: ['"soon" is not a duration: write e.g. 30s, 10m, 2h, 1d or 1h30m'],
  },
  {
    name: 'a misspelled table key',
    config: replace('    cursor: [id]', '    cursr: [id]'),
    line: 'cursr',
    field: 'tables.eventos',
    says: ['unknown key "cursr" (did you mean cursor?)'],
  },
  {
    name: 'a table the source does not have',
    config: replace('  estados:', '  estadoz:'),
    line: 'estadoz:',
    field: 'tables.estadoz',
    says: ['table public.estadoz does not exist in the source (did you mean estados?)'],
  },
  {
    name: 'a table in a schema the source does not have',
    config: replace(ESTADOS, '  estados:\n    schema: vendas_antigas\n    strategy: full\n'),
    line: 'estados:',
    field: 'tables.estados',
    says: ['table vendas_antigas.estados does not exist in the source'],
  },
  {
    name: 'a misspelled cursor column',
    config: replace('[data_atualizacao,', '[data_atualizacaoo,'),
    line: 'data_atualizacaoo',
    field: 'tables.vendas.cursor',
    says: ['column "data_atualizacaoo" does not exist in public.vendas (did you mean data_atualizacao?)'],
  },
  {
    name: 'a cursor column written with SQL quotes',
    config: replace('    cursor: [id]', `    cursor: ['"id"']`),
    line: `cursor: ['"id"']`,
    field: 'tables.eventos.cursor',
    says: ['(write the name without SQL quotes: "id"; sluice.yml holds names as Postgres stores them)'],
  },
  {
    name: 'a cursor of a type that does not order',
    config: replace(
      '  eventos:\n    strategy: append\n    cursor: [id]\n',
      '  flags:\n    strategy: append\n    cursor: [ativo]\n',
    ),
    line: 'cursor: [ativo]',
    field: 'tables.flags.cursor',
    says: ['column "ativo" of public.flags has type boolean, which is not an orderable cursor type'],
  },
  {
    name: 'upsert of a table without a primary key',
    config: replace('    strategy: append\n    cursor: [id]', '    strategy: upsert\n    cursor: [criado_em, id]'),
    line: { after: 'eventos:', find: 'strategy: upsert' },
    field: 'tables.eventos.strategy',
    says: [
      'public.eventos has no primary key, which upsert needs to merge rows: add one, or use strategy full or append',
    ],
  },
  {
    name: 'an upsert cursor that does not end with the key',
    config: replace(VENDAS_CURSOR, '    cursor: [data_inclusao]\n'),
    line: 'cursor: [data_inclusao]',
    field: 'tables.vendas.cursor',
    says: [
      'an upsert cursor must end with the primary key (id_vendas) so that rows sharing a timestamp are never skipped',
    ],
  },
  {
    name: 'the primary key excluded',
    config: replace(VENDAS_CURSOR, `${VENDAS_CURSOR}    exclude: [id_vendas]\n`),
    line: 'exclude: [id_vendas]',
    field: 'tables.vendas.exclude',
    says: ['primary key column "id_vendas" of public.vendas cannot be excluded'],
  },
  {
    name: 'an included column the table lacks',
    config: replace(VENDAS_CURSOR, `${VENDAS_CURSOR}    include: [id_vendas, valr_pago]\n`),
    line: 'include:',
    field: 'tables.vendas.include',
    says: ['column "valr_pago" does not exist in public.vendas (did you mean valor_pago?)'],
  },
  {
    name: 'the primary key hashed',
    config: replace(VENDAS_CURSOR, `${VENDAS_CURSOR}    hash: [id_vendas]\n`),
    line: 'hash: [id_vendas]',
    field: 'tables.vendas.hash',
    says: ['primary key column "id_vendas" of public.vendas cannot be hashed'],
  },
  // Schedule.
  {
    name: 'a cron that is no cron',
    config: `${VALID}schedule:\n  cron: every day\n`,
    line: 'cron:',
    field: 'schedule.cron',
    says: ['not a cron expression: write 5 fields (minute hour day month weekday), e.g. "0 6 * * *", or @daily'],
  },
  {
    name: 'an unknown time zone',
    config: `${VALID}schedule:\n  timezone: Mars/Olympus\n`,
    line: 'timezone:',
    field: 'schedule.timezone',
    says: ['unknown time zone: use an IANA name such as UTC, Europe/Lisbon or America/Sao_Paulo'],
  },
  {
    name: 'zero attempts',
    config: `${VALID}schedule:\n  retries: { attempts: 0 }\n`,
    line: 'retries:',
    field: 'schedule.retries.attempts',
    says: ['must be at least 1, got the number 0, e.g. attempts: 3'],
  },
  {
    name: 'a misspelled schedule key',
    config: `${VALID}schedule:\n  timezon: UTC\n`,
    line: 'timezon:',
    field: 'schedule',
    says: ['unknown key "timezon" (did you mean timezone?)'],
  },
  // Models.
  {
    name: 'an undefined var()',
    config: VALID,
    files: { ...MODELS, 'models/fct_x.sql': "select * from {{ ref('stg_estados') }} where id > {{ var('limite') }}\n" },
    file: 'models/fct_x.sql',
    line: 1,
    field: "var('limite')",
    says: [
      "var('limite') has no value and no default: add it under vars: in sluice.yml, pass it with --vars '{limite: …}', or give a default var('limite', …).",
    ],
  },
  {
    name: 'a template syntax error',
    config: VALID,
    files: {
      ...MODELS,
      'models/fct_vendas.sql': "select * from {{ ref('stg_estados') }\n",
      'models/fct_vendas.yml': 'version: 2\nmodels:\n  - name: fct_vendas\n    description: sales\n',
    },
    file: 'models/fct_vendas.sql',
    line: 1,
    field: '',
    says: [/expected variable end|unexpected/i],
  },
  {
    name: 'a ref to no model',
    config: VALID,
    files: { ...MODELS, 'models/fct_x.sql': "select * from {{ ref('stg_estado') }}\n" },
    file: 'models/fct_x.sql',
    line: 1,
    field: "ref('stg_estado')",
    says: ["ref('stg_estado') names no model, seed or snapshot. Did you mean 'stg_estados'?"],
  },
  {
    name: 'a misspelled folder config',
    config: `${VALID}models:\n  +materialzed: view\n`,
    files: MODELS,
    line: '+materialzed',
    field: '',
    says: ['"+materialzed" is not a model config key', /did you mean '\+materialized'/i],
  },
  {
    name: 'a folder config with a value it does not take',
    config: `${VALID}models:\n  +materialized: viw\n`,
    files: MODELS,
    line: '+materialized',
    field: '',
    says: [
      '"+materialized" in models: must be one of view, table, incremental, ephemeral (did you mean view?) (got "viw")',
    ],
  },
];

/** Every file under `dir`, as relative paths (folders end with /). */
async function listAll(dir: string, under = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, under), { withFileTypes: true })) {
    const relative = path.join(under, entry.name);
    if (entry.isDirectory()) out.push(`${relative}/`, ...(await listAll(dir, relative)));
    else out.push(relative);
  }
  return out.sort();
}

function lineNumber(config: string, line: NonNullable<Case['line']>): number {
  if (typeof line === 'number') return line;
  const lines = config.split('\n');
  const start = typeof line === 'string' ? -1 : lines.findIndex((l) => l.includes(line.after));
  const needle = typeof line === 'string' ? line : line.find;
  const index = lines.findIndex((l, i) => i > start && l.includes(needle));
  if (index < 0) throw new Error(`${needle} is on no line of the config`);
  return index + 1;
}

describe('the broken-config corpus: every mistake exits 2 with file:line, field and a fix, and writes nothing', () => {
  let db: TestDatabase;
  let home: { path: string; remove(): Promise<void> };

  beforeAll(async () => {
    db = await createTestDatabase('corpus');
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 100, seed: 5 });
      await client.query(
        'CREATE TABLE eventos (id bigint NOT NULL, payload text, criado_em timestamp NOT NULL DEFAULT now())',
      );
      await client.query('CREATE TABLE flags (id int PRIMARY KEY, ativo boolean NOT NULL, dados jsonb)');
    });
    home = await createTempDir('sluice-corpus-');
  }, 120_000);
  afterAll(async () => {
    await home?.remove();
    await db?.drop();
  });

  it('holds at least 60 cases, each with a name of its own', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.concurrent.each(CASES)(
    '$name',
    async (c) => {
      const dir = path.join(home.path, c.name.replace(/\W+/g, '-'));
      await mkdir(dir, { recursive: true });
      await c.setup?.(dir);
      if (!(await stat(path.join(dir, 'sluice.yml')).catch(() => undefined))) {
        await writeFile(path.join(dir, 'sluice.yml'), c.config);
      }
      for (const [file, text] of Object.entries(c.files ?? {})) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), text);
      }
      const before = await listAll(dir);
      const run = await sluice(['run', ...(c.args ?? [])], { cwd: dir, env: { CORPUS_URL: db.url, ...c.env } });
      const where = `${c.file ?? 'sluice.yml'}${c.line === undefined ? '' : `:${lineNumber(c.config, c.line)}`}: `;
      const report = `${c.name}:\n${run.stderr}`;
      expect(run.code, report).toBe(2);
      expect(run.stdout, report).toBe('');
      // The place and the field open the message; nothing in front of them.
      const first = run.stderr
        .split('\n')
        .find((line) => line.includes(where) || line.includes('sluice.yml is a folder'));
      expect(first, report).toBeDefined();
      expect(first?.startsWith(c.file ?? 'sluice.yml') || first?.includes('sluice.yml is a folder'), report).toBe(true);
      // sluice.yml names the key path right after the line; a model file names what it is about (the var, the ref).
      if (c.field && !c.file) expect(first, report).toContain(`${where}${c.field}: `);
      else if (c.field) expect(first, report).toContain(c.field);
      for (const claim of c.says) {
        if (typeof claim === 'string') expect(run.stderr, report).toContain(claim);
        else expect(run.stderr, report).toMatch(claim);
      }
      expect(run.stderr, report).not.toMatch(RAW_VALIDATOR);
      expect(run.stderr, report).not.toContain('s3cret');
      expect(run.stderr, report).toMatch(
        /^sluice: (a configuration problem|\d+ configuration problems); nothing was run$/m,
      );
      // Nothing written: no warehouse, no state, no target/.
      expect(await listAll(dir), report).toEqual(before);
    },
    60_000,
  );
});
