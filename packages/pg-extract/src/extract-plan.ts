import { quoteIdentifier, quoteLiteral, type LogicalType } from '@sluice/warehouse';
import { ExtractError } from './extract-error.js';
import { closestNames } from '@sluice/warehouse';
import type { SourceColumn, SourceTable } from './introspect.js';

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
  readonly hashSalt?: string;
  /** `scan` (default): each run also re-reads rows written by transactions that were still open at the previous
   *  run's snapshot, so a late commit is never lost. `off`: trust the cursor alone. */
  readonly lateCommits?: 'scan' | 'off';
}

/** Where an incremental extraction stands; every value is Postgres's own text, so it is exact. */
export interface ExtractPosition {
  /** The cursor of the last row loaded, element by element (`null` when the table was empty). */
  readonly cursor: readonly string[] | null;
  /** `pg_snapshot_xmin` of the snapshot the rows were read in (a 64-bit transaction id, as text). */
  readonly snapshotXmin: string;
}

/** A column as it will be written to the chunk files. */
export interface PlannedColumn {
  readonly name: string;
  readonly type: LogicalType;
  readonly nullable: boolean;
  /** The SELECT expression rendering the value as the chunk format wants it. */
  readonly selectSql: string;
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
  readonly lateCommits: boolean;
}

const ORDERABLE: ReadonlySet<string> = new Set(['smallint', 'integer', 'bigint', 'decimal', 'date', 'timestamp', 'timestamptz']);
const INFINITE: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz']);

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
      const hint = closestNames(column, names);
      problems.push(
        `${where}: column "${column}" does not exist in ${label}` + (hint.length ? ` (did you mean ${hint.join(' or ')}?)` : ''),
      );
    }
    return found;
  };
  for (const column of spec.include ?? []) known(column, 'include');
  for (const column of spec.exclude ?? []) known(column, 'exclude');
  for (const column of spec.hash ?? []) known(column, 'hash');

  const included = new Set(spec.include ?? names);
  for (const column of spec.exclude ?? []) included.delete(column);
  const hashed = new Set(spec.hash ?? []);
  if (spec.strategy !== 'full' || table.primaryKey.length > 0) {
    for (const key of table.primaryKey) {
      if (!included.has(key)) problems.push(`primary key column "${key}" of ${label} cannot be excluded`);
      if (hashed.has(key)) problems.push(`primary key column "${key}" of ${label} cannot be hashed`);
    }
  }
  if (spec.strategy === 'upsert' && table.primaryKey.length === 0) {
    problems.push(`${label} has no primary key, which upsert needs to merge rows: add one, or use strategy full or append`);
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
    if (!column.logical) {
      problems.push(
        `column "${column.name}" of ${label} has type ${column.pgType}, which Sluice cannot load exactly: exclude it, or hash it`,
      );
      continue;
    }
    columns.push({ name: column.name, type: column.logical, nullable: column.nullable, selectSql: renderColumn(column, label) });
  }

  const cursorSql: string[] = [];
  const cursorTypes: string[] = [];
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
        problems.push(`${where}: column "${first.name}" of ${label} has type ${first.pgType}, which is not an orderable cursor type`);
        return;
      }
      for (const other of resolved.slice(1) as SourceColumn[]) {
        if ((other.logical?.kind ?? other.pgType) !== kind) {
          problems.push(`${where}: coalesce needs columns of one type; "${other.name}" is ${other.pgType}, "${first.name}" is ${first.pgType}`);
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
    });
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
    lateCommits: spec.strategy !== 'full' && (spec.lateCommits ?? 'scan') === 'scan',
  };
}

/** Render one column as the chunk format wants it (see ChunkFile in @sluice/warehouse). */
function renderColumn(column: SourceColumn, label: string): string {
  const id = quoteIdentifier(column.name);
  const type = column.logical as LogicalType;
  return renderValue(id, type, `${label}.${column.name}`);
}

function renderValue(id: string, type: LogicalType, where: string): string {
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
      // BC dates have no faithful text in other engines: stop with a message naming the column (the cast fails).
      // The failing cast must depend on the row, or the planner folds it (and fails) for every table.
      return `CASE WHEN ${id} < '0001-01-01' AND ${id} <> '-infinity' THEN (${quoteLiteral(`sluice: BC ${type.kind} in ${where}: `)} || ${id}::text)::int::text ELSE ${id}::text END`;
    case 'array':
      return `to_json(${id})::text`;
    default:
      return id;
  }
}

/** The exact text of a cursor value as a literal of its type, for COPY statements (which take no parameters). */
function literal(value: string, pgType: string): string {
  return `${quoteLiteral(value)}::${pgType}`;
}

/** `(c1, c2) > ('v1'::t1, 'v2'::t2)` — rows after a position, in cursor order. */
export function afterCondition(plan: ExtractPlan, cursor: readonly string[]): string {
  const left = plan.cursorSql.join(', ');
  const right = cursor.map((value, i) => literal(value, plan.cursorTypes[i] ?? 'text')).join(', ');
  return plan.cursorSql.length === 1 ? `${left} > ${right}` : `(${left}) > (${right})`;
}

/** The SELECT that reads the plan's rows, optionally filtered, optionally in primary-key order. */
export function selectSql(plan: ExtractPlan, where?: string, options: { ordered?: boolean } = {}): string {
  const list = plan.columns.map((column) => `${column.selectSql} AS ${quoteIdentifier(column.name)}`).join(', ');
  const from = `${quoteIdentifier(plan.table.schema)}.${quoteIdentifier(plan.table.name)}`;
  const order =
    options.ordered && plan.table.primaryKey.length > 0
      ? ` ORDER BY ${plan.table.primaryKey.map((key) => quoteIdentifier(key)).join(', ')}`
      : '';
  return `SELECT ${list} FROM ${from}${where ? ` WHERE ${where}` : ''}${order}`;
}

/** The query reading the cursor of the newest row (the upper bound of this run, in its snapshot). */
export function upperBoundSql(plan: ExtractPlan): string {
  const from = `${quoteIdentifier(plan.table.schema)}.${quoteIdentifier(plan.table.name)}`;
  const list = plan.cursorSql.map((sql, i) => `(${sql})::text AS c${i}`).join(', ');
  const order = plan.cursorSql.map((sql) => `${sql} DESC`).join(', ');
  return `SELECT ${list} FROM ${from} ORDER BY ${order} LIMIT 1`;
}
