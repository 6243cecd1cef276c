import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProjectConfig, openStateStore } from '@sluice/pipeline';
import { createTempDir } from '@sluice/testing';
import type { RunRecord } from '@sluice/watermark';
import { RunHistoryView } from './run-history-view.js';

const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 6, minute, 0));

/** A finished run whose `vendas` (upsert) and `cidades` (full) outcomes have the given written counts. */
function run(id: string, minute: number, vendas: { inserted: number; updated: number; deleted: number }): RunRecord {
  return {
    id,
    trigger: 'schedule',
    status: 'success',
    startedAt: at(minute),
    endedAt: at(minute + 1),
    detail: {
      version: 1,
      attempts: { ingest: 1, build: 0 },
      tables: [
        { table: 'vendas', strategy: 'upsert', status: 'success', rows: 500, read: 500, bytes: 9000, ...vendas },
        // A reference table reread whole every run: rows read, nothing written.
        {
          table: 'cidades',
          strategy: 'full',
          status: 'unchanged',
          rows: 330,
          read: 330,
          bytes: 4000,
          inserted: 0,
          updated: 0,
          deleted: 0,
        },
      ],
      models: [],
      tests: [],
    },
  };
}

describe('RunHistoryView', () => {
  it("moves a table's last write only for runs that wrote rows to it, not for runs that only read it", async () => {
    const dir = await createTempDir();
    try {
      await writeFile(
        path.join(dir.path, 'sluice.yml'),
        `name: shop
source: { url: "postgres://nobody@127.0.0.1:1/none" }
targets: { dev: { type: duckdb, path: .sluice/warehouse.duckdb, schema: analytics } }
target: dev
state: { type: file, dir: .sluice/state }
tables: { vendas: { strategy: upsert, cursor: [updated_at, id] }, cidades: { strategy: full } }
`,
      );
      const project = await loadProjectConfig(dir.path, {});
      const state = openStateStore(project);
      try {
        // 30 runs, more than the 20 recent ones read each time: the write is found by looking further back.
        await state.saveRun(run('r00', 0, { inserted: 7, updated: 2, deleted: 0 }));
        for (let i = 1; i < 30; i++)
          await state.saveRun(run(`r${String(i).padStart(2, '0')}`, i * 2, { inserted: 0, updated: 0, deleted: 0 }));
        const view = new RunHistoryView(state, project, { ttlMs: 0 });
        const first = await view.snapshot();
        const vendas = first.tables.find((t) => t.table === 'vendas');
        expect(vendas?.lastWritten).toEqual({ at: at(1), runId: 'r00' });
        expect(vendas?.lastRun?.runId).toBe('r29'); // the latest run meant to load it, which wrote nothing
        expect(first.tables.find((t) => t.table === 'cidades')?.lastWritten).toBeUndefined();
        expect(first.writeLookbackExhausted).toBe(false);

        // A new run that deletes one row moves it; one more that writes nothing does not.
        await state.saveRun(run('r30', 60, { inserted: 0, updated: 0, deleted: 1 }));
        await state.saveRun(run('r31', 62, { inserted: 0, updated: 0, deleted: 0 }));
        view.invalidate();
        const second = await view.snapshot();
        expect(second.tables.find((t) => t.table === 'vendas')?.lastWritten).toEqual({ at: at(61), runId: 'r30' });
      } finally {
        await state.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
