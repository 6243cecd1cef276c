import { closestNames } from '@sluice/warehouse';
import type { ParseRecord } from '../parse-hooks.js';
import { didYouMean } from '../project-issue.js';
import type { SourceNode } from '../project.js';
import { lineOfCall } from '../scan-references.js';
import { atLine, type LoadContext } from './load-context.js';
import type { RelationalNodes } from './collect-relational-nodes.js';

/**
 * Phase 7: turns `ref()` and `source()` calls into node ids — UNKNOWN_REF / UNKNOWN_SOURCE with the closest
 * names, DISABLED_REF — and keeps each node's dependencies. `ref('package', 'model')` looks in that package;
 * `ref('model')` and `source()` look in the node's own package first, then the root project, then any package.
 */
export class ReferenceResolver {
  /** Node id → the ids it depends on, in the order first referenced. */
  readonly dependencies = new Map<string, string[]>();
  private readonly sourceIds: Set<string>;
  private readonly sourceLabels: string[];

  constructor(
    private readonly ctx: LoadContext,
    private readonly projectName: string,
    private readonly relational: RelationalNodes,
    sources: readonly SourceNode[],
    /** Package name → its models and snapshots by name (the root project's included). */
    private readonly packages: ReadonlyMap<string, RelationalNodes['names']> = new Map(),
  ) {
    this.sourceIds = new Set(sources.map((s) => s.id));
    this.sourceLabels = sources.map((s) => `${s.sourceName}.${s.name}`);
  }

  /** The id `ref()` names, or `undefined` (and an issue at the call's line in `text`). */
  resolveRef(
    ref: { name: string; package?: string },
    file: string,
    text: string,
    fromPackage: string = this.projectName,
  ): string | undefined {
    const { projectName, relational } = this;
    const inPackage = (pkg: string) =>
      pkg === projectName && !this.packages.has(pkg)
        ? relational.names.get(ref.name)
        : this.packages.get(pkg)?.get(ref.name);
    if (ref.package === undefined) {
      const found = inPackage(fromPackage) ?? inPackage(projectName) ?? relational.names.get(ref.name);
      if (found) return found.id;
    } else {
      const found = inPackage(ref.package);
      if (found) return found.id;
    }
    const at = { file, ...atLine(lineOfCall(text, 'ref', ref.package ?? ref.name)) };
    if (ref.package !== undefined && ref.package !== projectName && !this.packages.has(ref.package)) {
      const suggestions = closestNames(ref.package, [projectName, ...this.packages.keys()]);
      this.ctx.issues.push({
        code: 'UNKNOWN_REF',
        severity: 'error',
        message: `ref('${ref.package}', '${ref.name}'): there is no package named ${ref.package} (packages: ${[projectName, ...this.packages.keys()].filter((p, i, all) => all.indexOf(p) === i).join(', ')}).${didYouMean(suggestions)}`,
        ...at,
        suggestions,
      });
      return undefined;
    }
    const disabled = relational.disabled.get(ref.name);
    if (disabled !== undefined) {
      this.ctx.issues.push({
        code: 'DISABLED_REF',
        severity: 'error',
        message: `ref('${ref.name}') names a disabled model (${disabled}); enable it or remove the ref.`,
        ...at,
      });
      return undefined;
    }
    const suggestions = closestNames(ref.name, relational.names.keys());
    this.ctx.issues.push({
      code: 'UNKNOWN_REF',
      severity: 'error',
      message: `ref('${ref.name}') names no model, seed or snapshot.${didYouMean(suggestions)}`,
      ...at,
      suggestions,
    });
    return undefined;
  }

  /** The id `source()` names, or `undefined` (and an issue at the call's line in `text`). */
  resolveSource(
    s: { source: string; table: string },
    file: string,
    text: string,
    fromPackage: string = this.projectName,
  ): string | undefined {
    for (const pkg of [fromPackage, this.projectName, ...this.packages.keys()]) {
      const id = `source.${pkg}.${s.source}.${s.table}`;
      if (this.sourceIds.has(id)) return id;
    }
    const suggestions = closestNames(`${s.source}.${s.table}`, this.sourceLabels);
    this.ctx.issues.push({
      code: 'UNKNOWN_SOURCE',
      severity: 'error',
      message: `source('${s.source}', '${s.table}') is not declared in any sources: block.${didYouMean(suggestions)}`,
      file,
      ...atLine(lineOfCall(text, 'source', s.source)),
      suggestions,
    });
    return undefined;
  }

  /** Resolve everything a parse-time render recorded for node `id`, once per distinct call; kept and returned. */
  resolveAll(id: string, record: ParseRecord, file: string, text: string): string[] {
    const deps = new Set<string>();
    const fromPackage = id.split('.')[1] ?? this.projectName;
    const seenRefs = new Set<string>();
    for (const ref of record.refs) {
      const key = `${ref.package ?? ''}/${ref.name}`;
      if (seenRefs.has(key)) continue;
      seenRefs.add(key);
      const resolved = this.resolveRef(ref, file, text, fromPackage);
      if (resolved) deps.add(resolved);
    }
    const seenSources = new Set<string>();
    for (const s of record.sources) {
      const key = `${s.source}.${s.table}`;
      if (seenSources.has(key)) continue;
      seenSources.add(key);
      const resolved = this.resolveSource(s, file, text, fromPackage);
      if (resolved) deps.add(resolved);
    }
    const list = [...deps];
    this.dependencies.set(id, list);
    return list;
  }
}
