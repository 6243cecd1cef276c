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

/** A token a reader found at the current offset: its kind, where it ends, and its normalised value. */
interface TokenMatch {
  readonly kind: TokenKind;
  readonly end: number;
  readonly value: string;
}

/**
 * Reads one kind of token at `start`, or answers undefined when the text there is not that kind. `tokens` are
 * the tokens read so far (a `:1` bind depends on what precedes it).
 */
type TokenReader = (sql: string, start: number, tokens: readonly Token[]) => TokenMatch | undefined;

/** The index of the first offset at or after `from` whose character fails the test. */
function skipWhile(sql: string, from: number, test: RegExp): number {
  let i = from;
  while (i < sql.length && test.test(sql[i] as string)) i++;
  return i;
}

const readSpace: TokenReader = (sql, start) => {
  if (!/\s/.test(sql[start] as string)) return undefined;
  const end = skipWhile(sql, start, /\s/);
  return { kind: 'space', end, value: sql.slice(start, end) };
};

/** `--` and `//` comments run to the end of the line; `/* … *\/` comments to their close. */
const readComment: TokenReader = (sql, start) => {
  const two = sql.slice(start, start + 2);
  if (two === '--' || two === '//') {
    const newline = sql.indexOf('\n', start);
    const end = newline < 0 ? sql.length : newline;
    return { kind: 'comment', end, value: sql.slice(start, end) };
  }
  if (two !== '/*') return undefined;
  const close = sql.indexOf('*/', start + 2);
  if (close < 0) throw syntaxError(sql, start, 'unterminated comment');
  return { kind: 'comment', end: close + 2, value: sql.slice(start, close + 2) };
};

const readQuotedString: TokenReader = (sql, start) => {
  if (sql[start] !== "'") return undefined;
  const { value, end } = readSingleQuoted(sql, start);
  return { kind: 'string', end, value };
};

const readDollarString: TokenReader = (sql, start) => {
  if (!sql.startsWith('$$', start)) return undefined;
  const close = sql.indexOf('$$', start + 2);
  if (close < 0) throw syntaxError(sql, start, 'unterminated $$ string');
  return { kind: 'string', end: close + 2, value: sql.slice(start + 2, close) };
};

/** `"…"` with `""` for a quote inside; the name keeps its case and may not be empty. */
const readQuotedIdentifier: TokenReader = (sql, start) => {
  if (sql[start] !== '"') return undefined;
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= sql.length) throw syntaxError(sql, start, 'unterminated quoted identifier');
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
  return { kind: 'quoted', end: i, value };
};

/** `$1` (a staged file column) and `$name` (a session variable). */
const readDollarName: TokenReader = (sql, start) => {
  const next = sql[start + 1];
  if (sql[start] !== '$' || next === undefined) return undefined;
  if (DIGIT.test(next)) {
    const end = skipWhile(sql, start + 1, DIGIT);
    return { kind: 'positional', end, value: sql.slice(start + 1, end) };
  }
  if (!WORD_START.test(next)) return undefined;
  const end = skipWhile(sql, start + 1, WORD_PART);
  return { kind: 'variable', end, value: sql.slice(start + 1, end).toUpperCase() };
};

/** Digits, an optional fraction (not `1..2`), an optional exponent (only when digits follow it). */
const readNumber: TokenReader = (sql, start) => {
  const next = sql[start + 1];
  if (!DIGIT.test(sql[start] as string) && !(sql[start] === '.' && next !== undefined && DIGIT.test(next)))
    return undefined;
  let i = skipWhile(sql, start, DIGIT);
  if (sql[i] === '.' && sql[i + 1] !== '.') i = skipWhile(sql, i + 1, DIGIT);
  if ((sql[i] === 'e' || sql[i] === 'E') && /[0-9+-]/.test(sql[i + 1] ?? '')) {
    const sign = sql[i + 1] === '+' || sql[i + 1] === '-' ? 1 : 0;
    if (DIGIT.test(sql[i + 1 + sign] ?? '')) i = skipWhile(sql, i + 1 + sign, DIGIT);
  }
  return { kind: 'number', end: i, value: sql.slice(start, i) };
};

const readWord: TokenReader = (sql, start) => {
  if (!WORD_START.test(sql[start] as string)) return undefined;
  const end = skipWhile(sql, start, WORD_PART);
  return { kind: 'word', end, value: sql.slice(start, end).toUpperCase() };
};

/**
 * `?`, or `:1` unless it directly follows an operand (then it is a semi-structured path such as `v:1`, rare). A
 * named bind (`:name` where no operand precedes it) is refused: snowflake-sdk binds by position only.
 */
const readBind: TokenReader = (sql, start, tokens) => {
  if (sql[start] === '?') return { kind: 'bind', end: start + 1, value: '' };
  const next = sql[start + 1];
  if (sql[start] !== ':' || next === undefined) return undefined;
  const prev = lastSignificant(tokens);
  const afterOperand =
    prev !== undefined &&
    (prev.kind === 'word' ||
      prev.kind === 'quoted' ||
      (prev.kind === 'op' && (prev.value === ')' || prev.value === ']')));
  const afterValue = afterOperand || prev?.kind === 'string' || prev?.kind === 'number';
  if (WORD_START.test(next) && !afterValue) {
    const end = skipWhile(sql, start + 1, WORD_PART);
    throw SnowflakeEmulatorError.unsupported(`named binds (${sql.slice(start, end)}); bind by position with ? or :1`);
  }
  if (!DIGIT.test(next)) return undefined;
  if (afterOperand && tokens[tokens.length - 1]?.kind !== 'space') return undefined;
  const end = skipWhile(sql, start + 1, DIGIT);
  return { kind: 'bind', end, value: sql.slice(start + 1, end) };
};

/** `@stage/path`, `@"quoted stage"/path`, `@%table`, `@~`: up to whitespace, `;`, `,` or a parenthesis. */
const readStage: TokenReader = (sql, start) => {
  if (sql[start] !== '@') return undefined;
  let i = start + 1;
  if (sql[i] === '"') {
    const close = sql.indexOf('"', i + 1);
    if (close < 0) throw syntaxError(sql, start, 'unterminated quoted stage name');
    i = close + 1;
  }
  while (i < sql.length && !STAGE_END.test(sql[i] as string)) i++;
  return { kind: 'stage', end: i, value: sql.slice(start, i) };
};

/** The longest operator at `start` (`!=` reads as `<>`). */
const readOperator: TokenReader = (sql, start) => {
  const three = sql.slice(start, start + 3);
  if (THREE_CHAR_OPS.includes(three)) return { kind: 'op', end: start + 3, value: three };
  const two = sql.slice(start, start + 2);
  if (TWO_CHAR_OPS.includes(two)) return { kind: 'op', end: start + 2, value: two === '!=' ? '<>' : two };
  const one = sql[start] as string;
  if (ONE_CHAR_OPS.includes(one)) return { kind: 'op', end: start + 1, value: one };
  return undefined;
};

/**
 * The token readers, tried in order at each offset; the first that matches reads the token. The order matters
 * where two could match: comments before the `-` and `/` operators, `$$` strings before `$1`, numbers (`.5`)
 * before the `.` operator, binds (`:1`) before the `:` operator.
 */
const TOKEN_READERS: readonly TokenReader[] = [
  readSpace,
  readComment,
  readQuotedString,
  readDollarString,
  readQuotedIdentifier,
  readDollarName,
  readNumber,
  readWord,
  readBind,
  readStage,
  readOperator,
];

function lastSignificant(tokens: readonly Token[]): Token | undefined {
  for (let k = tokens.length - 1; k >= 0; k--) {
    const t = tokens[k];
    if (t && !isTrivia(t)) return t;
  }
  return undefined;
}

/**
 * Split Snowflake SQL into tokens, following Snowflake's lexical rules: `--` and `//` line comments, `/* *\/`
 * block comments, single-quoted strings with backslash escapes and doubled quotes, `$$` strings, double-quoted
 * identifiers (case kept), unquoted identifiers (folded to upper case in `value`), `?`/`:n` binds and `@stage`
 * references. Throws a syntax error (001003) on an unterminated string, identifier or comment.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let start = 0;
  while (start < sql.length) {
    let match: TokenMatch | undefined;
    for (const read of TOKEN_READERS) {
      match = read(sql, start, tokens);
      if (match) break;
    }
    if (!match) throw syntaxError(sql, start, `unexpected '${sql[start]}'`);
    tokens.push({ kind: match.kind, text: sql.slice(start, match.end), value: match.value, start, end: match.end });
    start = match.end;
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
