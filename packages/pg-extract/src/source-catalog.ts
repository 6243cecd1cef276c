import {
  canReadSql,
  countUpToSql,
  cursorIndexSuggestion,
  openTransactionsSql,
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

/** A transaction that holds back the server's xmin horizon (see `openTransactionsSql`). */
export interface OpenTransaction {
  /** Its session (none for a prepared transaction). */
  readonly pid: number | undefined;
  readonly database: string;
  readonly role: string;
  /** When it began (timestamptz text). */
  readonly since: string;
  /** The session's state (`idle in transaction`, `active`…), or `prepared <gid>`. */
  readonly state: string;
  readonly xid: string;
  /** How long it has been open. */
  readonly seconds: number;
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
  /** Transactions (on any database of the server) open for more than `olderThanSeconds`, oldest first. */
  openTransactions(olderThanSeconds: number): Promise<OpenTransaction[]>;
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
    async openTransactions(olderThanSeconds) {
      const statement = openTransactionsSql(olderThanSeconds);
      const { rows } = await client.query<Record<string, unknown>>(statement.text, [...statement.values]);
      return rows.map((row) => ({
        pid: row.pid === null || row.pid === undefined ? undefined : Number(row.pid),
        database: String(row.database ?? ''),
        role: String(row.role ?? ''),
        since: String(row.since ?? ''),
        state: String(row.state ?? ''),
        xid: String(row.xid ?? ''),
        seconds: Number(row.seconds ?? 0),
      }));
    },
    close,
  };
}
