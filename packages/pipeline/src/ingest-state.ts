import type { RelationState, StateEntry, StateSnapshot, StateWriteSet, Warehouse } from '@sluice/warehouse';
import type { Position, StateStore, Watermark } from '@sluice/watermark';

/*
 * Where each table's position lives. The warehouse holds it — a row of the Sluice state table in the raw schema
 * (`_sluice_state`, namespace `ingest`), written in the same transaction as the rows it describes — so a warehouse
 * that is replaced, restored from an older copy, or loses a raw table can never be taken for loaded. The state store
 * keeps a copy of each position (its watermarks), for `sluice status` and the scheduler, for the history, and to let
 * an engine whose queries cost compute (Snowflake) prove from metadata that nothing changed, instead of reading.
 */

/** The namespace of table positions in the warehouse's state table. */
export const INGEST_NAMESPACE = 'ingest';

/** The member of a copy in the state store naming the warehouse version it copies (absent: a position from before
 *  positions lived in the warehouse, migrated on the first run). */
export const STATE_VERSION = 'stateVersion';

/** A first load split into block ranges, under way: what the warehouse holds of it. All strings (see `Position`). */
export type FirstLoadProgress = {
  /** The run that started the load. */
  readonly runId: string;
  /** The position of that run's snapshot: where the load continues from once every range is in. */
  readonly position: Position;
  /** Every block range, `[from, to]` (`to` null: the last, open range). */
  readonly ranges: readonly (readonly [string, string | null])[];
  /** The ranges in the warehouse, by index. */
  readonly done: readonly string[];
};

/** Everything the run knows about positions when it starts. */
export interface RunPositions {
  /** Where the entries came from (see `StateSnapshot.source`). */
  readonly source: StateSnapshot['source'];
  /** The warehouse's entries, by table (`schema.table` in the source). */
  readonly entries: ReadonlyMap<string, StateEntry>;
  /** The state store's copies (watermarks), by table: copies of warehouse entries, or positions to migrate. */
  readonly copies: ReadonlyMap<string, Watermark>;
}

/**
 * Read every position at the start of a run: the state store's copies and the warehouse's entries in one query — at
 * once where reading the warehouse costs nothing; on Snowflake the copies first, and the entries from them when the
 * state table's metadata proves them current.
 */
export async function readRunPositions(
  warehouse: Warehouse,
  state: StateStore,
  schema: string,
  options: { readonly tag: string; readonly signal?: AbortSignal },
): Promise<RunPositions> {
  const read = (cached?: StateEntry[]) =>
    warehouse.readState(schema, INGEST_NAMESPACE, {
      ...(cached ? { cached } : {}),
      tag: options.tag,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const free = !warehouse.capabilities.queriesCostCompute;
  const reading = free ? read() : undefined;
  reading?.catch(() => undefined); // awaited below
  const copies = new Map((await state.readAll()).map((watermark) => [watermark.table, watermark]));
  const snapshot = await (reading ?? read(cachedEntries(copies)));
  return { source: snapshot.source, entries: new Map(snapshot.entries.map((e) => [e.key, e])), copies };
}

/** The copies of warehouse entries among the state store's copies, as the entries they copy. */
function cachedEntries(copies: ReadonlyMap<string, Watermark>): StateEntry[] {
  return [...copies.values()].flatMap((copy) => {
    const version = copyVersion(copy);
    return version === undefined
      ? []
      : [
          {
            namespace: INGEST_NAMESPACE,
            key: copy.table,
            value: withoutCopyFields(copy.position),
            version,
            runId: copy.runId,
            writtenAt: copy.committedAt.toISOString(),
          } satisfies StateEntry,
        ];
  });
}

/** The warehouse version a state-store copy copies, or undefined for a position kept there before (to migrate). */
export function copyVersion(copy: Watermark | undefined): number | undefined {
  const version = copy?.position[STATE_VERSION];
  return typeof version === 'string' && /^\d+$/.test(version) ? Number(version) : undefined;
}

/** A copy's position without the members only the copy has. */
export function withoutCopyFields(position: Position): Position {
  const { [STATE_VERSION]: _version, ...rest } = position;
  return rest;
}

/** How a table's run starts, decided from the warehouse, the state store's copy and the raw table. */
export type TableStart =
  /** No position: everything is read. `ranged`: the raw table is empty, so a large load commits range by range. */
  | { readonly kind: 'first'; readonly ranged: boolean; readonly note?: string }
  /** A first load committed some ranges in an earlier run: the others are read, then the rest caught up. */
  | { readonly kind: 'resume'; readonly progress: FirstLoadProgress; readonly version: number; readonly note: string }
  /** From a position. `migrate`: the position came from the state store and is written to the warehouse now. */
  | {
      readonly kind: 'incremental';
      readonly position: Position;
      readonly version: number;
      readonly migrate: boolean;
      readonly note?: string;
    }
  /** A raw table another tool loaded: verified against the source per key range, only the difference loaded. */
  | { readonly kind: 'adopt'; readonly note: string };

/** What `decideStart` needs to know. */
export interface StartFacts {
  /** The raw table, `schema.name`, for messages. */
  readonly label: string;
  readonly entry: StateEntry | undefined;
  readonly copy: Watermark | undefined;
  /** What the raw table is in the warehouse (undefined: missing). */
  readonly relation: RelationState['kind'] | undefined;
  /** Rows in the raw table (asked only when it matters). */
  readonly rows: () => Promise<number>;
  readonly fullRefresh: boolean;
  readonly adopt: boolean;
  /** The run's state table was missing (a warehouse Sluice never wrote state to, or a replaced one). */
  readonly stateMissing: boolean;
}

/**
 * Decide how a table starts (pure but for `rows()`): from the warehouse's position when the raw table is there;
 * from the beginning when it is not, or when the warehouse has no position for it (then the notes say why); from
 * the state store's position once, when it was kept there before positions moved to the warehouse and the raw table
 * holds rows (migration); by adoption when asked and the raw table holds rows Sluice has no position for.
 */
export async function decideStart(facts: StartFacts): Promise<TableStart> {
  const { entry, copy, relation, label } = facts;
  const copied = copyVersion(copy);
  if (facts.fullRefresh) return { kind: 'first', ranged: relation === undefined || (await facts.rows()) === 0 };
  if (entry !== undefined) {
    if (relation === undefined) {
      return {
        kind: 'first',
        ranged: true,
        note: `${label} is not in the warehouse (dropped, or a new warehouse), though the warehouse's state says it was loaded (version ${entry.version}, run ${entry.runId}): loading it from the start`,
      };
    }
    const progress = firstLoadOf(entry.value);
    if (progress) {
      return {
        kind: 'resume',
        progress,
        version: entry.version,
        note: `resuming its first load: ${progress.done.length} of ${progress.ranges.length} ranges were committed by run ${progress.runId}`,
      };
    }
    // The copy may carry bookkeeping that moved without rows (a later xmin, a sweep): used while it extends
    // exactly this version.
    const position = copied === entry.version && copy ? withoutCopyFields(copy.position) : (entry.value as Position);
    const older =
      copied !== undefined && copied > entry.version
        ? `the warehouse holds an older position (version ${entry.version}, run ${entry.runId}) than the last one recorded (version ${copied}, run ${copy?.runId}): the warehouse was restored from an older copy; loading what is missing from its position`
        : undefined;
    return { kind: 'incremental', position, version: entry.version, migrate: false, ...(older ? { note: older } : {}) };
  }
  const nothingThere = relation === undefined || (await facts.rows()) === 0;
  if (copy !== undefined && copied === undefined) {
    // A position from before positions lived in the warehouse.
    if (!nothingThere) {
      return {
        kind: 'incremental',
        position: copy.position,
        version: 0,
        migrate: true,
        note: `position moved from the state store into the warehouse (${STATE_TABLE_LABEL})`,
      };
    }
    return {
      kind: 'first',
      ranged: true,
      note: `the state store has a position for it, but ${label} is ${relation === undefined ? 'not in the warehouse' : 'empty'}: not moved; loading it from the start`,
    };
  }
  if (facts.adopt && !nothingThere) {
    return {
      kind: 'adopt',
      note: `adopting ${label}, which Sluice has no position for: comparing it with the source per key range`,
    };
  }
  const lost =
    copied !== undefined
      ? facts.stateMissing
        ? `the warehouse has no Sluice state (${STATE_TABLE_LABEL}), though run ${copy?.runId} recorded version ${copied}: a new or replaced warehouse; loading it from the start`
        : `the warehouse has no position for it, though run ${copy?.runId} recorded version ${copied}: the warehouse was restored from an older copy; loading it from the start`
      : relation !== undefined && !nothingThere
        ? `${label} holds rows Sluice has no position for (loaded by another tool, or its position was reset): replacing them; adopt: true keeps them and loads only the difference`
        : undefined;
  return { kind: 'first', ranged: nothingThere, ...(lost ? { note: lost } : {}) };
}

const STATE_TABLE_LABEL = 'the _sluice_state table of the raw schema';

/** The progress of a first load under way, when the value holds one. */
export function firstLoadOf(value: Position | StateEntry['value']): FirstLoadProgress | undefined {
  const progress = (value as Record<string, unknown>).firstLoad;
  if (progress === null || typeof progress !== 'object') return undefined;
  const p = progress as Record<string, unknown>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const ranges = p.ranges;
  if (
    typeof p.runId !== 'string' ||
    p.position === null ||
    typeof p.position !== 'object' ||
    !Array.isArray(ranges) ||
    !ranges.every(
      (r) =>
        Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && (r[1] === null || typeof r[1] === 'string'),
    ) ||
    !strings(p.done)
  ) {
    return undefined;
  }
  return {
    runId: p.runId,
    position: p.position as Position,
    ranges: ranges as [string, string | null][],
    done: p.done,
  };
}

/** A first load's progress as a state value. */
export function progressValue(progress: FirstLoadProgress): Position {
  return { firstLoad: progress };
}

/** The state write of one table: its next version, in the raw schema's state table. */
export function tableStateWrite(
  schema: string,
  runId: string,
  table: string,
  value: Position,
  version: number,
): StateWriteSet {
  return { schema, runId, writes: [{ namespace: INGEST_NAMESPACE, key: table, value, version }] };
}
