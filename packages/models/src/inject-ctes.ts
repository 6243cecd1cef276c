/** Where the statement's first keyword starts, after whitespace and SQL comments. */
function firstKeywordAt(sql: string): number {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else break;
  }
  return i;
}

/** The CTE name an ephemeral model is inlined as. */
export function ephemeralCteName(name: string): string {
  return `__sluice_cte__${name}`;
}

/**
 * Put ephemeral models in front of a query as CTEs (dependencies first). A query that already starts with
 * `WITH` gets them added to its own list, since a second WITH would be a syntax error.
 *
 * @example injectCtes('select * from __sluice_cte__a', [{ name: 'a', sql: 'select 1 as x' }])
 * // with __sluice_cte__a as (\nselect 1 as x\n)\nselect * from __sluice_cte__a
 */
export function injectCtes(sql: string, ctes: ReadonlyArray<{ readonly name: string; readonly sql: string }>): string {
  if (ctes.length === 0) return sql;
  const definitions = ctes
    .map((c) => `${ephemeralCteName(c.name)} as (\n${c.sql.replace(/[\s;]+$/u, '')}\n)`)
    .join(',\n');
  const at = firstKeywordAt(sql);
  const head = /^with(\s+recursive)?\b\s*/i.exec(sql.slice(at));
  if (head) {
    const insertAt = at + head[0].length;
    return `${sql.slice(0, at)}${head[0].trimEnd()} ${definitions},\n${sql.slice(insertAt)}`;
  }
  return `${sql.slice(0, at)}with ${definitions}\n${sql.slice(at)}`;
}
