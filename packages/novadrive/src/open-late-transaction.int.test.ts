import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaDriveSchema } from './create-novadrive-schema.js';
import { generateNovaDrive } from './generate-novadrive.js';
import { parseTimestamp } from './novadrive-clock.js';
import { NovaDriveError } from './novadrive-error.js';
import { openLateTransaction } from './open-late-transaction.js';
import { toCents } from './price-rule.js';
import { simulateDay } from './simulate-day.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('novadrive_late');
  await db.withClient(async (client) => {
    await createNovaDriveSchema(client);
    await generateNovaDrive(client, { scale: 2000, seed: 21, analyze: false });
    await simulateDay(client, { seed: 21, day: 1 });
  });
});
afterAll(() => db.drop());

/** What a load would see: one REPEATABLE READ snapshot, its cursor's upper bound, and the late rows. */
async function load(saleId: number, customerId: number) {
  return db.withClient(async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const { rows } = await client.query<{
      upper: string;
      sale: number;
      address: string;
      customer_stamp: string | null;
    }>(
      `SELECT greatest((SELECT max(coalesce(data_atualizacao, data_inclusao)) FROM vendas),
                       (SELECT max(coalesce(data_atualizacao, data_inclusao)) FROM clientes))::text AS upper,
              (SELECT count(*) FROM vendas WHERE id_vendas = $1)::int AS sale,
              (SELECT endereco FROM clientes WHERE id_clientes = $2) AS address,
              (SELECT data_atualizacao::text FROM clientes WHERE id_clientes = $2) AS customer_stamp`,
      [saleId, customerId],
    );
    await client.query('COMMIT');
    return rows[0] as { upper: string; sale: number; address: string; customer_stamp: string | null };
  });
}

describe('openLateTransaction', () => {
  it('writes rows stamped before the load that a load cannot see until they commit', async () => {
    const late = await openLateTransaction(db.url, { seed: 3 });
    const { sale, customer, at } = late.rows;
    expect(sale.data_venda).toBe(at);
    expect(customer.data_atualizacao).toBe(at);
    expect(sale.id_clientes).toBe(customer.id_clientes);

    const during = await load(sale.id_vendas, customer.id_clientes);
    expect(during.sale).toBe(0);
    expect(during.address).not.toBe(customer.endereco);
    // The load's upper bound is already past the late rows' timestamp: a plain cursor would skip them for good.
    expect(at < during.upper).toBe(true);

    // The simulator does not wait for the open transaction (it skips rows it holds).
    const day = await db.withClient((client) => simulateDay(client, { seed: 21, day: 2 }));
    expect(day.tables.clientes.updated).not.toContain(customer.id_clientes);
    expect(day.tables.clientes.deleted).not.toContain(customer.id_clientes);

    await late.commit();
    const after = await load(sale.id_vendas, customer.id_clientes);
    expect(after.sale).toBe(1);
    expect(after.address).toBe(customer.endereco);
    expect(parseTimestamp(after.customer_stamp ?? '')).toBe(parseTimestamp(at));

    await db.withClient(async (client) => {
      const { rows } = await client.query<{ paid: string; price: string }>(
        'SELECT s.valor_pago::text AS paid, v.valor::text AS price FROM vendas s JOIN veiculos v USING (id_veiculos) WHERE id_vendas = $1',
        [sale.id_vendas],
      );
      const paid = toCents(rows[0]?.paid ?? '0');
      const price = toCents(rows[0]?.price ?? '0');
      expect(paid <= price && paid * 100 >= price * 95).toBe(true);
    });
    await expect(late.commit()).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
  });

  it('leaves nothing behind when rolled back, and accepts a client factory and an explicit time', async () => {
    const late = await openLateTransaction(
      async () => {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        return client;
      },
      { seed: 4, at: '2024-06-01 12:00:00' },
    );
    expect(late.rows.at).toBe('2024-06-01 12:00:00.000000');
    await late.rollback();
    const after = await load(late.rows.sale.id_vendas, late.rows.customer.id_clientes);
    expect(after.sale).toBe(0);
    expect(after.address).not.toBe(late.rows.customer.endereco);
    await expect(late.rollback()).rejects.toBeInstanceOf(NovaDriveError);
  });

  it('names the server, never the password, when it cannot connect', async () => {
    const error = await openLateTransaction('postgres://someone:hunter2@127.0.0.1:1/novadrive', { seed: 1 }).catch(
      (e: unknown) => e,
    );
    expect((error as NovaDriveError).code).toBe('CONNECTION_FAILED');
    expect((error as NovaDriveError).message).toMatch(/127\.0\.0\.1:1/);
    expect((error as NovaDriveError).message).not.toMatch(/hunter2/);
  });
});
