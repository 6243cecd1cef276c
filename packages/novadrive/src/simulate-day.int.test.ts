import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaDriveSchema } from './create-novadrive-schema.js';
import { generateNovaDrive } from './generate-novadrive.js';
import { novaDriveDayWindow } from './novadrive-clock.js';
import type { NovaDriveError } from './novadrive-error.js';
import { NOVADRIVE_PRIMARY_KEYS, NOVADRIVE_TABLES, type NovaDriveTable } from './novadrive-tables.js';
import { toCents } from './price-rule.js';
import { simulateDay, type DayChanges } from './simulate-day.js';

const SCALE = 3000;
const databases: TestDatabase[] = [];

async function freshNovaDrive(seed = 11): Promise<TestDatabase> {
  const db = await createTestDatabase('novadrive_day');
  databases.push(db);
  await db.withClient(async (client) => {
    await createNovaDriveSchema(client);
    await generateNovaDrive(client, { scale: SCALE, seed, analyze: false });
  });
  return db;
}

/** md5 of every row, by table and id. */
async function rowDigests(client: pg.Client): Promise<Map<NovaDriveTable, Map<number, string>>> {
  const all = new Map<NovaDriveTable, Map<number, string>>();
  for (const table of NOVADRIVE_TABLES) {
    const { rows } = await client.query<{ id: number; digest: string }>(
      `SELECT ${NOVADRIVE_PRIMARY_KEYS[table]} AS id, md5(t::text) AS digest FROM ${table} t`,
    );
    all.set(table, new Map(rows.map((row) => [row.id, row.digest])));
  }
  return all;
}

async function tableDigests(client: pg.Client): Promise<string[]> {
  const digests: string[] = [];
  for (const table of NOVADRIVE_TABLES) {
    const { rows } = await client.query<{ digest: string }>(
      `SELECT md5(string_agg(t::text, E'\\n' ORDER BY ${NOVADRIVE_PRIMARY_KEYS[table]})) AS digest FROM ${table} t`,
    );
    digests.push(rows[0]?.digest ?? '');
  }
  return digests;
}

/** List-price history per vehicle: [valid from (null = always), cents], oldest first. */
type PriceHistory = Map<number, [string | null, number][]>;

async function startPriceHistory(client: pg.Client): Promise<PriceHistory> {
  const { rows } = await client.query<{ id: number; valor: string }>(
    'SELECT id_veiculos AS id, valor::text AS valor FROM veiculos',
  );
  return new Map(rows.map((row) => [row.id, [[null, toCents(row.valor)]]]));
}

async function recordPriceChanges(client: pg.Client, history: PriceHistory, changes: DayChanges): Promise<void> {
  const { rows } = await client.query<{ id: number; valor: string; since: string }>(
    'SELECT id_veiculos AS id, valor::text AS valor, data_atualizacao::text AS since FROM veiculos WHERE id_veiculos = ANY($1)',
    [changes.tables.veiculos.updated],
  );
  for (const row of rows) history.get(row.id)?.push([row.since, toCents(row.valor)]);
}

/** Sales whose valor_pago is outside 95–100% of the list price valid at their data_venda. */
async function priceRuleViolations(client: pg.Client, history: PriceHistory): Promise<number[]> {
  const { rows } = await client.query<{ id: number; vehicle: number; paid: string; sold: string }>(
    'SELECT id_vendas AS id, id_veiculos AS vehicle, valor_pago::text AS paid, data_venda::text AS sold FROM vendas',
  );
  return rows
    .filter((row) => {
      const versions = history.get(row.vehicle) ?? [];
      const valid = versions.filter(([since]) => since === null || since <= row.sold).at(-1);
      const paid = toCents(row.paid);
      return !valid || paid > valid[1] || paid * 100 < valid[1] * 95;
    })
    .map((row) => row.id);
}

async function orphans(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT ((SELECT count(*) FROM vendas s WHERE NOT EXISTS (SELECT 1 FROM clientes c WHERE c.id_clientes = s.id_clientes))
           + (SELECT count(*) FROM vendas s WHERE NOT EXISTS (SELECT 1 FROM veiculos v WHERE v.id_veiculos = s.id_veiculos))
           + (SELECT count(*) FROM vendas s WHERE NOT EXISTS (SELECT 1 FROM vendedores v WHERE v.id_vendedores = s.id_vendedores))
           + (SELECT count(*) FROM clientes c WHERE NOT EXISTS (SELECT 1 FROM concessionarias d WHERE d.id_concessionarias = c.id_concessionarias)))::int AS n`,
  );
  return rows[0]?.n ?? -1;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await freshNovaDrive();
});
afterAll(async () => {
  for (const each of databases) await each.drop();
});

describe('simulateDay', () => {
  it('changes exactly the rows it reports, inside the day window, later than everything before', async () => {
    await db.withClient(async (client) => {
      const before = await rowDigests(client);
      const latestBefore = (
        await client.query<{ t: string }>(
          `SELECT greatest((SELECT max(greatest(data_venda, data_inclusao, data_atualizacao)) FROM vendas),
                         (SELECT max(greatest(data_inclusao, data_atualizacao)) FROM clientes))::text AS t`,
        )
      ).rows[0]?.t as string;

      const changes = await simulateDay(client, { seed: 11, day: 1 });
      expect(changes.window).toEqual(novaDriveDayWindow(1));
      expect(changes.window.from > latestBefore).toBe(true);
      // Day sizes follow the data: ~0.7% new sales, 0.2% corrections, 0.05% deletes at this scale.
      expect(changes.counts.vendas).toEqual({ inserted: 21, updated: 6, deleted: 2 });
      expect(changes.counts.clientes.inserted).toBe(13);
      expect(changes.counts.clientes.updated).toBeGreaterThan(0);
      expect(changes.counts.clientes.deleted).toBeGreaterThan(0);
      expect(changes.counts.veiculos.updated).toBe(2);
      for (const table of ['estados', 'cidades', 'concessionarias', 'vendedores'] as const) {
        expect(changes.counts[table]).toEqual({ inserted: 0, updated: 0, deleted: 0 });
      }

      const after = await rowDigests(client);
      for (const table of NOVADRIVE_TABLES) {
        const change = changes.tables[table];
        const old = before.get(table) as Map<number, string>;
        const now = after.get(table) as Map<number, string>;
        for (const id of change.inserted) expect(old.has(id) || !now.has(id), `${table} ${id} inserted`).toBe(false);
        for (const id of change.deleted) expect(old.has(id) && !now.has(id), `${table} ${id} deleted`).toBe(true);
        for (const id of change.updated) expect(now.get(id), `${table} ${id} updated`).not.toBe(old.get(id));
        const touched = new Set([...change.inserted, ...change.updated, ...change.deleted]);
        for (const [id, digest] of old)
          if (!touched.has(id)) expect(now.get(id), `${table} ${id} untouched`).toBe(digest);
        expect(now.size).toBe(old.size + change.inserted.length - change.deleted.length);
      }

      const { from, to } = changes.window;
      const inWindow = async (sql: string, ids: readonly number[]) =>
        (await client.query<{ n: number }>(sql, [ids, from, to])).rows[0]?.n;
      expect(
        await inWindow(
          `SELECT count(*)::int AS n FROM vendas WHERE id_vendas = ANY($1) AND data_atualizacao IS NULL
           AND data_venda >= $2::timestamp AND data_inclusao >= data_venda AND data_inclusao < $3::timestamp`,
          changes.tables.vendas.inserted,
        ),
      ).toBe(21);
      expect(
        await inWindow(
          `SELECT count(*)::int AS n FROM vendas WHERE id_vendas = ANY($1) AND data_atualizacao >= $2::timestamp AND data_atualizacao < $3::timestamp`,
          changes.tables.vendas.updated,
        ),
      ).toBe(6);
      expect(
        await inWindow(
          `SELECT count(*)::int AS n FROM clientes WHERE id_clientes = ANY($1) AND data_atualizacao >= $2::timestamp AND data_atualizacao < $3::timestamp`,
          changes.tables.clientes.updated,
        ),
      ).toBe(changes.counts.clientes.updated);
      expect(
        await inWindow(
          `SELECT count(*)::int AS n FROM veiculos WHERE id_veiculos = ANY($1) AND data_atualizacao >= $2::timestamp AND data_atualizacao < $3::timestamp`,
          changes.tables.veiculos.updated,
        ),
      ).toBe(2);
      // Some of today's new customers bought nothing.
      expect(
        await inWindow(
          `SELECT count(*)::int AS n FROM clientes c WHERE id_clientes = ANY($1) AND data_inclusao >= $2::timestamp AND data_inclusao < $3::timestamp
           AND NOT EXISTS (SELECT 1 FROM vendas s WHERE s.id_clientes = c.id_clientes)`,
          changes.tables.clientes.inserted,
        ),
      ).toBeGreaterThan(0);

      // A second day-1 would write timestamps that are no longer new.
      const again = await simulateDay(client, { seed: 11, day: 1 }).catch((e: unknown) => e);
      expect((again as NovaDriveError).code).toBe('DAY_ALREADY_PASSED');
      expect((again as NovaDriveError).message).toMatch(/simulate day 2 or later/);
    });
  });

  it('keeps the foreign keys and the price rule (at the price valid when sold) over several days', async () => {
    const fresh = await freshNovaDrive(12);
    await fresh.withClient(async (client) => {
      const history = await startPriceHistory(client);
      for (let day = 1; day <= 4; day += 1) {
        const changes = await simulateDay(client, { seed: 12, day, priceUpdates: 8, saleCorrections: 40 });
        expect(changes.counts.veiculos.updated).toBe(8);
        expect(changes.counts.vendas.updated).toBe(40);
        await recordPriceChanges(client, history, changes);
      }
      expect(await priceRuleViolations(client, history)).toEqual([]);
      expect(await orphans(client)).toBe(0);
    });
  });

  it('is deterministic for a seed and a day', async () => {
    const [a, b] = [await freshNovaDrive(13), await freshNovaDrive(13)];
    const run = (database: TestDatabase) =>
      database.withClient(async (client) => {
        const days = [
          await simulateDay(client, { seed: 5, day: 1 }),
          await simulateDay(client, { seed: 5, day: 2, sameTimestamp: 3 }),
        ];
        return { days, digests: await tableDigests(client) };
      });
    const [first, second] = [await run(a), await run(b)];
    expect(second).toEqual(first);

    const other = await b.withClient((client) => simulateDay(client, { seed: 6, day: 3 }));
    const same = await a.withClient((client) => simulateDay(client, { seed: 5, day: 3 }));
    expect(other.tables).not.toEqual(same.tables);
  });

  it.each(['vendas', 'clientes', 'veiculos'] as const)(
    'sameTimestamp stamps that many %s rows with one shared, latest value',
    async (table) => {
      const fresh = await freshNovaDrive(14);
      await fresh.withClient(async (client) => {
        const n = table === 'veiculos' ? 6 : 25;
        const changes = await simulateDay(client, { seed: 14, day: 1, sameTimestamp: n, sameTimestampTable: table });
        const shared = changes.sharedTimestamp;
        expect(shared?.table).toBe(table);
        expect(shared?.ids).toHaveLength(n);
        const key = NOVADRIVE_PRIMARY_KEYS[table];
        const { rows } = await client.query<{ ids: number[]; latest: string }>(
          `SELECT array_agg(${key} ORDER BY ${key}) FILTER (WHERE data_atualizacao = $1::timestamp) AS ids,
                max(greatest(data_atualizacao, data_inclusao))::text AS latest FROM ${table}`,
          [shared?.value],
        );
        expect(rows[0]?.ids).toEqual(shared?.ids);
        if (table !== 'veiculos') expect(rows[0]?.latest).toBe(shared?.value);
        for (const id of shared?.ids ?? []) expect(changes.tables[table].updated).toContain(id);
      });
    },
  );

  it('takes explicit sizes and an explicit start, and validates them', async () => {
    const fresh = await freshNovaDrive(15);
    await fresh.withClient(async (client) => {
      const changes = await simulateDay(client, {
        seed: 1,
        day: 30,
        at: '2025-03-01 08:00:00',
        newSales: 0,
        newCustomers: 5,
        priceUpdates: 0,
        addressUpdates: 0,
        saleCorrections: 0,
        saleDeletes: 0,
        customerDeletes: 0,
      });
      expect(changes.window).toEqual({ from: '2025-03-01 08:00:00.000000', to: '2025-03-02 08:00:00.000000' });
      expect(changes.counts.clientes).toEqual({ inserted: 5, updated: 0, deleted: 0 });
      expect(changes.counts.vendas).toEqual({ inserted: 0, updated: 0, deleted: 0 });

      await expect(simulateDay(client, { seed: 1, day: 0 })).rejects.toThrow(/day must be an integer/);
      await expect(simulateDay(client, { seed: 1, day: 70, newSales: -1 })).rejects.toThrow(
        /newSales must be an integer/,
      );
      await expect(
        simulateDay(client, { seed: 1, day: 70, sameTimestamp: 500, sameTimestampTable: 'veiculos' }),
      ).rejects.toThrow(/sameTimestamp asks for 500 vehicles/);
      // The failed day left nothing behind: day 70 can still run.
      const later = await simulateDay(client, { seed: 1, day: 70 });
      expect(later.counts.vendas.inserted).toBeGreaterThan(0);
    });
  });
});
