import { requireNovaDriveTables } from './create-novadrive-schema.js';
import { fakeAddress, fakePersonName } from './fake-person.js';
import { inTransaction, runSql, type NovaDriveClient } from './novadrive-client.js';
import {
  DAY_US,
  formatTimestamp,
  HOUR_US,
  NOVADRIVE_CALENDAR,
  novaDriveDayWindow,
  parseTimestamp,
  type TimeWindow,
} from './novadrive-clock.js';
import { NovaDriveError } from './novadrive-error.js';
import { checkSeed } from './novadrive-sizes.js';
import {
  checkSchemaName,
  NOVADRIVE_TABLES,
  qualifiedTable,
  tableLabel,
  type NovaDriveTable,
} from './novadrive-tables.js';
import { createSeededRandom, drawIds, type SeededRandom } from './seeded-random.js';
import { fromCents, pricePaid, toCents } from './price-rule.js';
import { listPriceCents } from './vehicle-catalog.js';

/** The tables whose rows `sameTimestamp` can stamp with one shared `data_atualizacao`. */
export type SameTimestampTable = 'vendas' | 'clientes' | 'veiculos';

/** Options of `simulateDay`. Every count defaults to a share of the current table sizes (see the README). */
export interface SimulateDayOptions {
  /** Same seed, day and starting data ⇒ the same changes. */
  readonly seed: number;
  /** Day N (1 to 1,000,000) writes timestamps inside [2024-12-31 + N days, + 1 day). Day 1 is 2025-01-01. */
  readonly day: number;
  /** Start of the day's window instead of the calendar's (a Date read as UTC wall clock, or timestamp text). */
  readonly at?: Date | string;
  /** Default `public`. */
  readonly schema?: string;
  /** Customers registered today (default 60% of newSales); about 20% of them buy nothing today. */
  readonly newCustomers?: number;
  /** Sales made today (default 0.7% of current sales), priced at 95–100% of the vehicle's current list price. */
  readonly newSales?: number;
  /** Vehicles whose list price changes today (default 5% of vehicles, at least 1). */
  readonly priceUpdates?: number;
  /** Customers whose address changes today (default 0.2% of customers). */
  readonly addressUpdates?: number;
  /** Existing sales whose valor_pago is corrected today (default 0.2% of sales). */
  readonly saleCorrections?: number;
  /** Existing sales deleted today (default 0.05% of sales). */
  readonly saleDeletes?: number;
  /** Customers without any sale deleted today (default 0.05% of customers). */
  readonly customerDeletes?: number;
  /**
   * The hard case of equal cursors: this many additional rows of `sameTimestampTable` are updated with one and the
   * same `data_atualizacao`, which is also the latest timestamp the day writes in that table.
   */
  readonly sameTimestamp?: number;
  /** Default `vendas` (corrections); `clientes` updates addresses, `veiculos` list prices. */
  readonly sameTimestampTable?: SameTimestampTable;
}

/** Ids a change touched in one table, ascending. */
export interface TableChanges {
  readonly inserted: readonly number[];
  readonly updated: readonly number[];
  readonly deleted: readonly number[];
}

/** What one simulated day changed. */
export interface DayChanges {
  readonly day: number;
  /** Every timestamp the day wrote lies in [from, to). */
  readonly window: TimeWindow;
  readonly tables: Readonly<Record<NovaDriveTable, TableChanges>>;
  /** Row counts per table: inserted, updated, deleted. */
  readonly counts: Readonly<
    Record<NovaDriveTable, { readonly inserted: number; readonly updated: number; readonly deleted: number }>
  >;
  /** Present when `sameTimestamp` was asked for: the rows that share `value` as their data_atualizacao. */
  readonly sharedTimestamp?: {
    readonly table: SameTimestampTable;
    readonly value: string;
    readonly ids: readonly number[];
  };
}

/**
 * Advance the simulated clock by one day, in one transaction: new customers (some buy nothing), new sales at the
 * current list prices, list-price changes, address changes, corrections of existing sales (within the price rule),
 * deletes of sales and of customers without sales. Every inserted or updated row carries a timestamp inside the
 * day's window, which must lie after every timestamp already in the tables (`DAY_ALREADY_PASSED` otherwise).
 * Rows locked by another transaction (an open late transaction) are skipped, never waited for.
 *
 * @example const changes = await simulateDay(client, { seed: 42, day: 1, sameTimestamp: 50 });
 */
export async function simulateDay(client: NovaDriveClient, options: SimulateDayOptions): Promise<DayChanges> {
  const seed = checkSeed(options.seed);
  const schema = checkSchemaName(options.schema ?? 'public');
  const day = options.day;
  const calendarWindow = novaDriveDayWindow(day); // also validates the day
  const start = parseTimestamp(options.at ?? calendarWindow.from);
  const window = { from: formatTimestamp(start), to: formatTimestamp(start + DAY_US) };
  const sharedTable = options.sameTimestampTable ?? 'vendas';
  if (!['vendas', 'clientes', 'veiculos'].includes(sharedTable)) {
    throw new NovaDriveError(
      'INVALID_OPTIONS',
      `sameTimestampTable must be vendas, clientes or veiculos, got ${JSON.stringify(sharedTable)}`,
    );
  }
  const shared = count(options.sameTimestamp, 'sameTimestamp') ?? 0;
  const requested = {
    newSales: count(options.newSales, 'newSales'),
    newCustomers: count(options.newCustomers, 'newCustomers'),
    priceUpdates: count(options.priceUpdates, 'priceUpdates'),
    addressUpdates: count(options.addressUpdates, 'addressUpdates'),
    saleCorrections: count(options.saleCorrections, 'saleCorrections'),
    saleDeletes: count(options.saleDeletes, 'saleDeletes'),
    customerDeletes: count(options.customerDeletes, 'customerDeletes'),
  };
  await requireNovaDriveTables(client, schema);
  const t = (table: NovaDriveTable) => qualifiedTable(schema, table);

  return inTransaction(client, async () => {
    const [state] = await runSql<DayState>(
      client,
      `SELECT (SELECT count(*) FROM ${t('vendas')})::int AS sales,
              (SELECT coalesce(max(id_vendas), 0) FROM ${t('vendas')}) AS max_sale,
              (SELECT count(*) FROM ${t('clientes')})::int AS customers,
              (SELECT coalesce(max(id_clientes), 0) FROM ${t('clientes')}) AS max_customer,
              (SELECT count(*) FROM ${t('veiculos')})::int AS vehicles,
              greatest((SELECT max(greatest(data_venda, data_inclusao, data_atualizacao)) FROM ${t('vendas')}),
                       (SELECT max(greatest(data_inclusao, data_atualizacao)) FROM ${t('clientes')}),
                       (SELECT max(greatest(data_inclusao, data_atualizacao)) FROM ${t('veiculos')}))::text AS latest`,
    );
    if (!state) throw new NovaDriveError('STATEMENT_FAILED', 'reading the table sizes returned nothing');
    if (state.latest !== null && parseTimestamp(state.latest) >= start) {
      const next =
        Math.floor((parseTimestamp(state.latest) - parseTimestamp(NOVADRIVE_CALENDAR.baseDate)) / DAY_US) + 1;
      throw new NovaDriveError(
        'DAY_ALREADY_PASSED',
        `day ${day} starts at ${window.from}, but ${schema} already holds a timestamp at ${state.latest}: ` +
          `simulate day ${Math.max(next, day + 1)} or later (or pass a later \`at\`), so incremental cursors keep moving forward`,
      );
    }
    const newSales = requested.newSales ?? Math.max(1, Math.round(state.sales * 0.007));
    const plan: DayPlan = {
      newSales,
      newCustomers: requested.newCustomers ?? Math.max(1, Math.round(newSales * 0.6)),
      priceUpdates: requested.priceUpdates ?? Math.max(1, Math.round(state.vehicles * 0.05)),
      addressUpdates: requested.addressUpdates ?? Math.max(1, Math.round(state.customers * 0.002)),
      saleCorrections: requested.saleCorrections ?? Math.max(1, Math.round(state.sales * 0.002)),
      saleDeletes: requested.saleDeletes ?? Math.max(1, Math.round(state.sales * 0.0005)),
      customerDeletes: requested.customerDeletes ?? Math.max(1, Math.round(state.customers * 0.0005)),
    };
    const run = new DayRun(
      client,
      schema,
      createSeededRandom(seed, 'day', day),
      start,
      Number(state.max_sale),
      Number(state.max_customer),
    );
    // Prices change first, in the day's first hour, so every sale made today (from the second hour on) is priced
    // at the list price valid at its data_venda.
    await run.updatePrices(plan.priceUpdates, sharedTable === 'veiculos' ? shared : 0);
    const customers = await run.insertCustomers(plan.newCustomers);
    await run.insertSales(plan.newSales, customers);
    await run.correctSales(plan.saleCorrections, sharedTable === 'vendas' ? shared : 0);
    await run.updateAddresses(plan.addressUpdates, sharedTable === 'clientes' ? shared : 0);
    await run.deleteSales(plan.saleDeletes);
    await run.deleteCustomers(plan.customerDeletes);
    return run.summary(day, window, shared > 0 ? sharedTable : undefined);
  });
}

interface DayState {
  sales: number;
  max_sale: string | number;
  customers: number;
  max_customer: string | number;
  vehicles: number;
  latest: string | null;
}

interface DayPlan {
  newSales: number;
  newCustomers: number;
  priceUpdates: number;
  addressUpdates: number;
  saleCorrections: number;
  saleDeletes: number;
  customerDeletes: number;
}

function count(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > 10_000_000) {
    throw new NovaDriveError('INVALID_OPTIONS', `${name} must be an integer from 0 to 10000000, got ${String(value)}`);
  }
  return value;
}

interface VehicleRow {
  id: number;
  priceCents: number;
}

/** One day's changes, in the order simulateDay calls them; it records every id it touches. */
class DayRun {
  private readonly changes = new Map<NovaDriveTable, { inserted: number[]; updated: number[]; deleted: number[] }>(
    NOVADRIVE_TABLES.map((table) => [table, { inserted: [], updated: [], deleted: [] }]),
  );
  private vehicles: VehicleRow[] = [];
  private sharedIds: number[] = [];

  constructor(
    private readonly client: NovaDriveClient,
    private readonly schema: string,
    private readonly random: SeededRandom,
    private readonly start: number,
    private readonly maxSale: number,
    private readonly maxCustomer: number,
  ) {}

  private table(name: NovaDriveTable): string {
    return qualifiedTable(this.schema, name);
  }

  private label(name: NovaDriveTable): string {
    return tableLabel(this.schema, name);
  }

  private record(table: NovaDriveTable, kind: 'inserted' | 'updated' | 'deleted', ids: readonly number[]): void {
    this.changes.get(table)?.[kind].push(...ids);
  }

  /** The last microsecond of the window, or of its first hour for list prices (sales start after it). */
  private sharedAt(table: SameTimestampTable): number {
    return table === 'veiculos' ? this.start + HOUR_US - 1 : this.start + DAY_US - 1;
  }

  /** Ids for new rows from the table's identity sequence. */
  private async newIds(table: NovaDriveTable, column: string, howMany: number): Promise<number[]> {
    if (howMany === 0) return [];
    const rows = await runSql<{ id: string }>(
      this.client,
      `SELECT nextval(pg_get_serial_sequence($1, $2)) AS id FROM generate_series(1, $3::int)`,
      [this.table(table), column, howMany],
      this.label(table),
    );
    return rows.map((row) => Number(row.id)).sort((a, b) => a - b);
  }

  /**
   * Existing rows chosen at random among ids up to `max`: draws candidate ids, keeps those `query` returns (it gets
   * the candidates as $1 and may lock and filter them), in draw order, until `howMany` are found or tries run out.
   */
  private async pick(
    max: number,
    howMany: number,
    oversample: number,
    query: string,
    table: NovaDriveTable,
    exclude: ReadonlySet<number> = new Set(),
  ): Promise<number[]> {
    const found: number[] = [];
    for (let attempt = 0; attempt < 4 && found.length < howMany && max > 0; attempt += 1) {
      const candidates = drawIds(this.random, max, Math.ceil((howMany - found.length) * oversample) + 20).filter(
        (id) => !exclude.has(id) && !found.includes(id),
      );
      const rows = await runSql<{ id: number }>(this.client, query, [candidates], this.label(table));
      const present = new Set(rows.map((row) => row.id));
      for (const id of candidates) if (present.has(id) && found.length < howMany) found.push(id);
    }
    return found;
  }

  async updatePrices(howMany: number, shared: number): Promise<void> {
    const rows = await runSql<{ id: number; valor: string }>(
      this.client,
      `SELECT id_veiculos AS id, valor::text AS valor FROM ${this.table('veiculos')} ORDER BY id_veiculos FOR NO KEY UPDATE SKIP LOCKED`,
      [],
      this.label('veiculos'),
    );
    this.vehicles = rows.map((row) => ({ id: row.id, priceCents: toCents(row.valor) }));
    if (shared > this.vehicles.length) {
      throw new NovaDriveError(
        'INVALID_OPTIONS',
        `sameTimestamp asks for ${shared} vehicles, but only ${this.vehicles.length} can be updated`,
        {
          table: this.label('veiculos'),
        },
      );
    }
    const order = this.vehicles.map((_, index) => index);
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = this.random.int(i + 1);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    const chosen = order.slice(0, Math.min(order.length, shared + howMany));
    const ids: number[] = [];
    const prices: string[] = [];
    const stamps: string[] = [];
    chosen.forEach((index, position) => {
      const vehicle = this.vehicles[index] as VehicleRow;
      let price = listPriceCents((vehicle.priceCents / 100) * (0.97 + this.random.next() * 0.09));
      if (price === vehicle.priceCents)
        price = listPriceCents(vehicle.priceCents / 100 + (price > 10_000_000 ? -1000 : 1000));
      vehicle.priceCents = price;
      ids.push(vehicle.id);
      prices.push(fromCents(price));
      stamps.push(
        formatTimestamp(position < shared ? this.sharedAt('veiculos') : this.start + this.random.int(HOUR_US - 1)),
      );
    });
    if (shared > 0) this.sharedIds = ids.slice(0, shared);
    await runSql(
      this.client,
      `UPDATE ${this.table('veiculos')} AS v SET valor = u.valor, data_atualizacao = u.stamp
       FROM unnest($1::int[], $2::numeric[], $3::timestamp[]) AS u(id, valor, stamp) WHERE v.id_veiculos = u.id`,
      [ids, prices, stamps],
      this.label('veiculos'),
    );
    this.record('veiculos', 'updated', ids);
  }

  async insertCustomers(howMany: number): Promise<{ id: number; dealership: number }[]> {
    const dealerships = (
      await runSql<{ id: number }>(
        this.client,
        `SELECT id_concessionarias AS id FROM ${this.table('concessionarias')} ORDER BY 1`,
        [],
        this.label('concessionarias'),
      )
    ).map((row) => row.id);
    if (dealerships.length === 0 || howMany === 0) return [];
    const ids = await this.newIds('clientes', 'id_clientes', howMany);
    const rows = ids.map((id) => ({
      id,
      name: fakePersonName(this.random),
      address: fakeAddress(this.random),
      dealership: this.random.pick(dealerships),
      included: formatTimestamp(this.start + this.random.int(HOUR_US)),
    }));
    await runSql(
      this.client,
      `INSERT INTO ${this.table('clientes')} (id_clientes, cliente, endereco, id_concessionarias, data_inclusao)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::timestamp[])`,
      [
        ids,
        rows.map((r) => r.name),
        rows.map((r) => r.address),
        rows.map((r) => r.dealership),
        rows.map((r) => r.included),
      ],
      this.label('clientes'),
    );
    this.record('clientes', 'inserted', ids);
    return rows.map(({ id, dealership }) => ({ id, dealership }));
  }

  async insertSales(howMany: number, newCustomers: readonly { id: number; dealership: number }[]): Promise<void> {
    if (howMany === 0 || this.vehicles.length === 0) return;
    const staff = await runSql<{ id: number; dealership: number }>(
      this.client,
      `SELECT id_vendedores AS id, id_concessionarias AS dealership FROM ${this.table('vendedores')} ORDER BY 1`,
      [],
      this.label('vendedores'),
    );
    if (staff.length === 0) return;
    const staffOf = new Map<number, number[]>();
    for (const person of staff) staffOf.set(person.dealership, [...(staffOf.get(person.dealership) ?? []), person.id]);

    // About 80% of today's new customers buy today (one car each); the other sales go to existing customers.
    const buyingNew = [...newCustomers];
    for (let i = buyingNew.length - 1; i > 0; i -= 1) {
      const j = this.random.int(i + 1);
      [buyingNew[i], buyingNew[j]] = [
        buyingNew[j] as (typeof buyingNew)[number],
        buyingNew[i] as (typeof buyingNew)[number],
      ];
    }
    const buyers = buyingNew.slice(0, Math.min(howMany, Math.floor(newCustomers.length * 0.8)));
    const existing = await this.pick(
      this.maxCustomer,
      howMany - buyers.length,
      1.2,
      `SELECT id_clientes AS id FROM ${this.table('clientes')} WHERE id_clientes = ANY($1::int[])`,
      'clientes',
    );
    const homes = await runSql<{ id: number; dealership: number }>(
      this.client,
      `SELECT id_clientes AS id, id_concessionarias AS dealership FROM ${this.table('clientes')} WHERE id_clientes = ANY($1::int[])`,
      [existing],
      this.label('clientes'),
    );
    const homeOf = new Map(homes.map((row) => [row.id, row.dealership]));
    buyers.push(...existing.map((id) => ({ id, dealership: homeOf.get(id) ?? 0 })));

    const weights = this.vehicles.map((vehicle) => (20_000_000 / vehicle.priceCents) ** 0.8);
    const totalWeight = weights.reduce((sum, w) => sum + w, 0);
    const ids = await this.newIds('vendas', 'id_vendas', buyers.length);
    const columns: (number | string)[][] = [[], [], [], [], [], [], [], []];
    buyers.forEach((buyer, index) => {
      let dealership = this.random.chance(0.9) ? buyer.dealership : this.random.pick(staff).dealership;
      let sellers = staffOf.get(dealership);
      if (!sellers) {
        const person = this.random.pick(staff);
        dealership = person.dealership;
        sellers = [person.id];
      }
      let roll = this.random.next() * totalWeight;
      const vehicle =
        this.vehicles.find((_, i) => (roll -= weights[i] ?? 0) < 0) ??
        (this.vehicles[this.vehicles.length - 1] as VehicleRow);
      const sold = this.start + HOUR_US + this.random.int(22 * 3600) * 1_000_000;
      const row = [
        ids[index] as number,
        vehicle.id,
        dealership,
        this.random.pick(sellers),
        buyer.id,
        fromCents(pricePaid(this.random, vehicle.priceCents)),
        formatTimestamp(sold),
        formatTimestamp(sold + this.random.int(HOUR_US)),
      ];
      row.forEach((value, column) => {
        columns[column]?.push(value);
      });
    });
    await runSql(
      this.client,
      `INSERT INTO ${this.table('vendas')} (id_vendas, id_veiculos, id_concessionarias, id_vendedores, id_clientes, valor_pago, data_venda, data_inclusao)
       SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], $6::numeric[], $7::timestamp[], $8::timestamp[])`,
      columns,
      this.label('vendas'),
    );
    this.record('vendas', 'inserted', ids);
  }

  async correctSales(howMany: number, shared: number): Promise<void> {
    // Only sales whose vehicle kept its list price since the sale: the current price is then the one valid when
    // the sale was made, so a corrected valor_pago still obeys the price rule.
    const ids = await this.pick(
      this.maxSale,
      howMany + shared,
      1.3,
      `SELECT s.id_vendas AS id FROM ${this.table('vendas')} s JOIN ${this.table('veiculos')} v USING (id_veiculos)
       WHERE s.id_vendas = ANY($1::int[]) AND (v.data_atualizacao IS NULL OR v.data_atualizacao <= s.data_venda)
       FOR NO KEY UPDATE OF s SKIP LOCKED`,
      'vendas',
    );
    this.requireShared(ids.length, shared, 'vendas');
    if (ids.length === 0) return;
    const rows = await runSql<{ id: number; paid: string; price: string }>(
      this.client,
      `SELECT s.id_vendas AS id, s.valor_pago::text AS paid, v.valor::text AS price
       FROM ${this.table('vendas')} s JOIN ${this.table('veiculos')} v USING (id_veiculos) WHERE s.id_vendas = ANY($1::int[])`,
      [ids],
      this.label('vendas'),
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const values = ids.map((id, index) => {
      const row = byId.get(id);
      const paid = row ? pricePaid(this.random, toCents(row.price), toCents(row.paid)) : 0;
      const stamp = index < shared ? this.sharedAt('vendas') : this.start + HOUR_US + this.random.int(23 * HOUR_US - 1);
      return { paid: fromCents(paid), stamp: formatTimestamp(stamp) };
    });
    await runSql(
      this.client,
      `UPDATE ${this.table('vendas')} AS s SET valor_pago = u.paid, data_atualizacao = u.stamp
       FROM unnest($1::int[], $2::numeric[], $3::timestamp[]) AS u(id, paid, stamp) WHERE s.id_vendas = u.id`,
      [ids, values.map((v) => v.paid), values.map((v) => v.stamp)],
      this.label('vendas'),
    );
    if (shared > 0) this.sharedIds = ids.slice(0, shared);
    this.record('vendas', 'updated', ids);
  }

  async updateAddresses(howMany: number, shared: number): Promise<void> {
    const ids = await this.pick(
      this.maxCustomer,
      howMany + shared,
      1.2,
      `SELECT id_clientes AS id FROM ${this.table('clientes')} WHERE id_clientes = ANY($1::int[]) FOR NO KEY UPDATE SKIP LOCKED`,
      'clientes',
    );
    this.requireShared(ids.length, shared, 'clientes');
    if (ids.length === 0) return;
    const addresses = ids.map(() => fakeAddress(this.random));
    const stamps = ids.map((_, index) =>
      formatTimestamp(index < shared ? this.sharedAt('clientes') : this.start + this.random.int(DAY_US - 1)),
    );
    await runSql(
      this.client,
      `UPDATE ${this.table('clientes')} AS c SET endereco = u.address, data_atualizacao = u.stamp
       FROM unnest($1::int[], $2::text[], $3::timestamp[]) AS u(id, address, stamp) WHERE c.id_clientes = u.id`,
      [ids, addresses, stamps],
      this.label('clientes'),
    );
    if (shared > 0) this.sharedIds = ids.slice(0, shared);
    this.record('clientes', 'updated', ids);
  }

  async deleteSales(howMany: number): Promise<void> {
    const ids = await this.pick(
      this.maxSale,
      howMany,
      1.3,
      `SELECT id_vendas AS id FROM ${this.table('vendas')} WHERE id_vendas = ANY($1::int[]) FOR UPDATE SKIP LOCKED`,
      'vendas',
      new Set(this.changes.get('vendas')?.updated),
    );
    if (ids.length === 0) return;
    await runSql(
      this.client,
      `DELETE FROM ${this.table('vendas')} WHERE id_vendas = ANY($1::int[])`,
      [ids],
      this.label('vendas'),
    );
    this.record('vendas', 'deleted', ids);
  }

  async deleteCustomers(howMany: number): Promise<void> {
    // Only customers without any sale, so the foreign keys hold; about 15% of customers qualify.
    const ids = await this.pick(
      this.maxCustomer,
      howMany,
      10,
      `SELECT c.id_clientes AS id FROM ${this.table('clientes')} c
       WHERE c.id_clientes = ANY($1::int[]) AND NOT EXISTS (SELECT 1 FROM ${this.table('vendas')} s WHERE s.id_clientes = c.id_clientes)
       FOR UPDATE OF c SKIP LOCKED`,
      'clientes',
      new Set(this.changes.get('clientes')?.updated),
    );
    if (ids.length === 0) return;
    await runSql(
      this.client,
      `DELETE FROM ${this.table('clientes')} WHERE id_clientes = ANY($1::int[])`,
      [ids],
      this.label('clientes'),
    );
    this.record('clientes', 'deleted', ids);
  }

  private requireShared(found: number, shared: number, table: SameTimestampTable): void {
    if (found < shared) {
      throw new NovaDriveError(
        'INVALID_OPTIONS',
        `sameTimestamp asks for ${shared} rows of ${this.label(table)}, but only ${found} could be updated; ask for fewer`,
        { table: this.label(table) },
      );
    }
  }

  summary(day: number, window: TimeWindow, sharedTable: SameTimestampTable | undefined): DayChanges {
    const tables = {} as Record<NovaDriveTable, TableChanges>;
    const counts = {} as Record<NovaDriveTable, { inserted: number; updated: number; deleted: number }>;
    for (const table of NOVADRIVE_TABLES) {
      const change = this.changes.get(table) ?? { inserted: [], updated: [], deleted: [] };
      const sorted = {
        inserted: [...change.inserted].sort((a, b) => a - b),
        updated: [...change.updated].sort((a, b) => a - b),
        deleted: [...change.deleted].sort((a, b) => a - b),
      };
      tables[table] = sorted;
      counts[table] = {
        inserted: sorted.inserted.length,
        updated: sorted.updated.length,
        deleted: sorted.deleted.length,
      };
    }
    const result: DayChanges = { day, window, tables, counts };
    if (sharedTable === undefined) return result;
    return {
      ...result,
      sharedTimestamp: {
        table: sharedTable,
        value: formatTimestamp(this.sharedAt(sharedTable)),
        ids: [...this.sharedIds].sort((a, b) => a - b),
      },
    };
  }
}
