import nunjucks from 'nunjucks';
import transformer from 'nunjucks/src/transformer.js';
import { templateRuntime } from './jinja-runtime.js';

/*
 * Templates are parsed and compiled by nunjucks, with a parser and a compiler of our own on top of its classes so
 * that what dbt packages write in Jinja means what it means in Jinja:
 * - `{% do expr %}`, `{% set ns.attr = v %}`, `f(*args, **kwargs)`, `varargs`/`kwargs` inside macros;
 * - Python truth (`[]` and `{}` are false) in `if`, `and`, `or`, `not` and inline `if`; `and`/`or` return an operand;
 * - `==` / `!=` compare as Python does, `+` joins lists, `~` writes `None`/`True` as Python;
 * - `{key: value}` takes the value of the name `key` when it is defined (Jinja), else the name itself (nunjucks);
 * - `for x in a_dict` walks its keys; a `return(...)` in a `{% call %}` body returns from the macro around it.
 * The generated code runs against `jinjaRuntime` (Python's semantics) instead of nunjucks' runtime. Nothing here
 * changes nunjucks itself: its other users in the process are unaffected.
 */

// nunjucks' parser, compiler and nodes as this module uses them (absent from @types/nunjucks).
interface Token {
  readonly type: string;
  readonly value: string;
  readonly lineno: number;
  readonly colno: number;
}
interface TokenizerState {
  index: number;
  lineno: number;
  colno: number;
  in_code: boolean;
}
interface NodeInstance {
  lineno: number;
  colno: number;
  typename: string;
  children: NodeInstance[];
  [field: string]: unknown;
}
type NodeClass = (new (
  lineno: number,
  colno: number,
  ...fields: unknown[]
) => NodeInstance) & {
  extend(name: string, props: { fields: string[] }): NodeClass;
};
interface ParserInstance {
  extensions: unknown[];
  peekToken(): Token;
  nextToken(): Token;
  pushToken(token: Token): void;
  skip(type: string): boolean;
  skipValue(type: string, value: string): boolean;
  skipSymbol(value: string): boolean;
  fail(message: string, lineno?: number, colno?: number): never;
  parseExpression(): NodeInstance;
  parsePrimary(noPostfix?: boolean): NodeInstance;
  parsePostfix(node: NodeInstance): NodeInstance;
  parseAggregate(): NodeInstance | null;
  parseOr(): NodeInstance;
  parseCompare(): NodeInstance;
  parseIs(): NodeInstance;
  parseFor(): NodeInstance;
  parseUntilBlocks(...blockNames: string[]): NodeInstance;
  parseStatement(): NodeInstance | null;
  parseSignature(tolerant?: boolean, noParens?: boolean): NodeInstance | null;
  advanceAfterBlockEnd(name?: string): Token;
  parseAsRoot(): NodeInstance;
}
interface CompilerInstance {
  _emit(code: string): void;
  _emitLine(code: string): void;
  _emitLines(...lines: string[]): void;
  _compileExpression(node: NodeInstance, frame: unknown): void;
  _compileMacro(node: NodeInstance, frame?: unknown): string;
  _binOpEmitter(node: NodeInstance, frame: unknown, op: string): void;
  _getNodeName(node: NodeInstance): string;
  _compileAggregate(node: NodeInstance, frame: unknown, start?: string, end?: string): void;
  _tmpid(): string;
  _emitLoopBindings(node: NodeInstance, arr: string, i: string, len: string): void;
  compile(node: NodeInstance, frame: unknown): void;
  assertType(node: NodeInstance, ...types: NodeClass[]): void;
  compileIf(node: NodeInstance, frame: unknown, async?: boolean): void;
  compileFor(node: NodeInstance, frame: unknown): void;
  compileCompare(node: NodeInstance, frame: unknown): void;
  compileRoot(node: NodeInstance, frame: unknown): void;
  getCode(): string;
}
interface Internals {
  readonly lexer: { lex(src: string, opts: object): unknown; readonly [token: string]: unknown };
  readonly parser: { Parser: new (tokens: unknown) => ParserInstance };
  readonly compiler: { Compiler: new (name: string, throwOnUndefined: boolean) => CompilerInstance };
  readonly nodes: Record<string, NodeClass>;
}

const nj = nunjucks as unknown as Internals;
const nodes = nj.nodes;
const lexer = nj.lexer as unknown as Record<string, string> & { lex(src: string, opts: object): unknown };
const Node = nodes.Node as NodeClass;

/** `{% do expr %}`: evaluate, output nothing. */
const DoNode = Node.extend('JinjaDo', { fields: ['expr'] });
/** `{% set target.attr = value %}`. */
const SetAttributeNode = Node.extend('JinjaSetAttribute', { fields: ['target', 'attr', 'value'] });
/** `*args` / `**kwargs` in a call. */
const SpreadNode = Node.extend('JinjaSpread', { fields: ['kind', 'value'] });
/** An expression whose Python truth value is wanted. */
const TruthNode = Node.extend('JinjaTruth', { fields: ['expr'] });
/** What a one-name `for` walks. */
const IterableNode = Node.extend('JinjaIterable', { fields: ['expr'] });
/** A dict key written as an expression. */
const KeyNode = Node.extend('JinjaKey', { fields: ['expr', 'name'] });

/** A tuple literal `(a, b)`, `(a,)`, `()`. */
const TupleNode = Node.extend('JinjaTuple', { fields: ['items'] });
/** `target[start:stop:step]`. */
const SliceNode = Node.extend('JinjaSlice', { fields: ['target', 'start', 'stop', 'step'] });
/** `{% break %}` / `{% continue %}` (jinja2.ext.loopcontrols, which dbt enables). */
const LoopControlNode = Node.extend('JinjaLoopControl', { fields: ['kind'] });
/** `{% with a = 1, b = x %}…{% endwith %}`: names set for the body only. */
const WithNode = Node.extend('JinjaWith', { fields: ['targets', 'values', 'body'] });
/** What a `{% for names in expr if cond %}` walks: the items of `expr` that pass `cond`. */
const LoopFilterNode = Node.extend('JinjaLoopFilter', { fields: ['expr', 'names', 'cond'] });

const OWN_NODES = [
  DoNode,
  SetAttributeNode,
  SpreadNode,
  TruthNode,
  IterableNode,
  KeyNode,
  TupleNode,
  SliceNode,
  LoopControlNode,
  LoopFilterNode,
  WithNode,
];

/**
 * Jinja that dbt's parser accepts and Sluice's does not yet: met in a template, the error names the construct and
 * says it is Sluice's gap, not the template's mistake.
 */
const UNSUPPORTED_TAGS: Readonly<Record<string, string>> = {
  autoescape: '{% autoescape %} blocks',
  trans: '{% trans %} blocks (jinja2.ext.i18n)',
};

function unsupported(construct: string): string {
  return `${construct}: dbt's Jinja accepts this, but Sluice does not support it yet (rewrite it, or report it as a Sluice gap).`;
}

/** A token that starts the argument of a test written without parentheses (`x is divisibleby 3`, as Jinja). */
function startsTestArgument(tok: Token | null): boolean {
  if (tok === null || tok === undefined) return false;
  switch (tok.type) {
    case lexer.TOKEN_STRING:
    case lexer.TOKEN_INT:
    case lexer.TOKEN_FLOAT:
    case lexer.TOKEN_BOOLEAN:
    case lexer.TOKEN_NONE:
    case lexer.TOKEN_LEFT_BRACKET:
    case lexer.TOKEN_LEFT_CURLY:
      return true;
    case lexer.TOKEN_SYMBOL:
      return !['else', 'or', 'and', 'if', 'is', 'in', 'not'].includes(tok.value);
    default:
      return false;
  }
}

/** A name node whose text is its name (nunjucks writes a loop's unpacked names into its code with `+`). */
function nameNode(tok: Token): NodeInstance {
  const node = new nodes.Symbol!(tok.lineno, tok.colno, tok.value);
  node.toString = () => tok.value;
  return node;
}

/** `instanceof` without narrowing (every node class has the same instance type here). */
function is(node: unknown, cls: NodeClass | undefined): boolean {
  return cls !== undefined && node instanceof cls;
}

class JinjaParser extends nj.parser.Parser {
  override parseStatement(): NodeInstance | null {
    const tok = this.peekToken();
    if (tok.type === lexer.TOKEN_SYMBOL && tok.value === 'do') {
      this.nextToken();
      const expr = this.parseExpression();
      this.advanceAfterBlockEnd(tok.value);
      return new DoNode(tok.lineno, tok.colno, expr);
    }
    if (tok.type === lexer.TOKEN_SYMBOL && tok.value === 'set') {
      const attribute = this.parseSetAttribute();
      if (attribute !== undefined) return attribute;
    }
    return this.parseOwnStatement(tok) ?? super.parseStatement();
  }

  private loopDepth = 0;

  /** `{% break %}` / `{% continue %}`, and a clear error for the Jinja tags Sluice does not have yet. */
  private parseOwnStatement(tok: Token): NodeInstance | undefined {
    if (tok.type !== lexer.TOKEN_SYMBOL) return undefined;
    if (tok.value === 'break' || tok.value === 'continue') {
      this.nextToken();
      if (this.loopDepth === 0)
        this.fail(`{% ${tok.value} %} is only allowed inside a {% for %} loop`, tok.lineno, tok.colno);
      this.advanceAfterBlockEnd(tok.value);
      return new LoopControlNode(tok.lineno, tok.colno, tok.value);
    }
    if (tok.value === 'with') return this.parseWith(tok);
    const construct = UNSUPPORTED_TAGS[tok.value];
    if (construct !== undefined) this.fail(unsupported(construct), tok.lineno, tok.colno);
    return undefined;
  }

  /** `{% with a = 1, b = x %}…{% endwith %}` (the values are computed before any name is set, as in Jinja). */
  private parseWith(tok: Token): NodeInstance {
    this.nextToken();
    const targets: string[] = [];
    const values: NodeInstance[] = [];
    while (this.peekToken()?.type !== lexer.TOKEN_BLOCK_END) {
      if (targets.length > 0 && !this.skip(lexer.TOKEN_COMMA as string)) {
        this.fail('expected "," between {% with %} assignments', tok.lineno, tok.colno);
      }
      const name = this.nextToken();
      if (name?.type !== lexer.TOKEN_SYMBOL || !this.skipValue(lexer.TOKEN_OPERATOR as string, '=')) {
        this.fail('expected name = value in {% with %}', name?.lineno, name?.colno);
      }
      targets.push(name.value);
      values.push(this.parseExpression());
    }
    this.advanceAfterBlockEnd('with');
    const body = this.parseUntilBlocks('endwith');
    this.advanceAfterBlockEnd();
    return new WithNode(tok.lineno, tok.colno, targets, values, body);
  }

  /** Jinja's `for`: names unpack (`for k, v in …`, `for (a, b) in …`), `if cond` filters the items. */
  override parseFor(): NodeInstance {
    const forTok = this.peekToken();
    if (!this.skipSymbol('for')) return super.parseFor();
    const node = new nodes.For!(forTok.lineno, forTok.colno);
    node.name = this.parseLoopTarget();
    if (!this.skipSymbol('in')) this.fail('expected "in" in {% for … in … %}', forTok.lineno, forTok.colno);
    // Not parseExpression: an `if` here starts the loop filter, not an inline if.
    let arr = this.parseOr();
    if (this.skipSymbol('if')) arr = new LoopFilterNode(arr.lineno, arr.colno, arr, node.name, this.parseExpression());
    const next = this.peekToken();
    if (next?.type === lexer.TOKEN_SYMBOL && next.value === 'recursive') {
      this.fail(unsupported('recursive for loops ({% for … recursive %})'), next.lineno, next.colno);
    }
    node.arr = arr;
    this.advanceAfterBlockEnd(forTok.value);
    this.loopDepth++;
    try {
      node.body = this.parseUntilBlocks('endfor', 'else');
    } finally {
      this.loopDepth--;
    }
    if (this.skipSymbol('else')) {
      this.advanceAfterBlockEnd('else');
      node.else_ = this.parseUntilBlocks('endfor');
    }
    this.advanceAfterBlockEnd();
    return node;
  }

  /** `x`, `a, b` or `(a, b)` after `for`. */
  private parseLoopTarget(): NodeInstance {
    const open = this.peekToken();
    const parens = this.skip(lexer.TOKEN_LEFT_PAREN as string);
    const names: NodeInstance[] = [];
    do {
      const tok = this.nextToken();
      if (tok?.type !== lexer.TOKEN_SYMBOL) this.fail('expected a variable name in {% for %}', tok?.lineno, tok?.colno);
      names.push(nameNode(tok));
    } while (this.skip(lexer.TOKEN_COMMA as string) && this.peekToken()?.value !== 'in');
    if (parens && !this.skip(lexer.TOKEN_RIGHT_PAREN as string)) this.fail('expected ")"', open.lineno, open.colno);
    if (names.length === 1 && !parens) return names[0] as NodeInstance;
    return new nodes.Array!(open.lineno, open.colno, names);
  }

  /** Jinja's tests: `x is name`, `x is name(args)`, `x is name arg` (one argument without parentheses). */
  override parseIs(): NodeInstance {
    const node = this.parseCompare();
    if (!this.skipSymbol('is')) return node;
    const not = this.skipSymbol('not');
    const tok = this.nextToken();
    const named =
      tok?.type === lexer.TOKEN_SYMBOL || tok?.type === lexer.TOKEN_NONE || tok?.type === lexer.TOKEN_BOOLEAN;
    if (!named) this.fail('expected the name of a test after "is"', tok?.lineno, tok?.colno);
    const name = new nodes.Symbol!(tok.lineno, tok.colno, tok.value);
    let args: NodeInstance = new nodes.NodeList!(tok.lineno, tok.colno);
    const next = this.peekToken();
    if (next?.type === lexer.TOKEN_LEFT_PAREN) args = this.parseSignature() as NodeInstance;
    else if (startsTestArgument(next)) args.children.push(this.parsePrimary());
    const test = new nodes.Is!(node.lineno, node.colno, node, new nodes.FunCall!(tok.lineno, tok.colno, name, args));
    return not ? new nodes.Not!(node.lineno, node.colno, test) : test;
  }

  /** Adjacent string literals join (`'a' "b"` is `'ab'`, as in Python); aggregates are Jinja's. */
  override parsePrimary(noPostfix?: boolean): NodeInstance {
    const tok = this.peekToken();
    if (tok?.type !== lexer.TOKEN_STRING) return super.parsePrimary(noPostfix);
    this.nextToken();
    let value = tok.value;
    while (this.peekToken()?.type === lexer.TOKEN_STRING) value += this.nextToken().value;
    const literal = new nodes.Literal!(tok.lineno, tok.colno, value);
    return noPostfix ? literal : this.parsePostfix(literal);
  }

  /** Calls, `.name` and subscripts, where a subscript may be a slice (`x[1:3]`, `x[::-1]`). */
  override parsePostfix(node: NodeInstance): NodeInstance {
    for (;;) {
      const tok = this.peekToken();
      if (tok?.type === lexer.TOKEN_LEFT_PAREN) {
        node = new nodes.FunCall!(tok.lineno, tok.colno, node, this.parseSignature());
      } else if (tok?.type === lexer.TOKEN_LEFT_BRACKET) {
        node = this.parseSubscript(node);
      } else if (tok?.type === lexer.TOKEN_OPERATOR && tok.value === '.') {
        this.nextToken();
        const attr = this.nextToken();
        if (attr?.type !== lexer.TOKEN_SYMBOL)
          this.fail(`expected a name after ".", got ${attr?.value}`, attr?.lineno, attr?.colno);
        node = new nodes.LookupVal!(
          tok.lineno,
          tok.colno,
          node,
          new nodes.Literal!(attr.lineno, attr.colno, attr.value),
        );
      } else {
        return node;
      }
    }
  }

  private parseSubscript(target: NodeInstance): NodeInstance {
    const open = this.nextToken();
    const parts: (NodeInstance | null)[] = [null];
    for (;;) {
      const tok = this.peekToken();
      if (tok === null || tok === undefined) this.fail('expected "]"', open.lineno, open.colno);
      if (tok.type === lexer.TOKEN_RIGHT_BRACKET) {
        this.nextToken();
        break;
      }
      if (tok.type === lexer.TOKEN_COLON) {
        this.nextToken();
        if (parts.push(null) > 3)
          this.fail('a slice has at most three parts: [start:stop:step]', tok.lineno, tok.colno);
        continue;
      }
      if (parts.at(-1) !== null) this.fail('expected "]" or ":" in a subscript', tok.lineno, tok.colno);
      parts[parts.length - 1] = this.parseExpression();
    }
    const [start = null, stop = null, step = null] = parts;
    if (parts.length > 1) return new SliceNode(open.lineno, open.colno, target, start, stop, step);
    if (start === null) this.fail('expected an index or a slice in []', open.lineno, open.colno);
    return new nodes.LookupVal!(open.lineno, open.colno, target, start);
  }

  /** List, dict and tuple literals as Jinja reads them: trailing commas, any expression as a dict key. */
  override parseAggregate(): NodeInstance | null {
    const open = this.nextToken();
    const closers: Record<string, string> = {
      [lexer.TOKEN_LEFT_PAREN as string]: lexer.TOKEN_RIGHT_PAREN as string,
      [lexer.TOKEN_LEFT_BRACKET as string]: lexer.TOKEN_RIGHT_BRACKET as string,
      [lexer.TOKEN_LEFT_CURLY as string]: lexer.TOKEN_RIGHT_CURLY as string,
    };
    const close = open === null || open === undefined ? undefined : closers[open.type];
    if (close === undefined) return null;
    const isDict = open.type === lexer.TOKEN_LEFT_CURLY;
    const items: NodeInstance[] = [];
    let comma = false;
    for (;;) {
      const tok = this.peekToken();
      if (tok === null || tok === undefined) this.fail('unclosed bracket', open.lineno, open.colno);
      if (tok.type === close) break;
      if (items.length > 0) {
        if (!this.skip(lexer.TOKEN_COMMA as string)) this.fail('expected "," between items', tok.lineno, tok.colno);
        comma = true;
        if (this.peekToken()?.type === close) break;
      }
      const item = this.parseExpression();
      if (isDict) {
        if (!this.skip(lexer.TOKEN_COLON as string))
          this.fail('expected ":" after a dict key', item.lineno, item.colno);
        items.push(new nodes.Pair!(item.lineno, item.colno, item, this.parseExpression()));
      } else items.push(item);
    }
    this.nextToken();
    if (isDict) return new nodes.Dict!(open.lineno, open.colno, items);
    if (open.type === lexer.TOKEN_LEFT_BRACKET) return new nodes.Array!(open.lineno, open.colno, items);
    if (items.length === 1 && !comma) return new nodes.Group!(open.lineno, open.colno, items);
    return new TupleNode(open.lineno, open.colno, items);
  }

  /** `{% set name.attr = value %}`, or `undefined` (the tokens rewound) for every other `set`. */
  private parseSetAttribute(): NodeInstance | undefined {
    const self = this as unknown as { tokens: TokenizerState; peeked: Token | null };
    const { index, lineno, colno, in_code } = self.tokens;
    const saved = { index, lineno, colno, in_code };
    const peeked = self.peeked;
    const tag = this.nextToken();
    const name = this.nextToken();
    const dot = this.nextToken();
    if (name?.type === lexer.TOKEN_SYMBOL && dot?.type === lexer.TOKEN_OPERATOR && dot.value === '.') {
      const attr = this.nextToken();
      if (attr?.type !== lexer.TOKEN_SYMBOL) this.fail('expected an attribute name after "."', dot.lineno, dot.colno);
      if (!this.skipValue(lexer.TOKEN_OPERATOR as string, '=')) {
        this.fail('expected "=" in {% set name.attribute = value %}', attr.lineno, attr.colno);
      }
      const value = this.parseExpression();
      this.advanceAfterBlockEnd('set');
      const target = new nodes.Symbol!(name.lineno, name.colno, name.value);
      return new SetAttributeNode(tag.lineno, tag.colno, target, attr.value, value);
    }
    // Not ours: back to where `set` was peeked, for nunjucks' own parseSet.
    Object.assign(self.tokens, saved);
    self.peeked = peeked;
    return undefined;
  }

  override parseSignature(tolerant?: boolean, noParens?: boolean): NodeInstance | null {
    // Only calls with `*x` / `**x` need more than nunjucks' parser; find them by peeking at each argument start.
    const tok = this.peekToken();
    if (noParens || tok.type !== lexer.TOKEN_LEFT_PAREN) return super.parseSignature(tolerant, noParens);
    this.nextToken();
    const args = new nodes.NodeList!(tok.lineno, tok.colno);
    const kwargs = new nodes.KeywordArgs!(tok.lineno, tok.colno);
    let first = true;
    for (;;) {
      const next = this.peekToken();
      if (next.type === lexer.TOKEN_RIGHT_PAREN) {
        this.nextToken();
        break;
      }
      if (!first && !this.skip(lexer.TOKEN_COMMA as string)) {
        this.fail('expected a comma between arguments', next.lineno, next.colno);
      }
      first = false;
      const start = this.peekToken();
      if (start.type === lexer.TOKEN_RIGHT_PAREN) continue;
      if (start.type === lexer.TOKEN_OPERATOR && (start.value === '*' || start.value === '**')) {
        this.nextToken();
        const value = this.parseExpression();
        args.children.push(
          new SpreadNode(start.lineno, start.colno, start.value === '*' ? 'positional' : 'keywords', value),
        );
        continue;
      }
      const arg = this.parseExpression();
      if (this.skipValue(lexer.TOKEN_OPERATOR as string, '=')) {
        kwargs.children.push(new nodes.Pair!(arg.lineno, arg.colno, arg, this.parseExpression()));
      } else {
        args.children.push(arg);
      }
    }
    if (kwargs.children.length > 0) args.children.push(kwargs);
    return args;
  }
}

class JinjaCompiler extends nj.compiler.Compiler {
  override assertType(node: NodeInstance, ...types: NodeClass[]): void {
    if (OWN_NODES.some((t) => is(node, t))) return;
    super.assertType(node, ...types);
  }

  compileFunCall(node: NodeInstance, frame: unknown): void {
    // As nunjucks does, but the callee's name is written as a JSON string: a name made from a string literal with
    // a line break (`'…\n…'.format(x)`) broke nunjucks' generated code.
    this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, runtime.callWrap(`);
    this._compileExpression(node.name as NodeInstance, frame);
    this._emit(`, ${JSON.stringify(this._getNodeName(node.name as NodeInstance))}, context, `);
    this._compileAggregate(node.args as NodeInstance, frame, '[', ']');
    this._emit(`, ${node.lineno}))`);
  }

  compileJinjaTuple(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.tuple(');
    (node.items as NodeInstance[]).forEach((item, i) => {
      if (i > 0) this._emit(', ');
      this._compileExpression(item, frame);
    });
    this._emit(')');
  }

  compileJinjaSlice(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.pySlice(');
    this._compileExpression(node.target as NodeInstance, frame);
    for (const part of ['start', 'stop', 'step']) {
      this._emit(', ');
      if (node[part] === null) this._emit('null');
      else this._compileExpression(node[part] as NodeInstance, frame);
    }
    this._emit(')');
  }

  compileJinjaLoopControl(node: NodeInstance): void {
    // The body of a {% for %} is compiled inline in nunjucks' JavaScript loop: break and continue are the loop's.
    this._emitLine(node.kind === 'break' ? 'break;' : 'continue;');
  }

  compileJinjaLoopFilter(node: NodeInstance, frame: unknown): void {
    // The condition sees the loop's names bound to each item, as JavaScript variables of a filter function.
    const item = this._tmpid();
    const inner = (frame as { push(): { set(name: string, value: string): void } }).push();
    const names = node.names as NodeInstance;
    const unpack = is(names, nodes.Array);
    this._emit('runtime.loopFilter(');
    this._compileExpression(node.expr as NodeInstance, frame);
    this._emit(`, ${unpack}, function (${item}) {`);
    if (unpack) {
      names.children.forEach((name, i) => {
        const id = this._tmpid();
        this._emit(`var ${id} = ${item}[${i}];`);
        inner.set(name.value as string, id);
      });
    } else inner.set(names.value as string, item);
    this._emit('return runtime.truthy(');
    this._compileExpression(node.cond as NodeInstance, inner);
    this._emit('); })');
  }

  compileJinjaWith(node: NodeInstance, frame: unknown): void {
    const ids = (node.values as NodeInstance[]).map((value) => {
      const id = this._tmpid();
      this._emit(`var ${id} = `);
      this._compileExpression(value, frame);
      this._emitLine(';');
      return id;
    });
    // A frame of its own: the names, and what the body sets, end with the block.
    this._emitLine('frame = frame.push();');
    const inner = (frame as { push(): { set(name: string, value: string): void } }).push();
    (node.targets as string[]).forEach((name, i) => {
      this._emitLine(`frame.set(${JSON.stringify(name)}, ${ids[i]});`);
      inner.set(name, ids[i] as string);
    });
    this.compile(node.body as NodeInstance, inner);
    this._emitLine('frame = frame.pop();');
  }

  compileMul(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.pyMul(');
    this.compile(node.left as NodeInstance, frame);
    this._emit(', ');
    this.compile(node.right as NodeInstance, frame);
    this._emit(')');
  }

  /** `x is test`, `x is test(a, b)`, `x is test a`: the test's arguments separated (nunjucks ran them together). */
  compileIs(node: NodeInstance, frame: unknown): void {
    const right = node.right as NodeInstance;
    const name = right.name === undefined ? right.value : (right.name as NodeInstance).value;
    this._emit(`(env.getTest(${JSON.stringify(String(name))}).call(context, `);
    this.compile(node.left as NodeInstance, frame);
    for (const arg of (right.args as NodeInstance | undefined)?.children ?? []) {
      this._emit(', ');
      this._compileExpression(arg, frame);
    }
    this._emit(') === true)');
  }

  compileJinjaDo(node: NodeInstance, frame: unknown): void {
    this._compileExpression(node.expr as NodeInstance, frame);
    this._emitLine(';');
  }

  compileJinjaSetAttribute(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.setAttribute(');
    this._compileExpression(node.target as NodeInstance, frame);
    this._emit(`, ${JSON.stringify(node.attr)}, `);
    this._compileExpression(node.value as NodeInstance, frame);
    this._emitLine(');');
  }

  compileJinjaSpread(node: NodeInstance, frame: unknown): void {
    this._emit(`runtime.spread(${JSON.stringify(node.kind)}, `);
    this._compileExpression(node.value as NodeInstance, frame);
    this._emit(')');
  }

  compileJinjaTruth(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.truthy(');
    this._compileExpression(node.expr as NodeInstance, frame);
    this._emit(')');
  }

  compileJinjaIterable(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.pyIterable(');
    this._compileExpression(node.expr as NodeInstance, frame);
    this._emit(')');
  }

  compileJinjaKey(node: NodeInstance, frame: unknown): void {
    // A bare name is its value when defined (Jinja), else the name as text (what nunjucks templates mean by it).
    this._emit('[(function (k) { return k === undefined ? ');
    this._emit(JSON.stringify(node.name));
    this._emit(' : runtime.pyKey(k); })(');
    this._compileExpression(node.expr as NodeInstance, frame);
    this._emit(')]');
  }

  /** `f(name=value)`: the names of keyword arguments are names, never variables (unlike dict keys). */
  compileKeywordArgs(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.makeKeywordArgs({');
    node.children.forEach((pair, i) => {
      if (i > 0) this._emit(',');
      this._emit(`${JSON.stringify((pair.key as NodeInstance).value)}: `);
      this._compileExpression(pair.value as NodeInstance, frame);
    });
    this._emit('})');
  }

  compilePair(node: NodeInstance, frame: unknown): void {
    const key = node.key as NodeInstance;
    if (is(key, nodes.Literal) && typeof key.value === 'string') this.compile(key, frame);
    else if (is(key, nodes.Symbol)) this.compile(new KeyNode(key.lineno, key.colno, key, key.value), frame);
    else {
      this._emit('[runtime.pyKey(');
      this._compileExpression(key, frame);
      this._emit(')]');
    }
    this._emit(': ');
    this._compileExpression(node.value as NodeInstance, frame);
  }

  override compileIf(node: NodeInstance, frame: unknown, async?: boolean): void {
    const cond = node.cond as NodeInstance;
    if (!is(cond, TruthNode)) node.cond = new TruthNode(cond.lineno, cond.colno, cond);
    super.compileIf(node, frame, async);
  }

  compileInlineIf(node: NodeInstance, frame: unknown): void {
    this._emit('(runtime.truthy(');
    this.compile(node.cond as NodeInstance, frame);
    this._emit(') ? ');
    this.compile(node.body as NodeInstance, frame);
    this._emit(' : ');
    if (node.else_ !== null && node.else_ !== undefined) this.compile(node.else_ as NodeInstance, frame);
    else this._emit('""');
    this._emit(')');
  }

  compileNot(node: NodeInstance, frame: unknown): void {
    this._emit('!runtime.truthy(');
    this.compile(node.target as NodeInstance, frame);
    this._emit(')');
  }

  compileAnd(node: NodeInstance, frame: unknown): void {
    this.shortCircuit('pyAnd', node, frame);
  }

  compileOr(node: NodeInstance, frame: unknown): void {
    this.shortCircuit('pyOr', node, frame);
  }

  private shortCircuit(helper: string, node: NodeInstance, frame: unknown): void {
    this._emit(`runtime.${helper}(`);
    this.compile(node.left as NodeInstance, frame);
    this._emit(', () => (');
    this.compile(node.right as NodeInstance, frame);
    this._emit('))');
  }

  compileAdd(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.pyAdd(');
    this.compile(node.left as NodeInstance, frame);
    this._emit(', ');
    this.compile(node.right as NodeInstance, frame);
    this._emit(')');
  }

  compileSub(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.pySub(');
    this.compile(node.left as NodeInstance, frame);
    this._emit(', ');
    this.compile(node.right as NodeInstance, frame);
    this._emit(')');
  }

  compileConcat(node: NodeInstance, frame: unknown): void {
    this._emit('runtime.pyConcat(');
    this.compile(node.left as NodeInstance, frame);
    this._emit(', ');
    this.compile(node.right as NodeInstance, frame);
    this._emit(')');
  }

  override compileCompare(node: NodeInstance, frame: unknown): void {
    const ops = node.ops as NodeInstance[];
    const op = ops[0];
    if (ops.length !== 1 || op === undefined || (op.type !== '==' && op.type !== '!=')) {
      super.compileCompare(node, frame);
      return;
    }
    this._emit(op.type === '==' ? 'runtime.pyEquals(' : '!runtime.pyEquals(');
    this.compile(node.expr as NodeInstance, frame);
    this._emit(', ');
    this.compile(op.expr as NodeInstance, frame);
    this._emit(')');
  }

  override compileFor(node: NodeInstance, frame: unknown): void {
    const arr = node.arr as NodeInstance;
    if (!is(node.name, nodes.Array) && !is(arr, IterableNode) && !is(arr, LoopFilterNode)) {
      node.arr = new IterableNode(arr.lineno, arr.colno, arr);
    }
    super.compileFor(node, frame);
  }

  /** Jinja's `loop.cycle(…)`, `loop.previtem` and `loop.nextitem` besides nunjucks' `loop.index`, `loop.last`, … */
  override _emitLoopBindings(node: NodeInstance, arr: string, i: string, len: string): void {
    super._emitLoopBindings(node, arr, i, len);
    this._emitLine(`frame.set("loop.cycle", runtime.loopCycle(${i}));`);
    this._emitLine(`if (runtime.isArray(${arr})) {`);
    this._emitLine(`frame.set("loop.previtem", ${i} > 0 ? ${arr}[${i} - 1] : undefined);`);
    this._emitLine(`frame.set("loop.nextitem", ${i} + 1 < ${len} ? ${arr}[${i} + 1] : undefined); }`);
  }

  compileCaller(node: NodeInstance, frame: unknown): void {
    this._emit('(function (){');
    const funcId = this._compileMacro(node, frame);
    this._emit(`return runtime.markCaller(${funcId});})()`);
  }

  override _emitLines(...lines: string[]): void {
    super._emitLines(...lines);
    // The opening lines of a macro's function: expose Jinja's `varargs` and `kwargs` to its body.
    if (lines.includes('kwargs = kwargs || {};')) {
      super._emitLine('frame.set("varargs", kwargs.__varargs || []);');
      super._emitLine('frame.set("kwargs", kwargs.__extraKwargs || {});');
      // The macro's frame is a variable it shares with the template: give the caller's back however the body ends
      // (a return() is thrown), or the caller goes on in the callee's frame and its loops pop past their own.
      super._emitLine('try {');
    }
  }

  override _emitLine(code: string): void {
    if (code.startsWith('return new runtime.SafeString(')) super._emitLine('} finally { frame = callerFrame; }');
    super._emitLine(code);
  }
}

interface StringScanner {
  forward(): void;
  current(): string;
  isFinished(): boolean;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

/**
 * A string literal's escapes as Python reads them (Jinja decodes literals with Python's rules): `\n`, `\t`, `\\`,
 * `\'`, `\x41`, `\u00e9`, octal, a backslash before a line break joins the lines, and an unknown escape keeps its
 * backslash (`'\d+'` is a regex's `\d+`; nunjucks dropped the backslash). Installed on each template's tokenizer.
 */
function parsePythonString(this: StringScanner, delimiter: string): string {
  this.forward();
  let str = '';
  const take = (count: number, digits: RegExp): string => {
    let text = '';
    while (text.length < count && !this.isFinished() && digits.test(this.current())) {
      text += this.current();
      this.forward();
    }
    return text;
  };
  while (!this.isFinished() && this.current() !== delimiter) {
    const c = this.current();
    this.forward();
    if (c !== '\\') {
      str += c;
      continue;
    }
    const e = this.current();
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      this.forward();
      str += simple;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      this.forward();
      const hex = take(e === 'x' ? 2 : e === 'u' ? 4 : 8, /[0-9a-fA-F]/);
      str += String.fromCodePoint(Number.parseInt(hex || '0', 16));
    } else if (/[0-7]/.test(e)) {
      str += String.fromCharCode(Number.parseInt(take(3, /[0-7]/), 8));
    } else str += `\\`;
  }
  this.forward();
  return str;
}

/** What `compileJinja` needs to know besides the source. */
export interface JinjaCompileOptions {
  /** Names the template resolves before the environment's globals: a package's own macros (dbt's local namespace). */
  readonly scope?: Readonly<Record<string, unknown>>;
  /** Told the context of every render (to collect what a macro file defines). */
  readonly onContext?: (context: { ctx: Record<string, unknown> }) => void;
  /** `{{ undefined_name }}` renders as nothing (dbt's behaviour) instead of being an error. Default false. */
  readonly lenientUndefined?: boolean;
}

type RootFunction = (env: unknown, context: unknown, frame: unknown, runtime: unknown, cb: unknown) => void;

/**
 * Parse and compile a Jinja template into a nunjucks `Template` that runs with Jinja's semantics. Syntax errors
 * throw nunjucks' error, with the line.
 *
 * @example compileJinja("{% do cols.append('a') %}{{ cols | join(', ') }}", env, 'models/x.sql').render({ cols: [] })
 */
export function compileJinja(
  source: string,
  env: nunjucks.Environment,
  file: string,
  options: JinjaCompileOptions = {},
): nunjucks.Template {
  const envInternals = env as unknown as { extensionsList: unknown[]; asyncFilters: string[]; opts: object };
  const tokens = lexer.lex(source, envInternals.opts) as { _parseString: typeof parsePythonString };
  tokens._parseString = parsePythonString;
  const parser = new JinjaParser(tokens);
  parser.extensions = envInternals.extensionsList;
  const ast = (
    transformer as { transform(ast: unknown, asyncFilters: string[], name: string): NodeInstance }
  ).transform(parser.parseAsRoot(), envInternals.asyncFilters, file);
  const compiler = new JinjaCompiler(file, true);
  compiler.compile(ast, undefined);
  // The compiled template is code generated here from the template, as nunjucks itself does.
  const props = new Function(compiler.getCode())() as Record<string, RootFunction>;
  const { scope, onContext } = options;
  const runtime = templateRuntime(file, { strictUndefined: options.lenientUndefined !== true });
  const wrapped: Record<string, RootFunction> = {};
  for (const [name, fn] of Object.entries(props)) {
    wrapped[name] = (e, context, frame, _runtime, cb) => {
      const c = context as { ctx: Record<string, unknown> };
      if (scope !== undefined) c.ctx = Object.assign(Object.create(scope) as Record<string, unknown>, c.ctx);
      onContext?.(c);
      fn(e, context, frame, runtime, cb);
    };
  }
  return new nunjucks.Template({ type: 'code', obj: wrapped } as unknown as string, env, file, true);
}
