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

/** The names of the columns a snapshot adds to the rows of its query: dbt's (`snapshot_meta_column_names` renames them). */
export const SNAPSHOT_COLUMNS = {
  validFrom: 'dbt_valid_from',
  validTo: 'dbt_valid_to',
  scdId: 'dbt_scd_id',
  updatedAt: 'dbt_updated_at',
  /** Only with `hard_deletes: new_record`: `'True'` on the row that records a deletion, else `'False'`. */
  isDeleted: 'dbt_is_deleted',
} as const;

/** The names Sluice gave these columns before it used dbt's: an existing snapshot with them is renamed in place. */
export const LEGACY_SNAPSHOT_COLUMNS = {
  validFrom: 'valid_from',
  validTo: 'valid_to',
  scdId: 'snapshot_scd_id',
  updatedAt: 'snapshot_updated_at',
} as const;

/** The names of a snapshot's own columns. */
export type SnapshotColumnNames = { readonly [K in keyof typeof SNAPSHOT_COLUMNS]: string };

/** The snapshot's column names: dbt's, with `snapshot_meta_column_names` laid over them. */
export function snapshotColumnNames(config: SnapshotNode['config']): SnapshotColumnNames {
  const names = config.snapshot_meta_column_names ?? {};
  return {
    validFrom: names.dbt_valid_from ?? SNAPSHOT_COLUMNS.validFrom,
    validTo: names.dbt_valid_to ?? SNAPSHOT_COLUMNS.validTo,
    scdId: names.dbt_scd_id ?? SNAPSHOT_COLUMNS.scdId,
    updatedAt: names.dbt_updated_at ?? SNAPSHOT_COLUMNS.updatedAt,
    isDeleted: names.dbt_is_deleted ?? SNAPSHOT_COLUMNS.isDeleted,
  };
}

/**
 * The renames that bring a snapshot built with Sluice's old column names (`valid_from`, `valid_to`,
 * `snapshot_scd_id`, `snapshot_updated_at`) to `columns` (pure). Only a table that holds, for every role, the old
 * name or the new one is a snapshot of that shape; a role whose new name exists is left alone (so an interrupted
 * migration finishes on the next run, and a source column that happens to be called `valid_from` in a table that
 * already has `dbt_valid_from` is never touched).
 */
export function legacySnapshotRenames(
  existing: readonly string[],
  columns: SnapshotColumnNames,
): { readonly from: string; readonly to: string }[] {
  const has = (name: string): boolean => existing.some((e) => sameName(e, name));
  const roles = Object.keys(LEGACY_SNAPSHOT_COLUMNS) as (keyof typeof LEGACY_SNAPSHOT_COLUMNS)[];
  if (!roles.every((role) => has(columns[role]) || has(LEGACY_SNAPSHOT_COLUMNS[role]))) return [];
  return roles
    .filter((role) => !has(columns[role]) && !sameName(columns[role], LEGACY_SNAPSHOT_COLUMNS[role]))
    .map((role) => ({ from: LEGACY_SNAPSHOT_COLUMNS[role], to: columns[role] }));
}

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
  readonly hardDeletes: 'ignore' | 'invalidate' | 'new_record';
  readonly columns: SnapshotColumnNames;
}

/**
 * `snapshot` (SCD type 2, as dbt's): the first run copies the query's rows with `dbt_valid_from` = their update time
 * and `dbt_valid_to` NULL; later runs close the current row of each changed key (`dbt_valid_to` = the new version's
 * time) and insert the new version, in one MERGE. Changes are found by `updated_at` (timestamp strategy) or by
 * comparing `check_cols` (check strategy). Keys gone from the query (dbt 1.9's `hard_deletes`): `ignore` keeps
 * their current row open; `invalidate` closes it at the run's start; `new_record` closes it and inserts a row
 * recording the deletion (`dbt_is_deleted = 'True'`, valid from the run's start), and a key that comes back gets a
 * new version again. A snapshot built with Sluice's old column names has them renamed in place first.
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
    columns: snapshotColumnNames(config),
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

/** `cast('False' as text)`: the `dbt_is_deleted` value of a row that is not a deletion (dbt writes strings). */
function deletedFlag(dialect: SqlDialect, value: 'True' | 'False'): string {
  return `cast(${quoteLiteral(value)} as ${dialect.typeName({ kind: 'text' })})`;
}

/** The first run: the query's rows, each its own first version. */
function* firstSnapshot(p: SnapshotPlanning): MaterializationPlan {
  const { dialect, relation, columns: C } = p;
  const q = (name: string): string => dialect.quoteIdentifier(name);
  const isDeleted = p.hardDeletes === 'new_record' ? `, ${deletedFlag(dialect, 'False')} as ${q(C.isDeleted)}` : '';
  const sql = [
    `select src.*, src.${STAGED_UPDATED_AT} as ${q(C.updatedAt)}, src.${STAGED_UPDATED_AT} as ${q(C.validFrom)},`,
    `  nullif(src.${STAGED_UPDATED_AT}, src.${STAGED_UPDATED_AT}) as ${q(C.validTo)}, ${scdId(p, 'src', [])} as ${q(C.scdId)}${isDeleted}`,
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

/**
 * A later run: rename old-style columns, stage the query, add new columns, find the changed rows, MERGE them on the
 * version id.
 */
function* nextSnapshot(p: SnapshotPlanning, existing: RelationState): MaterializationPlan {
  const { dialect, relation, columns: C } = p;
  const q = (name: string): string => dialect.quoteIdentifier(name);
  const staging: Relation = { schema: relation.schema, name: `${relation.name}__sluice_snapshot_source` };
  const changes: Relation = { schema: relation.schema, name: `${relation.name}__sluice_snapshot_changes` };
  const renames = legacySnapshotRenames(
    existing.columns.map((c) => c.name),
    C,
  );
  for (const { from, to } of renames) {
    yield* execute(`ALTER TABLE ${dialect.qualify(relation)} RENAME COLUMN ${q(from)} TO ${q(to)}`);
  }
  const existingNames = existing.columns.map((c) => renames.find((r) => sameName(r.from, c.name))?.to ?? c.name);
  const newRecord = p.hardDeletes === 'new_record';
  try {
    yield* execute(
      dialect.createOrReplaceTableAs(
        staging,
        `select *, ${p.updatedAt} as ${STAGED_UPDATED_AT} from (\n${p.compiled.sql}\n) as snapshot_query`,
        SCRATCH_TABLE,
      ),
    );
    const staged = ((yield* describe(staging))?.columns ?? []).filter((c) => c.name !== STAGED_UPDATED_AT);
    const meta = new Set<string>(Object.values(C).map((n) => n.toLowerCase()));
    const isMeta = (name: string): boolean => meta.has(name.toLowerCase());
    const added = staged.filter((c) => !existingNames.some((e) => sameName(e, c.name)) && !isMeta(c.name));
    for (const column of added) {
      yield* execute(`ALTER TABLE ${dialect.qualify(relation)} ADD COLUMN ${q(column.name)} ${column.dataType}`);
    }
    // A snapshot switched to `new_record` gains the column; its older rows hold NULL there (not a deletion).
    const addsIsDeleted = newRecord && !existingNames.some((e) => sameName(e, C.isDeleted));
    if (addsIsDeleted) {
      yield* execute(
        `ALTER TABLE ${dialect.qualify(relation)} ADD COLUMN ${q(C.isDeleted)} ${dialect.typeName({ kind: 'text' })}`,
      );
    }
    const sourceColumns = staged.map((c) => c.name).filter((c) => !isMeta(c));
    yield* execute(
      dialect.createOrReplaceTableAs(changes, snapshotChangesSql(p, staging, sourceColumns), SCRATCH_TABLE),
    );
    const columns = [
      ...sourceColumns,
      C.updatedAt,
      C.validFrom,
      C.validTo,
      C.scdId,
      ...(newRecord ? [C.isDeleted] : []),
    ];
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
    const notes = [
      ...(renames.length > 0 ? [`renamed columns ${renames.map((r) => `${r.from} → ${r.to}`).join(', ')}`] : []),
      ...(added.length > 0 ? [`added columns ${added.map((c) => c.name).join(', ')}`] : []),
      ...(addsIsDeleted ? [`added column ${C.isDeleted}`] : []),
    ];
    return {
      compiled: p.compiled,
      ...(rowsAffected === undefined ? {} : { rowsAffected }),
      message: `snapshot merged ${rowsAffected ?? '?'} rows${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  } finally {
    yield* cleanup(dialect.dropRelation(staging, 'table'));
    yield* cleanup(dialect.dropRelation(changes, 'table'));
  }
}

/**
 * The rows to MERGE (pure): a new version of each new or changed key, the current row of each changed key closed
 * at the new version's time, and for keys gone from the query: (`invalidate`) their current row closed at the
 * run's start; (`new_record`) that, and a deletion row. With `new_record` a current deletion row counts as a
 * change when its key is back: it is closed and a new version inserted (dbt 1.9).
 */
function snapshotChangesSql(p: SnapshotPlanning, staging: Relation, sourceColumns: readonly string[]): string {
  const { dialect, columns: C } = p;
  const q = (name: string): string => dialect.quoteIdentifier(name);
  const config = p.node.config;
  const newRecord = p.hardDeletes === 'new_record';
  const checkColumns =
    config.strategy === 'check'
      ? config.check_cols === 'all' || config.check_cols === undefined
        ? sourceColumns.map(q)
        : config.check_cols
      : [];
  const keyMatch = p.keys.map((k) => `stg.${k} = cur.${k}`).join(' and ');
  const rowChanged =
    config.strategy === 'timestamp'
      ? `stg.${STAGED_UPDATED_AT} > cur.${q(C.updatedAt)}`
      : `(${checkColumns.map((c) => `stg.${c} is distinct from cur.${c}`).join(' or ')})`;
  const wasDeleted = `cur.${q(C.isDeleted)} = ${deletedFlag(dialect, 'True')}`;
  const changed = newRecord ? `(${rowChanged} or ${wasDeleted})` : rowChanged;
  const stg = (c: string): string => `stg.${q(c)}`;
  const cur = (c: string): string => `cur.${q(c)}`;
  const stagingName = dialect.qualify(staging);
  const version = scdId(p, 'stg', checkColumns);
  // A key back after its deletion row may bring the very version it had before; its id must differ from that row's.
  const newVersionId = newRecord
    ? `case when ${wasDeleted} then md5(${version} || ${asText(dialect, p.runTime)}) else ${version} end`
    : version;
  const curFlag = newRecord ? `, ${cur(C.isDeleted)}` : '';
  const branches = [
    [
      `select ${sourceColumns.map(stg).join(', ')}, stg.${STAGED_UPDATED_AT} as ${q(C.updatedAt)}, stg.${STAGED_UPDATED_AT} as ${q(C.validFrom)},`,
      `  nullif(stg.${STAGED_UPDATED_AT}, stg.${STAGED_UPDATED_AT}) as ${q(C.validTo)}, ${newVersionId} as ${q(C.scdId)}${newRecord ? `, ${deletedFlag(dialect, 'False')} as ${q(C.isDeleted)}` : ''}`,
      `from ${stagingName} as stg`,
      `left join current_rows as cur on ${keyMatch}`,
      `where cur.${q(C.scdId)} is null or ${changed}`,
    ].join('\n'),
    [
      `select ${sourceColumns.map(cur).join(', ')}, cur.${q(C.updatedAt)}, cur.${q(C.validFrom)}, stg.${STAGED_UPDATED_AT} as ${q(C.validTo)}, cur.${q(C.scdId)}${curFlag}`,
      `from current_rows as cur`,
      `join ${stagingName} as stg on ${keyMatch}`,
      `where ${changed}`,
    ].join('\n'),
  ];
  const gone = `not exists (select 1 from ${stagingName} as stg where ${keyMatch})`;
  if (p.hardDeletes === 'invalidate') {
    branches.push(
      [
        `select ${sourceColumns.map(cur).join(', ')}, cur.${q(C.updatedAt)}, cur.${q(C.validFrom)}, ${p.runTime} as ${q(C.validTo)}, cur.${q(C.scdId)}`,
        `from current_rows as cur`,
        `where ${gone}`,
      ].join('\n'),
    );
  }
  if (newRecord) {
    const notYetDeleted = `(cur.${q(C.isDeleted)} is null or not ${wasDeleted})`;
    branches.push(
      [
        `select ${sourceColumns.map(cur).join(', ')}, cur.${q(C.updatedAt)}, cur.${q(C.validFrom)}, ${p.runTime} as ${q(C.validTo)}, cur.${q(C.scdId)}${curFlag}`,
        `from current_rows as cur`,
        `where ${gone} and ${notYetDeleted}`,
      ].join('\n'),
      [
        `select ${sourceColumns.map(cur).join(', ')}, ${p.runTime} as ${q(C.updatedAt)}, ${p.runTime} as ${q(C.validFrom)},`,
        `  nullif(${p.runTime}, ${p.runTime}) as ${q(C.validTo)}, md5(${asText(dialect, `cur.${q(C.scdId)}`)} || ${asText(dialect, p.runTime)}) as ${q(C.scdId)}, ${deletedFlag(dialect, 'True')} as ${q(C.isDeleted)}`,
        `from current_rows as cur`,
        `where ${gone} and ${notYetDeleted}`,
      ].join('\n'),
    );
  }
  return `with current_rows as (select * from ${dialect.qualify(p.relation)} where ${q(C.validTo)} is null)\n${branches.join('\nunion all\n')}`;
}
