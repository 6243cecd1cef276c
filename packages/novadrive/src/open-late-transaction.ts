import { requireNovaDriveTables } from './create-novadrive-schema.js';
import { fakeAddress } from './fake-person.js';
import { connectNovaDrive, runSql, type NovaDriveConnection } from './novadrive-client.js';
import { formatTimestamp, NOVADRIVE_CALENDAR, parseTimestamp } from './novadrive-clock.js';
import { NovaDriveError } from './novadrive-error.js';
import { checkSeed } from './novadrive-sizes.js';
import { checkSchemaName, qualifiedTable, tableLabel } from './novadrive-tables.js';
import { fromCents, pricePaid, toCents } from './price-rule.js';
import { createSeededRandom, drawIds } from './seeded-random.js';

/** Options of `openLateTransaction`. */
export interface LateTransactionOptions {
  /** Chooses the customer, vehicle, salesperson, price and new address. */
  readonly seed: number;
  /**
   * The timestamp written on both rows. Default: one minute before the latest timestamp already committed in
   * vendas and clientes — so a load that runs while the transaction is open passes it by.
   */
  readonly at?: Date | string;
  /** Default `public`. */
  readonly schema?: string;
}

/** What the late transaction wrote (visible to others only after `commit()`). */
export interface LateTransactionRows {
  /** The timestamp on both rows, as Postgres text. */
  readonly at: string;
  /** The sale it inserted: data_venda = data_inclusao = at, data_atualizacao NULL, price within the rule. */
  readonly sale: {
    readonly id_vendas: number;
    readonly id_veiculos: number;
    readonly id_concessionarias: number;
    readonly id_vendedores: number;
    readonly id_clientes: number;
    readonly valor_pago: string;
    readonly data_venda: string;
    readonly data_inclusao: string;
  };
  /** The customer (the sale's buyer) whose address it changed: data_atualizacao = at. */
  readonly customer: { readonly id_clientes: number; readonly endereco: string; readonly data_atualizacao: string };
}

/** An open transaction on its own connection; commit or roll it back exactly once (the connection then closes). */
export interface LateTransaction {
  readonly rows: LateTransactionRows;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/**
 * The hard case of a transaction that starts before a load and commits after it: on its own connection, BEGIN,
 * insert a sale and update its customer's address, both stamped `at` (earlier than what a load running meanwhile
 * sees as its upper bound), and leave the transaction open. Pass a Postgres URL (a `pg.Client` is opened) or a
 * factory returning a connected client; either way the connection is closed by `commit()`/`rollback()`.
 *
 * @example
 * const late = await openLateTransaction(db.url, { seed: 7 });
 * await runLoad();       // cannot see late.rows
 * await late.commit();
 * await runLoad();       // must load them
 */
export async function openLateTransaction(
  connect: string | (() => Promise<NovaDriveConnection>),
  options: LateTransactionOptions,
): Promise<LateTransaction> {
  const seed = checkSeed(options.seed);
  const schema = checkSchemaName(options.schema ?? 'public');
  const at = options.at === undefined ? undefined : formatTimestamp(parseTimestamp(options.at));
  const client = await openConnection(connect);
  try {
    await requireNovaDriveTables(client, schema);
    await runSql(client, 'BEGIN');
    const rows = await writeLateRows(client, schema, seed, at);
    return handle(client, rows);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
    throw error;
  }
}

async function openConnection(connect: string | (() => Promise<NovaDriveConnection>)): Promise<NovaDriveConnection> {
  return typeof connect === 'string' ? connectNovaDrive(connect) : connect();
}

async function writeLateRows(
  client: NovaDriveConnection,
  schema: string,
  seed: number,
  requestedAt: string | undefined,
): Promise<LateTransactionRows> {
  const random = createSeededRandom(seed, 'late-transaction');
  const t = (table: 'vendas' | 'clientes' | 'veiculos' | 'vendedores') => qualifiedTable(schema, table);
  const [state] = await runSql<{ latest: string | null; max_customer: number | null }>(
    client,
    `SELECT greatest((SELECT max(greatest(data_venda, data_inclusao, data_atualizacao)) FROM ${t('vendas')}),
                     (SELECT max(greatest(data_inclusao, data_atualizacao)) FROM ${t('clientes')}))::text AS latest,
            (SELECT max(id_clientes) FROM ${t('clientes')}) AS max_customer`,
  );
  const at =
    requestedAt ?? formatTimestamp(parseTimestamp(state?.latest ?? NOVADRIVE_CALENDAR.historyEnd) - 60_000_000);

  // A customer registered (and last changed) no later than `at`, that no other transaction holds.
  let customer: { id: number; dealership: number } | undefined;
  for (let attempt = 0; attempt < 5 && !customer && (state?.max_customer ?? 0) > 0; attempt += 1) {
    const candidates = drawIds(random, state?.max_customer ?? 0, 50);
    const found = await runSql<{ id: number; dealership: number }>(
      client,
      `SELECT id_clientes AS id, id_concessionarias AS dealership FROM ${t('clientes')}
       WHERE id_clientes = ANY($1::int[]) AND coalesce(data_atualizacao, data_inclusao) <= $2::timestamp
       FOR NO KEY UPDATE SKIP LOCKED`,
      [candidates, at],
      tableLabel(schema, 'clientes'),
    );
    const byId = new Map(found.map((row) => [row.id, row]));
    customer = candidates.map((id) => byId.get(id)).find((row) => row !== undefined);
  }
  if (!customer) {
    throw new NovaDriveError(
      'INVALID_OPTIONS',
      `no customer in ${tableLabel(schema, 'clientes')} was registered before ${at}: pass a later \`at\``,
      {
        table: tableLabel(schema, 'clientes'),
      },
    );
  }
  // A vehicle whose list price was already valid at `at`, so the sale obeys the price rule as of its date.
  const vehicles = await runSql<{ id: number; valor: string }>(
    client,
    `SELECT id_veiculos AS id, valor::text AS valor FROM ${t('veiculos')}
     WHERE data_atualizacao IS NULL OR data_atualizacao <= $1::timestamp ORDER BY id_veiculos`,
    [at],
    tableLabel(schema, 'veiculos'),
  );
  if (vehicles.length === 0) {
    throw new NovaDriveError(
      'INVALID_OPTIONS',
      `no vehicle in ${tableLabel(schema, 'veiculos')} had its list price before ${at}: pass a later \`at\``,
      {
        table: tableLabel(schema, 'veiculos'),
      },
    );
  }
  const vehicle = random.pick(vehicles);
  const sellers = await runSql<{ id: number; dealership: number }>(
    client,
    `SELECT id_vendedores AS id, id_concessionarias AS dealership FROM ${t('vendedores')}
     ORDER BY (id_concessionarias = $1) DESC, id_vendedores`,
    [customer.dealership],
    tableLabel(schema, 'vendedores'),
  );
  const ownDealership = sellers.filter((seller) => seller.dealership === customer.dealership);
  const seller = ownDealership.length > 0 ? random.pick(ownDealership) : sellers[0];
  if (!seller)
    throw new NovaDriveError('INVALID_OPTIONS', `${tableLabel(schema, 'vendedores')} is empty`, {
      table: tableLabel(schema, 'vendedores'),
    });

  const [idRow] = await runSql<{ id: string }>(
    client,
    `SELECT nextval(pg_get_serial_sequence($1, 'id_vendas')) AS id`,
    [t('vendas')],
    tableLabel(schema, 'vendas'),
  );
  const sale = {
    id_vendas: Number(idRow?.id),
    id_veiculos: vehicle.id,
    id_concessionarias: seller.dealership,
    id_vendedores: seller.id,
    id_clientes: customer.id,
    valor_pago: fromCents(pricePaid(random, toCents(vehicle.valor))),
    data_venda: at,
    data_inclusao: at,
  };
  await runSql(
    client,
    `INSERT INTO ${t('vendas')} (id_vendas, id_veiculos, id_concessionarias, id_vendedores, id_clientes, valor_pago, data_venda, data_inclusao)
     VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::timestamp, $8::timestamp)`,
    [
      sale.id_vendas,
      sale.id_veiculos,
      sale.id_concessionarias,
      sale.id_vendedores,
      sale.id_clientes,
      sale.valor_pago,
      sale.data_venda,
      sale.data_inclusao,
    ],
    tableLabel(schema, 'vendas'),
  );
  const endereco = fakeAddress(random);
  await runSql(
    client,
    `UPDATE ${t('clientes')} SET endereco = $2, data_atualizacao = $3::timestamp WHERE id_clientes = $1`,
    [customer.id, endereco, at],
    tableLabel(schema, 'clientes'),
  );
  return { at, sale, customer: { id_clientes: customer.id, endereco, data_atualizacao: at } };
}

function handle(client: NovaDriveConnection, rows: LateTransactionRows): LateTransaction {
  let closed = false;
  const finish = async (statement: 'COMMIT' | 'ROLLBACK') => {
    if (closed) {
      throw new NovaDriveError(
        'TRANSACTION_CLOSED',
        `the late transaction (sale ${rows.sale.id_vendas}) was already committed or rolled back`,
      );
    }
    closed = true;
    try {
      await runSql(client, statement);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  return { rows, commit: () => finish('COMMIT'), rollback: () => finish('ROLLBACK') };
}
