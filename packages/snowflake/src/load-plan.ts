import {
  DELETED_AT_COLUMN,
  SYNCED_AT_COLUMN,
  findColumn,
  validateLoad,
  type Column,
  type LoadRequest,
  type WarehouseTable,
} from '@sluice/warehouse';
import { decodeChunkValue } from './chunk-decode.js';
import { indent } from './snowflake-dialect.js';
import { qualifySnowflake, quoteSnowflakeIdentifier, snowflakeLiteral, snowflakeName } from './snowflake-identifier.js';
import { snowflakeTableDialect } from './snowflake-table-dialect.js';
import { LARGEST_VARCHAR_LENGTH } from './snowflake-type.js';

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
  /** PUTs sent at once (and PUT's PARALLEL: the parts of one file over 64 MB on Azure/GCS stages). */
  readonly parallel: number;
}

/** What a step of a load is for; the warehouse reads the results of some (COPY counts, MERGE counts). */
export type LoadStepRole =
  | 'upload'
  | 'stage'
  | 'count-before'
  /** `replace` of a keyed table: what the load inserts, changes and deletes (run only when the table held rows). */
  | 'count-changes'
  | 'apply'
  | 'count-marked'
  /** `merge` of a batch whose keys may repeat: how many keys it holds (`rowsMerged`). */
  | 'count-merged'
  | 'cleanup';

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
 * The Postgres CSV of the chunk format (`@sluice/warehouse` chunk-file.ts), as Snowflake reads it, with every CSV
 * option stated rather than left to Snowflake's default (or to a named format's): one record per `\n`, `"`
 * encloses fields and doubles inside them, no backslash escapes, an unquoted empty field is NULL and `""` the
 * empty string (NULL_IF = () so that no text, `\N` included, is taken for NULL); a record delimiter inside an
 * enclosed field is data (MULTI_LINE); no header, no skipped blank lines (a row of one NULL is an empty line), no
 * trimmed spaces, no dropped byte order mark (a value may begin with U+FEFF), no replaced characters (invalid
 * UTF-8 fails the load). The staging table is all VARCHAR, so the date, time and binary formats never parse a
 * value: they are stated at their defaults all the same. ERROR_ON_COLUMN_COUNT_MISMATCH is FALSE because the COPY
 * transforms (a transforming COPY selects fields by number, and a field past the last reads as NULL): a record
 * with a field too many is caught by `__SLUICE_EXTRA` instead.
 */
export const CHUNK_FILE_FORMAT =
  "TYPE = CSV RECORD_DELIMITER = '\\n' FIELD_DELIMITER = ',' MULTI_LINE = TRUE FIELD_OPTIONALLY_ENCLOSED_BY = '\"' " +
  'ESCAPE = NONE ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE PARSE_HEADER = FALSE ' +
  'SKIP_HEADER = 0 SKIP_BLANK_LINES = FALSE TRIM_SPACE = FALSE SKIP_BYTE_ORDER_MARK = FALSE ' +
  "REPLACE_INVALID_CHARACTERS = FALSE ENCODING = 'UTF8' ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE " +
  'DATE_FORMAT = AUTO TIME_FORMAT = AUTO TIMESTAMP_FORMAT = AUTO BINARY_FORMAT = HEX COMPRESSION = GZIP';

/**
 * Plan a load (pure): validate the request against the warehouse table (the shared `validateLoad`), then the steps
 * after the preamble:
 *
 * 1. `upload`: one PUT per prepared gzip file into this load's own folder of the stage (unique per load), sent
 *    `parallel` at once.
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
  const { columns, keys } = validateLoad(request, table, snowflakeTableDialect);
  const target = qualifySnowflake(request.table);
  const stagingTable = qualifySnowflake({ schema: request.table.schema, name: `${request.table.name}__sluice_load` });
  if (files.length === 0) {
    // Nothing to stage: only `replace` changes anything (the source table is empty).
    return {
      steps: request.mode === 'replace' ? [{ role: 'apply', statements: [`DELETE FROM ${target}`] }] : [],
      stagingTable,
    };
  }
  const meta = metadataNames(columns);
  const dataFiles = files.filter((f) => f.kind === 'data');
  const deleteFiles = files.filter((f) => f.kind === 'deletes');
  const batch = decodedBatch(request, table, columns, keys, meta, stagingTable, deleteFiles.length > 0);
  const load: LoadSql = {
    ...batch,
    target,
    stagingTable,
    names: columns.map((c) => q(c.name)),
    syncedAt: `CAST(${snowflakeLiteral(context.syncedAt)} AS TIMESTAMP_TZ(6))`,
    hasDeletedAt: findColumn(table, DELETED_AT_COLUMN, snowflakeTableDialect) !== undefined,
    mark: request.deletes?.mode === 'mark',
  };
  const apply =
    request.mode === 'merge'
      ? mergeSteps(load, dataFiles.length > 0, request.distinctKeys === true, request.changesOnly === true)
      : request.mode === 'replace'
        ? replaceSteps(load, request.distinctKeys === true)
        : appendSteps(load);
  return {
    steps: [
      uploadStep(context, files),
      stageStep(stagingTable, context, meta, columns, [
        [columns.map((c) => c.name), dataFiles],
        [keys.map((k) => k.name), deleteFiles],
      ]),
      ...apply,
      {
        role: 'cleanup',
        statements: [`DROP TABLE IF EXISTS ${stagingTable}`, `REMOVE @${context.stage}/${context.tablePath}`],
      },
    ],
    stagingTable,
  };
}

const q = quoteSnowflakeIdentifier;

/** Names of the staging table's own columns (see `metadataNames`). */
interface StagingNames {
  readonly extra: string;
  readonly file: string;
  readonly row: string;
  readonly deleted: string;
  readonly listed: string;
}

/** The staged rows, decoded, and how the apply statements refer to them. */
interface DecodedBatch {
  readonly columns: readonly Column[];
  readonly keys: readonly Column[];
  readonly meta: StagingNames;
  /** SELECT of the decoded staged rows (data and delete rows). */
  readonly inner: string;
  readonly withDeletes: boolean;
  /** `"batch"."<column>"`. */
  readonly batch: (column: string) => string;
  /** `"batch"."<key>", …` */
  readonly partition: string;
  /** ORDER BY of "newest row wins": data rows before delete rows, then `newestBy`, then the later file and row. */
  readonly newest: string;
}

/** Everything the apply statement of a load is made of. */
interface LoadSql extends DecodedBatch {
  /** The raw table, qualified. */
  readonly target: string;
  /** The staging table, qualified. */
  readonly stagingTable: string;
  /** The request's columns, quoted. */
  readonly names: readonly string[];
  /** This load's instant, as a TIMESTAMP_TZ(6) literal. */
  readonly syncedAt: string;
  readonly hasDeletedAt: boolean;
  readonly mark: boolean;
}

/**
 * 1. One PUT per prepared file into this load's folder of the stage; the warehouse sends them `parallel` at once.
 * snowflake-sdk 3.3 uploads the files of one PUT one after another whatever PARALLEL says (PARALLEL only splits a
 * file over 64 MB on Azure and GCS stages), so concurrency comes from concurrent PUTs (`pnpm bench snowflake-put`).
 */
function uploadStep(context: LoadContext, files: readonly UploadFile[]): LoadStep {
  const dir = context.localDir.replace(/\/+$/, '');
  return {
    role: 'upload',
    statements: files.map(
      (file) =>
        `PUT ${snowflakeLiteral(`file://${dir}/${file.name}`)} @${context.stage}/${context.loadPath} ` +
        `PARALLEL = ${context.parallel} AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE`,
    ),
  };
}

/** 2. The transient staging table (all VARCHAR), and one COPY per kind of file: `[columns, files]` each. */
function stageStep(
  stagingTable: string,
  context: LoadContext,
  meta: StagingNames,
  columns: readonly Column[],
  copies: readonly (readonly [readonly string[], readonly UploadFile[]])[],
): LoadStep {
  // The largest VARCHAR Snowflake has (128 MB): a text value, or the hex of a binary one up to 64 MB, fits.
  const stagedColumns = [
    ...columns.map((c) => `${q(c.name)} VARCHAR(${LARGEST_VARCHAR_LENGTH})`),
    `${q(meta.extra)} VARCHAR(${LARGEST_VARCHAR_LENGTH})`,
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
  return {
    role: 'stage',
    statements: [
      `CREATE OR REPLACE TRANSIENT TABLE ${stagingTable} (\n  ${stagedColumns.join(',\n  ')}\n)\nDATA_RETENTION_TIME_IN_DAYS = 0`,
      ...copies.filter(([, list]) => list.length > 0).map(([names, list]) => copy(names, list)),
    ],
  };
}

/** The staged text decoded into the table's types; a row with a field past the last column fails the statement. */
function decodedBatch(
  request: LoadRequest,
  table: WarehouseTable,
  columns: readonly Column[],
  keys: readonly Column[],
  meta: StagingNames,
  stagingTable: string,
  withDeletes: boolean,
): DecodedBatch {
  const decoded = [
    ...columns.map((c, i) => {
      const storage = findColumn(table, c.name, snowflakeTableDialect)?.storage ?? '';
      const expression = decodeChunkValue(q(c.name), c.type, storage, { columnIndex: i });
      return expression === q(c.name) ? expression : `${expression} AS ${q(c.name)}`;
    }),
    q(meta.file),
    q(meta.row),
    ...(withDeletes ? [`(${q(meta.file)} LIKE '%/deletes-%') AS ${q(meta.deleted)}`] : []),
  ];
  // NULL (true) for every well-formed row; for a row with an extra field, text that is no number (so it fails).
  const extraField = `CAST(${snowflakeLiteral(`${EXTRA_FIELD_MARKER}:`)} || ${q(meta.file)} || ':' || ${q(meta.row)} || ':' || ${q(meta.extra)} AS NUMBER) IS NULL`;
  const batch = (c: string): string => `"batch".${q(c)}`;
  return {
    columns,
    keys,
    meta,
    inner: `SELECT ${decoded.join(',\n  ')}\nFROM ${stagingTable}\nWHERE ${extraField}`,
    withDeletes,
    batch,
    partition: keys.map((k) => batch(k.name)).join(', '),
    newest: [
      ...(withDeletes ? [`${batch(meta.deleted)} ASC`] : []),
      ...(request.newestBy ?? []).map((c) => `${batch(c)} DESC NULLS LAST`),
      `${batch(meta.file)} DESC`,
      `${batch(meta.row)} DESC`,
    ].join(', '),
  };
}

/**
 * The batch reduced to one row per key: a data row when the key has one (the newest), else its delete row; with
 * deletes, `listed` says whether the key is in the deletes files as well.
 */
function newestPerKey(load: DecodedBatch): string {
  const listed = load.withDeletes
    ? `, MAX(IFF(${load.batch(load.meta.deleted)}, 1, 0)) OVER (PARTITION BY ${load.partition}) AS ${q(load.meta.listed)}`
    : '';
  return `SELECT "batch".*${listed}\nFROM (\n${indent(load.inner)}\n) AS "batch"\nQUALIFY ROW_NUMBER() OVER (PARTITION BY ${load.partition} ORDER BY ${load.newest}) = 1`;
}

/** 3. `merge`: one MERGE; deletes apply after the upsert, as in one transaction. */
function mergeSteps(load: LoadSql, hasData: boolean, distinctKeys: boolean, changesOnly: boolean): LoadStep[] {
  const { names, syncedAt, withDeletes, mark, meta } = load;
  const s = (c: string): string => `"source".${q(c)}`;
  const deletedAt = q(DELETED_AT_COLUMN);
  const isDelete = s(meta.deleted);
  const isListed = `${s(meta.listed)} = 1`;
  const markedAt = withDeletes && mark ? `IFF(${isListed}, ${syncedAt}, NULL)` : 'NULL';
  const keyColumns = new Set(load.keys.map((k) => q(k.name)));
  const sets = [
    ...names.filter((n) => !keyColumns.has(n)).map((n) => `${n} = "source".${n}`),
    `${q(SYNCED_AT_COLUMN)} = ${syncedAt}`,
    ...(load.hasDeletedAt ? [`${deletedAt} = ${markedAt}`] : []),
  ];
  const insertNames = [...names, q(SYNCED_AT_COLUMN), ...(load.hasDeletedAt ? [deletedAt] : [])];
  const insertValues = [...names.map((n) => `"source".${n}`), syncedAt, ...(load.hasDeletedAt ? [markedAt] : [])];
  const when: string[] = [];
  if (withDeletes && !mark) when.push(`WHEN MATCHED AND ${isListed} THEN DELETE`);
  if (withDeletes && mark) {
    when.push(
      `WHEN MATCHED AND ${isDelete} AND "target".${deletedAt} IS NULL THEN UPDATE SET ${deletedAt} = ${syncedAt}`,
    );
  }
  // Only a row whose values change is written (and counted updated): an identical row read again is left alone.
  const changed = [
    ...load.columns
      .filter((c) => !keyColumns.has(q(c.name)))
      .map((c) => {
        const t = `"target".${q(c.name)}`;
        const v = s(c.name);
        // FLOAT's = holds -0.0 and 0.0 equal: zeros are told apart by their text.
        return c.type.kind === 'real' || c.type.kind === 'double'
          ? `${t} IS DISTINCT FROM ${v} OR (${t} = 0 AND TO_VARCHAR(${t}) <> TO_VARCHAR(${v}))`
          : `${t} IS DISTINCT FROM ${v}`;
      }),
    ...(load.hasDeletedAt ? [`"target".${deletedAt} IS DISTINCT FROM ${markedAt}`] : []),
  ];
  // A table of key columns alone has nothing to update; with `changesOnly` every matched row is an update.
  if (changesOnly || changed.length > 0) {
    const differs = changesOnly ? '' : ` AND (${changed.join('\n    OR ')})`;
    when.push(
      `WHEN MATCHED${withDeletes ? ` AND NOT ${isDelete}` : ''}${differs} THEN UPDATE SET\n  ${sets.join(',\n  ')}`,
    );
  }
  const insertWhen = withDeletes ? (mark ? ` AND NOT ${isDelete}` : ` AND NOT ${isListed}`) : '';
  when.push(
    `WHEN NOT MATCHED${insertWhen} THEN INSERT (${insertNames.join(', ')})\n  VALUES (${insertValues.join(', ')})`,
  );
  const merge = [
    `MERGE INTO ${load.target} AS "target"`,
    `USING (\n${indent(newestPerKey(load))}\n) AS "source"`,
    `ON ${load.keys.map((k) => `"target".${q(k.name)} = ${s(k.name)}`).join(' AND ')}`,
    ...when,
  ].join('\n');
  const steps: LoadStep[] = [{ role: 'apply', statements: [merge] }];
  if (hasData && !distinctKeys) {
    // MERGE reports only the rows it writes: the keys of the batch are counted apart (with distinct keys, every
    // staged data row is one).
    const keys = load.keys.map((k) => q(k.name)).join(', ');
    steps.push({
      role: 'count-merged',
      statements: [
        `SELECT COUNT(*) AS "N" FROM (SELECT DISTINCT ${keys} FROM ${load.stagingTable} WHERE ${q(meta.file)} NOT LIKE '%/deletes-%')`,
      ],
    });
  }
  if (withDeletes && mark && hasData) {
    // MERGE counts marked rows among the updated ones; this load's marks carry its own instant.
    steps.push({
      role: 'count-marked',
      statements: [`SELECT COUNT(*) AS "N" FROM ${load.target} WHERE ${deletedAt} = ${syncedAt}`],
    });
  }
  return steps;
}

/** 3. `replace`: count what was there, then one INSERT OVERWRITE of the newest row per key. */
function replaceSteps(load: LoadSql, distinctKeys: boolean): LoadStep[] {
  const { names, syncedAt, withDeletes, mark, meta } = load;
  const dedupe = load.keys.length > 0 && (!distinctKeys || withDeletes);
  const source = dedupe ? newestPerKey(load) : `SELECT "batch".*\nFROM (\n${indent(load.inner)}\n) AS "batch"`;
  const r = (c: string): string => `"rows".${q(c)}`;
  const where = withDeletes ? `\nWHERE NOT ${r(meta.deleted)}${mark ? '' : ` AND ${r(meta.listed)} = 0`}` : '';
  const deletedAt = q(DELETED_AT_COLUMN);
  const insertNames = [...names, q(SYNCED_AT_COLUMN), ...(load.hasDeletedAt ? [deletedAt] : [])];
  const values = [
    ...load.columns.map((c) => r(c.name)),
    syncedAt,
    ...(load.hasDeletedAt ? [withDeletes && mark ? `IFF(${r(meta.listed)} = 1, ${syncedAt}, NULL)` : 'NULL'] : []),
  ];
  const counted: LoadStep[] = [];
  if (load.keys.length > 0) {
    const key = q((load.keys[0] as Column).name);
    const on = load.keys.map((k) => `"target".${q(k.name)} = ${r(k.name)}`).join(' AND ');
    const keyNames = new Set(load.keys.map((k) => q(k.name)));
    const changed = [
      ...load.columns
        .filter((c) => !keyNames.has(q(c.name)))
        .map((c) =>
          c.type.kind === 'real' || c.type.kind === 'double'
            ? `"target".${q(c.name)} IS DISTINCT FROM ${r(c.name)} OR ("target".${q(c.name)} = 0 AND TO_VARCHAR("target".${q(c.name)}) <> TO_VARCHAR(${r(c.name)}))`
            : `"target".${q(c.name)} IS DISTINCT FROM ${r(c.name)}`,
        ),
      ...(load.hasDeletedAt ? [`"target".${deletedAt} IS NOT NULL`] : []),
    ];
    counted.push({
      role: 'count-changes',
      statements: [
        `SELECT COUNT_IF("target".${key} IS NULL) AS "INSERTED",\n` +
          `  COUNT_IF(${r((load.keys[0] as Column).name)} IS NOT NULL AND "target".${key} IS NOT NULL AND (${changed.length > 0 ? changed.join(' OR ') : 'FALSE'})) AS "UPDATED",\n` +
          `  COUNT_IF(${r((load.keys[0] as Column).name)} IS NULL) AS "DELETED"\n` +
          `FROM (\n${indent(`SELECT "rows".*\nFROM (\n${indent(source)}\n) AS "rows"${where}`)}\n) AS "rows"\n` +
          `FULL OUTER JOIN ${load.target} AS "target" ON ${on}`,
      ],
    });
  }
  return [
    { role: 'count-before', statements: [`SELECT COUNT(*) AS "N" FROM ${load.target}`] },
    ...counted,
    {
      role: 'apply',
      statements: [
        `INSERT OVERWRITE INTO ${load.target} (${insertNames.join(', ')})\nSELECT ${values.join(', ')}\nFROM (\n${indent(source)}\n) AS "rows"${where}`,
      ],
    },
  ];
}

/** 3. `append`: one INSERT, skipped when this load's rows are already there. */
function appendSteps(load: LoadSql): LoadStep[] {
  const { target, syncedAt } = load;
  const insertNames = [...load.names, q(SYNCED_AT_COLUMN)];
  const values = [...load.columns.map((c) => load.batch(c.name)), syncedAt];
  return [
    {
      role: 'apply',
      statements: [
        `INSERT INTO ${target} (${insertNames.join(', ')})\nSELECT ${values.join(', ')}\nFROM (\n${indent(load.inner)}\n) AS "batch"\n` +
          // Rows stamped with this load's instant are already there: a retry after a lost answer inserts nothing.
          `WHERE NOT EXISTS (SELECT 1 FROM ${target} WHERE ${q(SYNCED_AT_COLUMN)} = ${syncedAt})`,
      ],
    },
  ];
}

/** Prefix of the text a load casts to a NUMBER to fail when a record has more fields than the request's columns. */
export const EXTRA_FIELD_MARKER = 'SLUICE_EXTRA_FIELD';

/** Names of the staging table's own columns, chosen not to clash with the request's. */
function metadataNames(columns: readonly Column[]): StagingNames {
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
