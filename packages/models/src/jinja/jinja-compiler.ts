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

const OWN_NODES = [DoNode, SetAttributeNode, SpreadNode, TruthNode, IterableNode, KeyNode];

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
    return super.parseStatement();
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
    if (!is(node.name, nodes.Array) && !is(arr, IterableNode)) {
      node.arr = new IterableNode(arr.lineno, arr.colno, arr);
    }
    super.compileFor(node, frame);
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
    }
  }
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
  const parser = new JinjaParser(lexer.lex(source, envInternals.opts));
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
