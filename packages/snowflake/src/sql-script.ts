/**
 * Split Snowflake SQL text into statements at top-level semicolons, the way Snowflake reads them: semicolons inside
 * '…' strings (with backslash escapes and doubled quotes), $$…$$ strings, "…" identifiers and `--`, `//` and
 * `/* *\/` comments do not split. Statements holding only whitespace and comments are dropped.
 *
 * @example splitStatements("select 1; select ';'") // ['select 1', "select ';'"]
 */
export function splitStatements(sql: string): string[] {
  // PUT and GET take a `file://…` path, which is not SQL (it may hold `//`): one statement, as Snowflake reads it.
  if (/^\s*(PUT|GET)\s/i.test(sql)) return [sql.trim().replace(/;\s*$/, '')];
  const statements: string[] = [];
  let start = 0;
  let meaningful = false;
  let i = 0;
  const n = sql.length;
  const push = (end: number) => {
    if (meaningful) statements.push(sql.slice(start, end).trim());
    start = end + 1;
    meaningful = false;
  };
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "'") {
      meaningful = true;
      i++;
      while (i < n) {
        if (sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      meaningful = true;
      i++;
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i] === '"') break;
        else i++;
      }
      i++;
    } else if (c === '$' && next === '$') {
      meaningful = true;
      const end = sql.indexOf('$$', i + 2);
      i = end < 0 ? n : end + 2;
    } else if ((c === '-' && next === '-') || (c === '/' && next === '/')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ';') {
      push(i);
      i++;
    } else {
      if (!/\s/.test(c)) meaningful = true;
      i++;
    }
  }
  push(n);
  return statements;
}
