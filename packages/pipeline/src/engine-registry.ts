import os from 'node:os';
import path from 'node:path';
import { duckDbEngine } from '@sluice/duckdb';
import { snowflakeEngine } from '@sluice/snowflake';
import type { SqlDialect, Warehouse, WarehouseEngine } from '@sluice/warehouse';
import type { TargetConfig } from './project-config.js';

/**
 * A target's engine, bound to the target's settings: everything the pipeline and the apps need to know about an
 * engine without naming it. Engine differences live in the engine packages (`WarehouseEngine` of
 * @sluice/warehouse); nothing outside this registry and the config schema compares `type` with an engine's name.
 */
export interface TargetEngine {
  /** The engine's name (`duckdb`, `snowflake`): for messages and `target.type` in templates, never to branch on. */
  readonly name: string;
  readonly dialect: SqlDialect;
  /** Open (or create) the target's warehouse. */
  open(): Promise<Warehouse>;
  /** Where the warehouse is, for people (a file path, `snowflake ANALYTICS`). */
  readonly location: string;
  /** The local file the warehouse lives in, when it is one: read-only commands check it exists instead of opening. */
  readonly localFile: string | undefined;
  /** The database templates see as `target.database`, when the engine has one. */
  readonly database: string | undefined;
  /** What to check when the warehouse does not open. */
  readonly openFailureHint: string;
  /**
   * How OpenLineage names the target's datasets (its naming spec: `{namespace}` + `{database}.{schema}.{table}`):
   * Snowflake `snowflake://{account}`; DuckDB, which the spec does not name, `duckdb://{host}` with the file's
   * catalog name (its base name) as the database.
   */
  readonly lineage: { readonly namespace: string; readonly database: string };
}

/**
 * The engine registry: the one place that knows engines by name. Each entry maps a target of sluice.yml (its zod
 * schema in project-config.ts) to its engine package's `WarehouseEngine` and that engine's options; relative paths
 * resolve against `projectDir`. Adding an engine: one schema in `targetConfigSchema`, one `case` here.
 *
 * @example const warehouse = await targetEngine(project.config.targets.dev, project.dir).open();
 */
export function targetEngine(target: TargetConfig, projectDir = '.'): TargetEngine {
  switch (target.type) {
    case 'duckdb': {
      const file = target.path === ':memory:' ? ':memory:' : path.resolve(projectDir, target.path);
      return bind(
        duckDbEngine,
        {
          path: file,
          ...(target.threads ? { threads: target.threads } : {}),
          ...(target.memory_limit ? { memoryLimit: target.memory_limit } : {}),
          ...(target.max_row_mb ? { maxRowBytes: target.max_row_mb * 1024 * 1024 } : {}),
        },
        {
          namespace: `duckdb://${os.hostname()}`,
          database: file === ':memory:' ? 'memory' : path.basename(file, path.extname(file)),
        },
      );
    }
    case 'snowflake':
      return bind(
        snowflakeEngine,
        {
          account: target.account,
          user: target.user,
          warehouse: target.warehouse,
          database: target.database,
          schema: target.schema,
          ...(target.role ? { role: target.role } : {}),
          ...(target.authenticator ? { authenticator: target.authenticator } : {}),
          ...(target.password ? { password: target.password } : {}),
          ...(target.private_key_path ? { privateKeyPath: path.resolve(projectDir, target.private_key_path) } : {}),
          ...(target.private_key_passphrase ? { privateKeyPassphrase: target.private_key_passphrase } : {}),
          ...(target.token ? { token: target.token } : {}),
          ...(target.token_path ? { tokenPath: path.resolve(projectDir, target.token_path) } : {}),
          ...(target.browser_console_login !== undefined ? { browserConsoleLogin: target.browser_console_login } : {}),
          ...(target.access_url ? { accessUrl: target.access_url } : {}),
          ...(target.proxy
            ? {
                proxy: {
                  host: target.proxy.host,
                  port: target.proxy.port,
                  ...(target.proxy.protocol ? { protocol: target.proxy.protocol } : {}),
                  ...(target.proxy.user ? { user: target.proxy.user } : {}),
                  ...(target.proxy.password ? { password: target.proxy.password } : {}),
                  ...(target.proxy.no_proxy ? { noProxy: target.proxy.no_proxy } : {}),
                },
              }
            : {}),
          ...(target.statement_timeout_seconds !== undefined
            ? { statementTimeoutSeconds: target.statement_timeout_seconds }
            : {}),
          ...(target.keep_alive !== undefined ? { keepAlive: target.keep_alive } : {}),
        },
        { namespace: `snowflake://${target.account}`, database: target.database },
      );
  }
}

function bind<Options>(
  engine: WarehouseEngine<Options>,
  options: Options,
  lineage: TargetEngine['lineage'],
): TargetEngine {
  return {
    lineage,
    name: engine.name,
    dialect: engine.dialect,
    open: () => engine.open(options),
    location: engine.location(options),
    localFile: engine.localFile?.(options),
    database: engine.targetDatabase?.(options),
    openFailureHint: engine.openFailureHint,
  };
}
