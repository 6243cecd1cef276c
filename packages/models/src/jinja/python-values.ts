import nunjucks from 'nunjucks';
import { callArguments } from '../call-arguments.js';

/*
 * Python's rules for the values templates handle, where JavaScript's differ and dbt packages rely on Python's:
 * an empty list or dict is false, `==` compares lists by their items and never converts a string to a number,
 * `str()` of `None`/`True`/a list is `None`/`True`/`['a']`, and strings, lists and dicts have Python's methods
 * (`' x '.strip()`, `cols.append(c)`, `d.update({...})`). Jinja templates see these through `jinja-runtime.ts`.
 */

const SafeString = (nunjucks.runtime as unknown as { SafeString: new (value: string) => object }).SafeString;

/** A nunjucks SafeString (macro output) is a string to Python. */
export function isSafeString(value: unknown): boolean {
  return value instanceof SafeString;
}

/** A primitive string for a string or SafeString, else `undefined`. */
export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof SafeString) return String(value);
  return undefined;
}

/** A plain mapping (a Python dict written in a template, or a YAML mapping): not a class instance. */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Python's truth value. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0 && !Number.isNaN(value);
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value.length > 0;
    case 'function':
      return true;
    default:
      break;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof SafeString) return String(value).length > 0;
  if (value instanceof Set || value instanceof Map) return value.size > 0;
  if (isDict(value)) return Object.keys(value).some((k) => k !== '__keywords');
  const bool = (value as { __bool__?: () => boolean }).__bool__;
  return typeof bool === 'function' ? bool.call(value) : true;
}

/** `str(value)` as Python (and Jinja's `{{ }}` and `~`) write it. */
export function pyStr(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof SafeString) return String(value);
  if (Array.isArray(value) || value instanceof Set || isDict(value)) return pyRepr(value);
  return String(value);
}

/** `repr(value)`: strings quoted, lists and dicts written as Python writes them. */
export function pyRepr(value: unknown): string {
  const text = asString(value);
  if (text !== undefined) return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (value instanceof PyTuple)
    return value.length === 1 ? `(${pyRepr(value[0])},)` : `(${value.map(pyRepr).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value instanceof Set) return value.size === 0 ? 'set()' : `{${[...value].map(pyRepr).join(', ')}}`;
  if (isDict(value)) {
    return `{${Object.entries(value)
      .filter(([k]) => k !== '__keywords')
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return pyStr(value);
}

/** Python's `==`. */
export function pyEquals(a: unknown, b: unknown): boolean {
  const sa = asString(a);
  const sb = asString(b);
  if (sa !== undefined || sb !== undefined) return sa === sb;
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  const numeric = (v: unknown): boolean => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint';
  if (numeric(a) && numeric(b)) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a instanceof PyTuple !== b instanceof PyTuple) return false; // (1, 2) == [1, 2] is False in Python
    return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  }
  if (a instanceof Set && b instanceof Set) return a.size === b.size && [...a].every((x) => b.has(x));
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a).filter((k) => k !== '__keywords');
    const kb = Object.keys(b).filter((k) => k !== '__keywords');
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  const eq = (a as { __eq__?: (other: unknown) => boolean }).__eq__;
  if (typeof eq === 'function') return eq.call(a, b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return false;
}

/** Python's `in`. */
export function pyContains(container: unknown, item: unknown): boolean {
  const text = asString(container);
  if (text !== undefined) return text.includes(pyStr(item));
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
  if (container instanceof Set) return container.has(item) || [...container].some((x) => pyEquals(x, item));
  if (container instanceof Map) return container.has(item);
  if (container !== null && typeof container === 'object') {
    const contains = (container as { __contains__?: (x: unknown) => boolean }).__contains__;
    if (typeof contains === 'function') return contains.call(container, item);
    return Object.hasOwn(container, String(item));
  }
  throw new Error(`"in" needs a string, list or mapping on its right, not ${pyStr(container)}.`);
}

/** Python's `a + b`: lists concatenate, strings join, numbers add. */
export function pyAdd(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  const add = (a as { __add__?: (other: unknown) => unknown } | null)?.__add__;
  if (typeof add === 'function') return add.call(a, b);
  const sa = asString(a);
  const sb = asString(b);
  if (sa !== undefined && sb !== undefined) return sa + sb;
  return (a as number) + (b as number);
}

/** Python's `a - b`: numbers, or values that define subtraction (dates and timedeltas). */
export function pySub(a: unknown, b: unknown): unknown {
  const sub = (a as { __sub__?: (other: unknown) => unknown } | null)?.__sub__;
  if (typeof sub === 'function') return sub.call(a, b);
  return (a as number) - (b as number);
}

/** What a `for` loop walks: a dict's keys, a set's items, anything iterable as an array. */
export function pyIterable(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (Array.isArray(value) || typeof value === 'string') return value;
  if (value instanceof SafeString) return String(value);
  if (isDict(value)) return Object.keys(value).filter((k) => k !== '__keywords');
  if (typeof value === 'object' && Symbol.iterator in value) return [...(value as Iterable<unknown>)];
  return value;
}

/** A Python set: the values `set(...)` makes in a template. */
export class PySet extends Set<unknown> {
  static of(items: unknown): PySet {
    const set = new PySet();
    for (const item of (pyIterable(items) as Iterable<unknown> | undefined) ?? []) set.add(normalizeKey(item));
    return set;
  }
  override add(value: unknown): this {
    return super.add(normalizeKey(value));
  }
  override has(value: unknown): boolean {
    return super.has(normalizeKey(value));
  }
  override delete(value: unknown): boolean {
    return super.delete(normalizeKey(value));
  }
  union(...others: unknown[]): PySet {
    const out = PySet.of(this);
    for (const other of others) for (const v of PySet.of(other)) out.add(v);
    return out;
  }
  intersection(...others: unknown[]): PySet {
    const sets = others.map((o) => PySet.of(o));
    return PySet.of([...this].filter((v) => sets.every((s) => s.has(v))));
  }
  difference(...others: unknown[]): PySet {
    const sets = others.map((o) => PySet.of(o));
    return PySet.of([...this].filter((v) => !sets.some((s) => s.has(v))));
  }
  symmetric_difference(other: unknown): PySet {
    const o = PySet.of(other);
    return PySet.of([...[...this].filter((v) => !o.has(v)), ...[...o].filter((v) => !this.has(v))]);
  }
  issubset(other: unknown): boolean {
    const o = PySet.of(other);
    return [...this].every((v) => o.has(v));
  }
  issuperset(other: unknown): boolean {
    return [...PySet.of(other)].every((v) => this.has(v));
  }
  update(...others: unknown[]): null {
    for (const other of others) for (const v of PySet.of(other)) this.add(v);
    return null;
  }
  remove(value: unknown): null {
    if (!this.delete(value)) throw new Error(`KeyError: ${pyRepr(value)}`);
    return null;
  }
  discard(value: unknown): null {
    this.delete(value);
    return null;
  }
  copy(): PySet {
    return PySet.of(this);
  }
  __eq__(other: unknown): boolean {
    return other instanceof Set && other.size === this.size && [...other].every((v) => this.has(v));
  }
  override toString(): string {
    return pyRepr(this);
  }
}

/** Set members and dict keys compare as Python values: a SafeString and a string are the same key. */
function normalizeKey(value: unknown): unknown {
  return value instanceof SafeString ? String(value) : value;
}

function keywordsOf(args: readonly unknown[]): { positional: readonly unknown[]; keywords: Record<string, unknown> } {
  const { positional, keywords } = callArguments(args);
  return { positional, keywords: { ...keywords } };
}

function pyStrip(text: string, chars: unknown, where: 'both' | 'left' | 'right'): string {
  const set = chars === undefined || chars === null ? undefined : new Set(pyStr(chars));
  const strip = (c: string): boolean => (set === undefined ? /\s/.test(c) : set.has(c));
  let start = 0;
  let end = text.length;
  if (where !== 'right') while (start < end && strip(text[start] as string)) start++;
  if (where !== 'left') while (end > start && strip(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

function pySplit(text: string, separator: unknown, maxSplit: unknown): string[] {
  const max = maxSplit === undefined || maxSplit === null ? -1 : Number(maxSplit);
  if (separator === undefined || separator === null) {
    const parts = text
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '');
    if (max < 0 || parts.length <= max + 1) return parts;
    // Keep the rest of the text, whitespace included, after the last split.
    let rest = text.trimStart();
    const out: string[] = [];
    for (let i = 0; i < max; i++) {
      const m = /^(\S+)\s+/.exec(rest);
      if (!m) break;
      out.push(m[1] as string);
      rest = rest.slice(m[0].length);
    }
    out.push(rest);
    return out;
  }
  const sep = pyStr(separator);
  if (sep === '') throw new Error('ValueError: empty separator');
  const parts = text.split(sep);
  if (max < 0 || parts.length <= max + 1) return parts;
  return [...parts.slice(0, max), parts.slice(max).join(sep)];
}

/** `'{} and {name}'.format(a, name=b)`: positional `{}` / `{0}` and named `{name}` fields (no format specs). */
function pyFormat(template: string, args: readonly unknown[]): string {
  const { positional, keywords } = keywordsOf(args);
  let auto = 0;
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, field: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const name = (field ?? '').split(/[:!]/)[0] as string;
    if (name === '') return pyStr(positional[auto++]);
    if (/^\d+$/.test(name)) return pyStr(positional[Number(name)]);
    return pyStr(keywords[name]);
  });
}

/** Python's `%` formatting for `'%s' | format(x)` and `'%s' % x`: `%s`, `%d`, `%i`, `%f` and `%%`. */
export function percentFormat(template: string, values: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%(%|[-+ 0#]*\d*(?:\.\d+)?[sdifr])/g, (_match, spec: string) => {
    if (spec === '%') return '%';
    const value = values[i++];
    const kind = spec.at(-1);
    if (kind === 'd' || kind === 'i') return String(Math.trunc(Number(value)));
    if (kind === 'f') {
      const precision = /\.(\d+)/.exec(spec);
      return Number(value).toFixed(precision ? Number(precision[1]) : 6);
    }
    if (kind === 'r') return pyRepr(value);
    return pyStr(value);
  });
}

type Method = (self: never, ...args: unknown[]) => unknown;

const STRING_METHODS: Record<string, (self: string, ...args: unknown[]) => unknown> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  strip: (s, chars) => pyStrip(s, chars, 'both'),
  lstrip: (s, chars) => pyStrip(s, chars, 'left'),
  rstrip: (s, chars) => pyStrip(s, chars, 'right'),
  split: (s, sep, max) => pySplit(s, sep, max),
  rsplit: (s, sep, max) => {
    if (max === undefined || max === null || Number(max) < 0) return pySplit(s, sep, undefined);
    const reversed = pySplit(
      [...s].reverse().join(''),
      sep === undefined ? sep : [...pyStr(sep)].reverse().join(''),
      max,
    );
    return reversed.map((p) => [...p].reverse().join('')).reverse();
  },
  splitlines: (s) => s.split(/\r\n|\r|\n/).filter((line, i, all) => i < all.length - 1 || line !== ''),
  replace: (s, old, replacement, count) => {
    const from = pyStr(old);
    const to = pyStr(replacement);
    if (count === undefined || count === null || Number(count) < 0) return s.split(from).join(to);
    let out = s;
    let position = 0;
    for (let n = 0; n < Number(count); n++) {
      const at = out.indexOf(from, position);
      if (at < 0) break;
      out = out.slice(0, at) + to + out.slice(at + from.length);
      position = at + to.length;
    }
    return out;
  },
  startswith: (s, prefix) =>
    Array.isArray(prefix) ? prefix.some((p) => s.startsWith(pyStr(p))) : s.startsWith(pyStr(prefix)),
  endswith: (s, suffix) =>
    Array.isArray(suffix) ? suffix.some((p) => s.endsWith(pyStr(p))) : s.endsWith(pyStr(suffix)),
  find: (s, sub) => s.indexOf(pyStr(sub)),
  rfind: (s, sub) => s.lastIndexOf(pyStr(sub)),
  index: (s, sub) => {
    const at = s.indexOf(pyStr(sub));
    if (at < 0) throw new Error('ValueError: substring not found');
    return at;
  },
  count: (s, sub) => s.split(pyStr(sub)).length - 1,
  join: (s, items) => ((pyIterable(items) as unknown[] | undefined) ?? []).map(pyStr).join(s),
  format: (s, ...args) => pyFormat(s, args),
  title: (s) => s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase()),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  isdigit: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\d+$/.test(s),
  isdecimal: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^[A-Za-z]+$/.test(s),
  isalnum: (s) => /^[A-Za-z0-9]+$/.test(s),
  isspace: (s) => /^\s+$/.test(s),
  isupper: (s) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  islower: (s) => /[a-z]/.test(s) && s === s.toLowerCase(),
  zfill: (s, width) => s.padStart(Number(width), '0'),
  ljust: (s, width, fill) => s.padEnd(Number(width), fill === undefined ? ' ' : pyStr(fill)),
  rjust: (s, width, fill) => s.padStart(Number(width), fill === undefined ? ' ' : pyStr(fill)),
  center: (s, width) => {
    const total = Math.max(0, Number(width) - s.length);
    return ' '.repeat(Math.floor(total / 2)) + s + ' '.repeat(Math.ceil(total / 2));
  },
  partition: (s, sep) => {
    const at = s.indexOf(pyStr(sep));
    return at < 0 ? [s, '', ''] : [s.slice(0, at), pyStr(sep), s.slice(at + pyStr(sep).length)];
  },
  encode: (s) => s,
  decode: (s) => s,
};

const LIST_METHODS: Record<string, (self: unknown[], ...args: unknown[]) => unknown> = {
  append: (l, item) => {
    l.push(item);
    return null;
  },
  extend: (l, items) => {
    l.push(...(((pyIterable(items) as unknown[] | undefined) ?? []) as unknown[]));
    return null;
  },
  insert: (l, index, item) => {
    l.splice(Number(index), 0, item);
    return null;
  },
  pop: (l, index) => {
    if (l.length === 0) throw new Error('IndexError: pop from empty list');
    if (index === undefined) return l.pop();
    const i = Number(index) < 0 ? l.length + Number(index) : Number(index);
    if (i < 0 || i >= l.length) throw new Error('IndexError: pop index out of range');
    return l.splice(i, 1)[0];
  },
  remove: (l, item) => {
    const at = l.findIndex((x) => pyEquals(x, item));
    if (at < 0) throw new Error(`ValueError: ${pyRepr(item)} is not in list`);
    l.splice(at, 1);
    return null;
  },
  index: (l, item) => {
    const at = l.findIndex((x) => pyEquals(x, item));
    if (at < 0) throw new Error(`ValueError: ${pyRepr(item)} is not in list`);
    return at;
  },
  count: (l, item) => l.filter((x) => pyEquals(x, item)).length,
  copy: (l) => [...l],
  clear: (l) => {
    l.length = 0;
    return null;
  },
  reverse: (l) => {
    l.reverse();
    return null;
  },
  sort: (l, ...args) => {
    const { keywords } = keywordsOf(args);
    l.sort(compareValues);
    if (truthy(keywords.reverse)) l.reverse();
    return null;
  },
};

const DICT_METHODS: Record<string, (self: Record<string, unknown>, ...args: unknown[]) => unknown> = {
  items: (d) => dictKeys(d).map((k) => [k, d[k]]),
  iteritems: (d) => dictKeys(d).map((k) => [k, d[k]]),
  keys: (d) => dictKeys(d),
  iterkeys: (d) => dictKeys(d),
  values: (d) => dictKeys(d).map((k) => d[k]),
  itervalues: (d) => dictKeys(d).map((k) => d[k]),
  get: (d, key, fallback) => {
    const k = pyStr(key);
    return Object.hasOwn(d, k) && k !== '__keywords' ? d[k] : fallback === undefined ? null : fallback;
  },
  has_key: (d, key) => Object.hasOwn(d, pyStr(key)),
  pop: (d, key, ...rest) => {
    const k = pyStr(key);
    if (Object.hasOwn(d, k)) {
      const value = d[k];
      delete d[k];
      return value;
    }
    if (rest.length > 0) return rest[0];
    throw new Error(`KeyError: ${pyRepr(key)}`);
  },
  popitem: (d) => {
    const k = dictKeys(d).at(-1);
    if (k === undefined) throw new Error('KeyError: popitem(): dictionary is empty');
    const value = d[k];
    delete d[k];
    return [k, value];
  },
  setdefault: (d, key, fallback) => {
    const k = pyStr(key);
    if (!Object.hasOwn(d, k)) d[k] = fallback === undefined ? null : fallback;
    return d[k];
  },
  update: (d, ...args) => {
    const { positional, keywords } = keywordsOf(args);
    for (const source of positional) {
      if (Array.isArray(source)) for (const pair of source) d[pyStr((pair as unknown[])[0])] = (pair as unknown[])[1];
      else if (source !== null && typeof source === 'object')
        for (const k of dictKeys(source as Record<string, unknown>)) d[k] = (source as Record<string, unknown>)[k];
    }
    Object.assign(d, keywords);
    return null;
  },
  copy: (d) => Object.fromEntries(dictKeys(d).map((k) => [k, d[k]])),
  clear: (d) => {
    for (const k of Object.keys(d)) delete d[k];
    return null;
  },
};

function dictKeys(d: Record<string, unknown>): string[] {
  return Object.keys(d).filter((k) => k !== '__keywords');
}

/** Python's ordering for `sort`: numbers by value, strings by code point, None first. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  const sa = asString(a);
  const sb = asString(b);
  if (sa !== undefined && sb !== undefined) return sa < sb ? -1 : sa > sb ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  const na = Number(a);
  const nb = Number(b);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * The Python method `name` of `value` bound to it (`'a,b'.split`, `cols.append`, `d.items`), or `undefined` when
 * Python has none of that name for this kind of value.
 */
export function pythonMethod(value: unknown, name: string): ((...args: unknown[]) => unknown) | undefined {
  let table: Record<string, Method> | undefined;
  let self: unknown = value;
  if (typeof value === 'string' || value instanceof SafeString) {
    table = STRING_METHODS as Record<string, Method>;
    self = String(value);
  } else if (Array.isArray(value)) table = LIST_METHODS as Record<string, Method>;
  else if (isDict(value)) table = DICT_METHODS as Record<string, Method>;
  if (table === undefined || !Object.hasOwn(table, name)) return undefined;
  const method = table[name] as (self: unknown, ...args: unknown[]) => unknown;
  return (...args: unknown[]) => method(self, ...args);
}

/** A Python tuple (`(1, 2)` in a template): a list to everything else, written as Python writes a tuple. */
export class PyTuple extends Array<unknown> {
  // `map`, `filter` and `slice` of a tuple make plain lists, not tuples of a given length.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
}

/** A tuple of these items. */
export function tupleOf(...items: unknown[]): PyTuple {
  const tuple = new PyTuple();
  for (const item of items) tuple.push(item);
  return tuple;
}

/** Python's `a * b`: a string or list repeated, numbers multiplied, values that define `__mul__`. */
export function pyMul(a: unknown, b: unknown): unknown {
  const repeat = (seq: unknown, times: unknown): unknown => {
    if (typeof times !== 'number' && typeof times !== 'boolean') return undefined;
    const n = Math.max(0, Number(times));
    if (!Number.isInteger(n)) return undefined;
    const text = asString(seq);
    if (text !== undefined) return text.repeat(n);
    if (!Array.isArray(seq)) return undefined;
    const out: unknown[] = seq instanceof PyTuple ? new PyTuple() : [];
    for (let i = 0; i < n; i++) out.push(...seq);
    return out;
  };
  const repeated = repeat(a, b) ?? repeat(b, a);
  if (repeated !== undefined) return repeated;
  const mul = (a as { __mul__?: (other: unknown) => unknown } | null)?.__mul__;
  if (typeof mul === 'function') return mul.call(a, b);
  return (a as number) * (b as number);
}

/** Python's `seq[start:stop:step]` on a string (a string), a list or a tuple; `None` bounds are the ends. */
export function pySlice(value: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const text = asString(value);
  const seq: ArrayLike<unknown> | undefined = text ?? (Array.isArray(value) ? value : undefined);
  if (seq === undefined) throw new TypeError(`cannot slice ${pyRepr(value)}: only strings, lists and tuples slice.`);
  const by = step === undefined || step === null ? 1 : Number(step);
  if (by === 0 || !Number.isInteger(by)) throw new Error('ValueError: slice step must be a non-zero integer');
  const n = seq.length;
  const [lower, upper] = by > 0 ? [0, n] : [-1, n - 1];
  const bound = (v: unknown, fallback: number): number => {
    if (v === undefined || v === null) return fallback;
    const i = Number(v);
    return i < 0 ? Math.max(i + n, lower) : Math.min(i, upper);
  };
  const from = bound(start, by > 0 ? lower : upper);
  const to = bound(stop, by > 0 ? upper : lower);
  if (by === 1) return text !== undefined ? text.slice(from, to) : (value as unknown[]).slice(from, to);
  const picked: unknown[] = [];
  for (let i = from; by > 0 ? i < to : i > to; i += by) picked.push(seq[i]);
  if (text !== undefined) return picked.join('');
  return value instanceof PyTuple ? tupleOf(...picked) : picked;
}

/**
 * What a `for … if cond` loop walks: the items `keep` accepts (Jinja filters before counting, so `loop.index`
 * counts kept items). `pairs`: the loop unpacks each item (`for k, v in d`), so a dict gives its items.
 */
export function loopFilter(value: unknown, pairs: boolean, keep: (item: unknown) => boolean): unknown {
  if (value === undefined || value === null) return value;
  let items: unknown;
  if (pairs && isDict(value)) items = Object.entries(value).filter(([k]) => k !== '__keywords');
  else items = pyIterable(value);
  if (typeof items === 'string') items = Array.from(items);
  if (!Array.isArray(items)) throw new TypeError(`cannot loop over ${pyRepr(value)}: it is not iterable.`);
  return items.filter((item) => keep(item));
}
