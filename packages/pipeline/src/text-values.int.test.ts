import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createExtractor, type ExtractResult } from '@sluice/pg-extract';
import { createSnowflakeWarehouse } from '@sluice/snowflake';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@sluice/snowflake-emulator';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { TableSchema, Warehouse } from '@sluice/warehouse';

/*
 * A property test: no value of a text column can break a load. Random text — carriage returns, `\r\n`, lone
 * newlines, quotes, backslashes, commas, `\N`, a byte order mark, any Unicode but NUL — goes through the real
 * extractor (Postgres COPY, the chunk writer) into both engines, placed first in a chunk file, last, in the middle,
 * and alone, in the first and the last field of a record; every value must come back exactly. Seeded: set
 * SLUICE_PROPERTY_SEED to repeat a run; the seed is in every failure message.
 */

process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = 'true';

const SEED = Number(process.env.SLUICE_PROPERTY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROWS = 48;
const ROUNDS = 2;

/** mulberry32: a small seeded generator. */
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

/** The pieces text is made of: what CSV readers stumble on, and Unicode from every plane (no NUL: Postgres has none). */
const PIECES = ['\r', '\n', '\r\n', '\n\r', '"', '""', '\\', '\\N', 'N', ',', ';', '\t', ' ', '\ufeff', "'", 'a', 'Z'];
const UNICODE = ['é', 'ü', '€', '東', '京', '🚗', '\u2028', '\u00a0', '\u0001', '\u007f', '\uffff', '𝔘'];
/** Whole values that are hard on their own. */
const WHOLE = ['', '\r', '\n', '\r\n', '"', '\\N', '\\.', ',', '\ufeff', ' ', '""', 'NULL', '\\'];

function randomText(next: () => number): string | null {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const roll = next();
  if (roll < 0.08) return null;
  if (roll < 0.3) return pick(WHOLE);
  const length = 1 + Math.floor(next() * 12);
  let text = '';
  for (let i = 0; i < length; i++) {
    text += next() < 0.7 ? pick(PIECES) : next() < 0.8 ? pick(UNICODE) : anyCharacter(next);
  }
  return text;
}

/** Any Unicode scalar value of the first three planes but NUL (surrogate code points are not characters). */
function anyCharacter(next: () => number): string {
  const code = 1 + Math.floor(next() * (0x2ffff - 0x800));
  return String.fromCodePoint(code < 0xd800 ? code : code + 0x800);
}

interface Row {
  readonly id: number;
  readonly a: string | null;
  readonly b: string | null;
}

/** Where each row's record sits in its chunk file. */
function placements(files: ExtractResult['files'], ids: readonly number[]): Map<string, number> {
  const counts = new Map<string, number>([
    ['alone', 0],
    ['first', 0],
    ['last', 0],
    ['middle', 0],
  ]);
  let index = 0;
  for (const file of files) {
    for (let i = 0; i < file.rows; i++, index++) {
      if (ids[index] === undefined) continue;
      const where = file.rows === 1 ? 'alone' : i === 0 ? 'first' : i === file.rows - 1 ? 'last' : 'middle';
      counts.set(where, (counts.get(where) ?? 0) + 1);
    }
  }
  return counts;
}

describe('text values: random text loads exactly on every engine, wherever it sits in a chunk', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let emulatorDir: string;
  let emulator: SnowflakeEmulator;
  const engines: { name: string; warehouse: Warehouse }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('textvalues');
    dir = await createTempDir('sluice-text-values-');
    emulatorDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-text-values-sf-'));
    emulator = await startSnowflakeEmulator({
      dataDir: emulatorDir,
      port: 0,
      users: [{ name: 'loader', password: 'secret text' }],
      databases: ['ANALYTICS'],
    });
    engines.push({ name: 'duckdb', warehouse: await createDuckDbWarehouse({ path: ':memory:' }) });
    engines.push({
      name: 'snowflake (emulator)',
      warehouse: await createSnowflakeWarehouse({
        account: 'emulator',
        user: 'loader',
        password: 'secret text',
        warehouse: 'SLUICE_WH',
        database: 'ANALYTICS',
        accessUrl: emulator.url,
        workDir: emulatorDir,
      }),
    });
  }, 120_000);
  afterAll(async () => {
    for (const { warehouse } of engines) await warehouse.close();
    await emulator?.stop();
    await rm(emulatorDir, { recursive: true, force: true });
    await db?.drop();
    await dir?.remove();
  });

  for (let round = 0; round < ROUNDS; round++) {
    it(`round ${round + 1}: first, last, middle and alone in a chunk, in the first and the last field (seed ${SEED})`, async () => {
      const seed = SEED + round;
      const next = random(seed);
      const rows: Row[] = Array.from({ length: ROWS }, (_, i) => ({
        id: i + 1,
        a: randomText(next),
        b: randomText(next),
      }));
      const name = `texts_${round}`;
      await db.withClient(async (client) => {
        // The key in the middle: the random text is the first and the last field of every record.
        await client.query(`DROP TABLE IF EXISTS ${name}; CREATE TABLE ${name} (a text, id int PRIMARY KEY, b text)`);
        for (const row of rows) await client.query(`INSERT INTO ${name} VALUES ($1, $2, $3)`, [row.a, row.id, row.b]);
      });
      const extractor = createExtractor({ url: db.url });
      const source = extractor.openTable('public', name, { prefetchHelper: false });
      try {
        const plan = extractor.plan(await source.introspect(), { strategy: 'full' }, undefined);
        // One record per file; every record in one file; files of a few records each (cut where the seed says).
        const layouts = { alone: 1, together: 1 << 30, cut: 20 + Math.floor(next() * 200) };
        for (const [layout, chunkBytes] of Object.entries(layouts)) {
          const table = extractor.openTable('public', name, { prefetchHelper: false });
          let extracted: ExtractResult;
          try {
            extracted = await table.run(plan, { dir: path.join(dir.path, `${name}-${layout}`), chunkBytes });
          } finally {
            await table.close();
          }
          expect(extracted.rows, `seed ${seed}`).toBe(ROWS);
          const placed = placements(
            extracted.files,
            rows.map((r) => r.id),
          );
          if (layout === 'alone') expect(placed.get('alone'), `seed ${seed}`).toBe(ROWS);
          if (layout === 'together') expect([placed.get('first'), placed.get('last')], `seed ${seed}`).toEqual([1, 1]);
          const target: TableSchema = {
            schema: 'raw',
            name: `${name}_${layout}`,
            columns: plan.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
            primaryKey: ['id'],
          };
          for (const { name: engine, warehouse } of engines) {
            await warehouse.ensureTable(target);
            await warehouse.load({
              table: target,
              files: extracted.files,
              columns: plan.columns.map((c) => c.name),
              mode: 'replace',
              distinctKeys: true,
            });
            const loaded = await warehouse.query(
              `SELECT ${['a', 'id', 'b'].map((c) => warehouse.dialect.quoteIdentifier(c)).join(', ')} FROM ${warehouse.dialect.qualify(target)} ORDER BY 2`,
            );
            const got = loaded.map((r) => ({ id: Number(r.id), a: r.a ?? null, b: r.b ?? null }));
            for (const [i, row] of rows.entries()) {
              expect(
                got[i],
                `seed ${seed}, ${engine}, layout ${layout}, row ${row.id}: ${JSON.stringify(row)}`,
              ).toEqual(row);
            }
            expect(got, `seed ${seed}, ${engine}, layout ${layout}`).toHaveLength(ROWS);
          }
        }
      } finally {
        await source.close();
        await extractor.close();
      }
    });
  }
});
