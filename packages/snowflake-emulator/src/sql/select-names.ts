import {
  nextSignificant,
  isOp,
  isParenGroup,
  isWord,
  quoteIdent,
  significant,
  sourceText,
  splitOnCommas,
  type SqlNode,
} from './syntax-tree.js';

const CLAUSE_END = new Set([
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'QUALIFY',
  'ORDER',
  'LIMIT',
  'UNION',
  'EXCEPT',
  'MINUS',
  'INTERSECT',
  'WINDOW',
  'INTO',
  'OFFSET',
  'FETCH',
]);

/** Words that can end an expression and so are never an implicit alias. */
const NOT_AN_ALIAS = new Set([
  'END',
  'NULL',
  'TRUE',
  'FALSE',
  'ASC',
  'DESC',
  'FIRST',
  'LAST',
  'DISTINCT',
  'ALL',
  'AND',
  'OR',
  'NOT',
  'IS',
  'CURRENT_TIMESTAMP',
  'CURRENT_DATE',
  'CURRENT_TIME',
  'LOCALTIMESTAMP',
  'LOCALTIME',
  'CURRENT_USER',
]);

/**
 * Give every top-level select item without an alias the column name Snowflake would give it: the item's text,
 * upper-cased (`count(*)` → `COUNT(*)`, `1` → `1`). Plain column references and `*` keep DuckDB's naming, which
 * is the column's own. Applies to the first SELECT at this level (the one that names a UNION's columns).
 */
export function nameSelectItems(nodes: SqlNode[], sql: string): SqlNode[] {
  let selectAt = -1;
  for (let i = 0; i < nodes.length; i++) {
    if (isWord(nodes[i], 'SELECT')) {
      selectAt = i;
      break;
    }
  }
  if (selectAt < 0) {
    // `(SELECT …)` as the whole query: name the inside.
    const sig = significant(nodes);
    const only = sig[0];
    if (sig.length === 1 && isParenGroup(only)) {
      const inner = nameSelectItems(only.children, sql);
      return nodes.map((n) => (n === only ? { ...only, children: inner } : n));
    }
    return nodes;
  }
  let start = selectAt + 1;
  // skip DISTINCT / ALL
  for (;;) {
    let k = start;
    while (
      k < nodes.length &&
      nodes[k]?.type === 'token' &&
      (nodes[k] as { token: { kind: string } }).token.kind === 'space'
    )
      k++;
    if (isWord(nodes[k], 'DISTINCT', 'ALL')) {
      start = k + 1;
      continue;
    }
    break;
  }
  let end = start;
  const endsList = (i: number): boolean => {
    if (isOp(nodes[i], ';')) return true;
    if (!isWord(nodes[i], ...CLAUSE_END)) return false;
    // GROUP and ORDER end the list only as GROUP BY / ORDER BY (not `WITHIN GROUP (…)`)
    if (isWord(nodes[i], 'GROUP', 'ORDER')) return isWord(nodes[nextSignificant(nodes, i + 1)], 'BY');
    return true;
  };
  while (end < nodes.length && !endsList(end)) end++;
  const items = splitOnCommas(nodes.slice(start, end));
  const rebuilt: SqlNode[] = [];
  items.forEach((rawItem, index) => {
    if (index > 0) rebuilt.push({ type: 'raw', text: ',' });
    const item = quoteAlias(rawItem);
    rebuilt.push(...item);
    const name = impliedName(rawItem, sql);
    if (name !== undefined) {
      // keep trailing whitespace after the alias, so `SELECT 1 FROM` stays well spaced
      let trailing = 0;
      while (trailing < item.length && isSpace(item[item.length - 1 - trailing])) trailing++;
      const alias: SqlNode = { type: 'raw', text: ` AS ${quoteIdent(name)}` };
      rebuilt.splice(rebuilt.length - trailing, 0, alias);
    }
  });
  return [...nodes.slice(0, start), ...rebuilt, ...nodes.slice(end)];
}

/**
 * Render an item's alias as a quoted identifier: Snowflake accepts words such as YEAR or DAYS as aliases, but
 * DuckDB's grammar rejects keywords there (`SELECT 1 year`).
 */
function quoteAlias(item: SqlNode[]): SqlNode[] {
  const sig = significant(item);
  const last = sig[sig.length - 1];
  if (sig.length < 2 || last?.type !== 'token' || last.token.kind !== 'word') return item;
  const explicit = isWord(sig[sig.length - 2], 'AS');
  const implicit =
    !NOT_AN_ALIAS.has(last.token.value) && isOperandEnd(sig[sig.length - 2]) && !isOp(sig[sig.length - 2], '.');
  if (!explicit && !implicit) return item;
  return item.map((n) => (n === last ? { type: 'raw', text: quoteIdent(last.token.value) } : n));
}

function isSpace(node: SqlNode | undefined): boolean {
  return node !== undefined && node.type === 'token' && (node.token.kind === 'space' || node.token.kind === 'comment');
}

function isOperandEnd(node: SqlNode | undefined): boolean {
  if (!node) return false;
  if (node.type === 'group' || node.type === 'raw') return true;
  const k = node.token.kind;
  return k === 'word' || k === 'quoted' || k === 'number' || k === 'string' || k === 'bind';
}

/** The name Snowflake gives an unaliased, non-column item; undefined when DuckDB's own naming is right. */
function impliedName(item: readonly SqlNode[], sql: string): string | undefined {
  const sig = significant(item);
  if (sig.length === 0) return undefined;
  const last = sig[sig.length - 1];
  // `*`, `t.*`, `* EXCLUDE (…)`: not a single column
  if (sig.some((n) => isOp(n, '*')) && (isOp(sig[0], '*') || isOp(sig[2], '*'))) return undefined;
  // explicit alias
  if (sig.length >= 2 && isWord(sig[sig.length - 2], 'AS')) return undefined;
  // implicit alias: `expr name`
  if (
    sig.length >= 2 &&
    last?.type === 'token' &&
    (last.token.kind === 'quoted' || (last.token.kind === 'word' && !NOT_AN_ALIAS.has(last.token.value))) &&
    isOperandEnd(sig[sig.length - 2]) &&
    !isOp(sig[sig.length - 2], '.')
  ) {
    return undefined;
  }
  // plain (possibly qualified) column reference
  const isColumnRef = sig.every((n, i) =>
    i % 2 === 0 ? n.type === 'token' && (n.token.kind === 'word' || n.token.kind === 'quoted') : isOp(n, '.'),
  );
  if (isColumnRef && sig.length % 2 === 1) {
    // a lone word such as CURRENT_DATE is a function, not a column
    if (!(sig.length === 1 && NOT_AN_ALIAS.has((sig[0] as { token: { value: string } }).token.value))) return undefined;
  }
  const text = sourceText(item, sql);
  return text === '' ? undefined : text.toUpperCase();
}
