import { createHash } from 'node:crypto';
import type { Project, ProjectNode, UnitTestSpec } from './project.js';
import type { StateManifest } from './state-manifest.js';

/** Why `state:modified` picks a node: dbt's sub-selectors (`new` is `state:new`, which `state:modified` includes). */
export type StateChange = 'new' | 'body' | 'configs' | 'macros';

/** The project compared with a state manifest: the changes of each node that has any (others are unchanged). */
export interface StateComparison {
  readonly manifest: StateManifest;
  readonly changes: ReadonlyMap<string, readonly StateChange[]>;
}

/**
 * A node's checksum as the manifest writes it: sha256 of its raw SQL (a generic test: of its test, column and
 * arguments); a seed, sha256 of its CSV when `seedHashes`
 * has it (dbt hashes seeds up to 1 MiB), else its path (dbt's rule for larger seeds).
 */
export function nodeChecksum(
  node: ProjectNode,
  seedHashes?: ReadonlyMap<string, string>,
): { name: string; checksum: string } {
  const seedHash = node.kind === 'seed' ? seedHashes?.get(node.id) : undefined;
  if (seedHash !== undefined) return { name: 'sha256', checksum: seedHash };
  let raw = node.kind === 'model' || node.kind === 'snapshot' || node.kind === 'test' ? node.rawSql : undefined;
  // A generic test has no SQL of its own: what it is (test, column, arguments) is what an edit changes.
  if (raw === undefined && node.kind === 'test')
    raw = stableJson({ test: node.testName, package: node.testPackage, column: node.columnName, args: node.args });
  if (raw === undefined) return { name: 'path', checksum: node.file };
  return { name: 'sha256', checksum: createHash('sha256').update(raw).digest('hex') };
}

/** A dbt unit test's checksum as the manifest writes it in `unit_tests`: sha256 of its definition. */
export function unitTestChecksum(spec: UnitTestSpec): { name: string; checksum: string } {
  return { name: 'sha256', checksum: createHash('sha256').update(JSON.stringify(spec)).digest('hex') };
}

/** The config as the manifest writes it in `unrendered_config`: the node's config as the project sets it. */
export function unrenderedConfigOf(node: ProjectNode): Record<string, unknown> {
  return node.kind === 'source' ? {} : (JSON.parse(JSON.stringify(node.config)) as Record<string, unknown>);
}

const mentionPatterns = new Map<string, RegExp>();

/** Whether `text` names `name` as a whole word (a substring test first: most texts name no macro). */
function mentions(text: string, name: string): boolean {
  if (!text.includes(name)) return false;
  let pattern = mentionPatterns.get(name);
  if (pattern === undefined) {
    pattern = new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`);
    mentionPatterns.set(name, pattern);
  }
  return pattern.test(text);
}

/**
 * The root project's macros a node calls, directly or through other macros, as dbt's macro ids
 * (`macro.<project>.<name>`): what the manifest writes in `depends_on.macros`. Found by name in the node's SQL
 * and config hooks and in the macros' text (a mention counts, as the change-aware planner counts it).
 */
export function nodeMacroIds(project: Project, node: ProjectNode, macroSql: ReadonlyMap<string, string>): string[] {
  if (node.kind === 'source' || project.macros.size === 0) return [];
  const own = [
    'rawSql' in node && node.rawSql !== undefined ? node.rawSql : '',
    // A generic test `is_positive` runs the macro `test_is_positive`.
    node.kind === 'test' && node.testName !== undefined ? `test_${node.testName}` : '',
    JSON.stringify(node.config),
  ].join('\n');
  const found: string[] = [];
  const queue = [own];
  while (queue.length > 0) {
    const text = queue.pop() as string;
    for (const name of project.macros.keys()) {
      const id = `macro.${project.name}.${name}`;
      if (found.includes(id) || !mentions(text, name)) continue;
      found.push(id);
      queue.push(macroSql.get(id) ?? '');
    }
  }
  return found.sort();
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The macros a state node calls, through the state's own `depends_on.macros` chains. */
function stateMacroClosure(manifest: StateManifest, roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(manifest.macros.get(id)?.calls ?? []));
  }
  return seen;
}

/**
 * Compare a project with a state manifest, by dbt's rules for `state:new` and `state:modified`: new when the
 * unique id is absent from the state; `body` when the checksum of the raw SQL differs; `configs` when
 * `unrendered_config` differs; `macros` when a macro of the root project the node calls (now or in the state) has
 * other text. Sources are compared only for `new`. Pure.
 *
 * @example compareState(project, await readStateManifest('prod-artifacts'), macroSqlOf(project, files)).changes
 */
export function compareState(
  project: Project,
  manifest: StateManifest,
  macroSql: ReadonlyMap<string, string>,
  seedHashes?: ReadonlyMap<string, string>,
): StateComparison {
  const prefix = `macro.${project.name}.`;
  const changedMacros = new Set<string>();
  for (const id of new Set([...macroSql.keys(), ...[...manifest.macros.keys()].filter((m) => m.startsWith(prefix))]))
    if (macroSql.get(id) !== manifest.macros.get(id)?.sql) changedMacros.add(id);
  const changes = new Map<string, StateChange[]>();
  for (const node of project.nodes.values()) {
    if (node.kind === 'source') {
      if (!manifest.sources.has(node.id)) changes.set(node.id, ['new']);
      continue;
    }
    if (node.kind === 'test' && node.unit !== undefined) {
      const old = manifest.unitTests.get(node.id);
      const sum = unitTestChecksum(node.unit);
      if (old === undefined) changes.set(node.id, ['new']);
      else if (old !== `${sum.name}:${sum.checksum}`) changes.set(node.id, ['body']);
      continue;
    }
    const old = manifest.nodes.get(node.id);
    if (old === undefined) {
      changes.set(node.id, ['new']);
      continue;
    }
    const found: StateChange[] = [];
    const sum = nodeChecksum(node, seedHashes);
    if (`${sum.name}:${sum.checksum}` !== old.checksum) found.push('body');
    if (stableJson(unrenderedConfigOf(node)) !== stableJson(old.unrenderedConfig)) found.push('configs');
    const called = new Set([...nodeMacroIds(project, node, macroSql), ...stateMacroClosure(manifest, old.macros)]);
    if ([...called].some((id) => changedMacros.has(id))) found.push('macros');
    if (found.length > 0) changes.set(node.id, found);
  }
  return { manifest, changes };
}

/** The root project's macros' text (dbt's `macro_sql`: `{% macro name(…) %} … {% endmacro %}`) by macro id. */
export function macroSqlOf(project: Project, fileText: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, file] of project.macros) {
    const text = fileText.get(file) ?? '';
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const found = new RegExp(`{%-?\\s*macro\\s+${escaped}\\s*\\([\\s\\S]*?{%-?\\s*endmacro\\s*-?%}`).exec(text);
    out.set(`macro.${project.name}.${name}`, found?.[0] ?? '');
  }
  return out;
}
