import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { BRAZIL_STATES } from './brazil-places.js';
import { BRAZILIAN_NAMES } from './brazilian-names.js';
import { requireNovaDriveTables } from './create-novadrive-schema.js';
import { fakeAddress, fakePersonName, pad } from './fake-person.js';
import { inTransaction, runSql, runSqlCount, type NovaDriveClient } from './novadrive-client.js';
import {
  DAY_US,
  formatTimestamp,
  HOUR_US,
  NOVADRIVE_CALENDAR,
  parseTimestamp,
  SALES_SPAN_DAYS,
} from './novadrive-clock.js';
import { NovaDriveError } from './novadrive-error.js';
import { fromCents, pricePaid } from './price-rule.js';
import { BUYERS_PER_BLOCK, CUSTOMER_BLOCK, checkScale, checkSeed, novaDriveSizes } from './novadrive-sizes.js';
import {
  addForeignKeySql,
  addPrimaryKeySql,
  checkSchemaName,
  createIndexSql,
  NOVADRIVE_FOREIGN_KEYS,
  NOVADRIVE_INDEXES,
  NOVADRIVE_PRIMARY_KEYS,
  NOVADRIVE_TABLES,
  qualifiedTable,
  quoteIdent,
  tableLabel,
  type NovaDriveTable,
} from './novadrive-tables.js';
import { createSeededRandom, hash32, type SeededRandom } from './seeded-random.js';
import { listPriceCents, VEHICLE_MODELS, VEHICLE_TYPES } from './vehicle-catalog.js';

/** Options of `generateNovaDrive`. */
export interface GenerateNovaDriveOptions {
  /** The number of sales (100 to 50,000,000); every other table's size follows from it (see `novaDriveSizes`). */
  readonly scale: number;
  /** Same seed and scale ⇒ byte-identical rows. An integer from 0 to 2^31 - 1. */
  readonly seed: number;
  /** Default `public`. */
  readonly schema?: string;
  /** Run ANALYZE on the seven tables after loading (default `true`). */
  readonly analyze?: boolean;
}

/** What `generateNovaDrive` loaded. */
export interface GenerateNovaDriveResult {
  readonly schema: string;
  readonly scale: number;
  readonly seed: number;
  /** Rows inserted per table. */
  readonly rows: Readonly<Record<NovaDriveTable, number>>;
  /** Customers that have no sale at all (15% of `clientes`). */
  readonly customersWithoutSales: number;
}

/**
 * Fill the (empty) NovaDrive tables with a deterministic dataset of `scale` sales, in one transaction, then ANALYZE.
 * Every value comes from seeded PRNG streams (one per table), never Math.random or the clock. The small tables go
 * in as arrays in one INSERT each; customers and sales are streamed with `COPY FROM STDIN` (generation in Node
 * overlaps with ingestion on the server), never row by row.
 *
 * @example
 * await createNovaDriveSchema(client);
 * const { rows } = await generateNovaDrive(client, { scale: 10_000, seed: 42 });
 */
export async function generateNovaDrive(
  client: NovaDriveClient,
  options: GenerateNovaDriveOptions,
): Promise<GenerateNovaDriveResult> {
  const scale = checkScale(options.scale);
  const seed = checkSeed(options.seed);
  const schema = checkSchemaName(options.schema ?? 'public');
  const sizes = novaDriveSizes({ scale, seed });
  await requireNovaDriveTables(client, schema);

  const rows = await inTransaction(client, async () => {
    await requireEmpty(client, schema);
    const vehicles = buildVehicles(seed, sizes.rows.veiculos);
    const dealerships = buildDealerships(seed, sizes.rows.concessionarias);
    const counts: Record<NovaDriveTable, number> = {
      veiculos: await insertArrays(client, schema, 'veiculos', VEHICLE_COLUMNS, vehicles.rows),
      estados: await insertArrays(client, schema, 'estados', STATE_COLUMNS, buildStates(seed)),
      cidades: await insertArrays(client, schema, 'cidades', CITY_COLUMNS, buildCities(seed)),
      concessionarias: await insertArrays(client, schema, 'concessionarias', DEALERSHIP_COLUMNS, dealerships.rows),
      vendedores: await insertArrays(
        client,
        schema,
        'vendedores',
        SALESPERSON_COLUMNS,
        buildSalespeople(seed, dealerships.created, sizes.salespeoplePerDealership),
      ),
      clientes: 0,
      vendas: 0,
    };
    const plan: LargeTablePlan = {
      seed,
      sales: scale,
      customers: sizes.rows.clientes,
      buyers: sizes.buyers,
      dealerships: sizes.rows.concessionarias,
      staffFirst: firstIds(sizes.salespeoplePerDealership),
      staffCount: sizes.salespeoplePerDealership,
      vehicleWheel: vehicles.wheel,
      priceCents: vehicles.priceCents,
    };
    // Constraints and indexes of the two large tables are built after their rows are in: checking four foreign
    // keys row by row costs several times the load itself, and one index build beats a million index inserts.
    await dropLargeTableConstraints(client, schema);
    // Memory for the index builds and for the hash joins that validate the foreign keys (default 4MB spills to disk).
    await runSql(client, `SET LOCAL maintenance_work_mem = '256MB'`);
    await runSql(client, `SET LOCAL work_mem = '128MB'`);
    counts.clientes = await copyRows(client, schema, 'clientes', CUSTOMER_COLUMNS, customerChunks(plan));
    counts.vendas = await copyRows(client, schema, 'vendas', SALE_COLUMNS, saleChunks(plan));
    await restoreLargeTableConstraints(client, schema);
    for (const table of NOVADRIVE_TABLES) await resetIdentity(client, schema, table);
    return counts;
  });
  if (options.analyze !== false) {
    for (const table of NOVADRIVE_TABLES)
      await runSql(client, `ANALYZE ${qualifiedTable(schema, table)}`, [], tableLabel(schema, table));
  }
  return { schema, scale, seed, rows, customersWithoutSales: sizes.rows.clientes - sizes.buyers };
}

const US = {
  catalogFrom: parseTimestamp(NOVADRIVE_CALENDAR.catalogFrom),
  salesFrom: parseTimestamp(NOVADRIVE_CALENDAR.salesFrom),
  historyEnd: parseTimestamp(NOVADRIVE_CALENDAR.historyEnd),
};

type Cell = string | number | null;
interface ColumnSpec {
  readonly name: string;
  readonly type: string;
}

const col = (name: string, type: string): ColumnSpec => ({ name, type });
const VEHICLE_COLUMNS = [
  col('id_veiculos', 'int'),
  col('nome', 'text'),
  col('tipo', 'text'),
  col('valor', 'numeric'),
  col('data_atualizacao', 'timestamp'),
  col('data_inclusao', 'timestamp'),
];
const STATE_COLUMNS = [
  col('id_estados', 'int'),
  col('estado', 'text'),
  col('sigla', 'text'),
  col('data_inclusao', 'timestamp'),
  col('data_atualizacao', 'timestamp'),
];
const CITY_COLUMNS = [
  col('id_cidades', 'int'),
  col('cidade', 'text'),
  col('id_estados', 'int'),
  col('data_inclusao', 'timestamp'),
  col('data_atualizacao', 'timestamp'),
];
const DEALERSHIP_COLUMNS = [
  col('id_concessionarias', 'int'),
  col('concessionaria', 'text'),
  col('id_cidades', 'int'),
  col('data_inclusao', 'timestamp'),
  col('data_atualizacao', 'timestamp'),
];
const CUSTOMER_COLUMNS = [
  'id_clientes',
  'cliente',
  'endereco',
  'id_concessionarias',
  'data_inclusao',
  'data_atualizacao',
];
const SALE_COLUMNS = [
  'id_vendas',
  'id_veiculos',
  'id_concessionarias',
  'id_vendedores',
  'id_clientes',
  'valor_pago',
  'data_venda',
  'data_inclusao',
  'data_atualizacao',
];
const SALESPERSON_COLUMNS = [
  col('id_vendedores', 'int'),
  col('nome', 'text'),
  col('id_concessionarias', 'int'),
  col('data_inclusao', 'timestamp'),
  col('data_atualizacao', 'timestamp'),
];

/** One INSERT … SELECT FROM unnest(arrays): a whole small table in one statement. */
async function insertArrays(
  client: NovaDriveClient,
  schema: string,
  table: NovaDriveTable,
  columns: readonly ColumnSpec[],
  rows: readonly (readonly Cell[])[],
): Promise<number> {
  const arrays = columns.map((_, index) => rows.map((row) => row[index] ?? null));
  const sql =
    `INSERT INTO ${qualifiedTable(schema, table)} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) ` +
    `SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`;
  return runSqlCount(client, sql, arrays, tableLabel(schema, table));
}

async function requireEmpty(client: NovaDriveClient, schema: string): Promise<void> {
  for (const table of NOVADRIVE_TABLES) {
    const [row] = await runSql<{ filled: boolean }>(
      client,
      `SELECT EXISTS (SELECT 1 FROM ${qualifiedTable(schema, table)}) AS filled`,
      [],
      tableLabel(schema, table),
    );
    if (row?.filled) {
      throw new NovaDriveError(
        'TABLES_NOT_EMPTY',
        `${tableLabel(schema, table)} already has rows; generateNovaDrive fills empty tables only: ` +
          'recreate them with createNovaDriveSchema(client, { replace: true })',
        { table: tableLabel(schema, table) },
      );
    }
  }
}

const LARGE_TABLES: readonly NovaDriveTable[] = ['clientes', 'vendas'];
const LARGE_TABLE_KEYS = NOVADRIVE_FOREIGN_KEYS.filter((key) => LARGE_TABLES.includes(key.table));
const LARGE_TABLE_INDEXES = NOVADRIVE_INDEXES.filter((index) => LARGE_TABLES.includes(index.table));

async function dropLargeTableConstraints(client: NovaDriveClient, schema: string): Promise<void> {
  for (const key of LARGE_TABLE_KEYS) {
    await runSql(
      client,
      `ALTER TABLE ${qualifiedTable(schema, key.table)} DROP CONSTRAINT IF EXISTS ${quoteIdent(key.name)}`,
      [],
      tableLabel(schema, key.table),
    );
  }
  for (const index of LARGE_TABLE_INDEXES) {
    await runSql(
      client,
      `DROP INDEX IF EXISTS ${qualifiedTable(schema, index.name)}`,
      [],
      tableLabel(schema, index.table),
    );
  }
  for (const table of LARGE_TABLES) {
    await runSql(
      client,
      `ALTER TABLE ${qualifiedTable(schema, table)} DROP CONSTRAINT IF EXISTS ${quoteIdent(`${table}_pkey`)}`,
      [],
      tableLabel(schema, table),
    );
  }
}

async function restoreLargeTableConstraints(client: NovaDriveClient, schema: string): Promise<void> {
  for (const table of LARGE_TABLES) {
    await runSql(client, addPrimaryKeySql(schema, table), [], tableLabel(schema, table));
  }
  for (const index of LARGE_TABLE_INDEXES)
    await runSql(client, createIndexSql(schema, index), [], tableLabel(schema, index.table));
  for (const key of LARGE_TABLE_KEYS)
    await runSql(client, addForeignKeySql(schema, key), [], tableLabel(schema, key.table));
}

/** Point the identity sequence past the generated ids, so rows inserted later get new ids. */
async function resetIdentity(client: NovaDriveClient, schema: string, table: NovaDriveTable): Promise<void> {
  const key = quoteIdent(NOVADRIVE_PRIMARY_KEYS[table]);
  await runSql(
    client,
    `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(${key}), 1), max(${key}) IS NOT NULL) FROM ${qualifiedTable(schema, table)}`,
    [qualifiedTable(schema, table), NOVADRIVE_PRIMARY_KEYS[table]],
    tableLabel(schema, table),
  );
}

/** A timestamp after `from` and before `before` (both µs), or null when the row was never updated. */
function maybeUpdated(random: SeededRandom, probability: number, from: number, before: number): string | null {
  return random.chance(probability) ? formatTimestamp(from + 1 + random.int(Math.max(1, before - from - 1))) : null;
}

function buildVehicles(seed: number, count: number): { rows: Cell[][]; priceCents: number[]; wheel: number[] } {
  const random = createSeededRandom(seed, 'veiculos');
  const indexes = VEHICLE_MODELS.map((_, index) => index);
  for (let i = indexes.length - 1; i > 0; i -= 1) {
    const j = random.int(i + 1);
    [indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number];
  }
  // Every type appears at least once, then the shuffled catalog fills up to `count`.
  const chosen = new Set<number>();
  for (const type of VEHICLE_TYPES) {
    const first = indexes.find((index) => VEHICLE_MODELS[index]?.tipo === type.tipo);
    if (first !== undefined) chosen.add(first);
  }
  for (const index of indexes) if (chosen.size < count) chosen.add(index);
  const rows: Cell[][] = [];
  const priceCents: number[] = [];
  const weights: number[] = [];
  [...chosen]
    .sort((a, b) => a - b)
    .forEach((index, position) => {
      const model = VEHICLE_MODELS[index];
      const type = VEHICLE_TYPES.find((t) => t.tipo === model?.tipo);
      if (!model || !type) throw new Error(`vehicle catalog entry ${index} has no type`);
      const price = listPriceCents(type.minPrice + random.next() * (type.maxPrice - type.minPrice));
      const included = US.catalogFrom + random.int(180 * DAY_US);
      // Updates of generated vehicles happen before the first sale: every generated sale is priced at today's list price.
      rows.push([
        position + 1,
        model.nome,
        model.tipo,
        fromCents(price),
        maybeUpdated(random, 0.2, included, US.salesFrom),
        formatTimestamp(included),
      ]);
      priceCents.push(price);
      weights.push((0.5 + random.next()) * (20_000_000 / price) ** 0.8);
    });
  // A popularity wheel of ~1000 slots: picking a slot uniformly favours cheaper, more popular models.
  const total = weights.reduce((sum, w) => sum + w, 0);
  const wheel = weights.flatMap((weight, index) =>
    Array.from({ length: Math.max(1, Math.round((weight / total) * 1000)) }, () => index + 1),
  );
  return { rows, priceCents, wheel };
}

function buildStates(seed: number): Cell[][] {
  const random = createSeededRandom(seed, 'estados');
  return BRAZIL_STATES.map((state, index) => {
    const included = US.catalogFrom + random.int(HOUR_US);
    return [
      index + 1,
      state.name,
      state.sigla,
      formatTimestamp(included),
      maybeUpdated(random, 0.1, included, US.historyEnd),
    ];
  });
}

function buildCities(seed: number): Cell[][] {
  const random = createSeededRandom(seed, 'cidades');
  const rows: Cell[][] = [];
  BRAZIL_STATES.forEach((state, stateIndex) => {
    for (const city of state.cities) {
      const included = US.catalogFrom + DAY_US + random.int(7 * DAY_US);
      rows.push([
        rows.length + 1,
        city,
        stateIndex + 1,
        formatTimestamp(included),
        maybeUpdated(random, 0.05, included, US.historyEnd),
      ]);
    }
  });
  return rows;
}

function buildDealerships(seed: number, count: number): { rows: Cell[][]; created: number[] } {
  const random = createSeededRandom(seed, 'concessionarias');
  // Dealerships open where people live: state population, then larger cities first (1/rank within the state).
  const cities: { id: number; name: string; weight: number }[] = [];
  for (const state of BRAZIL_STATES) {
    const harmonic = state.cities.reduce((sum, _, rank) => sum + 1 / (rank + 1), 0);
    state.cities.forEach((name, rank) => {
      cities.push({ id: cities.length + 1, name, weight: state.population / (rank + 1) / harmonic });
    });
  }
  const total = cities.reduce((sum, city) => sum + city.weight, 0);
  const perCity = new Map<number, number>();
  const rows: Cell[][] = [];
  const created: number[] = [];
  for (let id = 1; id <= count; id += 1) {
    let roll = random.next() * total;
    const city = cities.find((c) => (roll -= c.weight) < 0) ?? (cities[cities.length - 1] as (typeof cities)[number]);
    const nth = perCity.get(city.id) ?? 0;
    perCity.set(city.id, nth + 1);
    const areas = BRAZILIAN_NAMES.dealershipArea;
    const suffix =
      nth === 0
        ? ''
        : ` ${areas[(nth - 1) % areas.length]}${nth > areas.length ? ` ${Math.ceil(nth / areas.length)}` : ''}`;
    const included = US.catalogFrom + 10 * DAY_US + random.int(300 * DAY_US);
    created.push(included);
    rows.push([
      id,
      pad(`NovaDrive ${city.name}${suffix}`, random.int(25)),
      city.id,
      formatTimestamp(included),
      maybeUpdated(random, 0.2, included, US.historyEnd),
    ]);
  }
  return { rows, created };
}

function buildSalespeople(
  seed: number,
  dealershipCreated: readonly number[],
  perDealership: readonly number[],
): Cell[][] {
  const random = createSeededRandom(seed, 'vendedores');
  const rows: Cell[][] = [];
  perDealership.forEach((staff, index) => {
    const opened = dealershipCreated[index] ?? US.catalogFrom;
    for (let n = 0; n < staff; n += 1) {
      const included = opened + 1 + random.int(US.salesFrom - opened - 1);
      rows.push([
        rows.length + 1,
        fakePersonName(random),
        index + 1,
        formatTimestamp(included),
        maybeUpdated(random, 0.15, included, US.historyEnd),
      ]);
    }
  });
  return rows;
}

function firstIds(counts: readonly number[]): number[] {
  let next = 1;
  return counts.map((count) => {
    const first = next;
    next += count;
    return first;
  });
}

/** Everything the customer and sale streams need. */
interface LargeTablePlan {
  readonly seed: number;
  readonly sales: number;
  readonly customers: number;
  readonly buyers: number;
  readonly dealerships: number;
  readonly staffFirst: readonly number[];
  readonly staffCount: readonly number[];
  readonly vehicleWheel: readonly number[];
  readonly priceCents: readonly number[];
}

const SALES_SPAN_SECONDS = SALES_SPAN_DAYS * 86_400;
/** Rows per string handed to the COPY stream. */
const ROWS_PER_CHUNK = 2000;
const HASH_BLOCK = 1;
const HASH_HOME_DEALERSHIP = 2;

/** COPY rows into a table through pg-copy-streams; returns the number of rows the server stored. */
async function copyRows(
  client: NovaDriveClient,
  schema: string,
  table: NovaDriveTable,
  columns: readonly string[],
  chunks: Iterable<string>,
): Promise<number> {
  const sql = `COPY ${qualifiedTable(schema, table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`;
  try {
    const stream = client.query(copyFrom(sql));
    await pipeline(Readable.from(chunks, { objectMode: false }), stream);
    return stream.rowCount;
  } catch (error) {
    throw new NovaDriveError(
      'STATEMENT_FAILED',
      `loading ${tableLabel(schema, table)} with COPY failed: ${error instanceof Error ? error.message : String(error)}`,
      { table: tableLabel(schema, table), sql, cause: error },
    );
  }
}

/** The time slot of sale number i (1-based): sales are spread evenly over SALES_SPAN_DAYS in id order. */
function saleSlotStart(i: number, sales: number): number {
  return US.salesFrom + Math.floor(((i - 1) * SALES_SPAN_SECONDS) / sales) * 1_000_000;
}

/** Customer id of buyer number k: in each block of 20 ids, a seeded rotation decides which 17 are buyers. */
function buyerCustomerId(seed: number, k: number): number {
  const block = Math.floor((k - 1) / BUYERS_PER_BLOCK);
  const q = (k - 1) % BUYERS_PER_BLOCK;
  const rotation = hash32(seed, HASH_BLOCK, block) % CUSTOMER_BLOCK;
  return block * CUSTOMER_BLOCK + ((q - rotation + CUSTOMER_BLOCK) % CUSTOMER_BLOCK) + 1;
}

/** The dealership a customer registered at (sales and customers must agree on it without sharing a stream). */
function homeDealership(seed: number, customerId: number, dealerships: number): number {
  return 1 + (hash32(seed, HASH_HOME_DEALERSHIP, customerId) % dealerships);
}

/**
 * Customers: ids come in blocks of 20, of which 17 (a seeded rotation per block) are buyers. Buyer number k makes
 * its first purchase in sale ((k - 1) * sales) / buyers + 1 and registered 1 hour to 30 days before that sale's
 * slot; the 3 others never buy and registered at any time. 8% have a later address update.
 * Rows in COPY text format (tab-separated, \N for NULL); the word lists hold no tab, newline or backslash.
 */
function* customerChunks(plan: LargeTablePlan): Generator<string> {
  const random = createSeededRandom(plan.seed, 'clientes');
  const nonBuyerFrom = US.salesFrom - 30 * DAY_US;
  let lines: string[] = [];
  for (let j = 1; j <= plan.customers; j += 1) {
    const block = Math.floor((j - 1) / CUSTOMER_BLOCK);
    const q = (((j - 1) % CUSTOMER_BLOCK) + (hash32(plan.seed, HASH_BLOCK, block) % CUSTOMER_BLOCK)) % CUSTOMER_BLOCK;
    const name = fakePersonName(random);
    const address = fakeAddress(random);
    let included: number;
    if (q < BUYERS_PER_BLOCK) {
      const k = block * BUYERS_PER_BLOCK + q + 1;
      const firstSale = Math.floor(((k - 1) * plan.sales) / plan.buyers) + 1;
      included = saleSlotStart(firstSale, plan.sales) - HOUR_US - random.int(30 * DAY_US);
    } else {
      included = nonBuyerFrom + random.int(US.historyEnd - nonBuyerFrom);
    }
    const updated = random.chance(0.08)
      ? formatTimestamp(included + 1 + random.int(US.historyEnd - included - 1))
      : '\\N';
    lines.push(
      `${j}\t${name}\t${address}\t${homeDealership(plan.seed, j, plan.dealerships)}\t${formatTimestamp(included)}\t${updated}\n`,
    );
    if (lines.length === ROWS_PER_CHUNK) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length > 0) yield lines.join('');
}

/**
 * Sales, in date order of id (each sale inside its own slot of the 730 days). Sale i is the first purchase of buyer
 * ceil(i * buyers / sales) when that number changes at i, else a repeat purchase of an earlier buyer; 90% are made
 * at the customer's own dealership, always by a salesperson of the dealership; the vehicle comes from the popularity
 * wheel and the price paid is 95–100% of its list price, drawn in whole cents (so never outside the rule).
 * 3% were corrected later (data_atualizacao set).
 */
function* saleChunks(plan: LargeTablePlan): Generator<string> {
  const random = createSeededRandom(plan.seed, 'vendas');
  const step = Math.max(1, Math.floor(SALES_SPAN_SECONDS / plan.sales));
  let lines: string[] = [];
  for (let i = 1; i <= plan.sales; i += 1) {
    const newest = Math.ceil((i * plan.buyers) / plan.sales);
    const previous = Math.ceil(((i - 1) * plan.buyers) / plan.sales);
    const buyer = newest !== previous ? newest : 1 + random.int(newest);
    const customer = buyerCustomerId(plan.seed, buyer);
    const dealership = random.chance(0.9)
      ? homeDealership(plan.seed, customer, plan.dealerships)
      : 1 + random.int(plan.dealerships);
    const salesperson = (plan.staffFirst[dealership - 1] ?? 1) + random.int(plan.staffCount[dealership - 1] ?? 1);
    const vehicle = plan.vehicleWheel[random.int(plan.vehicleWheel.length)] ?? 1;
    const paid = pricePaid(random, plan.priceCents[vehicle - 1] ?? 0);
    const sold = saleSlotStart(i, plan.sales) + random.int(step) * 1_000_000;
    const included = sold + 5 * 60_000_000 + random.int(3 * HOUR_US);
    const updated = random.chance(0.03)
      ? formatTimestamp(included + 1 + random.int(US.historyEnd - included - 1))
      : '\\N';
    lines.push(
      `${i}\t${vehicle}\t${dealership}\t${salesperson}\t${customer}\t${fromCents(paid)}\t${formatTimestamp(sold)}\t${formatTimestamp(included)}\t${updated}\n`,
    );
    if (lines.length === ROWS_PER_CHUNK) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length > 0) yield lines.join('');
}
