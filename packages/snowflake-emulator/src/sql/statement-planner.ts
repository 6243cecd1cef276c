import { SnowflakeEmulatorError } from '../emulator-error.js';
import { translateExpressionNodes, type BindLiteral, type TranslationContext } from './expression-translator.js';
import { planAlter, planComment, planCreate, planDrop, planGrant } from './ddl-planner.js';
import { optionText, readOptions } from './file-format.js';
import { informationSchemaViews } from './information-schema.js';
import { collectNameReferences } from './name-references.js';
import { NodeReader } from './node-reader.js';
import { renderNameParts, resolveName, type NameContext, type QualifiedName } from './object-name.js';
import { nameSelectItems } from './select-names.js';
import { planCopy, planGet, planPut, readStage } from './load-command-planner.js';
import { StatementTypeId, type StatementPlan } from './statement-plan.js';
import {
  buildTree,
  identifierOf,
  isOp,
  isParenGroup,
  isWord,
  nextSignificant,
  quoteIdent,
  quoteString,
  render,
  significant,
  splitOnCommas,
  type SqlNode,
} from './syntax-tree.js';
import { tokenize, type Token } from './tokenizer.js';

/** Everything the planner needs to know about the session (it does no I/O). */
export interface PlannerContext extends NameContext {
  readonly translation: TranslationContext;
}

/** Split a request's SQL text into statements at top-level semicolons (empty statements dropped). */
export function splitStatements(sql: string): string[] {
  if (/^\s*(PUT|GET)\s/i.test(sql)) return [sql.trim().replace(/;\s*$/, '')];
  const tokens = tokenize(sql);
  const statements: string[] = [];
  let start = 0;
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'op' && (t.value === '(' || t.value === '[')) depth++;
    if (t.kind === 'op' && (t.value === ')' || t.value === ']')) depth--;
    if (t.kind === 'op' && t.value === ';' && depth === 0) {
      statements.push(sql.slice(start, t.start));
      start = t.end;
    }
  }
  statements.push(sql.slice(start));
  return statements.filter((s) => tokenize(s).some((t) => t.kind !== 'space' && t.kind !== 'comment'));
}

/**
 * Translate one Snowflake statement into a plan for the executor: which kind of statement it is, the DuckDB SQL
 * to run, and what Snowflake would report. Throws Snowflake-shaped errors for syntax errors and unsupported
 * constructs. Pure: it reads only the text, the binds and the session's current database and schema.
 */
export function planStatement(sql: string, context: PlannerContext): StatementPlan {
  const putGet = /^\s*(PUT|GET)\s/i.exec(sql);
  if (putGet) return putGet[1]?.toUpperCase() === 'PUT' ? planPut(sql) : planGet(sql);
  const tokens = foldQuotedIdentifiers(tokenize(sql), context);
  const tree = buildTree(stripTrailingSemicolons(tokens), sql);
  const reader = new NodeReader(tree);
  const first = reader.peek();
  if (isParenGroup(first)) return planQuery(tree, sql, context);
  if (first?.type !== 'token' || first.token.kind !== 'word') {
    throw reader.unexpected('expected a statement');
  }
  switch (first.token.value) {
    case 'SELECT':
    case 'WITH':
      return planQuery(tree, sql, context);
    case 'INSERT':
      return planInsert(tree, sql, context);
    case 'UPDATE': {
      const target = new NodeReader(tree);
      target.expectWord('UPDATE');
      return {
        kind: 'update',
        sql: render(translateExpressionNodes(stripSetQualifiers(tree, 'UPDATE'), context.translation)),
        written: writtenTable(target.expectName(), context),
        names: collectNameReferences(tree, context),
      };
    }
    case 'DELETE':
      return {
        kind: 'delete',
        sql: render(translateExpressionNodes(tree, context.translation)),
        names: collectNameReferences(tree, context),
      };
    case 'MERGE':
      return planMerge(tree, context);
    case 'CREATE':
      return planCreate(reader, sql, context);
    case 'DROP':
      return planDrop(reader);
    case 'ALTER':
      return planAlter(reader, context);
    case 'TRUNCATE': {
      reader.take();
      reader.acceptWord('TABLE');
      const ifExists = reader.acceptWords('IF', 'EXISTS');
      const target = resolveName(reader.expectName(), context, 'TRUNCATE');
      reader.expectEnd();
      return { kind: 'truncate', target, ifExists };
    }
    case 'USE':
      return planUse(reader);
    case 'SHOW':
      return planShow(reader, context);
    case 'DESC':
    case 'DESCRIBE':
      return planDescribe(reader);
    case 'BEGIN':
    case 'START': {
      reader.take();
      if (first.token.value === 'START') reader.expectWord('TRANSACTION');
      else reader.acceptWord('TRANSACTION', 'WORK');
      if (reader.acceptWord('NAME')) reader.take();
      if (!reader.atEnd()) throw SnowflakeEmulatorError.unsupported('Snowflake Scripting blocks (BEGIN … END)');
      return { kind: 'transaction', action: 'begin' };
    }
    case 'COMMIT':
    case 'ROLLBACK': {
      reader.take();
      reader.acceptWord('WORK', 'TRANSACTION');
      reader.expectEnd();
      return { kind: 'transaction', action: first.token.value === 'COMMIT' ? 'commit' : 'rollback' };
    }
    case 'LIST':
    case 'LS':
    case 'REMOVE':
    case 'RM': {
      reader.take();
      const stage = readStage(reader);
      const options = readOptions(reader);
      reader.expectEnd();
      const pattern = optionText(options, 'PATTERN');
      const isList = first.token.value === 'LIST' || first.token.value === 'LS';
      return isList ? { kind: 'list', stage, pattern } : { kind: 'remove', stage, pattern };
    }
    case 'COPY':
      return planCopy(reader, context);
    case 'COMMENT':
      return planComment(reader, context);
    case 'GRANT':
    case 'REVOKE':
      return (
        planGrant(new NodeReader(tree), context) ?? {
          kind: 'noop',
          status: 'Statement executed successfully.',
          statementTypeId: StatementTypeId.DDL,
        }
      );
    default:
      throw SnowflakeEmulatorError.unsupported(`statement ${first.token.value}`);
  }
}

/** The table a DML statement writes, resolved against the session; undefined when the session cannot resolve it. */
function writtenTable(parts: readonly string[], context: PlannerContext): QualifiedName | undefined {
  try {
    return resolveName(parts, context, 'DML');
  } catch {
    return undefined;
  }
}

function stripTrailingSemicolons(tokens: Token[]): Token[] {
  let end = tokens.length;
  while (end > 0) {
    const t = tokens[end - 1] as Token;
    if (t.kind === 'space' || t.kind === 'comment' || (t.kind === 'op' && t.value === ';')) end--;
    else break;
  }
  return tokens.slice(0, end);
}

// ---------------------------------------------------------------------------------------------------- queries

/** Collect upper-cased identifiers of the statement (to find the tables a result column may come from). */
function collectWords(nodes: readonly SqlNode[], out: string[] = []): string[] {
  for (const n of nodes) {
    if (n.type === 'group') collectWords(n.children, out);
    else if (n.type === 'token' && (n.token.kind === 'word' || n.token.kind === 'quoted')) out.push(n.token.value);
  }
  return out;
}

function containsWord(nodes: readonly SqlNode[], word: string): boolean {
  return nodes.some((n) => (n.type === 'group' ? containsWord(n.children, word) : isWord(n, word)));
}

/**
 * Would Snowflake need a warehouse for this query? Not when it reads no table (constants and context
 * functions are answered by the cloud services layer), nor for `COUNT(*)`/`MIN`/`MAX` over a whole table,
 * which come from metadata. Everything else that reads a table needs compute.
 */
function queryNeedsCompute(tree: readonly SqlNode[]): boolean {
  if (!containsWord(tree, 'FROM')) return false;
  const sig = significant(tree);
  if (!isWord(sig[0], 'SELECT')) return true;
  const fromAt = sig.findIndex((n) => isWord(n, 'FROM'));
  const items = splitOnCommas(sig.slice(1, fromAt));
  const metadataItem = (item: SqlNode[]): boolean => {
    const s = significant(item);
    const call = s[0];
    const args = s[1];
    if (!isWord(call, 'COUNT', 'MIN', 'MAX') || !isParenGroup(args)) return false;
    if (containsWord(args.children, 'DISTINCT')) return false;
    return s.length === 2 || (s.length === 3 && s[2]?.type === 'token') || (s.length === 4 && isWord(s[2], 'AS'));
  };
  if (!items.every(metadataItem)) return true;
  const rest = sig.slice(fromAt + 1);
  // one plain table name, optionally with an alias (`FROM t AS failing`), nothing else after it
  let nameEnd = rest.length;
  if (rest.length >= 3 && isWord(rest[rest.length - 2], 'AS')) nameEnd = rest.length - 2;
  else if (rest.length >= 2 && !isOp(rest[rest.length - 2], '.')) nameEnd = rest.length - 1;
  const alias = rest[rest.length - 1];
  if (nameEnd < rest.length && (identifierOf(alias) === undefined || isWord(alias, ...NOT_AN_ALIAS))) return true;
  const name = rest.slice(0, nameEnd);
  const isName = name.every((n, i) => (i % 2 === 0 ? identifierOf(n) !== undefined : isOp(n, '.')));
  return !(isName && name.length % 2 === 1);
}

/** Words that end a FROM clause, so a word after the table name that is one of them is no alias. */
const NOT_AN_ALIAS = ['WHERE', 'GROUP', 'HAVING', 'QUALIFY', 'ORDER', 'LIMIT', 'SAMPLE', 'AT', 'BEFORE', 'CHANGES'];

function planQuery(tree: SqlNode[], sql: string, context: PlannerContext): StatementPlan {
  const wait = planSystemWait(tree, sql);
  if (wait) return wait;
  const named = nameSelectItems(replaceInformationSchema(tree, context), sql);
  return {
    kind: 'query',
    sql: render(translateExpressionNodes(named, context.translation)),
    compute: queryNeedsCompute(tree),
    words: collectWords(tree),
    names: collectNameReferences(tree, context),
  };
}

/** `SELECT SYSTEM$WAIT(n [, 'unit'])`: Snowflake's sleep, used to exercise the long-query path. */
function planSystemWait(tree: readonly SqlNode[], sql: string): StatementPlan | undefined {
  const sig = significant(tree);
  if (sig.length < 3 || !isWord(sig[0], 'SELECT') || !isWord(sig[1], 'SYSTEM$WAIT') || !isParenGroup(sig[2]))
    return undefined;
  // optional alias: SELECT SYSTEM$WAIT(1) [AS] name
  const aliasNodes = sig.slice(3);
  if (isWord(aliasNodes[0], 'AS')) aliasNodes.shift();
  if (aliasNodes.length > 1 || (aliasNodes.length === 1 && identifierOf(aliasNodes[0]) === undefined)) return undefined;
  const alias = aliasNodes.length === 1 ? identifierOf(aliasNodes[0]) : undefined;
  const args = splitOnCommas(sig[2].children).map((a) => significant(a));
  const amount = args[0]?.[0];
  if (args[0]?.length !== 1 || amount?.type !== 'token' || amount.token.kind !== 'number') {
    throw SnowflakeEmulatorError.unsupported('SYSTEM$WAIT with a non-literal amount');
  }
  const unitNode = args[1]?.[0];
  const unit =
    unitNode?.type === 'token' && unitNode.token.kind === 'string' ? unitNode.token.value.toUpperCase() : 'SECONDS';
  const factor = unit === 'MILLISECONDS' ? 0.001 : unit === 'MINUTES' ? 60 : unit === 'HOURS' ? 3600 : 1;
  const span = { start: (sig[1] as { token: Token }).token.start, end: sig[2].close.end };
  return {
    kind: 'wait',
    seconds: Number(amount.token.value) * factor,
    columnName: alias ?? sql.slice(span.start, span.end).toUpperCase(),
  };
}

/**
 * Replace `[db.]INFORMATION_SCHEMA.<view>` references with subqueries over DuckDB's catalog that produce
 * Snowflake's INFORMATION_SCHEMA columns and type names.
 */
function replaceInformationSchema(nodes: SqlNode[], context: PlannerContext): SqlNode[] {
  const out: SqlNode[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as SqlNode;
    if (node.type === 'group') {
      out.push({ ...node, children: replaceInformationSchema(node.children, context) });
      continue;
    }
    const id = identifierOf(node);
    if (id === 'INFORMATION_SCHEMA' && isOp(nodes[i + 1], '.')) {
      const viewName = identifierOf(nodes[i + 2]);
      if (viewName === undefined) {
        out.push(node);
        continue;
      }
      // an optional database qualifier before it
      let database = context.database;
      const dot = out.length - 1;
      if (dot >= 1 && isOp(out[dot], '.')) {
        const db = identifierOf(out[dot - 1]);
        if (db !== undefined) {
          database = db;
          out.splice(dot - 1, 2);
        }
      }
      if (database === null) {
        throw SnowflakeEmulatorError.sql(
          '090105',
          '22000',
          "Cannot perform SELECT. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.",
        );
      }
      const view = informationSchemaViews(database)[viewName];
      if (!view) throw SnowflakeEmulatorError.unsupported(`INFORMATION_SCHEMA.${viewName}`);
      const after = nextSignificant(nodes, i + 3);
      const aliased =
        after >= 0 &&
        (isWord(nodes[after], 'AS') ||
          (identifierOf(nodes[after]) !== undefined && !isWord(nodes[after], ...ALIAS_STOP)));
      out.push({ type: 'raw', text: `(${view})${aliased ? '' : ` AS ${quoteIdent(viewName)}`}` });
      i += 2;
      continue;
    }
    out.push(node);
  }
  return out;
}

const ALIAS_STOP = [
  'WHERE',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'NATURAL',
  'ON',
  'USING',
  'GROUP',
  'ORDER',
  'LIMIT',
  'HAVING',
  'QUALIFY',
  'UNION',
  'EXCEPT',
  'MINUS',
  'INTERSECT',
  'WINDOW',
  'OFFSET',
  'FETCH',
];

// ---------------------------------------------------------------------------------------------------- DML

function planInsert(tree: SqlNode[], sql: string, context: PlannerContext): StatementPlan {
  const reader = new NodeReader(tree);
  reader.expectWord('INSERT');
  const overwrite = reader.acceptWord('OVERWRITE') !== undefined;
  if (reader.peekWord('ALL', 'FIRST'))
    throw SnowflakeEmulatorError.unsupported('multi-table INSERT (INSERT ALL / INSERT FIRST)');
  reader.expectWord('INTO');
  const targetParts = reader.expectName();
  const target = renderNameParts(targetParts);
  const columns = reader.acceptGroup();
  const body = reader.rest();
  const columnText = columns
    ? ` (${splitOnCommas(columns.children)
        .map((c) => quoteIdent(identifierOf(significant(c)[0]) ?? render(c).trim()))
        .join(', ')})`
    : '';
  const bodySig = significant(body);
  const translatedBody = isWord(bodySig[0], 'VALUES')
    ? translateExpressionNodes(body, context.translation)
    : translateExpressionNodes(nameSelectItems(body, sql), context.translation);
  return {
    kind: 'insert',
    sql: `INSERT INTO ${target}${columnText} ${render(translatedBody).trim()}`,
    overwriteTarget: overwrite ? target : undefined,
    target,
    written: writtenTable(targetParts, context),
    names: collectNameReferences(tree, context),
  };
}

/**
 * An INSERT … VALUES (one row of binds) executed with array binds: the row is repeated once per bound row, in
 * one statement. Returns undefined when the statement is not of that shape (the executor then runs it per row).
 */
export function planArrayInsert(
  sql: string,
  context: PlannerContext,
  rows: readonly (readonly BindLiteral[])[],
): StatementPlan | undefined {
  const tokens = foldQuotedIdentifiers(tokenize(sql), context);
  const tree = buildTree(stripTrailingSemicolons(tokens), sql);
  const reader = new NodeReader(tree);
  if (!reader.acceptWord('INSERT') || !reader.acceptWord('INTO')) return undefined;
  const targetParts = reader.expectName();
  const target = renderNameParts(targetParts);
  const columns = reader.acceptGroup();
  if (!reader.acceptWord('VALUES')) return undefined;
  const tuple = reader.acceptGroup();
  if (!tuple || !reader.atEnd()) return undefined;
  const columnText = columns
    ? ` (${splitOnCommas(columns.children)
        .map((c) => quoteIdent(identifierOf(significant(c)[0]) ?? render(c).trim()))
        .join(', ')})`
    : '';
  const tuples = rows.map((row) => {
    const ctx: TranslationContext = { ...context.translation, binds: row, bindCursor: 0 };
    return `(${render(translateExpressionNodes(tuple.children, ctx))})`;
  });
  return {
    kind: 'insert',
    sql: `INSERT INTO ${target}${columnText} VALUES ${tuples.join(', ')}`,
    overwriteTarget: undefined,
    target,
    written: writtenTable(targetParts, context),
  };
}

/** `UPDATE t SET t.a = 1` → `SET a = 1` (DuckDB rejects a qualified target column), in UPDATE and MERGE. */
function stripSetQualifiers(nodes: readonly SqlNode[], mode: 'UPDATE' | 'MERGE'): SqlNode[] {
  const out = [...nodes];
  for (let i = 0; i < out.length; i++) {
    if (!isWord(out[i], 'SET')) continue;
    // assignments run to FROM/WHERE (UPDATE) or to the next WHEN (MERGE)
    const stops = mode === 'UPDATE' ? ['FROM', 'WHERE'] : ['WHEN'];
    let j = i + 1;
    let assignmentStart = j;
    for (; j <= out.length; j++) {
      const atEnd = j === out.length || isWord(out[j], ...stops);
      if (atEnd || isOp(out[j], ',')) {
        // in out[assignmentStart, j): name(.name)* = expr
        const eq = out.slice(assignmentStart, j).findIndex((n) => isOp(n, '='));
        if (eq > 0) {
          const lhs = out.slice(assignmentStart, assignmentStart + eq);
          const sig = significant(lhs);
          if (sig.length >= 3 && isOp(sig[sig.length - 2], '.')) {
            const column = sig[sig.length - 1] as SqlNode;
            out.splice(assignmentStart, eq, { type: 'raw', text: ' ' }, column, { type: 'raw', text: ' ' });
            j = j - eq + 3;
          }
        }
        assignmentStart = j + 1;
        if (atEnd) break;
      }
    }
    i = j;
  }
  return out;
}

function planMerge(tree: SqlNode[], context: PlannerContext): StatementPlan {
  const reader = new NodeReader(tree);
  reader.expectWord('MERGE');
  reader.expectWord('INTO');
  const targetParts = reader.expectName();
  reader.acceptWord('AS');
  let targetAlias: string | undefined;
  if (!reader.peekWord('USING')) {
    const alias = reader.take();
    targetAlias = identifierOf(alias);
  }
  reader.expectWord('USING');
  const sourceStart = reader.index;
  // source: a name or a (subquery), then an optional alias, up to ON
  let onAt = -1;
  for (let k = sourceStart; k < tree.length; k++) {
    if (isWord(tree[k], 'ON')) {
      onAt = k;
      break;
    }
  }
  if (onAt < 0) throw reader.unexpected('expected ON');
  const sourceNodes = tree.slice(sourceStart, onAt);
  let whenAt = -1;
  for (let k = onAt + 1; k < tree.length; k++) {
    if (isWord(tree[k], 'WHEN')) {
      whenAt = k;
      break;
    }
  }
  if (whenAt < 0) throw reader.unexpected('expected WHEN');
  const conditionNodes = tree.slice(onAt + 1, whenAt);
  const clauses = { insert: false, update: false, delete: false };
  let hasMatched = false;
  for (let k = whenAt; k < tree.length; k++) {
    if (!isWord(tree[k], 'WHEN')) continue;
    const afterWhen = significant(tree.slice(k + 1, k + 8));
    const matched = isWord(afterWhen[0], 'MATCHED');
    if (matched) hasMatched = true;
    for (let m = k + 1; m < tree.length && !isWord(tree[m], 'WHEN'); m++) {
      if (isWord(tree[m], 'THEN')) {
        const action = significant(tree.slice(m + 1))[0];
        if (isWord(action, 'INSERT')) clauses.insert = true;
        if (isWord(action, 'UPDATE')) clauses.update = true;
        if (isWord(action, 'DELETE')) clauses.delete = true;
        break;
      }
    }
  }
  const translated = render(translateExpressionNodes(stripSetQualifiers(tree, 'MERGE'), context.translation));
  const target = renderNameParts(targetParts);
  const qualifier = quoteIdent(targetAlias ?? (targetParts[targetParts.length - 1] as string));
  const ctx = { ...context.translation, bindCursor: 0 };
  const duplicateCheckSql = hasMatched
    ? `SELECT 1 FROM ${target}${targetAlias ? ` AS ${quoteIdent(targetAlias)}` : ''} JOIN ${render(translateExpressionNodes(sourceNodes, ctx))} ON ${render(translateExpressionNodes(conditionNodes, ctx))} GROUP BY ${qualifier}.rowid HAVING count(*) > 1 LIMIT 1`
    : undefined;
  return {
    kind: 'merge',
    sql: `${translated} RETURNING merge_action`,
    duplicateCheckSql,
    clauses,
    written: writtenTable(targetParts, context),
    names: collectNameReferences(tree, context),
  };
}

function planUse(reader: NodeReader): StatementPlan {
  reader.expectWord('USE');
  if (reader.acceptWords('SECONDARY', 'ROLES')) {
    reader.take();
    return { kind: 'use', target: 'SECONDARY ROLES', name: [] };
  }
  const target = reader.acceptWord('DATABASE', 'SCHEMA', 'WAREHOUSE', 'ROLE');
  const name = reader.expectName();
  reader.expectEnd();
  return { kind: 'use', target: (target as 'DATABASE' | undefined) ?? 'ANY', name };
}

function planShow(reader: NodeReader, context: PlannerContext): StatementPlan {
  reader.expectWord('SHOW');
  if (reader.acceptWords('GRANTS', 'ON')) {
    const objectType = reader.acceptWord('TABLE', 'VIEW');
    if (objectType === undefined)
      throw SnowflakeEmulatorError.unsupported('SHOW GRANTS on anything but a table or view');
    const target = resolveName(reader.expectName(), context, 'SHOW GRANTS');
    reader.expectEnd();
    return { kind: 'show-grants', objectType: objectType as 'TABLE' | 'VIEW', target };
  }
  const terse = reader.acceptWord('TERSE') !== undefined;
  let what = reader.take();
  let whatWord = what?.type === 'token' ? what.token.value : '';
  if (whatWord === 'FILE') {
    reader.expectWord('FORMATS');
    whatWord = 'FILE FORMATS';
  }
  if (whatWord === 'USER' || whatWord === 'TRANSIENT') {
    // SHOW USER FUNCTIONS / SHOW TRANSIENT TABLES
    what = reader.take();
    whatWord = what?.type === 'token' ? what.token.value : whatWord;
  }
  const known = [
    'TABLES',
    'VIEWS',
    'SCHEMAS',
    'DATABASES',
    'WAREHOUSES',
    'STAGES',
    'COLUMNS',
    'OBJECTS',
    'FILE FORMATS',
    'PARAMETERS',
  ];
  if (!known.includes(whatWord)) throw SnowflakeEmulatorError.unsupported(`SHOW ${whatWord}`);
  reader.acceptWord('HISTORY');
  let like: string | undefined;
  if (reader.acceptWord('LIKE')) {
    like = reader.acceptString();
    if (like === undefined) throw reader.unexpected("expected LIKE '<pattern>'");
  }
  let scope: Extract<StatementPlan, { kind: 'show' }>['scope'] = { kind: 'DEFAULT', name: [] };
  if (reader.acceptWord('IN')) {
    const scopeWord = reader.acceptWord('ACCOUNT', 'DATABASE', 'SCHEMA', 'TABLE', 'VIEW');
    const name = reader.acceptName() ?? [];
    if (scopeWord === undefined) {
      scope = {
        kind:
          name.length === 1 && whatWord !== 'COLUMNS'
            ? 'DATABASE'
            : name.length === 2 && whatWord !== 'COLUMNS'
              ? 'SCHEMA'
              : 'TABLE',
        name,
      };
    } else {
      scope = { kind: scopeWord as 'ACCOUNT', name };
    }
  }
  let startsWith: string | undefined;
  if (reader.acceptWords('STARTS', 'WITH')) startsWith = reader.acceptString();
  let limit: number | undefined;
  if (reader.acceptWord('LIMIT')) {
    const n = reader.take();
    limit = n?.type === 'token' ? Number(n.token.value) : undefined;
    if (reader.acceptWord('FROM')) reader.acceptString();
  }
  reader.expectEnd();
  return { kind: 'show', what: whatWord as 'TABLES', terse, like, startsWith, limit, scope };
}

function planDescribe(reader: NodeReader): StatementPlan {
  reader.take();
  const kind = reader.acceptWord(
    'TABLE',
    'VIEW',
    'STAGE',
    'RESULT',
    'FILE',
    'SCHEMA',
    'DATABASE',
    'WAREHOUSE',
    'FUNCTION',
  );
  if (kind !== undefined && kind !== 'TABLE' && kind !== 'VIEW' && kind !== 'STAGE')
    throw SnowflakeEmulatorError.unsupported(`DESCRIBE ${kind}`);
  const name = reader.expectName();
  if (reader.acceptWord('TYPE')) {
    reader.acceptOp('=');
    const t = reader.acceptWord('COLUMNS', 'STAGE');
    if (t === 'STAGE') throw SnowflakeEmulatorError.unsupported('DESCRIBE TABLE … TYPE = STAGE');
  }
  reader.expectEnd();
  return { kind: 'describe', objectType: (kind as 'TABLE' | 'VIEW' | 'STAGE' | undefined) ?? 'TABLE', name };
}

/** Render a bind value for DuckDB (used by the executor for `binds` of the request). */
export function bindLiteral(type: string, value: string | null): BindLiteral {
  if (value === null) return { literal: 'NULL' };
  switch (type.toUpperCase()) {
    case 'FIXED':
    case 'REAL':
      if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return { literal: value };
      return { literal: quoteString(value) };
    case 'BOOLEAN':
      return { literal: value.toLowerCase() === 'true' || value === '1' ? 'TRUE' : 'FALSE' };
    case 'VARIANT':
    case 'OBJECT':
    case 'ARRAY':
      return { literal: `json(${quoteString(value)})` };
    default:
      return { literal: quoteString(value) };
  }
}

/**
 * With QUOTED_IDENTIFIERS_IGNORE_CASE = TRUE, Snowflake treats `"Observação"` as `OBSERVAÇÃO`: quoted identifiers
 * are resolved and stored upper-cased (https://docs.snowflake.com/en/sql-reference/identifiers-syntax).
 */
function foldQuotedIdentifiers(tokens: Token[], context: PlannerContext): Token[] {
  if (context.translation.session.parameters?.get('QUOTED_IDENTIFIERS_IGNORE_CASE') !== true) return tokens;
  return tokens.map((t) => {
    if (t.kind !== 'quoted') return t;
    const value = t.value.toUpperCase();
    return { ...t, value, text: `"${value.replace(/"/g, '""')}"` };
  });
}
