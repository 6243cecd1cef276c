import {
  canReadSql,
  columnSampleSql,
  columnStatsSql,
  countUpToSql,
  cursorIndexSuggestion,
  listRelationsSql,
  serverInfoSql,
  type SourceStatement,
} from './catalog-sql.js';
import { cursorIndexSql, usesIndex, type ExtractPlan } from './extract-plan.js';
import { introspectTable, listTables, type Queryable, type SourceTable } from './introspect.js';
import { connectSource } from './source-connection.js';

/** The source server, as `sluice doctor` and `sluice init` describe it. */
export interface SourceServer {
  /** `server_version`, e.g. `16.4`. */
  readonly version: string;
  /** `server_version_num`, e.g. `160004` (0 when unknown). */
  readonly versionNum: number;
  /** The role logged in. */
  readonly role: string;
  readonly database: string;
}

/** Whether an index serves a plan's cursor, and the statement creating one that would. */
export interface CursorIndex {
  readonly served: boolean;
  readonly suggestion: string;
}

/** A relation of a schema, as `sluice init` weighs it (`listRelations`). */
export interface SourceRelation {
  readonly name: string;
  /** `r` table, `p` partitioned table, `v` view, `m` materialized view, `f` foreign table. */
  readonly kind: string;
  /** For a partition: the root of its partition tree (loading the root loads it). */
  readonly partitionOf?: { readonly schema: string; readonly name: string };
  /** Whether the role may read it (USAGE on the schema, SELECT on the table). */
  readonly readable: boolean;
  /** The planner's row estimate (`pg_class.reltuples`; -1 or 0 when never analyzed or vacuumed). */
  readonly estimatedRows: number;
  /** Size of its main fork on disk (of every partition, for a partitioned table), in bytes. */
  readonly bytes: number;
  /**
   * What `pg_stat_user_tables` counted since the statistics were last reset (summed over a partitioned table's
   * partitions); `undefined` for a view or when Postgres keeps no counters for it.
   */
  readonly activity?: {
    readonly inserted: number;
    readonly updated: number;
    readonly deleted: number;
    readonly liveRows: number;
    readonly modifiedSinceAnalyze: number;
    /** Its own last ANALYZE (by hand or by autovacuum), as timestamptz text; `undefined`: never. */
    readonly lastAnalyzed?: string;
  };
  /** When the database's statistics were reset (timestamptz text); `undefined`: never since the cluster began. */
  readonly statsReset?: string;
}

/** What `ANALYZE` recorded about one column (`pg_stats`). */
export interface ColumnStatistics {
  readonly name: string;
  /** Fraction of rows where the column is NULL, 0 to 1. */
  readonly nullFraction: number;
  /** Distinct values: a count when positive, minus a fraction of the rows when negative (Postgres's `n_distinct`). */
  readonly distinct: number;
}

/** What a sample of a table found (`sampleColumns`). */
export interface ColumnSample {
  /** Rows in the sample. */
  readonly rows: number;
  readonly columns: readonly { readonly name: string; readonly nonNull: number; readonly distinct: number }[];
}

/**
 * What the source's catalog says, for checks and `sluice init`: reads only the catalog (and, for `countUpTo`, at
 * most that many rows). Every statement comes from the pure planners in `catalog-sql.ts`.
 */
export interface SourceCatalog {
  server(): Promise<SourceServer>;
  /** The tables and views of a schema, sorted. */
  listTables(schema: string): Promise<string[]>;
  /** See `introspectTable` (`TABLE_NOT_FOUND` names the closest tables). */
  introspectTable(schema: string, name: string): Promise<SourceTable>;
  /** Whether the role may read the table, or at least each of `columns`. */
  canRead(schema: string, name: string, columns: readonly string[]): Promise<boolean>;
  /** Whether Postgres plans the bound query of `plan` on an index (one EXPLAIN). */
  cursorIndex(plan: ExtractPlan): Promise<CursorIndex>;
  /** The table's row count, counting no further than `limit`. */
  countUpTo(schema: string, name: string, limit: number): Promise<number>;
  /** Every table, partitioned table, view, materialized view and foreign table of a schema, sorted by name. */
  listRelations(schema: string): Promise<SourceRelation[]>;
  /** `pg_stats` of a table's columns (`inherited`: of a partitioned table, over its partitions); empty: never analyzed. */
  columnStatistics(schema: string, name: string, inherited: boolean): Promise<ColumnStatistics[]>;
  /** Count rows, non-NULL values and distinct values of `columns` in a sample (see `columnSampleSql`). */
  sampleColumns(
    schema: string,
    name: string,
    columns: readonly string[],
    sample: { readonly percent: number; readonly limit: number },
  ): Promise<ColumnSample>;
  /** Close the connection, when the catalog opened it. */
  close(): Promise<void>;
}

/**
 * Connect to the source and read its catalog (`SOURCE_UNREACHABLE` naming host and port when it cannot).
 *
 * @example const catalog = await openSourceCatalog(url, 'sluice-check'); try { … } finally { await catalog.close(); }
 */
export async function openSourceCatalog(url: string, applicationName = 'sluice'): Promise<SourceCatalog> {
  const client = await connectSource(url, applicationName);
  return catalogOn(client, async () => {
    await client.end().catch(() => undefined);
  });
}

/** Read the catalog over a connection the caller owns (`close()` leaves it open). */
export function sourceCatalog(client: Queryable): SourceCatalog {
  return catalogOn(client, async () => undefined);
}

function catalogOn(client: Queryable, close: () => Promise<void>): SourceCatalog {
  const first = async <R extends Record<string, unknown>>(statement: SourceStatement): Promise<R | undefined> =>
    (await client.query<R>(statement.text, [...statement.values])).rows[0];
  return {
    async server() {
      const row = await first<{ version: string; num: string; role: string; database: string }>(serverInfoSql());
      return {
        version: row?.version ?? '',
        versionNum: Number(row?.num ?? 0),
        role: row?.role ?? '',
        database: row?.database ?? '',
      };
    },
    listTables: (schema) => listTables(client, schema),
    introspectTable: (schema, name) => introspectTable(client, schema, name),
    async canRead(schema, name, columns) {
      return (await first<{ readable: boolean }>(canReadSql(schema, name, columns)))?.readable === true;
    },
    async cursorIndex(plan) {
      const explain = await first<Record<string, unknown>>({ text: cursorIndexSql(plan), values: [] });
      return { served: usesIndex(explain), suggestion: cursorIndexSuggestion(plan) };
    },
    async countUpTo(schema, name, limit) {
      return Number((await first<{ n: string }>(countUpToSql(schema, name, limit)))?.n ?? 0);
    },
    async listRelations(schema) {
      const statement = listRelationsSql(schema);
      const { rows } = await client.query<RelationStatsRow>(statement.text, [...statement.values]);
      return rows.map(relationOf);
    },
    async columnStatistics(schema, name, inherited) {
      const statement = columnStatsSql(schema, name, inherited);
      const { rows } = await client.query<{ name: string; null_frac: number; n_distinct: number }>(statement.text, [
        ...statement.values,
      ]);
      return rows.map((row) => ({
        name: row.name,
        nullFraction: Number(row.null_frac),
        distinct: Number(row.n_distinct),
      }));
    },
    async sampleColumns(schema, name, columns, sample) {
      const row = await first<Record<string, string>>(
        columnSampleSql(schema, name, columns, sample.percent, sample.limit),
      );
      return {
        rows: Number(row?.rows ?? 0),
        columns: columns.map((column, i) => ({
          name: column,
          nonNull: Number(row?.[`n${i}`] ?? 0),
          distinct: Number(row?.[`d${i}`] ?? 0),
        })),
      };
    },
    close,
  };
}

interface RelationStatsRow extends Record<string, unknown> {
  name: string;
  kind: string;
  is_partition: boolean;
  root_schema: string | null;
  root_name: string | null;
  readable: boolean;
  reltuples: number;
  bytes: string | null;
  inserted: string | null;
  updated: string | null;
  deleted: string | null;
  live: string | null;
  modified_since_analyze: string | null;
  last_analyzed: string | null;
  stats_reset: string | null;
}

function relationOf(row: RelationStatsRow): SourceRelation {
  const counted = row.kind !== 'v' && row.inserted !== null;
  return {
    name: row.name,
    kind: row.kind,
    ...(row.is_partition && row.root_schema !== null && row.root_name !== null
      ? { partitionOf: { schema: row.root_schema, name: row.root_name } }
      : {}),
    readable: row.readable === true,
    estimatedRows: Number(row.reltuples),
    bytes: Number(row.bytes ?? 0),
    ...(counted
      ? {
          activity: {
            inserted: Number(row.inserted ?? 0),
            updated: Number(row.updated ?? 0),
            deleted: Number(row.deleted ?? 0),
            liveRows: Number(row.live ?? 0),
            modifiedSinceAnalyze: Number(row.modified_since_analyze ?? 0),
            ...(row.last_analyzed ? { lastAnalyzed: row.last_analyzed } : {}),
          },
        }
      : {}),
    ...(row.stats_reset ? { statsReset: row.stats_reset } : {}),
  };
}
