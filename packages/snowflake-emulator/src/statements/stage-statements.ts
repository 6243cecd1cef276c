import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from '../execution-context.js';
import {
  csvFormatFromOptions,
  DEFAULT_CSV_FORMAT,
  type CsvFileFormat,
  type FileFormatSpec,
} from '../sql/file-format.js';
import { displayName, resolveName } from '../sql/object-name.js';
import { rowType } from '../sql/snowflake-types.js';
import { StatementTypeId, type PlanOf, type StageRef } from '../sql/statement-plan.js';
import {
  ensureStageDir,
  fileMd5,
  listStagedFiles,
  namedStageDir,
  plannedUploads,
  removeStagedFiles,
  tableStageDir,
  userStageDir,
  type ResolvedStage,
} from '../stage-area.js';
import { status, type StatementOutcome } from '../statement-outcome.js';
import { createOverExisting, doesNotExist } from './catalog-errors.js';

/** CREATE [OR REPLACE] [TEMPORARY] STAGE [FILE_FORMAT = …]: OR REPLACE empties the stage folder. */
export async function createStage(plan: PlanOf<'create-stage'>, context: ExecutionContext): Promise<StatementOutcome> {
  const { session, services } = context;
  await context.commitBeforeDdl();
  const name = resolveName(plan.name, session, 'CREATE STAGE');
  context.requireDatabase(name.database);
  if (!(await context.schemaExists(name.database, name.schema))) {
    throw doesNotExist('Schema', `${name.database}.${name.schema}`, '02000');
  }
  const existing = services.metadata.stages.get(name);
  const early = createOverExisting(plan, existing !== undefined, name.name, displayName(name));
  if (early) return early;
  const dir = namedStageDir(services.dataDir, name.database, name.schema, name.name);
  if (existing) await rm(dir, { recursive: true, force: true });
  await services.metadata.stages.put({
    database: name.database,
    schema: name.schema,
    name: name.name,
    temporary: plan.temporary,
    sessionId: plan.temporary ? session.id : undefined,
    fileFormat: plan.fileFormat ? resolveFileFormat(plan.fileFormat, context) : undefined,
    createdOn: new Date().toISOString(),
  });
  await ensureStageDir(dir);
  return status(`Stage area ${name.name} successfully created.`);
}

/** CREATE [OR REPLACE] [TEMPORARY] FILE FORMAT (CSV only). */
export async function createFileFormat(
  plan: PlanOf<'create-file-format'>,
  context: ExecutionContext,
): Promise<StatementOutcome> {
  const { session, services } = context;
  await context.commitBeforeDdl();
  const name = resolveName(plan.name, session, 'CREATE FILE FORMAT');
  context.requireDatabase(name.database);
  const existing = services.metadata.fileFormats.get(name);
  const early = createOverExisting(plan, existing !== undefined, name.name, displayName(name));
  if (early) return early;
  await services.metadata.fileFormats.put({
    database: name.database,
    schema: name.schema,
    name: name.name,
    format: csvFormatFromOptions(plan.options),
    temporary: plan.temporary,
    sessionId: plan.temporary ? session.id : undefined,
    createdOn: new Date().toISOString(),
  });
  return status(`File format ${name.name} successfully created.`);
}

/** Where a LOCAL_FS transfer happens, as snowflake-sdk reads it from `stageInfo`. */
function localStageInfo(location: string): Record<string, unknown> {
  return {
    locationType: 'LOCAL_FS',
    location,
    path: '',
    region: null,
    storageAccount: null,
    isClientSideEncrypted: false,
    creds: {},
  };
}

/** PUT: the driver copies (and compresses) the files itself into the stage folder this answer names. */
export async function putFiles(plan: PlanOf<'put'>, context: ExecutionContext): Promise<StatementOutcome> {
  const stage = await resolveStage(plan.stage, context);
  const location = path.join(stage.root, stage.path);
  await mkdir(location, { recursive: true });
  const uploads = plannedUploads(plan.source, plan.autoCompress, plan.sourceCompression);
  context.services.onUpload(context.session.id, { directory: location, files: uploads.map((u) => u.target) });
  return {
    type: 'file-transfer',
    statementTypeId: StatementTypeId.PUT,
    data: {
      command: 'UPLOAD',
      src_locations: [plan.source],
      autoCompress: plan.autoCompress,
      sourceCompression: plan.sourceCompression,
      parallel: plan.parallel,
      overwrite: plan.overwrite,
      stageInfo: localStageInfo(location.endsWith(path.sep) ? location : `${location}${path.sep}`),
      encryptionMaterial: null,
      presignedUrls: [],
      kind: null,
      operation: 'Node',
    },
  };
}

/** GET: the driver copies the matching staged files into the local folder. */
export async function getFiles(plan: PlanOf<'get'>, context: ExecutionContext): Promise<StatementOutcome> {
  const stage = await resolveStage(plan.stage, context);
  const files = await listStagedFiles(stage, plan.pattern);
  return {
    type: 'file-transfer',
    statementTypeId: StatementTypeId.GET,
    data: {
      command: 'DOWNLOAD',
      src_locations: files.map((f) => f.relativePath),
      localLocation: plan.target,
      parallel: 10,
      stageInfo: localStageInfo(`${stage.root}${path.sep}`),
      encryptionMaterial: [],
      presignedUrls: [],
    },
  };
}

/** LIST @stage [PATTERN = …]: name, size, md5, last_modified. */
export async function listFiles(plan: PlanOf<'list'>, context: ExecutionContext): Promise<StatementOutcome> {
  const stage = await resolveStage(plan.stage, context);
  const files = await listStagedFiles(stage, plan.pattern);
  const rows: string[][] = [];
  for (const f of files)
    rows.push([
      `${stage.displayPrefix}${f.relativePath}`,
      String(f.size),
      await fileMd5(f.absolutePath),
      f.lastModified.toUTCString(),
    ]);
  return {
    type: 'rows',
    columns: [
      rowType('name', 'text', { nullable: false }),
      rowType('size', 'fixed', { nullable: false }),
      rowType('md5', 'text'),
      rowType('last_modified', 'text', { nullable: false }),
    ],
    rows,
    statementTypeId: StatementTypeId.LIST,
  };
}

/** REMOVE @stage [PATTERN = …]. */
export async function removeFiles(plan: PlanOf<'remove'>, context: ExecutionContext): Promise<StatementOutcome> {
  const stage = await resolveStage(plan.stage, context);
  const files = await listStagedFiles(stage, plan.pattern);
  await removeStagedFiles(files);
  return {
    type: 'rows',
    columns: [rowType('name', 'text', { nullable: false }), rowType('result', 'text', { nullable: false })],
    rows: files.map((f) => [`${stage.displayPrefix}${f.relativePath}`, 'removed']),
    statementTypeId: StatementTypeId.REMOVE,
  };
}

/** Resolve a stage reference to its directory, checking the stage (or table) exists. */
export async function resolveStage(ref: StageRef, context: ExecutionContext): Promise<ResolvedStage> {
  const { session, services } = context;
  if (ref.kind === 'user')
    return { root: userStageDir(services.dataDir, session.user), displayPrefix: '', path: ref.path };
  const name = resolveName(ref.name, session, 'stage operation');
  if (ref.kind === 'table') {
    if (!(await context.tableExists(name))) throw doesNotExist('Table', displayName(name), '02000');
    const root = tableStageDir(services.dataDir, name.database, name.schema, name.name);
    await ensureStageDir(root);
    return { root, displayPrefix: '', path: ref.path };
  }
  if (!services.metadata.stages.get(name)) throw doesNotExist('Stage', displayName(name), '02000');
  const root = namedStageDir(services.dataDir, name.database, name.schema, name.name);
  await ensureStageDir(root);
  return { root, displayPrefix: `${name.name.toLowerCase()}/`, path: ref.path };
}

/** The CSV format a `FILE_FORMAT = (…)` clause means: inline options over the defaults, or a named format. */
export function resolveFileFormat(
  spec: FileFormatSpec,
  { session, services }: ExecutionContext,
  base: CsvFileFormat = DEFAULT_CSV_FORMAT,
): CsvFileFormat {
  if (spec.kind === 'inline') return csvFormatFromOptions(spec.options, base);
  const name = resolveName(spec.name, session, 'COPY');
  const found = services.metadata.fileFormats.get(name);
  if (!found) throw doesNotExist('File format', displayName(name), '02000');
  return found.format;
}
