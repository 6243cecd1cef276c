import { isTrivia, syntaxError, type Token } from './tokenizer.js';

/** A token of the original statement. */
export interface TokenNode {
  readonly type: 'token';
  readonly token: Token;
}

/** A bracketed group: `( … )` or `[ … ]`, with its contents as nodes. */
export interface GroupNode {
  readonly type: 'group';
  readonly open: Token;
  readonly children: SqlNode[];
  readonly close: Token;
}

/** Text already in DuckDB's dialect (the output of a rewrite). */
export interface RawNode {
  readonly type: 'raw';
  readonly text: string;
}

/** One node of the bracket tree the translator works on. */
export type SqlNode = TokenNode | GroupNode | RawNode;

/** Build the bracket tree of a token list; unbalanced brackets are a Snowflake syntax error. */
export function buildTree(tokens: readonly Token[], sql: string): SqlNode[] {
  const root: SqlNode[] = [];
  const stack: { open: Token; children: SqlNode[] }[] = [];
  let current = root;
  for (const token of tokens) {
    if (token.kind === 'op' && (token.value === '(' || token.value === '[')) {
      stack.push({ open: token, children: current });
      current = [];
      continue;
    }
    if (token.kind === 'op' && (token.value === ')' || token.value === ']')) {
      const frame = stack.pop();
      const expected = frame?.open.value === '(' ? ')' : ']';
      if (!frame || expected !== token.value) throw syntaxError(sql, token.start, `unexpected '${token.value}'`);
      const group: GroupNode = { type: 'group', open: frame.open, children: current, close: token };
      current = frame.children;
      current.push(group);
      continue;
    }
    current.push({ type: 'token', token });
  }
  const unclosed = stack.pop();
  if (unclosed)
    throw syntaxError(sql, sql.length, `unexpected end of statement, '${unclosed.open.value}' is not closed`);
  return root;
}

/** Is this node whitespace or a comment? */
export function isTriviaNode(node: SqlNode | undefined): boolean {
  return node !== undefined && node.type === 'token' && isTrivia(node.token);
}

/** The nodes without whitespace and comments. */
export function significant(nodes: readonly SqlNode[]): SqlNode[] {
  return nodes.filter((n) => !isTriviaNode(n));
}

/** Is the node the unquoted word `word` (compared upper-case)? */
export function isWord(node: SqlNode | undefined, ...words: string[]): boolean {
  return (
    node !== undefined &&
    node.type === 'token' &&
    node.token.kind === 'word' &&
    (words.length === 0 || words.includes(node.token.value))
  );
}

/** Is the node the operator `op`? */
export function isOp(node: SqlNode | undefined, op: string): boolean {
  return node !== undefined && node.type === 'token' && node.token.kind === 'op' && node.token.value === op;
}

/** Is the node a `( … )` group? */
export function isParenGroup(node: SqlNode | undefined): node is GroupNode {
  return node !== undefined && node.type === 'group' && node.open.value === '(';
}

/** Index of the next non-trivia node at or after `from`, or -1. */
export function nextSignificant(nodes: readonly SqlNode[], from: number): number {
  for (let i = from; i < nodes.length; i++) if (!isTriviaNode(nodes[i])) return i;
  return -1;
}

/** Index of the previous non-trivia node at or before `from`, or -1. */
export function previousSignificant(nodes: readonly SqlNode[], from: number): number {
  for (let i = from; i >= 0; i--) if (!isTriviaNode(nodes[i])) return i;
  return -1;
}

/** Split nodes at top-level commas (commas inside groups are not top-level by construction). */
export function splitOnCommas(nodes: readonly SqlNode[]): SqlNode[][] {
  const parts: SqlNode[][] = [[]];
  for (const node of nodes) {
    if (isOp(node, ',')) parts.push([]);
    else parts[parts.length - 1]?.push(node);
  }
  return parts;
}

/** Trim leading and trailing trivia. */
export function trimTrivia(nodes: readonly SqlNode[]): SqlNode[] {
  let a = 0;
  let b = nodes.length;
  while (a < b && isTriviaNode(nodes[a])) a++;
  while (b > a && isTriviaNode(nodes[b - 1])) b--;
  return nodes.slice(a, b);
}

/** First and last source offsets covered by the nodes (raw nodes have none). */
export function sourceSpan(nodes: readonly SqlNode[]): { start: number; end: number } | undefined {
  let start: number | undefined;
  let end: number | undefined;
  const visit = (n: SqlNode): void => {
    if (n.type === 'token') {
      start = start === undefined ? n.token.start : Math.min(start, n.token.start);
      end = end === undefined ? n.token.end : Math.max(end, n.token.end);
    } else if (n.type === 'group') {
      start = start === undefined ? n.open.start : Math.min(start, n.open.start);
      end = end === undefined ? n.close.end : Math.max(end, n.close.end);
    }
  };
  nodes.forEach(visit);
  return start === undefined || end === undefined ? undefined : { start, end };
}

/** The original statement text of some nodes. */
export function sourceText(nodes: readonly SqlNode[], sql: string): string {
  const span = sourceSpan(trimTrivia(nodes));
  return span ? sql.slice(span.start, span.end) : '';
}

/** Render a quoted identifier for DuckDB. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Render a string literal for DuckDB (standard SQL: quotes doubled, no backslash escapes). */
export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Render nodes as DuckDB text. Words are emitted upper-case (Snowflake folds unquoted identifiers, and DuckDB
 * keywords and functions are case-insensitive), strings are re-quoted without backslash escapes, comments become
 * a space. Tokens that must have been rewritten before (binds, stage references, `$n`) are rejected.
 */
export function render(nodes: readonly SqlNode[]): string {
  let out = '';
  for (const node of nodes) out += renderNode(node);
  return out;
}

function renderNode(node: SqlNode): string {
  if (node.type === 'raw') return node.text;
  if (node.type === 'group') return node.open.value + render(node.children) + node.close.value;
  const t = node.token;
  switch (t.kind) {
    case 'space':
      return t.text;
    case 'comment':
      // `//` comments are Snowflake-only; every comment becomes a space
      return ' ';
    case 'word':
      return t.value;
    case 'quoted':
      return quoteIdent(t.value);
    case 'string':
      return quoteString(t.value);
    case 'number':
    case 'op':
      return t.value;
    default:
      return t.text;
  }
}

/** The identifier a word or quoted token names (Snowflake resolution: unquoted folds to upper case). */
export function identifierOf(node: SqlNode | undefined): string | undefined {
  if (node === undefined || node.type !== 'token') return undefined;
  if (node.token.kind === 'word') return node.token.value;
  if (node.token.kind === 'quoted') return node.token.value;
  return undefined;
}
