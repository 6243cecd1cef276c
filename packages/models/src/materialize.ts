import type { Column, Relation, Warehouse } from '@sluice/warehouse';
import { METADATA_COLUMNS, quoteLiteral } from '@sluice/warehouse';
import type { CompiledNode } from './compile-project.js';
import { ModelsError } from './models-error.js';
import type { ModelNode, SnapshotNode } from './project.js';

/** What materializing needs besides the node: the warehouse, the statement options and the run's flags. */
export interface MaterializeContext {
  readonly warehouse: Warehouse;
  readonly signal?: AbortSignal;
  readonly fullRefresh: boolean;
  /** The run's start, used where a snapshot needs a time of its own (check strategy, invalidated deletes). */
  readonly runStartedAt: Date;
  /** Renders the node; `incremental` is what `is_incremental()` returns. */
  readonly compile: (incremental: boolean) => CompiledNode;
  /** Names the run in each statement's tag (Snowflake QUERY_TAG), e.g. `sluice run <id>`. */
  readonly tagPrefix?: string;
}

/** The tag of a node's statements: the run and the node (`sluice run 3f… model model.novadrive.fct_vendas`). */
export function statementTag(ctx: { readonly tagPrefix?: string }, nodeId: string): string {
  return ctx.tagPrefix ? `${ctx.tagPrefix} ${nodeId}` : nodeId;
}

/** What a materialization did. */
export interface MaterializeOutcome {
  readonly compiled: CompiledNode;
  readonly rowsAffected?: number;
  /** e.g. `view created`, `merged 12 rows`, `table rebuilt (full refresh)`. */
  readonly message: string;
  /** Statements sent to the warehouse. */
  readonly statements: number;
}

class Statements {
  count = 0;
  constructor(
    private readonly ctx: MaterializeContext,
    private readonly tag: string,
  ) {}
  get dialect(): Warehouse['dialect'] {
    return this.ctx.warehouse.dialect;
  }
  private get options() {
    return { tag: this.tag, ...(this.ctx.signal === undefined ? {} : { signal: this.ctx.signal }) };
  }
  async execute(sql: string): Promise<number | undefined> {
    this.count++;
    return (await this.ctx.warehouse.execute(sql, this.options)).rowsAffected;
  }
  async query(sql: string): Promise<Record<string, unknown>[]> {
    this.count++;
    return this.ctx.warehouse.query(sql, this.options);
  }
  /**
   * Every column of a table. `describeTable` leaves out columns named like Sluice's metadata columns
   * (`_sluice_synced_at`), which a model may well carry through from a raw table; they are looked up in
   * information_schema and typed as instants.
   */
  async describe(relation: Relation): Promise<readonly Column[] | undefined> {
    this.count++;
    const described = (await this.ctx.warehouse.describeTable(relation))?.columns;
    if (described === undefined) return undefined;
    const names = await this.query(
      `select column_name from information_schema.columns where table_schema = ${quoteLiteral(relation.schema)} and table_name = ${quoteLiteral(relation.name)}`,
    ).catch(() => []);
    const hidden = names
      .map((row) => String(Object.values(row)[0]))
      .filter(
        (name) => METADATA_COLUMNS.some((m) => sameName(m, name)) && !described.some((c) => sameName(c.name, name)),
      );
    return [...described, ...hidden.map((name): Column => ({ name, type: { kind: 'timestamptz' }, nullable: true }))];
  }
}

/**
 * `CREATE OR REPLACE` a view or table. When the name is taken by the other kind (a model switched from view to
 * table), that object is dropped and the statement repeated; only that switch is not atomic.
 */
async function replaceRelation(
  run: Statements,
  kind: 'view' | 'table',
  relation: Relation,
  statement: string,
): Promise<void> {
  try {
    await run.execute(statement);
  } catch (error) {
    const rows = await run
      .query(
        `select table_type from information_schema.tables where table_schema = ${quoteLiteral(relation.schema)} and table_name = ${quoteLiteral(relation.name)}`,
      )
      .catch(() => []);
    const type = String(Object.values(rows[0] ?? {})[0] ?? '').toUpperCase();
    const existing = type === '' ? undefined : type.includes('VIEW') ? 'view' : 'table';
    if (existing === undefined || existing === kind) throw error;
    await run.execute(run.dialect.dropRelation(relation, existing));
    await run.execute(statement);
  }
}

function runHooks(run: Statements, hooks: readonly string[]): Promise<void> {
  return hooks.reduce<Promise<void>>(async (previous, hook) => {
    await previous;
    await run.execute(hook);
  }, Promise.resolve());
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Materialize a model as a view, a table or an incremental table. Ephemeral models are never materialized. */
export async function materializeModel(ctx: MaterializeContext, node: ModelNode): Promise<MaterializeOutcome> {
  const run = new Statements(ctx, statementTag(ctx, node.id));
  const { dialect } = ctx.warehouse;
  if (node.materialized === 'view' || node.materialized === 'table') {
    const compiled = ctx.compile(false);
    const relation = compiled.relation as Relation;
    await runHooks(run, compiled.preHooks);
    const statement =
      node.materialized === 'view'
        ? dialect.createOrReplaceView(relation, compiled.sql)
        : dialect.createOrReplaceTableAs(relation, compiled.sql);
    await replaceRelation(run, node.materialized, relation, statement);
    await runHooks(run, compiled.postHooks);
    return { compiled, message: `${node.materialized} created`, statements: run.count };
  }
  if (node.materialized !== 'incremental') {
    throw new ModelsError(
      'INVALID_MATERIALIZATION',
      `${node.name} is ephemeral: it is inlined into the models that read it.`,
      { node: node.id },
    );
  }
  // Incremental.
  const probe = ctx.compile(false);
  const relation = probe.relation as Relation;
  const existing = await run.describe(relation);
  const refresh = node.config.full_refresh ?? ctx.fullRefresh;
  if (existing === undefined || refresh) {
    await runHooks(run, probe.preHooks);
    await replaceRelation(run, 'table', relation, dialect.createOrReplaceTableAs(relation, probe.sql));
    await runHooks(run, probe.postHooks);
    return {
      compiled: probe,
      message: existing === undefined ? 'table created (first build)' : 'table rebuilt (full refresh)',
      statements: run.count,
    };
  }
  const compiled = ctx.compile(true);
  await runHooks(run, compiled.preHooks);
  const staging: Relation = { schema: relation.schema, name: `${relation.name}__sluice_tmp` };
  await run.execute(dialect.createOrReplaceTableAs(staging, compiled.sql));
  let rowsAffected: number | undefined;
  let message: string;
  try {
    const incoming = (await run.describe(staging)) ?? [];
    const added = incoming.filter((c) => !existing.some((e) => sameName(e.name, c.name)));
    const removed = existing.filter((e) => !incoming.some((c) => sameName(e.name, c.name)));
    const mode = node.config.on_schema_change ?? 'ignore';
    const notes: string[] = [];
    if ((added.length > 0 || removed.length > 0) && mode === 'fail') {
      throw new ModelsError(
        'SCHEMA_CHANGED',
        `${node.name}: the model's columns changed (new: ${added.map((c) => c.name).join(', ') || 'none'}; gone: ${removed.map((c) => c.name).join(', ') || 'none'}) and on_schema_change is fail. Rebuild it with --full-refresh, or set on_schema_change: append_new_columns.`,
        { node: node.id, file: node.file },
      );
    }
    let columns = incoming.filter((c) => existing.some((e) => sameName(e.name, c.name))).map((c) => c.name);
    if (mode === 'append_new_columns' || mode === 'sync_all_columns') {
      for (const column of added) {
        await run.execute(
          `ALTER TABLE ${dialect.qualify(relation)} ADD COLUMN ${dialect.quoteIdentifier(column.name)} ${dialect.typeName(column.type)}`,
        );
      }
      if (added.length > 0) notes.push(`added columns ${added.map((c) => c.name).join(', ')}`);
      columns = incoming.map((c) => c.name);
    }
    if (mode === 'sync_all_columns') {
      for (const column of removed) {
        await run.execute(
          `ALTER TABLE ${dialect.qualify(relation)} DROP COLUMN ${dialect.quoteIdentifier(column.name)}`,
        );
      }
      if (removed.length > 0) notes.push(`dropped columns ${removed.map((c) => c.name).join(', ')}`);
    }
    const keys = node.config.unique_key ?? [];
    const strategy = node.config.incremental_strategy ?? (keys.length > 0 ? 'merge' : 'append');
    const list = columns.map((c) => dialect.quoteIdentifier(c)).join(', ');
    const source = `select ${list} from ${dialect.qualify(staging)}`;
    if (strategy === 'merge' || strategy === 'delete+insert') {
      if (keys.length === 0) {
        throw new ModelsError(
          'INVALID_MATERIALIZATION',
          `${node.name}: incremental_strategy ${strategy} needs a unique_key.`,
          { node: node.id, file: node.file },
        );
      }
      const keyColumns = keys.map((k) => columns.find((c) => sameName(c, k)) ?? k);
      if (strategy === 'merge') {
        rowsAffected = await run.execute(dialect.mergeInto(relation, source, keyColumns, columns));
        message = `merged ${rowsAffected ?? '?'} rows on ${keys.join(', ')}`;
      } else {
        const target = dialect.qualify(relation);
        const match = keyColumns
          .map(
            (k) =>
              `${dialect.quoteIdentifier(k)} in (select ${dialect.quoteIdentifier(k)} from ${dialect.qualify(staging)})`,
          )
          .join(' and ');
        await run.execute(`DELETE FROM ${target} WHERE ${match}`);
        rowsAffected = await run.execute(`INSERT INTO ${target} (${list}) ${source}`);
        message = `replaced ${rowsAffected ?? '?'} rows by ${keys.join(', ')}`;
      }
    } else {
      rowsAffected = await run.execute(`INSERT INTO ${dialect.qualify(relation)} (${list}) ${source}`);
      message = `appended ${rowsAffected ?? '?'} rows`;
    }
    if (notes.length > 0) message += ` (${notes.join('; ')})`;
  } finally {
    await ctx.warehouse.execute(dialect.dropRelation(staging, 'table')).catch(() => undefined);
  }
  await runHooks(run, compiled.postHooks);
  return { compiled, ...(rowsAffected === undefined ? {} : { rowsAffected }), message, statements: run.count };
}

/** The names of the columns a snapshot adds to the rows of its query. */
export const SNAPSHOT_COLUMNS = {
  validFrom: 'valid_from',
  validTo: 'valid_to',
  scdId: 'snapshot_scd_id',
  updatedAt: 'snapshot_updated_at',
} as const;

const STAGED_UPDATED_AT = '__sluice_updated_at';

/**
 * Run a snapshot (SCD type 2, as dbt's): the first run copies the query's rows with `valid_from` = their update
 * time and `valid_to` NULL; later runs close the current row of each changed key (`valid_to` = the new version's
 * time) and insert the new version, in one MERGE. Changes are found by `updated_at` (timestamp strategy) or by
 * comparing `check_cols` (check strategy). With `hard_deletes: invalidate`, keys gone from the query get their
 * current row closed at the run's start time.
 */
export async function materializeSnapshot(ctx: MaterializeContext, node: SnapshotNode): Promise<MaterializeOutcome> {
  const run = new Statements(ctx, statementTag(ctx, node.id));
  const { dialect } = ctx.warehouse;
  const compiled = ctx.compile(false);
  const relation = compiled.relation as Relation;
  const config = node.config;
  const keys = config.unique_key ?? [];
  if (keys.length === 0 || config.strategy === undefined) {
    throw new ModelsError('INVALID_MATERIALIZATION', `snapshot ${node.name} needs unique_key and strategy.`, {
      node: node.id,
      file: node.file,
    });
  }
  const q = (name: string): string => dialect.quoteIdentifier(name);
  const text = dialect.typeName({ kind: 'text' });
  const runTime = `cast(${quoteLiteral(ctx.runStartedAt.toISOString().replace('T', ' ').replace('Z', ''))} as ${dialect.typeName({ kind: 'timestamp' })})`;
  const updatedAt = config.updated_at ?? (config.strategy === 'check' ? runTime : undefined);
  if (updatedAt === undefined) {
    throw new ModelsError(
      'INVALID_MATERIALIZATION',
      `snapshot ${node.name}: the timestamp strategy needs updated_at.`,
      { node: node.id, file: node.file },
    );
  }
  const hardDeletes = config.hard_deletes ?? (config.invalidate_hard_deletes === true ? 'invalidate' : 'ignore');
  const C = SNAPSHOT_COLUMNS;
  const asText = (expr: string): string => `coalesce(cast(${expr} as ${text}), '')`;

  await runHooks(run, compiled.preHooks);
  const existing = await run.describe(relation);
  if (existing === undefined) {
    const scd = `md5(${[...keys.map((k) => asText(`src.${k}`)), asText(`src.${STAGED_UPDATED_AT}`)].join(` || '|' || `)})`;
    const sql = [
      `select src.*, src.${STAGED_UPDATED_AT} as ${q(C.updatedAt)}, src.${STAGED_UPDATED_AT} as ${q(C.validFrom)},`,
      `  nullif(src.${STAGED_UPDATED_AT}, src.${STAGED_UPDATED_AT}) as ${q(C.validTo)}, ${scd} as ${q(C.scdId)}`,
      `from (select *, ${updatedAt} as ${STAGED_UPDATED_AT} from (\n${compiled.sql}\n) as snapshot_query) as src`,
    ].join('\n');
    // The staged column is dropped by selecting explicitly below; CTAS with `src.*` would keep it.
    const stagingFirst: Relation = { schema: relation.schema, name: `${relation.name}__sluice_snapshot_source` };
    await run.execute(dialect.createOrReplaceTableAs(stagingFirst, sql));
    try {
      const columns = ((await run.describe(stagingFirst)) ?? [])
        .filter((c) => c.name !== STAGED_UPDATED_AT)
        .map((c) => q(c.name));
      await run.execute(
        dialect.createOrReplaceTableAs(relation, `select ${columns.join(', ')} from ${dialect.qualify(stagingFirst)}`),
      );
    } finally {
      await ctx.warehouse.execute(dialect.dropRelation(stagingFirst, 'table')).catch(() => undefined);
    }
    const rows = await run.query(`select count(*) as n from ${dialect.qualify(relation)}`);
    const count = Number(Object.values(rows[0] ?? {})[0] ?? 0);
    await runHooks(run, compiled.postHooks);
    return { compiled, rowsAffected: count, message: `snapshot created with ${count} rows`, statements: run.count };
  }

  const staging: Relation = { schema: relation.schema, name: `${relation.name}__sluice_snapshot_source` };
  const changes: Relation = { schema: relation.schema, name: `${relation.name}__sluice_snapshot_changes` };
  try {
    await run.execute(
      dialect.createOrReplaceTableAs(
        staging,
        `select *, ${updatedAt} as ${STAGED_UPDATED_AT} from (\n${compiled.sql}\n) as snapshot_query`,
      ),
    );
    const stagedColumns = ((await run.describe(staging)) ?? []).filter((c) => c.name !== STAGED_UPDATED_AT);
    const meta = new Set<string>(Object.values(C));
    const added = stagedColumns.filter((c) => !existing.some((e) => sameName(e.name, c.name)) && !meta.has(c.name));
    for (const column of added) {
      await run.execute(
        `ALTER TABLE ${dialect.qualify(relation)} ADD COLUMN ${q(column.name)} ${dialect.typeName(column.type)}`,
      );
    }
    const sourceColumns = stagedColumns.map((c) => c.name).filter((c) => !meta.has(c));
    const checkColumns =
      config.strategy === 'check'
        ? config.check_cols === 'all' || config.check_cols === undefined
          ? sourceColumns.map(q)
          : config.check_cols
        : [];
    const keyMatch = keys.map((k) => `stg.${k} = cur.${k}`).join(' and ');
    const changed =
      config.strategy === 'timestamp'
        ? `stg.${STAGED_UPDATED_AT} > cur.${q(C.updatedAt)}`
        : `(${checkColumns.map((c) => `stg.${c} is distinct from cur.${c}`).join(' or ')})`;
    const scdParts = [
      ...keys.map((k) => asText(`stg.${k}`)),
      asText(`stg.${STAGED_UPDATED_AT}`),
      ...checkColumns.map((c) => asText(`stg.${c}`)),
    ];
    const scd = `md5(${scdParts.join(` || '|' || `)})`;
    const stg = (c: string): string => `stg.${q(c)}`;
    const cur = (c: string): string => `cur.${q(c)}`;
    const branches = [
      [
        `select ${sourceColumns.map(stg).join(', ')}, stg.${STAGED_UPDATED_AT} as ${q(C.updatedAt)}, stg.${STAGED_UPDATED_AT} as ${q(C.validFrom)},`,
        `  nullif(stg.${STAGED_UPDATED_AT}, stg.${STAGED_UPDATED_AT}) as ${q(C.validTo)}, ${scd} as ${q(C.scdId)}`,
        `from ${dialect.qualify(staging)} as stg`,
        `left join current_rows as cur on ${keyMatch}`,
        `where cur.${q(C.scdId)} is null or ${changed}`,
      ].join('\n'),
      [
        `select ${sourceColumns.map(cur).join(', ')}, cur.${q(C.updatedAt)}, cur.${q(C.validFrom)}, stg.${STAGED_UPDATED_AT} as ${q(C.validTo)}, cur.${q(C.scdId)}`,
        `from current_rows as cur`,
        `join ${dialect.qualify(staging)} as stg on ${keyMatch}`,
        `where ${changed}`,
      ].join('\n'),
    ];
    if (hardDeletes === 'invalidate') {
      branches.push(
        [
          `select ${sourceColumns.map(cur).join(', ')}, cur.${q(C.updatedAt)}, cur.${q(C.validFrom)}, ${runTime} as ${q(C.validTo)}, cur.${q(C.scdId)}`,
          `from current_rows as cur`,
          `where not exists (select 1 from ${dialect.qualify(staging)} as stg where ${keyMatch})`,
        ].join('\n'),
      );
    }
    const changesSql = `with current_rows as (select * from ${dialect.qualify(relation)} where ${q(C.validTo)} is null)\n${branches.join('\nunion all\n')}`;
    await run.execute(dialect.createOrReplaceTableAs(changes, changesSql));
    const columns = [...sourceColumns, C.updatedAt, C.validFrom, C.validTo, C.scdId];
    const rowsAffected = await run.execute(
      dialect.mergeInto(
        relation,
        `select ${columns.map(q).join(', ')} from ${dialect.qualify(changes)}`,
        [C.scdId],
        columns,
      ),
    );
    await runHooks(run, compiled.postHooks);
    return {
      compiled,
      ...(rowsAffected === undefined ? {} : { rowsAffected }),
      message: `snapshot merged ${rowsAffected ?? '?'} rows${added.length > 0 ? ` (added columns ${added.map((c) => c.name).join(', ')})` : ''}`,
      statements: run.count,
    };
  } finally {
    await ctx.warehouse.execute(dialect.dropRelation(staging, 'table')).catch(() => undefined);
    await ctx.warehouse.execute(dialect.dropRelation(changes, 'table')).catch(() => undefined);
  }
}
