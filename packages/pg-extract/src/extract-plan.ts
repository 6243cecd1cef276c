import { quoteIdentifier, quoteLiteral, type LogicalType } from '@sluice/warehouse';
import { ExtractError } from './extract-error.js';
import { closestNames } from '@sluice/warehouse';
import type { SourceColumn, SourceTable } from './introspect.js';
import { MAX_OPEN_XIDS, type SnapshotFacts } from './snapshot-sql.js';

/** One element of a cursor: a column, or the first non-NULL of several (for columns that can be NULL). */
export type CursorElement = string | { readonly coalesce: readonly string[] };

/** How one table is extracted (the extraction half of its `sluice.yml` entry). */
export interface TableSpec {
  /** `append`: rows only ever inserted, read by an increasing cursor. `upsert`: inserted and updated rows, read by a
   *  compound cursor. `full`: the whole table every run. */
  readonly strategy: 'append' | 'upsert' | 'full';
  /** append: one increasing column. upsert: a compound cursor ending in the primary key, e.g.
   *  `[{ coalesce: ['data_atualizacao', 'data_inclusao'] }, 'id_vendas']`. */
  readonly cursor?: readonly CursorElement[];
  /** Only these columns (default: all). */
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** Columns loaded as a salted SHA-256 hex digest instead of their value (personal data). */
  readonly hash?: readonly string[];
  /** Columns loaded as another type than their own, by choice (`sluice.yml` `columns: { c: { as: text } }`). */
  readonly columns?: Readonly<Record<string, ColumnChoice>>;
  readonly hashSalt?: string;
  /**
   * How rows committed behind the cursor (late commits, backdated writes) are found; see `LateCommits`. Default
   * `auto`: `lookback` for a table of 64 MB or more whose cursor starts with a date or timestamp and is served by
   * an index, `scan` otherwise (decided at each run).
   */
  readonly lateCommits?: 'auto' | LateCommits;
  /** `lookback`: how far behind the cursor each run looks, in milliseconds (default one hour). */
  readonly lookbackMs?: number;
  /** `lookback`: the longest time between two sweeps, in milliseconds (default one day). */
  readonly sweepEveryMs?: number;
}

/**
 * How a column is loaded when its own type is not what the warehouse should hold (`as:` in `sluice.yml`):
 * - `text`: the value as Postgres writes it (`::text`, in the extraction's ISO settings) — any type, every digit;
 * - `double`: a 64-bit float (`::float8`) — numbers only; about 15–17 significant digits, NaN and ±Infinity kept;
 * - `decimal`: `numeric(precision, scale)` — numbers only; Postgres rounds to `scale` fraction digits and fails the
 *   read on a value with more than `precision - scale` integer digits.
 */
export type ColumnChoice =
  | { readonly as: 'text' }
  | { readonly as: 'double' }
  | { readonly as: 'decimal'; readonly precision: number; readonly scale: number };

/** The kinds `as: double` and `as: decimal(p,s)` take. */
const NUMERIC_KINDS: ReadonlySet<string> = new Set(['smallint', 'integer', 'bigint', 'decimal', 'real', 'double']);

/** `text`, `double`, `decimal(12,2)`: a choice as `sluice.yml` writes it. */
export function formatColumnChoice(choice: ColumnChoice): string {
  return choice.as === 'decimal' ? `decimal(${choice.precision},${choice.scale})` : choice.as;
}

/**
 * - `scan`: every run reads every row written since the previous run's snapshot (by the transaction id in each
 *   row's `xmin`): one sequential pass per run; nothing committed behind the cursor is ever missed.
 * - `lookback`: every run reads the rows past the cursor and those written since the previous snapshot within
 *   `lookback` behind it (an index range on the cursor). A sweep — a `scan` pass over everything written since the
 *   previous sweep — runs instead when a transaction that was open at the previous snapshot has committed since,
 *   and at least every `sweepEvery`.
 * - `off`: the cursor alone.
 */
export type LateCommits = 'scan' | 'lookback' | 'off';

/** Where an incremental extraction stands; every value is Postgres's own text, so it is exact. */
export interface ExtractPosition {
  /** The cursor of the last row loaded, element by element (`null` when the table was empty). */
  readonly cursor: readonly string[] | null;
  /** `pg_snapshot_xmin` of the snapshot the rows were read in (a 64-bit transaction id, as text). */
  readonly snapshotXmin: string;
  /** `pg_snapshot_xmax` of that snapshot: with the xmin, whether a transaction held it back (absent in positions
   *  written before it was kept). */
  readonly snapshotXmax?: string;
  /** The transactions open at that snapshot that had written to the table (see `snapshotSql`), at most 1,000;
   *  `null`: too many to tell. */
  readonly openXids?: readonly string[] | null;
  /** `pg_snapshot_xmin` of the last sweep (or first load): a sweep reads everything written since. */
  readonly sweptXmin?: string;
  /** When the last sweep read (the source's clock, as timestamptz text). */
  readonly sweptAt?: string;
}

/** A column as it will be written to the chunk files. */
export interface PlannedColumn {
  readonly name: string;
  readonly type: LogicalType;
  readonly nullable: boolean;
  /** The SELECT expression rendering the value as the chunk format wants it. */
  readonly selectSql: string;
  /**
   * A date or timestamp: `selectSql` is the plain column (Postgres's own text, the cheapest to write), exact for
   * every value from year 1 on; this is the expression that also writes years before 1 exactly (see
   * `renderInstant`). A read whose rows hold such a value is read again with it (see `ChunkSink`'s `watchBc`).
   */
  readonly bcSafeSql?: string;
}

/** Everything needed to run one extraction, computed without touching the database. */
export interface ExtractPlan {
  readonly table: SourceTable;
  readonly strategy: TableSpec['strategy'];
  readonly columns: readonly PlannedColumn[];
  /** SQL of each cursor element (empty for `full`). */
  readonly cursorSql: readonly string[];
  /** Postgres type of each cursor element, to cast literals. */
  readonly cursorTypes: readonly string[];
  /** Where the previous run stopped (`undefined`: first run, or `full`). */
  readonly from: ExtractPosition | undefined;
  /** `auto` only for a date/timestamp cursor (resolved at run time by the table's size and indexes). */
  readonly lateCommits: 'auto' | LateCommits;
  readonly lookbackMs: number;
  readonly sweepEveryMs: number;
}

/**
 * Types a cursor element may have: Postgres orders them, and a row comparison on them can use a btree index. Text
 * and uuids are not increasing, but they order, so they serve as the key that breaks ties after a timestamp.
 */
const ORDERABLE: ReadonlySet<string> = new Set([
  'smallint',
  'integer',
  'bigint',
  'decimal',
  'date',
  'timestamp',
  'timestamptz',
  'uuid',
  'text',
  'char',
]);
const INFINITE: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz']);
/** What is wrong with a table's `columns:` choices (a column excluded, hashed or in the key; a decimal no warehouse holds). */
function columnChoiceProblems(
  table: SourceTable,
  choices: ReadonlyMap<string, ColumnChoice>,
  included: ReadonlySet<string>,
  hashed: ReadonlySet<string>,
): string[] {
  const label = `${table.schema}.${table.name}`;
  const problems: string[] = [];
  for (const [column, choice] of choices) {
    if (!table.columns.some((c) => c.name === column)) continue;
    const as = formatColumnChoice(choice);
    if (!included.has(column)) {
      problems.push(
        `columns.${column}: column "${column}" of ${label} is excluded, so it is not loaded as ${as} either`,
      );
    } else if (hashed.has(column)) {
      problems.push(`columns.${column}: column "${column}" of ${label} is hashed: it cannot also be loaded as ${as}`);
    } else if (table.primaryKey.includes(column)) {
      // Keys are compared between source and warehouse (merges, delete reconciliation): they keep their type.
      problems.push(`columns.${column}: "${column}" is part of the primary key of ${label}, which loads as it is`);
    }
    if (
      choice.as === 'decimal' &&
      !(choice.precision >= 1 && choice.precision <= 38 && choice.scale >= 0 && choice.scale <= choice.precision)
    ) {
      problems.push(
        `columns.${column}: ${as} is not a decimal every warehouse holds: 1 ≤ precision ≤ 38, 0 ≤ scale ≤ precision`,
      );
    }
  }
  return problems;
}

const HOUR_MS = 3_600_000;

/**
 * Check a table's spec against what Postgres says about it and plan its extraction. Pure: no I/O.
 * Every problem is reported at once, naming the table and the column, with a fix.
 *
 * @example planExtraction(await introspectTable(client, 'public', 'vendas'), { strategy: 'upsert', cursor: [...] }, watermark)
 */
export function planExtraction(table: SourceTable, spec: TableSpec, from: ExtractPosition | undefined): ExtractPlan {
  const label = `${table.schema}.${table.name}`;
  const problems: string[] = [];
  const byName = new Map(table.columns.map((column) => [column.name, column]));
  const names = table.columns.map((column) => column.name);
  const known = (column: string, where: string): SourceColumn | undefined => {
    const found = byName.get(column);
    if (!found) {
      // A name written with SQL quotes ("Customer ID") names the column without them: sluice.yml holds names as
      // Postgres stores them, and YAML's own quotes are enough for spaces and capitals.
      const unquoted = /^"((?:[^"]|"")+)"$/.exec(column)?.[1]?.replaceAll('""', '"');
      const hint = unquoted !== undefined && byName.has(unquoted) ? [unquoted] : closestNames(column, names);
      problems.push(
        `${where}: column ${JSON.stringify(column)} does not exist in ${label}` +
          (unquoted !== undefined && byName.has(unquoted)
            ? ` (write the name without SQL quotes: ${JSON.stringify(unquoted)}; sluice.yml holds names as Postgres stores them)`
            : hint.length
              ? ` (did you mean ${hint.map((name) => (/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name))).join(' or ')}?)`
              : ''),
      );
    }
    return found;
  };
  for (const column of spec.include ?? []) known(column, 'include');
  for (const column of spec.exclude ?? []) known(column, 'exclude');
  for (const column of spec.hash ?? []) known(column, 'hash');
  const choices = new Map(Object.entries(spec.columns ?? {}));
  for (const column of choices.keys()) known(column, `columns.${column}`);

  const included = new Set(spec.include ?? names);
  for (const column of spec.exclude ?? []) included.delete(column);
  const hashed = new Set(spec.hash ?? []);
  problems.push(...columnChoiceProblems(table, choices, included, hashed));
  if (spec.strategy !== 'full' || table.primaryKey.length > 0) {
    for (const key of table.primaryKey) {
      if (!included.has(key)) problems.push(`primary key column "${key}" of ${label} cannot be excluded`);
      if (hashed.has(key)) problems.push(`primary key column "${key}" of ${label} cannot be hashed`);
    }
  }
  if (spec.strategy === 'upsert' && table.primaryKey.length === 0) {
    problems.push(
      `${label} has no primary key, which upsert needs to merge rows: add one, or use strategy full or append`,
    );
  }
  if (table.kind === 'v' || table.kind === 'f') {
    if (spec.strategy !== 'full') problems.push(`${label} is a view or foreign table: only strategy full can read it`);
  }

  const columns: PlannedColumn[] = [];
  for (const column of table.columns) {
    if (!included.has(column.name)) continue;
    if (hashed.has(column.name)) {
      const salt = quoteLiteral(spec.hashSalt ?? '');
      columns.push({
        name: column.name,
        type: { kind: 'text', maxLength: 64 },
        nullable: column.nullable,
        selectSql: `encode(sha256(convert_to(${salt} || ${quoteIdentifier(column.name)}::text, 'UTF8')), 'hex')`,
      });
      continue;
    }
    const choice = choices.get(column.name);
    if (choice) {
      const kind = column.logical?.kind ?? column.pgType;
      if (choice.as !== 'text' && !NUMERIC_KINDS.has(kind)) {
        problems.push(
          `columns.${column.name}: column "${column.name}" of ${label} has type ${column.pgType}: only numbers load as ${formatColumnChoice(choice)} (as: text takes any type)`,
        );
        continue;
      }
      columns.push(chosenColumn(column, choice));
      continue;
    }
    if (!column.logical) {
      problems.push(
        `column "${column.name}" of ${label} has type ${column.pgType}, which Sluice cannot load exactly: exclude it, hash it, or load it as text (columns: { ${column.name}: { as: text } })`,
      );
      continue;
    }
    columns.push(plannedColumn(column, column.logical));
  }

  const cursorSql: string[] = [];
  const cursorTypes: string[] = [];
  const cursorKinds: string[] = [];
  if (spec.strategy !== 'full') {
    const cursor = spec.cursor ?? [];
    if (cursor.length === 0) problems.push(`${label}: strategy ${spec.strategy} needs a cursor`);
    if (spec.strategy === 'append' && cursor.length > 1) {
      problems.push(`${label}: strategy append takes one increasing cursor column; use upsert for a compound cursor`);
    }
    cursor.forEach((element, index) => {
      const parts = typeof element === 'string' ? [element] : element.coalesce;
      const where = `cursor[${index}]`;
      const resolved = parts.map((part) => known(part, where));
      if (resolved.some((column) => column === undefined)) return;
      const first = resolved[0] as SourceColumn;
      const kind = first.logical?.kind ?? first.pgType;
      if (!ORDERABLE.has(kind)) {
        problems.push(
          `${where}: column "${first.name}" of ${label} has type ${first.pgType}, which is not an orderable cursor type`,
        );
        return;
      }
      for (const other of resolved.slice(1) as SourceColumn[]) {
        if ((other.logical?.kind ?? other.pgType) !== kind) {
          problems.push(
            `${where}: coalesce needs columns of one type; "${other.name}" is ${other.pgType}, "${first.name}" is ${first.pgType}`,
          );
        }
      }
      const quoted = parts.map(quoteIdentifier);
      const anyNotNull = resolved.some((column) => !(column as SourceColumn).nullable);
      if (!anyNotNull) {
        if (INFINITE.has(kind)) {
          // A row whose every cursor column is NULL sorts first instead of vanishing from row comparisons.
          quoted.push(`'-infinity'::${first.pgType}`);
        } else {
          problems.push(
            `${where}: ${parts.join(', ')} of ${label} can be NULL and a NULL cursor would skip rows: coalesce it with a NOT NULL column`,
          );
        }
      }
      cursorSql.push(quoted.length === 1 ? (quoted[0] as string) : `COALESCE(${quoted.join(', ')})`);
      cursorTypes.push(first.pgType);
      cursorKinds.push(kind);
    });
    const firstKind = cursorKinds[0];
    if (spec.lateCommits === 'lookback' && firstKind !== undefined && !INFINITE.has(firstKind)) {
      problems.push(
        `${label}: late_commits: lookback looks back in time, but the cursor starts with a ${firstKind} column: use scan (or off)`,
      );
    }
    if (spec.lookbackMs !== undefined && !(spec.lookbackMs >= 0))
      problems.push(`${label}: lookback must be a duration of 0 or more`);
    if (spec.sweepEveryMs !== undefined && !(spec.sweepEveryMs > 0))
      problems.push(`${label}: sweep_every must be a positive duration`);
    if (spec.strategy === 'upsert' && table.primaryKey.length > 0 && cursor.length > 0) {
      const tail = cursor.slice(-table.primaryKey.length);
      const endsWithKey = tail.every((element, i) => element === table.primaryKey[i]);
      if (!endsWithKey) {
        problems.push(
          `${label}: an upsert cursor must end with the primary key (${table.primaryKey.join(', ')}) so that rows sharing a ` +
            `timestamp are never skipped, e.g. cursor: [data_atualizacao, ${table.primaryKey.join(', ')}]`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new ExtractError('INVALID_TABLE_CONFIG', problems.join('\n'), { table: label });
  }
  if (from?.cursor && from.cursor.length !== cursorSql.length) {
    throw new ExtractError(
      'INVALID_TABLE_CONFIG',
      `${label}: the stored watermark has ${from.cursor.length} cursor values but the cursor now has ${cursorSql.length}: ` +
        `the cursor changed, so resync the table (sluice state reset --table ${table.name})`,
      { table: label },
    );
  }
  return {
    table,
    strategy: spec.strategy,
    columns,
    cursorSql,
    cursorTypes,
    from: spec.strategy === 'full' ? undefined : from,
    lateCommits: resolveLateCommits(spec, cursorKinds[0]),
    lookbackMs: spec.lookbackMs ?? HOUR_MS,
    sweepEveryMs: spec.sweepEveryMs ?? 24 * HOUR_MS,
  };
}

function resolveLateCommits(spec: TableSpec, firstCursorKind: string | undefined): 'auto' | LateCommits {
  if (spec.strategy === 'full') return 'off';
  const asked = spec.lateCommits ?? 'auto';
  if (asked !== 'auto') return asked;
  return firstCursorKind !== undefined && INFINITE.has(firstCursorKind) ? 'auto' : 'scan';
}

/** A column loaded as its own type: a date or timestamp plainly, with its BC-safe form beside (see `bcSafeSql`). */
function plannedColumn(column: SourceColumn, logical: LogicalType): PlannedColumn {
  const base = { name: column.name, type: logical, nullable: column.nullable };
  if (!INSTANT_KINDS.has(logical.kind)) return { ...base, selectSql: renderColumn(column) };
  return { ...base, selectSql: quoteIdentifier(column.name), bcSafeSql: renderColumn(column) };
}

/** A column loaded as the type chosen for it, rendered as the chunk format writes that type. */
function chosenColumn(column: SourceColumn, choice: ColumnChoice): PlannedColumn {
  const id = quoteIdentifier(column.name);
  const base = { name: column.name, nullable: column.nullable };
  switch (choice.as) {
    case 'text':
      return { ...base, type: { kind: 'text' }, selectSql: `${id}::text` };
    case 'double':
      return { ...base, type: { kind: 'double' }, selectSql: `${id}::float8` };
    case 'decimal':
      return {
        ...base,
        type: { kind: 'decimal', precision: choice.precision, scale: choice.scale },
        selectSql: `${id}::numeric(${choice.precision},${choice.scale})`,
      };
  }
}

/** The logical kinds Postgres writes with a ` BC` suffix before year 1. */
const INSTANT_KINDS = new Set(['date', 'timestamp', 'timestamptz']);

/** Render one column as the chunk format wants it (see ChunkFile in @sluice/warehouse). */
function renderColumn(column: SourceColumn): string {
  return renderValue(quoteIdentifier(column.name), column.logical as LogicalType);
}

function renderValue(id: string, type: LogicalType): string {
  switch (type.kind) {
    case 'boolean':
      return `${id}::text`;
    case 'bytes':
      return `encode(${id}, 'hex')`;
    case 'interval':
      return (
        `CASE WHEN ${id} IS NOT NULL THEN format('%s months %s days %s microseconds', ` +
        `(extract(year from ${id}) * 12 + extract(month from ${id}))::bigint, extract(day from ${id})::bigint, ` +
        `(extract(hour from ${id}) * 3600000000 + extract(minute from ${id}) * 60000000 + extract(microseconds from ${id}))::bigint) END`
      );
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return renderInstant(id);
    case 'array':
      return `to_json(${id})::text`;
    default:
      return id;
  }
}

/**
 * A date, timestamp or timestamptz as the chunk format writes it: Postgres's ISO text, except before year 1, where
 * Postgres writes `0044-03-15 BC` — text other engines read as the year 44 AD (DuckDB) or not at all. Those are
 * written in ISO 8601's astronomical year numbering instead, `-0043-03-15` (1 BC is `0000`), which DuckDB reads
 * exactly. Postgres writes BC years with four digits (its range ends at 4713 BC).
 */
function renderInstant(id: string): string {
  const text = `${id}::text`;
  const year = `left(${text}, 4)`;
  const astronomical = `CASE WHEN ${year} = '0001' THEN '0000' ELSE '-' || lpad((${year}::int - 1)::text, 4, '0') END`;
  return `CASE WHEN ${id} < '0001-01-01' AND ${id} <> '-infinity' THEN ${astronomical} || substr(${text}, 5, length(${text}) - 7) ELSE ${text} END`;
}

/** The exact text of a cursor value as a literal of its type, for COPY statements (which take no parameters). */
function literal(value: string, pgType: string): string {
  return `${quoteLiteral(value)}::${pgType}`;
}

/**
 * `c1 >= 'v1'::t1 AND (c1, c2) > ('v1'::t1, 'v2'::t2)` — rows after a position, in cursor order. The first term
 * follows from the second; it is there for the planner, which estimates a row comparison at a third of the table
 * and so read the whole table on every run (a sequential scan of a million rows for a handful of new ones), but
 * estimates `c1 >= v1` from its statistics and takes the index on the cursor.
 */
export function afterCondition(plan: ExtractPlan, cursor: readonly string[]): string {
  const values = cursor.map((value, i) => literal(value, plan.cursorTypes[i] ?? 'text'));
  if (plan.cursorSql.length === 1) return `${plan.cursorSql[0]} > ${values[0]}`;
  return `${plan.cursorSql[0]} >= ${values[0]} AND (${plan.cursorSql.join(', ')}) > (${values.join(', ')})`;
}

/**
 * The SELECT that reads the plan's rows, optionally filtered, optionally in primary-key order, optionally with a
 * trailing boolean field (`flag`, a condition) after the columns (see ChunkSink's `flagged`). Dates and timestamps
 * are written BC-safe unless `plain` (see `PlannedColumn.bcSafeSql`).
 */
export function selectSql(
  plan: ExtractPlan,
  where?: string,
  options: { ordered?: boolean; flag?: string; plain?: boolean } = {},
): string {
  const columns = plan.columns.map(
    (column) =>
      `${(options.plain ? undefined : column.bcSafeSql) ?? column.selectSql} AS ${quoteIdentifier(column.name)}`,
  );
  if (options.flag) columns.push(`(${options.flag}) AS "__sluice_flag"`);
  const from = `${quoteIdentifier(plan.table.schema)}.${quoteIdentifier(plan.table.name)}`;
  const order =
    options.ordered && plan.table.primaryKey.length > 0
      ? ` ORDER BY ${plan.table.primaryKey.map((key) => quoteIdentifier(key)).join(', ')}`
      : '';
  return `SELECT ${columns.join(', ')} FROM ${from}${where ? ` WHERE ${where}` : ''}${order}`;
}

/** The statement streaming a SELECT's rows as Postgres CSV, which `ChunkSink` cuts into chunk files. */
export function copySql(select: string): string {
  return `COPY (${select}) TO STDOUT (FORMAT csv)`;
}

/**
 * The query reading the cursor of the newest row past `from` (of any row on a first run): the upper bound of this
 * run, in its snapshot (no row: the position stays at `from`). With `count`, it also counts the rows past `from`
 * (`window_rows`) in the same pass; with `changed` (see `changedSinceSql`), those of them NOT written since the
 * previous snapshot (`unexplained`: more than 0 only when the transaction ids do not continue the previous run's,
 * e.g. the source was restored elsewhere). With an index on the cursor, one index range scan.
 *
 * With `chain`, the bound of a whole table (a first load) is a chain of `max()`: without an index on the cursor,
 * each element is one pass keeping a single value, where `ORDER BY … LIMIT 1` keeps a row and compares whole tuples
 * (a million-row vendas: 0.19 s against 0.33 s); with one, Postgres answers each `max()` from it. Not for the index
 * check (`cursorIndexSql`), which asks how an incremental run's `ORDER BY` is served.
 */
export function upperBoundSql(
  plan: ExtractPlan,
  from?: readonly string[] | null,
  options: { readonly count?: boolean; readonly changed?: string | undefined; readonly chain?: boolean } = {},
): string {
  const table = `${quoteIdentifier(plan.table.schema)}.${quoteIdentifier(plan.table.name)}`;
  if (options.chain && !from && plan.cursorTypes.every((type) => MAX_TYPES.test(type))) {
    return maxChainSql(plan, table);
  }
  const list = plan.cursorSql.map((sql, i) => `(${sql})::text AS c${i}`);
  if (options.count || options.changed) list.push('count(*) OVER () AS window_rows');
  if (options.changed) list.push(`count(*) FILTER (WHERE NOT (${options.changed})) OVER () AS unexplained`);
  const order = plan.cursorSql.map((sql) => `${sql} DESC`).join(', ');
  const where = from ? ` WHERE ${afterCondition(plan, from)}` : '';
  return `SELECT ${list.join(', ')} FROM ${table}${where} ORDER BY ${order} LIMIT 1`;
}

/** Cursor types whose `max()` Postgres has, ordering as `ORDER BY` does (uuid and bytea, say, have none). */
const MAX_TYPES = /^(smallint|integer|bigint|numeric|real|double precision|date|timestamp|text|character varying)\b/;

/**
 * The newest cursor of a whole table, element by element: the greatest first element, then the greatest second
 * among the rows holding that first, and so on. No row when the table is empty (cursor elements are never NULL).
 *
 * @example maxChainSql(plan, '"public"."t"') // SELECT m0.v::text AS c0, m1.v::text AS c1 FROM (SELECT max(a) AS v FROM "public"."t") AS m0 CROSS JOIN LATERAL (SELECT max(b) AS v FROM "public"."t" WHERE a = m0.v) AS m1 WHERE m0.v IS NOT NULL
 */
function maxChainSql(plan: ExtractPlan, table: string): string {
  const list = plan.cursorSql.map((_, i) => `m${i}.v::text AS c${i}`);
  const from = plan.cursorSql.map((sql, i) => {
    const where = plan.cursorSql.slice(0, i).map((before, j) => `${before} = m${j}.v`);
    const select = `(SELECT max(${sql}) AS v FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}) AS m${i}`;
    return i === 0 ? select : `CROSS JOIN LATERAL ${select}`;
  });
  return `SELECT ${list.join(', ')} FROM ${from.join(' ')} WHERE m0.v IS NOT NULL`;
}

/**
 * How a run reads its rows:
 * - `all`: first run (or the table was empty): everything.
 * - `window`: the rows past the cursor (`off`).
 * - `sweep`: every row written since `base` (a snapshot xmin), which includes every row past the cursor; the bound
 *   query checks that (`unexplained`). `where` undefined: ids cannot be compared, read everything.
 * - `lookback`: rows past the cursor, and rows written since the previous snapshot within `lookback` behind it;
 *   `flag` tells the two apart (true: past the cursor).
 */
export interface LateRead {
  readonly kind: 'all' | 'window' | 'sweep' | 'lookback';
  /** Why a lookback table swept this run. */
  readonly reason?: string;
  /** The row filter (`undefined`: every row). */
  readonly where: string | undefined;
  /** `sweep`: the condition "written since base", for the bound query's check. */
  readonly changed?: string;
  /** `lookback`: true for a row past the cursor — read as a trailing field of one read, to count the rows behind
   *  it, or the whole condition of the first of two parts (see `behind`). */
  readonly flag?: string;
  /**
   * `lookback`: the rows of `where` behind the cursor (the late-commit check: an index range ending at the cursor,
   * each row's `xmin` tested); `flag` selects the others. Disjoint, and together `where`: a caller with a second
   * connection reads the two at once (see `planReads`).
   */
  readonly behind?: string;
  /** The position fields this run leaves about sweeps. */
  readonly sweptXmin?: string;
  readonly sweptAt?: string;
}

/** Decide how this run reads, from the plan and what the snapshot query found. Pure. */
export function planLateRead(plan: ExtractPlan, facts: SnapshotFacts): LateRead {
  const mode =
    plan.lateCommits === 'auto'
      ? facts.pages >= SCAN_MAX_PAGES && facts.cursorIndexed === true
        ? 'lookback'
        : 'scan'
      : plan.lateCommits;
  const from = plan.from;
  const cursor = from?.cursor ?? null;
  if (!from || cursor === null) return { kind: 'all', where: undefined, sweptXmin: facts.xmin, sweptAt: facts.now };
  const window = afterCondition(plan, cursor);
  const kept = {
    ...(from.sweptXmin ? { sweptXmin: from.sweptXmin } : {}),
    ...(from.sweptAt ? { sweptAt: from.sweptAt } : {}),
  };
  if (mode === 'off') return { kind: 'window', where: window, ...kept };
  const sweep = (base: string, reason: string | undefined): LateRead => {
    const changed = changedSinceSql(base, facts.xmax);
    return {
      kind: 'sweep',
      ...(reason ? { reason } : {}),
      where: changed,
      ...(changed ? { changed } : {}),
      sweptXmin: facts.xmin,
      sweptAt: facts.now,
    };
  };
  if (mode === 'scan') return sweep(from.snapshotXmin, undefined);
  const base = from.sweptXmin ?? from.snapshotXmin;
  if (!from.sweptXmin || !from.sweptAt) return sweep(base, 'no sweep recorded yet');
  if (from.openXids === null || from.openXids === undefined) {
    return sweep(base, `more than ${MAX_OPEN_XIDS} transactions were open at the last run`);
  }
  if (facts.committedOpen > 0) {
    return sweep(base, `${facts.committedOpen} transaction(s) open at the last run committed since`);
  }
  if (facts.sweepDue) return sweep(base, `the last sweep was ${plan.sweepEveryMs / 1000} s or more ago`);
  const changed = changedSinceSql(from.snapshotXmin, facts.xmax);
  if (!changed) return sweep(base, 'the transaction ids moved too far, or backwards');
  const first = plan.cursorSql[0] as string;
  const floor = `(${clockedCursor(cursor[0] as string, plan.cursorTypes[0] as string, facts.now)} - interval '${plan.lookbackMs} milliseconds')::${plan.cursorTypes[0]}`;
  const upTo = `${first} <= ${literal(cursor[0] as string, plan.cursorTypes[0] ?? 'text')}`;
  return {
    kind: 'lookback',
    where: `${first} >= ${floor} AND CASE WHEN ${window} THEN true ELSE ${changed} END`,
    behind: `${first} >= ${floor} AND ${upTo} AND CASE WHEN ${window} THEN false ELSE ${changed} END`,
    flag: window,
    ...kept,
  };
}

/** Below this many 8 kB blocks (64 MB), `auto` scans: a sequential pass costs milliseconds there. */
const SCAN_MAX_PAGES = 8192;

/** Whether the read needs to know if an index serves the cursor (ask with `cursorIndexSql`): `auto` looks back only
 *  then (`planLateRead`), and a lookback that can be read in two parts at once (`twoParts`: helpers, no digest,
 *  parallelism 2 or more) is so read only then (`planReads`). */
export function needsIndexCheck(plan: ExtractPlan, facts: SnapshotFacts, twoParts = false): boolean {
  return mayNeedIndexCheck(plan, twoParts) && facts.pages >= SCAN_MAX_PAGES;
}

/**
 * Whether the read sends `cursorIndexSql` with its first query: `auto` or `lookback` reading from a position of a
 * table the catalog already counts at half the size that matters or more (`needsIndexCheck` tells, once the first
 * query has said how large the table is; a table that grew past the catalog's count is asked in a round trip of its
 * own).
 * An EXPLAIN in that round trip costs less than a round trip; on every small table, or a partitioned one (whose
 * parent has no pages and whose plan covers every partition), it would cost for nothing.
 */
export function asksIndexCheck(plan: ExtractPlan, twoParts = false): boolean {
  return mayNeedIndexCheck(plan, twoParts) && plan.table.pages >= SCAN_MAX_PAGES / 2;
}

function mayNeedIndexCheck(plan: ExtractPlan, twoParts: boolean): boolean {
  const from = plan.from?.cursor;
  const asks = plan.lateCommits === 'auto' || (plan.lateCommits === 'lookback' && twoParts);
  return asks && from !== undefined && from !== null;
}

/** EXPLAIN of the bound query: Postgres plans an index scan for it exactly when an index serves the cursor (a
 *  lookback without one reads the whole table, and a scan is then no dearer and exact). */
export function cursorIndexSql(plan: ExtractPlan): string {
  return `EXPLAIN (FORMAT JSON) ${upperBoundSql(plan, plan.from?.cursor ?? null)}`;
}

/** Read the answer of `cursorIndexSql`. */
export function usesIndex(explain: Record<string, unknown> | undefined): boolean {
  return /"Node Type": ?"Index (Only )?Scan"/.test(JSON.stringify(explain?.['QUERY PLAN'] ?? ''));
}

/**
 * Where a lookback starts from: the cursor's first value — unless it lies in the future (a row stamped ahead of
 * the clock), in which case the clock: rows written now would otherwise all land behind the lookback. The clock is
 * the snapshot's (`now`, from the first query, as a literal), so that a lookback read in two parts on two
 * connections looks back from one instant. A timestamptz compares with it; a timestamp or date has no zone, so only
 * a value more than 14 hours ahead of UTC (ahead of every zone) counts as future, and the clock then reads as
 * 12 hours behind UTC (behind every zone).
 */
function clockedCursor(value: string, type: string, now: string): string {
  const literal = `${quoteLiteral(value)}::${type}`;
  const clock = `${quoteLiteral(now)}::timestamptz`;
  if (type === 'timestamptz' || type === 'timestamp with time zone') return `least(${literal}, ${clock})`;
  const utc = `(${clock} AT TIME ZONE 'UTC')`;
  return `CASE WHEN ${literal} > (${utc} + interval '14 hours')::${type} THEN (${utc} - interval '12 hours')::${type} ELSE ${literal} END`;
}

/** Transaction ids this far apart or more cannot be compared through 32-bit `xmin` (Postgres's `age` is an int4);
 *  a margin below 2^31 leaves room for transactions begun while the run reads. */
const XID_HORIZON = 2n ** 31n - 2n ** 24n;

/**
 * The condition selecting every row version written by a transaction that was not yet visible to the snapshot
 * whose `pg_snapshot_xmin` was `snapshotXmin`: every such transaction has an id at or after that xmin, and an
 * inserted or updated row carries the id of its writer in `xmin`. Those rows are what changed since that snapshot
 * — rows past the cursor and late commits behind it alike. (Some transactions at or after that xmin had committed
 * before the snapshot: their rows are read again, which the MERGE absorbs.) `age()` measures transaction ids back
 * from the current one, modulo 2^32, which is exact while the two snapshots are less than 2^31 transactions apart:
 * `undefined` (read everything) otherwise, and when the position's xmin is ahead of the current snapshot (it came
 * from another server). Written as a CASE so Postgres tests this cheap header field first in a sequential scan.
 *
 * @example changedSinceSql('1000', '1200') // "CASE WHEN age(xmin) <= age('1000'::xid) THEN true ELSE false END"
 */
export function changedSinceSql(snapshotXmin: string, currentXmax: string): string | undefined {
  const previous = BigInt(snapshotXmin);
  const distance = BigInt(currentXmax) - previous;
  // Negative: the position came from another server (or a restore); too far: beyond what 32 bits tell apart.
  if (previous <= 0n || distance < 0n || distance >= XID_HORIZON) return undefined;
  return `CASE WHEN age(xmin) <= age('${previous % 2n ** 32n}'::xid) THEN true ELSE false END`;
}
