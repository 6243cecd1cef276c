import { closestNames } from '@sluice/warehouse';
import type { FolderReference } from '../project-config.js';
import { didYouMean } from '../project-issue.js';
import { atLine, type LoadContext } from './load-context.js';
import type { ProjectSettings } from './read-project-settings.js';

/** What the folder names of a config tree may name: folders under its resource folders, or (leaf keys) nodes. */
export interface FolderTargets {
  readonly dirs: ReadonlySet<string>;
  readonly nodeNames: readonly string[];
  /** The resource folders, for messages (`models`, `models, more_models`). */
  readonly under: string;
}

/**
 * Phase 9: every folder a config tree of the project file names must exist (UNKNOWN_FOLDER, with the closest
 * sibling folders and node names) — a misspelled folder would otherwise configure nothing, silently.
 */
export function checkFolderReferences(
  ctx: LoadContext,
  settings: ProjectSettings,
  refs: readonly FolderReference[],
  targets: FolderTargets,
): void {
  for (const ref of refs) {
    const full = ref.parent === '' ? ref.name : `${ref.parent}/${ref.name}`;
    if (targets.dirs.has(full) || targets.nodeNames.includes(ref.name)) continue;
    const siblings = [...targets.dirs]
      .filter((d) =>
        ref.parent === ''
          ? !d.includes('/')
          : d.startsWith(`${ref.parent}/`) && !d.slice(ref.parent.length + 1).includes('/'),
      )
      .map((d) => d.split('/').at(-1) as string);
    const suggestions = closestNames(ref.name, [...siblings, ...targets.nodeNames]);
    ctx.issues.push({
      code: 'UNKNOWN_FOLDER',
      severity: 'error',
      message: `"${ref.yamlPath.join('.')}": no folder or node named ${ref.name} under ${targets.under}${ref.parent === '' ? '' : `/${ref.parent}`} (config keys start with "+").${didYouMean(suggestions)}`,
      file: ref.file || settings.configFile,
      ...atLine(ref.line),
      suggestions,
    });
  }
}
