import { closestNames } from '@sluice/warehouse';
import { didYouMean, type ProjectIssue } from '../project-issue.js';
import type { YamlSource } from '../yaml-source.js';

type YamlPath = readonly (string | number)[];

/** Rows as a property file writes them (csv text and fixtures are read by the loader). */
export interface UnitTestRowsDeclaration {
  readonly format: 'dict' | 'csv' | 'sql';
  /** dict: a list of mappings; csv / sql: text. Absent when `fixture` names a file. */
  readonly rows?: unknown;
  /** A file under `<test-path>/fixtures/` (`.csv` or `.sql`), by name without extension. */
  readonly fixture?: string;
  readonly path: YamlPath;
}

/** One `unit_tests:` entry as written. */
export interface UnitTestDeclaration {
  readonly name: string;
  readonly model: string;
  readonly description: string;
  readonly given: readonly (UnitTestRowsDeclaration & { readonly input: string })[];
  readonly expect: UnitTestRowsDeclaration;
  readonly overrides: {
    readonly macros: Record<string, unknown>;
    readonly vars: Record<string, unknown>;
    readonly envVars: Record<string, string>;
  };
  readonly tags: readonly string[];
  readonly meta: Record<string, unknown>;
  readonly enabled: boolean;
  readonly source: YamlSource;
  readonly path: YamlPath;
}

const ENTRY_KEYS = ['name', 'model', 'description', 'given', 'expect', 'overrides', 'config'];
const ENTRY_UNSUPPORTED = ['versions'];
const ROWS_KEYS = ['rows', 'format', 'fixture'];
const OVERRIDE_KEYS = ['macros', 'vars', 'env_vars'];
const CONFIG_KEYS = ['tags', 'meta', 'enabled'];
const FORMATS = ['dict', 'csv', 'sql'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Read the `unit_tests:` list of a property file (dbt 1.8's format). Every key is checked: a misspelled one is an
 * error naming the closest valid key and its line; `versions:` (versioned models) is a warning and ignored.
 */
export function readUnitTests(source: YamlSource, raw: unknown, issues: ProjectIssue[]): UnitTestDeclaration[] {
  const issue = (
    severity: ProjectIssue['severity'],
    message: string,
    path: YamlPath,
    key = false,
    code: ProjectIssue['code'] = severity === 'error' ? 'INVALID_VALUE' : 'UNSUPPORTED',
  ): void => {
    const line = source.lineOf(path, key);
    issues.push({
      code,
      severity,
      message,
      file: source.file,
      ...(line === undefined ? {} : { line }),
    });
  };
  const checkKeys = (
    value: Record<string, unknown>,
    path: YamlPath,
    allowed: readonly string[],
    what: string,
    unsupported: readonly string[] = [],
  ): void => {
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      if (unsupported.includes(key)) {
        issue('warning', `"${key}" (in ${what}) is not supported yet; it is ignored.`, [...path, key], true);
        continue;
      }
      const near = closestNames(key, allowed);
      issue(
        'error',
        `"${key}" is not a property of ${what}.${didYouMean(near)}${near.length === 0 ? ` Valid keys: ${allowed.join(', ')}.` : ''}`,
        [...path, key],
        true,
        'UNKNOWN_KEY',
      );
    }
  };
  const rowsOf = (value: unknown, path: YamlPath, what: string): UnitTestRowsDeclaration | undefined => {
    if (!isObject(value)) {
      issue('error', `${what} must be a mapping with rows (and format, fixture).`, path);
      return undefined;
    }
    checkKeys(value, path, what.startsWith('expect') ? ROWS_KEYS : ['input', ...ROWS_KEYS], what);
    const format = value.format ?? 'dict';
    if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format)) {
      issue('error', `format of ${what} must be dict, csv or sql (got ${JSON.stringify(format)}).`, [
        ...path,
        'format',
      ]);
      return undefined;
    }
    const fixture = value.fixture;
    if (fixture !== undefined && typeof fixture !== 'string') {
      issue('error', `fixture of ${what} must be a file name (without extension).`, [...path, 'fixture']);
      return undefined;
    }
    if (fixture !== undefined && format === 'dict') {
      issue('error', `${what}: a fixture file needs format: csv or sql.`, [...path, 'fixture']);
      return undefined;
    }
    const rows = value.rows;
    if (fixture === undefined) {
      const ok =
        format === 'dict'
          ? rows === undefined || rows === null || (Array.isArray(rows) && rows.every(isObject))
          : typeof rows === 'string';
      if (!ok) {
        issue(
          'error',
          format === 'dict'
            ? `rows of ${what} must be a list of mappings ({column: value}).`
            : `rows of ${what} must be ${format === 'csv' ? 'CSV text (rows: |)' : 'a SQL query'} or name a fixture.`,
          [...path, 'rows'],
        );
        return undefined;
      }
    }
    return {
      format: format as UnitTestRowsDeclaration['format'],
      ...(rows === undefined || rows === null ? (format === 'dict' ? { rows: [] } : {}) : { rows }),
      ...(fixture === undefined ? {} : { fixture }),
      path,
    };
  };
  const mapping = (value: unknown, path: YamlPath, what: string): Record<string, unknown> => {
    if (value === undefined || value === null) return {};
    if (isObject(value)) return value;
    issue('error', `${what} must be a mapping.`, path);
    return {};
  };

  const out: UnitTestDeclaration[] = [];
  if (raw === undefined || raw === null) return out;
  if (!Array.isArray(raw)) {
    issue('error', 'unit_tests must be a list (start each entry with "- ").', ['unit_tests']);
    return out;
  }
  raw.forEach((entry, i) => {
    const at: YamlPath = ['unit_tests', i];
    if (!isObject(entry) || typeof entry.name !== 'string' || typeof entry.model !== 'string') {
      issue('error', 'each unit test needs a "name" and the "model" it tests.', at);
      return;
    }
    const what = `unit test ${entry.name}`;
    checkKeys(entry, at, ENTRY_KEYS, what, ENTRY_UNSUPPORTED);
    const given: Array<UnitTestRowsDeclaration & { input: string }> = [];
    const givenList = entry.given ?? [];
    if (!Array.isArray(givenList)) issue('error', `given of ${what} must be a list.`, [...at, 'given']);
    else
      givenList.forEach((g, j) => {
        const gat = [...at, 'given', j];
        if (!isObject(g) || typeof g.input !== 'string') {
          issue('error', `each given input of ${what} needs an "input": ref('model'), source('s', 't') or this.`, gat);
          return;
        }
        const rows = rowsOf(g, gat, `given ${g.input} of ${what}`);
        if (rows) given.push({ ...rows, input: g.input.trim() });
      });
    const expect = rowsOf(entry.expect, [...at, 'expect'], `expect of ${what}`);
    const overrides = mapping(entry.overrides, [...at, 'overrides'], `overrides of ${what}`);
    checkKeys(overrides, [...at, 'overrides'], OVERRIDE_KEYS, `overrides of ${what}`);
    const config = mapping(entry.config, [...at, 'config'], `config of ${what}`);
    checkKeys(config, [...at, 'config'], CONFIG_KEYS, `config of ${what}`);
    const tags = config.tags;
    const envVars: Record<string, string> = {};
    for (const [k, v] of Object.entries(mapping(overrides.env_vars, [...at, 'overrides', 'env_vars'], 'env_vars')))
      envVars[k] = typeof v === 'string' ? v : JSON.stringify(v);
    if (expect === undefined) return;
    out.push({
      name: entry.name,
      model: entry.model,
      description: typeof entry.description === 'string' ? entry.description : '',
      given,
      expect,
      overrides: {
        macros: mapping(overrides.macros, [...at, 'overrides', 'macros'], 'macros'),
        vars: mapping(overrides.vars, [...at, 'overrides', 'vars'], 'vars'),
        envVars,
      },
      tags: typeof tags === 'string' ? [tags] : Array.isArray(tags) ? tags.map(String) : [],
      meta: mapping(config.meta, [...at, 'config', 'meta'], 'meta'),
      enabled: config.enabled !== false,
      source,
      path: at,
    });
  });
  return out;
}
