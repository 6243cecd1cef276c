import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaDriveSchema } from './create-novadrive-schema.js';
import { generateNovaDrive, type GenerateNovaDriveResult } from './generate-novadrive.js';
import { NOVADRIVE_CALENDAR } from './novadrive-clock.js';
import type { NovaDriveError } from './novadrive-error.js';
import { novaDriveSizes } from './novadrive-sizes.js';
import { NOVADRIVE_PRIMARY_KEYS, NOVADRIVE_TABLES } from './novadrive-tables.js';
import { VEHICLE_TYPES } from './vehicle-catalog.js';

const SCALE = 3000;

/** md5 of each table's rows in key order. */
async function tableDigests(client: pg.Client): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const table of NOVADRIVE_TABLES) {
    const { rows } = await client.query<{ digest: string }>(
      `SELECT md5(string_agg(t::text, E'\\n' ORDER BY ${NOVADRIVE_PRIMARY_KEYS[table]})) AS digest FROM ${table} t`,
    );
    digests[table] = rows[0]?.digest ?? '';
  }
  return digests;
}

async function freshNovaDrive(
  seed: number,
): Promise<{ db: TestDatabase; result: GenerateNovaDriveResult; digests: Record<string, string> }> {
  const db = await createTestDatabase('novadrive_gen');
  return db.withClient(async (client) => {
    await createNovaDriveSchema(client);
    const result = await generateNovaDrive(client, { scale: SCALE, seed });
    return { db, result, digests: await tableDigests(client) };
  });
}

const databases: TestDatabase[] = [];
let first: Awaited<ReturnType<typeof freshNovaDrive>>;

beforeAll(async () => {
  first = await freshNovaDrive(42);
  databases.push(first.db);
});
afterAll(async () => {
  for (const db of databases) await db.drop();
});

describe('generateNovaDrive', () => {
  it('loads the sizes novaDriveSizes promises', () => {
    expect(first.result.rows).toEqual(novaDriveSizes({ scale: SCALE, seed: 42 }).rows);
    expect(first.result.customersWithoutSales).toBe(
      first.result.rows.clientes - novaDriveSizes({ scale: SCALE, seed: 42 }).buyers,
    );
  });

  it('is deterministic: same seed ⇒ identical rows in every table; another seed ⇒ different rows', async () => {
    const again = await freshNovaDrive(42);
    databases.push(again.db);
    expect(again.digests).toEqual(first.digests);

    const other = await freshNovaDrive(43);
    databases.push(other.db);
    for (const table of NOVADRIVE_TABLES) {
      // estados holds the same states in the same order; only its timestamps follow the seed.
      expect(other.digests[table], table).not.toBe(first.digests[table]);
    }
  });

  it('obeys the value rules', async () => {
    await first.db.withClient(async (client) => {
      const one = async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql)).rows[0] as T;

      const prices = await one<{ above: number; below: number; sales: number }>(
        `SELECT count(*) FILTER (WHERE s.valor_pago > v.valor)::int AS above,
                count(*) FILTER (WHERE s.valor_pago < v.valor * 0.95)::int AS below, count(*)::int AS sales
         FROM vendas s JOIN veiculos v USING (id_veiculos)`,
      );
      expect(prices).toEqual({ above: 0, below: 0, sales: SCALE });

      const customers = await one<{ total: number; without_sales: number }>(
        `SELECT count(*)::int AS total,
                count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM vendas s WHERE s.id_clientes = c.id_clientes))::int AS without_sales
         FROM clientes c`,
      );
      expect(customers.without_sales / customers.total).toBeGreaterThanOrEqual(0.1);
      expect(customers.without_sales / customers.total).toBeLessThanOrEqual(0.2);
      expect(customers.without_sales).toBe(first.result.customersWithoutSales);

      for (const table of NOVADRIVE_TABLES) {
        const nulls = await one<{ missing: number; present: number; no_inclusion: number }>(
          `SELECT count(*) FILTER (WHERE data_atualizacao IS NULL)::int AS missing,
                  count(*) FILTER (WHERE data_atualizacao IS NOT NULL)::int AS present,
                  count(*) FILTER (WHERE data_inclusao IS NULL)::int AS no_inclusion FROM ${table}`,
        );
        expect(nulls.no_inclusion, table).toBe(0);
        if (table !== 'estados') expect(nulls.missing, table).toBeGreaterThan(nulls.present);
        if (table === 'vendas' || table === 'clientes' || table === 'veiculos')
          expect(nulls.present, table).toBeGreaterThan(0);
      }

      const states = await one<{ n: number; bad_sigla: number; distinct_sigla: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE sigla !~ '^[A-Z]{2}$')::int AS bad_sigla,
                count(DISTINCT sigla)::int AS distinct_sigla FROM estados`,
      );
      expect(states).toEqual({ n: 27, bad_sigla: 0, distinct_sigla: 27 });
      const saoPaulo = await one<{ cities: number }>(
        `SELECT count(*)::int AS cities FROM cidades JOIN estados USING (id_estados) WHERE sigla = 'SP' AND cidade IN ('São Paulo', 'Campinas')`,
      );
      expect(saoPaulo.cities).toBe(2);

      const vehicles = await one<{ n: number; low: string; high: string; types: string[] }>(
        `SELECT count(*)::int AS n, min(valor)::text AS low, max(valor)::text AS high, array_agg(DISTINCT tipo) AS types FROM veiculos`,
      );
      expect(vehicles.n).toBeGreaterThanOrEqual(30);
      expect(Number(vehicles.low)).toBeGreaterThanOrEqual(30_000);
      expect(Number(vehicles.high)).toBeLessThanOrEqual(200_000);
      expect(vehicles.types.sort()).toEqual(VEHICLE_TYPES.map((t) => t.tipo).sort());

      const timeline = await one<{
        before_customer: number;
        wrong_seller: number;
        first_sale: string;
        latest: string;
        untidy_names: number;
        untidy_addresses: number;
      }>(
        `SELECT count(*) FILTER (WHERE s.data_venda < c.data_inclusao)::int AS before_customer,
                count(*) FILTER (WHERE vd.id_concessionarias <> s.id_concessionarias)::int AS wrong_seller,
                min(s.data_venda)::text AS first_sale,
                greatest(max(s.data_inclusao), max(s.data_atualizacao), max(c.data_inclusao), max(c.data_atualizacao))::text AS latest,
                (SELECT count(*) FROM clientes WHERE cliente = lower(cliente))::int AS untidy_names,
                (SELECT count(*) FROM clientes WHERE endereco <> trim(endereco))::int AS untidy_addresses
         FROM vendas s JOIN clientes c USING (id_clientes) JOIN vendedores vd USING (id_vendedores)`,
      );
      expect(timeline.before_customer).toBe(0);
      expect(timeline.wrong_seller).toBe(0);
      expect(timeline.first_sale >= NOVADRIVE_CALENDAR.salesFrom).toBe(true);
      expect(timeline.latest < NOVADRIVE_CALENDAR.historyEnd).toBe(true);
      expect(timeline.untidy_names).toBeGreaterThan(0);
      expect(timeline.untidy_addresses).toBeGreaterThan(0);
    });
  });

  it('leaves the identity sequences past the generated ids and the tables analyzed', async () => {
    await first.db.withClient(async (client) => {
      const { rows } = await client.query<{ id: number }>(
        `INSERT INTO estados (estado, sigla, data_inclusao) VALUES ('Guanabara', 'GB', '2024-01-01') RETURNING id_estados AS id`,
      );
      expect(rows[0]?.id).toBe(28);
      await client.query('DELETE FROM estados WHERE id_estados = 28');
      const analyzed = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE relname = ANY($1) AND last_analyze IS NOT NULL`,
        [[...NOVADRIVE_TABLES]],
      );
      expect(analyzed.rows[0]?.n).toBe(7);
    });
  });

  it('refuses tables that are missing or already filled', async () => {
    await first.db.withClient(async (client) => {
      const filled = await generateNovaDrive(client, { scale: 100, seed: 1 }).catch((e: unknown) => e);
      expect((filled as NovaDriveError).code).toBe('TABLES_NOT_EMPTY');
      expect((filled as NovaDriveError).message).toMatch(/public\.veiculos already has rows.*replace: true/);

      const missing = await generateNovaDrive(client, { scale: 100, seed: 1, schema: 'nowhere' }).catch(
        (e: unknown) => e,
      );
      expect((missing as NovaDriveError).code).toBe('TABLES_MISSING');
      expect((missing as NovaDriveError).message).toMatch(/nowhere\.veiculos.*createNovaDriveSchema/);

      await expect(generateNovaDrive(client, { scale: 50, seed: 1 })).rejects.toThrow(
        /scale \(the number of sales\) must be an integer from 100/,
      );
    });
  });

  it('is atomic: a failure halfway leaves empty tables with every key and index in place', async () => {
    const db = await createTestDatabase('novadrive_gen_fail');
    databases.push(db);
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      const shape = `SELECT (SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace)::int AS constraints,
                            (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public')::int AS indexes`;
      const before = (await client.query(shape)).rows[0];
      await client.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.id_vendas = 2500 THEN RAISE EXCEPTION 'disk full (simulated)'; END IF; RETURN NEW; END $$`);
      await client.query('CREATE TRIGGER refuse BEFORE INSERT ON vendas FOR EACH ROW EXECUTE FUNCTION refuse()');

      const error = await generateNovaDrive(client, { scale: SCALE, seed: 1 }).catch((e: unknown) => e);
      expect((error as NovaDriveError).code).toBe('STATEMENT_FAILED');
      expect((error as NovaDriveError).message).toMatch(/loading public\.vendas with COPY failed: disk full/);
      const counts = await client.query<{ n: number }>(
        NOVADRIVE_TABLES.map((table) => `SELECT count(*)::int AS n FROM ${table}`).join(' UNION ALL '),
      );
      expect(counts.rows.map((row) => row.n)).toEqual([0, 0, 0, 0, 0, 0, 0]);
      expect((await client.query(shape)).rows[0]).toEqual(before);
    });
  });
});
