import path from 'node:path';
import { createDuckDbWarehouse, duckDbDialect } from '@sluice/duckdb';
import { createSnowflakeWarehouse, snowflakeDialect } from '@sluice/snowflake';
import type { SqlDialect, Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateEvent, type StateStore } from '@sluice/watermark';
import { ConfigError, type LoadedProject, type TargetConfig } from './project-config.js';

/** The target a command runs against: the one named, or the project's default. */
export function resolveTarget(
  project: LoadedProject,
  name?: string,
): { readonly name: string; readonly config: TargetConfig } {
  const chosen = name ?? project.config.target;
  const config = project.config.targets[chosen];
  if (!config) {
    throw new ConfigError([
      {
        file: project.file,
        line: undefined,
        path: 'targets',
        message: `no target "${chosen}": sluice.yml has ${Object.keys(project.config.targets).join(', ')}`,
      },
    ]);
  }
  return { name: chosen, config };
}

/**
 * Open the warehouse of a target. This is the engine registry: the one place that knows engines by name.
 * Relative paths are resolved against the project folder.
 */
export async function openWarehouse(project: LoadedProject, target: TargetConfig): Promise<Warehouse> {
  switch (target.type) {
    case 'duckdb':
      return createDuckDbWarehouse({
        path: path.resolve(project.dir, target.path),
        ...(target.threads ? { threads: target.threads } : {}),
        ...(target.memory_limit ? { memoryLimit: target.memory_limit } : {}),
        ...(target.max_row_mb ? { maxRowBytes: target.max_row_mb * 1024 * 1024 } : {}),
      });
    case 'snowflake':
      return createSnowflakeWarehouse({
        account: target.account,
        user: target.user,
        warehouse: target.warehouse,
        database: target.database,
        schema: target.schema,
        ...(target.role ? { role: target.role } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.private_key_path ? { privateKeyPath: path.resolve(project.dir, target.private_key_path) } : {}),
        ...(target.private_key_passphrase ? { privateKeyPassphrase: target.private_key_passphrase } : {}),
        ...(target.access_url ? { accessUrl: target.access_url } : {}),
      });
  }
}

/** The SQL dialect of a target, without connecting to it (for compiling models offline). */
export function targetDialect(target: TargetConfig): SqlDialect {
  switch (target.type) {
    case 'duckdb':
      return duckDbDialect;
    case 'snowflake':
      return snowflakeDialect;
  }
}

/** Open the project's state store (watermarks, locks, run history). */
export function openStateStore(project: LoadedProject, onEvent?: (event: StateEvent) => void): StateStore {
  return createStateStore(project.config.state, { baseDir: project.dir, ...(onEvent ? { onEvent } : {}) });
}
