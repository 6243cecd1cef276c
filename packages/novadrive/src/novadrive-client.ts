import pg, { type ClientBase } from 'pg';
import { NovaDriveError } from './novadrive-error.js';

/**
 * A connected `pg` client (a `pg.Client` or a pool's checked-out `PoolClient`), never a pool itself: generation and
 * simulation run in transactions, and the generator streams `COPY FROM STDIN` through it.
 */
export type NovaDriveClient = Pick<ClientBase, 'query'>;

/** A connection NovaDrive opened or was handed by a factory, and closes when done. */
export type NovaDriveConnection = Pick<ClientBase, 'query'> & { end(): Promise<void> };

/**
 * Connect to the Postgres at `url` (`CONNECTION_FAILED` naming host and port, never the credentials). Errors of the
 * connection surface on its queries, never as an unhandled 'error' event (a server stopped by Ctrl-C, say).
 *
 * @example const client = await connectNovaDrive(url); try { await simulateDay(client, { seed: 1, day: 1 }); } finally { await client.end(); }
 */
export async function connectNovaDrive(url: string): Promise<NovaDriveConnection> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new NovaDriveError(
      'CONNECTION_FAILED',
      `could not connect to Postgres at ${describeServer(url)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** `host:port` of a URL, never its credentials. */
function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  } catch {
    return 'an unparsable URL';
  }
}

/** Run one statement; a driver error becomes a NovaDriveError naming the table and the SQL (never the values). */
export async function runSql<Row>(
  client: NovaDriveClient,
  sql: string,
  values: unknown[] = [],
  table?: string,
): Promise<Row[]> {
  try {
    return (await client.query(sql, values)).rows as Row[];
  } catch (error) {
    throw statementError(error, sql, table);
  }
}

/** Run one statement and return how many rows it wrote (errors as in runSql). */
export async function runSqlCount(
  client: NovaDriveClient,
  sql: string,
  values: unknown[] = [],
  table?: string,
): Promise<number> {
  try {
    return (await client.query(sql, values)).rowCount ?? 0;
  } catch (error) {
    throw statementError(error, sql, table);
  }
}

/** Run work inside BEGIN … COMMIT; ROLLBACK (and rethrow) when it fails. */
export async function inTransaction<T>(client: NovaDriveClient, work: () => Promise<T>): Promise<T> {
  await runSql(client, 'BEGIN');
  try {
    const result = await work();
    await runSql(client, 'COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function statementError(error: unknown, sql: string, table: string | undefined): NovaDriveError {
  if (error instanceof NovaDriveError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new NovaDriveError('STATEMENT_FAILED', `a statement${table ? ` on ${table}` : ''} failed: ${reason}`, {
    ...(table === undefined ? {} : { table }),
    sql: sql.length > 2000 ? `${sql.slice(0, 2000)}…` : sql,
    cause: error,
  });
}
