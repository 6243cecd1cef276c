import type { Relation, SqlDialect } from '@sluice/warehouse';
import { callArguments } from './call-arguments.js';
import { ColumnValue, RelationValue } from './dbt-relation.js';
import { MacroReturn } from './jinja/jinja-runtime.js';
import { PyDateTime, PyTimeZone } from './jinja/python-modules.js';
import { pyStr, truthy } from './jinja/python-values.js';
import type { MacroRegistry } from './macro-registry.js';
import { QueryResultTable } from './query-result-table.js';
import { TemplateUsageError } from './template-errors.js';
import type { WarehouseAnswer, WarehouseCall, WarehouseCalls } from './warehouse-calls.js';

/** What the dbt context functions read from the render in progress. */
export interface DbtRenderState {
  readonly mode: 'parse' | 'compile';
  readonly dialect: SqlDialect;
  /** `target.type`: the adapter name dispatch prefixes macros with. */
  readonly adapterType: string;
  /** `target.database`, when the target has one. */
  readonly database?: string;
  /** How the render asks the warehouse; absent when it cannot (then compile-mode calls are errors). */
  readonly warehouse?: WarehouseCalls;
  /** The node's config (`should_store_failures()`). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Where `log()`, `print()` and `exceptions.warn()` go. */
  log(message: string): void;
  /** `statement` results by name, for `load_result` (one map per render). */
  readonly results: Map<string, unknown>;
}

type Fn = (...args: unknown[]) => unknown;

let lastRunStart: { readonly iso: string; readonly value: PyDateTime } | undefined;

/**
 * dbt's `run_started_at`: a timezone-aware Python datetime in UTC (`{{ run_started_at }}` writes
 * `2026-12-07 08:15:53.001000+00:00`; `.strftime()`, `.isoformat()`, `.year`, `.timestamp()` work). `iso` is the
 * run's start as an ISO timestamp; empty (a parse-time render) means now.
 */
export function runStartedAtValue(iso: string): PyDateTime {
  if (lastRunStart?.iso === iso && iso !== '') return lastRunStart.value;
  const ms = iso === '' ? Date.now() : Date.parse(iso);
  if (Number.isNaN(ms)) throw new TemplateUsageError(`run_started_at: ${iso} is not a timestamp.`);
  const value = PyDateTime.fromInstant(ms * 1000, new PyTimeZone('UTC'));
  lastRunStart = { iso, value };
  return value;
}

/** The result `load_result(name)` returns: dbt's `{response, data, table}`. */
function statementResult(answer: WarehouseAnswer): Record<string, unknown> {
  if (answer.kind === 'query') {
    const table = new QueryResultTable(answer.rows);
    return {
      response: { _message: `SELECT ${answer.rows.length}`, code: 'SELECT', rows_affected: answer.rows.length },
      data: table.data(),
      table,
    };
  }
  const rows = answer.kind === 'execute' ? answer.rowsAffected : undefined;
  return {
    response: { _message: 'OK', code: 'OK', rows_affected: rows ?? -1 },
    data: [],
    table: new QueryResultTable([]),
  };
}

function relationParts(value: unknown): Relation {
  if (value instanceof RelationValue) {
    if (value.is_cte) {
      throw new TemplateUsageError(
        `${value.identifier} is an ephemeral model: it has no relation in the warehouse to read columns from.`,
      );
    }
    return { schema: value.schema, name: value.identifier };
  }
  const text = pyStr(value);
  const parts = text.split('.').map((p) => p.replace(/^"|"$/g, ''));
  if (parts.length < 2) {
    throw new TemplateUsageError(`expected a relation (ref(), source() or api.Relation.create()), got ${text}.`);
  }
  return { schema: parts.at(-2) as string, name: parts.at(-1) as string };
}

/**
 * The functions of dbt's Jinja context that read the warehouse or describe relations — `adapter`, `api`,
 * `statement` / `load_result`, `run_query`, `load_relation`, `should_store_failures`, `log`, `print`, `return` —
 * bound to the render in progress through `state()`.
 *
 * Parse-time renders (`execute` false) ask nothing: as in dbt, statements do not run, `run_query` and
 * `load_result` give `none`, `get_columns_in_relation` gives `[]` and `get_relation` gives `none`.
 */
export function dbtContextFunctions(
  state: () => DbtRenderState,
  registry: Pick<MacroRegistry, 'resolve'>,
): Record<string, unknown> {
  const ask = (call: WarehouseCall): WarehouseAnswer | undefined => {
    const s = state();
    if (s.mode === 'parse') return undefined;
    if (s.warehouse === undefined) {
      const what =
        call.kind === 'describe' ? `to describe ${call.relation.schema}.${call.relation.name}` : 'to run a query';
      throw new TemplateUsageError(
        `this template needs the warehouse ${what} (run_query, statement, adapter.get_columns_in_relation…), and this compile has none: run it with a warehouse (sluice run / build, or compile with the target reachable).`,
      );
    }
    return s.warehouse(call);
  };
  const describe = (relation: Relation) => {
    const answer = ask({ kind: 'describe', relation });
    return answer?.kind === 'describe' ? answer.state : undefined;
  };
  const relationOf = (relation: Relation, kind: 'table' | 'view' | null): RelationValue => {
    const s = state();
    return RelationValue.of(relation, s.dialect, {
      type: kind,
      ...(s.database === undefined ? {} : { database: s.database }),
    });
  };
  const getRelation = (...args: unknown[]): RelationValue | null => {
    const { positional, keywords } = callArguments(args);
    const schema = keywords.schema ?? positional[1];
    const identifier = keywords.identifier ?? positional[2];
    if (schema === undefined || identifier === undefined) {
      throw new TemplateUsageError(
        'adapter.get_relation(database, schema, identifier) needs a schema and an identifier.',
      );
    }
    const relation = { schema: pyStr(schema), name: pyStr(identifier) };
    const found = describe(relation);
    return found === undefined ? null : relationOf(relation, found.kind);
  };
  const loadRelation = (value: unknown): RelationValue | null => {
    const relation = relationParts(value);
    const found = describe(relation);
    if (found === undefined) return null;
    return value instanceof RelationValue ? value : relationOf(relation, found.kind);
  };
  const columnsIn = (value: unknown): ColumnValue[] => {
    const found = describe(relationParts(value));
    const s = state();
    return (found?.columns ?? []).map((c) => new ColumnValue(c, s.dialect));
  };
  const runStatement = (sql: string, fetch: boolean): Record<string, unknown> | null => {
    const answer = ask({ kind: fetch ? 'query' : 'execute', sql });
    return answer === undefined ? null : statementResult(answer);
  };

  const statement = (...args: unknown[]): string => {
    const { positional, keywords } = callArguments(args);
    const name = pyStr(keywords.name ?? positional[0] ?? 'main');
    const fetch = truthy(keywords.fetch_result ?? positional[1] ?? false);
    const caller = keywords.caller as Fn | undefined;
    if (caller === undefined)
      throw new TemplateUsageError('statement() is called as a block: {% call statement(...) %}…{% endcall %}.');
    // As in dbt, the block is rendered and run only when executing (not at parse time).
    if (state().mode === 'parse') return '';
    let sql: string;
    try {
      sql = pyStr(caller()).trim();
    } catch (error) {
      // A return() in the block ends statement(), the macro that called caller() (dbt's rule).
      if (error instanceof MacroReturn) return '';
      throw error;
    }
    state().results.set(name, runStatement(sql, fetch));
    return '';
  };

  const adapter = {
    dispatch: (...args: unknown[]): Fn => {
      const { positional, keywords } = callArguments(args);
      const name = pyStr(keywords.macro_name ?? positional[0]);
      const namespace = keywords.macro_namespace ?? positional[1];
      return registry.resolve(
        name,
        namespace === undefined || namespace === null ? undefined : pyStr(namespace),
        state().adapterType,
      ) as Fn;
    },
    quote: (identifier: unknown) => state().dialect.quoteIdentifier(pyStr(identifier)),
    quote_as_configured: (identifier: unknown) => pyStr(identifier),
    quote_seed_column: (column: unknown, quote: unknown) =>
      truthy(quote) ? state().dialect.quoteIdentifier(pyStr(column)) : pyStr(column),
    get_relation: getRelation,
    load_relation: loadRelation,
    get_columns_in_relation: columnsIn,
    get_missing_columns: (from: unknown, to: unknown) => {
      const have = new Set(columnsIn(to).map((c) => c.name.toLowerCase()));
      return columnsIn(from).filter((c) => !have.has(c.name.toLowerCase()));
    },
    already_exists: (schema: unknown, name: unknown) =>
      describe({ schema: pyStr(schema), name: pyStr(name) }) !== undefined,
    execute: (...args: unknown[]) => {
      const { positional, keywords } = callArguments(args);
      const result = runStatement(pyStr(positional[0]), truthy(keywords.fetch ?? positional[2] ?? false));
      return result === null ? [null, null] : [result.response, result.table];
    },
    type: () => state().adapterType,
    toString: () => `<adapter ${state().adapterType}>`,
  };

  const api = {
    Relation: {
      create: (...args: unknown[]) => {
        const { positional, keywords } = callArguments(args);
        const schema = pyStr(keywords.schema ?? positional[1] ?? '');
        const identifier = pyStr(keywords.identifier ?? positional[2] ?? '');
        const type = keywords.type === undefined || keywords.type === null ? null : pyStr(keywords.type);
        return relationOf({ schema, name: identifier }, type === 'table' || type === 'view' ? type : null);
      },
      add_ephemeral_prefix: (name: unknown) => `__dbt__cte__${pyStr(name)}`,
    },
    Column: {
      create: (name: unknown, dataType: unknown) =>
        new ColumnValue(
          { name: pyStr(name), dataType: pyStr(dataType), type: { kind: 'text' }, nullable: true },
          state().dialect,
        ),
    },
  };

  return {
    adapter,
    api,
    statement,
    load_result: (name: unknown) => state().results.get(pyStr(name)) ?? null,
    run_query: (sql: unknown) => {
      const result = runStatement(pyStr(sql).trim(), true);
      return result === null ? null : result.table;
    },
    load_relation: loadRelation,
    should_store_failures: () => truthy(state().config.store_failures),
    should_full_refresh: () => truthy(state().config.full_refresh),
    log: (message: unknown) => {
      state().log(pyStr(message));
      return '';
    },
    return: (value: unknown) => {
      throw new MacroReturn(value);
    },
  };
}
