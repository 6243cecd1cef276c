import { createHash } from 'node:crypto';
import type { Project, ProjectNode } from '@sluice/models';
import type { PlanNode } from './plan-build.js';

/** Functions whose result changes between two runs on the same data: a node calling one is never reused. */
const NON_DETERMINISTIC =
  /\b(current_date|current_timestamp|current_time|localtimestamp|localtime|now|getdate|sysdate|systimestamp|sysdatetime|random|uniform|uuid|uuid_string|gen_random_uuid|run_started_at|invocation_id)\b/i;

/** `meta: { sluice_rebuild: on_change }` marks a node detected as volatile as rebuilt only on change; `always` the reverse. */
export const REBUILD_META_KEY = 'sluice_rebuild';

export interface PlanNodesInput {
  readonly project: Project;
  /** The nodes the run covers (seeds, models, snapshots, tests), in dependency order. */
  readonly ids: readonly string[];
  /** The raw tables Sluice loads, as `schema.name` (the raw schema and the `tables:` key). */
  readonly loadedTables: ReadonlySet<string>;
  /** The text of a project file (macro files, seed CSVs), by its path as the project records it. */
  readonly readText: (file: string) => string | undefined;
  /** The vars templates see (the project's, `--vars` over them). */
  readonly vars: Readonly<Record<string, unknown>>;
}

/**
 * The change-aware planner's view of a project's nodes: each node's fingerprint (what dbt's `state:modified`
 * compares — raw SQL, config, the macros it calls, the vars it reads; a seed: its file), its nearest built parents,
 * the raw tables it reads through any chain, and whether its contents may change in any run. Pure but for
 * `readText`.
 */
export function planNodes(input: PlanNodesInput): PlanNode[] {
  const { project } = input;
  const macroText = new Map<string, string>();
  const macroFiles = [...project.macros.entries()].map(([name, file]) => ({
    name: name.split('.').pop() as string,
    file,
  }));
  const textOfMacroFile = (file: string): string => {
    let text = macroText.get(file);
    if (text === undefined) macroText.set(file, (text = input.readText(file) ?? ''));
    return text;
  };
  /** The macro files a text calls (transitively), and their texts. */
  const calledMacros = (text: string): Map<string, string> => {
    const found = new Map<string, string>();
    const queue = [text];
    while (queue.length > 0) {
      const next = queue.pop() as string;
      for (const macro of macroFiles) {
        if (found.has(macro.file) || !mentions(next, macro.name)) continue;
        const body = textOfMacroFile(macro.file);
        found.set(macro.file, body);
        queue.push(body);
      }
    }
    return found;
  };

  const memo = new Map<string, Info>();
  const info = (id: string): Info => {
    const known = memo.get(id);
    if (known) return known;
    const node = project.nodes.get(id) as ProjectNode;
    const parentIds = project.parents.get(id) ?? [];
    const parents = parentIds.map((p) => ({ id: p, info: info(p) }));
    const own = ownText(node, input.readText);
    const macros = calledMacros(own);
    const everything = [own, ...macros.values()].join('\n');
    const meta = (node.kind === 'source' ? undefined : node.config.meta?.[REBUILD_META_KEY]) as unknown;
    let volatile: string | undefined;
    if (node.kind === 'source') {
      const key = `${node.schema}.${node.identifier}`;
      if (!hasTable(input.loadedTables, key))
        volatile = `it reads source ${node.sourceName}.${node.name}, which Sluice does not load`;
    } else {
      const call = NON_DETERMINISTIC.exec(withoutComments(everything))?.[1];
      if (call !== undefined) volatile = `its SQL calls ${call}, whose result changes between runs`;
      // What changes without being rebuilt passes through views and ephemeral models (their SQL runs when read).
      for (const parent of parents) {
        if (volatile !== undefined) break;
        if (parent.info.passesThrough && parent.info.volatile !== undefined) volatile = parent.info.volatile;
      }
    }
    if (meta === 'on_change') volatile = undefined;
    if (meta === 'always') volatile = `meta ${REBUILD_META_KEY}: always`;
    const tables = new Set<string>();
    if (node.kind === 'source') {
      const key = `${node.schema}.${node.identifier}`;
      const loaded = hasTable(input.loadedTables, key);
      if (loaded) tables.add(loaded);
    }
    for (const parent of parents) for (const t of parent.info.tables) tables.add(t);
    const built = new Set<string>();
    for (const parent of parents) {
      if (parent.info.built) built.add(parent.id);
      else for (const p of parent.info.builtParents) built.add(p);
    }
    const hash = createHash('sha256');
    hash.update(stableJson(fingerprintParts(node)));
    hash.update('\u0000');
    hash.update(own);
    for (const [file, body] of [...macros.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      hash.update(`\u0000${file}\u0000${body}`);
    }
    hash.update(`\u0000${stableJson(varsRead(everything, input.vars))}`);
    // An ephemeral model is compiled into the SQL of what reads it: its fingerprint is part of theirs.
    for (const parent of parents) if (parent.info.inlined) hash.update(`\u0000${parent.info.fingerprint}`);
    const passesThrough =
      node.kind === 'source' ||
      (node.kind === 'model' && (node.materialized === 'view' || node.materialized === 'ephemeral'));
    const result: Info = {
      fingerprint: hash.digest('hex').slice(0, 32),
      tables,
      builtParents: built,
      built: node.kind !== 'source' && !(node.kind === 'model' && node.materialized === 'ephemeral'),
      inlined: node.kind === 'model' && node.materialized === 'ephemeral',
      passesThrough,
      ...(volatile === undefined ? {} : { volatile }),
    };
    memo.set(id, result);
    return result;
  };

  return input.ids.map((id) => {
    const node = project.nodes.get(id) as ProjectNode;
    const i = info(id);
    if (node.kind === 'source') throw new Error(`planNodes: ${id} is a source, not a node a run builds`);
    return {
      id,
      kind: node.kind,
      view: node.kind === 'model' && node.materialized === 'view',
      parents: [...i.builtParents],
      tables: [...i.tables].sort(),
      fingerprint: i.fingerprint,
      ...(i.volatile === undefined ? {} : { volatile: i.volatile }),
    };
  });
}

interface Info {
  readonly fingerprint: string;
  readonly tables: ReadonlySet<string>;
  readonly builtParents: ReadonlySet<string>;
  /** A relation Sluice builds (not a source, not ephemeral). */
  readonly built: boolean;
  readonly inlined: boolean;
  /** Its contents are computed when read (source, view, ephemeral): what makes it volatile reaches its readers. */
  readonly passesThrough: boolean;
  readonly volatile?: string;
}

/** The loaded table a source relation is, matched as the engines match names (exactly, else case-insensitively). */
function hasTable(tables: ReadonlySet<string>, key: string): string | undefined {
  if (tables.has(key)) return key;
  const lower = key.toLowerCase();
  for (const table of tables) if (table.toLowerCase() === lower) return table;
  return undefined;
}

/** The node's own text: its raw SQL; a seed's file. */
function ownText(node: ProjectNode, readText: (file: string) => string | undefined): string {
  switch (node.kind) {
    case 'model':
    case 'snapshot':
      return node.rawSql;
    case 'test':
      return node.rawSql ?? '';
    case 'seed':
      return readText(node.file) ?? '';
    case 'source':
      return '';
  }
}

/** What else than its text makes a node what it is: config, and a generic test's name and arguments. */
function fingerprintParts(node: ProjectNode): unknown {
  switch (node.kind) {
    case 'source':
      return { schema: node.schema, identifier: node.identifier };
    case 'test':
      return {
        config: node.config,
        testName: node.testName ?? null,
        testPackage: node.testPackage ?? null,
        args: node.args,
        column: node.columnName ?? null,
        attachedTo: node.attachedTo ?? null,
        // A unit test is what it gives, expects and overrides.
        ...(node.unit === undefined ? {} : { unit: node.unit }),
      };
    case 'model':
      return { config: node.config, materialized: node.materialized };
    default:
      return { config: node.config };
  }
}

/** The vars a text reads by a literal name; all of them when it reads one by a computed name. */
function varsRead(text: string, vars: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const names = new Set<string>();
  let dynamic = false;
  for (const match of text.matchAll(/\bvar\s*\(\s*(?:(['"])([^'"]+)\1)?/g)) {
    if (match[2] === undefined) dynamic = true;
    else names.add(match[2]);
  }
  if (dynamic) return { ...vars };
  const out: Record<string, unknown> = {};
  for (const name of [...names].sort()) out[name] = name in vars ? vars[name] : null;
  return out;
}

/** SQL and Jinja comments removed: a comment naming `now()` calls nothing. */
function withoutComments(text: string): string {
  return text
    .replace(/\{#[\s\S]*?#\}/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ');
}

function mentions(text: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`).test(text);
}

/** JSON with object keys sorted, so the same value always hashes the same. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
