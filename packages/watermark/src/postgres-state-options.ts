import { StateError } from './state-error.js';
import type { StateStoreOptions } from './state-store.js';

/** Options of the Postgres state store. */
export interface PostgresStateStoreOptions extends StateStoreOptions {
  /** `postgres://user:password@host:port/database`. The password never appears in errors or events. */
  readonly url: string;
  /** The schema holding the state tables, created on first use (default `sluice_state`). */
  readonly schema?: string;
  /** How long to wait for a connection before failing with `STATE_UNAVAILABLE` (default 10 000 ms). */
  readonly connectTimeoutMs?: number;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Check the options of a Postgres state store before anything is loaded or connected; returns the schema. Kept
 * apart from the store so that checking needs neither kysely nor pg.
 */
export function checkPostgresStateOptions(options: PostgresStateStoreOptions): string {
  const schema = options.schema ?? 'sluice_state';
  if (typeof options?.url !== 'string' || options.url.length === 0) {
    throw new StateError('INVALID_CONFIG', 'createPostgresStateStore: url must be a postgres:// URL');
  }
  if (!SCHEMA_NAME.test(schema)) {
    throw new StateError(
      'INVALID_CONFIG',
      `createPostgresStateStore: schema ${JSON.stringify(schema)} must be a plain identifier (letters, digits, _; at most 63)`,
    );
  }
  return schema;
}
