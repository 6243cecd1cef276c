/**
 * A fast path for the most common templates: text with `{{ ... }}` expressions that are only names
 * (`this`, `target.schema`) or calls with literal arguments (`ref('x')`, `config(materialized='table')`).
 * Such templates are parsed here in microseconds instead of being compiled by nunjucks (the same idea as
 * dbt's static parser). Anything else — `{% %}` tags, comments, filters, operators — returns `undefined`
 * and goes to nunjucks. Rendering gives exactly what nunjucks would.
 */

/** A literal argument. */
export type StaticLiteral = string | number | boolean | null | StaticLiteral[];

/** `{{ a.b(args) }}` or `{{ a.b }}`, at `offset` in the template. */
export interface StaticExpression {
  readonly path: readonly string[];
  /** Absent for a name lookup without a call. */
  readonly call?: {
    readonly positional: readonly StaticLiteral[];
    readonly keywords: Readonly<Record<string, StaticLiteral>>;
  };
  readonly offset: number;
  /** 1-based line of the expression's `{{`. */
  readonly line: number;
}

export type StaticSegment = string | StaticExpression;

class NotStatic extends Error {}

/** Parse a template made only of text and simple expressions, or return `undefined`. */
export function parseStaticTemplate(source: string): StaticSegment[] | undefined {
  if (source.includes('{%') || source.includes('{#')) return undefined;
  const segments: StaticSegment[] = [];
  let position = 0;
  let line = 1;
  let counted = 0;
  try {
    while (position < source.length) {
      const open = source.indexOf('{{', position);
      if (open === -1) {
        segments.push(source.slice(position));
        break;
      }
      if (open > position) segments.push(source.slice(position, open));
      for (; counted < open; counted++) if (source.charCodeAt(counted) === 10) line++;
      const parser = new ExpressionParser(source, open + 2);
      const expression = parser.parseExpression(open, line);
      segments.push(expression);
      position = parser.position;
    }
  } catch (error) {
    if (error instanceof NotStatic) return undefined;
    throw error;
  }
  return segments;
}

class ExpressionParser {
  position: number;
  constructor(
    private readonly source: string,
    start: number,
  ) {
    this.position = start;
    if (source[start] === '-') throw new NotStatic();
  }

  private skipSpace(): void {
    while (this.position < this.source.length && /\s/.test(this.source[this.position] as string)) this.position++;
  }

  private peek(): string {
    this.skipSpace();
    return this.source[this.position] ?? '';
  }

  private expect(text: string): void {
    this.skipSpace();
    if (!this.source.startsWith(text, this.position)) throw new NotStatic();
    this.position += text.length;
  }

  private identifier(): string {
    this.skipSpace();
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.source.slice(this.position, this.position + 200));
    if (!match) throw new NotStatic();
    this.position += match[0].length;
    return match[0];
  }

  parseExpression(offset: number, line: number): StaticExpression {
    const path = [this.identifier()];
    while (this.peek() === '.') {
      this.position++;
      path.push(this.identifier());
    }
    let call: StaticExpression['call'];
    if (this.peek() === '(') {
      this.position++;
      const positional: StaticLiteral[] = [];
      const keywords: Record<string, StaticLiteral> = {};
      while (this.peek() !== ')') {
        const save = this.position;
        const keyword = /^[A-Za-z_][A-Za-z0-9_]*\s*=(?!=)/.exec(this.source.slice(this.position, this.position + 200));
        if (keyword) {
          const name = this.identifier();
          this.expect('=');
          keywords[name] = this.literal();
        } else {
          this.position = save;
          if (Object.keys(keywords).length > 0) throw new NotStatic();
          positional.push(this.literal());
        }
        if (this.peek() === ',') this.position++;
        else if (this.peek() !== ')') throw new NotStatic();
      }
      this.position++;
      call = { positional, keywords };
    }
    this.expect('}}');
    return call === undefined ? { path, offset, line } : { path, call, offset, line };
  }

  private literal(): StaticLiteral {
    const c = this.peek();
    if (c === "'" || c === '"') return this.string(c);
    if (c === '[') {
      this.position++;
      const items: StaticLiteral[] = [];
      while (this.peek() !== ']') {
        items.push(this.literal());
        if (this.peek() === ',') this.position++;
        else if (this.peek() !== ']') throw new NotStatic();
      }
      this.position++;
      return items;
    }
    const number = /^-?\d+(\.\d+)?(?![\w.])/.exec(this.source.slice(this.position, this.position + 50));
    if (number) {
      this.position += number[0].length;
      return Number(number[0]);
    }
    const word = this.identifier();
    switch (word) {
      case 'true':
      case 'True':
        return true;
      case 'false':
      case 'False':
        return false;
      case 'none':
      case 'None':
        return null;
      default:
        throw new NotStatic();
    }
  }

  // Mirrors nunjucks' lexer: a backslash escapes the next character; \n, \t and \r are control characters.
  private string(quote: string): string {
    this.position++;
    let out = '';
    while (this.position < this.source.length) {
      const c = this.source[this.position] as string;
      if (c === '\\') {
        const next = this.source[this.position + 1] ?? '';
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
        this.position += 2;
        continue;
      }
      this.position++;
      if (c === quote) return out;
      out += c;
    }
    throw new NotStatic();
  }
}
