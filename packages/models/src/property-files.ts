import { closestNames } from '@sluice/warehouse';
import { configKeys } from './node-config.js';
import type { ColumnDoc, FreshnessRule, FreshnessThreshold } from './project.js';
import { didYouMean, type ProjectIssue } from './project-issue.js';
import { readUnitTests, type UnitTestDeclaration } from './unit-tests/read-unit-tests.js';
import type { YamlSource } from './yaml-source.js';

type YamlPath = readonly (string | number)[];

/** Where something was written in a property file, to report issues at the right line. */
export interface YamlPlace {
  readonly source: YamlSource;
  readonly path: YamlPath;
}

/** The documented properties of a model or snapshot (`models:` / `snapshots:` entries). */
export interface NodeProperties {
  readonly name: string;
  readonly place: YamlPlace;
  readonly description: string;
  readonly config: Record<string, unknown>;
  readonly tags: readonly string[];
  readonly columns: readonly ColumnDoc[];
  /** A snapshot defined in YAML (dbt 1.9): what it snapshots, as written (`ref('x')`, `source('a', 'b')`). */
  readonly relation?: string;
}

/** One source table (`sources:` → `tables:`). */
export interface SourceDeclaration {
  readonly sourceName: string;
  readonly tableName: string;
  /** As written; may hold `{{ var(...) }}` / `{{ env_var(...) }}`, rendered by the loader. */
  readonly schema: string;
  readonly identifier: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly columns: readonly ColumnDoc[];
  readonly loadedAtField?: string;
  /** dbt's `freshness:` (the table's over its source's, key by key); `null` when switched off. */
  readonly freshness?: FreshnessRule | null;
  readonly place: YamlPlace;
}

/** A generic test as declared under a model, snapshot, source table or column. */
export interface TestDeclaration {
  readonly target:
    | { readonly kind: 'model' | 'snapshot' | 'seed'; readonly name: string }
    | { readonly kind: 'source'; readonly source: string; readonly table: string };
  readonly columnName?: string;
  readonly quoteColumn?: boolean;
  /** As written, e.g. `not_null` or `dbt_utils.expression_is_true`. */
  readonly testName: string;
  readonly args: Record<string, unknown>;
  /** Test config as written (validated by the loader). */
  readonly config: Record<string, unknown>;
  /** The YAML path of each config key, for lines. */
  readonly configPaths: Readonly<Record<string, YamlPath>>;
  readonly name?: string;
  readonly place: YamlPlace;
}

/** Everything one property file declares. */
export interface PropertyFileContent {
  readonly models: NodeProperties[];
  readonly snapshots: NodeProperties[];
  readonly seeds: NodeProperties[];
  readonly sources: SourceDeclaration[];
  readonly tests: TestDeclaration[];
  /** dbt 1.8's unit tests (`unit_tests:`), as written. */
  readonly unitTests: UnitTestDeclaration[];
  readonly issues: ProjectIssue[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const TOP_LEVEL = ['version', 'models', 'sources', 'snapshots', 'seeds', 'macros', 'unit_tests'];
const TOP_LEVEL_UNSUPPORTED = ['exposures', 'metrics', 'semantic_models', 'saved_queries', 'analyses', 'groups'];
const MODEL_KEYS = ['name', 'description', 'config', 'columns', 'tests', 'data_tests', 'docs', 'meta', 'tags'];
const MODEL_UNSUPPORTED = [
  'constraints',
  'access',
  'group',
  'versions',
  'latest_version',
  'deprecation_date',
  'time_spine',
];
const COLUMN_KEYS = ['name', 'description', 'data_type', 'quote', 'tests', 'data_tests', 'meta', 'tags'];
const COLUMN_UNSUPPORTED = ['constraints', 'granularity', 'policy_tags'];
const SOURCE_KEYS = [
  'name',
  'description',
  'schema',
  'loader',
  'meta',
  'tags',
  'config',
  'tables',
  'loaded_at_field',
  'freshness',
];
const SOURCE_UNSUPPORTED = ['quoting', 'overrides'];
const TABLE_KEYS = [
  'name',
  'description',
  'identifier',
  'columns',
  'tests',
  'data_tests',
  'meta',
  'tags',
  'config',
  'loaded_at_field',
  'freshness',
];
const TABLE_UNSUPPORTED = ['quoting', 'external'];
/** The keys of a source's or source table's `config:` that Sluice reads (dbt 1.9 and 1.10 moved them there). */
const SOURCE_CONFIG_KEYS = ['freshness', 'loaded_at_field', 'enabled', 'tags'];
const FRESHNESS_KEYS = ['warn_after', 'error_after', 'filter'];
const FRESHNESS_PERIODS = ['minute', 'hour', 'day'];

/** How `readPropertyFile` renders a description (`{{ doc('x') }}`); default: as written. */
export type DescriptionRenderer = (text: string, where: { readonly file: string; readonly line?: number }) => string;

/**
 * Read a YAML property file (dbt's `schema.yml`): models, seeds, snapshots and sources with their columns and
 * tests. Every key is checked: a misspelled key is an error naming the closest valid key and its line.
 */
export function readPropertyFile(
  source: YamlSource,
  options: { readonly describe?: DescriptionRenderer } = {},
): PropertyFileContent {
  const out: PropertyFileContent = {
    models: [],
    snapshots: [],
    seeds: [],
    sources: [],
    tests: [],
    unitTests: [],
    issues: [],
  };
  const issue = (
    code: ProjectIssue['code'],
    severity: ProjectIssue['severity'],
    message: string,
    path: YamlPath,
    key = false,
    suggestions?: string[],
  ): void => {
    const line = source.lineOf(path, key);
    out.issues.push({
      code,
      severity,
      message,
      file: source.file,
      ...(line === undefined ? {} : { line }),
      ...(suggestions === undefined ? {} : { suggestions }),
    });
  };
  const checkKeys = (
    value: Record<string, unknown>,
    path: YamlPath,
    allowed: readonly string[],
    unsupported: readonly string[],
    what: string,
  ): void => {
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      if (unsupported.includes(key)) {
        issue(
          'UNSUPPORTED',
          'warning',
          `"${key}" (in ${what}) is not supported yet; it is ignored.`,
          [...path, key],
          true,
        );
        continue;
      }
      const suggestions = closestNames(key, allowed);
      issue(
        'UNKNOWN_KEY',
        'error',
        `"${key}" is not a property of ${what}.${didYouMean(suggestions)}${suggestions.length === 0 ? ` Valid keys: ${allowed.join(', ')}.` : ''}`,
        [...path, key],
        true,
        suggestions,
      );
    }
  };
  const text = (value: unknown, path: YamlPath, what: string): string => {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    issue('INVALID_VALUE', 'error', `${what} must be text (got ${JSON.stringify(value)}).`, path);
    return '';
  };
  const description = (value: unknown, path: YamlPath): string => {
    const written = text(value, path, 'description');
    if (options.describe === undefined || written === '') return written;
    const line = source.lineOf(path);
    return options.describe(written, { file: source.file, ...(line === undefined ? {} : { line }) });
  };
  const threshold = (value: unknown, path: YamlPath, what: string): FreshnessThreshold | undefined => {
    if (value === undefined || value === null) return undefined;
    if (
      isObject(value) &&
      typeof value.count === 'number' &&
      Number.isInteger(value.count) &&
      value.count > 0 &&
      typeof value.period === 'string' &&
      FRESHNESS_PERIODS.includes(value.period) &&
      Object.keys(value).every((k) => k === 'count' || k === 'period')
    )
      return { count: value.count, period: value.period as FreshnessThreshold['period'] };
    issue(
      'INVALID_VALUE',
      'error',
      `${what} is { count: <a whole number>, period: minute | hour | day } (got ${JSON.stringify(value)}).`,
      path,
    );
    return undefined;
  };
  const freshness = (value: unknown, path: YamlPath, what: string): FreshnessRule | null | undefined => {
    if (value === undefined) return undefined;
    if (value === null) return null;
    if (!isObject(value)) {
      issue(
        'INVALID_VALUE',
        'error',
        `freshness of ${what} must be a mapping (warn_after, error_after, filter).`,
        path,
      );
      return undefined;
    }
    checkKeys(value, path, FRESHNESS_KEYS, [], `freshness of ${what}`);
    const warnAfter = threshold(value.warn_after, [...path, 'warn_after'], `warn_after of ${what}`);
    const errorAfter = threshold(value.error_after, [...path, 'error_after'], `error_after of ${what}`);
    const filter = typeof value.filter === 'string' ? value.filter : undefined;
    return {
      ...(warnAfter ? { warnAfter } : {}),
      ...(errorAfter ? { errorAfter } : {}),
      ...(filter ? { filter } : {}),
    };
  };
  const stringList = (value: unknown, path: YamlPath, what: string): string[] => {
    if (value === undefined || value === null) return [];
    if (typeof value === 'string') return [value];
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
    issue('INVALID_VALUE', 'error', `${what} must be a name or a list of names.`, path);
    return [];
  };
  const list = (value: unknown, path: YamlPath, what: string): unknown[] => {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    issue('INVALID_VALUE', 'error', `${what} must be a list (start each entry with "- ").`, path);
    return [];
  };

  /**
   * A source's or source table's freshness rule and `loaded_at_field`: written at the top level (dbt before 1.9/1.10)
   * or, as dbt 1.9 (`freshness`) and 1.10 (`loaded_at_field`) write them, under `config:` — which wins when both are
   * there. `undefined`: not written here (the source's applies); `null`: switched off here (`freshness: null`,
   * `loaded_at_field: null`). `config: { enabled, tags }` are read too. Other keys of a source's `config:` are not
   * supported: a warning each.
   */
  const sourceConfigOf = (
    owner: Record<string, unknown>,
    path: YamlPath,
    what: string,
  ): {
    freshness: FreshnessRule | null | undefined;
    loadedAtField: string | null | undefined;
    enabled: boolean | undefined;
    tags: string[];
  } => {
    const config = owner.config;
    if (config !== undefined && !isObject(config)) {
      issue('INVALID_VALUE', 'error', `config of ${what} must be a mapping.`, [...path, 'config']);
    }
    const configured = isObject(config) ? config : {};
    checkKeys(
      configured,
      [...path, 'config'],
      SOURCE_CONFIG_KEYS,
      Object.keys(configured).filter((k) => !SOURCE_CONFIG_KEYS.includes(k)),
      `config of ${what}`,
    );
    const rule =
      'freshness' in configured
        ? freshness(configured.freshness, [...path, 'config', 'freshness'], what)
        : freshness(owner.freshness, [...path, 'freshness'], what);
    const enabled = configured.enabled;
    if (enabled !== undefined && typeof enabled !== 'boolean')
      issue('INVALID_VALUE', 'error', `enabled of ${what} is true or false.`, [...path, 'config', 'enabled']);
    const common = {
      freshness: rule,
      enabled: typeof enabled === 'boolean' ? enabled : undefined,
      tags: stringList(configured.tags, [...path, 'config', 'tags'], 'tags'),
    };
    const inConfig = 'loaded_at_field' in configured;
    const field = inConfig ? configured.loaded_at_field : owner.loaded_at_field;
    if (field === undefined || field === null || typeof field === 'string')
      return { ...common, loadedAtField: inConfig || 'loaded_at_field' in owner ? (field ?? null) : undefined };
    issue(
      'INVALID_VALUE',
      'error',
      `loaded_at_field of ${what} is a column name or SQL expression (text).`,
      inConfig ? [...path, 'config', 'loaded_at_field'] : [...path, 'loaded_at_field'],
    );
    return { ...common, loadedAtField: undefined };
  };

  const value = source.value;
  if (value === undefined || value === null) return out;
  if (!isObject(value)) {
    issue('INVALID_VALUE', 'error', 'a property file must be a mapping (models:, sources:, snapshots:).', []);
    return out;
  }
  checkKeys(value, [], TOP_LEVEL, TOP_LEVEL_UNSUPPORTED, 'a property file');
  out.unitTests.push(...readUnitTests(source, value.unit_tests, out.issues));

  const readColumns = (raw: unknown, path: YamlPath, owner: string, target: TestDeclaration['target']): ColumnDoc[] => {
    const columns: ColumnDoc[] = [];
    list(raw, path, `columns of ${owner}`).forEach((entry, i) => {
      const at = [...path, i];
      if (!isObject(entry) || typeof entry.name !== 'string') {
        issue('INVALID_VALUE', 'error', `each column of ${owner} needs a "name".`, at);
        return;
      }
      const name = entry.name;
      checkKeys(entry, at, COLUMN_KEYS, COLUMN_UNSUPPORTED, `column ${name} of ${owner}`);
      const dataType = entry.data_type;
      const quote = entry.quote === true;
      columns.push({
        name,
        description: description(entry.description, [...at, 'description']),
        ...(typeof dataType === 'string' ? { dataType } : {}),
        ...(quote ? { quote } : {}),
      });
      readTests(entry, at, `column ${name} of ${owner}`, target, name, quote);
    });
    return columns;
  };

  const readTests = (
    owner: Record<string, unknown>,
    path: YamlPath,
    what: string,
    target: TestDeclaration['target'],
    columnName?: string,
    quoteColumn?: boolean,
  ): void => {
    for (const key of ['data_tests', 'tests'] as const) {
      list(owner[key], [...path, key], `${key} of ${what}`).forEach((entry, i) => {
        const at = [...path, key, i];
        const parsed = parseTestEntry(entry, at);
        if (typeof parsed === 'string') {
          issue('INVALID_TEST', 'error', `${parsed} (in ${key} of ${what})`, at);
          return;
        }
        const column = parsed.columnName ?? columnName;
        out.tests.push({
          target,
          ...(column === undefined ? {} : { columnName: column }),
          ...(quoteColumn ? { quoteColumn } : {}),
          testName: parsed.testName,
          args: parsed.args,
          config: parsed.config,
          configPaths: parsed.configPaths,
          ...(parsed.name === undefined ? {} : { name: parsed.name }),
          place: { source, path: at },
        });
      });
    }
  };

  const readNodes = (kind: 'models' | 'snapshots' | 'seeds'): void => {
    const singular = kind === 'models' ? 'model' : kind === 'seeds' ? 'seed' : 'snapshot';
    list(value[kind], [kind], kind).forEach((entry, i) => {
      const at = [kind, i];
      if (!isObject(entry) || typeof entry.name !== 'string') {
        issue('INVALID_VALUE', 'error', `each entry of ${kind} needs a "name".`, at);
        return;
      }
      const name = entry.name;
      let relation: string | undefined;
      if (kind === 'snapshots' && 'relation' in entry) {
        if (typeof entry.relation === 'string' && /^\s*(ref|source)\s*\(.*\)\s*$/s.test(entry.relation)) {
          relation = entry.relation.trim();
        } else {
          issue(
            'INVALID_VALUE',
            'error',
            `snapshot ${name}: relation must be ref('model') or source('source', 'table') (got ${JSON.stringify(entry.relation)}).`,
            [...at, 'relation'],
          );
        }
      }
      checkKeys(
        entry,
        at,
        kind === 'snapshots' ? [...MODEL_KEYS, 'relation'] : MODEL_KEYS,
        MODEL_UNSUPPORTED,
        `${singular} ${name}`,
      );
      const config = entry.config;
      if (config !== undefined && !isObject(config))
        issue('INVALID_VALUE', 'error', `config of ${singular} ${name} must be a mapping.`, [...at, 'config']);
      const target = { kind: singular, name } as const;
      const props: NodeProperties = {
        name,
        place: { source, path: at },
        description: description(entry.description, [...at, 'description']),
        config: isObject(config) ? config : {},
        tags: stringList(entry.tags, [...at, 'tags'], 'tags'),
        columns: readColumns(entry.columns, [...at, 'columns'], `${singular} ${name}`, target),
        ...(relation === undefined ? {} : { relation }),
      };
      readTests(entry, at, `${singular} ${name}`, target);
      (kind === 'models' ? out.models : kind === 'seeds' ? out.seeds : out.snapshots).push(props);
    });
  };
  readNodes('models');
  readNodes('snapshots');
  readNodes('seeds');

  list(value.sources, ['sources'], 'sources').forEach((entry, i) => {
    const at = ['sources', i];
    if (!isObject(entry) || typeof entry.name !== 'string') {
      issue('INVALID_VALUE', 'error', 'each source needs a "name".', at);
      return;
    }
    const sourceName = entry.name;
    if ('database' in entry) {
      issue(
        'UNSUPPORTED',
        'error',
        `source ${sourceName}: "database" is not supported yet; sources are read from the target's database.`,
        [...at, 'database'],
        true,
      );
    }
    checkKeys(entry, at, [...SOURCE_KEYS, 'database'], SOURCE_UNSUPPORTED, `source ${sourceName}`);
    const schema = text(entry.schema, [...at, 'schema'], 'schema') || sourceName;
    const sourceConfig = sourceConfigOf(entry, at, `source ${sourceName}`);
    const sourceTags = [...stringList(entry.tags, [...at, 'tags'], 'tags'), ...sourceConfig.tags];
    const sourceFreshness = sourceConfig.freshness;
    list(entry.tables, [...at, 'tables'], `tables of source ${sourceName}`).forEach((table, j) => {
      const tat = [...at, 'tables', j];
      if (!isObject(table) || typeof table.name !== 'string') {
        issue('INVALID_VALUE', 'error', `each table of source ${sourceName} needs a "name".`, tat);
        return;
      }
      const tableName = table.name;
      checkKeys(table, tat, TABLE_KEYS, TABLE_UNSUPPORTED, `source table ${sourceName}.${tableName}`);
      const target = { kind: 'source', source: sourceName, table: tableName } as const;
      const tableConfig = sourceConfigOf(table, tat, `source table ${sourceName}.${tableName}`);
      // The table's loaded_at_field over its source's; `loaded_at_field: null` on the table switches it off (dbt 1.8+).
      const loadedAtField =
        (tableConfig.loadedAtField === undefined ? sourceConfig.loadedAtField : tableConfig.loadedAtField) ?? undefined;
      const tableFreshness = tableConfig.freshness;
      // `enabled: false` (the table's over its source's, as dbt has it) leaves the table and its tests out.
      if ((tableConfig.enabled ?? sourceConfig.enabled) === false) return;
      // The table's freshness over its source's, key by key; `freshness: null` on the table switches it off.
      const merged =
        tableFreshness === null
          ? null
          : tableFreshness === undefined
            ? sourceFreshness
            : { ...(sourceFreshness ?? {}), ...tableFreshness };
      out.sources.push({
        sourceName,
        tableName,
        schema,
        identifier: text(table.identifier, [...tat, 'identifier'], 'identifier') || tableName,
        description: description(table.description, [...tat, 'description']),
        tags: [...new Set([...sourceTags, ...stringList(table.tags, [...tat, 'tags'], 'tags'), ...tableConfig.tags])],
        columns: readColumns(table.columns, [...tat, 'columns'], `source ${sourceName}.${tableName}`, target),
        ...(loadedAtField === undefined ? {} : { loadedAtField }),
        ...(merged === undefined ? {} : { freshness: merged }),
        place: { source, path: tat },
      });
      readTests(table, tat, `source ${sourceName}.${tableName}`, target);
    });
  });
  return out;
}

const TEST_CONFIG_KEYS = configKeys('test');

/** One entry of a `data_tests:` list, split into name, arguments and config (dbt's two spellings). */
function parseTestEntry(
  entry: unknown,
  path: YamlPath,
):
  | {
      testName: string;
      args: Record<string, unknown>;
      config: Record<string, unknown>;
      configPaths: Record<string, YamlPath>;
      name?: string;
      columnName?: string;
    }
  | string {
  if (typeof entry === 'string') return { testName: entry, args: {}, config: {}, configPaths: {} };
  if (!isObject(entry)) return 'a test is a name (- not_null) or a mapping with one key, the test name';
  const keys = Object.keys(entry);
  if (keys.length !== 1) {
    return `a test entry has exactly one key, the test's name (found ${keys.join(', ')}); indent its arguments under it`;
  }
  const testName = keys[0] as string;
  const body = entry[testName];
  if (body === null || body === undefined) return { testName, args: {}, config: {}, configPaths: {} };
  if (!isObject(body)) return `the arguments of test ${testName} must be a mapping`;
  const args: Record<string, unknown> = {};
  const config: Record<string, unknown> = {};
  const configPaths: Record<string, YamlPath> = {};
  let name: string | undefined;
  let columnName: string | undefined;
  const explicitArguments = isObject(body.arguments) ? body.arguments : undefined;
  if (explicitArguments) Object.assign(args, explicitArguments);
  for (const [key, value] of Object.entries(body)) {
    if (key === 'arguments' && explicitArguments) continue;
    if (key === 'config' && isObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        config[k] = v;
        configPaths[k] = [...path, testName, 'config', k];
      }
    } else if (key === 'name' && typeof value === 'string') {
      name = value;
    } else if (key === 'column_name' && typeof value === 'string') {
      columnName = value;
    } else if (key === 'description') {
      // documentation only
    } else if (TEST_CONFIG_KEYS.includes(key) || explicitArguments) {
      config[key] = value;
      configPaths[key] = [...path, testName, key];
    } else {
      args[key] = value;
    }
  }
  return {
    testName,
    args,
    config,
    configPaths,
    ...(name === undefined ? {} : { name }),
    ...(columnName === undefined ? {} : { columnName }),
  };
}
