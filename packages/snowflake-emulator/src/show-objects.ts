import type { DuckDBValue } from '@duckdb/node-api';
import { SnowflakeEmulatorError } from './emulator-error.js';
import { epochText } from './result-encoding.js';
import type { Session } from './session.js';
import { DEFAULT_CSV_FORMAT } from './sql/file-format.js';
import { HIDDEN_SCHEMAS, TABLE_KIND_PREFIX } from './sql/information-schema.js';
import { displayName, resolveName } from './sql/object-name.js';
import { rowType, type RowType } from './sql/snowflake-types.js';
import { StatementTypeId, type StatementPlan } from './sql/statement-plan.js';
import { quoteString } from './sql/syntax-tree.js';
import type { ExecutorServices, StatementOutcome } from './statement-executor.js';

const NOW_TEXT = (): string => epochText(BigInt(Date.now()) * 1000n);

function likeToRegex(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

/** SHOW …: Snowflake's columns (the main ones) from DuckDB's catalog and the emulator's metadata. */
export async function showObjects(
  session: Session,
  plan: Extract<StatementPlan, { kind: 'show' }>,
  services: ExecutorServices,
  readAll: (sql: string) => Promise<DuckDBValue[][]>,
): Promise<StatementOutcome> {
  const like = plan.like === undefined ? undefined : likeToRegex(plan.like);
  const keep = (name: string): boolean =>
    (like === undefined || like.test(name)) && (plan.startsWith === undefined || name.startsWith(plan.startsWith));
  const text = (n: string): RowType => rowType(n, 'text');
  const created = rowType('created_on', 'timestamp_ltz');
  const scopeFilter = (): string => {
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
  };
  const limited = <T>(rows: T[]): T[] => (plan.limit === undefined ? rows : rows.slice(0, plan.limit));
  // COMMENTs are kept by the metadata store (DuckDB's own comment holds the declared Snowflake type).
  const comment = (
    d: DuckDBValue | undefined,
    s: DuckDBValue | undefined,
    n: DuckDBValue | undefined,
    c?: DuckDBValue,
  ): string =>
    (c === undefined
      ? services.metadata.tableComment(String(d), String(s), String(n))
      : services.metadata.columnComment(String(d), String(s), String(n), String(c))) ?? '';
  const hidden = `schema_name NOT IN (${HIDDEN_SCHEMAS.map(quoteString).join(', ')})`;
  // Without IN, Snowflake shows the current database, or the whole account when there is none.
  const defaultScope = (): string =>
    plan.scope.kind !== 'DEFAULT'
      ? scopeFilter()
      : session.database === null
        ? 'true'
        : `database_name = ${quoteString(session.database)}`;
  switch (plan.what) {
    case 'DATABASES': {
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
      return {
        type: 'rows',
        columns: [
          created,
          text('name'),
          text('is_default'),
          text('is_current'),
          text('origin'),
          text('owner'),
          text('comment'),
          text('options'),
          text('retention_time'),
          text('kind'),
        ],
        rows: limited(rows),
        statementTypeId: StatementTypeId.SCL,
      };
    }
    case 'SCHEMAS': {
      const filter = defaultScope();
      const found = await readAll(
        `SELECT database_name, schema_name FROM duckdb_schemas() WHERE ${filter} AND ${hidden} AND database_name <> 'sluice_emulator_no_database' ORDER BY 1, 2`,
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
      return {
        type: 'rows',
        columns: [
          created,
          text('name'),
          text('is_default'),
          text('is_current'),
          text('database_name'),
          text('owner'),
          text('comment'),
          text('options'),
          text('retention_time'),
          text('owner_role_type'),
        ],
        rows: limited(rows),
        statementTypeId: StatementTypeId.SCL,
      };
    }
    case 'TABLES':
    case 'OBJECTS':
    case 'VIEWS': {
      const where = `${defaultScope()} AND ${hidden} AND database_name <> 'sluice_emulator_no_database'`;
      const tables =
        plan.what === 'VIEWS'
          ? []
          : await readAll(
              `SELECT database_name, schema_name, table_name, comment, estimated_size FROM duckdb_tables() WHERE ${where} ORDER BY 1, 2, 3`,
            );
      const views =
        plan.what === 'TABLES'
          ? []
          : await readAll(
              `SELECT database_name, schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal AND ${where} ORDER BY 1, 2, 3`,
            );
      if (plan.what === 'VIEWS') {
        const rows = views
          .filter(([, , n]) => keep(String(n)))
          .map(([d, s, n, sql]) => [
            NOW_TEXT(),
            String(n),
            '',
            String(d),
            String(s),
            session.role,
            comment(d, s, n),
            String(sql),
            'false',
            'false',
            'ROLE',
          ]);
        return {
          type: 'rows',
          columns: [
            created,
            text('name'),
            text('reserved'),
            text('database_name'),
            text('schema_name'),
            text('owner'),
            text('comment'),
            text('text'),
            text('is_secure'),
            text('is_materialized'),
            text('owner_role_type'),
          ],
          rows: limited(rows),
          statementTypeId: StatementTypeId.SCL,
        };
      }
      const kindOf = (kindComment: DuckDBValue | undefined): string =>
        kindComment === `${TABLE_KIND_PREFIX}TRANSIENT`
          ? 'TRANSIENT'
          : kindComment === `${TABLE_KIND_PREFIX}TEMPORARY`
            ? 'TEMPORARY'
            : 'TABLE';
      const rows = [
        ...tables.map(([d, s, n, c, size]) => [
          NOW_TEXT(),
          String(n),
          String(d),
          String(s),
          kindOf(c),
          comment(d, s, n),
          '',
          String(size),
          '0',
          session.role,
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
          session.role,
          '1',
          'ROLE',
        ]),
      ].filter((r) => keep(String(r[1])));
      return {
        type: 'rows',
        columns: [
          created,
          text('name'),
          text('database_name'),
          text('schema_name'),
          text('kind'),
          text('comment'),
          text('cluster_by'),
          rowType('rows', 'fixed'),
          rowType('bytes', 'fixed'),
          text('owner'),
          text('retention_time'),
          text('owner_role_type'),
        ],
        rows: limited(rows),
        statementTypeId: StatementTypeId.SCL,
      };
    }
    case 'COLUMNS': {
      let filter: string;
      if (plan.scope.kind === 'TABLE' || plan.scope.kind === 'VIEW') {
        const name = resolveName(plan.scope.name, session, 'SHOW COLUMNS');
        filter = `database_name = ${quoteString(name.database)} AND schema_name = ${quoteString(name.schema)} AND table_name = ${quoteString(name.name)}`;
      } else {
        filter = defaultScope();
      }
      const found = await readAll(
        `SELECT table_name, schema_name, column_name, SF_TYPE_OF(data_type, comment), is_nullable, column_default, database_name FROM duckdb_columns() WHERE ${filter} AND ${hidden} ORDER BY database_name, schema_name, table_name, column_index`,
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
      return {
        type: 'rows',
        columns: [
          text('table_name'),
          text('schema_name'),
          text('column_name'),
          text('data_type'),
          text('null?'),
          text('default'),
          text('kind'),
          text('expression'),
          text('comment'),
          text('database_name'),
          text('autoincrement'),
        ],
        rows: limited(rows),
        statementTypeId: StatementTypeId.SCL,
      };
    }
    case 'WAREHOUSES': {
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
        type: 'rows',
        columns: [
          text('name'),
          text('state'),
          text('type'),
          text('size'),
          text('is_current'),
          text('auto_suspend'),
          text('auto_resume'),
          text('owner'),
        ],
        rows: limited(rows),
        statementTypeId: StatementTypeId.SCL,
      };
    }
    case 'STAGES': {
      const rows = services.metadata
        .listStages()
        .filter((s) => {
          const { kind, name } = plan.scope;
          if (kind === 'ACCOUNT') return true;
          if (kind === 'DATABASE') return s.database === (name[0] ?? session.database);
          const db = name.length === 2 ? name[0] : session.database;
          const schema = name.length >= 1 ? name[name.length - 1] : session.schema;
          return s.database === db && s.schema === schema;
        })
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
      return {
        type: 'rows',
        columns: [
          created,
          text('name'),
          text('database_name'),
          text('schema_name'),
          text('url'),
          text('has_credentials'),
          text('has_encryption_key'),
          text('owner'),
          text('comment'),
          text('region'),
          text('type'),
          text('cloud'),
          text('notification_channel'),
          text('storage_integration'),
          text('owner_role_type'),
          text('directory_enabled'),
        ],
        rows: limited(rows),
        statementTypeId: StatementTypeId.SCL,
      };
    }
    case 'FILE FORMATS': {
      const rows = services.metadata
        .listFileFormats()
        .filter((f) => keep(f.name))
        .map((f) => [NOW_TEXT(), f.name, f.database, f.schema, 'CSV', session.role, '', JSON.stringify(f.format)]);
      return {
        type: 'rows',
        columns: [
          created,
          text('name'),
          text('database_name'),
          text('schema_name'),
          text('type'),
          text('owner'),
          text('comment'),
          text('format_options'),
        ],
        rows: limited(rows),
        statementTypeId: StatementTypeId.SCL,
      };
    }
    case 'PARAMETERS': {
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
      return {
        type: 'rows',
        columns: [text('key'), text('value'), text('default'), text('level'), text('description'), text('type')],
        rows: limited(rows),
        statementTypeId: StatementTypeId.SCL,
      };
    }
  }
}

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

/** DESCRIBE TABLE | VIEW | STAGE. */
export async function describeObject(
  session: Session,
  plan: Extract<StatementPlan, { kind: 'describe' }>,
  services: ExecutorServices,
  readAll: (sql: string) => Promise<DuckDBValue[][]>,
): Promise<StatementOutcome> {
  const name = resolveName(plan.name, session, 'DESCRIBE');
  if (plan.objectType === 'STAGE') {
    const stage = services.metadata.stage(name.database, name.schema, name.name);
    if (!stage)
      throw SnowflakeEmulatorError.sql(
        '002003',
        '02000',
        `SQL compilation error:\nStage '${displayName(name)}' does not exist or not authorized.`,
      );
    const format = stage.fileFormat ?? DEFAULT_CSV_FORMAT;
    const rows = Object.entries(format).map(([k, v]) => [
      'STAGE_FILE_FORMAT',
      k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase(),
      'String',
      JSON.stringify(v),
      '',
    ]);
    return {
      type: 'rows',
      columns: ['parent_property', 'property', 'property_type', 'property_value', 'property_default'].map((n) =>
        rowType(n, 'text'),
      ),
      rows,
      statementTypeId: StatementTypeId.SCL,
    };
  }
  const found = await readAll(
    `SELECT column_name, SF_TYPE_OF(data_type, comment), is_nullable, column_default FROM duckdb_columns() WHERE database_name = ${quoteString(name.database)} AND schema_name = ${quoteString(name.schema)} AND table_name = ${quoteString(name.name)} ORDER BY column_index`,
  );
  if (found.length === 0) {
    throw SnowflakeEmulatorError.sql(
      '002003',
      '42S02',
      `SQL compilation error:\n${plan.objectType === 'VIEW' ? 'View' : 'Table'} '${displayName(name)}' does not exist or not authorized.`,
    );
  }
  const rows = found.map(([c, type, nullable, def]) => [
    String(c),
    String(type),
    'COLUMN',
    nullable === true ? 'Y' : 'N',
    def === null ? null : String(def),
    'N',
    'N',
    null,
    null,
    services.metadata.columnComment(name.database, name.schema, name.name, String(c)) ?? null,
    null,
    null,
  ]);
  return {
    type: 'rows',
    columns: [
      'name',
      'type',
      'kind',
      'null?',
      'default',
      'primary key',
      'unique key',
      'check',
      'expression',
      'comment',
      'policy name',
      'privacy domain',
    ].map((n) => rowType(n, 'text')),
    rows,
    statementTypeId: StatementTypeId.SCL,
  };
}
