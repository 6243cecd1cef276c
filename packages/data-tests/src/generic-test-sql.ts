import type { SqlDialect } from '@sluice/warehouse';
import { quoteLiteral } from '@sluice/warehouse';
import { closestNames } from '@sluice/warehouse';
import { DataTestError } from './data-test-error.js';

/** The generic tests built in, by name (dbt's four plus the three most used from dbt_utils). */
export const GENERIC_TEST_NAMES = [
  'not_null',
  'unique',
  'accepted_values',
  'relationships',
  'expression_is_true',
  'unique_combination_of_columns',
  'accepted_range',
] as const;

export type GenericTestName = (typeof GENERIC_TEST_NAMES)[number];

interface ArgumentSpec {
  readonly column: 'required' | 'optional' | 'none';
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

const SPECS: Record<GenericTestName, ArgumentSpec> = {
  not_null: { column: 'required', required: [], optional: [] },
  unique: { column: 'required', required: [], optional: [] },
  accepted_values: { column: 'required', required: ['values'], optional: ['quote'] },
  relationships: { column: 'required', required: ['to', 'field'], optional: [] },
  expression_is_true: { column: 'optional', required: ['expression'], optional: [] },
  unique_combination_of_columns: { column: 'none', required: ['combination_of_columns'], optional: ['quote_columns'] },
  accepted_range: { column: 'required', required: [], optional: ['min_value', 'max_value', 'inclusive'] },
};

/** What a generic test checks: a relation, optionally one of its columns, and the test's arguments. */
export interface GenericTestInput {
  /** The tested relation as SQL (`"main"."fct_vendas"`), already quoted by the dialect. */
  readonly relation: string;
  /** The column (a SQL expression; written as given, so it may be unquoted), for column tests. */
  readonly columnName?: string;
  /**
   * Arguments as written in the YAML file. Relations (`relationships.to`) must already be SQL text.
   * `accepted_values.values`: a list; `quote` (default true) quotes them as string literals.
   */
  readonly args: Readonly<Record<string, unknown>>;
  /** dbt's `where` config: only the rows of the relation that match it are tested. */
  readonly where?: string;
}

/** Whether `name` is a built-in generic test. */
export function isGenericTestName(name: string): name is GenericTestName {
  return (GENERIC_TEST_NAMES as readonly string[]).includes(name);
}

/**
 * The problems with a generic test's arguments (empty when it is well formed): missing or unknown arguments,
 * with the closest valid name. Used at load time, so every mistake is reported before anything runs.
 */
export function validateGenericTestArgs(
  name: GenericTestName,
  args: Readonly<Record<string, unknown>>,
  hasColumn: boolean,
): string[] {
  const spec = SPECS[name];
  const problems: string[] = [];
  if (spec.column === 'required' && !hasColumn) {
    problems.push(`${name} checks a column: declare it under a column's data_tests, or give column_name.`);
  }
  if (spec.column === 'none' && hasColumn) {
    problems.push(`${name} checks the whole model: declare it under the model's data_tests, not a column's.`);
  }
  const known = [...spec.required, ...spec.optional];
  for (const key of Object.keys(args)) {
    if (known.includes(key)) continue;
    const near = closestNames(key, known);
    problems.push(
      `${name} has no argument "${key}"` +
        (near.length > 0
          ? `; did you mean "${near[0]}"?`
          : known.length > 0
            ? `; its arguments are ${known.join(', ')}.`
            : '.'),
    );
  }
  for (const key of spec.required) {
    if (args[key] === undefined || args[key] === null) problems.push(`${name} needs the argument "${key}".`);
  }
  if (name === 'accepted_values' && args.values !== undefined && !Array.isArray(args.values)) {
    problems.push('accepted_values: "values" must be a list.');
  }
  if (
    name === 'unique_combination_of_columns' &&
    args.combination_of_columns !== undefined &&
    (!Array.isArray(args.combination_of_columns) || args.combination_of_columns.length === 0)
  ) {
    problems.push('unique_combination_of_columns: "combination_of_columns" must be a non-empty list of columns.');
  }
  if (name === 'accepted_range' && args.min_value === undefined && args.max_value === undefined) {
    problems.push('accepted_range needs "min_value", "max_value" or both.');
  }
  return problems;
}

function literal(value: unknown, quote: boolean): string {
  if (!quote || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return quoteLiteral(String(value));
}

/**
 * The SQL of a built-in generic test: a query that returns the rows that break the rule (no rows = pass).
 * Failing rows are returned whole where the rule is about single rows, so samples show the full row.
 *
 * @example genericTestSql('not_null', { relation: '"main"."dim_clientes"', columnName: 'cliente_id', args: {} }, dialect)
 * // select * from "main"."dim_clientes" as tested where cliente_id is null
 */
export function genericTestSql(name: string, input: GenericTestInput, dialect: SqlDialect): string {
  if (!isGenericTestName(name)) {
    const near = closestNames(name, GENERIC_TEST_NAMES);
    throw new DataTestError(
      'UNKNOWN_GENERIC_TEST',
      `"${name}" is not a built-in generic test` +
        (near.length > 0
          ? `; did you mean "${near[0]}"?`
          : `; the built-in tests are ${GENERIC_TEST_NAMES.join(', ')}.`) +
        ' Custom generic tests are macros written as {% test name(model, column_name) %}.',
      { test: name },
    );
  }
  const problems = validateGenericTestArgs(name, input.args, input.columnName !== undefined);
  if (problems.length > 0) throw new DataTestError('INVALID_TEST_ARGUMENT', problems.join(' '), { test: name });

  const from = (alias: string): string =>
    input.where === undefined
      ? `${input.relation} as ${alias}`
      : `(select * from ${input.relation} where ${input.where}) as ${alias}`;
  const column = input.columnName ?? '';
  const args = input.args;

  switch (name) {
    case 'not_null':
      return `select *\nfrom ${from('tested')}\nwhere ${column} is null`;
    case 'unique':
      return [
        `select ${column} as unique_field, count(*) as n_records`,
        `from ${from('tested')}`,
        `where ${column} is not null`,
        `group by ${column}`,
        'having count(*) > 1',
      ].join('\n');
    case 'accepted_values': {
      const quote = args.quote !== false;
      const values = (args.values as unknown[]).map((v) => literal(v, quote));
      return [
        'select value_field, n_records',
        `from (select ${column} as value_field, count(*) as n_records from ${from('tested')} group by ${column}) as all_values`,
        `where value_field not in (${values.join(', ')})`,
      ].join('\n');
    }
    case 'relationships': {
      const to = String(args.to);
      const field = String(args.field);
      return [
        'select *',
        `from ${from('child')}`,
        `where ${column} is not null`,
        `  and ${column} not in (select ${field} from ${to} as parent where ${field} is not null)`,
      ].join('\n');
    }
    case 'expression_is_true': {
      const expression = String(args.expression);
      const condition = input.columnName === undefined ? expression : `${column} ${expression}`;
      return `select *\nfrom ${from('tested')}\nwhere not (${condition})`;
    }
    case 'unique_combination_of_columns': {
      const quoteColumns = args.quote_columns === true;
      const columns = (args.combination_of_columns as unknown[]).map((c) =>
        quoteColumns ? dialect.quoteIdentifier(String(c)) : String(c),
      );
      return [
        `select ${columns.join(', ')}, count(*) as n_records`,
        `from ${from('tested')}`,
        `group by ${columns.join(', ')}`,
        'having count(*) > 1',
      ].join('\n');
    }
    case 'accepted_range': {
      const inclusive = args.inclusive !== false;
      const bounds: string[] = [];
      if (args.min_value !== undefined)
        bounds.push(`${column} ${inclusive ? '>=' : '>'} ${literal(args.min_value, false)}`);
      if (args.max_value !== undefined)
        bounds.push(`${column} ${inclusive ? '<=' : '<'} ${literal(args.max_value, false)}`);
      return `select *\nfrom ${from('tested')}\nwhere not (${bounds.join(' and ')})`;
    }
  }
}
