import { createRequire } from 'node:module';
import type * as DuckDbApi from '@duckdb/node-api';

let loaded: typeof DuckDbApi | undefined;

/**
 * @duckdb/node-api, loaded on first use: importing it loads DuckDB's native library (about half a second on a busy
 * machine), which commands that never open a warehouse (`sluice ls`, `compile`, `--help`) must not pay for. The
 * package is CommonJS, so `require` returns the same module object an `import` elsewhere would (`instanceof` holds).
 */
export function duckDbApi(): typeof DuckDbApi {
  loaded ??= createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDbApi;
  return loaded;
}
