import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { NO_DATABASE_CATALOG } from './duckdb-engine.js';
import type { QualifiedName } from './sql/object-name.js';
import { quoteIdent, quoteString } from './sql/syntax-tree.js';

/** Session parameter values, as Snowflake keeps them (strings, numbers, booleans). */
export type ParameterValue = string | number | boolean;

/** Session parameters every query response carries, with Snowflake's defaults (TIMEZONE is UTC here). */
export const DEFAULT_PARAMETERS: Readonly<Record<string, ParameterValue>> = {
  TIMEZONE: 'UTC',
  TIMESTAMP_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM',
  TIMESTAMP_NTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF3',
  TIMESTAMP_LTZ_OUTPUT_FORMAT: '',
  TIMESTAMP_TZ_OUTPUT_FORMAT: '',
  DATE_OUTPUT_FORMAT: 'YYYY-MM-DD',
  TIME_OUTPUT_FORMAT: 'HH24:MI:SS',
  BINARY_OUTPUT_FORMAT: 'HEX',
  CLIENT_TIMESTAMP_TYPE_MAPPING: 'TIMESTAMP_LTZ',
  TIMESTAMP_TYPE_MAPPING: 'TIMESTAMP_NTZ',
  CLIENT_SESSION_KEEP_ALIVE: false,
  CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY: 3600,
  JS_TREAT_INTEGER_AS_BIGINT: false,
  MULTI_STATEMENT_COUNT: 1,
  QUERY_TAG: '',
  AUTOCOMMIT: true,
  CLIENT_STAGE_ARRAY_BINDING_THRESHOLD: 100000,
  QUERY_CONTEXT_CACHE_SIZE: 5,
  ERROR_ON_NONDETERMINISTIC_MERGE: true,
};

/** How long tokens live, in seconds (Snowflake: one hour for the session token, four for the master token). */
export const SESSION_TOKEN_VALIDITY = 3600;
export const MASTER_TOKEN_VALIDITY = 14400;

let nextSessionId = BigInt(Date.now()) * 1000n;

/** One logged-in Snowflake session: its tokens, context (database, schema, …), parameters and DuckDB connection. */
export class Session {
  readonly id: string;
  readonly user: string;
  readonly account: string;
  token: string;
  masterToken: string;
  tokenExpiresAt: number;
  masterExpiresAt: number;
  /** Set by the fault controller or by expiry: the next request gets 390112 (renewable) or 390111 (gone). */
  tokenState: 'valid' | 'expired' | 'gone' = 'valid';
  database: string | null;
  schema: string | null;
  warehouse: string | null;
  role: string;
  readonly parameters: Map<string, ParameterValue>;
  /** What a parameter returns to on UNSET: the account's setting, else Snowflake's default. */
  readonly accountParameters: Readonly<Record<string, ParameterValue>>;
  readonly connection: DuckDBConnection;
  inTransaction = false;
  /** A statement failed inside BEGIN … COMMIT: DuckDB has aborted the transaction. */
  transactionAborted = false;
  readonly temporaryTables: QualifiedName[] = [];
  lastQueryId: string | null = null;
  closed = false;
  private appliedContext = '';
  private appliedTimezone = 'UTC';

  constructor(options: {
    user: string;
    account: string;
    connection: DuckDBConnection;
    database: string | null;
    schema: string | null;
    warehouse: string | null;
    role: string;
    /** Account-level parameter settings, over Snowflake's defaults (ALTER ACCOUNT SET …). */
    accountParameters?: Readonly<Record<string, ParameterValue>>;
  }) {
    nextSessionId += 1n;
    this.accountParameters = options.accountParameters ?? {};
    this.parameters = new Map<string, ParameterValue>(
      Object.entries({ ...DEFAULT_PARAMETERS, ...this.accountParameters }),
    );
    this.id = nextSessionId.toString();
    this.user = options.user;
    this.account = options.account;
    this.connection = options.connection;
    this.database = options.database;
    this.schema = options.schema;
    this.warehouse = options.warehouse;
    this.role = options.role;
    this.token = newToken('ST');
    this.masterToken = newToken('MT');
    this.tokenExpiresAt = Date.now() + SESSION_TOKEN_VALIDITY * 1000;
    this.masterExpiresAt = Date.now() + MASTER_TOKEN_VALIDITY * 1000;
  }

  /** Issue a new session token (renewal with the master token). */
  renew(): void {
    this.token = newToken('ST');
    this.tokenExpiresAt = Date.now() + SESSION_TOKEN_VALIDITY * 1000;
    this.tokenState = 'valid';
  }

  /** The session's QUERY_TAG (statement-level tags override it per statement). */
  queryTag(): string {
    return String(this.parameters.get('QUERY_TAG') ?? '');
  }

  /** Point the DuckDB connection at the session's current database and schema, and its time zone. */
  async applyContext(): Promise<void> {
    const target =
      this.database === null
        ? quoteIdent(NO_DATABASE_CATALOG)
        : `${quoteIdent(this.database)}.${quoteIdent(this.schema ?? 'main')}`;
    if (target !== this.appliedContext) {
      try {
        await this.connection.run(`USE ${target}`);
      } catch {
        // the schema (or database) was dropped meanwhile: nothing resolves, as in Snowflake
        await this.connection.run(`USE ${quoteIdent(NO_DATABASE_CATALOG)}`);
      }
      this.appliedContext = target;
    }
    const timezone = String(this.parameters.get('TIMEZONE') ?? 'UTC');
    if (timezone !== this.appliedTimezone) {
      await this.connection.run(`SET TimeZone = ${quoteString(timezone)}`);
      this.appliedTimezone = timezone;
    }
  }

  /** Forget the applied context (after the catalog changed under it). */
  resetContext(): void {
    this.appliedContext = '';
  }

  /** Parameters as the `parameters` array of a response. */
  parameterList(): { name: string; value: ParameterValue }[] {
    return [...this.parameters].map(([name, value]) => ({ name, value }));
  }
}

function newToken(prefix: string): string {
  return `${prefix}:${randomBytes(24).toString('base64url')}`;
}
