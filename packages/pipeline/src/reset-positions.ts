import { randomUUID } from 'node:crypto';
import type { Warehouse } from '@sluice/warehouse';
import type { StateStore } from '@sluice/watermark';
import { RUN_LOCK } from './ingest.js';
import { INGEST_NAMESPACE } from './ingest-state.js';
import type { LoadedProject } from './project-config.js';

/** What `resetPositions` did for one table. */
export interface PositionReset {
  /** The table as sluice.yml names it. */
  readonly table: string;
  /** Its state key, `schema.table`. */
  readonly key: string;
  /** It had a position (in the warehouse or in the state store's copy). */
  readonly had: boolean;
}

/**
 * Forget tables' positions — in the warehouse's state table, where they live, and in the state store's copies — so
 * that the next run loads them from the start (replacing what their raw tables hold). Takes the run lock: a run
 * under way is never changed under its feet.
 *
 * @example await resetPositions({ project, warehouse, state, tables: ['vendas'] });
 */
export async function resetPositions(options: {
  readonly project: LoadedProject;
  readonly warehouse: Warehouse;
  readonly state: StateStore;
  readonly tables: readonly string[];
  readonly holder?: string;
}): Promise<PositionReset[]> {
  const { config } = options.project;
  const lock = await options.state.acquireLock(RUN_LOCK, { holder: options.holder ?? 'sluice state reset' });
  try {
    const keys = options.tables.map((table) => ({
      table,
      key: `${config.tables[table]?.schema ?? config.source.schema}.${table}`,
    }));
    const entries = new Map(
      (await options.warehouse.readState(config.raw_schema, INGEST_NAMESPACE)).entries.map((e) => [e.key, e]),
    );
    const writes = keys.flatMap(({ key }) => {
      const entry = entries.get(key);
      return entry ? [{ namespace: INGEST_NAMESPACE, key, value: null, version: entry.version + 1 }] : [];
    });
    await options.warehouse.writeState({ schema: config.raw_schema, runId: `reset-${randomUUID()}`, writes });
    const resets: PositionReset[] = [];
    for (const { table, key } of keys) {
      const copied = await options.state.reset(key, { reason: 'sluice state reset' });
      resets.push({ table, key, had: copied || entries.has(key) });
    }
    return resets;
  } finally {
    await lock.release();
  }
}
