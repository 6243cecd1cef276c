import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StateEntry, StateJson, StateValue, StateWrite, Warehouse } from '@sluice/warehouse';
import type { NodeBuildState } from './plan-build.js';

/**
 * The change-aware build's state, kept with the data in the warehouse's state table (`raw._sluice_state`), in a
 * namespace of its own: a change counter per raw table (`table:raw.vendas`, bumped by every run that inserted,
 * updated or deleted rows in it) and per target and node what its last build was (`node:<target>:<id>`). A
 * warehouse that is replaced or restored takes its state along, so it is never mistaken for built.
 */
export const BUILD_NAMESPACE = 'build';

/** What the build state holds, read in one query. */
export interface BuildState {
  readonly entries: ReadonlyMap<string, StateEntry>;
  /** The table's change counter, by raw table (`raw.vendas`). */
  readonly tableChanges: ReadonlyMap<string, number>;
  /** Where it came from: `missing` for a warehouse Sluice never wrote state to. */
  readonly source: 'warehouse' | 'cache' | 'missing';
}

const TABLE_PREFIX = 'table:';
const nodeKey = (target: string, id: string): string => `node:${target}:${id}`;

/** The copy of the namespace kept beside the run's work files: an engine whose reads cost compute (Snowflake)
 *  answers from it when its metadata proves it current, so a run in which nothing changed resumes no warehouse. */
function cacheFile(workDir: string): string {
  return path.join(workDir, 'build-state.json');
}

async function readCache(workDir: string): Promise<StateEntry[] | undefined> {
  try {
    const parsed = JSON.parse(await readFile(cacheFile(workDir), 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as StateEntry[]) : undefined;
  } catch {
    return undefined;
  }
}

async function writeCache(workDir: string, entries: readonly StateEntry[]): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const file = cacheFile(workDir);
  await writeFile(`${file}.tmp`, JSON.stringify(entries));
  await rename(`${file}.tmp`, file);
}

/** Read the build namespace (one query, or none where the engine proves the cached copy current). */
export async function readBuildState(
  warehouse: Warehouse,
  rawSchema: string,
  workDir: string,
  signal?: AbortSignal,
): Promise<BuildState> {
  const cached = await readCache(workDir);
  const snapshot = await warehouse.readState(rawSchema, BUILD_NAMESPACE, {
    tag: 'sluice build state',
    ...(cached ? { cached } : {}),
    ...(signal ? { signal } : {}),
  });
  if (snapshot.source === 'warehouse') await writeCache(workDir, snapshot.entries).catch(() => undefined);
  const entries = new Map(snapshot.entries.map((e) => [e.key, e] as const));
  const tableChanges = new Map<string, number>();
  for (const entry of snapshot.entries) {
    if (!entry.key.startsWith(TABLE_PREFIX)) continue;
    const changes = entry.value.changes;
    if (typeof changes === 'number') tableChanges.set(entry.key.slice(TABLE_PREFIX.length), changes);
  }
  return { entries, tableChanges, source: snapshot.source };
}

/** The nodes' build states of a target, by node id. */
export function nodeStates(state: BuildState, target: string): Map<string, NodeBuildState> {
  const out = new Map<string, NodeBuildState>();
  const prefix = `node:${target}:`;
  for (const [key, entry] of state.entries) {
    if (!key.startsWith(prefix)) continue;
    const v = entry.value;
    if (typeof v.fingerprint !== 'string' || typeof v.status !== 'string') continue;
    out.set(key.slice(prefix.length), {
      fingerprint: v.fingerprint,
      status: v.status,
      ...(typeof v.builtBy === 'string' ? { builtBy: v.builtBy } : {}),
      tables: numbers(v.tables),
      parents: strings(v.parents),
      ...(typeof v.failures === 'number' ? { failures: v.failures } : {}),
    });
  }
  return out;
}

/**
 * The writes that keep the raw tables' change counters true after an ingest: a table's counter goes up when this run
 * changed it (`changed`), or when its position version moved without the counter recording it (a run killed
 * between its load's commit and this write — the load may have changed rows nobody was told of); every counter
 * records the position version it has seen. `positions`: by raw table, its position version when the run began
 * and ended. Nothing to write when nothing moved: a run in which nothing changed writes nothing.
 */
export function tableChangeWrites(
  state: BuildState,
  changed: ReadonlySet<string>,
  positions: ReadonlyMap<string, { readonly before: number; readonly after: number }>,
): StateWrite[] {
  const writes: StateWrite[] = [];
  for (const table of [...new Set([...changed, ...positions.keys()])].sort()) {
    const key = `${TABLE_PREFIX}${table}`;
    const entry = state.entries.get(key);
    const seen = typeof entry?.value.position === 'number' ? entry.value.position : undefined;
    const versions = positions.get(table);
    // An entry from before counters recorded positions (`seen` undefined) is taken as current, once.
    const unrecorded =
      versions !== undefined &&
      (entry === undefined ? versions.before > 0 : seen !== undefined && seen !== versions.before);
    const bump = changed.has(table) || unrecorded;
    const position = versions?.after ?? seen;
    if (!bump && position === seen) continue;
    const changes = (state.tableChanges.get(table) ?? 0) + (bump ? 1 : 0);
    writes.push({
      namespace: BUILD_NAMESPACE,
      key,
      value: { changes, ...(position === undefined ? {} : { position }) },
      version: (entry?.version ?? 0) + 1,
    });
  }
  return writes;
}

/** The writes that record nodes' builds (or test runs) in a target. */
export function nodeStateWrites(
  state: BuildState,
  target: string,
  nodes: ReadonlyMap<string, NodeBuildState>,
): StateWrite[] {
  return [...nodes.entries()].map(([id, node]) => {
    const key = nodeKey(target, id);
    const value: StateValue = {
      fingerprint: node.fingerprint,
      status: node.status,
      ...(node.builtBy === undefined ? {} : { builtBy: node.builtBy }),
      tables: node.tables as Record<string, StateJson>,
      parents: node.parents as Record<string, StateJson>,
      ...(node.failures === undefined ? {} : { failures: node.failures }),
    };
    return { namespace: BUILD_NAMESPACE, key, value, version: (state.entries.get(key)?.version ?? 0) + 1 };
  });
}

/**
 * Write build-state changes in one transaction; where reading the state costs compute, read it back while the
 * warehouse is up, so the cached copy is proven current for the next run.
 */
export async function writeBuildState(
  warehouse: Warehouse,
  rawSchema: string,
  workDir: string,
  runId: string,
  writes: readonly StateWrite[],
): Promise<void> {
  if (writes.length === 0) return;
  await warehouse.writeState({ schema: rawSchema, runId, writes }, { tag: `sluice run ${runId} build state` });
  if (warehouse.capabilities.queriesCostCompute) {
    const after = await warehouse.readState(rawSchema, BUILD_NAMESPACE, { tag: `sluice run ${runId} build state` });
    await writeCache(workDir, after.entries).catch(() => undefined);
  }
}

function numbers(value: StateJson | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'number') out[k] = v;
  }
  return out;
}

function strings(value: StateJson | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}
