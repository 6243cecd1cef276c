import type { DuckDBValue } from '@duckdb/node-api';
import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { ExecutionContext } from '../execution-context.js';
import { epochText } from '../result-encoding.js';
import { HIDDEN_SCHEMAS, TABLE_KIND_PREFIX } from '../sql/information-schema.js';
import { resolveName } from '../sql/object-name.js';
import { rowType, type RowType } from '../sql/snowflake-types.js';
import { StatementTypeId, type PlanOf } from '../sql/statement-plan.js';
import { quoteString } from '../sql/syntax-tree.js';
import type { StatementOutcome } from '../statement-outcome.js';

type ShowPlan = PlanOf<'show'>;

/** What one SHOW lists, before LIMIT. */
interface Listing {
  readonly columns: readonly RowType[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/** What every SHOW shares: the statement's filters and scope, the session, the catalog and the metadata. */
interface ShowRequest {
  readonly plan: ShowPlan;
  readonly context: ExecutionContext;
  /** LIKE (case-insensitive) and STARTS WITH (case-sensitive), on the object's name. */
  keep(name: string): boolean;
  /** The `IN …` scope as a condition on duckdb_*() catalog columns; without IN, the current database (or all). */
  defaultScope(): string;
  /** A table's or column's COMMENT, or '' (kept by the metadata store, not by DuckDB). */
  comment(
    database: DuckDBValue | undefined,
    schema: DuckDBValue | undefined,
    table: DuckDBValue | undefined,
    column?: DuckDBValue,
  ): string;
}

const NOW_TEXT = (): string => epochText(BigInt(Date.now()) * 1000n);
const CREATED = rowType('created_on', 'timestamp_ltz');
const texts = (...names: string[]): RowType[] => names.map((n) => rowType(n, 'text'));
/** DuckDB schemas Snowflake would not show, and the emulator's placeholder catalog. */
const HIDDEN = `schema_name NOT IN (${HIDDEN_SCHEMAS.map(quoteString).join(', ')})`;
const NOT_PLACEHOLDER = "database_name <> 'sluice_emulator_no_database'";

/** SHOW … per object kind: Snowflake's columns (the main ones) from DuckDB's catalog and the emulator's metadata. */
const LISTERS: { readonly [W in ShowPlan['what']]: (request: ShowRequest) => Promise<Listing> | Listing } = {
  DATABASES: listDatabases,
  SCHEMAS: listSchemas,
  TABLES: listTablesAndViews,
  OBJECTS: listTablesAndViews,
  VIEWS: listViews,
  COLUMNS: listColumns,
  WAREHOUSES: listWarehouses,
  STAGES: listStages,
  'FILE FORMATS': listFileFormats,
  PARAMETERS: listParameters,
};

/** SHOW …: the rows LIKE / STARTS WITH keep, in the scope IN names, up to LIMIT. */
export async function showObjects(plan: ShowPlan, context: ExecutionContext): Promise<StatementOutcome> {
  const { session, services } = context;
  const like = plan.like === undefined ? undefined : likeToRegex(plan.like);
  const request: ShowRequest = {
    plan,
    context,
    keep: (name) =>
      (like === undefined || like.test(name)) && (plan.startsWith === undefined || name.startsWith(plan.startsWith)),
    // Without IN, Snowflake shows the current database, or the whole account when there is none.
    defaultScope: () =>
      plan.scope.kind !== 'DEFAULT'
        ? scopeFilter(plan, context)
        : session.database === null
          ? 'true'
          : `database_name = ${quoteString(session.database)}`,
    comment: (d, s, n, c) =>
      (c === undefined
        ? services.metadata.tableComment(String(d), String(s), String(n))
        : services.metadata.columnComment(String(d), String(s), String(n), String(c))) ?? '',
  };
  const { columns, rows } = await LISTERS[plan.what](request);
  return {
    type: 'rows',
    columns,
    rows: plan.limit === undefined ? rows : rows.slice(0, plan.limit),
    statementTypeId: StatementTypeId.SCL,
  };
}

function likeToRegex(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

/** `IN ACCOUNT | DATABASE [d] | SCHEMA [[d.]s]` as a condition on duckdb_*() catalog columns. */
function scopeFilter(plan: ShowPlan, { session }: ExecutionContext): string {
  const { kind, name } = plan.scope;
  if (kind === 'ACCOUNT') return `database_name NOT IN ('sluice_emulator_no_database', 'system', 'temp')`;
  if (kind === 'DATABASE') {
    const db = name[0] ?? session.database;
    if (db === null || db === undefined)
      throw SnowflakeEmulatorError.sql(
        '090105',
        '22000',
        "Cannot perform SHOW. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.",
      );
    return `database_name = ${quoteString(db)}`;
  }
  const db = name.length === 2 ? (name[0] as string) : session.database;
  const schema = name.length >= 1 ? (name[name.length - 1] as string) : session.schema;
  if (db === null || schema === null)
    throw SnowflakeEmulatorError.sql(
      '090106',
      '22000',
      "Cannot perform SHOW. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.",
    );
  return `database_name = ${quoteString(db)} AND schema_name = ${quoteString(schema)}`;
}

function listDatabases({ context: { session, services }, keep }: ShowRequest): Listing {
  const rows = services.engine
    .listDatabases()
    .filter(keep)
    .map((name) => [
      NOW_TEXT(),
      name,
      'N',
      name === session.database ? 'Y' : 'N',
      '',
      session.role,
      '',
      '',
      '1',
      'STANDARD',
    ]);
  const columns = texts('name', 'is_default', 'is_current', 'origin', 'owner', 'comment', 'options');
  return { columns: [CREATED, ...columns, ...texts('retention_time', 'kind')], rows };
}

async function listSchemas({ context, keep, defaultScope }: ShowRequest): Promise<Listing> {
  const { session } = context;
  const found = await context.readAll(
    `SELECT database_name, schema_name FROM duckdb_schemas() WHERE ${defaultScope()} AND ${HIDDEN} AND ${NOT_PLACEHOLDER} ORDER BY 1, 2`,
  );
  const rows = found
    .filter(([, s]) => keep(String(s)))
    .map(([d, s]) => [
      NOW_TEXT(),
      String(s),
      'N',
      d === session.database && s === session.schema ? 'Y' : 'N',
      String(d),
      session.role,
      '',
      '',
      '1',
      'ROLE',
    ]);
  const columns = texts('name', 'is_default', 'is_current', 'database_name', 'owner', 'comment', 'options');
  return { columns: [CREATED, ...columns, ...texts('retention_time', 'owner_role_type')], rows };
}

/** The catalog's views in scope: database, schema, name, SQL text. */
function viewsInScope({ context, defaultScope }: ShowRequest): Promise<DuckDBValue[][]> {
  return context.readAll(
    `SELECT database_name, schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal AND ${defaultScope()} AND ${HIDDEN} AND ${NOT_PLACEHOLDER} ORDER BY 1, 2, 3`,
  );
}

async function listViews(request: ShowRequest): Promise<Listing> {
  const { context, keep, comment } = request;
  const rows = (await viewsInScope(request))
    .filter(([, , n]) => keep(String(n)))
    .map(([d, s, n, sql]) => [
      NOW_TEXT(),
      String(n),
      '',
      String(d),
      String(s),
      context.session.role,
      comment(d, s, n),
      String(sql),
      'false',
      'false',
      'ROLE',
    ]);
  const columns = texts('name', 'reserved', 'database_name', 'schema_name', 'owner', 'comment', 'text');
  return { columns: [CREATED, ...columns, ...texts('is_secure', 'is_materialized', 'owner_role_type')], rows };
}

/** SHOW TABLES: tables (kind TABLE, TRANSIENT or TEMPORARY); SHOW OBJECTS: tables, then views. */
async function listTablesAndViews(request: ShowRequest): Promise<Listing> {
  const { plan, context, keep, comment, defaultScope } = request;
  const role = context.session.role;
  const tables = await context.readAll(
    `SELECT database_name, schema_name, table_name, comment, estimated_size FROM duckdb_tables() WHERE ${defaultScope()} AND ${HIDDEN} AND ${NOT_PLACEHOLDER} ORDER BY 1, 2, 3`,
  );
  const views = plan.what === 'OBJECTS' ? await viewsInScope(request) : [];
  const rows = [
    ...tables.map(([d, s, n, c, size]) => [
      NOW_TEXT(),
      String(n),
      String(d),
      String(s),
      tableKind(c),
      comment(d, s, n),
      '',
      String(size),
      '0',
      role,
      '1',
      'ROLE',
    ]),
    ...views.map(([d, s, n]) => [
      NOW_TEXT(),
      String(n),
      String(d),
      String(s),
      'VIEW',
      comment(d, s, n),
      '',
      null,
      null,
      role,
      '1',
      'ROLE',
    ]),
  ].filter((r) => keep(String(r[1])));
  const columns = [
    CREATED,
    ...texts('name', 'database_name', 'schema_name', 'kind', 'comment', 'cluster_by'),
    rowType('rows', 'fixed'),
    rowType('bytes', 'fixed'),
    ...texts('owner', 'retention_time', 'owner_role_type'),
  ];
  return { columns, rows };
}

/** A table's kind, from the comment CREATE TABLE leaves on it. */
function tableKind(kindComment: DuckDBValue | undefined): string {
  if (kindComment === `${TABLE_KIND_PREFIX}TRANSIENT`) return 'TRANSIENT';
  if (kindComment === `${TABLE_KIND_PREFIX}TEMPORARY`) return 'TEMPORARY';
  return 'TABLE';
}

async function listColumns({ plan, context, keep, comment, defaultScope }: ShowRequest): Promise<Listing> {
  let filter: string;
  if (plan.scope.kind === 'TABLE' || plan.scope.kind === 'VIEW') {
    const name = resolveName(plan.scope.name, context.session, 'SHOW COLUMNS');
    filter = `database_name = ${quoteString(name.database)} AND schema_name = ${quoteString(name.schema)} AND table_name = ${quoteString(name.name)}`;
  } else {
    filter = defaultScope();
  }
  const found = await context.readAll(
    `SELECT table_name, schema_name, column_name, SF_TYPE_OF(data_type, comment), is_nullable, column_default, database_name FROM duckdb_columns() WHERE ${filter} AND ${HIDDEN} ORDER BY database_name, schema_name, table_name, column_index`,
  );
  const rows = found
    .filter(([, , c]) => keep(String(c)))
    .map(([t, s, c, type, nullable, def, d]) => [
      String(t),
      String(s),
      String(c),
      JSON.stringify(dataTypeJson(String(type), nullable === true)),
      nullable === true ? 'true' : 'false',
      def === null ? '' : String(def),
      'COLUMN',
      '',
      comment(d, s, t, c),
      String(d),
      '',
    ]);
  const columns = texts('table_name', 'schema_name', 'column_name', 'data_type', 'null?', 'default', 'kind');
  return { columns: [...columns, ...texts('expression', 'comment', 'database_name', 'autoincrement')], rows };
}

/** SHOW COLUMNS' `data_type`: Snowflake's JSON description of a type. */
function dataTypeJson(snowflakeType: string, nullable: boolean): Record<string, unknown> {
  const parsed = /^([A-Z_]+)(?:\((\d+)(?:,(\d+))?\))?$/.exec(snowflakeType);
  const base = parsed?.[1] ?? snowflakeType;
  const p = parsed?.[2] === undefined ? undefined : Number(parsed[2]);
  const s = parsed?.[3] === undefined ? undefined : Number(parsed[3]);
  switch (base) {
    case 'NUMBER':
      return { type: 'FIXED', precision: p ?? 38, scale: s ?? 0, nullable };
    case 'VARCHAR':
      return {
        type: 'TEXT',
        length: p ?? 16777216,
        byteLength: Math.min((p ?? 16777216) * 4, 16777216),
        nullable,
        fixed: false,
      };
    case 'FLOAT':
      return { type: 'REAL', nullable };
    case 'BINARY':
      return { type: 'BINARY', length: p ?? 8388608, byteLength: p ?? 8388608, nullable, fixed: false };
    case 'TIME':
    case 'TIMESTAMP_NTZ':
    case 'TIMESTAMP_LTZ':
    case 'TIMESTAMP_TZ':
      return { type: base, precision: 0, scale: p ?? 9, nullable };
    default:
      return { type: base, nullable };
  }
}

function listWarehouses({ context: { session, services }, keep }: ShowRequest): Listing {
  const names = new Set([...services.warehouses, ...(session.warehouse ? [session.warehouse] : [])]);
  const rows = [...names]
    .filter(keep)
    .sort()
    .map((n) => [
      n,
      'STARTED',
      'STANDARD',
      'X-Small',
      n === session.warehouse ? 'true' : 'false',
      '600',
      'true',
      session.role,
    ]);
  return {
    columns: texts('name', 'state', 'type', 'size', 'is_current', 'auto_suspend', 'auto_resume', 'owner'),
    rows,
  };
}

function listStages({ plan, context: { session, services }, keep }: ShowRequest): Listing {
  const { kind, name } = plan.scope;
  const inScope = (database: string, schema: string): boolean => {
    if (kind === 'ACCOUNT') return true;
    if (kind === 'DATABASE') return database === (name[0] ?? session.database);
    const db = name.length === 2 ? name[0] : session.database;
    const sc = name.length >= 1 ? name[name.length - 1] : session.schema;
    return database === db && schema === sc;
  };
  const rows = services.metadata.stages
    .list()
    .filter((s) => inScope(s.database, s.schema))
    .filter((s) => keep(s.name))
    .map((s) => [
      NOW_TEXT(),
      s.name,
      s.database,
      s.schema,
      '',
      'N',
      'N',
      session.role,
      '',
      null,
      s.temporary ? 'INTERNAL TEMPORARY' : 'INTERNAL',
      null,
      null,
      null,
      'ROLE',
      'N',
    ]);
  const columns = texts('name', 'database_name', 'schema_name', 'url', 'has_credentials', 'has_encryption_key');
  const more = texts('owner', 'comment', 'region', 'type', 'cloud', 'notification_channel', 'storage_integration');
  return { columns: [CREATED, ...columns, ...more, ...texts('owner_role_type', 'directory_enabled')], rows };
}

function listFileFormats({ context: { session, services }, keep }: ShowRequest): Listing {
  const rows = services.metadata.fileFormats
    .list()
    .filter((f) => keep(f.name))
    .map((f) => [NOW_TEXT(), f.name, f.database, f.schema, 'CSV', session.role, '', JSON.stringify(f.format)]);
  const columns = texts('name', 'database_name', 'schema_name', 'type', 'owner', 'comment', 'format_options');
  return { columns: [CREATED, ...columns], rows };
}

function listParameters({ context: { session }, keep }: ShowRequest): Listing {
  const rows = [...session.parameters]
    .filter(([k]) => keep(k))
    .map(([k, v]) => [
      k,
      String(v),
      '',
      'SESSION',
      '',
      typeof v === 'number' ? 'NUMBER' : typeof v === 'boolean' ? 'BOOLEAN' : 'STRING',
    ]);
  return { columns: texts('key', 'value', 'default', 'level', 'description', 'type'), rows };
}
