import { createHash } from 'node:crypto';
import type nunjucks from 'nunjucks';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { callArguments } from '../call-arguments.js';
import {
  asString,
  compareValues,
  isDict,
  isSafeString,
  percentFormat,
  PySet,
  pyEquals,
  pyIterable,
  pyStr,
  truthy,
  tupleOf,
} from './python-values.js';

/*
 * The filters, tests and global functions of Jinja (and dbt's additions to them) that nunjucks lacks or that it
 * defines differently: `map`, `unique`, `min`, `max`, `items`, `tojson`, `as_bool`…, the `none`, `mapping`,
 * `sequence`… tests, and `dict`, `list`, `set`, `zip`, `namespace`, `fromjson`, `tojson`, `fromyaml`, `toyaml`,
 * `local_md5`, `print`. Installed on the project's Environment by `installJinjaBuiltins`.
 */

type Fn = (...args: unknown[]) => unknown;

/** Marks an object as a Python mapping (`is mapping`): dbt's relations are. */
export const MAPPING = Symbol.for('sluice.jinja.mapping');

function items(value: unknown): unknown[] {
  const iterable = pyIterable(value);
  if (iterable === undefined || iterable === null) return [];
  if (typeof iterable === 'string') return [...iterable];
  return Array.isArray(iterable) ? iterable : [...(iterable as Iterable<unknown>)];
}

/** `item.attr` / `item['a.b']` (Jinja's attribute= arguments, dotted paths allowed). */
function attributeOf(item: unknown, attribute: unknown): unknown {
  if (typeof attribute === 'number') return (item as unknown[] | undefined)?.[attribute];
  let value: unknown = item;
  for (const part of pyStr(attribute).split('.')) {
    if (value === null || value === undefined) return undefined;
    const key = /^\d+$/.test(part) && Array.isArray(value) ? Number(part) : part;
    value = (value as Record<string | number, unknown>)[key];
    if (typeof value === 'function') value = undefined;
  }
  return value;
}

function toJson(value: unknown, indent?: unknown): string {
  return JSON.stringify(
    value,
    (key, v) => {
      if (key === '__keywords') return undefined;
      if (v instanceof Set) return [...v];
      if (typeof v === 'bigint') return Number(v);
      if (isSafeString(v)) return String(v);
      return v;
    },
    indent === undefined || indent === null ? undefined : Number(indent),
  );
}

function asBool(value: unknown): unknown {
  const text = asString(value);
  if (text === undefined) return value;
  const t = text.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  return value;
}

function asNumber(value: unknown): unknown {
  const text = asString(value);
  if (text === undefined || text.trim() === '') return value;
  const n = Number(text);
  return Number.isNaN(n) ? value : n;
}

/** dbt's `as_native`: a string that is a Python/JSON literal becomes that value. */
function asNative(value: unknown): unknown {
  const text = asString(value)?.trim();
  if (text === undefined) return value;
  const bool = asBool(text);
  if (typeof bool === 'boolean') return bool;
  if (text === 'None') return null;
  const n = asNumber(text);
  if (typeof n === 'number') return n;
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(
        text
          .replaceAll("'", '"')
          .replace(/\bNone\b/g, 'null')
          .replace(/\bTrue\b/g, 'true')
          .replace(/\bFalse\b/g, 'false'),
      );
    } catch {
      return value;
    }
  }
  return value;
}

const jinjaTests: Record<string, Fn> = {
  none: (v) => v === null,
  defined: (v) => v !== undefined,
  undefined: (v) => v === undefined,
  string: (v) => typeof v === 'string' || isSafeString(v),
  number: (v) => typeof v === 'number' || typeof v === 'bigint',
  integer: (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint',
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  true: (v) => v === true,
  false: (v) => v === false,
  mapping: (v) => isDict(v) || (typeof v === 'object' && v !== null && MAPPING in v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string' || isSafeString(v) || isDict(v),
  iterable: (v) =>
    typeof v === 'string' ||
    isSafeString(v) ||
    isDict(v) ||
    (typeof v === 'object' && v !== null && Symbol.iterator in v),
  callable: (v) => typeof v === 'function',
  in: (v, container) => {
    const text = asString(container);
    if (text !== undefined) return text.includes(pyStr(v));
    return items(container).some((x) => pyEquals(x, v));
  },
  eq: (a, b) => pyEquals(a, b),
  equalto: (a, b) => pyEquals(a, b),
  sameas: (a, b) => a === b,
  ne: (a, b) => !pyEquals(a, b),
};

/** The part of nunjucks' Environment that holds tests (absent from @types/nunjucks). */
interface TestRegistry {
  addTest(name: string, fn: Fn): void;
  getTest(name: string): Fn;
}

function testOf(env: nunjucks.Environment, name: string): Fn {
  return (env as unknown as TestRegistry).getTest(name);
}

function selectBy(keep: boolean, env: nunjucks.Environment) {
  return (seq: unknown, ...args: unknown[]): unknown[] => {
    const { positional } = callArguments(args);
    const [testName, ...testArgs] = positional;
    return items(seq).filter((item) => {
      const result =
        testName === undefined
          ? truthy(item)
          : testOf(env, pyStr(testName)).call(undefined, item, ...testArgs) === true;
      return result === keep;
    });
  };
}

function selectAttrBy(keep: boolean, env: nunjucks.Environment) {
  return (seq: unknown, ...args: unknown[]): unknown[] => {
    const { positional } = callArguments(args);
    const [attribute, testName, ...testArgs] = positional;
    return items(seq).filter((item) => {
      const value = attributeOf(item, attribute);
      const result =
        testName === undefined
          ? truthy(value)
          : testOf(env, pyStr(testName)).call(undefined, value, ...testArgs) === true;
      return result === keep;
    });
  };
}

function jinjaFilters(env: nunjucks.Environment): Record<string, Fn> {
  return {
    map: (seq, ...args) => {
      const { positional, keywords } = callArguments(args);
      if (keywords.attribute !== undefined) {
        return items(seq).map((item) => {
          const value = attributeOf(item, keywords.attribute);
          return value === undefined && keywords.default !== undefined ? keywords.default : value;
        });
      }
      const [filterName, ...filterArgs] = positional;
      if (filterName === undefined) return items(seq);
      const filter = env.getFilter(pyStr(filterName)) as unknown as Fn;
      return items(seq).map((item) => filter.call(undefined, item, ...filterArgs));
    },
    select: selectBy(true, env),
    reject: selectBy(false, env),
    selectattr: selectAttrBy(true, env),
    rejectattr: selectAttrBy(false, env),
    unique: (seq, ...args) => {
      const { keywords } = callArguments(args);
      const out: unknown[] = [];
      const seen: unknown[] = [];
      for (const item of items(seq)) {
        let key = keywords.attribute === undefined ? item : attributeOf(item, keywords.attribute);
        if (!truthy(keywords.case_sensitive) && typeof asString(key) === 'string') key = pyStr(key).toLowerCase();
        if (seen.some((s) => pyEquals(s, key))) continue;
        seen.push(key);
        out.push(item);
      }
      return out;
    },
    min: (seq, ...args) => {
      const { keywords } = callArguments(args);
      const list = items(seq);
      const key = (v: unknown): unknown => (keywords.attribute === undefined ? v : attributeOf(v, keywords.attribute));
      return list.length === 0 ? undefined : list.reduce((a, b) => (compareValues(key(b), key(a)) < 0 ? b : a));
    },
    max: (seq, ...args) => {
      const { keywords } = callArguments(args);
      const list = items(seq);
      const key = (v: unknown): unknown => (keywords.attribute === undefined ? v : attributeOf(v, keywords.attribute));
      return list.length === 0 ? undefined : list.reduce((a, b) => (compareValues(key(b), key(a)) > 0 ? b : a));
    },
    sum: (seq, ...args) => {
      const { positional, keywords } = callArguments(args);
      const attribute = keywords.attribute ?? positional[0];
      const start = Number(keywords.start ?? positional[1] ?? 0);
      return items(seq).reduce<number>(
        (total, item) => total + Number(attribute === undefined ? item : attributeOf(item, attribute)),
        start,
      );
    },
    items: (value) => (isDict(value) ? Object.keys(value).map((k) => [k, value[k]]) : []),
    list: (value) => items(value),
    join: (seq, ...args) => {
      const { positional, keywords } = callArguments(args);
      const separator = pyStr(keywords.d ?? positional[0] ?? '');
      const attribute = keywords.attribute ?? positional[1];
      return items(seq)
        .map((item) => pyStr(attribute === undefined ? item : attributeOf(item, attribute)))
        .join(separator);
    },
    length: (value) => {
      if (value === undefined || value === null) return 0;
      if (value instanceof Set || value instanceof Map) return value.size;
      if (isDict(value)) return Object.keys(value).filter((k) => k !== '__keywords').length;
      const text = asString(value);
      if (text !== undefined) return text.length;
      return (value as { length?: number }).length ?? items(value).length;
    },
    count: (value) => items(value).length,
    string: (value) => pyStr(value),
    tojson: (value, ...args) => {
      const { positional, keywords } = callArguments(args);
      return toJson(value, keywords.indent ?? positional[0]);
    },
    attr: (value, name) => attributeOf(value, name),
    format: (value, ...args) => percentFormat(pyStr(value), callArguments(args).positional),
    as_bool: asBool,
    as_number: asNumber,
    as_text: (value) => pyStr(value),
    as_native: asNative,
    sort: (seq, ...args) => {
      const { positional, keywords } = callArguments(args);
      const reverse = truthy(keywords.reverse ?? positional[0]);
      const caseSensitive = truthy(keywords.case_sensitive ?? positional[1]);
      const attribute = keywords.attribute ?? positional[2];
      const key = (v: unknown): unknown => {
        const k = attribute === undefined ? v : attributeOf(v, attribute);
        const text = asString(k);
        return text !== undefined && !caseSensitive ? text.toLowerCase() : k;
      };
      const sorted = [...items(seq)].sort((a, b) => compareValues(key(a), key(b)));
      return reverse ? sorted.reverse() : sorted;
    },
    reverse: (value) => {
      const text = asString(value);
      return text !== undefined ? [...text].reverse().join('') : [...items(value)].reverse();
    },
  };
}

/** Jinja's `dict(...)`: keywords, or pairs / a mapping positionally. */
function dict(...args: unknown[]): Record<string, unknown> {
  const { positional, keywords } = callArguments(args);
  const out: Record<string, unknown> = {};
  for (const source of positional) {
    if (isDict(source)) Object.assign(out, source);
    else for (const pair of items(source)) out[pyStr((pair as unknown[])[0])] = (pair as unknown[])[1];
  }
  delete out.__keywords;
  return Object.assign(out, keywords);
}

/** A `namespace(...)`: an object whose attributes `{% set ns.x = … %}` may change inside loops. */
class Namespace {
  constructor(values: Record<string, unknown>) {
    Object.assign(this, values);
  }
}

/** Python's `zip(a, b, …)`: tuples of the items at each position, as many as the shortest has. */
function zip(...lists: unknown[]): unknown[] {
  const arrays = callArguments(lists).positional.map(items);
  const length = arrays.length === 0 ? 0 : Math.min(...arrays.map((a) => a.length));
  return Array.from({ length }, (_, i) => tupleOf(...arrays.map((a) => a[i])));
}

/**
 * The global functions of Jinja and dbt that every template can call. `print` and `log` write to `onLog`
 * (libraries never print).
 */
export function jinjaGlobals(onLog: (message: string) => void): Record<string, Fn> {
  return {
    dict,
    list: (value) => (value === undefined ? [] : items(value)),
    set: (value) => PySet.of(value === undefined ? [] : value),
    // dbt's strict forms raise where `set`/`zip` would give their default; Sluice's raise either way.
    set_strict: (value) => PySet.of(value === undefined ? [] : value),
    tuple: (value) => tupleOf(...(value === undefined ? [] : items(value))),
    zip,
    zip_strict: zip,
    namespace: (...args) => new Namespace(dict(...args)),
    tojson: (value, ...args) => {
      const { positional, keywords } = callArguments(args);
      return toJson(value, keywords.indent ?? positional[1]);
    },
    fromjson: (text, ...args) => {
      try {
        return JSON.parse(pyStr(text));
      } catch {
        return callArguments(args).positional[0] ?? null;
      }
    },
    toyaml: (value) => stringifyYaml(value),
    fromyaml: (text, ...args) => {
      try {
        return parseYaml(pyStr(text));
      } catch {
        return callArguments(args).positional[0] ?? null;
      }
    },
    local_md5: (text) => createHash('md5').update(pyStr(text)).digest('hex'),
    print: (...args) => {
      onLog(callArguments(args).positional.map(pyStr).join(' '));
      return '';
    },
  };
}

const STRING_FILTERS = ['trim', 'upper', 'lower', 'capitalize', 'title', 'replace', 'center', 'truncate', 'wordcount'];

/** Add Jinja's filters and tests (those nunjucks lacks or defines otherwise) to an Environment. */
export function installJinjaBuiltins(env: nunjucks.Environment): void {
  // Jinja's string filters write any value as text first (`True | trim` is 'True'); nunjucks' need a string.
  for (const name of STRING_FILTERS) {
    const original = env.getFilter(name) as unknown as Fn;
    env.addFilter(name, (value: unknown, ...args: unknown[]) =>
      original(asString(value) === undefined ? pyStr(value) : value, ...args),
    );
  }
  for (const [name, fn] of Object.entries(jinjaFilters(env))) env.addFilter(name, fn);
  for (const [name, fn] of Object.entries(jinjaTests)) (env as unknown as TestRegistry).addTest(name, fn);
}
