import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkFile, LogicalType, TableSchema, Warehouse } from '@sluice/warehouse';
import { copyToChunkFile, postgresChunkExpression } from './postgres-chunk.js';
import { createTempDir } from './temp-dir.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/*
 * One suite for every Warehouse engine (DuckDB; Snowflake through the emulator). It pins the behaviour the
 * pipeline relies on, and the shapes of the values `query` returns:
 *
 * | column type | JavaScript value |
 * |---|---|
 * | smallint, integer | number |
 * | bigint | number when it is a safe integer, else its decimal string |
 * | decimal | string, exact (compared here without trailing fraction zeros) |
 * | real, double | number (NaN, Infinity, -Infinity included) |
 * | boolean | boolean |
 * | text, char (padded), enum, uuid | string |
 * | json | string: the source's exact text, or — where the engine stores a document (Snowflake VARIANT) — its compact
 * |      | rendering (no whitespace outside strings; numbers as written); compared here in compact form, and checked to be one of the two |
 * | date | `YYYY-MM-DD` |
 * | timestamp | `YYYY-MM-DD HH:MM:SS.ffffff` (always six fraction digits) |
 * | timestamptz | `YYYY-MM-DD HH:MM:SS.ffffff+00` (the instant in UTC) |
 * | time | `HH:MM:SS.ffffff` |
 * | interval | `<months> months <days> days <microseconds> microseconds` |
 * | bytes | Uint8Array |
 * | array | an array of the element values |
 *
 * The chunk files come from a real Postgres (`COPY (SELECT …) TO STDOUT (FORMAT csv)`).
 */

const SYNCED_AT = '_sluice_synced_at';
const DELETED_AT = '_sluice_deleted_at';

const t = {
  smallint: { kind: 'smallint' },
  integer: { kind: 'integer' },
  bigint: { kind: 'bigint' },
  decimal: (precision?: number, scale?: number): LogicalType =>
    precision === undefined ? { kind: 'decimal' } : { kind: 'decimal', precision, scale: scale ?? 0 },
  real: { kind: 'real' },
  double: { kind: 'double' },
  boolean: { kind: 'boolean' },
  text: (maxLength?: number): LogicalType => (maxLength === undefined ? { kind: 'text' } : { kind: 'text', maxLength }),
  char: (length: number): LogicalType => ({ kind: 'char', length }),
  date: { kind: 'date' },
  timestamp: { kind: 'timestamp' },
  timestamptz: { kind: 'timestamptz' },
  time: { kind: 'time' },
  interval: { kind: 'interval' },
  uuid: { kind: 'uuid' },
  json: { kind: 'json' },
  bytes: { kind: 'bytes' },
  array: (element: LogicalType): LogicalType => ({ kind: 'array', element }),
  enum: (name: string, values: string[]): LogicalType => ({ kind: 'enum', name, values }),
} satisfies Record<string, LogicalType | ((...args: never[]) => LogicalType)>;

/**
 * Register the Warehouse conformance suite for one engine.
 *
 * @example describeWarehouseConformance('duckdb', () => createDuckDbWarehouse({ path: ':memory:' }));
 */
export function describeWarehouseConformance(name: string, createWarehouse: () => Promise<Warehouse>): void {
  describe(`Warehouse conformance: ${name}`, () => {
    let warehouse: Warehouse;
    let source: TestDatabase;
    let dir: { readonly path: string; remove(): Promise<void> };
    let schema: string;
    let counter = 0;
    const schemas: string[] = [];

    beforeAll(async () => {
      source = await createTestDatabase('conformance');
      dir = await createTempDir('sluice-conformance-');
      warehouse = await createWarehouse();
    });
    afterAll(async () => {
      await warehouse?.close();
      await source?.drop();
      await dir?.remove();
    });
    // Each test works in a schema of its own, dropped afterwards.
    const nextSchema = () => {
      counter += 1;
      schema = `conformance_${counter}`;
      schemas.push(schema);
      return schema;
    };
    afterEach(async () => {
      for (const s of schemas.splice(0))
        await warehouse.execute(`DROP SCHEMA IF EXISTS ${warehouse.dialect.quoteIdentifier(s)} CASCADE`);
    });

    const table = (
      tableName: string,
      columns: Record<string, LogicalType>,
      primaryKey: string[] = ['id'],
      nullable: (column: string) => boolean = (c) => !primaryKey.includes(c),
    ): TableSchema => ({
      schema,
      name: tableName,
      columns: Object.entries(columns).map(([columnName, type]) => ({
        name: columnName,
        type,
        nullable: nullable(columnName),
      })),
      primaryKey,
    });
    let fileCounter = 0;
    /** A chunk file of `rowsSql`'s rows (a Postgres query), rendered for the columns `columns` of `tbl`. */
    const chunk = async (tbl: TableSchema, columns: readonly string[], rowsSql: string): Promise<ChunkFile> => {
      fileCounter += 1;
      const select = columns
        .map((c) => {
          const column = tbl.columns.find((col) => col.name === c);
          if (!column) throw new Error(`test bug: no column ${c}`);
          return `${postgresChunkExpression(`"src"."${c}"`, column.type)} AS "${c}"`;
        })
        .join(', ');
      return source.withClient((client) =>
        copyToChunkFile(
          client,
          `SELECT ${select} FROM (${rowsSql}) AS "src"`,
          path.join(dir.path, `chunk-${fileCounter}.csv`),
        ),
      );
    };
    /** A chunk file with the given CSV text, for malformed input. */
    const rawChunk = async (text: string, rows: number): Promise<ChunkFile> => {
      fileCounter += 1;
      const file = path.join(dir.path, `raw-${fileCounter}.csv`);
      await writeFile(file, text);
      return { path: file, rows, bytes: Buffer.byteLength(text), format: 'csv' };
    };
    const rows = (tbl: TableSchema, orderBy = 'id') =>
      warehouse.query(
        `SELECT * FROM ${warehouse.dialect.qualify(tbl)} ORDER BY ${warehouse.dialect.quoteIdentifier(orderBy)}`,
      );
    const keysOf = async (tbl: TableSchema) => (await rows(tbl)).map((r) => Number(r.id));
    const sortByName = <C extends { name: string }>(columns: readonly C[]) =>
      [...columns].sort((a, b) => a.name.localeCompare(b.name));

    // A small vendas-shaped table used by the load tests.
    const sales = () =>
      table('vendas', { id: t.integer, cliente: t.text(255), valor: t.decimal(10, 2), atualizado: t.timestamp });
    const salesRows = (values: string) => `SELECT * FROM (VALUES ${values}) AS v(id, cliente, valor, atualizado)`;
    const salesColumns = ['id', 'cliente', 'valor', 'atualizado'];
    const row = (id: number, cliente: string, valor: string, atualizado: string) =>
      `(${id}, '${cliente.replaceAll("'", "''")}'::varchar(255), ${valor}::numeric(10,2), '${atualizado}'::timestamp)`;

    describe('ensureTable', () => {
      it('creates the schema and the table, and describeTable gives every logical type back', async () => {
        nextSchema();
        const tbl = table('all_types', {
          id: t.bigint,
          small: t.smallint,
          int: t.integer,
          money: t.decimal(10, 2),
          wide: t.decimal(30, 10),
          numeric: t.decimal(),
          r: t.real,
          d: t.double,
          flag: t.boolean,
          name: t.text(255),
          body: t.text(),
          code: t.char(2),
          day: t.date,
          at: t.timestamp,
          instant: t.timestamptz,
          clock: t.time,
          span: t.interval,
          guid: t.uuid,
          doc: t.json,
          blob: t.bytes,
          tags: t.array(t.text()),
          amounts: t.array(t.decimal(12, 4)),
          mood: t.enum('mood', ['sad', 'ok', 'happy']),
        });
        const created = await warehouse.ensureTable(tbl);
        expect(created).toEqual({ created: true, addedColumns: [], widenedColumns: [], droppedColumns: [] });
        const described = await warehouse.describeTable(tbl);
        expect(described).toBeDefined();
        expect(described?.primaryKey).toEqual(['id']);
        expect(sortByName(described?.columns ?? [])).toEqual(sortByName(tbl.columns));
        const again = await warehouse.ensureTable(tbl);
        expect(again).toEqual({ created: false, addedColumns: [], widenedColumns: [], droppedColumns: [] });
        expect(await warehouse.describeTable({ schema, name: 'missing' })).toBeUndefined();
      });

      it('describes a table made elsewhere (a model) with every column, metadata-named ones too', async () => {
        nextSchema();
        await warehouse.ensureSchema(schema);
        const d = warehouse.dialect;
        const model = { schema, name: 'model' };
        const instant = d.typeName(t.timestamptz);
        await warehouse.execute(
          d.createOrReplaceTableAs(
            model,
            `SELECT 1 AS ${d.quoteIdentifier('id')}, CAST(NULL AS ${instant}) AS ${d.quoteIdentifier(SYNCED_AT)}`,
          ),
        );
        const described = await warehouse.describeTable(model);
        expect(described?.primaryKey).toEqual([]);
        expect(described?.columns.map((c) => c.name)).toEqual(['id', SYNCED_AT]);
        expect(described?.columns[1]?.type).toEqual(t.timestamptz);
      });

      it('adds new columns, widens types in place and keeps dropped columns with their values', async () => {
        nextSchema();
        const before = table('evolving', {
          id: t.integer,
          qty: t.integer,
          name: t.text(10),
          price: t.decimal(10, 2),
          old: t.text(),
        });
        await warehouse.ensureTable(before);
        await warehouse.load({
          table: before,
          mode: 'merge',
          columns: ['id', 'qty', 'name', 'price', 'old'],
          files: [
            await chunk(
              before,
              ['id', 'qty', 'name', 'price', 'old'],
              `SELECT 1 AS id, 2147483647 AS qty, 'ten chars!' AS name, 12345678.91::numeric(10,2) AS price, 'kept' AS old`,
            ),
          ],
        });
        const after = table('evolving', {
          id: t.integer,
          qty: t.bigint,
          name: t.text(20),
          price: t.decimal(12, 2),
          added: t.date,
        });
        const result = await warehouse.ensureTable(after);
        expect(result.created).toBe(false);
        expect(result.addedColumns).toEqual(['added']);
        expect([...result.widenedColumns].sort()).toEqual(['name', 'price', 'qty']);
        expect(result.droppedColumns).toEqual(['old']);
        const described = await warehouse.describeTable(after);
        expect(sortByName(described?.columns ?? [])).toEqual(
          sortByName([...after.columns, { name: 'old', type: t.text(), nullable: true }]),
        );
        // Old values survive the widening; the new column is NULL for old rows.
        const [first] = await rows(after);
        expect(first).toMatchObject({ id: 1, qty: 2147483647, name: 'ten chars!', old: 'kept', added: null });
        expect(canonicalDecimal(first?.price)).toBe('12345678.91');
        // Rows loaded from now on: the dropped column is NULL for new rows, untouched for updated ones.
        const columns = ['id', 'qty', 'name', 'price', 'added'];
        await warehouse.load({
          table: after,
          mode: 'merge',
          columns,
          files: [
            await chunk(
              after,
              columns,
              `SELECT * FROM (VALUES (1, 9007199254740993::bigint, 'twenty characters!!!', 9999999999.99::numeric(12,2), '2024-02-29'::date), (2, -1::bigint, 'x', 0.01::numeric(12,2), NULL::date)) AS v(id, qty, name, price, added)`,
            ),
          ],
        });
        const loaded = await rows(after);
        expect(loaded).toMatchObject([
          { id: 1, qty: '9007199254740993', name: 'twenty characters!!!', added: '2024-02-29', old: 'kept' },
          { id: 2, qty: -1, name: 'x', added: null, old: null },
        ]);
        expect(loaded.map((r) => canonicalDecimal(r.price))).toEqual(['9999999999.99', '0.01']);
      });

      it('refuses an incompatible change before altering anything, naming table, column, both types and the remedy', async () => {
        nextSchema();
        const before = table('changing', { id: t.integer, v: t.text() });
        await warehouse.ensureTable(before);
        const after = table('changing', { id: t.integer, v: t.integer, extra: t.text() });
        const error = await warehouse.ensureTable(after).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toMatchObject({ code: 'INCOMPATIBLE_SCHEMA_CHANGE' });
        const message = (error as Error).message;
        expect(message).toContain(`${schema}.changing`);
        expect(message).toContain('"v"');
        expect(message).toContain('text');
        expect(message).toContain('integer');
        expect(message).toMatch(/resync/i);
        const described = await warehouse.describeTable(before);
        expect(sortByName(described?.columns ?? [])).toEqual(sortByName(before.columns));
      });

      it('narrowing a type is incompatible too (decimal(12,2) → decimal(10,2), bigint → integer)', async () => {
        nextSchema();
        await warehouse.ensureTable(table('narrow', { id: t.integer, price: t.decimal(12, 2), n: t.bigint }));
        await expect(
          warehouse.ensureTable(table('narrow', { id: t.integer, price: t.decimal(10, 2), n: t.bigint })),
        ).rejects.toMatchObject({ code: 'INCOMPATIBLE_SCHEMA_CHANGE' });
        await expect(
          warehouse.ensureTable(table('narrow', { id: t.integer, price: t.decimal(12, 2), n: t.integer })),
        ).rejects.toMatchObject({ code: 'INCOMPATIBLE_SCHEMA_CHANGE' });
      });

      it('adds _sluice_deleted_at for soft deletes, and _sluice_synced_at always', async () => {
        nextSchema();
        const tbl = table('soft', { id: t.integer });
        await warehouse.ensureTable(tbl, { softDelete: true });
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: ['id'],
          files: [await chunk(tbl, ['id'], 'SELECT 1 AS id')],
        });
        const [first] = await rows(tbl);
        expect(Object.keys(first ?? {}).sort()).toEqual([DELETED_AT, SYNCED_AT, 'id'].sort());
        expect(first?.[SYNCED_AT]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00$/);
        expect(first?.[DELETED_AT]).toBeNull();
      });
    });

    describe('describeRelation', () => {
      it('gives tables and views their kind and every column, metadata columns included, named as query names them', async () => {
        nextSchema();
        const raw = table('raw_sales', { id: t.integer, cliente: t.text(255), valor: t.decimal(10, 2) });
        await warehouse.ensureTable(raw);
        await warehouse.load({
          table: raw,
          mode: 'merge',
          columns: ['id', 'cliente', 'valor'],
          files: [await chunk(raw, ['id', 'cliente', 'valor'], "SELECT 1 AS id, 'Ana' AS cliente, 9.5 AS valor")],
        });
        const described = await warehouse.describeRelation(raw);
        expect(described?.kind).toBe('table');
        expect(sortByName((described?.columns ?? []).map(({ name, type }) => ({ name, type })))).toEqual(
          sortByName([
            { name: 'id', type: t.integer },
            { name: 'cliente', type: t.text(255) },
            { name: 'valor', type: t.decimal(10, 2) },
            { name: SYNCED_AT, type: t.timestamptz },
          ]),
        );
        // A model built on it, and a view on the model: columns in the relation's order.
        const { dialect } = warehouse;
        const model = { schema, name: 'model_sales' };
        const view = { schema, name: 'model_sales_view' };
        await warehouse.execute(
          dialect.createOrReplaceTableAs(model, `SELECT cliente, id, ${SYNCED_AT} FROM ${dialect.qualify(raw)}`),
        );
        await warehouse.execute(dialect.createOrReplaceView(view, `SELECT id, cliente FROM ${dialect.qualify(model)}`));
        const modelState = await warehouse.describeRelation(model);
        expect(modelState?.kind).toBe('table');
        expect(modelState?.columns.map((c) => c.name)).toEqual(['cliente', 'id', SYNCED_AT]);
        const [modelRow] = await warehouse.query(`SELECT * FROM ${dialect.qualify(model)}`);
        expect(Object.keys(modelRow ?? {})).toEqual(modelState?.columns.map((c) => c.name));
        const viewState = await warehouse.describeRelation(view);
        expect(viewState?.kind).toBe('view');
        expect(viewState?.columns.map((c) => c.name)).toEqual(['id', 'cliente']);
        for (const column of [...(modelState?.columns ?? []), ...(viewState?.columns ?? [])]) {
          expect(column.dataType, column.name).toMatch(/\S/);
        }
        // The name is found the way a query written with it unquoted finds it.
        expect((await warehouse.describeRelation({ schema, name: 'MODEL_SALES' }))?.kind).toBe('table');
        expect(await warehouse.describeRelation({ schema, name: 'missing' })).toBeUndefined();
        expect(await warehouse.describeRelation({ schema: `${schema}_missing`, name: 'model_sales' })).toBeUndefined();
        // Where the engine answers the kind alone, it answers as the describe does.
        if (warehouse.relationKind) {
          const relations = [
            raw,
            model,
            view,
            { schema, name: 'MODEL_SALES' },
            { schema, name: 'missing' },
            { schema, name: "model_sales' OR 'a' = 'a" },
          ];
          const kinds = await Promise.all(relations.map((relation) => warehouse.relationKind?.(relation)));
          expect(kinds).toEqual(['table', 'table', 'view', 'table', undefined, undefined]);
          expect(await warehouse.relationKind({ schema: `${schema}_missing`, name: 'model_sales' })).toBeUndefined();
        }
      });
    });

    describe('load', () => {
      it('merge inserts new keys and updates known ones, and says how many of each', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        const first = await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [
            await chunk(
              tbl,
              salesColumns,
              salesRows(
                [
                  row(1, 'Ana', '100.10', '2024-01-01 10:00:00'),
                  row(2, 'Bia', '200.20', '2024-01-01 10:00:00'),
                  row(3, 'Caio', '300.30', '2024-01-01 10:00:00'),
                ].join(','),
              ),
            ),
          ],
        });
        expect(first).toMatchObject({ rowsStaged: 3, rowsMerged: 3, inserted: 3, updated: 0, deleted: 0 });
        const second = await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [
            await chunk(
              tbl,
              salesColumns,
              salesRows(
                [
                  row(2, 'Bia Nova', '222.22', '2024-01-02 10:00:00.000001'),
                  row(4, 'Duda', '400.40', '2024-01-02 11:00:00'),
                ].join(','),
              ),
            ),
          ],
        });
        expect(second).toMatchObject({ rowsStaged: 2, rowsMerged: 2, inserted: 1, updated: 1, deleted: 0 });
        const loaded = await rows(tbl);
        expect(loaded.map((r) => [r.id, r.cliente, canonicalDecimal(r.valor), r.atualizado])).toEqual([
          [1, 'Ana', '100.1', '2024-01-01 10:00:00.000000'],
          [2, 'Bia Nova', '222.22', '2024-01-02 10:00:00.000001'],
          [3, 'Caio', '300.3', '2024-01-01 10:00:00.000000'],
          [4, 'Duda', '400.4', '2024-01-02 11:00:00.000000'],
        ]);
        expect(loaded.every((r) => typeof r[SYNCED_AT] === 'string')).toBe(true);
      });

      it('keeps columns the request does not write: untouched on update, NULL on insert', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [await chunk(tbl, salesColumns, salesRows(row(1, 'Ana', '1.00', '2024-01-01 00:00:00')))],
        });
        const partial = ['id', 'valor'];
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: partial,
          files: [
            await chunk(
              tbl,
              partial,
              `SELECT * FROM (VALUES (1, 2.50::numeric(10,2)), (2, 3.00::numeric(10,2))) AS v(id, valor)`,
            ),
          ],
        });
        const loaded = await rows(tbl);
        expect(loaded.map((r) => [r.id, r.cliente, canonicalDecimal(r.valor), r.atualizado])).toEqual([
          [1, 'Ana', '2.5', '2024-01-01 00:00:00.000000'],
          [2, null, '3', null],
        ]);
      });

      it('keeps the newest row of each key: newestBy descending, then the later file and row', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        const older = await chunk(
          tbl,
          salesColumns,
          salesRows(
            [
              row(1, 'newest by time', '1', '2024-01-02 00:00:00'),
              row(2, 'first of equals', '2', '2024-01-01 00:00:00'),
            ].join(','),
          ),
        );
        const newer = await chunk(
          tbl,
          salesColumns,
          salesRows(
            [
              row(1, 'older by time', '1', '2024-01-01 00:00:00'),
              row(2, 'second of equals', '2', '2024-01-01 00:00:00'),
              row(2, 'last of equals', '2', '2024-01-01 00:00:00'),
            ].join(','),
          ),
        );
        const byTime = await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          newestBy: ['atualizado'],
          files: [older, newer],
        });
        expect(byTime).toMatchObject({ rowsStaged: 5, rowsMerged: 2, inserted: 2, updated: 0 });
        expect((await rows(tbl)).map((r) => r.cliente)).toEqual(['newest by time', 'last of equals']);
        // Without newestBy the later file (and within it the later row) wins.
        const byOrder = await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [older, newer],
        });
        // Key 1 changes; key 2's winning row is the one the table holds already: not an update.
        expect(byOrder).toMatchObject({ rowsStaged: 5, rowsMerged: 2, inserted: 0, updated: 1 });
        expect((await rows(tbl)).map((r) => r.cliente)).toEqual(['older by time', 'last of equals']);
        const backwards = await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [newer, older],
        });
        expect(backwards.rowsMerged).toBe(2);
        expect((await rows(tbl)).map((r) => r.cliente)).toEqual(['newest by time', 'first of equals']);
      });

      it('a repeated load is harmless: same table, no key twice', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        const file = await chunk(
          tbl,
          salesColumns,
          `SELECT g AS id, 'c' || g AS cliente, (g * 1.25)::numeric(10,2) AS valor, '2024-01-01'::timestamp + g * interval '1 second' AS atualizado FROM generate_series(1, 500) AS g`,
        );
        const request = { table: tbl, mode: 'merge' as const, columns: salesColumns, files: [file] };
        await warehouse.load(request);
        const once = await rows(tbl);
        const again = await warehouse.load(request);
        // Rows read again with the values the table holds are not updates: nothing changed, nothing is rewritten.
        expect(again).toMatchObject({ rowsStaged: 500, rowsMerged: 500, inserted: 0, updated: 0 });
        const twice = await rows(tbl);
        expect(twice).toEqual(once);
        expect(twice).toHaveLength(500);
        const [counts] = await warehouse.query(
          `SELECT count(*) AS "n", count(DISTINCT ${warehouse.dialect.quoteIdentifier('id')}) AS "k" FROM ${warehouse.dialect.qualify(tbl)}`,
        );
        expect(Number(counts?.n)).toBe(500);
        expect(Number(counts?.k)).toBe(500);
      });

      it('replace makes the table exactly the rows of the files, atomically', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [
            await chunk(
              tbl,
              salesColumns,
              salesRows(
                [
                  row(1, 'a', '1', '2024-01-01 00:00:00'),
                  row(2, 'b', '2', '2024-01-01 00:00:00'),
                  row(3, 'c', '3', '2024-01-01 00:00:00'),
                ].join(','),
              ),
            ),
          ],
        });
        const result = await warehouse.load({
          table: tbl,
          mode: 'replace',
          columns: salesColumns,
          files: [
            await chunk(
              tbl,
              salesColumns,
              salesRows([row(3, 'c2', '3', '2024-01-02 00:00:00'), row(4, 'd', '4', '2024-01-02 00:00:00')].join(',')),
            ),
          ],
        });
        expect(result).toMatchObject({ rowsStaged: 2, rowsMerged: 2 });
        expect((await rows(tbl)).map((r) => [r.id, r.cliente])).toEqual([
          [3, 'c2'],
          [4, 'd'],
        ]);
        // A replace with no files empties the table (the source table is empty).
        await warehouse.load({ table: tbl, mode: 'replace', columns: salesColumns, files: [] });
        expect(await rows(tbl)).toEqual([]);
      });

      it('append inserts every row (tables without a primary key)', async () => {
        nextSchema();
        const tbl = table('events', { id: t.integer, what: t.text() }, []);
        await warehouse.ensureTable(tbl);
        const file = await chunk(
          tbl,
          ['id', 'what'],
          `SELECT * FROM (VALUES (1, 'a'), (1, 'a'), (2, 'b')) AS v(id, what)`,
        );
        const first = await warehouse.load({ table: tbl, mode: 'append', columns: ['id', 'what'], files: [file] });
        expect(first).toMatchObject({ rowsStaged: 3, inserted: 3, updated: 0 });
        await warehouse.load({ table: tbl, mode: 'append', columns: ['id', 'what'], files: [file] });
        expect(await keysOf(tbl)).toEqual([1, 1, 1, 1, 2, 2]);
        await expect(
          warehouse.load({ table: tbl, mode: 'merge', columns: ['id', 'what'], files: [file] }),
        ).rejects.toMatchObject({
          code: 'INVALID_LOAD_REQUEST',
        });
      });

      it('deletes the keys listed in the deletes files, in the same load', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [
            await chunk(
              tbl,
              salesColumns,
              salesRows([1, 2, 3].map((i) => row(i, 'x', '1', '2024-01-01 00:00:00')).join(',')),
            ),
          ],
        });
        const result = await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [await chunk(tbl, salesColumns, salesRows(row(4, 'y', '1', '2024-01-01 00:00:00')))],
          deletes: {
            mode: 'delete',
            files: [await chunk(tbl, ['id'], 'SELECT * FROM (VALUES (2), (3), (99)) AS v(id)')],
          },
        });
        expect(result).toMatchObject({ inserted: 1, updated: 0, deleted: 2 });
        expect(await keysOf(tbl)).toEqual([1, 4]);
      });

      it('marks deleted keys with _sluice_deleted_at (mode mark), and clears the mark when the key comes back', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl, { softDelete: true });
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [
            await chunk(
              tbl,
              salesColumns,
              salesRows([1, 2].map((i) => row(i, 'x', '1', '2024-01-01 00:00:00')).join(',')),
            ),
          ],
        });
        const marked = await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [],
          deletes: { mode: 'mark', files: [await chunk(tbl, ['id'], 'SELECT 2 AS id')] },
        });
        expect(marked.deleted).toBe(1);
        const afterMark = await rows(tbl);
        expect(afterMark.map((r) => [r.id, r[DELETED_AT] === null])).toEqual([
          [1, true],
          [2, false],
        ]);
        expect(afterMark[1]?.[DELETED_AT]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00$/);
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [await chunk(tbl, salesColumns, salesRows(row(2, 'back', '1', '2024-01-03 00:00:00')))],
        });
        expect((await rows(tbl)).map((r) => [r.id, r.cliente, r[DELETED_AT]])).toEqual([
          [1, 'x', null],
          [2, 'back', null],
        ]);
      });

      it('a failure midway leaves the table unchanged: bad file, bad deletes file, missing file', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [
            await chunk(
              tbl,
              salesColumns,
              salesRows([1, 2].map((i) => row(i, 'x', '1', '2024-01-01 00:00:00')).join(',')),
            ),
          ],
        });
        const before = await rows(tbl);
        const good = await chunk(
          tbl,
          salesColumns,
          salesRows(
            [row(1, 'changed', '5', '2024-01-05 00:00:00'), row(3, 'new', '5', '2024-01-05 00:00:00')].join(','),
          ),
        );
        const bad = await rawChunk('4,ok,1.00,2024-01-01 00:00:00\nnot-a-number,bad,1.00,2024-01-01 00:00:00\n', 2);
        for (const mode of ['merge', 'replace', 'append'] as const) {
          await expect(
            warehouse.load({ table: tbl, mode, columns: salesColumns, files: [good, bad] }),
          ).rejects.toHaveProperty('code');
          expect(await rows(tbl)).toEqual(before);
        }
        const badKeys = await rawChunk('2\nnope\n', 2);
        await expect(
          warehouse.load({
            table: tbl,
            mode: 'merge',
            columns: salesColumns,
            files: [good],
            deletes: { mode: 'delete', files: [badKeys] },
          }),
        ).rejects.toHaveProperty('code');
        expect(await rows(tbl)).toEqual(before);
        const missing = { ...good, path: path.join(dir.path, 'does-not-exist.csv') };
        await expect(
          warehouse.load({ table: tbl, mode: 'merge', columns: salesColumns, files: [good, missing] }),
        ).rejects.toMatchObject({
          code: 'INVALID_LOAD_REQUEST',
        });
        expect(await rows(tbl)).toEqual(before);
        // A truncated record (a quote never closed) is an error too, not a shorter load.
        const truncated = await rawChunk('5,"unterminated,1.00,2024-01-01 00:00:00\n', 1);
        await expect(
          warehouse.load({ table: tbl, mode: 'merge', columns: salesColumns, files: [truncated] }),
        ).rejects.toHaveProperty('code');
        expect(await rows(tbl)).toEqual(before);
      });

      it('rejects requests that do not fit the table', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        const file = await chunk(tbl, salesColumns, salesRows(row(1, 'x', '1', '2024-01-01 00:00:00')));
        await expect(
          warehouse.load({ table: tbl, mode: 'merge', columns: [...salesColumns, 'nope'], files: [file] }),
        ).rejects.toMatchObject({
          code: 'INVALID_LOAD_REQUEST',
        });
        await expect(
          warehouse.load({ table: tbl, mode: 'merge', columns: ['cliente', 'valor'], files: [file] }),
        ).rejects.toMatchObject({
          code: 'INVALID_LOAD_REQUEST',
        });
        const unknown = table('not_created', { id: t.integer });
        await expect(
          warehouse.load({ table: unknown, mode: 'merge', columns: ['id'], files: [file] }),
        ).rejects.toMatchObject({
          code: 'INVALID_LOAD_REQUEST',
        });
      });

      // The rules of the shared `validateLoad` (@sluice/warehouse), the same for every engine.
      it('refuses a column listed twice, Sluice’s own metadata columns, and deletes with append', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl, { softDelete: true });
        const file = await chunk(tbl, salesColumns, salesRows(row(1, 'x', '1', '2024-01-01 00:00:00')));
        const before = await rows(tbl);
        const refused = (request: Parameters<Warehouse['load']>[0]) =>
          expect(warehouse.load(request)).rejects.toMatchObject({
            code: 'INVALID_LOAD_REQUEST',
            table: `${schema}.vendas`,
          });
        await refused({ table: tbl, mode: 'merge', columns: [...salesColumns, 'cliente'], files: [file] });
        const withSyncedAt: TableSchema = {
          ...tbl,
          columns: [...tbl.columns, { name: SYNCED_AT, type: t.timestamptz, nullable: true }],
        };
        await refused({ table: withSyncedAt, mode: 'merge', columns: [...salesColumns, SYNCED_AT], files: [file] });
        const keys = await rawChunk('1\n', 1);
        await refused({
          table: tbl,
          mode: 'append',
          columns: salesColumns,
          files: [file],
          deletes: { mode: 'delete', files: [keys] },
        });
        expect(await rows(tbl)).toEqual(before);
      });
    });

    describe('state', () => {
      const value = (cursor: string) => ({
        cursor: [cursor, '17'],
        note: `quotes ' " and a backslash \\ , a newline\n and ünïcödé ✓`,
        nested: { flag: true, none: null, list: ['a', 'b'], count: 12 },
      });

      it('a schema without a state table reads as missing; writes create it; namespaces are separate', async () => {
        nextSchema();
        expect(await warehouse.readState(schema, 'ingest')).toEqual({ entries: [], source: 'missing' });
        await warehouse.writeState({
          schema,
          runId: 'run-1',
          writes: [
            { namespace: 'ingest', key: 'public.vendas', value: value('2024-01-01 00:00:00+00'), version: 1 },
            { namespace: 'ingest', key: 'public.clientes', value: { digest: 'abc' }, version: 1 },
            { namespace: 'build', key: 'model.x', value: { fingerprint: 'f' }, version: 1 },
          ],
        });
        const read = await warehouse.readState(schema, 'ingest');
        expect(read.source).toBe('warehouse');
        expect(
          read.entries.map(({ namespace, key, value: v, version, runId }) => ({ namespace, key, v, version, runId })),
        ).toEqual([
          { namespace: 'ingest', key: 'public.clientes', v: { digest: 'abc' }, version: 1, runId: 'run-1' },
          {
            namespace: 'ingest',
            key: 'public.vendas',
            v: value('2024-01-01 00:00:00+00'),
            version: 1,
            runId: 'run-1',
          },
        ]);
        expect(read.entries[0]?.writtenAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
        expect((await warehouse.readState(schema, 'build')).entries.map((e) => e.key)).toEqual(['model.x']);
        // A new version replaces the entry; a null value removes it.
        await warehouse.writeState({
          schema,
          runId: 'run-2',
          writes: [
            { namespace: 'ingest', key: 'public.vendas', value: value('2024-02-01 00:00:00+00'), version: 2 },
            { namespace: 'ingest', key: 'public.clientes', value: null, version: 2 },
          ],
        });
        const after = await warehouse.readState(schema, 'ingest');
        expect(after.entries.map((e) => [e.key, e.version, e.runId, e.value])).toEqual([
          ['public.vendas', 2, 'run-2', value('2024-02-01 00:00:00+00')],
        ]);
      });

      it('a load writes its state in the same transaction: both, or — when the load fails — neither', async () => {
        nextSchema();
        const tbl = sales();
        await warehouse.ensureTable(tbl);
        const write = (version: number, cursor: string) => ({
          schema,
          runId: `run-${version}`,
          writes: [{ namespace: 'ingest', key: 'public.vendas', value: value(cursor), version }],
        });
        const first = await chunk(tbl, salesColumns, salesRows(row(1, 'a', '1', '2024-01-01 00:00:00')));
        await warehouse.load({
          table: tbl,
          mode: 'replace',
          columns: salesColumns,
          files: [first],
          state: write(1, 'one'),
        });
        expect(await keysOf(tbl)).toEqual([1]);
        const stateAfterFirst = (await warehouse.readState(schema, 'ingest')).entries;
        expect(stateAfterFirst.map((e) => [e.version, e.value])).toEqual([[1, value('one')]]);
        // A failing load: neither its rows nor its state.
        const good = await chunk(tbl, salesColumns, salesRows(row(2, 'b', '2', '2024-01-02 00:00:00')));
        const bad = await rawChunk('3,ok,1.00,2024-01-01 00:00:00\nnot-a-number,bad,1.00,2024-01-01 00:00:00\n', 2);
        for (const mode of ['merge', 'replace', 'append'] as const) {
          await expect(
            warehouse.load({ table: tbl, mode, columns: salesColumns, files: [good, bad], state: write(2, 'two') }),
          ).rejects.toHaveProperty('code');
          expect(await keysOf(tbl)).toEqual([1]);
          expect((await warehouse.readState(schema, 'ingest')).entries).toEqual(stateAfterFirst);
        }
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [good],
          state: write(2, 'two'),
        });
        expect(await keysOf(tbl)).toEqual([1, 2]);
        expect((await warehouse.readState(schema, 'ingest')).entries.map((e) => [e.version, e.value])).toEqual([
          [2, value('two')],
        ]);
        // A load with no rows to write still writes its state.
        await warehouse.load({ table: tbl, mode: 'merge', columns: salesColumns, files: [], state: write(3, 'three') });
        expect((await warehouse.readState(schema, 'ingest')).entries.map((e) => e.version)).toEqual([3]);
        // A repeated write of the same version is harmless (a retried load).
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: salesColumns,
          files: [good],
          state: write(3, 'three'),
        });
        expect((await warehouse.readState(schema, 'ingest')).entries.map((e) => [e.version, e.value])).toEqual([
          [3, value('three')],
        ]);
        expect(await keysOf(tbl)).toEqual([1, 2]);
      });

      it('parallel loads of different tables each commit their own state', async () => {
        nextSchema();
        const tables = ['a', 'b', 'c', 'd'].map((n) => ({ ...sales(), name: `t_${n}` }));
        await Promise.all(tables.map((tbl) => warehouse.ensureTable(tbl)));
        const files: ChunkFile[] = [];
        for (const [i, tbl] of tables.entries()) {
          files.push(await chunk(tbl, salesColumns, salesRows(row(i + 1, tbl.name, '1', '2024-01-01 00:00:00'))));
        }
        await Promise.all(
          tables.map(async (tbl, i) =>
            warehouse.load({
              table: tbl,
              mode: 'replace',
              columns: salesColumns,
              files: [files[i] as ChunkFile],
              state: {
                schema,
                runId: 'run-p',
                writes: [{ namespace: 'ingest', key: tbl.name, value: { loaded: tbl.name }, version: 1 }],
              },
            }),
          ),
        );
        const entries = (await warehouse.readState(schema, 'ingest')).entries;
        expect(entries.map((e) => [e.key, e.value])).toEqual(tables.map((tbl) => [tbl.name, { loaded: tbl.name }]));
        for (const [i, tbl] of tables.entries()) expect(await keysOf(tbl)).toEqual([i + 1]);
      });

      it('answers from the table, whatever stale copy the caller offers', async () => {
        nextSchema();
        const write = (version: number) => ({
          schema,
          runId: `run-${version}`,
          writes: [{ namespace: 'ingest', key: 'k', value: { v: String(version) }, version }],
        });
        await warehouse.writeState(write(1));
        const one = await warehouse.readState(schema, 'ingest');
        // The same entries offered back: the answer is the same, from the table or (where reading costs) the copy.
        const again = await warehouse.readState(schema, 'ingest', { cached: one.entries });
        expect(again.entries.map((e) => [e.key, e.version, e.value])).toEqual([['k', 1, { v: '1' }]]);
        await warehouse.writeState(write(2));
        // The copy of version 1 is stale now: never returned.
        const two = await warehouse.readState(schema, 'ingest', { cached: one.entries });
        expect(two.source).toBe('warehouse');
        expect(two.entries.map((e) => [e.key, e.version, e.value])).toEqual([['k', 2, { v: '2' }]]);
        // A copy with the right versions is trusted only where the engine can prove it current.
        const three = await warehouse.readState(schema, 'ingest', { cached: two.entries });
        expect(three.entries.map((e) => [e.key, e.version, e.value])).toEqual([['k', 2, { v: '2' }]]);
      });
    });

    describe('dialect', () => {
      it('divides integers rounding down and writes them as text (delete reconciliation’s key buckets)', async () => {
        const d = warehouse.dialect;
        const k = d.quoteIdentifier('k');
        const values = [-7, -6, 0, 7, 9_007_199_254_740_991];
        const rows = await warehouse.query(
          `SELECT ${d.castToText(k)} AS ${d.quoteIdentifier('key')}, ${d.castToText(d.floorDivide(k, '2'))} AS ${d.quoteIdentifier('bucket')}
          FROM (${values.map((v) => `SELECT CAST(${v} AS BIGINT) AS ${k}`).join(' UNION ALL ')}) AS ${d.quoteIdentifier('t')}`,
        );
        const buckets = Object.fromEntries(rows.map((r) => [String(r.key), r.bucket]));
        expect(buckets).toEqual({
          '-7': '-4',
          '-6': '-3',
          '0': '0',
          '7': '3',
          '9007199254740991': '4503599627370495',
        });
      });
    });

    describe('types', () => {
      it('round-trips every type exactly, from Postgres COPY to query', async () => {
        nextSchema();
        await source.withClient(async (client) => {
          await client.query(`DROP TYPE IF EXISTS mood CASCADE; CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`);
          await client.query(`DROP TABLE IF EXISTS types_src; CREATE TABLE types_src (
            id int PRIMARY KEY, small smallint, big bigint, money numeric(10,2), wide numeric(38,18), r real, d double precision,
            flag boolean, name varchar(255), code char(5), day date, at timestamp, instant timestamptz, clock time,
            span interval, guid uuid, doc json, docb jsonb, blob bytea, mood mood,
            ints int[], texts text[], amounts numeric(12,4)[], stamps timestamp[], flags boolean[], blobs bytea[], spans interval[])`);
          await client.query(`INSERT INTO types_src VALUES
            (1, -32768, 9223372036854775807, 12345678.90, 12345678901234567890.123456789012345678, 3.14159, 0.1,
             true, 'São Paulo — "SP", 東京 🚗', 'ab', '2024-02-29', '2024-01-02 03:04:05.123456',
             '2024-01-02 03:04:05.123456-03', '23:59:59.999999', '1 year 2 mons 3 days 04:05:06.000007', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
             '{"a": 3.14159265358979323846, "b" : [1, 2]}', '{"b": [1, 2], "a": 3.14159265358979323846}', '\\x00ff10', 'happy',
             '{1,NULL,-3}', '{"a,b","say \\"hi\\"",NULL,"","multi\nline"}', '{1.5000,NULL,-99999999.9999}',
             '{"2024-01-01 00:00:00.000001",NULL}', '{true,false,NULL}', '{"\\\\x00ff",NULL}', '{"1 day","24 hours","-1 mons 2 days -00:00:00.000001"}'),
            (2, 0, 42, -0.05, -0.000000000000000001, '-0', 1e300,
             false, '', '     ', '0001-01-01', '1970-01-01 00:00:00', '2000-06-30 23:59:59.999999+00', '00:00:00', '-1 days +02:00:00', NULL,
             'null', '[]', '\\x', 'sad',
             '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
            (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
        });
        const tbl = table('types', {
          id: t.integer,
          small: t.smallint,
          big: t.bigint,
          money: t.decimal(10, 2),
          wide: t.decimal(38, 18),
          r: t.real,
          d: t.double,
          flag: t.boolean,
          name: t.text(255),
          code: t.char(5),
          day: t.date,
          at: t.timestamp,
          instant: t.timestamptz,
          clock: t.time,
          span: t.interval,
          guid: t.uuid,
          doc: t.json,
          docb: t.json,
          blob: t.bytes,
          mood: t.enum('mood', ['sad', 'ok', 'happy']),
          ints: t.array(t.integer),
          texts: t.array(t.text()),
          amounts: t.array(t.decimal(12, 4)),
          stamps: t.array(t.timestamp),
          flags: t.array(t.boolean),
          blobs: t.array(t.bytes),
          spans: t.array(t.interval),
        });
        await warehouse.ensureTable(tbl);
        const columns = tbl.columns.map((c) => c.name);
        const result = await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns,
          files: [await chunk(tbl, columns, 'SELECT * FROM types_src')],
        });
        expect(result.rowsMerged).toBe(3);
        const [one, two, three] = await rows(tbl);
        const shaped = (r: Record<string, unknown> | undefined) => ({
          ...r,
          money: canonicalDecimal(r?.money),
          wide: canonicalDecimal(r?.wide),
          amounts: Array.isArray(r?.amounts) ? r.amounts.map(canonicalDecimal) : r?.amounts,
          blob: hex(r?.blob),
          blobs: Array.isArray(r?.blobs) ? r.blobs.map(hex) : r?.blobs,
          doc: exactOrCompactJson(r?.doc),
          docb: exactOrCompactJson(r?.docb),
          [SYNCED_AT]: undefined,
        });
        const json = (text: string) => ({ exactOrCompact: compactJson(text) });
        expect(shaped(one)).toEqual({
          id: 1,
          small: -32768,
          big: '9223372036854775807',
          money: '12345678.9',
          wide: '12345678901234567890.123456789012345678',
          // biome-ignore lint/suspicious/noApproximativeNumericConstant: the real the table holds, not π
          r: Math.fround(3.14159),
          d: 0.1,
          flag: true,
          name: 'São Paulo — "SP", 東京 🚗',
          code: 'ab   ',
          day: '2024-02-29',
          at: '2024-01-02 03:04:05.123456',
          instant: '2024-01-02 06:04:05.123456+00',
          clock: '23:59:59.999999',
          span: '14 months 3 days 14706000007 microseconds',
          guid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
          doc: json('{"a": 3.14159265358979323846, "b" : [1, 2]}'),
          docb: json('{"a": 3.14159265358979323846, "b": [1, 2]}'),
          blob: '00ff10',
          mood: 'happy',
          ints: [1, null, -3],
          texts: ['a,b', 'say "hi"', null, '', 'multi\nline'],
          amounts: ['1.5', null, '-99999999.9999'],
          stamps: ['2024-01-01 00:00:00.000001', null],
          flags: [true, false, null],
          blobs: ['00ff', null],
          spans: [
            '0 months 1 days 0 microseconds',
            '0 months 0 days 86400000000 microseconds',
            '-1 months 2 days -1 microseconds',
          ],
          [SYNCED_AT]: undefined,
        });
        // json comes back as the source's exact text, or as the engine's compact rendering of the document
        for (const [value, source] of [
          [one?.doc, '{"a": 3.14159265358979323846, "b" : [1, 2]}'],
          [one?.docb, '{"a": 3.14159265358979323846, "b": [1, 2]}'],
          [two?.doc, 'null'],
          [two?.docb, '[]'],
        ] as const) {
          expect([source, compactJson(source)]).toContain(value);
        }
        expect(shaped(two)).toEqual({
          id: 2,
          small: 0,
          big: 42,
          money: '-0.05',
          wide: '-0.000000000000000001',
          r: -0,
          d: 1e300,
          flag: false,
          name: '',
          code: '     ',
          day: '0001-01-01',
          at: '1970-01-01 00:00:00.000000',
          instant: '2000-06-30 23:59:59.999999+00',
          clock: '00:00:00.000000',
          span: '0 months -1 days 7200000000 microseconds',
          guid: null,
          doc: json('null'),
          docb: json('[]'),
          blob: '',
          mood: 'sad',
          ints: [],
          texts: [],
          amounts: [],
          stamps: [],
          flags: [],
          blobs: [],
          spans: [],
          [SYNCED_AT]: undefined,
        });
        expect(Object.is(two?.r, -0)).toBe(true);
        const nulls = Object.fromEntries(columns.filter((c) => c !== 'id').map((c) => [c, null]));
        expect({ ...three, [SYNCED_AT]: undefined }).toEqual({ id: 3, ...nulls, [SYNCED_AT]: undefined });
      });

      it('keeps text exactly: empty string is not NULL; quotes, commas, newlines, backslashes and any Unicode survive', async () => {
        nextSchema();
        const values = [
          '',
          ' ',
          '\n',
          '\r\n',
          '"',
          '""',
          ',',
          'a,b',
          '\\',
          '\\N',
          'NULL',
          'null',
          '\t tab',
          "it's",
          '"quoted, with comma"\nand "newline"',
          'ação coração',
          '東京',
          '🚗🚕🚙',
          'e\u0301',
          '\u200d',
          'x'.repeat(100_000),
        ];
        const tbl = table('texts', { id: t.integer, v: t.text() });
        await warehouse.ensureTable(tbl);
        const file = await source
          .withClient(async (client) => {
            await client.query('DROP TABLE IF EXISTS texts_src; CREATE TABLE texts_src (id int, v text)');
            await client.query('INSERT INTO texts_src SELECT i, ($1::text[])[i] FROM generate_series(1, $2) AS i', [
              values,
              values.length,
            ]);
            await client.query('INSERT INTO texts_src VALUES (0, NULL)');
            return undefined;
          })
          .then(() => chunk(tbl, ['id', 'v'], 'SELECT * FROM texts_src'));
        await warehouse.load({ table: tbl, mode: 'merge', columns: ['id', 'v'], files: [file] });
        expect((await rows(tbl)).map((r) => r.v)).toEqual([null, ...values]);
      });

      it('keeps NaN and ±Infinity in float columns, and refuses them in decimal columns with UNREPRESENTABLE_VALUE', async () => {
        nextSchema();
        const floats = table('floats', { id: t.integer, r: t.real, d: t.double });
        await warehouse.ensureTable(floats);
        await warehouse.load({
          table: floats,
          mode: 'merge',
          columns: ['id', 'r', 'd'],
          files: [
            await chunk(
              floats,
              ['id', 'r', 'd'],
              `SELECT * FROM (VALUES (1, 'NaN'::real, 'NaN'::float8), (2, 'Infinity'::real, 'Infinity'::float8), (3, '-Infinity'::real, '-Infinity'::float8), (4, 1.5::real, 5e-324::float8)) AS v(id, r, d)`,
            ),
          ],
        });
        expect((await rows(floats)).map((r) => [r.r, r.d])).toEqual([
          [Number.NaN, Number.NaN],
          [Infinity, Infinity],
          [-Infinity, -Infinity],
          [1.5, 5e-324],
        ]);

        const decimals = table('decimals', { id: t.integer, amount: t.decimal(10, 2) });
        await warehouse.ensureTable(decimals);
        await warehouse.load({
          table: decimals,
          mode: 'merge',
          columns: ['id', 'amount'],
          files: [await chunk(decimals, ['id', 'amount'], `SELECT 1 AS id, 1.00::numeric AS amount`)],
        });
        for (const bad of ['NaN', 'Infinity', '-Infinity']) {
          const file = await chunk(
            decimals,
            ['id', 'amount'],
            `SELECT * FROM (VALUES (1, 2.00::numeric), (2, '${bad}'::numeric)) AS v(id, amount)`,
          );
          const error = await warehouse
            .load({ table: decimals, mode: 'merge', columns: ['id', 'amount'], files: [file] })
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          expect(error).toMatchObject({ code: 'UNREPRESENTABLE_VALUE' });
          expect((error as Error).message).toContain(`${schema}.decimals`);
          expect((error as Error).message).toContain('"amount"');
          expect((error as Error).message).toContain(bad);
        }
        expect((await rows(decimals)).map((r) => [r.id, canonicalDecimal(r.amount)])).toEqual([[1, '1']]);
      });

      it('stores unconstrained numeric exactly (20 integer and 18 fraction digits at least), or refuses a value it cannot hold', async () => {
        nextSchema();
        const tbl = table('numbers', { id: t.integer, n: t.decimal() });
        await warehouse.ensureTable(tbl);
        const exact = [
          '0',
          '1.5',
          '-12345678901234567890.123456789012345678',
          '99999999999999999999.999999999999999999',
          '0.000000000000000001',
          '3.14159265358979323800000',
        ];
        await warehouse.load({
          table: tbl,
          mode: 'merge',
          columns: ['id', 'n'],
          files: [
            await chunk(
              tbl,
              ['id', 'n'],
              `SELECT * FROM (VALUES ${exact.map((v, i) => `(${i + 1}, '${v}'::numeric)`).join(', ')}) AS v(id, n)`,
            ),
          ],
        });
        expect((await rows(tbl)).map((r) => canonicalDecimal(r.n))).toEqual(exact.map(canonicalDecimal));
        // A value with more digits than that: kept exactly, or refused — never rounded.
        const tooPrecise = '3.14159265358979323846264338327950288';
        const outcome = await warehouse
          .load({
            table: tbl,
            mode: 'merge',
            columns: ['id', 'n'],
            files: [await chunk(tbl, ['id', 'n'], `SELECT 1 AS id, ${tooPrecise}::numeric AS n`)],
          })
          .then(
            () => 'loaded',
            (e: unknown) => e,
          );
        const [first] = await rows(tbl);
        if (outcome === 'loaded') {
          expect(canonicalDecimal(first?.n)).toBe(tooPrecise);
        } else {
          expect(outcome).toMatchObject({ code: 'UNREPRESENTABLE_VALUE' });
          expect(canonicalDecimal(first?.n)).toBe('0');
        }
      });
    });
  });
}

/** A decimal value (string, number or bigint) in canonical form: no trailing fraction zeros, no `-0`. */
/** A JSON text without whitespace outside its strings (numbers, keys and their order untouched). */
export function compactJson(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")|\s+/g, (_, quoted: string | undefined) => quoted ?? '');
}

/**
 * A json value as the suite compares it: `{ exactOrCompact }` with its compact form, when it is a string (any other
 * shape stays as it is, and fails the comparison).
 */
function exactOrCompactJson(value: unknown): unknown {
  return typeof value === 'string' ? { exactOrCompact: compactJson(value) } : value;
}

export function canonicalDecimal(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  let text = String(value);
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return /^-0$/.test(text) ? '0' : text;
}

function hex(value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value;
}
