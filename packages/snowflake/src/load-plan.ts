import {
  DELETED_AT_COLUMN,
  SYNCED_AT_COLUMN,
  WarehouseError,
  tableLabel,
  type Column,
  type LoadRequest,
} from '@sluice/warehouse';
import { decodeChunkValue } from './chunk-decode.js';
import { indent } from './snowflake-dialect.js';
import { qualifySnowflake, quoteSnowflakeIdentifier, snowflakeLiteral, snowflakeName } from './snowflake-identifier.js';
import { findColumn, isMetadataColumn, type WarehouseTable } from './warehouse-table.js';

/** A gzip file prepared for upload: its name in the load's stage folder and the records it holds. */
export interface UploadFile {
  /** `data-000001.csv.gz` (rows to load) or `deletes-000001.csv.gz` (keys to delete). */
  readonly name: string;
  readonly kind: 'data' | 'deletes';
  readonly rows: number;
}

/** Where one load's files are, and the instant it stamps its rows with. */
export interface LoadContext {
  /** The named stage, qualified: `"RAW"."SLUICE_STAGE"`. */
  readonly stage: string;
  /** The table's folder in the stage (`vendas/`): removed with everything in it when the load ends. */
  readonly tablePath: string;
  /** This load's folder in the stage, under `tablePath` (`vendas/20240102T030405-1a2b3c/`). */
  readonly loadPath: string;
  /** The local folder holding the prepared files (PUT uploads all `*.gz` in it). */
  readonly localDir: string;
  /** `_sluice_synced_at` of every row this load writes (and `_sluice_deleted_at` of what it marks), ISO 8601. */
  readonly syncedAt: string;
  /** PUT's PARALLEL. */
  readonly parallel: number;
}

/** What a step of a load is for; the warehouse reads the results of some (COPY counts, MERGE counts). */
export type LoadStepRole = 'upload' | 'stage' | 'count-before' | 'apply' | 'count-marked' | 'cleanup';

/**
 * One step: statements that are retried together, from the first, after a transient failure. Every step can run
 * again without harm: PUT overwrites the same files, the staging table is re-created before its COPY runs again,
 * the apply statement is idempotent (MERGE by key; INSERT OVERWRITE; an append skips a load whose rows are there).
 */
export interface LoadStep {
  readonly role: LoadStepRole;
  readonly statements: readonly string[];
}

/** The statements of one load, in order. */
export interface LoadPlan {
  readonly steps: readonly LoadStep[];
  /** The transient staging table (`"RAW"."VENDAS__SLUICE_LOAD"`). */
  readonly stagingTable: string;
}

/** The statements every load starts with: the stage (once per schema, `IF NOT EXISTS`), then the load's instant. */
export function loadPreamble(stage: string): { readonly createStage: string; readonly clock: string } {
  return {
    createStage: `CREATE STAGE IF NOT EXISTS ${stage}\n  COMMENT = 'Sluice: chunk files on their way into raw tables'`,
    // Answered by Snowflake's cloud services: no warehouse.
    clock: 'SELECT CURRENT_TIMESTAMP() AS "NOW"',
  };
}

/**
 * The Postgres CSV of the chunk format, as Snowflake reads it: `"` encloses fields and doubles inside them, no
 * backslash escapes, an unquoted empty field is NULL and `""` the empty string (NULL_IF = () so that no text is
 * taken for NULL).
 */
export const CHUNK_FILE_FORMAT =
  "TYPE = CSV FIELD_DELIMITER = ',' FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE = NONE ESCAPE_UNENCLOSED_FIELD = NONE " +
  'NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE SKIP_HEADER = 0 COMPRESSION = GZIP';

/**
 * Plan a load (pure): validate the request against the warehouse table, then the steps after the preamble:
 *
 * 1. `upload`: one PUT of the prepared gzip files into this load's own folder of the stage (unique per load).
 * 2. `stage`: `CREATE OR REPLACE TRANSIENT TABLE` with one VARCHAR per file column, then `COPY INTO` it with an
 *    explicit FILES list, `ON_ERROR = ABORT_STATEMENT` and `FORCE = TRUE` (the table is new, so COPY's load history
 *    is not trusted nor needed); each row keeps its file and record number (`METADATA$…`) for "newest row wins",
 *    and the field after the last (`__SLUICE_EXTRA`, which must be NULL). Delete keys go into the same table.
 * 3. `apply`: ONE statement, so the table changes all at once or not at all, with no transaction held open across
 *    round trips: `MERGE` (newest row per key via `QUALIFY ROW_NUMBER()`, deletes folded in), `INSERT OVERWRITE`
 *    (replace), or `INSERT … WHERE NOT EXISTS (rows of this load)` (append). Values are decoded from text here.
 * 4. `cleanup`: drop the staging table, remove the table's stage folder.
 */
export function planLoad(
  request: LoadRequest,
  table: WarehouseTable,
  files: readonly UploadFile[],
  context: LoadContext,
): LoadPlan {
  const columns = validateLoad(request, table);
  const q = quoteSnowflakeIdentifier;
  const target = qualifySnowflake(request.table);
  const stagingTable = qualifySnowflake({ schema: request.table.schema, name: `${request.table.name}__sluice_load` });
  const meta = metadataNames(columns);
  const keys = request.table.primaryKey.map(
    (k) => request.table.columns.find((c) => snowflakeName(c.name) === snowflakeName(k)) as Column,
  );
  const dataFiles = files.filter((f) => f.kind === 'data');
  const deleteFiles = files.filter((f) => f.kind === 'deletes');
  const syncedAt = `CAST(${snowflakeLiteral(context.syncedAt)} AS TIMESTAMP_TZ(6))`;
  const hasDeletedAt = findColumn(table, DELETED_AT_COLUMN) !== undefined;
  const steps: LoadStep[] = [];
  const cleanup: LoadStep = {
    role: 'cleanup',
    statements: [`DROP TABLE IF EXISTS ${stagingTable}`, `REMOVE @${context.stage}/${context.tablePath}`],
  };

  if (files.length === 0) {
    // Nothing to stage: only `replace` changes anything (the source table is empty).
    if (request.mode === 'replace') steps.push({ role: 'apply', statements: [`DELETE FROM ${target}`] });
    return { steps, stagingTable };
  }

  steps.push({
    role: 'upload',
    statements: [
      `PUT ${snowflakeLiteral(`file://${context.localDir.replace(/\/+$/, '')}/*.gz`)} @${context.stage}/${context.loadPath} ` +
        `PARALLEL = ${context.parallel} AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE`,
    ],
  });
  const stagedColumns = [
    ...columns.map((c) => `${q(c.name)} VARCHAR`),
    `${q(meta.extra)} VARCHAR`,
    `${q(meta.file)} VARCHAR`,
    `${q(meta.row)} NUMBER(38,0)`,
  ];
  const copy = (names: readonly string[], list: readonly UploadFile[]): string =>
    [
      `COPY INTO ${stagingTable} (${[...names.map(q), q(meta.extra), q(meta.file), q(meta.row)].join(', ')})`,
      `FROM (SELECT ${[...names.map((_, i) => `$${i + 1}`), `$${names.length + 1}`, 'METADATA$FILENAME', 'METADATA$FILE_ROW_NUMBER'].join(', ')}`,
      `  FROM @${context.stage}/${context.loadPath})`,
      `FILES = (${list.map((f) => snowflakeLiteral(f.name)).join(', ')})`,
      `FILE_FORMAT = (${CHUNK_FILE_FORMAT})`,
      'ON_ERROR = ABORT_STATEMENT',
      'FORCE = TRUE',
    ].join('\n');
  steps.push({
    role: 'stage',
    statements: [
      `CREATE OR REPLACE TRANSIENT TABLE ${stagingTable} (\n  ${stagedColumns.join(',\n  ')}\n)\nDATA_RETENTION_TIME_IN_DAYS = 0`,
      ...(dataFiles.length > 0
        ? [
            copy(
              columns.map((c) => c.name),
              dataFiles,
            ),
          ]
        : []),
      ...(deleteFiles.length > 0
        ? [
            copy(
              keys.map((k) => k.name),
              deleteFiles,
            ),
          ]
        : []),
    ],
  });

  // The staged text decoded into the table's types; a row with a field past the last column fails the statement.
  const withDeletes = deleteFiles.length > 0;
  const decoded = [
    ...columns.map((c, i) => {
      const expression = decodeChunkValue(q(c.name), c.type, findColumn(table, c.name)?.storage ?? '', {
        columnIndex: i,
      });
      return expression === q(c.name) ? expression : `${expression} AS ${q(c.name)}`;
    }),
    q(meta.file),
    q(meta.row),
    ...(withDeletes ? [`(${q(meta.file)} LIKE '%/deletes-%') AS ${q(meta.deleted)}`] : []),
  ];
  // NULL (true) for every well-formed row; for a row with an extra field, text that is no number (so it fails).
  const extraField = `CAST(${snowflakeLiteral(`${EXTRA_FIELD_MARKER}:`)} || ${q(meta.file)} || ':' || ${q(meta.row)} || ':' || ${q(meta.extra)} AS NUMBER) IS NULL`;
  const inner = `SELECT ${decoded.join(',\n  ')}\nFROM ${stagingTable}\nWHERE ${extraField}`;
  const batch = (c: string): string => `"batch".${q(c)}`;
  const newest = (deletesFirst: boolean): string =>
    [
      ...(withDeletes ? [`${batch(meta.deleted)} ${deletesFirst ? 'DESC' : 'ASC'}`] : []),
      ...(request.newestBy ?? []).map((c) => `${batch(c)} DESC NULLS LAST`),
      `${batch(meta.file)} DESC`,
      `${batch(meta.row)} DESC`,
    ].join(', ');
  const partition = keys.map((k) => batch(k.name)).join(', ');
  const names = columns.map((c) => q(c.name));
  const deletedAt = q(DELETED_AT_COLUMN);
  const mark = request.deletes?.mode === 'mark';

  if (request.mode === 'merge') {
    // One row per key: a data row when the key has one (the newest), else its delete row; `listed` says the key
    // is in the deletes files as well. Deletes then apply after the upsert, as in one transaction.
    const listed = q(meta.listed);
    const source = withDeletes
      ? `SELECT "batch".*, MAX(IFF(${batch(meta.deleted)}, 1, 0)) OVER (PARTITION BY ${partition}) AS ${listed}\nFROM (\n${indent(inner)}\n) AS "batch"\nQUALIFY ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${newest(false)}) = 1`
      : `SELECT "batch".*\nFROM (\n${indent(inner)}\n) AS "batch"\nQUALIFY ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${newest(false)}) = 1`;
    const s = (c: string): string => `"source".${q(c)}`;
    const isDelete = s(meta.deleted);
    const isListed = `${s(meta.listed)} = 1`;
    const keyColumns = new Set(keys.map((k) => q(k.name)));
    const sets = [
      ...names.filter((n) => !keyColumns.has(n)).map((n) => `${n} = "source".${n}`),
      `${q(SYNCED_AT_COLUMN)} = ${syncedAt}`,
      ...(hasDeletedAt
        ? [`${deletedAt} = ${withDeletes && mark ? `IFF(${isListed}, ${syncedAt}, NULL)` : 'NULL'}`]
        : []),
    ];
    const insertNames = [...names, q(SYNCED_AT_COLUMN), ...(hasDeletedAt ? [deletedAt] : [])];
    const insertValues = [
      ...names.map((n) => `"source".${n}`),
      syncedAt,
      ...(hasDeletedAt ? [withDeletes && mark ? `IFF(${isListed}, ${syncedAt}, NULL)` : 'NULL'] : []),
    ];
    const when: string[] = [];
    if (withDeletes && !mark) when.push(`WHEN MATCHED AND ${isListed} THEN DELETE`);
    if (withDeletes && mark) {
      when.push(
        `WHEN MATCHED AND ${isDelete} AND "target".${deletedAt} IS NULL THEN UPDATE SET ${deletedAt} = ${syncedAt}`,
      );
    }
    when.push(`WHEN MATCHED${withDeletes ? ` AND NOT ${isDelete}` : ''} THEN UPDATE SET\n  ${sets.join(',\n  ')}`);
    const insertWhen = withDeletes ? (mark ? ` AND NOT ${isDelete}` : ` AND NOT ${isListed}`) : '';
    when.push(
      `WHEN NOT MATCHED${insertWhen} THEN INSERT (${insertNames.join(', ')})\n  VALUES (${insertValues.join(', ')})`,
    );
    steps.push({
      role: 'apply',
      statements: [
        [
          `MERGE INTO ${target} AS "target"`,
          `USING (\n${indent(source)}\n) AS "source"`,
          `ON ${keys.map((k) => `"target".${q(k.name)} = ${s(k.name)}`).join(' AND ')}`,
          ...when,
        ].join('\n'),
      ],
    });
    if (withDeletes && mark && dataFiles.length > 0) {
      // MERGE counts marked rows among the updated ones; this load's marks carry its own instant.
      steps.push({
        role: 'count-marked',
        statements: [`SELECT COUNT(*) AS "N" FROM ${target} WHERE ${deletedAt} = ${syncedAt}`],
      });
    }
  } else if (request.mode === 'replace') {
    const dedupe = keys.length > 0 && (request.distinctKeys !== true || withDeletes);
    const listedColumn = q(meta.listed);
    const source = !dedupe
      ? `SELECT "batch".*\nFROM (\n${indent(inner)}\n) AS "batch"`
      : withDeletes
        ? `SELECT "batch".*, MAX(IFF(${batch(meta.deleted)}, 1, 0)) OVER (PARTITION BY ${partition}) AS ${listedColumn}\nFROM (\n${indent(inner)}\n) AS "batch"\nQUALIFY ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${newest(false)}) = 1`
        : `SELECT "batch".*\nFROM (\n${indent(inner)}\n) AS "batch"\nQUALIFY ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${newest(false)}) = 1`;
    const r = (c: string): string => `"rows".${q(c)}`;
    const where = withDeletes ? `\nWHERE NOT ${r(meta.deleted)}${mark ? '' : ` AND ${r(meta.listed)} = 0`}` : '';
    const insertNames = [...names, q(SYNCED_AT_COLUMN), ...(hasDeletedAt ? [deletedAt] : [])];
    const values = [
      ...columns.map((c) => r(c.name)),
      syncedAt,
      ...(hasDeletedAt ? [withDeletes && mark ? `IFF(${r(meta.listed)} = 1, ${syncedAt}, NULL)` : 'NULL'] : []),
    ];
    steps.push({ role: 'count-before', statements: [`SELECT COUNT(*) AS "N" FROM ${target}`] });
    steps.push({
      role: 'apply',
      statements: [
        `INSERT OVERWRITE INTO ${target} (${insertNames.join(', ')})\nSELECT ${values.join(', ')}\nFROM (\n${indent(source)}\n) AS "rows"${where}`,
      ],
    });
  } else {
    const insertNames = [...names, q(SYNCED_AT_COLUMN)];
    steps.push({
      role: 'apply',
      statements: [
        `INSERT INTO ${target} (${insertNames.join(', ')})\nSELECT ${[...columns.map((c) => batch(c.name)), syncedAt].join(', ')}\nFROM (\n${indent(inner)}\n) AS "batch"\n` +
          // Rows stamped with this load's instant are already there: a retry after a lost answer inserts nothing.
          `WHERE NOT EXISTS (SELECT 1 FROM ${target} WHERE ${q(SYNCED_AT_COLUMN)} = ${syncedAt})`,
      ],
    });
  }
  steps.push(cleanup);
  return { steps, stagingTable };
}

/** Prefix of the text a load casts to a NUMBER to fail when a record has more fields than the request's columns. */
export const EXTRA_FIELD_MARKER = 'SLUICE_EXTRA_FIELD';

/** Names of the staging table's own columns, chosen not to clash with the request's. */
function metadataNames(columns: readonly Column[]): {
  extra: string;
  file: string;
  row: string;
  deleted: string;
  listed: string;
} {
  const used = new Set(columns.map((c) => snowflakeName(c.name)));
  let prefix = '__sluice_';
  while (['extra', 'file', 'row', 'delete', 'listed'].some((n) => used.has(snowflakeName(`${prefix}${n}`))))
    prefix = `_${prefix}`;
  return {
    extra: `${prefix}extra`,
    file: `${prefix}file`,
    row: `${prefix}row`,
    deleted: `${prefix}delete`,
    listed: `${prefix}listed`,
  };
}

/** Check a request against the warehouse table; returns the request's columns with their logical types. */
export function validateLoad(request: LoadRequest, table: WarehouseTable): Column[] {
  const where = tableLabel(request.table);
  const fail = (problem: string): never => {
    throw new WarehouseError('INVALID_LOAD_REQUEST', `Load into ${where}: ${problem}`, { table: where });
  };
  if (table.kind !== 'table') fail('it is a view in the warehouse, not a table.');
  const keys = request.table.primaryKey;
  const listed = new Set(request.columns.map(snowflakeName));
  const columns = request.columns.map((name) => {
    const column = request.table.columns.find((c) => c.name === name);
    if (column === undefined) return fail(`column "${name}" is not a column of the table schema.`);
    if (isMetadataColumn(name)) return fail(`column "${name}" is one of Sluice's metadata columns.`);
    if (findColumn(table, name) === undefined) {
      return fail(
        `column "${name}" does not exist in the warehouse table; run ensureTable with the current schema first.`,
      );
    }
    return column;
  });
  if (listed.size !== request.columns.length)
    fail('a column is listed twice (Snowflake stores plain names in upper case).');
  if (request.files.length > 0 && columns.length === 0) fail('the files have no columns.');
  if (request.mode === 'merge' && keys.length === 0) {
    fail('mode "merge" needs a primary key; load the table with mode "replace" or "append".');
  }
  if ((request.mode === 'merge' || (request.mode === 'replace' && request.files.length > 0)) && keys.length > 0) {
    for (const key of keys) {
      if (!listed.has(snowflakeName(key))) fail(`primary-key column "${key}" is not among the files' columns.`);
    }
  }
  for (const name of request.newestBy ?? []) {
    if (!request.columns.includes(name)) fail(`newestBy column "${name}" is not among the files' columns.`);
  }
  if (request.deletes && request.deletes.files.length > 0) {
    if (keys.length === 0) fail('deletes need a primary key to find the rows.');
    if (request.mode === 'append') {
      fail(
        'deletes cannot be combined with mode "append" on Snowflake (one statement could not apply both); use "merge".',
      );
    }
    if (request.deletes.mode === 'mark' && findColumn(table, DELETED_AT_COLUMN) === undefined) {
      fail(
        `deletes mode "mark" needs the ${DELETED_AT_COLUMN} column; run ensureTable with { softDelete: true } first.`,
      );
    }
  }
  return columns;
}
