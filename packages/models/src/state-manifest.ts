import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelsError } from './models-error.js';
import type { Project } from './project.js';
import { compareState, macroSqlOf, type StateComparison } from './state-changes.js';

/** Where a node of the state manifest lives (dbt's `database`, `schema`, `alias`). */
export interface StateRelation {
  readonly database: string | null;
  readonly schema: string;
  readonly name: string;
}

/** What `state:` selectors and `--defer` read of one node of a state manifest. */
export interface StateNode {
  readonly id: string;
  readonly kind: string;
  /** `<checksum.name>:<checksum.checksum>` (dbt's `state:modified.body`). */
  readonly checksum: string;
  /** dbt's `unrendered_config` (`state:modified.configs`). */
  readonly unrenderedConfig: Readonly<Record<string, unknown>>;
  /** `depends_on.macros` (`state:modified.macros`). */
  readonly macros: readonly string[];
  /** Where the node was built (absent for ephemeral models, tests and nodes without a relation). */
  readonly relation?: StateRelation;
  readonly materialized?: string;
}

/** A previous invocation's manifest, as `--state DIR` gives it: nodes, sources and macros by unique id. */
export interface StateManifest {
  /** The manifest's path, for messages. */
  readonly file: string;
  /** The `--state` folder as given (what run_results.json records for `retry`). */
  readonly dir: string;
  readonly nodes: ReadonlyMap<string, StateNode>;
  /** Unique ids of the sources the manifest declares. */
  readonly sources: ReadonlySet<string>;
  /** dbt unit tests (`unit_tests`, manifest v12): unique id → `<checksum.name>:<checksum.checksum>`. */
  readonly unitTests: ReadonlyMap<string, string>;
  /** Macro id → its `macro_sql`, and the macros it calls (`depends_on.macros`). */
  readonly macros: ReadonlyMap<string, { readonly sql: string; readonly calls: readonly string[] }>;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A field a state manifest lacks, said with the file and the field's path. */
function missing(file: string, field: string, expected: string): ModelsError {
  return new ModelsError(
    'INVALID_STATE',
    `${file}: ${field} is missing or not ${expected}. The state manifest must be written by Sluice (compile, build, run) ` +
      'or by dbt 1.8 or later (manifest v12); regenerate it with that version.',
    { file },
  );
}

function objectAt(file: string, value: Json, key: string, where: string): Json {
  const found = value[key];
  if (!isObject(found)) throw missing(file, `${where}${key}`, 'an object');
  return found;
}

function stringAt(file: string, value: Json, key: string, where: string): string {
  const found = value[key];
  if (typeof found !== 'string') throw missing(file, `${where}${key}`, 'a string');
  return found;
}

function stringsAt(file: string, value: Json, key: string, where: string): string[] {
  const found = value[key];
  if (!Array.isArray(found) || found.some((v) => typeof v !== 'string'))
    throw missing(file, `${where}${key}`, 'a list of strings');
  return found as string[];
}

function stateNode(file: string, id: string, entry: Json): StateNode {
  const where = `nodes["${id}"].`;
  const kind = stringAt(file, entry, 'resource_type', where);
  const checksum = objectAt(file, entry, 'checksum', where);
  const unrendered = objectAt(file, entry, 'unrendered_config', where);
  const dependsOn = objectAt(file, entry, 'depends_on', where);
  const config = objectAt(file, entry, 'config', where);
  const materialized = typeof config.materialized === 'string' ? config.materialized : undefined;
  const database = entry.database;
  const schema = entry.schema;
  const alias = typeof entry.alias === 'string' ? entry.alias : entry.name;
  const hasRelation =
    (kind === 'model' || kind === 'seed' || kind === 'snapshot') &&
    materialized !== 'ephemeral' &&
    typeof schema === 'string' &&
    schema !== '' &&
    typeof alias === 'string';
  return {
    id,
    kind,
    checksum: `${stringAt(file, checksum, 'name', `${where}checksum.`)}:${stringAt(file, checksum, 'checksum', `${where}checksum.`)}`,
    unrenderedConfig: unrendered,
    macros: Array.isArray(dependsOn.macros) ? stringsAt(file, dependsOn, 'macros', `${where}depends_on.`) : [],
    ...(hasRelation
      ? {
          relation: {
            database: typeof database === 'string' ? database : null,
            schema: schema as string,
            name: alias as string,
          },
        }
      : {}),
    ...(materialized === undefined ? {} : { materialized }),
  };
}

/**
 * Read what the `state:` selectors and `--defer` need from a parsed manifest.json (dbt's v12 schema, as Sluice and
 * dbt 1.8+ write it). Pure. A missing field is a `ModelsError('INVALID_STATE')` naming the file and the field.
 */
export function parseStateManifest(value: unknown, file: string, dir: string = path.dirname(file)): StateManifest {
  if (!isObject(value)) throw missing(file, 'the top level', 'an object');
  const nodes = new Map<string, StateNode>();
  for (const [id, entry] of Object.entries(objectAt(file, value, 'nodes', ''))) {
    if (!isObject(entry)) throw missing(file, `nodes["${id}"]`, 'an object');
    nodes.set(id, stateNode(file, id, entry));
  }
  const sources = new Set(Object.keys(objectAt(file, value, 'sources', '')));
  const macros = new Map<string, { sql: string; calls: string[] }>();
  for (const [id, entry] of Object.entries(objectAt(file, value, 'macros', ''))) {
    if (!isObject(entry)) throw missing(file, `macros["${id}"]`, 'an object');
    const where = `macros["${id}"].`;
    const dependsOn = isObject(entry.depends_on) ? entry.depends_on : {};
    macros.set(id, {
      sql: stringAt(file, entry, 'macro_sql', where),
      calls: Array.isArray(dependsOn.macros) ? stringsAt(file, dependsOn, 'macros', `${where}depends_on.`) : [],
    });
  }
  const unitTests = new Map<string, string>();
  // dbt before 1.8 wrote no unit_tests: a manifest without them has none.
  const units = isObject(value.unit_tests) ? value.unit_tests : {};
  for (const [id, entry] of Object.entries(units)) {
    const where = `unit_tests["${id}"].`;
    if (!isObject(entry)) throw missing(file, `unit_tests["${id}"]`, 'an object');
    const checksum = objectAt(file, entry, 'checksum', where);
    unitTests.set(
      id,
      `${stringAt(file, checksum, 'name', `${where}checksum.`)}:${stringAt(file, checksum, 'checksum', `${where}checksum.`)}`,
    );
  }
  return { file, dir, nodes, sources, macros, unitTests };
}

/**
 * Read `<dir>/manifest.json`, the state of `--state DIR`; a relative `dir` is under `projectDir` (dbt's rule). A
 * missing folder or file, or a file that is not JSON, is a `ModelsError('INVALID_STATE')` saying which and what to do.
 */
export async function readStateManifest(dir: string, projectDir = ''): Promise<StateManifest> {
  const file = path.resolve(projectDir, dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ModelsError(
      'INVALID_STATE',
      `--state ${dir}: ${file} does not exist. Point --state at a folder holding the manifest.json of an earlier ` +
        'run (copy the target/ folder of a sluice build or dbt build, e.g. production’s).',
      { file },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelsError(
      'INVALID_STATE',
      `${file} is not JSON (${error instanceof Error ? error.message : String(error)}).`,
      { file },
    );
  }
  return parseStateManifest(value, file, dir);
}

/**
 * `--state DIR` for a project (a relative `dir` is under the project folder, as dbt resolves it): the manifest read
 * and compared with the project's nodes, macro files and seeds (what the `state:` selectors and `--defer` need).
 */
export async function readState(project: Project, dir: string): Promise<StateComparison> {
  const manifest = await readStateManifest(dir, project.dir);
  const files = new Map<string, string>();
  for (const file of new Set(project.macros.values()))
    files.set(file, await readFile(path.join(project.dir, file), 'utf8').catch(() => ''));
  return compareState(project, manifest, macroSqlOf(project, files), await seedHashesOf(project));
}

/** dbt hashes a seed's file up to this size; a larger one's checksum is its path. */
const SEED_HASH_LIMIT = 1024 * 1024;

/** sha256 of each seed's CSV of at most 1 MiB, by node id (the manifest's seed checksums, as dbt computes them). */
export async function seedHashesOf(project: Project): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const node of project.nodes.values()) {
    if (node.kind !== 'seed') continue;
    const file = path.join(project.dir, node.file);
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined || size > SEED_HASH_LIMIT) continue;
    const text = await readFile(file).catch(() => undefined);
    if (text !== undefined) hashes.set(node.id, createHash('sha256').update(text).digest('hex'));
  }
  return hashes;
}
