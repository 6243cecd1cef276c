import { collectNameReferences } from './name-references.js';
import { SnowflakeEmulatorError } from '../emulator-error.js';
import type { CommentChange } from '../metadata-store.js';
import { parseTypeAt, translateExpressionNodes } from './expression-translator.js';
import { parseFileFormatSpec, readOptions, type FileFormatSpec } from './file-format.js';
import { NodeReader } from './node-reader.js';
import { duckName, renderNameParts, resolveName, resolveSchemaName } from './object-name.js';
import { nameSelectItems } from './select-names.js';
import { StatementTypeId, type DeclaredColumn, type StatementPlan } from './statement-plan.js';
import type { PlannerContext } from './statement-planner.js';
import {
  identifierOf,
  isOp,
  isWord,
  nextSignificant,
  quoteIdent,
  render,
  significant,
  splitOnCommas,
  trimTrivia,
  type GroupNode,
  type SqlNode,
} from './syntax-tree.js';

// CREATE, DROP and ALTER planning.

const COLUMN_OPTION_WORDS = [
  'NOT',
  'NULL',
  'DEFAULT',
  'PRIMARY',
  'UNIQUE',
  'CONSTRAINT',
  'REFERENCES',
  'COMMENT',
  'COLLATE',
  'FOREIGN',
  'AUTOINCREMENT',
  'IDENTITY',
  'WITH',
  'MASKING',
  'ENFORCED',
  'RELY',
  'NORELY',
  'VALIDATE',
  'NOVALIDATE',
  'DEFERRABLE',
  'INITIALLY',
  'ENABLE',
  'DISABLE',
  'TAG',
  'PROJECTION',
];

/** The default Snowflake type DuckDB's type reads back as; a declared type that differs is recorded. */
function defaultDeclared(duckType: string): string {
  const dec = /^DECIMAL\((\d+),(\d+)\)$/.exec(duckType);
  if (dec) return `NUMBER(${dec[1]},${dec[2]})`;
  switch (duckType) {
    case 'DOUBLE':
      return 'FLOAT';
    case 'VARCHAR':
      return 'VARCHAR(16777216)';
    case 'BLOB':
      return 'BINARY(8388608)';
    case 'TIME':
      return 'TIME(9)';
    case 'TIMESTAMP':
      return 'TIMESTAMP_NTZ(9)';
    case 'TIMESTAMPTZ':
      return 'TIMESTAMP_LTZ(9)';
    case 'JSON':
      return 'VARIANT';
    default:
      return duckType;
  }
}

interface ColumnDefinition {
  readonly name: string;
  readonly sql: string;
  readonly declared: DeclaredColumn | undefined;
  /** The column's `COMMENT '…'`, if given. */
  readonly comment: string | undefined;
}

/** Parse one column definition (`name type [NOT NULL] [DEFAULT e] [PRIMARY KEY] …`) into DuckDB text. */
function parseColumnDefinition(
  item: readonly SqlNode[],
  context: PlannerContext,
  primaryKey: ReadonlySet<string>,
): ColumnDefinition {
  const nodes = trimTrivia(item);
  const name = identifierOf(nodes[0]);
  if (name === undefined) throw new NodeReader(nodes).unexpected('expected a column name');
  const { type, next } = parseTypeAt(nodes, 1);
  const reader = new NodeReader(nodes, next);
  let notNull = primaryKey.has(name);
  let nullable = false;
  let defaultSql: string | undefined;
  let comment: string | undefined;
  while (!reader.atEnd()) {
    if (reader.acceptWords('NOT', 'NULL')) {
      notNull = true;
      continue;
    }
    if (reader.acceptWords('NOT', 'ENFORCED')) continue;
    if (reader.acceptWord('NULL')) {
      nullable = true;
      continue;
    }
    if (reader.acceptWord('DEFAULT')) {
      const start = reader.index;
      let end = start;
      for (; end < nodes.length; end++) {
        const j = nextSignificant(nodes, end);
        if (j < 0) {
          end = nodes.length;
          break;
        }
        if (j > start && isWord(nodes[j], ...COLUMN_OPTION_WORDS)) {
          end = j;
          break;
        }
        end = j;
      }
      defaultSql = render(translateExpressionNodes(nodes.slice(start, end), context.translation)).trim();
      reader.index = end;
      continue;
    }
    if (reader.acceptWords('PRIMARY', 'KEY')) {
      notNull = true;
      continue;
    }
    if (reader.acceptWord('UNIQUE')) continue;
    if (reader.acceptWord('CONSTRAINT')) {
      reader.take();
      continue;
    }
    if (reader.acceptWord('REFERENCES')) {
      reader.expectName();
      reader.acceptGroup();
      continue;
    }
    if (reader.acceptWords('FOREIGN', 'KEY')) continue;
    if (reader.acceptWord('COMMENT')) {
      reader.acceptOp('=');
      comment = reader.acceptString();
      continue;
    }
    if (reader.acceptWord('ENFORCED', 'RELY', 'NORELY', 'VALIDATE', 'NOVALIDATE', 'ENABLE', 'DISABLE')) continue;
    if (
      reader.acceptWords('INITIALLY', 'DEFERRED') ||
      reader.acceptWords('INITIALLY', 'IMMEDIATE') ||
      reader.acceptWord('DEFERRABLE')
    )
      continue;
    if (reader.peekWord('COLLATE')) throw SnowflakeEmulatorError.unsupported('COLLATE');
    if (reader.peekWord('AUTOINCREMENT', 'IDENTITY'))
      throw SnowflakeEmulatorError.unsupported('AUTOINCREMENT / IDENTITY columns');
    if (reader.peekWord('WITH', 'MASKING', 'TAG', 'PROJECTION'))
      throw SnowflakeEmulatorError.unsupported('column policies and tags');
    throw reader.unexpected(`unknown option in the definition of column ${name}`);
  }
  if (notNull && nullable) {
    throw SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\nconflicting NULL and NOT NULL for column ${name}.`,
    );
  }
  const sqlText = `${quoteIdent(name)} ${type.duckdb}${notNull ? ' NOT NULL' : ''}${defaultSql !== undefined ? ` DEFAULT (${defaultSql})` : ''}`;
  const declared =
    defaultDeclared(type.duckdb) === type.snowflake ? undefined : { column: name, snowflakeType: type.snowflake };
  return { name, sql: sqlText, declared, comment };
}

/** The comment changes of column definitions that carry a `COMMENT`. */
function columnComments(columns: readonly ColumnDefinition[]): CommentChange[] {
  return columns.flatMap((c) =>
    c.comment === undefined ? [] : [{ type: 'column' as const, column: c.name, text: c.comment }],
  );
}

const TABLE_CONSTRAINT_START = ['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK'];

/** Parse a `( column definitions, constraints )` list. */
function parseColumnList(group: GroupNode, context: PlannerContext): ColumnDefinition[] {
  const items = splitOnCommas(group.children);
  const primaryKey = new Set<string>();
  for (const item of items) {
    const reader = new NodeReader(item);
    if (!reader.peekWord(...TABLE_CONSTRAINT_START)) continue;
    if (reader.acceptWord('CONSTRAINT')) reader.take();
    if (reader.acceptWords('PRIMARY', 'KEY')) {
      const cols = reader.acceptGroup();
      for (const c of cols ? splitOnCommas(cols.children) : []) {
        const id = identifierOf(significant(c)[0]);
        if (id !== undefined) primaryKey.add(id);
      }
    }
  }
  const columns: ColumnDefinition[] = [];
  for (const item of items) {
    if (new NodeReader(item).peekWord(...TABLE_CONSTRAINT_START)) {
      if (new NodeReader(item).peekWord('CHECK')) throw SnowflakeEmulatorError.unsupported('CHECK constraints');
      continue; // Snowflake does not enforce PRIMARY KEY, UNIQUE or FOREIGN KEY; DuckDB would, so they are dropped
    }
    columns.push(parseColumnDefinition(item, context, primaryKey));
  }
  return columns;
}

/**
 * The `NAME = value` properties of CREATE TABLE, VIEW, SCHEMA and DATABASE in Snowflake's reference
 * (https://docs.snowflake.com/en/sql-reference/sql/create-table and the pages of the other three): accepted and
 * ignored (they change nothing the emulator models). Any other name is refused.
 */
const OBJECT_PROPERTIES = new Set([
  'DATA_RETENTION_TIME_IN_DAYS',
  'MAX_DATA_EXTENSION_TIME_IN_DAYS',
  'CHANGE_TRACKING',
  'ENABLE_SCHEMA_EVOLUTION',
  'STAGE_FILE_FORMAT',
  'STAGE_COPY_OPTIONS',
  'EXTERNAL_VOLUME',
  'CATALOG',
  'REPLACE_INVALID_CHARACTERS',
  'STORAGE_SERIALIZATION_POLICY',
  'LOG_LEVEL',
  'TRACE_LEVEL',
  'SUSPEND_TASK_AFTER_NUM_FAILURES',
  'TASK_AUTO_RETRY_ATTEMPTS',
  'USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE',
  'USER_TASK_TIMEOUT_MS',
  'USER_TASK_MINIMUM_TRIGGER_INTERVAL_IN_SECONDS',
  'QUOTED_IDENTIFIERS_IGNORE_CASE',
  'ENABLE_CONSOLE_OUTPUT',
  'PIPE_EXECUTION_PAUSED',
  'CLASSIFICATION_PROFILE',
]);

/**
 * Skip Snowflake table/view options that change nothing the emulator models (CLUSTER BY, retention); returns the
 * object's `COMMENT = '…'` when given.
 */
function skipObjectOptions(reader: NodeReader): { comment: string | undefined; copyGrants: boolean } {
  let comment: string | undefined;
  let copyGrants = false;
  for (;;) {
    if (reader.acceptWords('CLUSTER', 'BY')) {
      reader.acceptWord('LINEAR');
      reader.acceptGroup();
      continue;
    }
    if (reader.acceptWords('COPY', 'GRANTS')) {
      copyGrants = true;
      continue;
    }
    if (reader.peekWord('WITH') && (isWord(reader.peek(1), 'TAG', 'ROW') || isWord(reader.peek(1), 'AGGREGATION'))) {
      throw SnowflakeEmulatorError.unsupported('tags and row access policies');
    }
    if (reader.acceptWord('COMMENT')) {
      reader.acceptOp('=');
      comment = reader.acceptString();
      continue;
    }
    const next = reader.peek();
    if (next?.type === 'token' && next.token.kind === 'word' && isOp(reader.peek(1), '=') && !reader.peekWord('AS')) {
      const key = next.token.value;
      if (key === 'DEFAULT_DDL_COLLATION') throw SnowflakeEmulatorError.unsupported('DEFAULT_DDL_COLLATION');
      // Snowflake's grammar knows its properties: a misspelt one is a syntax error, not silently ignored
      if (!OBJECT_PROPERTIES.has(key))
        throw reader.unexpected('not a property of CREATE TABLE, VIEW, SCHEMA or DATABASE');
      readOptions(reader, ['AS']);
      continue;
    }
    break;
  }
  return { comment, copyGrants };
}

export function planCreate(reader: NodeReader, sql: string, context: PlannerContext): StatementPlan {
  reader.expectWord('CREATE');
  const orReplace = reader.acceptWords('OR', 'REPLACE');
  reader.acceptWord('LOCAL', 'GLOBAL');
  const temporary = reader.acceptWord('TEMP', 'TEMPORARY', 'VOLATILE') !== undefined;
  const transient = reader.acceptWord('TRANSIENT') !== undefined;
  const secure = reader.acceptWord('SECURE') !== undefined;
  reader.acceptWord('RECURSIVE');
  const kind = reader.take();
  const kindWord = kind?.type === 'token' && kind.token.kind === 'word' ? kind.token.value : '';
  switch (kindWord) {
    case 'TABLE':
      return planCreateTable(reader, sql, context, { orReplace, temporary, transient });
    case 'VIEW':
      return planCreateView(reader, sql, context, { orReplace, secure });
    case 'DATABASE': {
      const ifNotExists = reader.acceptWords('IF', 'NOT', 'EXISTS');
      const name = reader.expectName();
      if (name.length !== 1) throw reader.unexpected('a database name has one part');
      if (reader.peekWord('CLONE')) throw SnowflakeEmulatorError.unsupported('CREATE DATABASE … CLONE');
      skipObjectOptions(reader);
      reader.expectEnd();
      incompatible(orReplace, ifNotExists);
      return { kind: 'create-database', name: name[0] as string, orReplace, ifNotExists, transient };
    }
    case 'SCHEMA': {
      const ifNotExists = reader.acceptWords('IF', 'NOT', 'EXISTS');
      const parts = reader.expectName();
      if (reader.peekWord('CLONE')) throw SnowflakeEmulatorError.unsupported('CREATE SCHEMA … CLONE');
      reader.acceptWords('WITH', 'MANAGED', 'ACCESS');
      skipObjectOptions(reader);
      reader.expectEnd();
      incompatible(orReplace, ifNotExists);
      const { database, schema } = resolveSchemaName(parts, context, 'CREATE SCHEMA');
      return { kind: 'create-schema', database, schema, orReplace, ifNotExists };
    }
    case 'STAGE': {
      const ifNotExists = reader.acceptWords('IF', 'NOT', 'EXISTS');
      const name = reader.expectName();
      let fileFormat: FileFormatSpec | undefined;
      while (!reader.atEnd()) {
        const next = reader.peek();
        const key = next?.type === 'token' ? next.token.value : '';
        if (key === 'URL' || key === 'STORAGE_INTEGRATION' || key === 'CREDENTIALS' || key === 'ENCRYPTION') {
          throw SnowflakeEmulatorError.unsupported('external stages (URL = …)');
        }
        if (key === 'FILE_FORMAT') {
          reader.take();
          reader.acceptOp('=');
          const group = reader.acceptGroup();
          if (!group) throw reader.unexpected('expected FILE_FORMAT = ( … )');
          fileFormat = parseFileFormatSpec(group.children);
          continue;
        }
        if (reader.acceptWord('COPY_OPTIONS', 'DIRECTORY')) {
          reader.acceptOp('=');
          reader.acceptGroup();
          continue;
        }
        if (reader.acceptWord('COMMENT')) {
          reader.acceptOp('=');
          reader.acceptString();
          continue;
        }
        throw reader.unexpected('unknown stage option');
      }
      incompatible(orReplace, ifNotExists);
      return { kind: 'create-stage', name, orReplace, ifNotExists, temporary, fileFormat };
    }
    case 'FILE': {
      reader.expectWord('FORMAT');
      const ifNotExists = reader.acceptWords('IF', 'NOT', 'EXISTS');
      const name = reader.expectName();
      const options = readOptions(reader);
      reader.expectEnd();
      incompatible(orReplace, ifNotExists);
      return { kind: 'create-file-format', name, orReplace, ifNotExists, temporary, options };
    }
    case 'WAREHOUSE': {
      reader.acceptWords('IF', 'NOT', 'EXISTS');
      const name = reader.expectName();
      return {
        kind: 'noop',
        status: `Warehouse ${name.join('.')} successfully created.`,
        statementTypeId: StatementTypeId.DDL,
        warehouse: name.join('.'),
      };
    }
    case 'ROLE':
    case 'USER':
      return {
        kind: 'noop',
        status: `${kindWord.charAt(0)}${kindWord.slice(1).toLowerCase()} successfully created.`,
        statementTypeId: StatementTypeId.DDL,
      };
    case 'MATERIALIZED':
      throw SnowflakeEmulatorError.unsupported('MATERIALIZED VIEW');
    default:
      throw SnowflakeEmulatorError.unsupported(`CREATE ${kindWord || render(kind ? [kind] : []).trim()}`);
  }
}

function incompatible(orReplace: boolean, ifNotExists: boolean): void {
  if (orReplace && ifNotExists) {
    throw SnowflakeEmulatorError.sql(
      '001004',
      '0A000',
      'SQL compilation error:\noptions IF NOT EXISTS and OR REPLACE are incompatible.',
    );
  }
}

function planCreateTable(
  reader: NodeReader,
  sql: string,
  context: PlannerContext,
  flags: { orReplace: boolean; temporary: boolean; transient: boolean },
): StatementPlan {
  const ifNotExists = reader.acceptWords('IF', 'NOT', 'EXISTS');
  incompatible(flags.orReplace, ifNotExists);
  const target = resolveName(reader.expectName(), context, 'CREATE TABLE');
  const columnGroup = reader.acceptGroup();
  const columns = columnGroup ? parseColumnList(columnGroup, context) : undefined;
  const head = `CREATE ${flags.orReplace ? 'OR REPLACE ' : ''}TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${duckName(target)}`;
  const declared = (columns ?? []).flatMap((c) => (c.declared ? [c.declared] : []));
  const comments: CommentChange[] = columnComments(columns ?? []);
  const tableComment = (comment: string | undefined): CommentChange[] =>
    comment === undefined ? [] : [{ type: 'table', text: comment }];
  if (reader.acceptWord('LIKE')) {
    const source = renderNameParts(reader.expectName());
    const options = skipObjectOptions(reader);
    reader.expectEnd();
    return {
      kind: 'create-table',
      target,
      steps: [`${head} AS SELECT * FROM ${source} LIMIT 0`],
      ...flags,
      ifNotExists,
      declared,
      comments: [...comments, ...tableComment(options.comment)],
      compute: false,
      copyGrants: options.copyGrants,
    };
  }
  if (reader.acceptWord('CLONE')) {
    const source = renderNameParts(reader.expectName());
    if (reader.peekWord('AT', 'BEFORE')) throw SnowflakeEmulatorError.unsupported('time travel in CLONE');
    const options = skipObjectOptions(reader);
    reader.expectEnd();
    return {
      kind: 'create-table',
      target,
      steps: [`${head} AS SELECT * FROM ${source}`],
      ...flags,
      ifNotExists,
      declared,
      comments,
      compute: false,
      copyGrants: options.copyGrants,
    };
  }
  const objectOptions = skipObjectOptions(reader);
  comments.push(...tableComment(objectOptions.comment));
  const copyGrants = objectOptions.copyGrants;
  if (reader.acceptWord('AS')) {
    const query = reader.rest();
    const names = collectNameReferences(query, context);
    const translated = render(translateExpressionNodes(nameSelectItems(query, sql), context.translation)).trim();
    if (columns) {
      // Snowflake allows typed columns with AS; DuckDB does not, so create then insert (positionally, with casts).
      return {
        kind: 'create-table',
        target,
        steps: [`${head} (${columns.map((c) => c.sql).join(', ')})`, `INSERT INTO ${duckName(target)} ${translated}`],
        ...flags,
        ifNotExists,
        declared,
        comments,
        compute: true,
        copyGrants,
        names,
      };
    }
    return {
      kind: 'create-table',
      target,
      steps: [`${head} AS ${translated}`],
      ...flags,
      ifNotExists,
      declared,
      comments,
      compute: true,
      copyGrants,
      names,
    };
  }
  reader.expectEnd();
  if (!columns || columns.length === 0) throw reader.unexpected('expected a column list, AS, LIKE or CLONE');
  return {
    kind: 'create-table',
    target,
    steps: [`${head} (${columns.map((c) => c.sql).join(', ')})`],
    ...flags,
    ifNotExists,
    declared,
    comments,
    compute: false,
    copyGrants,
  };
}

function planCreateView(
  reader: NodeReader,
  sql: string,
  context: PlannerContext,
  flags: { orReplace: boolean; secure: boolean },
): StatementPlan {
  const ifNotExists = reader.acceptWords('IF', 'NOT', 'EXISTS');
  incompatible(flags.orReplace, ifNotExists);
  const target = resolveName(reader.expectName(), context, 'CREATE VIEW');
  const columnGroup = reader.acceptGroup();
  const columns = columnGroup
    ? splitOnCommas(columnGroup.children).map((c) => {
        const id = identifierOf(significant(c)[0]);
        if (id === undefined) throw new NodeReader(c).unexpected('expected a column name');
        return quoteIdent(id);
      })
    : undefined;
  const { copyGrants } = skipObjectOptions(reader);
  reader.expectWord('AS');
  const body = reader.rest();
  const names = collectNameReferences(body, context);
  const query = render(translateExpressionNodes(nameSelectItems(body, sql), context.translation)).trim();
  const head = `CREATE ${flags.orReplace ? 'OR REPLACE ' : ''}VIEW ${ifNotExists ? 'IF NOT EXISTS ' : ''}${duckName(target)}`;
  return {
    kind: 'create-view',
    target,
    sql: `${head}${columns ? ` (${columns.join(', ')})` : ''} AS ${query}`,
    ifNotExists,
    orReplace: flags.orReplace,
    copyGrants,
    names,
  };
}

export function planDrop(reader: NodeReader): StatementPlan {
  reader.expectWord('DROP');
  const kind = reader.take();
  let objectType = kind?.type === 'token' ? kind.token.value : '';
  if (objectType === 'FILE') {
    reader.expectWord('FORMAT');
    objectType = 'FILE FORMAT';
  }
  if (objectType === 'WAREHOUSE' || objectType === 'ROLE' || objectType === 'USER') {
    return { kind: 'noop', status: 'Statement executed successfully.', statementTypeId: StatementTypeId.DDL };
  }
  if (!['TABLE', 'VIEW', 'SCHEMA', 'DATABASE', 'STAGE', 'FILE FORMAT'].includes(objectType)) {
    throw SnowflakeEmulatorError.unsupported(`DROP ${objectType}`);
  }
  const ifExists = reader.acceptWords('IF', 'EXISTS');
  const name = reader.expectName();
  reader.acceptWord('CASCADE', 'RESTRICT');
  reader.expectEnd();
  return { kind: 'drop', objectType: objectType as 'TABLE', name, ifExists };
}

export function planAlter(reader: NodeReader, context: PlannerContext): StatementPlan {
  reader.expectWord('ALTER');
  const kind = reader.take();
  const what = kind?.type === 'token' ? kind.token.value : '';
  switch (what) {
    case 'SESSION': {
      if (reader.acceptWord('SET')) {
        const set = readOptions(reader);
        reader.expectEnd();
        return { kind: 'alter-session', set, unset: [] };
      }
      reader.expectWord('UNSET');
      const unset: string[] = [];
      do {
        const w = reader.take();
        const id = identifierOf(w);
        if (id === undefined) throw reader.unexpected('expected a parameter name');
        unset.push(id);
      } while (reader.acceptOp(','));
      reader.expectEnd();
      return { kind: 'alter-session', set: new Map(), unset };
    }
    case 'TABLE':
      return planAlterTable(reader, context);
    case 'VIEW': {
      const ifExists = reader.acceptWords('IF', 'EXISTS');
      const target = resolveName(reader.expectName(), context, 'ALTER VIEW');
      if (reader.acceptWords('RENAME', 'TO')) {
        const to = resolveName(reader.expectName(), context, 'ALTER VIEW');
        reader.expectEnd();
        return { kind: 'alter-view-rename', target, to, ifExists };
      }
      return { kind: 'noop', status: 'Statement executed successfully.', statementTypeId: StatementTypeId.DDL };
    }
    case 'WAREHOUSE': {
      const rest = significant(reader.rest());
      const resumes = rest.some((n) => isWord(n, 'RESUME'));
      return {
        kind: 'noop',
        status: 'Statement executed successfully.',
        statementTypeId: StatementTypeId.DDL,
        compute: resumes,
      };
    }
    case 'USER':
    case 'ACCOUNT':
    case 'ROLE':
      return { kind: 'noop', status: 'Statement executed successfully.', statementTypeId: StatementTypeId.DDL };
    case 'SCHEMA':
    case 'DATABASE': {
      reader.acceptWords('IF', 'EXISTS');
      reader.expectName();
      if (reader.peekWord('RENAME', 'SWAP')) throw SnowflakeEmulatorError.unsupported(`ALTER ${what} … RENAME / SWAP`);
      return { kind: 'noop', status: 'Statement executed successfully.', statementTypeId: StatementTypeId.DDL };
    }
    default:
      throw SnowflakeEmulatorError.unsupported(`ALTER ${what}`);
  }
}

function planAlterTable(reader: NodeReader, context: PlannerContext): StatementPlan {
  const ifExists = reader.acceptWords('IF', 'EXISTS');
  const target = resolveName(reader.expectName(), context, 'ALTER TABLE');
  const table = duckName(target);
  const done = (action: Extract<StatementPlan, { kind: 'alter-table' }>['action']): StatementPlan => ({
    kind: 'alter-table',
    target,
    ifExists,
    action,
  });
  if (reader.acceptWords('RENAME', 'TO')) {
    const to = resolveName(reader.expectName(), context, 'ALTER TABLE');
    reader.expectEnd();
    return done({ type: 'rename', to });
  }
  if (reader.acceptWords('SWAP', 'WITH')) {
    const other = resolveName(reader.expectName(), context, 'ALTER TABLE');
    reader.expectEnd();
    return done({ type: 'swap', with: other });
  }
  if (reader.acceptWords('RENAME', 'COLUMN')) {
    const from = identifierOf(reader.take());
    reader.expectWord('TO');
    const to = identifierOf(reader.take());
    if (from === undefined || to === undefined) throw reader.unexpected('expected column names');
    reader.expectEnd();
    return done({
      type: 'steps',
      steps: [`ALTER TABLE ${table} RENAME COLUMN ${quoteIdent(from)} TO ${quoteIdent(to)}`],
      declared: [],
      comments: [{ type: 'rename-column', from, to }],
    });
  }
  if (reader.acceptWord('ADD')) {
    if (reader.peekWord('CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN')) return done({ type: 'noop' });
    if (reader.peekWord('ROW', 'SEARCH', 'TAG'))
      throw SnowflakeEmulatorError.unsupported('ALTER TABLE … ADD ROW ACCESS POLICY / SEARCH OPTIMIZATION / TAG');
    reader.acceptWord('COLUMN');
    const ifNotExists = reader.acceptWords('IF', 'NOT', 'EXISTS');
    const items = splitOnCommas(reader.rest()).map((item) => {
      const r = new NodeReader(item);
      r.acceptWord('COLUMN');
      return item.slice(r.index);
    });
    const defs = items.map((item) => parseColumnDefinition(item, context, new Set()));
    return done({
      type: 'steps',
      steps: defs.map((d) => `ALTER TABLE ${table} ADD COLUMN ${ifNotExists ? 'IF NOT EXISTS ' : ''}${d.sql}`),
      declared: defs.flatMap((d) => (d.declared ? [d.declared] : [])),
      comments: columnComments(defs),
    });
  }
  if (reader.acceptWord('DROP')) {
    if (reader.peekWord('CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CLUSTERING', 'SEARCH'))
      return done({ type: 'noop' });
    reader.acceptWord('COLUMN');
    const ifExistsColumn = reader.acceptWords('IF', 'EXISTS');
    const names = splitOnCommas(reader.rest()).map((c) => {
      const id = identifierOf(significant(c)[0]);
      if (id === undefined) throw reader.unexpected('expected a column name');
      return id;
    });
    return done({
      type: 'steps',
      steps: names.map((n) => `ALTER TABLE ${table} DROP COLUMN ${ifExistsColumn ? 'IF EXISTS ' : ''}${quoteIdent(n)}`),
      declared: [],
      comments: names.map((column) => ({ type: 'drop-column' as const, column })),
    });
  }
  if (reader.peekWord('ALTER', 'MODIFY')) {
    reader.take();
    const steps: string[] = [];
    const declared: DeclaredColumn[] = [];
    const comments: CommentChange[] = [];
    for (const clause of splitOnCommas(reader.rest())) {
      const r = new NodeReader(clause);
      r.acceptWord('COLUMN');
      const column = identifierOf(r.take());
      if (column === undefined) throw r.unexpected('expected a column name');
      const col = `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)}`;
      if (r.acceptWords('SET', 'DATA', 'TYPE') || r.acceptWord('TYPE')) {
        const { type, next } = parseTypeAt(clause, r.index);
        steps.push(`${col} SET DATA TYPE ${type.duckdb}`);
        declared.push({ column, snowflakeType: type.snowflake });
        r.index = next;
      } else if (r.acceptWords('DROP', 'NOT', 'NULL')) {
        steps.push(`${col} DROP NOT NULL`);
      } else if (r.acceptWords('SET', 'NOT', 'NULL')) {
        steps.push(`${col} SET NOT NULL`);
      } else if (r.acceptWords('DROP', 'DEFAULT')) {
        steps.push(`${col} DROP DEFAULT`);
      } else if (r.acceptWords('SET', 'DEFAULT')) {
        steps.push(`${col} SET DEFAULT (${render(translateExpressionNodes(r.rest(), context.translation)).trim()})`);
        r.index = clause.length;
      } else if (r.acceptWord('COMMENT')) {
        const text = r.acceptString();
        if (text === undefined) throw r.unexpected("expected COMMENT '<text>'");
        comments.push({ type: 'column', column, text });
      } else if (r.acceptWords('UNSET', 'COMMENT')) {
        comments.push({ type: 'column', column, text: null });
      } else {
        throw r.unexpected('unsupported ALTER COLUMN action');
      }
      r.expectEnd();
    }
    return done({ type: 'steps', steps, declared, comments });
  }
  if (reader.peekWord('SET') && isWord(reader.peek(1), 'COMMENT')) {
    reader.take();
    reader.take();
    reader.acceptOp('=');
    const text = reader.acceptString();
    if (text === undefined) throw reader.unexpected("expected SET COMMENT = '<text>'");
    reader.expectEnd();
    return done({ type: 'steps', steps: [], declared: [], comments: [{ type: 'table', text }] });
  }
  if (reader.acceptWords('UNSET', 'COMMENT')) {
    reader.expectEnd();
    return done({ type: 'steps', steps: [], declared: [], comments: [{ type: 'table', text: null }] });
  }
  // CLUSTER BY, SET/UNSET properties, RECLUSTER, tags: nothing the emulator models
  if (reader.peekWord('CLUSTER', 'SET', 'UNSET', 'SUSPEND', 'RESUME', 'RECLUSTER')) return done({ type: 'noop' });
  throw reader.unexpected('unsupported ALTER TABLE action');
}

/** `COMMENT [IF EXISTS] ON TABLE|VIEW|COLUMN <name> IS '<text>'` (other object types change nothing the emulator models). */
export function planComment(reader: NodeReader, context: PlannerContext): StatementPlan {
  reader.expectWord('COMMENT');
  const ifExists = reader.acceptWords('IF', 'EXISTS');
  reader.expectWord('ON');
  const kind = reader.take();
  const objectType = kind?.type === 'token' ? kind.token.value : '';
  if (objectType !== 'TABLE' && objectType !== 'VIEW' && objectType !== 'COLUMN') {
    return { kind: 'noop', status: 'Statement executed successfully.', statementTypeId: StatementTypeId.DDL };
  }
  const parts = reader.expectName();
  reader.expectWord('IS');
  const text = reader.acceptString();
  if (text === undefined) throw reader.unexpected("expected IS '<comment>'");
  reader.expectEnd();
  if (objectType === 'COLUMN') {
    if (parts.length < 2) throw reader.unexpected('expected <table>.<column>');
    const target = resolveName(parts.slice(0, -1), context, 'COMMENT');
    return { kind: 'comment', objectType, target, column: parts[parts.length - 1] as string, text, ifExists };
  }
  return {
    kind: 'comment',
    objectType,
    target: resolveName(parts, context, 'COMMENT'),
    column: undefined,
    text,
    ifExists,
  };
}

/** Privileges a role can hold on a table or view; `ALL [PRIVILEGES]` stands for them all. */
const OBJECT_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'REBUILD',
  'EVOLVE SCHEMA',
];

/**
 * `GRANT <privileges> ON TABLE | VIEW <name> TO [ROLE] <role>` and `REVOKE … FROM [ROLE] <role>`; undefined for the
 * other forms of GRANT (on schemas, databases, future objects, roles to users), which are accepted without effect.
 */
export function planGrant(reader: NodeReader, context: PlannerContext): StatementPlan | undefined {
  const action = reader.acceptWord('GRANT') !== undefined ? 'grant' : (reader.expectWord('REVOKE'), 'revoke');
  const privileges: string[] = [];
  for (;;) {
    const words: string[] = [];
    while (!reader.atEnd() && !reader.peekWord('ON') && !isOp(reader.peek(), ',')) {
      const w = reader.take();
      if (w?.type !== 'token' || w.token.kind !== 'word') return undefined;
      words.push(w.token.value);
    }
    const privilege = words.join(' ');
    if (privilege === 'ALL' || privilege === 'ALL PRIVILEGES') privileges.push(...OBJECT_PRIVILEGES);
    else if (OBJECT_PRIVILEGES.includes(privilege)) privileges.push(privilege);
    else return undefined;
    if (!reader.acceptOp(',')) break;
  }
  if (!reader.acceptWord('ON')) return undefined;
  const objectType = reader.acceptWord('TABLE', 'VIEW');
  if (objectType === undefined) return undefined;
  const target = resolveName(reader.expectName(), context, `${action.toUpperCase()} … ON ${objectType}`);
  if (!reader.acceptWord(action === 'grant' ? 'TO' : 'FROM')) return undefined;
  if (reader.peekWord('DATABASE', 'SHARE', 'APPLICATION', 'USER')) return undefined;
  reader.acceptWord('ROLE');
  const grantee = identifierOf(reader.take());
  if (grantee === undefined) throw reader.unexpected('expected a role name');
  reader.acceptWords('WITH', 'GRANT', 'OPTION');
  reader.acceptWord('CASCADE', 'RESTRICT');
  reader.expectEnd();
  return { kind: 'grant', action, privileges, objectType: objectType as 'TABLE' | 'VIEW', target, grantee };
}
