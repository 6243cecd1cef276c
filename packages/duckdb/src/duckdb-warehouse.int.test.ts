import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createTempDir, describeWarehouseConformance } from '@sluice/testing';
import type { ChunkFile, TableSchema } from '@sluice/warehouse';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDuckDbWarehouse, type DuckDbWarehouse } from './duckdb-warehouse.js';

describeWarehouseConformance('duckdb', () => createDuckDbWarehouse({ path: ':memory:', threads: 2 }));

describe('DuckDbWarehouse', () => {
  let warehouse: DuckDbWarehouse;
  let dir: { readonly path: string; remove(): Promise<void> };
  let fileCounter = 0;

  beforeAll(async () => {
    dir = await createTempDir('sluice-duckdb-');
    warehouse = await createDuckDbWarehouse({ path: ':memory:', threads: 2 });
  });
  afterAll(async () => {
    await warehouse?.close();
    await dir?.remove();
  });

  /** A chunk file holding exactly `text` (chunk format: Postgres CSV). */
  const chunk = async (text: string | Buffer, format: ChunkFile['format'] = 'csv'): Promise<ChunkFile> => {
    fileCounter += 1;
    const file = path.join(dir.path, `chunk-${fileCounter}.${format}`);
    const data = format === 'csv.gz' ? gzipSync(text) : text;
    await writeFile(file, data);
    return { path: file, rows: String(text).split('\n').length - 1, bytes: data.length, format };
  };
  const table = (
    schema: string,
    name: string,
    columns: Record<string, TableSchema['columns'][number]['type']>,
    primaryKey = ['id'],
  ): TableSchema => ({
    schema,
    name,
    primaryKey,
    columns: Object.entries(columns).map(([column, type]) => ({
      name: column,
      type,
      nullable: !primaryKey.includes(column),
    })),
  });

  it('divides 64-bit keys into buckets exactly, rounding down, and writes them as text', async () => {
    const d = warehouse.dialect;
    const rows = await warehouse.query(
      `SELECT ${d.castToText(d.floorDivide('"k"', '3'))} AS bucket FROM (VALUES (CAST('9223372036854775807' AS BIGINT)),
      (CAST('-9223372036854775808' AS BIGINT)), (-7::BIGINT), (-6::BIGINT), (0::BIGINT), (8::INTEGER)) AS t("k")`,
    );
    expect(rows.map((r) => r.bucket)).toEqual(['3074457345618258602', '-3074457345618258603', '-3', '-2', '0', '2']);
  });

  it('returns DuckDB values in the documented shapes', async () => {
    const [row] = await warehouse.query(`SELECT
      170141183460469231731687303715884105727::HUGEINT AS huge, 42::HUGEINT AS small_huge, 18446744073709551615::UBIGINT AS ubig,
      {'a': 1, 'b': [1.5::DECIMAL(4,2)]} AS struct, MAP {'k': 2} AS map, [[1, 2], NULL] AS nested,
      'infinity'::DATE AS forever, '-0043-03-15'::DATE AS bc, '24:00:00'::TIME AS midnight,
      '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS nanos, '\\x00\\xFF'::BLOB AS blob, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::UUID AS guid,
      '{"x": 1.10}'::JSON AS doc, 'NaN'::DOUBLE AS nan, -0.0::DOUBLE AS negzero, 1.5::FLOAT AS f, NULL AS nothing,
      'a'::VARCHAR AS dup, 'b'::VARCHAR AS dup, current_setting('TimeZone') AS zone,
      CAST('2024-01-02 01:00:00-03'::TIMESTAMPTZ AS DATE) AS utc_day`);
    expect(row).toMatchObject({
      huge: '170141183460469231731687303715884105727',
      small_huge: 42,
      ubig: '18446744073709551615',
      struct: { a: 1, b: ['1.50'] },
      map: [{ key: 'k', value: 2 }],
      nested: [[1, 2], null],
      forever: 'infinity',
      bc: '0044-03-15 BC',
      midnight: '24:00:00.000000',
      nanos: '2024-01-02 03:04:05.123456789',
      guid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      doc: '{"x": 1.10}',
      f: 1.5,
      nothing: null,
      dup: 'a',
      'dup:1': 'b',
      zone: 'UTC',
      utc_day: '2024-01-02',
    });
    expect(Buffer.from(row?.blob as Uint8Array).toString('hex')).toBe('00ff');
    expect(row?.nan).toBeNaN();
    expect(Object.is(row?.negzero, -0)).toBe(true);
  });

  it('returns a text value that begins with a byte order mark as it is (the driver’s decoder would drop it)', async () => {
    const [row] = await warehouse.query(
      `SELECT chr(65279) || 'Z' AS lead, 'A' || chr(65279) AS tail, chr(65279) AS alone`,
    );
    expect(row).toEqual({ lead: '\ufeffZ', tail: 'A\ufeff', alone: '\ufeff' });
  });

  it('execute runs several statements and reports rows affected for DML only', async () => {
    expect(
      await warehouse.execute('CREATE SCHEMA IF NOT EXISTS exec; CREATE OR REPLACE TABLE exec.t (a INTEGER)'),
    ).toEqual({ rowsAffected: undefined });
    expect(await warehouse.execute('INSERT INTO exec.t SELECT * FROM range(5)')).toEqual({ rowsAffected: 5 });
    expect(await warehouse.execute('DELETE FROM exec.t WHERE a < 2; UPDATE exec.t SET a = a + 1 WHERE a > 2')).toEqual({
      rowsAffected: 2,
    });
    expect(await warehouse.query('SELECT 1 AS one; SELECT sum(a)::INTEGER AS s FROM exec.t')).toEqual([{ s: 11 }]);
    await expect(warehouse.query('SELECT * FROM exec.missing')).rejects.toMatchObject({
      code: 'WAREHOUSE_STATEMENT_FAILED',
      sql: 'SELECT * FROM exec.missing',
    });
    await expect(warehouse.execute('  ')).rejects.toMatchObject({ code: 'WAREHOUSE_STATEMENT_FAILED' });
  });

  it('interrupts a running statement when its signal aborts, and refuses work whose signal already aborted', async () => {
    // A statement that only cancelling ends. Whenever the abort comes — before DuckDB has started the statement on
    // its worker thread, or while it runs — the call rejects with CANCELLED: nothing here depends on timing.
    const endless = 'SELECT count(*) FROM range(1000000000000) AS a(x) WHERE x % 7 = 3';
    const atOnce = new AbortController();
    const cancelledAtOnce = warehouse.query(endless, { signal: atOnce.signal });
    atOnce.abort();
    await expect(cancelledAtOnce).rejects.toMatchObject({ code: 'CANCELLED' });
    const controller = new AbortController();
    const running = warehouse.query(endless, { signal: controller.signal });
    setImmediate(() => controller.abort()); // usually once the statement runs
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(warehouse.query('SELECT 1', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(await warehouse.query('SELECT 1 AS still_fine')).toEqual([{ still_fine: 1 }]);
  });

  it('serializes loads into one table in call order, and cancels a waiting load without touching the table', async () => {
    const tbl = table('serial', 'events', { id: { kind: 'integer' }, v: { kind: 'text' } });
    await warehouse.ensureTable(tbl);
    const lines = (n: number, v: string) => Array.from({ length: n }, (_, i) => `${i},${v}\n`).join('');
    const [firstFile, cancelledFile, lastFile] = [
      await chunk(lines(50_000, 'first')),
      await chunk(lines(10, 'cancelled')),
      await chunk(lines(10, 'last')),
    ];
    const controller = new AbortController();
    const first = warehouse.load({ table: tbl, mode: 'merge', columns: ['id', 'v'], files: [firstFile] });
    const cancelled = warehouse.load({
      table: tbl,
      mode: 'merge',
      columns: ['id', 'v'],
      files: [cancelledFile],
      signal: controller.signal,
    });
    const last = warehouse.load({ table: tbl, mode: 'merge', columns: ['id', 'v'], files: [lastFile] });
    // Aborted before the load could reach its table: it must not run at all.
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await first).toMatchObject({ inserted: 50_000 });
    expect(await last).toMatchObject({ updated: 10 });
    expect(await warehouse.query('SELECT v, count(*)::INTEGER AS n FROM serial.events GROUP BY v ORDER BY v')).toEqual([
      { v: 'first', n: 49_990 },
      { v: 'last', n: 10 },
    ]);
  });

  it('loads many tables in parallel while queries run', async () => {
    const tables = Array.from({ length: 6 }, (_, i) =>
      table('parallel', `t${i}`, { id: { kind: 'bigint' }, amount: { kind: 'decimal', precision: 12, scale: 2 } }),
    );
    const body = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `${from + i},${from + i}.25\n`).join('');
    const results = await Promise.all([
      ...tables.map(async (tbl) => {
        await warehouse.ensureTable(tbl);
        return warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: ['id', 'amount'],
          files: [await chunk(body(0, 10_000)), await chunk(body(10_000, 10_000))],
        });
      }),
      ...Array.from({ length: 6 }, () => warehouse.query('SELECT count(*) AS n FROM range(100000)')),
    ]);
    expect(results.slice(0, 6)).toEqual(
      tables.map(() => expect.objectContaining({ rowsStaged: 20_000, inserted: 20_000 })),
    );
    for (const tbl of tables) {
      expect(
        await warehouse.query(`SELECT count(*)::INTEGER AS n, sum(amount)::VARCHAR AS total FROM parallel.${tbl.name}`),
      ).toEqual([{ n: 20_000, total: '199995000.00' }]);
    }
  });

  it('a load after ensureTable uses what ensureTable read, unless SQL changed the table in between', async () => {
    const tbl = table('known', 'items', { id: { kind: 'integer' }, note: { kind: 'text' } });
    await warehouse.ensureTable(tbl);
    const columns = ['id', 'note'];
    await warehouse.load({ table: tbl, mode: 'merge', columns, files: [await chunk('1,a\n')] });
    await warehouse.ensureTable(tbl);
    await warehouse.execute('ALTER TABLE known.items DROP COLUMN note');
    const error = await warehouse
      .load({ table: tbl, mode: 'merge', columns, files: [await chunk('1,b\n')] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_LOAD_REQUEST' });
    expect(String(error)).toMatch(/column "note" does not exist in the warehouse table; run ensureTable/);
    // ensureTable puts the column back (NULL for the row it had); the load then goes through.
    await warehouse.ensureTable(tbl);
    await warehouse.load({ table: tbl, mode: 'merge', columns, files: [await chunk('2,c\n')] });
    expect(await warehouse.query('SELECT id, note FROM known.items ORDER BY id')).toEqual([
      { id: 1, note: null },
      { id: 2, note: 'c' },
    ]);
  });

  it('keeps the exact interval and -0.0 a row is updated to (DuckDB’s UPDATE would skip them as equal)', async () => {
    const tbl = table('equal', 'values', {
      id: { kind: 'integer' },
      span: { kind: 'interval' },
      d: { kind: 'double' },
    });
    await warehouse.ensureTable(tbl);
    const columns = ['id', 'span', 'd'];
    await warehouse.load({
      table: tbl,
      mode: 'merge',
      columns,
      files: [await chunk('1,0 months 0 days 86400000000 microseconds,0\n')],
    });
    await warehouse.load({
      table: tbl,
      mode: 'merge',
      columns,
      files: [await chunk('1,0 months 1 days 0 microseconds,-0\n')],
    });
    const [row] = await warehouse.query('SELECT span, d FROM equal.values');
    expect(row?.span).toBe('0 months 1 days 0 microseconds');
    expect(Object.is(row?.d, -0)).toBe(true);
  });

  it('widens a decimal to unconstrained without losing the digits it holds, and checks each value on load', async () => {
    const before = table('widen', 'amounts', {
      id: { kind: 'integer' },
      n: { kind: 'decimal', precision: 38, scale: 20 },
    });
    await warehouse.ensureTable(before);
    await warehouse.load({
      table: before,
      mode: 'merge',
      columns: ['id', 'n'],
      files: [await chunk('1,123456789012345678.12345678901234567891\n')],
    });
    const after = table('widen', 'amounts', { id: { kind: 'integer' }, n: { kind: 'decimal' } });
    expect(await warehouse.ensureTable(after)).toMatchObject({ widenedColumns: ['n'] });
    expect((await warehouse.describeTable(after))?.columns.find((c) => c.name === 'n')?.type).toEqual({
      kind: 'decimal',
    });
    await warehouse.load({
      table: after,
      mode: 'merge',
      columns: ['id', 'n'],
      files: [await chunk('2,0.00000000000000000001\n')],
    });
    expect(await warehouse.query('SELECT n FROM widen.amounts ORDER BY id')).toEqual([
      { n: '123456789012345678.12345678901234567891' },
      { n: '0.00000000000000000001' },
    ]);
    const tooWide = await chunk('3,1234567890123456789.5\n');
    const error = await warehouse
      .load({ table: after, mode: 'merge', columns: ['id', 'n'], files: [tooWide] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNREPRESENTABLE_VALUE', table: 'widen.amounts' });
    expect((error as Error).message).toContain(tooWide.path);
    expect((error as Error).message).toContain('DECIMAL(38,20)');
  });

  it('reads BC dates exactly, and refuses a timestamptz it cannot parse (read_csv would make it NULL)', async () => {
    const tbl = table('misread', 'dates', {
      id: { kind: 'integer' },
      day: { kind: 'date' },
      at: { kind: 'timestamptz' },
    });
    await warehouse.ensureTable(tbl);
    const columns = ['id', 'day', 'at'];
    await warehouse.load({
      table: tbl,
      mode: 'merge',
      columns,
      files: [await chunk('1,2024-02-29,2024-01-02 03:04:05.123456+00\n2,,\n')],
    });
    // The chunk format's astronomical years (44 BC is -0043, 1 BC is 0000), and Postgres's own `BC` text, which
    // DuckDB alone would read as the year 44 AD.
    await warehouse.load({
      table: tbl,
      mode: 'merge',
      columns,
      files: [
        await chunk(
          '3,-0043-03-15,-0043-03-15 12:00:00.5+00\n4,0044-03-15 BC,0000-12-31 23:59:59+00\n5,0001-01-01 BC,\n',
        ),
      ],
    });
    expect(
      await warehouse.query(
        `SELECT id, CAST(day AS VARCHAR) AS day, CAST("at" AS VARCHAR) AS "at" FROM misread.dates WHERE id >= 3 ORDER BY id`,
      ),
    ).toEqual([
      { id: 3, day: '0044-03-15 (BC)', at: '0044-03-15 (BC) 12:00:00.5+00' },
      { id: 4, day: '0044-03-15 (BC)', at: '0001-12-31 (BC) 23:59:59+00' },
      { id: 5, day: '0001-01-01 (BC)', at: null },
    ]);
    await warehouse.execute('DELETE FROM misread.dates WHERE id >= 3');
    await expect(
      warehouse.load({ table: tbl, mode: 'merge', columns, files: [await chunk('3,2024-01-01,garbage\n')] }),
    ).rejects.toMatchObject({
      code: 'WAREHOUSE_STATEMENT_FAILED',
    });
    expect(await warehouse.query('SELECT id, day, "at" FROM misread.dates ORDER BY id')).toEqual([
      { id: 1, day: '2024-02-29', at: '2024-01-02 03:04:05.123456+00' },
      { id: 2, day: null, at: null },
    ]);
  });

  it('reads gzip-compressed chunk files and rows far longer than read_csv’s default limit', async () => {
    const tbl = table('files', 'docs', { id: { kind: 'integer' }, body: { kind: 'text' } });
    await warehouse.ensureTable(tbl);
    const long = 'é'.repeat(1_500_000); // 3 MB of UTF-8 in one field
    const result = await warehouse.load({
      table: tbl,
      mode: 'merge',
      columns: ['id', 'body'],
      files: [await chunk(`1,"${long}"\n`, 'csv.gz'), await chunk('2,"short, ""quoted"""\n')],
    });
    expect(result).toMatchObject({ rowsStaged: 2, inserted: 2 });
    expect(await warehouse.query('SELECT id, length(body)::INTEGER AS n FROM files.docs ORDER BY id')).toEqual([
      { id: 1, n: 1_500_000 },
      { id: 2, n: 15 },
    ]);
  });

  it('keeps the last occurrence of each key across many files and rows', async () => {
    const tbl = table('dedupe', 'big', { id: { kind: 'integer' }, v: { kind: 'text' } });
    await warehouse.ensureTable(tbl);
    const expected = new Map<number, string>();
    const files: ChunkFile[] = [];
    for (let f = 0; f < 4; f += 1) {
      let text = '';
      for (let r = 0; r < 25_000; r += 1) {
        const id = (r * 7 + f * 13) % 30_000;
        text += `${id},f${f}r${r}\n`;
        expected.set(id, `f${f}r${r}`);
      }
      files.push(await chunk(text));
    }
    const result = await warehouse.load({ table: tbl, mode: 'merge', columns: ['id', 'v'], files });
    expect(result).toMatchObject({ rowsStaged: 100_000, rowsMerged: expected.size });
    const rows = await warehouse.query<{ id: number; v: string }>('SELECT id, v FROM dedupe.big');
    expect(new Map(rows.map((r) => [r.id, r.v]))).toEqual(expected);
  });

  it('runs the dialect’s statements and describes views and tables it did not create', async () => {
    const d = warehouse.dialect;
    await warehouse.ensureSchema('models');
    await warehouse.execute(
      d.createOrReplaceTableAs(
        { schema: 'models', name: 'base' },
        `SELECT 1 AS id, 'a' AS v, 1.50::DECIMAL(10,2) AS amount, ['x'] AS tags`,
      ),
    );
    await warehouse.execute(
      d.createOrReplaceView({ schema: 'models', name: 'base_view' }, 'SELECT id, v FROM models.base'),
    );
    const merged = await warehouse.execute(
      d.mergeInto(
        { schema: 'models', name: 'base' },
        `SELECT * FROM (VALUES (1, 'b', 2.00), (2, 'c', 3.00)) AS s(id, v, amount)`,
        ['id'],
        ['id', 'v', 'amount'],
      ),
    );
    expect(merged.rowsAffected).toBe(2);
    expect(await warehouse.query('SELECT * FROM models.base_view ORDER BY id')).toEqual([
      { id: 1, v: 'b' },
      { id: 2, v: 'c' },
    ]);
    expect(await warehouse.describeTable({ schema: 'models', name: 'base' })).toEqual({
      schema: 'models',
      name: 'base',
      primaryKey: [],
      columns: [
        { name: 'id', type: { kind: 'integer' }, nullable: true },
        { name: 'v', type: { kind: 'text' }, nullable: true },
        { name: 'amount', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: true },
        { name: 'tags', type: { kind: 'array', element: { kind: 'text' } }, nullable: true },
      ],
    });
    expect(
      (await warehouse.describeTable({ schema: 'MODELS', name: 'Base_View' }))?.columns.map((c) => c.name),
    ).toEqual(['id', 'v']);
    await expect(
      warehouse.ensureTable(table('models', 'base_view', { id: { kind: 'integer' } })),
    ).rejects.toMatchObject({
      code: 'INCOMPATIBLE_SCHEMA_CHANGE',
    });
    await warehouse.execute(d.dropRelation({ schema: 'models', name: 'base_view' }, 'view'));
    await warehouse.dropTable({ schema: 'models', name: 'base' });
    await warehouse.dropTable({ schema: 'models', name: 'base' });
    expect(await warehouse.describeTable({ schema: 'models', name: 'base' })).toBeUndefined();
  });

  it('keeps the connections of catalog and state reads for the next read, never one a caller’s SQL ran on', async () => {
    const own = await createDuckDbWarehouse({ path: ':memory:', threads: 1 });
    const connect = vi.spyOn(DuckDBInstance.prototype, 'connect');
    try {
      await own.execute('CREATE SCHEMA s; CREATE TABLE s.t (a INTEGER)');
      connect.mockClear();
      for (let i = 0; i < 3; i++) expect(await own.relationKind({ schema: 's', name: 't' })).toBe('table');
      expect(await own.describeRelation({ schema: 's', name: 't' })).toMatchObject({ kind: 'table' });
      expect((await own.readState('s', 'ingest')).source).toBe('missing');
      expect(connect).toHaveBeenCalledTimes(1);
      // Two reads at once: a second connection, kept too (at most two are).
      await Promise.all([own.describeTable({ schema: 's', name: 't' }), own.relationKind({ schema: 's', name: 'u' })]);
      expect(connect).toHaveBeenCalledTimes(2);
      // A caller's SQL and a write each get a connection of their own, which is not kept.
      await own.execute("SET VARIABLE x = 'mine'");
      await own.query('SELECT 1');
      expect(connect).toHaveBeenCalledTimes(4);
      await Promise.all([own.relationKind({ schema: 's', name: 't' }), own.relationKind({ schema: 's', name: 't' })]);
      expect(connect).toHaveBeenCalledTimes(4);
      // A read whose signal aborted does not run (nor keep anything).
      const aborted = AbortSignal.abort();
      await expect(own.readState('s', 'ingest', { signal: aborted })).rejects.toMatchObject({ code: 'CANCELLED' });
    } finally {
      connect.mockRestore();
      await own.close();
    }
    await expect(own.relationKind({ schema: 's', name: 't' })).rejects.toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE' });
  });

  it('close interrupts running work, which rolls back, and refuses new work', async () => {
    const own = await createDuckDbWarehouse({ path: ':memory:', threads: 1 });
    await own.execute('CREATE TABLE t AS SELECT 1 AS a');
    // Only closing ends this statement, whether it has started on DuckDB's worker thread yet or not.
    const running = own.execute('INSERT INTO t SELECT count(*) FROM range(1000000000000) AS r(x) WHERE x % 7 = 3');
    await own.close();
    await expect(running).rejects.toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE' });
    await expect(own.query('SELECT 1')).rejects.toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE' });
  });

  it('keeps a comment a person set over Sluice’s record, adding the record after it', async () => {
    const clientes = table('people', 'clientes', { id: { kind: 'integer' }, email: { kind: 'text' } });
    await warehouse.ensureTable(clientes);
    await warehouse.execute(
      "COMMENT ON COLUMN people.clientes.email IS 'E-mail (PII)'; COMMENT ON TABLE people.clientes IS 'Clientes'",
    );
    await warehouse.ensureTable(clientes);
    const comments = await warehouse.query(
      "SELECT column_name AS name, comment FROM duckdb_columns() WHERE schema_name = 'people' AND table_name = 'clientes' AND column_name = 'email' UNION ALL SELECT '(table)', comment FROM duckdb_tables() WHERE schema_name = 'people' AND table_name = 'clientes' ORDER BY name",
    );
    expect(comments).toEqual([
      { name: '(table)', comment: 'Clientes\nsluice:{"primaryKey":["id"]}' },
      { name: 'email', comment: 'E-mail (PII)\nsluice:{"type":{"kind":"text"},"nullable":true}' },
    ]);
    expect(await warehouse.describeTable(clientes)).toEqual(clientes);
  });

  it('creates tables of one new schema concurrently', async () => {
    const tables = Array.from({ length: 5 }, (_, i) => table('fresh', `t${i}`, { id: { kind: 'integer' } }));
    const results = await Promise.all(tables.map((tbl) => warehouse.ensureTable(tbl)));
    expect(results.every((r) => r.created)).toBe(true);
  });
});

describe('createDuckDbWarehouse with a file', () => {
  let dir: { readonly path: string; remove(): Promise<void> };
  let holder: ChildProcess | undefined;
  beforeAll(async () => {
    dir = await createTempDir('sluice-duckdb-file-');
  });
  afterAll(async () => {
    holder?.kill('SIGKILL');
    await dir?.remove();
  });

  it('persists tables, their logical types and rows across reopening, creating the directory', async () => {
    const file = path.join(dir.path, 'nested', 'warehouse.duckdb');
    const tbl: TableSchema = {
      schema: 'raw',
      name: 'estados',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: { kind: 'integer' }, nullable: false },
        { name: 'sigla', type: { kind: 'char', length: 2 }, nullable: false },
      ],
    };
    const first = await createDuckDbWarehouse({ path: file, threads: 1, memoryLimit: '256MB' });
    await first.ensureTable(tbl);
    const csv = path.join(dir.path, 'estados.csv');
    await writeFile(csv, '1,SP\n2,RJ\n');
    await first.load({
      table: tbl,
      mode: 'replace',
      columns: ['id', 'sigla'],
      files: [{ path: csv, rows: 2, bytes: 10, format: 'csv' }],
    });
    // Kept read connections close with the warehouse: the file opens again below.
    expect(await first.relationKind(tbl)).toBe('table');
    expect(await first.describeTable(tbl)).toEqual(tbl);
    await first.close();
    await first.close();
    await expect(first.query('SELECT 1')).rejects.toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE' });

    const second = await createDuckDbWarehouse({ path: file });
    expect(await second.describeTable(tbl)).toEqual(tbl);
    expect(await second.query('SELECT id, sigla FROM raw.estados ORDER BY id')).toEqual([
      { id: 1, sigla: 'SP' },
      { id: 2, sigla: 'RJ' },
    ]);
    await second.close();
  });

  it('says another process holds the file when it cannot take the lock', async () => {
    const file = path.join(dir.path, 'locked.duckdb');
    const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
    const script = `const { DuckDBInstance } = require('@duckdb/node-api');
      DuckDBInstance.create(${JSON.stringify(file)}).then((db) => { globalThis.db = db; process.stdout.write('ready\\n'); setInterval(() => {}, 1000); });`;
    const child = spawn(process.execPath, ['-e', script], { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] });
    holder = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (data: Buffer) => data.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
    const error = await createDuckDbWarehouse({ path: file }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WAREHOUSE_UNAVAILABLE' });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/another process/i);
  });
});
