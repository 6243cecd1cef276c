import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL of the Postgres server for this test run. */
    sluicePgUrl: string;
  }
}

/** A database of its own for one test file, on the test run's Postgres server. */
export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  /** Run a function with a connected client, closed afterwards. */
  withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Drop the database (its open connections are ended). */
  drop(): Promise<void>;
}

/** The superuser URL of the test run's server (from the vitest global setup). */
export function testServerUrl(): string {
  const url = inject('sluicePgUrl');
  if (!url) throw new Error('no test Postgres: run the tests through vitest with @sluice/testing/global-setup');
  return url;
}

/**
 * Create a fresh, empty database for a test file.
 *
 * @example
 * let db: TestDatabase;
 * beforeAll(async () => { db = await createTestDatabase(); });
 * afterAll(() => db.drop());
 */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase();
  await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = withDatabase(serverUrl, name);
  return {
    url,
    name,
    withClient: (work) => admin(url, work),
    drop: () =>
      admin(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
      ).then(() => undefined),
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
