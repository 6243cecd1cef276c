import {
  isOp,
  isParenGroup,
  isWord,
  nextSignificant,
  previousSignificant,
  render,
  type RawNode,
  type SqlNode,
} from './syntax-tree.js';

/**
 * Snowflake types arithmetic by rules DuckDB does not follow: `NUMBER(38,18) * NUMBER(38,18)` is a NUMBER(38,18)
 * (DuckDB wants scale 36 and overflows), `/` and `AVG` of a NUMBER are NUMBERs (DuckDB: DOUBLE), `TRY_CAST` takes
 * only text. The rule needs the operands' types, which only DuckDB's binder knows, so the planner (pure) marks
 * each such expression and the executor asks DuckDB for the operand types before running the statement
 * (`typed-expressions.ts`), then rewrites the marked expression by Snowflake's rule.
 *
 * A marker is valid DuckDB SQL on its own: `SF_MUL(id, a, b)` is `a * b`, `SF_DIV(id, a, b)` is `a / b` with
 * Snowflake's division-by-zero error, `SF_AVG_ARG(id, x)` and `SF_TRY_CAST_ARG(id, x)` are `x` (session macros,
 * duckdb-macros.ts). SQL that is never resolved (a path that does not ask) behaves as DuckDB does. Comments carry
 * the places the executor rewrites: `/*sf:id:sep*\/` between the operands, `/*sf:id:end*\/` before the closing
 * parenthesis, and `/*sf:id:begin*\/ … /*sf:id:stop*\/` around a whole AVG call (with its OVER clause).
 */

/** The kinds of marked expression and the macro that marks each. */
export const MARKER_MACROS = {
  multiply: 'SF_MUL',
  divide: 'SF_DIV',
  average: 'SF_AVG_ARG',
  tryCast: 'SF_TRY_CAST_ARG',
} as const;

export type MarkerKind = keyof typeof MARKER_MACROS;

/** Where a statement's markers are numbered (one counter per statement, shared by its translations). */
export interface MarkerCounter {
  next: number;
}

/** The comment that marks `place` of marker `id`. */
export function markerComment(id: number, place: 'sep' | 'end' | 'begin' | 'stop'): string {
  return `/*sf:${id}:${place}*/`;
}

const raw = (text: string): RawNode => ({ type: 'raw', text });

/** `SF_MUL(id, a/*sep*\/, b/*end*\/)`. */
function binaryMarker(kind: 'multiply' | 'divide', id: number, left: string, right: string): string {
  return `${MARKER_MACROS[kind]}(${id}, ${left}${markerComment(id, 'sep')}, ${right}${markerComment(id, 'end')})`;
}

/** `SF_AVG_ARG(id, x/*end*\/)` / `SF_TRY_CAST_ARG(id, x/*end*\/)`: an argument whose type decides. */
export function argumentMarker(kind: 'average' | 'tryCast', id: number, argument: string): string {
  return `${MARKER_MACROS[kind]}(${id}, ${argument}${markerComment(id, 'end')})`;
}

/** Words after which `*` is a star (`SELECT *`, `DISTINCT *`), and which never end an operand. */
const NOT_AN_OPERAND = new Set([
  'SELECT',
  'DISTINCT',
  'ALL',
  'AND',
  'OR',
  'NOT',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'FROM',
  'WHERE',
  'BY',
  'ON',
  'AS',
  'IN',
  'IS',
  'LIKE',
  'ILIKE',
  'RLIKE',
  'BETWEEN',
  'HAVING',
  'QUALIFY',
  'RETURNING',
  'SET',
  'VALUES',
  'WITH',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'MINUS',
  'JOIN',
  'USING',
  'LIMIT',
  'OFFSET',
  'ORDER',
  'GROUP',
  'PARTITION',
  'OVER',
  'EXCLUDE',
  'REPLACE',
  'RENAME',
  'ESCAPE',
  'INTO',
  'UPDATE',
  'INSERT',
  'DELETE',
  'MERGE',
  'MATCHED',
  'INTERVAL',
]);

/** Words that start a typed literal when a string follows (`DATE '2024-01-01'`). */
const TYPED_LITERAL = new Set([
  'DATE',
  'TIME',
  'TIMESTAMP',
  'TIMESTAMP_NTZ',
  'TIMESTAMP_LTZ',
  'TIMESTAMP_TZ',
  'INTERVAL',
]);

/** Does the node end an operand (so that a `*` after it multiplies)? */
function endsOperand(node: SqlNode | undefined): boolean {
  if (node === undefined) return false;
  if (node.type === 'raw' || node.type === 'group') return true;
  const t = node.token;
  if (t.kind === 'word') return !NOT_AN_OPERAND.has(t.value);
  return t.kind === 'quoted' || t.kind === 'string' || t.kind === 'number';
}

/** Does the node start an operand? */
function startsOperand(node: SqlNode | undefined): boolean {
  if (node === undefined) return false;
  if (node.type === 'raw' || node.type === 'group') return true;
  const t = node.token;
  if (t.kind === 'op') return t.value === '-' || t.value === '+';
  if (t.kind === 'word') return !NOT_AN_OPERAND.has(t.value) || t.value === 'CASE' || t.value === 'NOT';
  return t.kind === 'quoted' || t.kind === 'string' || t.kind === 'number';
}

/** A postfix that belongs to the operand before it: `::TYPE` (already translated to raw) or `[i]`. */
function isPostfix(node: SqlNode | undefined): boolean {
  return (node?.type === 'raw' && node.text.startsWith('::')) || (node?.type === 'group' && node.open.value === '[');
}

/** The index where the operand ending at `end` starts, or -1 when the shape is not one the marker knows. */
function operandStart(nodes: readonly SqlNode[], end: number): number {
  let k = end;
  while (isPostfix(nodes[k])) k = previousSignificant(nodes, k - 1);
  if (k < 0) return -1;
  const node = nodes[k] as SqlNode;
  if (isWord(node, 'END')) {
    // CASE … END at this level
    let depth = 0;
    for (let j = k; j >= 0; j--) {
      if (isWord(nodes[j], 'END')) depth++;
      else if (isWord(nodes[j], 'CASE') && --depth === 0) {
        k = j;
        break;
      }
      if (j === 0) return -1;
    }
  } else if (isParenGroup(node)) {
    let j = previousSignificant(nodes, k - 1);
    // a window: f(x) OVER (…), or FILTER (WHERE …)
    if (isWord(nodes[j], 'OVER', 'FILTER')) {
      const call = previousSignificant(nodes, j - 1);
      if (!isParenGroup(nodes[call])) return -1;
      k = call;
      j = previousSignificant(nodes, call - 1);
    }
    if (nodes[j]?.type === 'token' && endsOperand(nodes[j]) && isWord(nodes[j])) k = qualifiedStart(nodes, j);
  } else if (node.type === 'token' && node.token.kind === 'string') {
    const j = previousSignificant(nodes, k - 1);
    if (isWord(nodes[j]) && TYPED_LITERAL.has((nodes[j] as { token: { value: string } }).token.value)) k = j;
  } else if (node.type === 'token' && (node.token.kind === 'word' || node.token.kind === 'quoted')) {
    k = qualifiedStart(nodes, k);
  } else if (node.type !== 'raw' && !(node.type === 'token' && node.token.kind === 'number')) {
    return -1;
  }
  // a unary sign binds tighter than * and /
  const sign = previousSignificant(nodes, k - 1);
  if ((isOp(nodes[sign], '-') || isOp(nodes[sign], '+')) && !endsOperand(nodes[previousSignificant(nodes, sign - 1)]))
    k = sign;
  return k;
}

/** The start of a dotted name ending at `k` (`db.schema.fn`, `t.col`). */
function qualifiedStart(nodes: readonly SqlNode[], k: number): number {
  let start = k;
  for (;;) {
    const dot = previousSignificant(nodes, start - 1);
    const before = previousSignificant(nodes, dot - 1);
    if (!isOp(nodes[dot], '.') || before < 0) return start;
    const b = nodes[before];
    if (b?.type !== 'token' || (b.token.kind !== 'word' && b.token.kind !== 'quoted')) return start;
    start = before;
  }
}

/** The index where the operand starting at `start` ends, or -1. */
function operandEnd(nodes: readonly SqlNode[], start: number): number {
  let k = start;
  while (isOp(nodes[k], '-') || isOp(nodes[k], '+')) k = nextSignificant(nodes, k + 1);
  if (k < 0) return -1;
  const node = nodes[k] as SqlNode;
  if (isWord(node, 'CASE')) {
    let depth = 0;
    let found = -1;
    for (let j = k; j < nodes.length; j++) {
      if (isWord(nodes[j], 'CASE')) depth++;
      else if (isWord(nodes[j], 'END') && --depth === 0) {
        found = j;
        break;
      }
    }
    if (found < 0) return -1;
    k = found;
  } else if (node.type === 'token' && (node.token.kind === 'word' || node.token.kind === 'quoted')) {
    // a dotted name, then maybe a call with its window
    for (;;) {
      const dot = nextSignificant(nodes, k + 1);
      const after = nextSignificant(nodes, dot + 1);
      const a = nodes[after];
      if (!isOp(nodes[dot], '.') || a?.type !== 'token' || (a.token.kind !== 'word' && a.token.kind !== 'quoted'))
        break;
      k = after;
    }
    const next = nextSignificant(nodes, k + 1);
    if (isParenGroup(nodes[next])) {
      k = next;
      const over = nextSignificant(nodes, k + 1);
      const window = nextSignificant(nodes, over + 1);
      if (isWord(nodes[over], 'OVER', 'FILTER') && isParenGroup(nodes[window])) k = window;
    } else if (isWord(node) && TYPED_LITERAL.has((node as { token: { value: string } }).token.value)) {
      const literal = nodes[next];
      if (literal?.type === 'token' && literal.token.kind === 'string') k = next;
    }
  } else if (node.type === 'token' && node.token.kind !== 'string' && node.token.kind !== 'number') {
    return -1;
  }
  for (;;) {
    const next = nextSignificant(nodes, k + 1);
    if (!isPostfix(nodes[next])) return k;
    k = next;
  }
}

/**
 * Mark the binary `*` and `/` of one nesting level (the groups inside were marked when they were translated):
 * `a * b / c` becomes `SF_DIV(1, SF_MUL(0, a, b), c)`. A `*` that is a star (`SELECT *`, `count(*)`, `t.*`) and
 * an operator whose operands have a shape the marker does not know are left as they are.
 */
export function markArithmetic(nodes: readonly SqlNode[], counter: MarkerCounter | undefined): SqlNode[] {
  if (counter === undefined) return [...nodes];
  const out = [...nodes];
  for (let i = 0; i < out.length; i++) {
    const op = out[i];
    if (!isOp(op, '*') && !isOp(op, '/')) continue;
    const before = previousSignificant(out, i - 1);
    const after = nextSignificant(out, i + 1);
    if (before < 0 || after < 0 || !endsOperand(out[before]) || !startsOperand(out[after])) continue;
    const start = operandStart(out, before);
    const end = operandEnd(out, after);
    if (start < 0 || end < 0) continue;
    const id = counter.next++;
    const left = render(out.slice(start, before + 1)).trim();
    const right = render(out.slice(after, end + 1)).trim();
    const marker = binaryMarker(isOp(op, '*') ? 'multiply' : 'divide', id, left, right);
    out.splice(start, end - start + 1, raw(marker));
    i = start;
  }
  return out;
}
