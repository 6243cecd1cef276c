import {
  ExtractError,
  planExtraction,
  type CursorElement,
  type SourceColumn,
  type SourceTable,
} from '@sluice/pg-extract';

/** What a column's data looks like: from `pg_stats`, or from a sample. */
export interface ColumnFacts {
  /** Fraction of rows where it is NULL, 0 to 1. */
  readonly nullFraction: number;
  /** How many distinct non-NULL values it holds (an estimate from `pg_stats`, a count in a sample). */
  readonly distinct: number;
}

/** What `sluice init` found out about a table's data, beside its catalog entry. */
export interface TableFacts {
  /** Its rows, counted no further than `smallRows + 1`. */
  readonly rows: number;
  /**
   * What Postgres counted since its statistics were reset (`pg_stat_user_tables`; over every partition of a
   * partitioned table). `undefined`: Postgres keeps no counters for it.
   */
  readonly activity?: {
    readonly inserted: number;
    readonly updated: number;
    readonly deleted: number;
    /** When the database's statistics were reset (timestamptz text); `undefined`: never. */
    readonly since?: string;
  };
  /** NULL fraction and distinct values per column name (the cursor candidates at least). */
  readonly columns?: ReadonlyMap<string, ColumnFacts>;
  /** Where `columns` came from. */
  readonly statistics?:
    | { readonly source: 'pg_stats' }
    | {
        readonly source: 'sample';
        readonly rows: number;
        /** Why not `pg_stats`: never analyzed, or analyzed before most of what changed since. */
        readonly because: 'never analyzed' | 'stale';
      };
  /** A partitioned table: the partitions read through it. */
  readonly partitions?: readonly string[];
}

/** A table `sluice init` proposes to load, and why. */
export interface InitTableProposal {
  readonly name: string;
  readonly schema: string;
  readonly strategy: 'append' | 'upsert' | 'full';
  readonly cursor?: readonly CursorElement[];
  /** Columns left out: types Sluice cannot load exactly, names the warehouse cannot tell apart. */
  readonly exclude?: readonly string[];
  /** `reconcile`: rows deleted in the source are found by comparing keys. */
  readonly deletes?: 'reconcile';
  /** One line on the choice (the CLI's table, and the first comment line above the table in `sluice.yml`). */
  readonly reason: string;
  /** The reasoning, sentence by sentence, each true of the data init read: written under `reason`. */
  readonly details: readonly string[];
  readonly primaryKey: readonly string[];
  /** The columns that will be loaded (the staging model selects them). */
  readonly columns: readonly string[];
}

/** How `proposeTable` decides. */
export interface ProposeOptions {
  /** Tables with at most this many rows are reloaded whole (`full`). Default 10,000. */
  readonly smallRows?: number;
}

export const DEFAULT_SMALL_ROWS = 10_000;
const TIMESTAMP_KINDS: ReadonlySet<string> = new Set(['timestamp', 'timestamptz']);
const INTEGER_KINDS: ReadonlySet<string> = new Set(['smallint', 'integer', 'bigint']);
/** Names that say "last changed at", best first (English and Portuguese, as NovaDrive's data_atualizacao). */
const UPDATE_NAMES = [
  'updated_at',
  'updated_on',
  'updated',
  'update_time',
  'updated_time',
  'last_updated',
  'last_updated_at',
  'last_update',
  'modified_at',
  'modified_on',
  'modified',
  'last_modified',
  'last_modified_at',
  'changed_at',
  'mtime',
  'data_atualizacao',
  'dt_atualizacao',
  'atualizado_em',
  'data_alteracao',
  'dt_alteracao',
  'alterado_em',
  'data_modificacao',
];
const UPDATE_PATTERN = /(updat|modif|chang|atualiz|alter)/i;
/** Names that say "inserted at": the fallback of a nullable update column, or the order of insert-only rows. */
const CREATE_NAMES = [
  'created_at',
  'created_on',
  'created',
  'create_time',
  'inserted_at',
  'insert_time',
  'added_at',
  'data_inclusao',
  'dt_inclusao',
  'data_criacao',
  'dt_criacao',
  'criado_em',
  'data_cadastro',
  'dt_cadastro',
  'incluido_em',
];
const CREATE_PATTERN = /(creat|insert|added|inclu|criad|criac|cadastr)/i;

/** A name as comments and messages show it: bare when plain, else in double quotes (JSON, so any text is safe). */
export function displayName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

/** Candidates among `columns`, best first: the names listed (in order), then the others the pattern matches. */
function candidates(
  columns: readonly SourceColumn[],
  names: readonly string[],
  pattern: RegExp,
  kinds: ReadonlySet<string>,
): SourceColumn[] {
  const typed = columns.filter((column) => column.logical && kinds.has(column.logical.kind));
  const listed = names.flatMap((name) => typed.filter((column) => column.name.toLowerCase() === name));
  return [...listed, ...typed.filter((column) => !listed.includes(column) && pattern.test(column.name))];
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `75%`, `under 1%`, `over 99%`: a share of rows, never rounded to 0 or 100 when it is not. */
function percent(fraction: number): string {
  const p = fraction * 100;
  if (p > 0 && p < 1) return 'under 1%';
  if (p > 99 && p < 100) return 'over 99%';
  return `${Math.round(p)}%`;
}

/** Where column facts came from, for the comment: `pg_stats`, or `a sample of 4,000 rows`. */
function statisticsSource(facts: TableFacts): string {
  const statistics = facts.statistics;
  if (!statistics) return 'the catalog only';
  return statistics.source === 'pg_stats'
    ? 'pg_stats'
    : `a sample of ${count(statistics.rows)} rows, as ${statistics.because === 'stale' ? "Postgres's statistics of it predate many of its changes" : 'Postgres has not analyzed it'}`;
}

/** What Postgres counted, as a sentence. */
function activitySentence(facts: TableFacts): string {
  const activity = facts.activity;
  if (!activity) return 'Postgres keeps no counters of its inserts, updates and deletes.';
  return (
    `Postgres counted ${count(activity.inserted)} inserts, ${count(activity.updated)} updates and ` +
    `${count(activity.deleted)} deletes (pg_stat_user_tables, since ${activity.since ? `its statistics were reset at ${activity.since}` : 'its statistics began'}).`
  );
}

function keyLabel(table: SourceTable): string {
  const described = table.primaryKey.map((name) => {
    const column = table.columns.find((c) => c.name === name);
    const from =
      column?.autoIncrement === 'identity'
        ? ', an identity'
        : column?.autoIncrement === 'sequence'
          ? ', from a sequence'
          : '';
    return `${displayName(name)} (${column?.pgType ?? 'unknown type'}${from})`;
  });
  return `${table.primaryKey.length === 1 ? 'key' : 'composite key'} ${described.join(', ')}`;
}

/** A cursor as a comment reads it: `(coalesce(updated_at, created_at), id)`. */
export function cursorLabel(cursor: readonly CursorElement[]): string {
  return `(${cursor
    .map((element) =>
      typeof element === 'string' ? displayName(element) : `coalesce(${element.coalesce.map(displayName).join(', ')})`,
    )
    .join(', ')})`;
}

interface ChangeColumn {
  /** The cursor's first element: the change column, coalesced with a creation column when it can be NULL. */
  readonly head: CursorElement;
  readonly why: string;
}

/**
 * The column that says when a row last changed, read from the data: a column named like an update stamp whose
 * values can show changes. Not one NULL in every row (nothing sets it), nor one holding a single value although
 * Postgres counted updates (the updates do not set it), nor one often NULL with no never-NULL creation column to
 * fall back on (rows where it is NULL would be read by the first load only).
 */
function findChangeColumn(table: SourceTable, facts: TableFacts, rejected: string[]): ChangeColumn | undefined {
  const source = statisticsSource(facts);
  const updates = facts.activity?.updated ?? 0;
  const neverNull = (column: SourceColumn) =>
    !column.nullable || (facts.columns?.get(column.name)?.nullFraction ?? 1) === 0;
  for (const column of candidates(
    table.columns.filter((c) => !table.primaryKey.includes(c.name)),
    UPDATE_NAMES,
    UPDATE_PATTERN,
    TIMESTAMP_KINDS,
  )) {
    const stats = facts.columns?.get(column.name);
    const name = displayName(column.name);
    if (stats && facts.rows > 0 && stats.nullFraction >= 0.9995) {
      rejected.push(`${name} is NULL in every row (${source}): nothing sets it, so it cannot show changes.`);
      continue;
    }
    if (stats && facts.rows > 1 && updates > 0 && stats.distinct === 1) {
      rejected.push(
        `${name} holds one value in every row (${source}) although Postgres counted ${count(updates)} updates: the updates do not set it, so it cannot show changes.`,
      );
      continue;
    }
    if (!column.nullable) {
      return { head: column.name, why: `${name} shows when a row changed; it is NOT NULL.` };
    }
    const nullShare = stats?.nullFraction;
    const fallback = candidates(
      table.columns.filter((c) => c.name !== column.name && c.logical?.kind === column.logical?.kind && neverNull(c)),
      CREATE_NAMES,
      CREATE_PATTERN,
      TIMESTAMP_KINDS,
    )[0];
    if (fallback) {
      const share = nullShare === undefined ? 'can be NULL' : `is NULL in ${percent(nullShare)} of rows (${source})`;
      return {
        head: { coalesce: [column.name, fallback.name] },
        why:
          `${name} shows when a row changed; it ${share}, read as "not changed since created": ` +
          `it falls back to ${displayName(fallback.name)} (${fallback.nullable ? `NULL in no row, ${source}` : 'NOT NULL'}).`,
      };
    }
    if (nullShare === 0) {
      return {
        head: column.name,
        why: `${name} shows when a row changed; it can be NULL but is in no row (${source}).`,
      };
    }
    if (nullShare === undefined) {
      // Nothing known of its data (no statistics could be read): the catalog's word, with its risk said.
      return {
        head: column.name,
        why: `${name} shows when a row changed; it can be NULL and no creation column stands in for it: rows where it is NULL are read by the first load, and later only when written after the previous run (late-commit scan).`,
      };
    }
    rejected.push(
      `${name} is NULL in ${percent(nullShare)} of rows (${source}) and no never-NULL creation column can stand in for it: rows where it is NULL would never be read again, so it is not the cursor.`,
    );
  }
  return undefined;
}

/** A never-NULL creation timestamp: the order of new rows in an insert-only table whose key does not increase. */
function findCreationColumn(table: SourceTable, facts: TableFacts): SourceColumn | undefined {
  return candidates(
    table.columns.filter((c) => !table.primaryKey.includes(c.name)),
    CREATE_NAMES,
    CREATE_PATTERN,
    TIMESTAMP_KINDS,
  ).find((column) => !column.nullable || facts.columns?.get(column.name)?.nullFraction === 0);
}

/**
 * Propose how to load one table, from its catalog entry and what its data and Postgres's counters say. Pure.
 *
 * - No primary key, or at most `smallRows` rows: `full` (reloaded whole, skipped when unchanged).
 * - A key and a change column (named like an update stamp, and its data able to show changes; see
 *   `findChangeColumn`): `upsert` by `[change column (coalesced with a creation column when NULL), …key]`. A table
 *   that is updated is never appended: updates need a column that says when.
 * - A key, no change column, and Postgres counted updates: `full` — nothing would find the changed rows.
 * - A key, no change column, no updates counted (it looks insert-only): `append` by a single integer key, else
 *   `upsert` by `[creation timestamp, …key]`, else `full`.
 * - Deletes: `reconcile` where the key allows it (a single integer key); where it does not and Postgres counted
 *   deletes, `full`, so deleted rows do not stay in the warehouse.
 *
 * Columns of types Sluice cannot load exactly, and names differing from another only in case, are excluded. The
 * proposal is checked with `planExtraction`, so the first load works. Throws `ExtractError` `INVALID_TABLE_CONFIG`
 * for a table that cannot be loaded at all (a primary key of a type Sluice cannot load).
 *
 * @example proposeTable(await catalog.introspectTable('public', 'orders'), { rows: 10_001, activity, columns })
 */
export function proposeTable(table: SourceTable, facts: TableFacts, options: ProposeOptions = {}): InitTableProposal {
  const smallRows = options.smallRows ?? DEFAULT_SMALL_ROWS;
  const details: string[] = [];
  const unloadable = table.columns.filter((column) => !column.logical && !table.primaryKey.includes(column.name));
  const seen = new Map<string, string>();
  const sameName: string[] = [];
  for (const column of table.columns) {
    const key = column.name.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined && !table.primaryKey.includes(column.name)) {
      sameName.push(column.name);
      details.push(
        `${displayName(column.name)} differs from ${displayName(earlier)} only in case, which the warehouse does not tell apart: it is left out.`,
      );
    } else if (earlier === undefined) seen.set(key, column.name);
  }
  if (unloadable.length > 0) {
    details.push(
      `${unloadable.map((column) => `${displayName(column.name)} (${column.pgType})`).join(', ')}: ${unloadable.length === 1 ? 'a type' : 'types'} Sluice cannot load exactly, left out.`,
    );
  }
  const excluded = [...unloadable.map((column) => column.name), ...sameName];
  const columns = table.columns.map((column) => column.name).filter((name) => !excluded.includes(name));
  if (facts.partitions && facts.partitions.length > 0) {
    details.push(
      `Partitioned: its partitions ${facts.partitions.map(displayName).join(', ')} are read through it, so each row is loaded once.`,
    );
  }
  const base = {
    name: table.name,
    schema: table.schema,
    primaryKey: table.primaryKey,
    columns,
    ...(excluded.length > 0 ? { exclude: excluded } : {}),
  };
  const full = (reason: string, why: readonly string[]): InitTableProposal => ({
    ...base,
    strategy: 'full',
    reason,
    details: [...why, ...details],
  });
  const proposal = choose(table, facts, smallRows, full, base, details);
  try {
    planExtraction(
      table,
      {
        strategy: proposal.strategy,
        ...(proposal.cursor ? { cursor: proposal.cursor } : {}),
        ...(proposal.exclude ? { exclude: proposal.exclude } : {}),
      },
      undefined,
    );
    return proposal;
  } catch (error) {
    if (proposal.strategy === 'full' || !(error instanceof ExtractError)) throw error;
    return full(`reloaded whole every run: ${proposal.strategy} would not work`, [
      `${proposal.strategy} by ${cursorLabel(proposal.cursor ?? [])} would not work: ${error.message.split('\n')[0]}.`,
    ]);
  }
}

function choose(
  table: SourceTable,
  facts: TableFacts,
  smallRows: number,
  full: (reason: string, why: readonly string[]) => InitTableProposal,
  base: Omit<InitTableProposal, 'strategy' | 'reason' | 'details'>,
  details: readonly string[],
): InitTableProposal {
  if (table.kind === 'v' || table.kind === 'm' || table.kind === 'f') {
    const what = table.kind === 'v' ? 'a view' : table.kind === 'm' ? 'a materialized view' : 'a foreign table';
    return full(`${what}: read whole every run`, [`As ${what}, it has no key and no change column Sluice can use.`]);
  }
  const counters = activitySentence(facts);
  if (table.primaryKey.length === 0) {
    return full('no primary key: reloaded whole every run (skipped when unchanged)', [
      'Without a key, changed and deleted rows cannot be matched: add a primary key to load it incrementally.',
    ]);
  }
  if (facts.rows <= smallRows) {
    return full(
      `${count(facts.rows)} row${facts.rows === 1 ? '' : 's'}: small, reloaded whole every run (skipped when unchanged)`,
      [
        `At most ${count(smallRows)} rows (--small-rows) are cheaper to reread than to track; a whole reload also finds deletes.`,
      ],
    );
  }
  const key = keyLabel(table);
  const single =
    table.primaryKey.length === 1 ? table.columns.find((column) => column.name === table.primaryKey[0]) : undefined;
  const reconcilable = single?.logical !== undefined && INTEGER_KINDS.has(single.logical.kind);
  const updated = (facts.activity?.updated ?? 0) > 0;
  const deleted = (facts.activity?.deleted ?? 0) > 0;
  const rejected: string[] = [];
  const change = findChangeColumn(table, facts, rejected);
  const incremental = (
    strategy: 'append' | 'upsert',
    cursor: readonly CursorElement[],
    reason: string,
    why: readonly string[],
  ): InitTableProposal => {
    if (!reconcilable && deleted) {
      return full(
        `deleted from (${count(facts.activity?.deleted ?? 0)} deletes counted), and its key cannot find deletes: reloaded whole every run`,
        [
          ...why,
          counters,
          `Deleted rows are found by comparing keys, which needs a single integer key; this table has ${key}. Reloading it whole keeps the warehouse equal to the source.`,
          `To load it incrementally instead (rows deleted in the source then stay in the warehouse): strategy: ${strategy}, cursor: ${cursorLabel(cursor)}.`,
          ...rejected,
        ],
      );
    }
    return {
      ...base,
      strategy,
      cursor,
      ...(reconcilable ? { deletes: 'reconcile' as const } : {}),
      reason,
      details: [
        ...why,
        counters,
        reconcilable
          ? `Deletes: found by comparing the keys on both sides (deletes: reconcile).`
          : `Deletes are not found (that needs a single integer key; this table has ${key}): Postgres counted none so far, but rows deleted in the source would stay in the warehouse.`,
        ...rejected,
        ...details,
      ],
    };
  };

  if (change) {
    const cursor = [change.head, ...table.primaryKey];
    return incremental('upsert', cursor, `upsert by ${cursorLabel(cursor)}: new and changed rows`, [
      change.why,
      `Rows are merged by ${key}; the key ends the cursor, so rows sharing a timestamp are never skipped.`,
    ]);
  }
  if (updated) {
    return full(
      `updated (${count(facts.activity?.updated ?? 0)} updates counted) but no column says when: reloaded whole every run`,
      [
        counters,
        ...rejected,
        rejected.length > 0
          ? 'No other column shows when a row changed; a whole reload is the only way to see the updates.'
          : 'No column shows when a row changed (an updated_at, say); a whole reload is the only way to see the updates.',
        `Add such a column (set on every update) to load it incrementally: strategy: upsert, cursor: [updated_at, ${table.primaryKey.map(displayName).join(', ')}].`,
      ],
    );
  }
  const insertOnly = `Postgres counted no updates, and no column shows when a row changed: it looks insert-only. If its rows are ever updated, this misses the changes: use strategy full, or add an updated_at.`;
  if (reconcilable && single) {
    const increasing =
      single.autoIncrement !== undefined
        ? `${displayName(single.name)} ${single.autoIncrement === 'identity' ? 'is an identity' : 'comes from a sequence'}, so new rows have larger keys.`
        : `${displayName(single.name)} does not come from a sequence: new rows must get larger keys than the rows loaded (rows given smaller keys are found only when written after the previous run, by the late-commit scan).`;
    return incremental(
      'append',
      [single.name],
      `append by ${displayName(single.name)}: looks insert-only (no updates counted, no change column)`,
      [insertOnly, increasing],
    );
  }
  const created = findCreationColumn(table, facts);
  if (created) {
    const cursor = [created.name, ...table.primaryKey];
    return incremental(
      'upsert',
      cursor,
      `upsert by ${cursorLabel(cursor)}: looks insert-only (no updates counted), new rows by ${displayName(created.name)}`,
      [
        insertOnly,
        `New rows are found by ${displayName(created.name)} (${created.nullable ? `NULL in no row, ${statisticsSource(facts)}` : 'NOT NULL'}); ${key} ends the cursor so rows sharing a timestamp are never skipped (append takes a single increasing column, which this key is not).`,
      ],
    );
  }
  return full('no column orders new rows (no integer key, no timestamp): reloaded whole every run', [
    counters,
    ...rejected,
    `Neither its ${key} nor a timestamp says which rows are new.`,
  ]);
}
