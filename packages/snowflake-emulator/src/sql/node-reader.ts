import { SnowflakeEmulatorError } from '../emulator-error.js';
import { readObjectName } from './object-name.js';
import {
  isOp,
  isParenGroup,
  isTriviaNode,
  isWord,
  nextSignificant,
  render,
  type GroupNode,
  type SqlNode,
} from './syntax-tree.js';

/** A cursor over the top-level nodes of a statement, for the keyword-driven parts of its grammar. */
export class NodeReader {
  readonly nodes: readonly SqlNode[];
  index: number;

  constructor(nodes: readonly SqlNode[], index = 0) {
    this.nodes = nodes;
    this.index = index;
  }

  /** The next significant node, without consuming it. */
  peek(offset = 0): SqlNode | undefined {
    let i = this.index;
    for (let k = 0; ; k++) {
      const j = nextSignificant(this.nodes, i);
      if (j < 0) return undefined;
      if (k === offset) return this.nodes[j];
      i = j + 1;
    }
  }

  /** Is the next significant node one of these words? */
  peekWord(...words: string[]): boolean {
    return isWord(this.peek(), ...words);
  }

  /** Consume the next node if it is one of these words; returns the word. */
  acceptWord(...words: string[]): string | undefined {
    const j = nextSignificant(this.nodes, this.index);
    const node = j >= 0 ? this.nodes[j] : undefined;
    if (isWord(node, ...words) && node?.type === 'token') {
      this.index = j + 1;
      return node.token.value;
    }
    return undefined;
  }

  /** Consume a sequence of words, all or nothing. */
  acceptWords(...words: string[]): boolean {
    const save = this.index;
    for (const w of words) {
      if (this.acceptWord(w) === undefined) {
        this.index = save;
        return false;
      }
    }
    return true;
  }

  /** Consume a word or fail with a syntax error naming what was found. */
  expectWord(...words: string[]): string {
    const w = this.acceptWord(...words);
    if (w === undefined) throw this.unexpected(`expected ${words.join(' or ')}`);
    return w;
  }

  /** Consume the operator if it is next. */
  acceptOp(op: string): boolean {
    const j = nextSignificant(this.nodes, this.index);
    if (j >= 0 && isOp(this.nodes[j], op)) {
      this.index = j + 1;
      return true;
    }
    return false;
  }

  /** Consume a `( … )` group if it is next. */
  acceptGroup(): GroupNode | undefined {
    const j = nextSignificant(this.nodes, this.index);
    const node = j >= 0 ? this.nodes[j] : undefined;
    if (isParenGroup(node)) {
      this.index = j + 1;
      return node;
    }
    return undefined;
  }

  /** Consume a dotted object name, or fail. */
  expectName(): string[] {
    const name = readObjectName(this.nodes, this.index);
    if (!name) throw this.unexpected('expected an object name');
    this.index = name.next;
    return name.parts;
  }

  /** Consume a dotted object name if one is next. */
  acceptName(): string[] | undefined {
    const name = readObjectName(this.nodes, this.index);
    if (!name) return undefined;
    this.index = name.next;
    return name.parts;
  }

  /** Consume a string literal if it is next. */
  acceptString(): string | undefined {
    const j = nextSignificant(this.nodes, this.index);
    const node = j >= 0 ? this.nodes[j] : undefined;
    if (node?.type === 'token' && node.token.kind === 'string') {
      this.index = j + 1;
      return node.token.value;
    }
    return undefined;
  }

  /** Consume the next significant node whatever it is. */
  take(): SqlNode | undefined {
    const j = nextSignificant(this.nodes, this.index);
    if (j < 0) return undefined;
    this.index = j + 1;
    return this.nodes[j];
  }

  /** The remaining nodes. */
  rest(): SqlNode[] {
    return this.nodes.slice(this.index);
  }

  /** Only trivia remains. */
  atEnd(): boolean {
    return this.nodes.slice(this.index).every((n) => isTriviaNode(n));
  }

  /** Fail unless only trivia remains. */
  expectEnd(): void {
    if (!this.atEnd()) throw this.unexpected('unexpected text');
  }

  /** A syntax error pointing at the next node. */
  unexpected(detail: string): SnowflakeEmulatorError {
    const node = this.peek();
    const found = node ? render([node]).trim() : '<EOF>';
    const position = node?.type === 'token' ? node.token.start : node?.type === 'group' ? node.open.start : -1;
    return SnowflakeEmulatorError.sql(
      '001003',
      '42000',
      `SQL compilation error:\nsyntax error line 1 at position ${position} unexpected '${found}' (${detail}).`,
    );
  }
}
