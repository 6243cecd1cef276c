import type { Relation, RelationColumn, SqlDialect } from '@sluice/warehouse';
import { incrementalStrategyNamed } from '../incremental-strategies/strategy-registry.js';
import type { IncrementalStrategy } from '../incremental-strategies/incremental-strategy.js';
import {
  applyGrants,
  buildRelation,
  cleanup,
  describe,
  execute,
  runHooks,
  sameName,
  SCRATCH_TABLE,
  tableOptionsOf,
  transaction,
  type Materialization,
} from '../materialization.js';
import { ModelsError } from '../models-error.js';
import type { ModelNode } from '../project.js';

/**
 * `incremental`: the first build (or a full refresh, unless the model says `full_refresh: false`, or when a view
 * has the model's name) is a table.
 * After that the model is rendered with `is_incremental()` true into `<name>__sluice_tmp`, its columns compared
 * with the table's and `on_schema_change` applied, and the rows written by the model's incremental strategy
 * (`incremental-strategies/`). The staging table is always dropped.
 */
export const incrementalMaterialization: Materialization<ModelNode> = {
  name: 'incremental',
  *plan(input) {
    const { node, dialect } = input;
    const probe = input.compile(false);
    const relation = probe.relation as Relation;
    const existing = yield* describe(relation);
    // A view of that name (the model was a view until now) is replaced by the table, as dbt does.
    if (existing === undefined || existing.kind === 'view' || (node.config.full_refresh ?? input.fullRefresh)) {
      yield* buildRelation(dialect, 'table', probe, tableOptionsOf(node.config, 'model'));
      const warnings = yield* applyGrants(dialect, node, relation, 'table');
      const message =
        existing === undefined
          ? 'table created (first build)'
          : existing.kind === 'view'
            ? 'table created (replacing a view)'
            : 'table rebuilt (full refresh)';
      return { compiled: probe, message, ...(warnings.length > 0 ? { warnings } : {}) };
    }
    const compiled = input.compile(true);
    yield* runHooks(compiled.preHooks);
    const staging: Relation = { schema: relation.schema, name: `${relation.name}__sluice_tmp` };
    yield* execute(dialect.createOrReplaceTableAs(staging, compiled.sql, SCRATCH_TABLE));
    let rowsAffected: number | undefined;
    let message: string;
    try {
      const incoming = (yield* describe(staging))?.columns ?? [];
      const change = planSchemaChange(node, relation, existing.columns, incoming, dialect);
      for (const sql of change.statements) yield* execute(sql);
      const keys = node.config.unique_key ?? [];
      const planned = strategyOf(node).plan({
        target: relation,
        staging,
        uniqueKey: keys,
        keyColumns: keys.map((k) => change.columns.find((c) => sameName(c, k)) ?? k),
        columns: change.columns,
        predicates: node.config.incremental_predicates ?? [],
        dialect,
      });
      if (planned.atomic === true && planned.statements.length > 1) {
        rowsAffected = (yield* transaction(planned.statements)).at(-1);
      } else {
        for (const sql of planned.statements) rowsAffected = yield* execute(sql);
      }
      message = planned.message(rowsAffected);
      if (change.notes.length > 0) message += ` (${change.notes.join('; ')})`;
    } finally {
      yield* cleanup(dialect.dropRelation(staging, 'table'));
    }
    yield* runHooks(compiled.postHooks);
    const warnings = yield* applyGrants(dialect, node, relation, 'table');
    return {
      compiled,
      ...(rowsAffected === undefined ? {} : { rowsAffected }),
      message,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  },
};

/** What `on_schema_change` does when the staged columns differ from the table's. */
interface SchemaChange {
  /** `ALTER TABLE` statements, in order. */
  readonly statements: readonly string[];
  /** The columns to write. */
  readonly columns: readonly string[];
  /** e.g. `added columns note`, for the outcome line. */
  readonly notes: readonly string[];
}

/**
 * `on_schema_change` (pure): `ignore` writes the common columns; `fail` refuses any difference (SCHEMA_CHANGED);
 * `append_new_columns` adds the new ones; `sync_all_columns` also drops the gone ones. A new column gets the type
 * the staged rows have in the warehouse, as the engine spells it (`VARIANT`, `TIMESTAMP_LTZ(9)`), not a type
 * mapped through Sluice's logical types.
 */
export function planSchemaChange(
  node: ModelNode,
  relation: Relation,
  existing: readonly RelationColumn[],
  incoming: readonly RelationColumn[],
  dialect: SqlDialect,
): SchemaChange {
  const added = incoming.filter((c) => !existing.some((e) => sameName(e.name, c.name)));
  const removed = existing.filter((e) => !incoming.some((c) => sameName(e.name, c.name)));
  const mode = node.config.on_schema_change ?? 'ignore';
  if ((added.length > 0 || removed.length > 0) && mode === 'fail') {
    throw new ModelsError(
      'SCHEMA_CHANGED',
      `${node.name}: the model's columns changed (new: ${added.map((c) => c.name).join(', ') || 'none'}; gone: ${removed.map((c) => c.name).join(', ') || 'none'}) and on_schema_change is fail. Rebuild it with --full-refresh, or set on_schema_change: append_new_columns.`,
      { node: node.id, file: node.file },
    );
  }
  if (mode !== 'append_new_columns' && mode !== 'sync_all_columns') {
    const columns = incoming.filter((c) => existing.some((e) => sameName(e.name, c.name))).map((c) => c.name);
    return { statements: [], columns, notes: [] };
  }
  const target = dialect.qualify(relation);
  const statements = added.map(
    (c) => `ALTER TABLE ${target} ADD COLUMN ${dialect.quoteIdentifier(c.name)} ${c.dataType}`,
  );
  const notes = added.length > 0 ? [`added columns ${added.map((c) => c.name).join(', ')}`] : [];
  if (mode === 'sync_all_columns') {
    statements.push(...removed.map((c) => `ALTER TABLE ${target} DROP COLUMN ${dialect.quoteIdentifier(c.name)}`));
    if (removed.length > 0) notes.push(`dropped columns ${removed.map((c) => c.name).join(', ')}`);
  }
  return { statements, columns: incoming.map((c) => c.name), notes };
}

/** The model's strategy: `incremental_strategy`, else `merge` with a `unique_key` and `append` without. */
function strategyOf(node: ModelNode): IncrementalStrategy {
  const keys = node.config.unique_key ?? [];
  const name = node.config.incremental_strategy ?? (keys.length > 0 ? 'merge' : 'append');
  const strategy = incrementalStrategyNamed(name);
  if (strategy === undefined || (strategy.needsUniqueKey && keys.length === 0)) {
    throw new ModelsError(
      'INVALID_MATERIALIZATION',
      strategy === undefined
        ? `${node.name}: there is no incremental_strategy ${name}.`
        : `${node.name}: incremental_strategy ${name} needs a unique_key.`,
      { node: node.id, file: node.file },
    );
  }
  return strategy;
}
