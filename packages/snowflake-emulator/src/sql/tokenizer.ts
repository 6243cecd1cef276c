import { SnowflakeEmulatorError } from '../emulator-error.js';

/** The kinds of token the Snowflake lexer produces. Whitespace and comments are kept so text can be rebuilt. */
export type TokenKind =
  | 'space'
  | 'comment'
  /** An unquoted word: keyword, function name or identifier. `value` is upper-cased (Snowflake folds it). */
  | 'word'
  /** A double-quoted identifier; `value` is its exact, unescaped name. */
  | 'quoted'
  /** A string literal ('…' with Snowflake's backslash escapes, or $$…$$); `value` is the unescaped text. */
  | 'string'
  | 'number'
  /** Punctuation and operators: ( ) [ ] , ; . :: : = <> != <= >= || + - * / % and friends. */
  | 'op'
  /** A positional bind: `?` (value '') or `:3` (value '3'). */
  | 'bind'
  /** A stage reference starting with `@`, e.g. `@my_stage/path/`, `@%table`, `@~`. `value` is the raw text. */
  | 'stage'
  /** `$1`, `$2`: a column of a staged file. */
  | 'positional'
  /** `$name`: a session variable. */
  | 'variable';

/** One token with its place in the statement text. */
export interface Token {
  readonly kind: TokenKind;
  /** The exact source text. */
  readonly text: string;
  /** Normalised value (see TokenKind). */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

const WORD_START = /[\p{L}_]/u;
const WORD_PART = /[\p{L}\p{N}_$]/u;
const DIGIT = /[0-9]/;
const THREE_CHAR_OPS = ['->>'];
const TWO_CHAR_OPS = ['::', '||', '<=', '>=', '<>', '!=', '=>', '->'];
const ONE_CHAR_OPS = '()[]{},;.+-*/%=<>:~^&|!';
const STAGE_END = /[\s;,()]/;

/** Is the token whitespace or a comment (ignored by the grammar)? */
export function isTrivia(token: Token): boolean {
  return token.kind === 'space' || token.kind === 'comment';
}

/**
 * Split Snowflake SQL into tokens, following Snowflake's lexical rules: `--` and `//` line comments, `/* *\/`
 * block comments, single-quoted strings with backslash escapes and doubled quotes, `$$` strings, double-quoted
 * identifiers (case kept), unquoted identifiers (folded to upper case in `value`), `?`/`:n` binds and `@stage`
 * references. Throws a syntax error (001003) on an unterminated string, identifier or comment.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  const push = (kind: TokenKind, start: number, end: number, value: string): void => {
    tokens.push({ kind, text: sql.slice(start, end), value, start, end });
  };
  const lastSignificant = (): Token | undefined => {
    for (let k = tokens.length - 1; k >= 0; k--) {
      const t = tokens[k];
      if (t && !isTrivia(t)) return t;
    }
    return undefined;
  };

  while (i < n) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    const start = i;

    if (/\s/.test(ch)) {
      while (i < n && /\s/.test(sql[i] as string)) i++;
      push('space', start, i, sql.slice(start, i));
      continue;
    }
    if ((ch === '-' && next === '-') || (ch === '/' && next === '/')) {
      while (i < n && sql[i] !== '\n') i++;
      push('comment', start, i, sql.slice(start, i));
      continue;
    }
    if (ch === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw syntaxError(sql, start, 'unterminated comment');
      i = close + 2;
      push('comment', start, i, sql.slice(start, i));
      continue;
    }
    if (ch === "'") {
      const { value, end } = readSingleQuoted(sql, i);
      i = end;
      push('string', start, i, value);
      continue;
    }
    if (ch === '$' && next === '$') {
      const close = sql.indexOf('$$', i + 2);
      if (close < 0) throw syntaxError(sql, start, 'unterminated $$ string');
      i = close + 2;
      push('string', start, i, sql.slice(start + 2, close));
      continue;
    }
    if (ch === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw syntaxError(sql, start, 'unterminated quoted identifier');
        const c = sql[i] as string;
        if (c === '"') {
          if (sql[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      if (value === '') throw syntaxError(sql, start, 'empty quoted identifier');
      push('quoted', start, i, value);
      continue;
    }
    if (ch === '$' && next !== undefined && DIGIT.test(next)) {
      i++;
      while (i < n && DIGIT.test(sql[i] as string)) i++;
      push('positional', start, i, sql.slice(start + 1, i));
      continue;
    }
    if (ch === '$' && next !== undefined && WORD_START.test(next)) {
      i++;
      while (i < n && WORD_PART.test(sql[i] as string)) i++;
      push('variable', start, i, sql.slice(start + 1, i).toUpperCase());
      continue;
    }
    if (DIGIT.test(ch) || (ch === '.' && next !== undefined && DIGIT.test(next))) {
      while (i < n && DIGIT.test(sql[i] as string)) i++;
      if (sql[i] === '.' && sql[i + 1] !== '.') {
        i++;
        while (i < n && DIGIT.test(sql[i] as string)) i++;
      }
      if ((sql[i] === 'e' || sql[i] === 'E') && /[0-9+-]/.test(sql[i + 1] ?? '')) {
        const save = i;
        i++;
        if (sql[i] === '+' || sql[i] === '-') i++;
        if (DIGIT.test(sql[i] ?? '')) {
          while (i < n && DIGIT.test(sql[i] as string)) i++;
        } else {
          i = save;
        }
      }
      push('number', start, i, sql.slice(start, i));
      continue;
    }
    if (WORD_START.test(ch)) {
      while (i < n && WORD_PART.test(sql[i] as string)) i++;
      push('word', start, i, sql.slice(start, i).toUpperCase());
      continue;
    }
    if (ch === '?') {
      i++;
      push('bind', start, i, '');
      continue;
    }
    if (ch === ':' && next !== undefined && DIGIT.test(next)) {
      // `:1` is a bind unless it follows an operand (then it is a semi-structured path such as `v:1`, rare).
      const prev = lastSignificant();
      const afterOperand =
        prev !== undefined &&
        (prev.kind === 'word' ||
          prev.kind === 'quoted' ||
          (prev.kind === 'op' && (prev.value === ')' || prev.value === ']')));
      if (!afterOperand || tokens[tokens.length - 1]?.kind === 'space') {
        i++;
        while (i < n && DIGIT.test(sql[i] as string)) i++;
        push('bind', start, i, sql.slice(start + 1, i));
        continue;
      }
    }
    if (ch === '@') {
      i++;
      if (sql[i] === '"') {
        // @"quoted stage"/path
        i++;
        while (i < n && sql[i] !== '"') i++;
        if (i >= n) throw syntaxError(sql, start, 'unterminated quoted stage name');
        i++;
      }
      while (i < n && !STAGE_END.test(sql[i] as string)) i++;
      push('stage', start, i, sql.slice(start, i));
      continue;
    }
    const three = sql.slice(i, i + 3);
    if (THREE_CHAR_OPS.includes(three)) {
      i += 3;
      push('op', start, i, three);
      continue;
    }
    const two = sql.slice(i, i + 2);
    if (TWO_CHAR_OPS.includes(two)) {
      i += 2;
      push('op', start, i, two === '!=' ? '<>' : two);
      continue;
    }
    if (ONE_CHAR_OPS.includes(ch)) {
      i++;
      push('op', start, i, ch);
      continue;
    }
    throw syntaxError(sql, start, `unexpected '${ch}'`);
  }
  return tokens;
}

function readSingleQuoted(sql: string, from: number): { value: string; end: number } {
  let i = from + 1;
  let value = '';
  for (;;) {
    if (i >= sql.length) throw syntaxError(sql, from, 'unterminated string literal');
    const c = sql[i] as string;
    if (c === "'") {
      if (sql[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (c === '\\') {
      const e = sql[i + 1];
      if (e === undefined) throw syntaxError(sql, from, 'unterminated string literal');
      switch (e) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case '0':
          value += '\0';
          break;
        case 'x': {
          const hex = sql.slice(i + 2, i + 4);
          if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw syntaxError(sql, i, 'invalid \\x escape');
          value += String.fromCharCode(Number.parseInt(hex, 16));
          i += 4;
          continue;
        }
        case 'u': {
          const hex = sql.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError(sql, i, 'invalid \\u escape');
          value += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
          continue;
        }
        default:
          // \' \" \\ and any other escaped character stand for themselves
          value += e;
      }
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
}

/** Line (1-based) and position (0-based, Snowflake style) of an offset in the statement text. */
export function linePosition(sql: string, offset: number): { line: number; position: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < sql.length; k++) {
    if (sql[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, position: offset - lineStart };
}

/** A Snowflake syntax error (001003) pointing at an offset of the statement. */
export function syntaxError(sql: string, offset: number, detail: string): SnowflakeEmulatorError {
  const { line, position } = linePosition(sql, offset);
  return SnowflakeEmulatorError.sql(
    '001003',
    '42000',
    `SQL compilation error:\nsyntax error line ${line} at position ${position} ${detail}.`,
  );
}
