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
  /** Keep the values of columns this load does not write, for the rows it replaces. */
  | 'keep'
  /** Delete the rows whose keys the batch holds: the rows updated. */
  | 'delete-matched'
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
}

/**
 * Plan a load (pure): validate the request against the warehouse table, then build one transaction.
 *
 * - `merge`: stage the files in a temporary table (its `rowid` is the file order, files in request order), delete
 *   the rows whose keys the batch holds, insert the newest row per key (`newestBy` descending, NULLs oldest, then
 *   later row first). Delete-then-insert rather than MERGE: DuckDB's UPDATE skips a value it considers equal to the
 *   old one (`1 day` over `24 hours`, `-0.0` over `0.0`), so an update could keep a stale value; a fresh row cannot.
 *   Columns the request does not write keep their values (copied from the old row); `_sluice_deleted_at` is cleared.
 * - `replace`: delete every row, insert the files' rows (newest per key when the table has a key).
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

  if (request.mode === 'merge' && hasFiles) {
    steps.push({ role: 'stage', sql: `CREATE TEMP TABLE ${quoteIdentifier(STAGE_TABLE)} AS\n${stageSelect()}` });
    const written = new Set(columns.map((c) => c.name.toLowerCase()));
    const kept = table.columns
      .filter((c) => !written.has(c.name.toLowerCase()) && !isMetadataColumn(c, duckDbTableDialect))
      .map((c) => c.name);
    const matches = (alias: string) =>
      keys.map((k) => `${quoteIdentifier(alias)}.${quoteIdentifier(k)} = "target".${quoteIdentifier(k)}`).join(' AND ');
    const inBatch = `EXISTS (SELECT 1 FROM ${quoteIdentifier(STAGE_TABLE)} AS "batch" WHERE ${matches('batch')})`;
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
    steps.push({ role: 'delete-matched', sql: `DELETE FROM ${target} AS "target"\nWHERE ${inBatch}` });
    const keptJoin = keys.map((k) => `"kept".${quoteIdentifier(k)} = "batch".${quoteIdentifier(k)}`).join(' AND ');
    const select = [
      ...columns.map((c) => `"batch".${quoteIdentifier(c.name)}`),
      ...kept.map((c) => `"kept".${quoteIdentifier(c)}`),
      'now()',
    ];
    steps.push({
      role: 'insert',
      sql:
        `${insertInto(kept.map(quoteIdentifier))}\nSELECT ${select.join(', ')}\nFROM (\n${dedupe()}\n) AS "batch"` +
        (kept.length > 0 ? `\nLEFT JOIN ${quoteIdentifier(KEPT_TABLE)} AS "kept" ON ${keptJoin}` : ''),
    });
  } else if (request.mode === 'replace') {
    // Rows known to have distinct keys go straight from the files into the table: no staging copy, no sort.
    const dedupeNeeded = keys.length > 0 && request.distinctKeys !== true;
    if (hasFiles && dedupeNeeded) {
      steps.push({ role: 'stage', sql: `CREATE TEMP TABLE ${quoteIdentifier(STAGE_TABLE)} AS\n${stageSelect()}` });
    }
    steps.push({ role: 'clear', sql: `DELETE FROM ${target}` });
    if (hasFiles) {
      const source = dedupeNeeded ? dedupe() : stageSelect();
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
  return [
    `SELECT ${select.join(',\n  ')}`,
    `FROM read_csv([${files.map((f) => quoteLiteral(f.path)).join(', ')}],`,
    `  columns = {${types.join(', ')}},`,
    `  header = false, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false,`,
    `  auto_detect = false, strict_mode = true, compression = '${compression}',`,
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
