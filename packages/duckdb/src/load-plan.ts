import {
  DELETED_AT_COLUMN,
  SYNCED_AT_COLUMN,
  WarehouseError,
  findColumn,
  isMetadataColumn,
  qualifiedName,
  quoteIdentifier,
  quoteLiteral,
  tableLabel,
  validateLoad,
  type ChunkFile,
  type Column,
  type LoadRequest,
  type WarehouseTable,
} from '@sluice/warehouse';
import { chunkColumnRead } from './chunk-decode.js';
import { duckDbTableDialect } from './duckdb-table-dialect.js';

/** What a statement of a load contributes to the `LoadResult`. */
export type LoadStepRole =
  | 'begin'
  /** CREATE TEMP TABLE … AS SELECT … FROM read_csv: the rows read. */
  | 'stage'
  /** The newest staged row per key (a merge whose keys may repeat). */
  | 'batch'
  /** The batch's keys the table holds, and whether each row changes. */
  | 'match'
  /** The keys whose rows change. */
  | 'changed'
  /** Keep the values of columns this load does not write, for the rows it replaces. */
  | 'keep'
  /** Delete the rows whose keys the batch holds with other values: the rows updated. */
  | 'delete-matched'
  /** `replace` of a table that held rows: one row counting what the load inserts, updates and deletes. */
  | 'count-changes'
  /** Delete every row (mode `replace`). */
  | 'clear'
  /** The rows written. */
  | 'insert'
  /** Delete (or mark) the rows listed in the deletes files. */
  | 'delete-keys'
  | 'commit';

/** One statement of a load. */
export interface LoadStep {
  readonly role: LoadStepRole;
  readonly sql: string;
}

/** The statements of one load, run in order on one connection; the first is BEGIN and the last COMMIT. */
export interface LoadPlan {
  readonly steps: readonly LoadStep[];
}

/** Name of the connection-local table the chunk files are staged in. */
export const STAGE_TABLE = '__sluice_stage';
const KEPT_TABLE = '__sluice_kept';
/**
 * Default for {@link LoadPlanOptions.maxRowBytes}: 16 MiB. Fields longer than read_csv's 2 MB default line limit
 * are legal in Postgres (up to 1 GB), but read_csv's buffer (16 × max_line_size unless set) counts against DuckDB's
 * memory limit once per file read in parallel: 1 GB lines meant 16 GB allocations that failed. The buffer is set
 * to twice the line limit; a longer row fails with DuckDB's CSV error naming the file and line.
 */
export const DEFAULT_MAX_ROW_BYTES = 16 * 1024 * 1024;

/** How loads read chunk files. */
export interface LoadPlanOptions {
  /** The longest record (one row of a chunk file) a load accepts, in bytes. */
  readonly maxRowBytes?: number;
  /** `replace`: how many rows the table holds before the load (counted in the load's transaction). With some, and a
   *  key, the load counts what it changes (`count-changes`) instead of reporting every row deleted and inserted. */
  readonly existingRows?: number;
}

/** Name of the connection-local table holding the newest staged row per key. */
const BATCH_TABLE = '__sluice_batch';
/** Name of the connection-local table of the batch's keys the table holds, and whether each row changes. */
const MATCHED_TABLE = '__sluice_matched';
/** Its flag column (prefixed with `_` while a key has the name): the batch's row differs from the table's. */
/** Name of the connection-local table of the keys whose rows the merge changes. */
const CHANGED_TABLE = '__sluice_changed_keys';
const CHANGED_FLAG = '__sluice_changed';

/**
 * Plan a load (pure): validate the request against the warehouse table, then build one transaction.
 *
 * - `merge`: stage the files in a temporary table (its `rowid` is the file order, files in request order), keep the
 *   newest row per key (`newestBy` descending, NULLs oldest, then later row first; skipped when the request says
 *   the keys are distinct), delete the table's rows whose values differ from the batch's row for their key (or
 *   that are marked deleted), and insert the batch's rows whose key the table no longer holds. A row the batch
 *   holds unchanged is left as it is — not rewritten, not counted: `updated` counts rows whose values changed.
 *   With `changesOnly` (every row is a change, the caller says), every matched row is replaced without comparing.
 *   Values are compared exactly: as text where DuckDB's equality is looser than identity (`1 day` = `24 hours`,
 *   `-0.0` = `0.0`, in intervals, floats and lists). The delete joins the table with the small batch of distinct
 *   keys as `DELETE … USING` (about two thirds of the CPU of the same delete as `WHERE EXISTS` on a million rows,
 *   measured for bench/ingest-incremental). Delete-then-insert rather than MERGE: DuckDB's UPDATE skips a
 *   value it considers equal to the old one, so an update could keep a stale value; a fresh row cannot. Columns the
 *   request does not write keep their values (copied from the old row); `_sluice_deleted_at` is cleared.
 * - `replace`: delete every row, insert the files' rows (newest per key when the table has a key). When the table
 *   held rows (`existingRows`) and has a key, first count the rows the load inserts, changes and deletes.
 * - `append`: insert the files' rows.
 * - `deletes`: then delete the listed keys, or set `_sluice_deleted_at` on them (mode `mark`).
 */
export function planLoad(request: LoadRequest, table: WarehouseTable, options: LoadPlanOptions = {}): LoadPlan {
  const where = tableLabel(request.table);
  const { columns, keys: keyColumns } = validateLoad(request, table, duckDbTableDialect);
  checkCompressionNames(request);
  const target = qualifiedName(request.table);
  const keys = keyColumns.map((k) => k.name);
  const steps: LoadStep[] = [{ role: 'begin', sql: 'BEGIN TRANSACTION' }];
  const names = columns.map((c) => quoteIdentifier(c.name));
  const hasFiles = request.files.length > 0;
  const maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  const stageSelect = () => readChunks(request.files, columns, table, where, maxRowBytes);
  const dedupe = () => {
    const order = [...(request.newestBy ?? []).map((c) => `${quoteIdentifier(c)} DESC NULLS LAST`), 'rowid DESC'];
    return `SELECT * FROM ${quoteIdentifier(STAGE_TABLE)}\nQUALIFY row_number() OVER (PARTITION BY ${keys.map(quoteIdentifier).join(', ')} ORDER BY ${order.join(', ')}) = 1`;
  };
  const insertInto = (extraColumns: readonly string[]) =>
    `INSERT INTO ${target} (${[...names, ...extraColumns, quoteIdentifier(SYNCED_AT_COLUMN)].join(', ')})`;
  const matches = (alias: string) =>
    keys.map((k) => `${quoteIdentifier(alias)}.${quoteIdentifier(k)} = "target".${quoteIdentifier(k)}`).join(' AND ');
  // The batch row differs from the table's row of its key (or that row is marked deleted).
  const changed = () => {
    const keySet = new Set(keys.map((k) => k.toLowerCase()));
    const differs = columns
      .filter((c) => !keySet.has(c.name.toLowerCase()))
      .map((c) => {
        const storage = findColumn(table, c.name, duckDbTableDialect)?.storage ?? '';
        const name = quoteIdentifier(c.name);
        return comparesAsText(storage)
          ? `CAST(CAST("batch".${name} AS ${storage}) AS VARCHAR) IS DISTINCT FROM CAST("target".${name} AS VARCHAR)`
          : `"batch".${name} IS DISTINCT FROM "target".${name}`;
      });
    if (findColumn(table, DELETED_AT_COLUMN, duckDbTableDialect) !== undefined)
      differs.push(`"target".${quoteIdentifier(DELETED_AT_COLUMN)} IS NOT NULL`);
    return differs.length > 0 ? differs.join('\n   OR ') : 'false';
  };

  if (request.mode === 'merge' && hasFiles) {
    steps.push({ role: 'stage', sql: `CREATE TEMP TABLE ${quoteIdentifier(STAGE_TABLE)} AS\n${stageSelect()}` });
    let batchTable = STAGE_TABLE;
    if (request.distinctKeys !== true) {
      steps.push({ role: 'batch', sql: `CREATE TEMP TABLE ${quoteIdentifier(BATCH_TABLE)} AS\n${dedupe()}` });
      batchTable = BATCH_TABLE;
    }
    const batch = quoteIdentifier(batchTable);
    const written = new Set(columns.map((c) => c.name.toLowerCase()));
    const kept = table.columns
      .filter((c) => !written.has(c.name.toLowerCase()) && !isMetadataColumn(c, duckDbTableDialect))
      .map((c) => c.name);
    const inBatch = `EXISTS (SELECT 1 FROM ${batch} AS "batch" WHERE ${matches('batch')})`;
    const keptJoin = keys.map((k) => `"kept".${quoteIdentifier(k)} = "batch".${quoteIdentifier(k)}`).join(' AND ');
    const select = [
      ...columns.map((c) => `"batch".${quoteIdentifier(c.name)}`),
      ...kept.map((c) => `"kept".${quoteIdentifier(c)}`),
      'now()',
    ];
    const insertBatch = (where: string) =>
      `${insertInto(kept.map(quoteIdentifier))}\nSELECT ${select.join(', ')}\nFROM ${batch} AS "batch"` +
      (kept.length > 0 ? `\nLEFT JOIN ${quoteIdentifier(KEPT_TABLE)} AS "kept" ON ${keptJoin}` : '') +
      where;
    if (kept.length > 0) {
      steps.push({
        role: 'keep',
        sql:
          `CREATE TEMP TABLE ${quoteIdentifier(KEPT_TABLE)} AS\n` +
          `SELECT DISTINCT ON (${keys.map((k) => `"target".${quoteIdentifier(k)}`).join(', ')}) ` +
          `${[...keys, ...kept].map((c) => `"target".${quoteIdentifier(c)}`).join(', ')}\n` +
          `FROM ${target} AS "target"\nWHERE ${inBatch}`,
      });
    }
    if (request.changesOnly === true) {
      // Every row of the batch is a change (the caller says so): replace each matched row, no comparison.
      steps.push({
        role: 'delete-matched',
        sql: `DELETE FROM ${target} AS "target"\nUSING ${batch} AS "batch"\nWHERE ${matches('batch')}`,
      });
      steps.push({ role: 'insert', sql: insertBatch('') });
    } else {
      // The batch's keys the table holds, each with whether its row changes: one join of the batch (small) with the
      // table. The delete and the insert then look only at small tables — a condition on the table's values inside
      // the delete's EXISTS would keep DuckDB from a hash join (a second on a million rows instead of milliseconds).
      let flagName = CHANGED_FLAG;
      while (keys.some((k) => k.toLowerCase() === flagName)) flagName = `_${flagName}`;
      const flag = quoteIdentifier(flagName);
      const matched = quoteIdentifier(MATCHED_TABLE);
      steps.push({
        role: 'match',
        sql:
          `CREATE TEMP TABLE ${matched} AS\n` +
          `SELECT ${keys.map((k) => `"batch".${quoteIdentifier(k)}`).join(', ')}, (${changed()}) AS ${flag}\n` +
          `FROM ${batch} AS "batch"\nJOIN ${target} AS "target" ON ${matches('batch')}`,
      });
      // The keys whose rows change, apart: a condition beside the key in the delete's EXISTS makes DuckDB test it row
      // by row over the whole table (a second on a million rows) instead of one hash join.
      const changedKeys = quoteIdentifier(CHANGED_TABLE);
      steps.push({
        role: 'changed',
        sql: `CREATE TEMP TABLE ${changedKeys} AS\nSELECT ${keys.map(quoteIdentifier).join(', ')} FROM ${matched} WHERE ${flag}`,
      });
      steps.push({
        role: 'delete-matched',
        sql: `DELETE FROM ${target} AS "target"\nUSING ${changedKeys} AS "changed"\nWHERE ${matches('changed')}`,
      });
      const same = keys.map((k) => `"matched".${quoteIdentifier(k)} = "batch".${quoteIdentifier(k)}`).join(' AND ');
      steps.push({
        role: 'insert',
        // Rows that do not change stay as they are: not deleted above, not inserted again.
        sql: insertBatch(
          `\nWHERE NOT EXISTS (SELECT 1 FROM ${matched} AS "matched" WHERE NOT "matched".${flag} AND ${same})`,
        ),
      });
    }
  } else if (request.mode === 'replace') {
    const counted = keys.length > 0 && hasFiles && (options.existingRows ?? 0) > 0;
    // Rows known to have distinct keys go straight from the files into the table: no staging copy, no sort.
    const dedupeNeeded = keys.length > 0 && request.distinctKeys !== true;
    const staged = hasFiles && (dedupeNeeded || counted);
    if (staged) {
      steps.push({ role: 'stage', sql: `CREATE TEMP TABLE ${quoteIdentifier(STAGE_TABLE)} AS\n${stageSelect()}` });
    }
    const source = !staged ? stageSelect() : dedupeNeeded ? dedupe() : `SELECT * FROM ${quoteIdentifier(STAGE_TABLE)}`;
    if (counted) {
      const k = quoteIdentifier(keys[0] as string);
      steps.push({
        role: 'count-changes',
        sql:
          `SELECT count(*) FILTER (WHERE "target".${k} IS NULL) AS inserted,\n` +
          `  count(*) FILTER (WHERE "batch".${k} IS NOT NULL AND "target".${k} IS NOT NULL AND (${changed()})) AS updated,\n` +
          `  count(*) FILTER (WHERE "batch".${k} IS NULL) AS deleted\n` +
          `FROM (\n${source}\n) AS "batch"\nFULL OUTER JOIN ${target} AS "target" ON ${matches('batch')}`,
      });
    }
    steps.push({ role: 'clear', sql: `DELETE FROM ${target}` });
    if (hasFiles) {
      steps.push({ role: 'insert', sql: `${insertInto([])}\nSELECT *, now()\nFROM (\n${source}\n)` });
    }
  } else if (request.mode === 'append' && hasFiles) {
    steps.push({ role: 'insert', sql: `${insertInto([])}\nSELECT *, now()\nFROM (\n${stageSelect()}\n)` });
  }

  if (request.deletes && request.deletes.files.length > 0) {
    const listed =
      `EXISTS (\n  SELECT 1 FROM (\n${readChunks(request.deletes.files, keyColumns, table, where, maxRowBytes)}\n  ) AS "deleted"\n  WHERE ` +
      keys.map((k) => `"deleted".${quoteIdentifier(k)} = "target".${quoteIdentifier(k)}`).join(' AND ') +
      '\n)';
    steps.push({
      role: 'delete-keys',
      sql:
        request.deletes.mode === 'mark'
          ? `UPDATE ${target} AS "target" SET ${quoteIdentifier(DELETED_AT_COLUMN)} = now()\nWHERE "target".${quoteIdentifier(DELETED_AT_COLUMN)} IS NULL AND ${listed}`
          : `DELETE FROM ${target} AS "target"\nWHERE ${listed}`,
    });
  }
  steps.push({ role: 'commit', sql: 'COMMIT' });
  return { steps };
}

/**
 * The chunk format (`@sluice/warehouse` chunk-file.ts) as `read_csv` options, every one stated: nothing is sniffed
 * (`auto_detect = false`; `new_line` above all — DuckDB otherwise takes the line ending from the first `\r` or `\n`
 * in the file, even one inside a quoted value, and a first record holding `a\rb` failed every load) and nothing is
 * left to a default that could change: one header-less record per `\n`; `,` `"` and `"` as delimiter, quote and
 * escape; an unquoted empty field is NULL and `""` the empty string; no comment lines, no skipped lines, no
 * padding or skipped errors; UTF-8; a path is never read as Hive partitions. Two things DuckDB still does on its
 * own, which the chunk writer rules out: it drops a UTF-8 byte order mark at the start of a file (a chunk file never
 * begins with one: the extractor quotes such a first field), and it parses dates and timestamps in its ISO form
 * (the chunk format's; no `dateformat`, which would switch to strptime).
 */
export const CHUNK_CSV_OPTIONS =
  "header = false, new_line = '\\n', delim = ',', quote = '\"', escape = '\"', nullstr = '', allow_quoted_nulls = false, " +
  "comment = '', skip = 0, encoding = 'utf-8', decimal_separator = '.', auto_detect = false, strict_mode = true, " +
  'null_padding = false, ignore_errors = false, store_rejects = false, hive_partitioning = false, union_by_name = false';

/** `SELECT <decoded columns> FROM read_csv([...files], columns = {...}, …)` for chunk files (format: chunk-file.ts). */
export function readChunks(
  files: readonly ChunkFile[],
  columns: readonly Column[],
  table: WarehouseTable,
  where: string,
  maxRowBytes: number = DEFAULT_MAX_ROW_BYTES,
): string {
  const used = new Set(columns.map((c) => c.name.toLowerCase()));
  let fileColumn = '__sluice_file';
  while (used.has(fileColumn)) fileColumn = `_${fileColumn}`;
  const reads = columns.map((column) => ({
    column,
    read: chunkColumnRead(column.type, findColumn(table, column.name, duckDbTableDialect)?.storage ?? '', {
      table: where,
      column: column.name,
      fileExpression: quoteIdentifier(fileColumn),
    }),
  }));
  const select = reads.map(({ column, read }) => {
    const name = quoteIdentifier(column.name);
    return read.select === name ? name : `${read.select} AS ${name}`;
  });
  const types = reads.map(({ column, read }) => `${quoteLiteral(column.name)}: ${quoteLiteral(read.readType)}`);
  const gzip = files.filter((f) => f.format === 'csv.gz').length;
  const compression = gzip === 0 ? 'none' : gzip === files.length ? 'gzip' : 'auto';
  // Every option that shapes how a record is read is stated, none sniffed nor defaulted (see CHUNK_CSV_OPTIONS).
  return [
    `SELECT ${select.join(',\n  ')}`,
    `FROM read_csv([${files.map((f) => quoteLiteral(f.path)).join(', ')}],`,
    `  columns = {${types.join(', ')}},`,
    `  ${CHUNK_CSV_OPTIONS}, compression = '${compression}',`,
    `  max_line_size = ${maxRowBytes}, buffer_size = ${2 * maxRowBytes},`,
    `  filename = ${quoteLiteral(fileColumn)})`,
  ].join('\n');
}

/**
 * DuckDB's own check, after the shared `validateLoad`: `read_csv` tells gzip from plain files by name when a list
 * mixes both, so a gzip file in a mixed list must end in `.gz`.
 */
function checkCompressionNames(request: LoadRequest): void {
  const files = [...request.files, ...(request.deletes?.files ?? [])];
  if (!files.some((f) => f.format === 'csv')) return;
  const unnamed = files.find((f) => f.format === 'csv.gz' && !f.path.endsWith('.gz'));
  if (unnamed !== undefined) {
    const where = tableLabel(request.table);
    throw new WarehouseError(
      'INVALID_LOAD_REQUEST',
      `Load into ${where}: file ${unnamed.path} is gzip-compressed but its name does not end in .gz; mixed lists need the suffix.`,
      { table: where },
    );
  }
}

/** Storage types whose `=` is looser than identity in DuckDB (`1 day` = `24 hours`, `-0.0` = `0.0`): compared as text. */
function comparesAsText(storage: string): boolean {
  return /^(INTERVAL|FLOAT|REAL|DOUBLE)\b|\[|^(STRUCT|MAP|UNION)\b/i.test(storage.trim());
}
