import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { duckDbDialect } from '@sluice/duckdb';
import { snowflakeDialect } from '@sluice/snowflake';
import type { Column, Relation, RelationState, SqlDialect } from '@sluice/warehouse';
import { describe, expect, it } from 'vitest';
import type { CompiledNode } from './compile-project.js';
import type { PlanStep, StepResult } from './materialization.js';
import { INCREMENTAL_STRATEGY_NAMES } from './incremental-strategies/strategy-registry.js';
import { MATERIALIZED_NAMES, planMaterialization } from './materializations/materialization-registry.js';
import type { ModelConfig, SnapshotConfig } from './node-config.js';
import type { ModelNode, SnapshotNode } from './project.js';

// The statements each materialization sends, for fixed models and warehouse states, pinned per engine dialect in
// __golden__/<engine>/*.sql. Rewrite the files after an intended change with:
//   UPDATE_GOLDEN=1 npx vitest run packages/models/src/golden-sql.test.ts
const goldenDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '__golden__');

const DIALECTS: Record<string, SqlDialect> = { duckdb: duckDbDialect, snowflake: snowflakeDialect };

/** A relation as a case's warehouse holds it (staging relations: as they are once created). */
interface FixtureRelation {
  readonly kind: 'table' | 'view';
  readonly columns: readonly string[];
}

interface GoldenCase {
  readonly node: ModelNode | SnapshotNode;
  /** Relations by `schema.name`. */
  readonly relations: Readonly<Record<string, FixtureRelation>>;
  readonly fullRefresh?: boolean;
  /** The first CREATE OR REPLACE fails (the name is taken by the other kind of relation). */
  readonly firstCreateFails?: boolean;
  readonly preHooks?: readonly string[];
  readonly postHooks?: readonly string[];
}

const RUN_STARTED_AT = new Date('2024-03-01T04:05:06.789Z');
/** What SHOW GRANTS answers in every case: the owner, and SELECT to two roles (one of them not configured). */
const GRANTED = [
  { privilege: 'OWNERSHIP', granted_to: 'ROLE', grantee_name: 'TRANSFORMER' },
  { privilege: 'SELECT', granted_to: 'ROLE', grantee_name: 'REPORTER' },
  { privilege: 'SELECT', granted_to: 'ROLE', grantee_name: 'LEGACY_BI' },
];
const SCHEMA = 'analytics';

const column = (name: string): Column => ({
  name,
  type: name.endsWith('_at') ? { kind: 'timestamp' } : name === 'id' ? { kind: 'integer' } : { kind: 'text' },
  nullable: true,
});

function model(name: string, config: ModelConfig): ModelNode {
  const materialized = config.materialized ?? 'view';
  return {
    id: `model.golden.${name}`,
    kind: 'model',
    name,
    file: `models/${name}.sql`,
    line: 1,
    fqn: ['golden', name],
    description: '',
    tags: [],
    dependsOn: [],
    config: { ...config, materialized },
    materialized,
    rawSql: '',
    columns: [],
  };
}

function snapshot(name: string, config: SnapshotConfig): SnapshotNode {
  return {
    id: `snapshot.golden.${name}`,
    kind: 'snapshot',
    name,
    file: `snapshots/${name}.sql`,
    line: 1,
    fqn: ['golden', name],
    description: '',
    tags: [],
    dependsOn: [],
    config,
    rawSql: '',
    columns: [],
  };
}

const table = (...columns: string[]): FixtureRelation => ({ kind: 'table', columns });
const PAYMENTS = ['id', 'amount', 'updated_at'];
const PRICES = ['product_id', 'price', 'changed_at'];
const snapshotColumns = ['dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to', 'dbt_scd_id'];
/** The names Sluice used before dbt's: such a snapshot is renamed in place. */
const legacySnapshotColumns = ['snapshot_updated_at', 'valid_from', 'valid_to', 'snapshot_scd_id'];

const cases: Record<string, GoldenCase> = {
  'view.sql': { node: model('stg_payments', { materialized: 'view' }), relations: {} },
  'table-hooks.sql': {
    node: model('payments_table', { materialized: 'table' }),
    relations: {},
    preHooks: ["insert into audit.log values ('before')"],
    postHooks: ['grant select on analytics.payments_table to reporter'],
  },
  'table-replaces-view.sql': {
    node: model('payments_table', { materialized: 'table' }),
    relations: { 'analytics.payments_table': { kind: 'view', columns: PAYMENTS } },
    firstCreateFails: true,
  },
  'incremental-first-build.sql': {
    node: model('payments', { materialized: 'incremental', unique_key: ['id'] }),
    relations: {},
  },
  'incremental-replaces-view.sql': {
    node: model('payments', { materialized: 'incremental', unique_key: ['id'] }),
    relations: { 'analytics.payments': { kind: 'view', columns: PAYMENTS } },
    firstCreateFails: true,
  },
  'incremental-full-refresh.sql': {
    node: model('payments', { materialized: 'incremental', unique_key: ['id'] }),
    relations: { 'analytics.payments': table(...PAYMENTS) },
    fullRefresh: true,
  },
  'incremental-merge.sql': {
    node: model('payments', { materialized: 'incremental', unique_key: ['ID'], full_refresh: false }),
    relations: { 'analytics.payments': table(...PAYMENTS), 'analytics.payments__sluice_tmp': table(...PAYMENTS) },
    fullRefresh: true,
    preHooks: ["insert into audit.log values ('before')"],
    postHooks: ["insert into audit.log values ('after')"],
  },
  'incremental-append.sql': {
    node: model('payments', { materialized: 'incremental' }),
    relations: { 'analytics.payments': table(...PAYMENTS), 'analytics.payments__sluice_tmp': table(...PAYMENTS) },
  },
  'table-snowflake-configs.sql': {
    node: model('payments_table', {
      materialized: 'table',
      transient: false,
      cluster_by: ['updated_at', 'id'],
      copy_grants: false,
      grants: { select: ['reporter', 'analyst'] },
    }),
    relations: {},
  },
  'view-grants.sql': {
    node: model('stg_payments', { materialized: 'view', grants: { select: ['reporter'] } }),
    relations: {},
  },
  'incremental-merge-predicates.sql': {
    node: model('payments', {
      materialized: 'incremental',
      unique_key: ['id'],
      incremental_predicates: ["DBT_INTERNAL_DEST.updated_at > '2024-01-01'"],
    }),
    relations: { 'analytics.payments': table(...PAYMENTS), 'analytics.payments__sluice_tmp': table(...PAYMENTS) },
  },
  'incremental-delete-insert-single-key.sql': {
    node: model('payments', {
      materialized: 'incremental',
      unique_key: ['id'],
      incremental_strategy: 'delete+insert',
      incremental_predicates: ["DBT_INTERNAL_DEST.updated_at > '2024-01-01'"],
    }),
    relations: { 'analytics.payments': table(...PAYMENTS), 'analytics.payments__sluice_tmp': table(...PAYMENTS) },
  },
  'incremental-delete-insert.sql': {
    node: model('payments', {
      materialized: 'incremental',
      unique_key: ['id', 'region'],
      incremental_strategy: 'delete+insert',
    }),
    relations: {
      'analytics.payments': table(...PAYMENTS, 'region'),
      'analytics.payments__sluice_tmp': table(...PAYMENTS, 'region'),
    },
  },
  'incremental-ignore-new-columns.sql': {
    node: model('payments', { materialized: 'incremental', unique_key: ['id'] }),
    relations: {
      'analytics.payments': table(...PAYMENTS, 'legacy'),
      'analytics.payments__sluice_tmp': table(...PAYMENTS, 'note'),
    },
  },
  'incremental-append-new-columns.sql': {
    node: model('payments', {
      materialized: 'incremental',
      unique_key: ['id'],
      on_schema_change: 'append_new_columns',
    }),
    relations: {
      'analytics.payments': table(...PAYMENTS, 'legacy'),
      'analytics.payments__sluice_tmp': table(...PAYMENTS, 'note', 'channel'),
    },
  },
  'incremental-new-column-types.sql': {
    node: model('payments', {
      materialized: 'incremental',
      unique_key: ['id'],
      on_schema_change: 'append_new_columns',
    }),
    relations: {
      'analytics.payments': table(...PAYMENTS),
      'analytics.payments__sluice_tmp': table(...PAYMENTS, 'payload', 'seen_at_local'),
    },
  },
  'incremental-sync-all-columns.sql': {
    node: model('payments', {
      materialized: 'incremental',
      on_schema_change: 'sync_all_columns',
    }),
    relations: {
      'analytics.payments': table(...PAYMENTS, 'legacy'),
      'analytics.payments__sluice_tmp': table(...PAYMENTS, 'note'),
    },
  },
  'incremental-schema-change-fails.sql': {
    node: model('payments', { materialized: 'incremental', unique_key: ['id'], on_schema_change: 'fail' }),
    relations: {
      'analytics.payments': table(...PAYMENTS),
      'analytics.payments__sluice_tmp': table(...PAYMENTS, 'note'),
    },
  },
  'snapshot-first-build.sql': {
    node: snapshot('price_history', { strategy: 'timestamp', unique_key: ['product_id'], updated_at: 'changed_at' }),
    relations: {
      'analytics.price_history__sluice_snapshot_source': table(...PRICES, '__sluice_updated_at', ...snapshotColumns),
    },
    preHooks: ["insert into audit.log values ('before')"],
    postHooks: ["insert into audit.log values ('after')"],
  },
  'snapshot-timestamp.sql': {
    node: snapshot('price_history', { strategy: 'timestamp', unique_key: ['product_id'], updated_at: 'changed_at' }),
    relations: {
      'analytics.price_history': table(...PRICES, ...snapshotColumns),
      'analytics.price_history__sluice_snapshot_source': table(...PRICES, '__sluice_updated_at'),
    },
    postHooks: ["insert into audit.log values ('after')"],
  },
  'snapshot-check-invalidate.sql': {
    node: snapshot('price_history', {
      strategy: 'check',
      unique_key: ['product_id', 'store_id'],
      check_cols: ['price', 'currency'],
      updated_at: 'changed_at',
      hard_deletes: 'invalidate',
    }),
    relations: {
      'analytics.price_history': table(...PRICES, 'store_id', ...snapshotColumns),
      'analytics.price_history__sluice_snapshot_source': table(
        ...PRICES,
        'store_id',
        'currency',
        '__sluice_updated_at',
      ),
    },
  },
  'snapshot-transient-grants.sql': {
    node: snapshot('price_history', {
      strategy: 'timestamp',
      unique_key: ['product_id'],
      updated_at: 'changed_at',
      transient: true,
      grants: { select: ['reporter'] },
    }),
    relations: {
      'analytics.price_history__sluice_snapshot_source': table(...PRICES, '__sluice_updated_at', ...snapshotColumns),
    },
  },
  'snapshot-new-record.sql': {
    node: snapshot('price_history', {
      strategy: 'timestamp',
      unique_key: ['product_id'],
      updated_at: 'changed_at',
      hard_deletes: 'new_record',
    }),
    relations: {
      'analytics.price_history': table(...PRICES, ...snapshotColumns, 'dbt_is_deleted'),
      'analytics.price_history__sluice_snapshot_source': table(...PRICES, '__sluice_updated_at'),
    },
  },
  'snapshot-legacy-columns.sql': {
    node: snapshot('price_history', { strategy: 'timestamp', unique_key: ['product_id'], updated_at: 'changed_at' }),
    relations: {
      'analytics.price_history': table(...PRICES, ...legacySnapshotColumns),
      'analytics.price_history__sluice_snapshot_source': table(...PRICES, '__sluice_updated_at'),
    },
  },
  'snapshot-meta-column-names.sql': {
    node: snapshot('price_history', {
      strategy: 'timestamp',
      unique_key: ['product_id'],
      updated_at: 'changed_at',
      hard_deletes: 'new_record',
      snapshot_meta_column_names: { dbt_valid_from: 'start_at', dbt_valid_to: 'end_at', dbt_is_deleted: 'gone' },
    }),
    relations: {
      'analytics.price_history__sluice_snapshot_source': table(
        ...PRICES,
        '__sluice_updated_at',
        'dbt_updated_at',
        'start_at',
        'end_at',
        'dbt_scd_id',
        'gone',
      ),
    },
  },
  'snapshot-check-all.sql': {
    node: snapshot('price_history', { strategy: 'check', unique_key: ['product_id'], invalidate_hard_deletes: true }),
    relations: {
      'analytics.price_history': table(...PRICES, ...snapshotColumns),
      'analytics.price_history__sluice_snapshot_source': table(...PRICES, '__sluice_updated_at'),
    },
  },
};

function compiledOf(c: GoldenCase, incremental: boolean): CompiledNode {
  const { node } = c;
  const from = node.kind === 'snapshot' ? '"raw"."prices"' : '"raw"."payments"';
  const columns = node.kind === 'snapshot' ? PRICES : PAYMENTS;
  const where = incremental ? `\nwhere updated_at > (select max(updated_at) from "${SCHEMA}"."${node.name}")` : '';
  return {
    id: node.id,
    kind: node.kind,
    sql: `select ${columns.join(', ')} from ${from}${where}`,
    relation: { schema: SCHEMA, name: node.name },
    preHooks: c.preHooks ?? [],
    postHooks: c.postHooks ?? [],
    compiledPath: `compiled/golden/${node.file}`,
  };
}

/** Columns whose type in the warehouse is no logical type's: what each engine reports for them. */
const ENGINE_TYPES: Record<string, Record<string, string>> = {
  payload: { snowflake: 'VARIANT', duckdb: 'JSON' },
  seen_at_local: { snowflake: 'TIMESTAMP_LTZ(9)', duckdb: 'TIMESTAMP WITH TIME ZONE' },
};

/** The state a case's warehouse holds for `relation`, types spelled as `engine` spells them. */
function stateOf(c: GoldenCase, relation: Relation, engine: string, dialect: SqlDialect): RelationState | undefined {
  const found = c.relations[`${relation.schema}.${relation.name}`];
  if (found === undefined) return undefined;
  return {
    kind: found.kind,
    columns: found.columns.map((name) => ({
      ...column(name),
      dataType: ENGINE_TYPES[name]?.[engine] ?? dialect.typeName(column(name).type),
    })),
  };
}

/**
 * The plan of the case's node, walked against the case's relations (no warehouse): its statements, relation reads
 * (`-- describe`) and best-effort cleanups (`-- cleanup`) in order, then its outcome or its error. DML answers 3
 * rows, `count(*)` 2; with `firstCreateFails`, the first CREATE OR REPLACE fails.
 */
function transcript(c: GoldenCase, engine: string, dialect: SqlDialect): string {
  const lines: string[] = [];
  const input = {
    dialect,
    fullRefresh: c.fullRefresh ?? false,
    runStartedAt: RUN_STARTED_AT,
    compile: (incremental: boolean) => compiledOf(c, incremental),
  };
  const plan = planMaterialization(c.node, input);
  let creates = 0;
  const answer = (step: PlanStep): StepResult => {
    switch (step.kind) {
      case 'execute':
        lines.push(`${step.sql};`);
        if (/^CREATE OR REPLACE/.test(step.sql) && creates++ === 0 && c.firstCreateFails) {
          throw new Error('the name is taken by an object of the other kind');
        }
        return { kind: 'execute', rowsAffected: /^(MERGE|INSERT|DELETE)/i.test(step.sql) ? 3 : undefined };
      case 'query':
        lines.push(`${step.sql};`);
        return { kind: 'query', rows: /^SHOW GRANTS/i.test(step.sql) ? GRANTED : [{ n: 2 }] };
      case 'transaction':
        lines.push(`-- transaction (all or nothing)\n${step.statements.map((sql) => `${sql};`).join('\n\n')}`);
        return { kind: 'transaction', rowsAffected: step.statements.map(() => 3) };
      case 'describe':
        lines.push(`-- describe ${step.relation.schema}.${step.relation.name}`);
        return { kind: 'describe', state: stateOf(c, step.relation, engine, dialect) };
      case 'cleanup':
        lines.push(`-- cleanup\n${step.sql};`);
        return { kind: 'cleanup' };
    }
  };
  try {
    let next = plan.next();
    while (!next.done) {
      let result: StepResult;
      try {
        result = answer(next.value);
      } catch (error) {
        next = plan.throw(error);
        continue;
      }
      next = plan.next(result);
    }
    const outcome = next.value;
    lines.push(
      `-- outcome: ${outcome.message}${outcome.rowsAffected === undefined ? '' : ` (rows ${outcome.rowsAffected})`}`,
      ...(outcome.warnings ?? []).map((w) => `-- warning: ${w}`),
    );
  } catch (error) {
    const e = error as { code?: string; message: string };
    lines.push(`-- error${e.code === undefined ? '' : ` ${e.code}`}: ${e.message}`);
  }
  return `${lines.join('\n\n')}\n`;
}

describe('golden SQL of the materializations', () => {
  it('has cases for every registered materialization and incremental strategy', () => {
    const covered = new Set(
      Object.values(cases).flatMap(({ node }) => {
        if (node.kind === 'snapshot') return ['snapshot'];
        const keyed = (node.config.unique_key ?? []).length > 0;
        const strategy = node.config.incremental_strategy ?? (keyed ? 'merge' : 'append');
        return node.materialized === 'incremental' ? [node.materialized, strategy] : [node.materialized];
      }),
    );
    const registered = [
      ...MATERIALIZED_NAMES.filter((name) => name !== 'ephemeral'),
      'snapshot',
      ...INCREMENTAL_STRATEGY_NAMES,
    ];
    expect(registered.filter((name) => !covered.has(name))).toEqual([]);
  });

  for (const [engine, dialect] of Object.entries(DIALECTS)) {
    for (const [name, c] of Object.entries(cases)) {
      it(`${engine}: emits the statements pinned in __golden__/${engine}/${name}`, async () => {
        const actual = transcript(c, engine, dialect);
        const target = path.join(goldenDir, engine, name);
        if (process.env.UPDATE_GOLDEN === '1') {
          await mkdir(path.dirname(target), { recursive: true });
          await writeFile(target, actual);
        }
        expect(existsSync(target), `${target} is missing: run with UPDATE_GOLDEN=1 to write it`).toBe(true);
        expect(actual).toBe(await readFile(target, 'utf8'));
      });
    }
  }
});
