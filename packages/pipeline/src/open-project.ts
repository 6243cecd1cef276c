import type { SqlDialect, Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateEvent, type StateStore } from '@sluice/watermark';
import { targetEngine } from './engine-registry.js';
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

/** Open the warehouse of a target (through the engine registry); relative paths resolve against the project folder. */
export async function openWarehouse(project: LoadedProject, target: TargetConfig): Promise<Warehouse> {
  return targetEngine(target, project.dir).open();
}

/** The SQL dialect of a target, without connecting to it (for compiling models offline). */
export function targetDialect(target: TargetConfig): SqlDialect {
  return targetEngine(target).dialect;
}

/** Open the project's state store (watermarks, locks, run history). */
export function openStateStore(project: LoadedProject, onEvent?: (event: StateEvent) => void): StateStore {
  return createStateStore(project.config.state, { baseDir: project.dir, ...(onEvent ? { onEvent } : {}) });
}
