import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkFile, TableSchema } from '@sluice/warehouse';
import { shortenDriverRetryWaits, startTestEmulator, type TestEmulator } from './__tests__/test-emulator.js';
import type { SnowflakeEvent, SnowflakeWarehouse } from './snowflake-warehouse.js';

/*
 * Append and replace loads while an answer is lost after its statement committed, at every statement of the load:
 * the session then dies, Sluice signs in again and repeats the step. An append has no key to merge by, so its
 * INSERT checks, in the same statement, that no row carries this load's instant (`_sluice_synced_at = T`) — the
 * load id; INSERT OVERWRITE replaces the table whole either way. No row may land twice.
 */

const QUERY = '/queries/v1/query-request';

let emulator: TestEmulator;
let warehouse: SnowflakeWarehouse;
let hook: ((event: SnowflakeEvent) => void) | undefined;
let files = 0;

beforeAll(async () => {
  shortenDriverRetryWaits();
  emulator = await startTestEmulator();
  warehouse = await emulator.warehouse({ onEvent: (event) => hook?.(event) });
}, 120_000);
afterAll(async () => {
  await warehouse?.close();
  await emulator?.dispose();
});

const log: TableSchema = {
  schema: 'raw',
  name: 'eventos_log',
  primaryKey: [],
  columns: [
    { name: 'id', type: { kind: 'bigint' }, nullable: false },
    { name: 'msg', type: { kind: 'text' }, nullable: true },
  ],
};

async function chunk(ids: readonly number[]): Promise<ChunkFile> {
  const file = path.join(emulator.dataDir, `append-${++files}.csv`);
  const text = ids.map((id) => `${id},"evento ${id}"\n`).join('');
  await writeFile(file, text);
  return { path: file, rows: ids.length, bytes: Buffer.byteLength(text), format: 'csv' };
}

/** The answer to the `at`-th statement of the next load is lost after it committed, and the session dies. */
function loseAnswerAt(at: number): void {
  const armedAt = Date.now();
  let seen = 0;
  hook = (event) => {
    if (event.type !== 'statement-start' || ++seen !== at) return;
    hook = undefined;
    emulator.faults.dropConnection({ path: QUERY, nth: 1, when: 'after' });
    const expire = setInterval(() => {
      if (!emulator.faults.injected.some((e) => e.kind === 'drop-connection' && e.at.getTime() >= armedAt)) return;
      clearInterval(expire);
      emulator.faults.expireSessions('gone');
    }, 1);
  };
}

describe('append and replace loads through answers lost after the statement committed', () => {
  // append: prepare, clock, PUT, CREATE staging, COPY, INSERT, DROP, REMOVE
  for (let at = 1; at <= 8; at++) {
    it(`append, answer lost at statement ${at} of 8: every row once`, async () => {
      await warehouse.ensureTable(log);
      const [before] = await warehouse.query('select count(*) as n from raw.eventos_log');
      const ids = Array.from({ length: 5 }, (_, i) => at * 100 + i);
      const injected = emulator.faults.injected.length;
      loseAnswerAt(at);
      const tag = `append lost ${at}`;
      await warehouse.load({ table: log, files: [await chunk(ids)], columns: ['id', 'msg'], mode: 'append', tag });
      hook = undefined;
      // the answer was lost, and the step of that statement ran again
      expect(emulator.faults.injected.length).toBeGreaterThan(injected);
      expect(emulator.stats().statements.filter((s) => s.queryTag === tag).length).toBeGreaterThan(8);
      expect(await warehouse.query('select count(*) as n from raw.eventos_log')).toEqual([
        { n: Number(before?.n) + ids.length },
      ]);
      expect(
        await warehouse.query('select id, count(*) as n from raw.eventos_log group by id having count(*) > 1'),
      ).toEqual([]);
    }, 60_000);
  }

  const snapshot: TableSchema = { ...log, name: 'eventos_full', primaryKey: ['id'] };
  // replace: prepare, clock, PUT, CREATE staging, COPY, COUNT, INSERT OVERWRITE, DROP, REMOVE
  for (let at = 1; at <= 9; at++) {
    it(`replace, answer lost at statement ${at} of 9: exactly the rows of the files`, async () => {
      await warehouse.ensureTable(snapshot);
      const ids = Array.from({ length: 4 + at }, (_, i) => i + 1);
      const injected = emulator.faults.injected.length;
      loseAnswerAt(at);
      const tag = `replace lost ${at}`;
      await warehouse.load({
        table: snapshot,
        files: [await chunk(ids)],
        columns: ['id', 'msg'],
        mode: 'replace',
        distinctKeys: true,
        tag,
      });
      hook = undefined;
      expect(emulator.faults.injected.length).toBeGreaterThan(injected);
      expect(emulator.stats().statements.filter((s) => s.queryTag === tag).length).toBeGreaterThan(9);
      expect(await warehouse.query('select id from raw.eventos_full order by id')).toEqual(ids.map((id) => ({ id })));
    }, 60_000);
  }
});
