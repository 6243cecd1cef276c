import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Warehouse } from '@sluice/warehouse';
import { createStateStore, type StateStore } from '@sluice/watermark';
import { compareNovaDrive, writeNovaDriveProject } from './__tests__/novadrive-project.js';
import { changeNovaDrive } from './__tests__/source-changes.js';
import { runIngest } from './ingest.js';
import type { LoadedProject } from './project-config.js';

// SLUICE_SOAK_ROUNDS=200 for a long soak; every test run does the short form.
const ROUNDS = Number(process.env.SLUICE_SOAK_ROUNDS ?? 6);

/** A small deterministic PRNG (mulberry32), so a failing round can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// `auto` scans these small tables; `lookback` is forced too: its open-transaction check must catch the late
// commits (they write far behind the cursor), and its clock floor the rows behind future-dated cursors.
describe.each([{ lateCommits: undefined }, { lateCommits: 'lookback' as const }])(
  'randomized differential test (late_commits: $lateCommits): simulated days, each followed by an incremental run',
  ({ lateCommits }) => {
    let db: TestDatabase;
    let dir: { path: string; remove(): Promise<void> };
    let project: LoadedProject;
    let warehouse: Warehouse;
    let state: StateStore;

    beforeAll(async () => {
      db = await createTestDatabase(`differential_${lateCommits ?? 'auto'}`);
      dir = await createTempDir();
      await db.withClient(async (client) => {
        await createNovaDriveSchema(client);
        await generateNovaDrive(client, { scale: 1500, seed: 3 });
      });
      project = await writeNovaDriveProject(dir.path, db.url, '', lateCommits ? { lateCommits } : {});
      warehouse = await createDuckDbWarehouse({ path: path.join(dir.path, 'warehouse.duckdb') });
      state = createStateStore({ type: 'file', dir: path.join(dir.path, 'state') });
    });
    afterAll(async () => {
      await warehouse?.close();
      await state?.close();
      await db?.drop();
      await dir?.remove();
    });

    it(`keeps the warehouse equal to the source after every one of ${ROUNDS} rounds, late commits included`, async () => {
      const next = random(20261125);
      let late: pg.Client | undefined;
      let lateRowsCommitted = 0;
      const reads = { all: 0, window: 0, sweep: 0, lookback: 0 };
      for (let round = 1; round <= ROUNDS; round++) {
        const debug = (what: string) =>
          process.env.SLUICE_SOAK_DEBUG && process.stderr.write(`round ${round}: ${what}\n`);
        debug('change');
        await db.withClient(async (client) => {
          if (next() < 0.8) await changeNovaDrive(client as pg.Client, round);
          // Random extra edits: a burst of rows sharing one timestamp, and a vehicle price change.
          if (next() < 0.5) {
            debug('extra');
            await client.query(
              `UPDATE clientes SET cliente = cliente || '.', data_atualizacao = timestamp '2032-01-01' + interval '${round} day'
              WHERE id_clientes % ${2 + Math.floor(next() * 5)} = 0`,
            );
          }
        });
        // A transaction that starts before this run and commits after it, writing timestamps older than the bound.
        if (!late && next() < 0.6) {
          debug('late');
          late = new pg.Client({ connectionString: db.url });
          await late.connect();
          await late.query('BEGIN');
          await late.query(
            `UPDATE veiculos SET valor = valor + 1, data_atualizacao = timestamp '2000-01-01' WHERE id_veiculos = (SELECT min(id_veiculos) FROM veiculos)`,
          );
          await late.query(
            `INSERT INTO clientes (cliente, endereco, id_concessionarias, data_inclusao)
           VALUES ('late ${round}', 'Rua Tardia ${round}', 1, timestamp '2000-01-01')`,
          );
        }
        debug('ingest');
        const result = await runIngest({
          project,
          warehouse,
          state,
          workDir: path.join(dir.path, 'work'),
          onEvent: (e) => debug(JSON.stringify(e).slice(0, 120)),
        });
        expect(result.status, JSON.stringify(result.tables.map((t) => t.error))).toBe('success');
        for (const table of result.tables) if (table.read) reads[table.read]++;
        debug('compare');
        expect(await compareNovaDrive(db.url, warehouse), `round ${round}`).toEqual([]);
        debug('commit late');
        if (late && next() < 0.7) {
          await late.query('COMMIT');
          await late.end();
          late = undefined;
          lateRowsCommitted++;
        }
      }
      if (late) {
        await late.query('COMMIT');
        await late.end();
        lateRowsCommitted++;
      }
      const final = await runIngest({ project, warehouse, state, workDir: path.join(dir.path, 'work') });
      expect(final.status).toBe('success');
      expect(await compareNovaDrive(db.url, warehouse), 'after the last late commit').toEqual([]);
      expect(lateRowsCommitted).toBeGreaterThan(0);
      if (lateCommits === 'lookback') {
        // Most runs looked back; the late commits (and other tests' transactions ending at a snapshot) made some sweep.
        expect(reads.lookback).toBeGreaterThan(reads.sweep);
        expect(reads.sweep).toBeGreaterThan(0);
      } else {
        expect(reads.lookback).toBe(0);
      }
    }, 300_000);
  },
);
