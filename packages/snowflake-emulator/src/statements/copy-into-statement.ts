import { loadStagedFiles, type TargetColumn } from '../copy-loader.js';
import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { ExecutionContext } from '../execution-context.js';
import { DEFAULT_CSV_FORMAT, type CsvFileFormat } from '../sql/file-format.js';
import { DECLARED_TYPE_PREFIX } from '../sql/information-schema.js';
import { displayName, duckName, resolveName, type QualifiedName } from '../sql/object-name.js';
import { rowType } from '../sql/snowflake-types.js';
import { StatementTypeId, type PlanOf } from '../sql/statement-plan.js';
import { quoteString } from '../sql/syntax-tree.js';
import { fileMd5, listStagedFiles, removeStagedFiles, type ResolvedStage, type StagedFile } from '../stage-area.js';
import { STATUS_COLUMN, type StatementOutcome } from '../statement-outcome.js';
import { doesNotExist, invalidIdentifier } from './catalog-errors.js';
import { resolveFileFormat, resolveStage } from './stage-statements.js';

type CopyPlan = PlanOf<'copy-into'>;

/** COPY's result columns, one row per file. */
const COPY_RESULT_COLUMNS = [
  rowType('file', 'text', { nullable: false }),
  rowType('status', 'text', { nullable: false }),
  rowType('rows_parsed', 'fixed', { nullable: false }),
  rowType('rows_loaded', 'fixed', { nullable: false }),
  rowType('error_limit', 'fixed', { nullable: false }),
  rowType('errors_seen', 'fixed', { nullable: false }),
  rowType('first_error', 'text'),
  rowType('first_error_line', 'fixed'),
  rowType('first_error_character', 'fixed'),
  rowType('first_error_column_name', 'text'),
];

/**
 * COPY INTO <table> FROM @stage: the files named (or matching PATTERN) that this table has not loaded with the
 * same content yet, in one transaction; loads are recorded, and PURGE removes the files that loaded.
 */
export async function copyInto(plan: CopyPlan, context: ExecutionContext): Promise<StatementOutcome> {
  const { session, services } = context;
  const target = plan.target;
  if (!(await context.tableExists(target))) throw doesNotExist('Table', displayName(target), '42S02');
  const stage = await resolveStage(plan.stage, context);
  const format = copyFormat(plan, context);
  const columns = await targetColumns(target, plan.columns, context);
  const files = await chosenFiles(plan, stage);
  // Files already loaded into this table with the same content are skipped (Snowflake's load metadata).
  const toLoad: StagedFile[] = [];
  for (const f of files) {
    const record = services.metadata.loadRecord(target.database, target.schema, target.name, f.relativePath);
    if (!plan.force && record && record.md5 === (await fileMd5(f.absolutePath))) continue;
    toLoad.push(f);
  }
  if (toLoad.length === 0) {
    return {
      type: 'rows',
      columns: STATUS_COLUMN,
      rows: [['Copy executed with 0 files processed.']],
      statementTypeId: StatementTypeId.COPY,
    };
  }
  const results = await context.atomically(() =>
    loadStagedFiles({
      connection: session.connection,
      tableSql: duckName(target),
      tableName: target.name,
      columns,
      transform: plan.transform,
      transformWidth: plan.transformWidth,
      files: toLoad,
      displayPrefix: stage.displayPrefix,
      format,
      onError: plan.onError,
    }),
  );
  const loads = new Map(results.flatMap((r) => (r.load ? [[r.load.path, r.load.record] as const] : [])));
  await services.metadata.recordLoads(target.database, target.schema, target.name, loads);
  if (plan.purge) await removeStagedFiles(toLoad.filter((f) => loads.has(f.relativePath)));
  const rows = results.map((r) => [
    r.file,
    r.status,
    String(r.rowsParsed),
    String(r.rowsLoaded),
    String(r.errorLimit),
    String(r.errorsSeen),
    r.firstError,
    r.firstErrorLine === null ? null : String(r.firstErrorLine),
    r.firstErrorCharacter === null ? null : String(r.firstErrorCharacter),
    r.firstErrorColumnName,
  ]);
  return { type: 'rows', columns: COPY_RESULT_COLUMNS, rows, statementTypeId: StatementTypeId.COPY };
}

/** The statement's FILE_FORMAT, else the named stage's, else Snowflake's CSV defaults. */
function copyFormat(plan: CopyPlan, context: ExecutionContext): CsvFileFormat {
  if (plan.fileFormat) return resolveFileFormat(plan.fileFormat, context);
  if (plan.stage.kind !== 'named') return DEFAULT_CSV_FORMAT;
  const name = resolveName(plan.stage.name, context.session, 'COPY');
  return context.services.metadata.stages.get(name)?.fileFormat ?? DEFAULT_CSV_FORMAT;
}

/** The target's columns (with their declared Snowflake types), or those the statement lists, in its order. */
async function targetColumns(
  target: QualifiedName,
  listed: readonly string[] | undefined,
  context: ExecutionContext,
): Promise<TargetColumn[]> {
  const columnRows = await context.readAll(
    `SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() WHERE database_name = ${quoteString(target.database)} AND schema_name = ${quoteString(target.schema)} AND table_name = ${quoteString(target.name)} ORDER BY column_index`,
  );
  const allColumns: TargetColumn[] = columnRows.map(([name, type, nullable, comment]) => ({
    name: String(name),
    duckType: String(type),
    notNull: nullable === false,
    declared:
      typeof comment === 'string' && comment.startsWith(DECLARED_TYPE_PREFIX)
        ? comment.slice(DECLARED_TYPE_PREFIX.length)
        : undefined,
  }));
  if (!listed) return allColumns;
  return listed.map((c) => {
    const found = allColumns.find((a) => a.name === c);
    if (!found) throw invalidIdentifier(c);
    return found;
  });
}

/** Which files: the FILES list (relative to the stage path), or every file under the path matching PATTERN. */
async function chosenFiles(plan: CopyPlan, stage: ResolvedStage): Promise<StagedFile[]> {
  const available = await listStagedFiles(stage, plan.pattern);
  if (!plan.files) return available;
  const base = stage.path === '' || stage.path.endsWith('/') ? stage.path : `${stage.path}/`;
  return plan.files.map((f) => {
    const wanted = `${base}${f.replace(/^\/+/, '')}`;
    const found = available.find((a) => a.relativePath === wanted) ?? available.find((a) => a.relativePath === f);
    if (!found) {
      throw SnowflakeEmulatorError.sql(
        '091016',
        '22000',
        `Remote file '${stage.displayPrefix}${wanted}' was not found. There are several potential causes. The file might not exist. The required credentials may be missing or invalid. If you are running a copy command, please make sure files are not deleted when they are being loaded or files are not being loaded into two different tables concurrently with auto purge option.`,
      );
    }
    return found;
  });
}
