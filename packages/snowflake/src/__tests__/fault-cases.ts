/**
 * Test support (not exported): loads run while the emulator injects a failure at one statement of the load, and
 * a check that the table then equals the source, no row twice.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { ChunkFile, TableSchema } from '@sluice/warehouse';
import type { SnowflakeEvent, SnowflakeWarehouse } from '../snowflake-warehouse.js';
import { shortenDriverRetryWaits, startTestEmulator, type TestEmulator } from './test-emulator.js';

const QUERY = '/queries/v1/query-request';

/** A failure injected at one statement of a load. */
export type Fault =
  /** The request answers 503 once; snowflake-sdk retries it (same request id). */
  | '5xx'
  /** The statement runs and commits, its answer is lost, then the session dies: Sluice logs in again and repeats the step. */
  | 'lost-answer'
  /** The session no longer exists (390111) when the statement is sent: log in again, repeat the step. */
  | 'session-gone'
  /** The session token expired and so did the master token (390112 then 390114): log in again, repeat. */
  | 'master-expired'
  /** The session token expired (390112): the driver renews it and sends the statement again. */
  | 'token-expired';

/** Statements of the load these suites run: prepare, clock, PUT, CREATE staging, COPY rows, COPY keys, MERGE, DROP, REMOVE. */
export const LOAD_STATEMENTS = 9;

/**
 * Register, in the calling test file, one test per (fault, statement): a source table changes (updates, inserts,
 * deletes), is loaded with mode merge and a deletes file while `fault` strikes statement n of the load, and the
 * warehouse table must then equal the source exactly.
 */
export function describeFaultCases(faults: readonly Fault[]): void {
  let db: TestDatabase;
  let emulator: TestEmulator;
  let dir: { path: string; remove(): Promise<void> };
  let warehouse: SnowflakeWarehouse;
  let hook: ((event: SnowflakeEvent) => void) | undefined;
  let round = 0;
  const table: TableSchema = {
    schema: 'raw',
    name: 'pedidos',
    primaryKey: ['id'],
    columns: [
      { name: 'id', type: { kind: 'integer' }, nullable: false },
      { name: 'cliente', type: { kind: 'text', maxLength: 100 }, nullable: true },
      { name: 'valor', type: { kind: 'decimal', precision: 12, scale: 2 }, nullable: true },
      { name: 'atualizado', type: { kind: 'timestamp' }, nullable: true },
    ],
  };
  const columns = table.columns.map((c) => c.name);

  beforeAll(async () => {
    shortenDriverRetryWaits();
    db = await createTestDatabase('sffault');
    emulator = await startTestEmulator();
    dir = await createTempDir('sluice-sf-faults-');
    await db.withClient(async (client) => {
      await client.query(
        `CREATE TABLE pedidos (id int PRIMARY KEY, cliente varchar(100), valor numeric(12,2), atualizado timestamp)`,
      );
      await client.query(
        `INSERT INTO pedidos SELECT g, 'cliente ' || g, g * 1.25, timestamp '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 300) g`,
      );
    });
    warehouse = await emulator.warehouse({ onEvent: (event) => hook?.(event) });
    await warehouse.ensureTable(table);
    await warehouse.load({ table, files: [await chunkOf('SELECT * FROM pedidos')], columns, mode: 'merge' });
  }, 120_000);
  afterAll(async () => {
    await warehouse?.close();
    await emulator?.dispose();
    await db?.drop();
    await dir?.remove();
  });

  let files = 0;
  /**
   * A chunk file of the rows of `sql` (columns of `pedidos`, or `id` alone), written as Postgres CSV. Rendered by
   * Postgres as text (no value here needs CSV quoting but `cliente`, which is always quoted).
   */
  const chunkOf = async (sql: string): Promise<ChunkFile> => {
    const lines = await db.withClient(async (client) => {
      const result = await client.query<{ line: string }>(
        `SELECT concat_ws(',', id, '"' || replace(cliente, '"', '""') || '"', valor, to_char(atualizado, 'YYYY-MM-DD HH24:MI:SS.US')) AS line FROM (${sql}) AS r`,
      );
      return result.rows.map((r) => r.line);
    });
    const file = path.join(dir.path, `chunk-${++files}.csv`);
    const text = lines.map((line) => `${line}\n`).join('');
    await writeFile(file, text);
    return { path: file, rows: lines.length, bytes: Buffer.byteLength(text), format: 'csv' };
  };

  /** Change the source: update a few rows, insert some, delete some; returns the keys deleted. */
  const changeSource = (n: number): Promise<number[]> =>
    db.withClient(async (client) => {
      await client.query(
        `UPDATE pedidos SET cliente = 'round ' || $1::int, valor = valor + 1, atualizado = atualizado + interval '1 day' WHERE id % 17 = $1::int % 17`,
        [n],
      );
      await client.query(
        `INSERT INTO pedidos SELECT 1000 * $1::int + g, 'novo ' || g, g, timestamp '2024-02-01' FROM generate_series(1, 5) g`,
        [n],
      );
      const deleted = await client.query<{ id: number }>(
        `DELETE FROM pedidos WHERE id IN (SELECT id FROM pedidos ORDER BY md5(id::text || $1::text) LIMIT 3) RETURNING id`,
        [n],
      );
      return deleted.rows.map((r) => r.id);
    });

  /** Every difference between the source table and the warehouse table (empty when equal). */
  const differences = async (): Promise<string[]> => {
    const source = await db.withClient((client) =>
      client.query<{ id: number; cliente: string; valor: string; atualizado: string }>(
        `SELECT id, cliente, valor::text AS valor, to_char(atualizado, 'YYYY-MM-DD HH24:MI:SS.US') AS atualizado FROM pedidos ORDER BY id`,
      ),
    );
    const target = await warehouse.query(
      `SELECT id, cliente, valor, atualizado FROM ${warehouse.dialect.qualify(table)} ORDER BY id`,
    );
    const text = (rows: readonly Record<string, unknown>[]) =>
      rows.map((r) => `${String(r.id)}|${String(r.cliente)}|${String(r.valor)}|${String(r.atualizado)}`);
    const want = text(source.rows);
    const have = text(target);
    const problems: string[] = [];
    if (have.length !== want.length) problems.push(`rows: source ${want.length}, warehouse ${have.length}`);
    const keys = target.map((r) => r.id);
    if (new Set(keys).size !== keys.length) problems.push('a key is in the warehouse twice');
    problems.push(
      ...want
        .filter((row) => !have.includes(row))
        .slice(0, 3)
        .map((row) => `missing or different: ${row}`),
    );
    return problems;
  };

  /** Arm `fault` so that it strikes the `at`-th statement (1-based) of the next load. */
  const arm = (fault: Fault, at: number): void => {
    const armedAt = Date.now();
    if (fault === '5xx') {
      emulator.faults.failRequest({ path: QUERY, nth: at, status: 503 });
      return;
    }
    let seen = 0;
    hook = (event) => {
      if (event.type !== 'statement-start' || ++seen !== at) return;
      hook = undefined;
      if (fault === 'lost-answer') {
        emulator.faults.dropConnection({ path: QUERY, nth: 1, when: 'after' });
        // The session dies as soon as the statement has run (its answer is lost): the driver's repeat of the request
        // fails, and Sluice must repeat a step whose statement already committed.
        const expire = setInterval(() => {
          if (!emulator.faults.injected.some((e) => e.kind === 'drop-connection' && e.at.getTime() >= armedAt)) return;
          clearInterval(expire);
          emulator.faults.expireSessions('gone');
        }, 1);
      } else {
        emulator.faults.expireSessions(
          fault === 'session-gone' ? 'gone' : fault === 'master-expired' ? 'master-expired' : 'renewable',
        );
      }
    };
  };

  for (const fault of faults) {
    for (let at = 1; at <= LOAD_STATEMENTS; at++) {
      it(`${fault} at statement ${at} of ${LOAD_STATEMENTS}: the table still equals the source, no row twice`, async () => {
        round++;
        const deleted = await changeSource(round);
        const rows = await chunkOf('SELECT * FROM pedidos');
        const keys = await chunkOf(
          `SELECT id, NULL::text AS cliente, NULL::numeric AS valor, NULL::timestamp AS atualizado FROM unnest(ARRAY[${deleted.join(',')}]::int[]) AS id`,
        );
        const injectedBefore = emulator.faults.injected.length;
        const loginsBefore = warehouse.stats().logins;
        arm(fault, at);
        const result = await warehouse.load({
          table,
          files: [rows],
          columns,
          mode: 'merge',
          deletes: { mode: 'delete', files: [keys] },
          tag: `fault ${fault} ${at}`,
        });
        hook = undefined;
        expect(emulator.faults.injected.length).toBeGreaterThan(injectedBefore);
        // A step repeated after its statement committed (lost answer) counts what the repeat changed.
        if (fault !== 'lost-answer') expect(result.deleted).toBe(deleted.length);
        expect(await differences()).toEqual([]);
        if (fault !== '5xx' && fault !== 'token-expired')
          expect(warehouse.stats().logins).toBeGreaterThan(loginsBefore);
        if (fault === 'lost-answer') {
          // The statement that lost its answer ran, and its step ran again: more statements than the load has.
          const sent = emulator.stats().statements.filter((s) => s.queryTag === `fault ${fault} ${at}`);
          expect(sent.length).toBeGreaterThan(LOAD_STATEMENTS);
        }
      }, 60_000);
    }
  }
}
