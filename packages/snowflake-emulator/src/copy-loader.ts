import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  checkColumnCount,
  CsvParseFailure,
  decodeCsvText,
  parseCsv,
  validateCsvFormat,
  type CsvRecord,
} from './csv-reader.js';
import { SnowflakeEmulatorError } from './emulator-error.js';
import type { LoadRecord } from './metadata-store.js';
import type { CsvFileFormat } from './sql/file-format.js';
import { METADATA_COLUMNS } from './sql/load-command-planner.js';
import { quoteIdent } from './sql/syntax-tree.js';
import type { StagedFile } from './stage-area.js';

/** A column of the COPY target table. */
export interface TargetColumn {
  readonly name: string;
  /** DuckDB type, as duckdb_columns() reports it (`DECIMAL(10,2)`, `VARCHAR`, `TIMESTAMP WITH TIME ZONE`, …). */
  readonly duckType: string;
  readonly notNull: boolean;
  /** Declared Snowflake type when the catalog keeps one (`VARCHAR(100)`, `OBJECT`, …). */
  readonly declared: string | undefined;
}

/** What COPY needs to know to load files into one table. */
export interface CopyRequest {
  readonly connection: DuckDBConnection;
  readonly tableSql: string;
  readonly tableName: string;
  readonly columns: readonly TargetColumn[];
  /** DuckDB expressions over c1…cn (and the metadata columns) for a transforming COPY. */
  readonly transform: readonly string[] | undefined;
  /** The highest field number the transform reads; fields past the end of a record read as NULL. */
  readonly transformWidth?: number;
  readonly files: readonly StagedFile[];
  readonly displayPrefix: string;
  readonly format: CsvFileFormat;
  readonly onError: 'ABORT_STATEMENT' | 'CONTINUE' | 'SKIP_FILE';
}

/** One row of COPY's result (per file). */
export interface CopyFileResult {
  readonly file: string;
  readonly status: 'LOADED' | 'PARTIALLY_LOADED' | 'LOAD_FAILED';
  readonly rowsParsed: number;
  readonly rowsLoaded: number;
  readonly errorLimit: number;
  readonly errorsSeen: number;
  readonly firstError: string | null;
  readonly firstErrorLine: number | null;
  readonly firstErrorCharacter: number | null;
  readonly firstErrorColumnName: string | null;
  /** Load metadata to record once the COPY commits. */
  readonly load: { readonly path: string; readonly record: LoadRecord } | undefined;
}

interface RowError {
  readonly message: string;
  readonly code: string;
  readonly sqlState: string;
  readonly line: number;
  readonly character: number;
  readonly row: number;
  readonly column: string | null;
  readonly columnIndex: number | null;
}

const NUMERIC = /^(DECIMAL|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|DOUBLE|FLOAT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)/;

/** Decompress a staged file according to COMPRESSION (AUTO looks at the extension, then at gzip's magic bytes). */
export function decompress(data: Buffer, fileName: string, compression: string): Buffer {
  let kind = compression;
  if (kind === 'AUTO') {
    const lower = fileName.toLowerCase();
    if (lower.endsWith('.gz') || lower.endsWith('.gzip')) kind = 'GZIP';
    else if (lower.endsWith('.br')) kind = 'BROTLI';
    else if (lower.endsWith('.raw_deflate')) kind = 'RAW_DEFLATE';
    else if (lower.endsWith('.deflate')) kind = 'DEFLATE';
    else if (lower.endsWith('.bz2') || lower.endsWith('.zst'))
      throw SnowflakeEmulatorError.unsupported(`compressed file ${fileName} (bz2/zstd)`);
    else if (data[0] === 0x1f && data[1] === 0x8b) kind = 'GZIP';
    else kind = 'NONE';
  }
  try {
    switch (kind) {
      case 'GZIP':
        return gunzipSync(data);
      case 'BROTLI':
        return brotliDecompressSync(data);
      case 'DEFLATE':
        return inflateSync(data);
      case 'RAW_DEFLATE':
        return inflateRawSync(data);
      default:
        return data;
    }
  } catch (error) {
    throw SnowflakeEmulatorError.sql(
      '100069',
      '22000',
      `Error parsing the file '${fileName}': it is not valid ${kind} data (${(error as Error).message}).`,
      error,
    );
  }
}

/** The DuckDB expression converting the text `c` of a CSV field to a target column's type, and how to validate it. */
function conversion(
  column: TargetColumn,
  field: string,
  format: CsvFileFormat,
): { convert: string; isBad: string; kind: string } {
  const t = column.duckType;
  if (t === 'VARCHAR') {
    const m = column.declared ? /^VARCHAR\((\d+)\)$/.exec(column.declared) : null;
    return { convert: field, isBad: m ? `length(${field}) > ${m[1]}` : 'false', kind: m ? 'length' : 'text' };
  }
  if (t === 'JSON') {
    throw SnowflakeEmulatorError.unsupported(
      `COPY of a CSV field straight into the semi-structured column ${column.name}; load it with a transformation, e.g. COPY INTO t FROM (SELECT $1, PARSE_JSON($2) FROM @stage)`,
    );
  }
  if (t === 'BOOLEAN') {
    const expr = `(CASE WHEN lower(${field}) IN ('true','t','yes','y','on','1') THEN TRUE WHEN lower(${field}) IN ('false','f','no','n','off','0') THEN FALSE END)`;
    return { convert: expr, isBad: `(${field} IS NOT NULL AND ${expr} IS NULL)`, kind: 'boolean' };
  }
  if (t === 'BLOB') {
    const fn = format.binaryFormat === 'HEX' ? 'from_hex' : format.binaryFormat === 'BASE64' ? 'from_base64' : 'encode';
    return {
      convert: `${fn}(${field})`,
      isBad: `(${field} IS NOT NULL AND TRY(${fn}(${field})) IS NULL)`,
      kind: 'binary',
    };
  }
  const duck = t === 'TIMESTAMP WITH TIME ZONE' ? 'TIMESTAMPTZ' : t;
  const kind = NUMERIC.test(t)
    ? 'numeric'
    : t === 'DATE'
      ? 'date'
      : t.startsWith('TIMESTAMP')
        ? 'timestamp'
        : t === 'TIME'
          ? 'time'
          : 'value';
  // DuckDB reads Postgres' '… BC' dates as AD and accepts 'infinity'; Snowflake recognises neither
  const notSnowflake =
    kind === 'date' || kind === 'timestamp' ? ` OR ${field} ILIKE '%BC' OR ${field} ILIKE '%infinity%'` : '';
  return {
    convert: `CAST(${field} AS ${duck})`,
    isBad: `(${field} IS NOT NULL AND (TRY_CAST(${field} AS ${duck}) IS NULL${notSnowflake}))`,
    kind,
  };
}

function conversionError(kind: string, value: string | null): { message: string; code: string; sqlState: string } {
  const v = value ?? '';
  switch (kind) {
    case 'numeric':
      return { message: `Numeric value '${v}' is not recognized`, code: '100038', sqlState: '22018' };
    case 'date':
      return { message: `Date '${v}' is not recognized`, code: '100040', sqlState: '22007' };
    case 'timestamp':
      return { message: `Timestamp '${v}' is not recognized`, code: '100035', sqlState: '22007' };
    case 'time':
      return { message: `Time '${v}' is not recognized`, code: '100108', sqlState: '22007' };
    case 'boolean':
      return { message: `Boolean value '${v}' is not recognized`, code: '100037', sqlState: '22018' };
    case 'binary':
      return {
        message: `The following string is not a legal hex-encoded value: '${v}'`,
        code: '100115',
        sqlState: '22000',
      };
    case 'length':
      return { message: `String '${v}' is too long and would be truncated`, code: '100074', sqlState: '22000' };
    case 'null':
      return { message: 'NULL result in a non-nullable column', code: '100072', sqlState: '22000' };
    default:
      return { message: `Value '${v}' cannot be converted`, code: '100038', sqlState: '22018' };
  }
}

let scratchCounter = 0;

/**
 * Load staged CSV files into a table, file by file, the way COPY INTO <table> does: parse with the file format,
 * convert each field to the column type, apply ON_ERROR (abort the statement, skip bad rows, or skip the file),
 * and report per-file status. Runs inside the caller's transaction; the caller commits and records load metadata.
 */
export async function loadStagedFiles(request: CopyRequest): Promise<CopyFileResult[]> {
  validateCsvFormat(request.format);
  const results: CopyFileResult[] = [];
  const targetCount = request.transform ? request.transform.length : request.columns.length;
  if (request.transform && request.transform.length !== request.columns.length) {
    throw SnowflakeEmulatorError.sql(
      '002020',
      '21S01',
      `SQL compilation error:\nInsert value list does not match column list expecting ${request.columns.length} but got ${request.transform.length}`,
    );
  }
  for (const file of request.files) {
    const displayName = `${request.displayPrefix}${file.relativePath}`;
    const raw = await readFile(file.absolutePath);
    const md5 = createHash('md5').update(raw).digest('hex');
    const text = decodeCsvText(decompress(raw, file.relativePath, request.format.compression), request.format);
    const parsed = typeof text === 'string' ? parseCsv(text, request.format) : [text];
    const records: CsvRecord[] = [];
    const errors: RowError[] = [];
    let width = request.transform ? (request.transformWidth ?? 0) : targetCount;
    parsed.forEach((entry, index) => {
      const checked =
        entry instanceof CsvParseFailure || request.transform
          ? entry
          : checkColumnCount(entry, targetCount, request.format.errorOnColumnCountMismatch);
      if (checked instanceof CsvParseFailure) {
        const countMismatch = checked.message.startsWith('Number of columns');
        errors.push({
          message: checked.message,
          code: countMismatch ? '100080' : '100065',
          sqlState: '22000',
          line: checked.line,
          character: checked.character,
          row: index + 1,
          column: null,
          columnIndex: null,
        });
      } else {
        records.push(checked);
        width = Math.max(width, checked.fields.length);
      }
    });
    const rowsParsed = parsed.length;
    const rowOf = new Map<number, number>();
    for (const [index, entry] of parsed.entries()) rowOf.set(entry.line, index + 1);

    const scratch = `sluice_copy_${process.pid}_${++scratchCounter}`;
    const fields = Array.from({ length: Math.max(width, 1) }, (_, i) => quoteIdent(`c${i + 1}`));
    // METADATA$FILENAME (the path inside the stage) and METADATA$FILE_ROW_NUMBER (1-based record number).
    await request.connection.run(
      `CREATE TEMP TABLE ${quoteIdent(scratch)} (__line BIGINT, ${fields.map((f) => `${f} VARCHAR`).join(', ')}, ${quoteIdent(METADATA_COLUMNS.METADATA$FILENAME as string)} VARCHAR, ${quoteIdent(METADATA_COLUMNS.METADATA$FILE_ROW_NUMBER as string)} BIGINT)`,
    );
    try {
      const appender = await request.connection.createAppender(scratch, 'main', 'temp');
      for (const record of records) {
        appender.appendBigInt(BigInt(record.line));
        for (let i = 0; i < fields.length; i++) {
          const value = record.fields[i];
          if (value === null || value === undefined) appender.appendNull();
          else appender.appendVarchar(value);
        }
        appender.appendVarchar(file.relativePath);
        appender.appendBigInt(BigInt(rowOf.get(record.line) ?? record.line));
        appender.endRow();
      }
      appender.flushSync();
      appender.closeSync();

      const selectExpressions: string[] = [];
      if (request.transform) {
        selectExpressions.push(...request.transform);
      } else {
        const checks: string[] = [];
        request.columns.forEach((column, i) => {
          const field = quoteIdent(`c${i + 1}`);
          const conv = conversion(column, field, request.format);
          selectExpressions.push(conv.convert);
          checks.push(
            `CASE WHEN ${conv.isBad} THEN '${conv.kind}' WHEN ${column.notNull ? `${field} IS NULL` : 'false'} THEN 'null' END`,
          );
        });
        const bad = await request.connection.runAndReadAll(
          `SELECT __line, ${checks.map((c, i) => `${c} AS k${i}`).join(', ')}, ${fields.slice(0, request.columns.length).join(', ')} FROM ${quoteIdent(scratch)} WHERE ${checks.map((c) => `(${c}) IS NOT NULL`).join(' OR ')} ORDER BY __line`,
        );
        for (const row of bad.getRows()) {
          const line = Number(row[0]);
          const columnIndex = request.columns.findIndex((_, i) => row[1 + i] !== null);
          const kind = String(row[1 + columnIndex]);
          const value = row[1 + request.columns.length + columnIndex];
          const e = conversionError(kind, value === null || value === undefined ? null : String(value));
          errors.push({
            ...e,
            line,
            character: 1,
            row: rowOf.get(line) ?? line,
            column: request.columns[columnIndex]?.name ?? null,
            columnIndex: columnIndex + 1,
          });
        }
      }
      errors.sort((a, b) => a.line - b.line);
      const first = errors[0];
      if (first && request.onError === 'ABORT_STATEMENT') {
        const where =
          first.column !== null
            ? `\n  Row ${first.row}, column "${request.tableName}"["${first.column}":${first.columnIndex}]`
            : `\n  Row ${first.row} starts at line ${first.line}, column "${request.tableName}"`;
        throw SnowflakeEmulatorError.sql(
          first.code,
          first.sqlState,
          `${first.message}\n  File '${displayName}', line ${first.line}, character ${first.character}${where}\n  If you would like to continue loading when an error is encountered, use other values such as 'SKIP_FILE' or 'CONTINUE' for the ON_ERROR option. For more information on loading options, please run 'info loading_data' in a SQL client.`,
        );
      }
      let rowsLoaded = 0;
      const skipFile = request.onError === 'SKIP_FILE' && errors.length > 0;
      if (!skipFile) {
        const badLines = new Set(errors.map((e) => e.line));
        const where = badLines.size > 0 ? ` WHERE __line NOT IN (${[...badLines].join(', ')})` : '';
        const columnList = request.columns.map((c) => quoteIdent(c.name)).join(', ');
        const result = await request.connection.run(
          `INSERT INTO ${request.tableSql} (${columnList}) SELECT ${selectExpressions.join(', ')} FROM ${quoteIdent(scratch)}${where} ORDER BY __line`,
        );
        rowsLoaded = Number(result.rowsChanged);
      }
      const status = errors.length === 0 ? 'LOADED' : skipFile || rowsLoaded === 0 ? 'LOAD_FAILED' : 'PARTIALLY_LOADED';
      results.push({
        file: displayName,
        status,
        rowsParsed,
        rowsLoaded,
        errorLimit: request.onError === 'CONTINUE' ? rowsParsed : 1,
        errorsSeen: errors.length,
        firstError: first?.message ?? null,
        firstErrorLine: first?.line ?? null,
        firstErrorCharacter: first?.character ?? null,
        firstErrorColumnName:
          first?.column !== null && first?.column !== undefined
            ? `"${request.tableName}"["${first.column}":${first.columnIndex}]`
            : null,
        load:
          status === 'LOAD_FAILED'
            ? undefined
            : { path: file.relativePath, record: { md5, loadedAt: new Date().toISOString() } },
      });
    } finally {
      await request.connection.run(`DROP TABLE IF EXISTS temp.main.${quoteIdent(scratch)}`);
    }
  }
  return results;
}
