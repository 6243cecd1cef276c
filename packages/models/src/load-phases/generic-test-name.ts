import { createHash } from 'node:crypto';

/** A generic test's names as dbt synthesizes them. */
export interface GenericTestName {
  /** The node's name (its fqn, what `--select` matches): `accepted_values_orders_status__placed__shipped`. */
  readonly name: string;
  /**
   * The compiled file's and stored-failures table's name: the name itself when under 64 characters, else the first
   * 30 characters of `<test>_<node>` and the md5 of the name (`accepted_values_orders_1ce6ab157c285f7cd2ac656013faf758`).
   */
  readonly shortName: string;
}

/**
 * dbt's name for a generic test without `name:` (dbt-core's `synthesize_generic_test_names`, pure): `<test>_<node>`
 * then, per argument in name order (`model` left out, `column_name` included), its value — a mapping's values or a
 * list's items, each as Python's `str()` writes it — with every run of characters other than letters, digits and
 * `_` made one `_`, joined by `__`. `testType` carries the package (`dbt_utils_…`) and `source_` as dbt puts them.
 *
 * @example genericTestName('not_null', 'orders', { column_name: 'id' }) // { name: 'not_null_orders_id', … }
 */
export function genericTestName(
  testType: string,
  targetName: string,
  args: Readonly<Record<string, unknown>>,
): GenericTestName {
  const flat: string[] = [];
  for (const key of Object.keys(args).sort()) {
    if (key === 'model') continue;
    const value = args[key];
    const parts = Array.isArray(value) ? value : isMapping(value) ? Object.values(value) : [value];
    flat.push(...parts.map(pythonStr));
  }
  const unique = flat.map((part) => part.replace(/[^0-9a-zA-Z_]+/g, '_')).join('__');
  // dbt keeps the node's name as it is; a source table named `Customer Orders` would give a test name with a space,
  // which no selector can name. Sluice writes such characters as `_` (only names dbt could not select change).
  const identifier = `${testType}_${targetName.replace(/[^0-9a-zA-Z_]+/g, '_')}`;
  const name = `${identifier}_${unique}`;
  const shortName =
    name.length >= 64 ? `${identifier.slice(0, 30)}_${createHash('md5').update(name, 'utf8').digest('hex')}` : name;
  return { name, shortName };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `str(value)` in Python for what YAML gives: `True`, `None`, `['a', 'b']`, `{'k': 1}`, `1.5`. */
function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isMapping(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  return String(value);
}
