import { quoteLiteral, type Relation, type RelationState, type SqlDialect } from '@sluice/warehouse';
import type { CompiledNode } from '../compile-project.js';
import {
  applyGrants,
  cleanup,
  describe,
  execute,
  query,
  runHooks,
  sameName,
  SCRATCH_TABLE,
  tableOptionsOf,
  type Materialization,
  type MaterializationInput,
  type MaterializationPlan,
} from '../materialization.js';
import { ModelsError } from '../models-error.js';
import type { SnapshotNode } from '../project.js';

/** The names of the columns a snapshot adds to the rows of its query. */
export const SNAPSHOT_COLUMNS = {
  validFrom: 'valid_from',
  validTo: 'valid_to',
  scdId: 'snapshot_scd_id',
  updatedAt: 'snapshot_updated_at',
} as const;

/** The names of a snapshot's own columns. */
export type SnapshotColumnNames = { readonly [K in keyof typeof SNAPSHOT_COLUMNS]: string };

/** The staged column holding each row's version time; never kept in the snapshot. */
const STAGED_UPDATED_AT = '__sluice_updated_at';

/** What every statement of one snapshot run is written from. */
interface SnapshotPlanning {
  readonly node: SnapshotNode;
  readonly dialect: SqlDialect;
  readonly compiled: CompiledNode;
  readonly relation: Relation;
  readonly keys: readonly string[];
  /** The SQL of a row's version time: `updated_at`, or (check strategy without it) the run's start. */
  readonly updatedAt: string;
  /** The run's start as a timestamp literal. */
  readonly runTime: string;
  readonly hardDeletes: 'ignore' | 'invalidate';
  readonly columns: SnapshotColumnNames;
}

/**
 * `snapshot` (SCD type 2, as dbt's): the first run copies the query's rows with `valid_from` = their update time
 * and `valid_to` NULL; later runs close the current row of each changed key (`valid_to` = the new version's time)
 * and insert the new version, in one MERGE. Changes are found by `updated_at` (timestamp strategy) or by comparing
 * `check_cols` (check strategy). With `hard_deletes: invalidate`, keys gone from the query get their current row
 * closed at the run's start time.
 */
export const snapshotMaterialization: Materialization<SnapshotNode> = {
  name: 'snapshot',
  *plan(input) {
    const planning = snapshotPlanning(input);
    yield* runHooks(planning.compiled.preHooks);
    const existing = yield* describe(planning.relation);
    return existing === undefined ? yield* firstSnapshot(planning) : yield* nextSnapshot(planning, existing);
  },
};

/** Check the config and work out what the statements share. */
function snapshotPlanning(input: MaterializationInput<SnapshotNode>): SnapshotPlanning {
  const { node, dialect } = input;
  const compiled = input.compile(false);
  const config = node.config;
  const keys = config.unique_key ?? [];
  if (keys.length === 0 || config.strategy === undefined) {
    throw new ModelsError('INVALID_MATERIALIZATION', `snapshot ${node.name} needs unique_key and strategy.`, {
      node: node.id,
      file: node.file,
    });
  }
  const runTime = `cast(${quoteLiteral(input.runStartedAt.toISOString().replace('T', ' ').replace('Z', ''))} as ${dialect.typeName({ kind: 'timestamp' })})`;
  const updatedAt = config.updated_at ?? (config.strategy === 'check' ? runTime : undefined);
  if (updatedAt === undefined) {
    throw new ModelsError(
      'INVALID_MATERIALIZATION',
      `snapshot ${node.name}: the timestamp strategy needs updated_at.`,
      { node: node.id, file: node.file },
    );
  }
  return {
    node,
    dialect,
    compiled,
    relation: compiled.relation as Relation,
    keys,
    updatedAt,
    runTime,
    hardDeletes: config.hard_deletes ?? (config.invalidate_hard_deletes === true ? 'invalidate' : 'ignore'),
    columns: SNAPSHOT_COLUMNS,
  };
}

/** `coalesce(cast(expr as text), '')`: a part of a row's version id. */
function asText(dialect: SqlDialect, expression: string): string {
  return `coalesce(cast(${expression} as ${dialect.typeName({ kind: 'text' })}), '')`;
}

/** The version id: an md5 of the parts (`prefix.key`…, the version time, the checked columns). */
function scdId(p: SnapshotPlanning, prefix: string, checkColumns: readonly string[]): string {
  const parts = [
    ...p.keys.map((k) => `${prefix}.${k}`),
    `${prefix}.${STAGED_UPDATED_AT}`,
    ...checkColumns.map((c) => `${prefix}.${c}`),
  ];
  return `md5(${parts.map((part) => asText(p.dialect, part)).join(` || '|' || `)})`;
}

/** The first run: the query's rows, each its own first version. */
function* firstSnapshot(p: SnapshotPlanning): MaterializationPlan {
  const { dialect, relation, columns: C } = p;
  const q = (name: string): string => dialect.quoteIdentifier(name);
  const sql = [
    `select src.*, src.${STAGED_UPDATED_AT} as ${q(C.updatedAt)}, src.${STAGED_UPDATED_AT} as ${q(C.validFrom)},`,
    `  nullif(src.${STAGED_UPDATED_AT}, src.${STAGED_UPDATED_AT}) as ${q(C.validTo)}, ${scdId(p, 'src', [])} as ${q(C.scdId)}`,
    `from (select *, ${p.updatedAt} as ${STAGED_UPDATED_AT} from (\n${p.compiled.sql}\n) as snapshot_query) as src`,
  ].join('\n');
  // The staged column is dropped by selecting explicitly below; CTAS with `src.*` would keep it.
  const staging: Relation = { schema: relation.schema, name: `${relation.name}__sluice_snapshot_source` };
  yield* execute(dialect.createOrReplaceTableAs(staging, sql, SCRATCH_TABLE));
  try {
    const kept = ((yield* describe(staging))?.columns ?? [])
      .filter((c) => c.name !== STAGED_UPDATED_AT)
      .map((c) => q(c.name));
    // A snapshot is history no source can give back: permanent (Fail-safe) unless its config says transient.
    yield* execute(
      dialect.createOrReplaceTableAs(
        relation,
        `select ${kept.join(', ')} from ${dialect.qualify(staging)}`,
        tableOptionsOf(p.node.config, 'snapshot'),
      ),
    );
  } finally {
    yield* cleanup(dialect.dropRelation(staging, 'table'));
  }
  const rows = yield* query(`select count(*) as n from ${dialect.qualify(relation)}`);
  const count = Number(Object.values(rows[0] ?? {})[0] ?? 0);
  yield* runHooks(p.compiled.postHooks);
  const warnings = yield* applyGrants(dialect, p.node, relation, 'table');
  return {
    compiled: p.compiled,
    rowsAffected: count,
    message: `snapshot created with ${count} rows`,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** A later run: stage the query, add new columns, find the changed rows, MERGE them on the version id. */
function* nextSnapshot(p: SnapshotPlanning, existing: RelationState): MaterializationPlan {
  const { dialect, relation, columns: C } = p;
  const q = (name: string): string => dialect.quoteIdentifier(name);
  const staging: Relation = { schema: relation.schema, name: `${relation.name}__sluice_snapshot_source` };
  const changes: Relation = { schema: relation.schema, name: `${relation.name}__sluice_snapshot_changes` };
  try {
    yield* execute(
      dialect.createOrReplaceTableAs(
        staging,
        `select *, ${p.updatedAt} as ${STAGED_UPDATED_AT} from (\n${p.compiled.sql}\n) as snapshot_query`,
        SCRATCH_TABLE,
      ),
    );
    const staged = ((yield* describe(staging))?.columns ?? []).filter((c) => c.name !== STAGED_UPDATED_AT);
    const meta = new Set<string>(Object.values(C));
    const added = staged.filter((c) => !existing.columns.some((e) => sameName(e.name, c.name)) && !meta.has(c.name));
    for (const column of added) {
      yield* execute(`ALTER TABLE ${dialect.qualify(relation)} ADD COLUMN ${q(column.name)} ${column.dataType}`);
    }
    const sourceColumns = staged.map((c) => c.name).filter((c) => !meta.has(c));
    yield* execute(
      dialect.createOrReplaceTableAs(changes, snapshotChangesSql(p, staging, sourceColumns), SCRATCH_TABLE),
    );
    const columns = [...sourceColumns, C.updatedAt, C.validFrom, C.validTo, C.scdId];
    const rowsAffected = yield* execute(
      dialect.mergeInto(
        relation,
        `select ${columns.map(q).join(', ')} from ${dialect.qualify(changes)}`,
        [C.scdId],
        columns,
      ),
    );
    yield* runHooks(p.compiled.postHooks);
    const warnings = yield* applyGrants(dialect, p.node, relation, 'table');
    const addedNote = added.length > 0 ? ` (added columns ${added.map((c) => c.name).join(', ')})` : '';
    return {
      compiled: p.compiled,
      ...(rowsAffected === undefined ? {} : { rowsAffected }),
      message: `snapshot merged ${rowsAffected ?? '?'} rows${addedNote}`,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  } finally {
    yield* cleanup(dialect.dropRelation(staging, 'table'));
    yield* cleanup(dialect.dropRelation(changes, 'table'));
  }
}

/**
 * The rows to MERGE (pure): a new version of each new or changed key, the current row of each changed key closed
 * at the new version's time, and (`hard_deletes: invalidate`) the current row of each key gone from the query
 * closed at the run's start.
 */
function snapshotChangesSql(p: SnapshotPlanning, staging: Relation, sourceColumns: readonly string[]): string {
  const { dialect, columns: C } = p;
  const q = (name: string): string => dialect.quoteIdentifier(name);
  const config = p.node.config;
  const checkColumns =
    config.strategy === 'check'
      ? config.check_cols === 'all' || config.check_cols === undefined
        ? sourceColumns.map(q)
        : config.check_cols
      : [];
  const keyMatch = p.keys.map((k) => `stg.${k} = cur.${k}`).join(' and ');
  const changed =
    config.strategy === 'timestamp'
      ? `stg.${STAGED_UPDATED_AT} > cur.${q(C.updatedAt)}`
      : `(${checkColumns.map((c) => `stg.${c} is distinct from cur.${c}`).join(' or ')})`;
  const stg = (c: string): string => `stg.${q(c)}`;
  const cur = (c: string): string => `cur.${q(c)}`;
  const stagingName = dialect.qualify(staging);
  const branches = [
    [
      `select ${sourceColumns.map(stg).join(', ')}, stg.${STAGED_UPDATED_AT} as ${q(C.updatedAt)}, stg.${STAGED_UPDATED_AT} as ${q(C.validFrom)},`,
      `  nullif(stg.${STAGED_UPDATED_AT}, stg.${STAGED_UPDATED_AT}) as ${q(C.validTo)}, ${scdId(p, 'stg', checkColumns)} as ${q(C.scdId)}`,
      `from ${stagingName} as stg`,
      `left join current_rows as cur on ${keyMatch}`,
      `where cur.${q(C.scdId)} is null or ${changed}`,
    ].join('\n'),
    [
      `select ${sourceColumns.map(cur).join(', ')}, cur.${q(C.updatedAt)}, cur.${q(C.validFrom)}, stg.${STAGED_UPDATED_AT} as ${q(C.validTo)}, cur.${q(C.scdId)}`,
      `from current_rows as cur`,
      `join ${stagingName} as stg on ${keyMatch}`,
      `where ${changed}`,
    ].join('\n'),
  ];
  if (p.hardDeletes === 'invalidate') {
    branches.push(
      [
        `select ${sourceColumns.map(cur).join(', ')}, cur.${q(C.updatedAt)}, cur.${q(C.validFrom)}, ${p.runTime} as ${q(C.validTo)}, cur.${q(C.scdId)}`,
        `from current_rows as cur`,
        `where not exists (select 1 from ${stagingName} as stg where ${keyMatch})`,
      ].join('\n'),
    );
  }
  return `with current_rows as (select * from ${dialect.qualify(p.relation)} where ${q(C.validTo)} is null)\n${branches.join('\nunion all\n')}`;
}
