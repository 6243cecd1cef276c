import { quoteIdentifier, quoteLiteral } from '@sluice/warehouse';
import type { ExtractPlan } from './extract-plan.js';

// The transaction statements of an extraction, and its first query. Every one is pure text, pinned in
// __golden__/snapshot.sql.

/** Opens the transaction whose snapshot a run exports (`exportSnapshotSql`) for every table to read in. */
export const SNAPSHOT_BEGIN_SQL = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/** Exports the current transaction's snapshot, so other connections can read in it (`beginReadSql(id)`). */
export const EXPORT_SNAPSHOT_SQL = 'SELECT pg_export_snapshot() AS id';

/**
 * Sent with the upper-bound query (same round trip): it reads beside the COPY, which has the server's cores to use;
 * parallel workers of a full scan for the bound (a first load without an index on the cursor) would compete with
 * it and cost more CPU than a serial scan (three processes sorting for one row).
 */
export const SERIAL_QUERY_SQL = 'SET LOCAL max_parallel_workers_per_gather = 0';

export const COMMIT_SQL = 'COMMIT';
export const ROLLBACK_SQL = 'ROLLBACK';
/** A connection's liveness check (a kept source connection, before it is handed out again). */
export const SELECT_ONE_SQL = 'SELECT 1';

/** The text settings the chunk format needs (see ChunkFile in @sluice/warehouse), for this transaction only. */
const SESSION_SETTINGS =
  "SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL intervalstyle = 'postgres'; " +
  'SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = hex';

/**
 * One round trip: a read-only REPEATABLE READ transaction, in `snapshotId` when given (an exported snapshot), with
 * the text settings the chunk format needs. None of these statements takes the snapshot: the first query after
 * them does.
 *
 * @example beginReadSql('00000003-0000001B-1') // "BEGIN …; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL …"
 */
export function beginReadSql(snapshotId?: string): string {
  const snapshot = snapshotId ? `SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotId)}; ` : '';
  return `${SNAPSHOT_BEGIN_SQL}; ${snapshot}${SESSION_SETTINGS}`;
}

/** At most this many open transaction ids are kept in a position; with more, the next lookback run sweeps. */
export const MAX_OPEN_XIDS = 1000;
/** Transaction ids assigned past a snapshot's xmax that are looked at one by one; with more, the next run sweeps. */
const MAX_OPEN_RANGE = 100_000;

/**
 * The first query of an extraction, which fixes its snapshot: the snapshot's xmin and xmax, the transactions open
 * at it (`open_xids`, up to MAX_OPEN_XIDS + 1), the source's clock, and for `lookback`: how many of the transactions open at
 * the previous snapshot have committed since or can no longer be told (`committed_open`), and whether a sweep is
 * due (`sweep_due`).
 */
export function snapshotSql(plan: ExtractPlan): string {
  const relation = quoteLiteral(`${quoteIdentifier(plan.table.schema)}.${quoteIdentifier(plan.table.name)}`);
  const columns = [
    'pg_snapshot_xmin(snap.s)::text AS xmin',
    'pg_snapshot_xmax(snap.s)::text AS xmax',
    'now()::text AS now',
    "current_setting('server_version_num')::int AS version",
    `pg_relation_size(${relation}::regclass) / current_setting('block_size')::int AS pages`,
  ];
  const from = plan.from;
  if (plan.lateCommits === 'lookback' || plan.lateCommits === 'auto') {
    // Transactions open at the snapshot that matter here: its xip list and the ids from its xmax up to the next
    // unassigned one (age() counts from there) — which running transactions hold but a snapshot does not list —
    // kept when the transaction holds a write lock on this table (it wrote to it), or has already ended in a
    // commit (it may have, in the moment between the snapshot and this look at the locks). An id assigned just
    // after the snapshot may be among them: it only makes a sweep likelier.
    columns.push(
      `(WITH writers AS MATERIALIZED (
          SELECT t.transactionid AS xid FROM pg_locks AS r
            JOIN pg_locks AS t ON t.virtualtransaction = r.virtualtransaction AND t.locktype = 'transactionid'
           WHERE r.locktype = 'relation' AND r.granted
             AND r.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND r.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
             AND r.relation IN (SELECT ${relation}::regclass UNION SELECT relid FROM pg_partition_tree(${relation}::regclass))),
        open AS (
          SELECT pg_snapshot_xip(snap.s) AS x
          UNION ALL
          SELECT (pg_snapshot_xmax(snap.s)::text::numeric + g)::text::xid8
            FROM generate_series(0, least(age(xid(pg_snapshot_xmax(snap.s))), ${MAX_OPEN_RANGE}) - 1) AS g)
       SELECT CASE WHEN count(*) > ${MAX_OPEN_XIDS} THEN NULL ELSE coalesce(array_agg(o.x::text), '{}') END
         FROM open AS o
        WHERE CASE coalesce(pg_xact_status(o.x), 'committed')
                WHEN 'aborted' THEN false
                WHEN 'committed' THEN true
                ELSE xid(o.x) IN (SELECT xid FROM writers) END) AS open_xids`,
    );
    columns.push(`age(xid(pg_snapshot_xmax(snap.s))) AS assigned_past_xmax`);
    const open = from?.openXids ?? [];
    // A transaction id not below this snapshot's xmax cannot be asked about (the position came from elsewhere).
    columns.push(
      open.length === 0
        ? '0 AS committed_open'
        : `(SELECT count(*) FROM unnest(ARRAY[${open.map((x) => quoteLiteral(x)).join(', ')}]::xid8[]) AS o(x)
            WHERE coalesce(CASE WHEN o.x < pg_snapshot_xmax(snap.s) THEN pg_xact_status(o.x) END, 'unknown')
                  NOT IN ('aborted', 'in progress'))::int AS committed_open`,
    );
    columns.push(
      from?.sweptAt
        ? `(${quoteLiteral(from.sweptAt)}::timestamptz <= now() - interval '${plan.sweepEveryMs} milliseconds') AS sweep_due`
        : 'true AS sweep_due',
    );
  }
  const held = from && plan.lateCommits !== 'off' ? heldBySql(from.snapshotXmin, from.snapshotXmax) : undefined;
  if (held) columns.push(held);
  return `SELECT ${columns.join(',\n       ')}\nFROM (SELECT pg_current_snapshot() AS s) AS snap`;
}

/**
 * The transaction that held the previous snapshot's xmin back — the oldest one running then, on any database of the
 * server: every row committed between its start and that snapshot is read again by this run (`scan` reads what
 * was written since that xmin). Named when it is still open (pid, database, since when; `pg_stat_activity` shows
 * another role's sessions to members of `pg_read_all_stats` only): `held_by`. None when nothing was running then
 * (`xmin = xmax`), or the position is older than `snapshotXmax`.
 */
function heldBySql(xmin: string, xmax: string | undefined): string | undefined {
  if (xmax === undefined || xmax === xmin) return undefined;
  return `(SELECT json_build_object('xid', o.x::text, 'open', coalesce(pg_xact_status(o.x) = 'in progress', false),
               'pid', a.pid, 'database', a.datname, 'since', a.xact_start::text)
          FROM (SELECT ${quoteLiteral(xmin)}::xid8 AS x) AS o
          LEFT JOIN pg_stat_activity AS a ON a.backend_xid = xid(o.x)
         WHERE o.x < pg_snapshot_xmax(snap.s)
         LIMIT 1) AS held_by`;
}

/** The transaction that held the previous snapshot back (see `heldBySql`). */
export interface HeldBy {
  /** Its transaction id (64-bit, as text). */
  readonly xid: string;
  /** Still running at this snapshot. */
  readonly open: boolean;
  /** Its session, when the role may see it. */
  readonly pid?: number;
  readonly database?: string;
  /** When its transaction began (timestamptz text). */
  readonly since?: string;
}

/** What the first query of an extraction found (see `snapshotSql`). */
export interface SnapshotFacts {
  readonly xmin: string;
  readonly xmax: string;
  readonly now: string;
  /** The table's size in 8 kB blocks. */
  readonly pages: number;
  /** `server_version_num` (ctid ranges need 14+). */
  readonly version: number;
  /** Whether an index serves the cursor (asked only when `auto`, or a lookback that could be read in two parts,
   *  needs to know: see `needsIndexCheck`). */
  readonly cursorIndexed?: boolean;
  /** Transactions open at the snapshot that wrote to the table (see `snapshotSql`); `null`: too many to tell. */
  readonly openXids: readonly string[] | null;
  readonly committedOpen: number;
  readonly sweepDue: boolean;
  /** The transaction that held the previous snapshot's xmin back, when there was one (see `heldBySql`). */
  readonly heldBy?: HeldBy;
}

/** Read the facts out of the row `snapshotSql` returned. */
export function snapshotFacts(row: Record<string, unknown> | undefined): SnapshotFacts {
  const open = row?.open_xids;
  const tooMany = Number(row?.assigned_past_xmax ?? 0) >= MAX_OPEN_RANGE;
  const openXids = Array.isArray(open) && !tooMany ? open.map(String) : null;
  return {
    xmin: String(row?.xmin),
    xmax: String(row?.xmax),
    now: String(row?.now),
    pages: Number(row?.pages ?? 0),
    version: Number(row?.version ?? 0),
    openXids,
    committedOpen: Number(row?.committed_open ?? 0),
    sweepDue: row?.sweep_due === true,
    ...(heldBy(row?.held_by) ? { heldBy: heldBy(row?.held_by) as HeldBy } : {}),
  };
}

function heldBy(value: unknown): HeldBy | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.xid !== 'string') return undefined;
  return {
    xid: v.xid,
    open: v.open === true,
    ...(typeof v.pid === 'number' ? { pid: v.pid } : {}),
    ...(typeof v.database === 'string' ? { database: v.database } : {}),
    ...(typeof v.since === 'string' ? { since: v.since } : {}),
  };
}
