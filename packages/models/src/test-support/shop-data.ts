import type { Warehouse } from '@sluice/warehouse';

/** The raw tables of the shop fixture: a customer missing for order 12, a negative order 11 and an unexpected status. */
export async function seedShop(warehouse: Warehouse): Promise<void> {
  await warehouse.execute(`
    create schema if not exists raw;
    create or replace table raw.customers (id integer, name varchar, email varchar, created_at timestamp);
    insert into raw.customers values
      (1, 'ana maria', 'ANA@EXAMPLE.COM', '2024-01-01'),
      (2, 'JOÃO silva', 'joao@example.com', '2024-01-02');
    create or replace table raw.orders (id integer, customer_id integer, amount_cents integer, status varchar, ordered_at timestamp, updated_at timestamp);
    insert into raw.orders values
      (10, 1, 1000, 'paid', '2024-02-01', '2024-02-01'),
      (11, 2, -500, 'refunded', '2024-02-02', '2024-02-02'),
      (12, 3, 700, 'paid', '2024-02-03', '2024-02-03');
  `);
}
