import { createDuckDbWarehouse } from '@sluice/duckdb';
import type { Warehouse } from '@sluice/warehouse';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDataTest } from './run-data-test.js';

let dir: string;
let warehouse: Warehouse;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-data-tests-'));
  warehouse = await createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
  await warehouse.execute(`
    create schema shop;
    create table shop.orders as select range as id, case when range % 10 = 0 then null else range % 3 end as customer_id
    from range(1, 101);
  `);
});
afterAll(async () => {
  await warehouse.close();
  await rm(dir, { recursive: true, force: true });
});

const nullCustomers = 'select * from shop.orders where customer_id is null;';

describe('runDataTest on DuckDB', () => {
  it('counts the failing rows and returns up to five of them', async () => {
    const result = await runDataTest(warehouse, { name: 'not_null_orders_customer_id', sql: nullCustomers });
    expect(result).toMatchObject({ status: 'fail', failures: 10, message: 'fail: 10 failing rows (error_if !=0)' });
    expect(result.samples).toHaveLength(5);
    expect(result.samples[0]).toEqual({ id: expect.any(Number), customer_id: null });
    const three = await runDataTest(warehouse, { name: 't', sql: nullCustomers }, { sampleSize: 3 });
    expect(three.samples).toHaveLength(3);
  });

  it('passes with no failing rows and runs a single query', async () => {
    const result = await runDataTest(warehouse, { name: 't', sql: 'select * from shop.orders where id < 0 -- none' });
    expect(result).toEqual({ status: 'pass', failures: 0, samples: [], message: 'pass: no failing rows' });
  });

  it('judges the count with severity, warn_if and error_if', async () => {
    expect((await runDataTest(warehouse, { name: 't', sql: nullCustomers, severity: 'warn' })).status).toBe('warn');
    expect((await runDataTest(warehouse, { name: 't', sql: nullCustomers, errorIf: '>10' })).status).toBe('warn');
    expect((await runDataTest(warehouse, { name: 't', sql: nullCustomers, errorIf: '>=10' })).status).toBe('fail');
    const within = await runDataTest(warehouse, { name: 't', sql: nullCustomers, warnIf: '>20', errorIf: '>50' });
    expect(within).toMatchObject({
      status: 'pass',
      failures: 10,
      message: 'pass: 10 failing rows, within warn_if >20 and error_if >50',
    });
  });

  it('applies limit and fail_calc', async () => {
    expect((await runDataTest(warehouse, { name: 't', sql: nullCustomers, limit: 4 })).failures).toBe(4);
    const sum = await runDataTest(warehouse, {
      name: 't',
      sql: 'select id from shop.orders where id <= 3',
      failCalc: 'sum(id)',
    });
    expect(sum.failures).toBe(6);
  });

  it('stores the failing rows in the audit table, replacing them on every run', async () => {
    const storeFailuresIn = { schema: 'audit', name: 'not_null_orders_customer_id' };
    await runDataTest(warehouse, { name: 't', sql: nullCustomers, storeFailuresIn });
    const result = await runDataTest(warehouse, {
      name: 't',
      sql: 'select * from shop.orders where id = 10',
      storeFailuresIn,
    });
    expect(result).toMatchObject({ status: 'fail', failures: 1, storedIn: storeFailuresIn });
    expect(result.message).toContain('failing rows stored in audit.not_null_orders_customer_id');
    expect(await warehouse.query('select id from audit.not_null_orders_customer_id')).toEqual([{ id: 10 }]);
  });

  it('reports a broken query or threshold as an error, and a cancelled one as cancelled', async () => {
    const broken = await runDataTest(warehouse, { name: 't', sql: 'select * from shop.no_such_table' });
    expect(broken.status).toBe('error');
    expect(broken.message).toContain('no_such_table');
    const threshold = await runDataTest(warehouse, { name: 't', sql: nullCustomers, warnIf: 'lots' });
    expect(threshold).toMatchObject({ status: 'error' });
    expect(threshold.message).toContain('"lots" is not a threshold');
    const controller = new AbortController();
    controller.abort();
    expect(
      (await runDataTest(warehouse, { name: 't', sql: nullCustomers }, { signal: controller.signal })).status,
    ).toBe('cancelled');
  });
});
