import type { Row } from '@sluice/warehouse';
import { pyStr } from './jinja/python-values.js';

/*
 * A query's result as dbt hands it to templates (an agate Table): `table.rows[0][0]`, `row['name']`,
 * `table.columns['name'].values()`, `table.column_names`, `for row in table`. Names are matched without case, as
 * engines spell them differently (Snowflake upper-cases unquoted names).
 */

/**
 * A list whose items are also reachable by name, with agate's mapping methods (`keys()`, `values()`, `items()`,
 * `get()`, `dict()`): a row, or a table's columns.
 */
function byName<T>(names: readonly string[], values: readonly T[]): T[] {
  const out = [...values] as T[] & Record<string, unknown>;
  names.forEach((name, i) => {
    for (const key of [name, name.toLowerCase(), name.toUpperCase()]) {
      if (!/^\d+$/.test(key) && !(key in out)) {
        Object.defineProperty(out, key, { value: values[i], enumerable: false, configurable: true });
      }
    }
  });
  const methods: Record<string, (...args: unknown[]) => unknown> = {
    keys: () => [...names],
    values: () => [...values],
    items: () => names.map((n, i) => [n, values[i]]),
    get: (key, fallback = null) => {
      const i = typeof key === 'number' ? key : names.findIndex((n) => n.toLowerCase() === String(key).toLowerCase());
      return i >= 0 && i < values.length ? values[i] : fallback;
    },
    dict: () => Object.fromEntries(names.map((n, i) => [n, values[i]])),
  };
  for (const [key, fn] of Object.entries(methods)) {
    if (!names.includes(key)) Object.defineProperty(out, key, { value: fn, enumerable: false, configurable: true });
  }
  return out;
}

/** One column of a result: `.name`, `.values()`. */
export class ResultColumn {
  constructor(
    readonly name: string,
    private readonly items: readonly unknown[],
  ) {}
  values(): unknown[] {
    return [...this.items];
  }
  values_distinct(): unknown[] {
    return [...new Set(this.items)];
  }
  values_without_nulls(): unknown[] {
    return this.items.filter((v) => v !== null && v !== undefined);
  }
  toString(): string {
    return `<Column ${this.name}>`;
  }
}

/** A query result: rows (indexable by position and by name) and columns. */
export class QueryResultTable {
  readonly column_names: string[];
  readonly rows: unknown[][];
  readonly columns: ResultColumn[];

  constructor(rows: readonly Row[]) {
    this.column_names = Object.keys(rows[0] ?? {});
    const names = this.column_names;
    this.rows = byName(
      [],
      rows.map((row) =>
        byName(
          names,
          names.map((n) => row[n] ?? null),
        ),
      ),
    );
    this.columns = byName(
      names,
      names.map(
        (n, i) =>
          new ResultColumn(
            n,
            this.rows.map((r) => r[i]),
          ),
      ),
    );
  }

  get length(): number {
    return this.rows.length;
  }
  get column_types(): string[] {
    return this.column_names.map(() => 'Text');
  }
  /** Rows as lists of values: what `load_result(...)['data']` holds. */
  data(): unknown[][] {
    return this.rows.map((r) => [...r]);
  }
  [Symbol.iterator](): Iterator<unknown[]> {
    return this.rows[Symbol.iterator]();
  }
  print_table(): string {
    return [this.column_names.join(' | '), ...this.rows.map((r) => r.map(pyStr).join(' | '))].join('\n');
  }
  __bool__(): boolean {
    return true;
  }
  toString(): string {
    return `<Table ${this.rows.length} rows × ${this.column_names.length} columns>`;
  }
}
