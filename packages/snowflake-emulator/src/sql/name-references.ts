import { type NameContext, type QualifiedName, readObjectName, resolveName } from './object-name.js';
import {
  identifierOf,
  isOp,
  isParenGroup,
  isWord,
  nextSignificant,
  previousSignificant,
  significant,
  type SqlNode,
} from './syntax-tree.js';

/**
 * The names a statement uses, as Snowflake resolves them (unquoted folded to upper case, quoted exact), for the
 * executor to check with Snowflake's case rules: DuckDB matches names case-insensitively, so `"s"."t"` finds
 * `S.T` and `"id"` finds `ID` there, where Snowflake finds neither (statements/name-case.ts).
 */
export interface NameReferences {
  /** Tables and views read or written (after FROM, JOIN, INTO, UPDATE, USING). */
  readonly relations: readonly QualifiedName[];
  /** Identifiers that may name a column, with how they were written. */
  readonly columns: readonly { readonly name: string; readonly quoted: boolean }[];
  /** Names the statement defines itself (aliases, CTE names and their columns): never an error. */
  readonly defined: readonly string[];
}

/** Words that introduce a relation name. */
const RELATION_INTRO = new Set(['FROM', 'JOIN', 'INTO', 'UPDATE', 'USING']);

/**
 * Words that are never a column name when written unquoted here (keywords, and words that end an expression):
 * a column of that name that differs in case is then not mistaken for a reference to it.
 */
const KEYWORDS = new Set(
  `SELECT FROM WHERE AND OR NOT NULL TRUE FALSE CASE WHEN THEN ELSE END AS ON JOIN LEFT RIGHT INNER OUTER FULL CROSS
  NATURAL LATERAL GROUP BY ORDER HAVING LIMIT OFFSET FETCH UNION ALL DISTINCT IN IS LIKE ILIKE RLIKE REGEXP BETWEEN
  EXISTS ANY SOME INTERVAL DATE TIME TIMESTAMP CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP LOCALTIME LOCALTIMESTAMP
  CURRENT_USER CURRENT_ROLE ASC DESC NULLS FIRST LAST OVER PARTITION ROWS RANGE UNBOUNDED PRECEDING FOLLOWING CURRENT
  ROW WITH RECURSIVE QUALIFY INSERT OVERWRITE INTO VALUES UPDATE SET DELETE MERGE USING MATCHED EXCLUDE REPLACE RENAME
  MINUS EXCEPT INTERSECT CAST TRY_CAST ESCAPE COLLATE WINDOW TOP TABLE VIEW CREATE OR TEMPORARY TEMP TRANSIENT
  DEFAULT PRIMARY KEY UNIQUE FOREIGN REFERENCES CONSTRAINT COMMENT COPY GRANTS CLUSTER IF SECURE RESPECT IGNORE
  WITHIN`.split(/\s+/),
);

/** Collect the names of a statement (its token tree, before translation). */
export function collectNameReferences(tree: readonly SqlNode[], context: NameContext): NameReferences {
  const relations: QualifiedName[] = [];
  const columns: { name: string; quoted: boolean }[] = [];
  const defined = new Set<string>();
  const relationNodes = new Set<SqlNode>();
  const ctes = new Set<string>();

  const visit = (nodes: readonly SqlNode[], statementLevel: boolean): void => {
    let inPath = false;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] as SqlNode;
      if (node.type === 'raw') continue;
      if (node.type === 'group') {
        const first = significant(node.children)[0];
        // a subquery is a statement of its own; other groups (calls, lists) hold expressions
        visit(node.children, isWord(first, 'SELECT', 'WITH'));
        continue;
      }
      const t = node.token;
      if (t.kind === 'space' || t.kind === 'comment') continue;
      const prev = nodes[previousSignificant(nodes, i - 1)];
      const next = nodes[nextSignificant(nodes, i + 1)];
      // a semi-structured path (`v:a.b`) names JSON keys, not columns
      if (isOp(node, ':')) {
        inPath = true;
        continue;
      }
      if (inPath && (isOp(node, '.') || t.kind === 'word' || t.kind === 'quoted')) continue;
      inPath = false;
      if (statementLevel && t.kind === 'word' && RELATION_INTRO.has(t.value)) {
        readRelations(nodes, i + 1, t.value === 'FROM');
        continue;
      }
      if (t.kind === 'word' && t.value === 'WITH' && statementLevel) readCteNames(nodes, i + 1);
      const name = identifierOf(node);
      if (name === undefined || relationNodes.has(node)) continue;
      if (isWord(prev, 'AS') || (prev !== undefined && endsOperand(prev))) {
        // an alias, explicit or implicit (`x AS y`, `x y`, `FROM t a`)
        defined.add(name);
        continue;
      }
      if (isParenGroup(next) || isOp(next, '.') || isOp(prev, '::')) continue;
      if (t.kind === 'word' && KEYWORDS.has(t.value)) continue;
      columns.push({ name, quoted: t.kind === 'quoted' });
    }
  };

  /** Relation names after FROM (a comma list), JOIN, INTO, UPDATE or USING, with their aliases. */
  const readRelations = (nodes: readonly SqlNode[], from: number, list: boolean): void => {
    let i = from;
    for (;;) {
      const start = nextSignificant(nodes, i);
      if (start < 0) return;
      const read = readObjectName(nodes, start);
      const after = read ? nextSignificant(nodes, read.next) : -1;
      if (read && !isParenGroup(nodes[after])) {
        for (let k = start; k < read.next; k++) relationNodes.add(nodes[k] as SqlNode);
        const parts = read.parts;
        const single = parts.length === 1 && ctes.has(parts[0] as string);
        if (!single && !parts.includes('INFORMATION_SCHEMA')) {
          try {
            relations.push(resolveName(parts, context, 'SELECT'));
          } catch {
            // no current database or schema: the statement fails as Snowflake's would, elsewhere
          }
        }
        i = read.next;
      } else {
        i = start + 1;
      }
      if (!list) return;
      // skip an alias, then continue after a comma
      let k = nextSignificant(nodes, i);
      if (isWord(nodes[k], 'AS')) k = nextSignificant(nodes, k + 1);
      if (k >= 0 && identifierOf(nodes[k]) !== undefined && !isWord(nodes[k], ...CLAUSE_WORDS))
        k = nextSignificant(nodes, k + 1);
      if (!isOp(nodes[k], ',')) return;
      i = k + 1;
    }
  };

  /** `WITH a AS (…), b (x, y) AS (…)`: the CTE names and their column lists. */
  const readCteNames = (nodes: readonly SqlNode[], from: number): void => {
    let i = nextSignificant(nodes, from);
    if (isWord(nodes[i], 'RECURSIVE')) i = nextSignificant(nodes, i + 1);
    for (;;) {
      const name = identifierOf(nodes[i]);
      if (name === undefined) return;
      ctes.add(name);
      defined.add(name);
      let k = nextSignificant(nodes, i + 1);
      const columnList = nodes[k];
      if (isParenGroup(columnList)) {
        for (const c of significant(columnList.children)) {
          const column = identifierOf(c);
          if (column !== undefined) defined.add(column);
        }
        k = nextSignificant(nodes, k + 1);
      }
      if (!isWord(nodes[k], 'AS')) return;
      const body = nextSignificant(nodes, k + 1);
      const comma = nextSignificant(nodes, body + 1);
      if (!isOp(nodes[comma], ',')) return;
      i = nextSignificant(nodes, comma + 1);
    }
  };

  visit(tree, true);
  return { relations, columns, defined: [...defined] };
}

/** Clause keywords that end a FROM item (never its alias). */
const CLAUSE_WORDS = [
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
  'JOIN',
  'LEFT',
  'RIGHT',
  'INNER',
  'FULL',
  'CROSS',
  'NATURAL',
  'ON',
  'USING',
  'SET',
  'WHEN',
  'WINDOW',
  'OFFSET',
  'FETCH',
  'VALUES',
  'SELECT',
];

/** Does the node end an operand, so that an identifier right after it is an alias? */
function endsOperand(node: SqlNode): boolean {
  if (node.type === 'group') return true;
  if (node.type === 'raw') return true;
  const t = node.token;
  if (t.kind === 'quoted' || t.kind === 'string' || t.kind === 'number') return true;
  if (t.kind === 'word') return !KEYWORDS.has(t.value) || ['END', 'NULL', 'TRUE', 'FALSE'].includes(t.value);
  return false;
}
