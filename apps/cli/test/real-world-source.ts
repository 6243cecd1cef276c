import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { TestDatabase } from '@sluice/testing';

/**
 * A source database nobody here designed, with the shapes real ones have: pgbench's four tables (made by Debian's
 * `pgbench -i` when it is installed, else the same tables made with SQL) and pgbench's traffic, and tables with no
 * primary key, a composite key, a uuid key, an identity key, only a creation stamp, a stamp nobody sets, a stamp
 * that is NULL in most rows, a stamp the updates never touch, a partitioned table (root and two partitions), a
 * view, a materialized view, names with spaces, capitals, quotes, Unicode and SQL keywords, a generated column, a
 * domain, a huge text column, an empty table, and a table the reading role may not read.
 */
export interface RealWorldSource {
  /** The URL of the reading role (what `sluice init --from` gets): SELECT on everything but `secrets`. */
  readonly readerUrl: string;
  readonly reader: string;
  /** Whether Debian's pgbench made the pgbench tables (else SQL did). */
  readonly pgbench: boolean;
  /** Every table init should propose, with the columns and key that identify a row (for fingerprints). */
  readonly tables: readonly SourceTableShape[];
  /** Drop the role (the database is the caller's). */
  dropRole(): Promise<void>;
}

export interface SourceTableShape {
  readonly name: string;
  readonly columns: readonly string[];
  /** The primary key, or every column for a table without one (its rows are distinct). */
  readonly key: readonly string[];
}

function pgbenchAvailable(): boolean {
  return spawnSync('pgbench', ['--version'], { stdio: 'ignore' }).status === 0;
}

function runPgbench(args: readonly string[]): void {
  const run = spawnSync('pgbench', args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`pgbench ${args.join(' ')} failed: ${run.stderr}`);
}

/** pgbench's tables at scale 1 and a few hundred of its transactions, with SQL only (no pgbench binary). */
async function pgbenchBySql(client: pg.Client): Promise<void> {
  await client.query(`CREATE TABLE pgbench_branches (bid int NOT NULL PRIMARY KEY, bbalance int, filler char(88))`);
  await client.query(
    `CREATE TABLE pgbench_tellers (tid int NOT NULL PRIMARY KEY, bid int, tbalance int, filler char(84))`,
  );
  await client.query(
    `CREATE TABLE pgbench_accounts (aid int NOT NULL PRIMARY KEY, bid int, abalance int, filler char(84))`,
  );
  await client.query(
    `CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))`,
  );
  await client.query(`INSERT INTO pgbench_branches (bid, bbalance) VALUES (1, 0)`);
  await client.query(`INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT g, 1, 0 FROM generate_series(1, 10) g`);
  await client.query(
    `INSERT INTO pgbench_accounts (aid, bid, abalance, filler) SELECT g, 1, 0, '' FROM generate_series(1, 100000) g`,
  );
  await client.query('VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_accounts, pgbench_history');
  await pgbenchTrafficBySql(client, 300, 1);
}

/** pgbench's TPC-B-like transaction, `count` times, deterministically. */
async function pgbenchTrafficBySql(client: pg.Client, count: number, seed: number): Promise<void> {
  await client.query(
    `DO $$
     DECLARE i int; a int; t int; d int;
     BEGIN
       FOR i IN 1..${count} LOOP
         a := 1 + ((i * 7919 + ${seed} * 104729) % 100000);
         t := 1 + ((i * 31 + ${seed}) % 10);
         d := ((i * 17 + ${seed}) % 10001) - 5000;
         UPDATE pgbench_accounts SET abalance = abalance + d WHERE aid = a;
         UPDATE pgbench_tellers SET tbalance = tbalance + d WHERE tid = t;
         UPDATE pgbench_branches SET bbalance = bbalance + d WHERE bid = 1;
         INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (t, 1, a, d, clock_timestamp());
       END LOOP;
     END $$`,
  );
}

/** pgbench's traffic: the real binary when there is one. */
export async function pgbenchTraffic(db: TestDatabase, usedBinary: boolean, seed: number): Promise<void> {
  if (usedBinary) runPgbench(['-n', '-t', '200', '-c', '1', db.url]);
  else await db.withClient((client) => pgbenchTrafficBySql(client, 200, seed));
}

const TABLES: readonly SourceTableShape[] = [
  { name: 'pgbench_accounts', columns: ['aid', 'bid', 'abalance', 'filler'], key: ['aid'] },
  { name: 'pgbench_branches', columns: ['bid', 'bbalance', 'filler'], key: ['bid'] },
  { name: 'pgbench_tellers', columns: ['tid', 'bid', 'tbalance', 'filler'], key: ['tid'] },
  {
    name: 'pgbench_history',
    columns: ['tid', 'bid', 'aid', 'delta', 'mtime', 'filler'],
    key: ['tid', 'bid', 'aid', 'delta', 'mtime'],
  },
  { name: 'page_views', columns: ['viewed_at', 'path', 'visitor'], key: ['viewed_at', 'path', 'visitor'] },
  {
    name: 'order_lines',
    columns: ['order_id', 'line_no', 'sku', 'qty', 'created_at', 'updated_at'],
    key: ['order_id', 'line_no'],
  },
  { name: 'tickets', columns: ['id', 'title', 'state', 'updated_at'], key: ['id'] },
  {
    name: 'Customer Orders',
    columns: [
      'Order ID',
      'Customer Name',
      'order',
      'user',
      'select',
      'group',
      'Preço Unitário',
      'quantity',
      'Total',
      'Status "quoted"',
      'email',
      'Created At',
      'Updated At',
    ],
    key: ['Order ID'],
  },
  { name: 'audit_log', columns: ['id', 'created_at', 'action'], key: ['id'] },
  { name: 'signups', columns: ['id', 'created_at', 'email', 'updated_at'], key: ['id'] },
  {
    name: 'stock_levels',
    columns: ['warehouse_id', 'sku', 'qty', 'updated_at'],
    key: ['warehouse_id', 'sku'],
  },
  { name: 'settings_flags', columns: ['id', 'name', 'enabled', 'modified_at'], key: ['id'] },
  { name: 'sessions', columns: ['id', 'state', 'updated_at', 'last_updated'], key: ['id'] },
  {
    name: 'measurements',
    columns: ['id', 'taken_on', 'value', 'created_at', 'updated_at'],
    key: ['id', 'taken_on'],
  },
  { name: 'documents', columns: ['id', 'title', 'body'], key: ['id'] },
  { name: 'empty_things', columns: ['id', 'note'], key: ['id'] },
  { name: 'group', columns: ['id', 'name'], key: ['id'] },
  { name: 'Ünïcødé "Tàble"', columns: ['Ключ', 'naïve col', 'MixedCase'], key: ['Ключ'] },
];

/**
 * Build the source in `db` (whose URL is a superuser's), and a role that reads all of it but `secrets`.
 * Postgres's counters see the history the shapes need (updates of tables that have no change column, deletes);
 * the caller waits for them with `waitForCounters`.
 */
export async function createRealWorldSource(db: TestDatabase): Promise<RealWorldSource> {
  const pgbench = pgbenchAvailable();
  if (pgbench) {
    runPgbench(['-i', '-q', '-s', '1', '-I', 'dtgvp', db.url]);
    runPgbench(['-n', '-t', '300', '-c', '1', db.url]);
  } else {
    await db.withClient(pgbenchBySql);
  }
  const reader = `sluice_reader_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await db.withClient(async (client) => {
    const q = (sql: string) => client.query(sql);
    // No primary key: a log of page views.
    await q(`CREATE TABLE page_views (viewed_at timestamptz NOT NULL, path text NOT NULL, visitor int NOT NULL)`);
    await q(`INSERT INTO page_views SELECT timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',
               '/p/' || (g % 97), g FROM generate_series(1, 12000) g`);
    // A composite key, a creation stamp, and an update stamp NULL until a row's first update.
    await q(`CREATE TABLE order_lines (order_id int NOT NULL, line_no int NOT NULL, sku text NOT NULL, qty int NOT NULL,
               created_at timestamptz NOT NULL, updated_at timestamptz, PRIMARY KEY (order_id, line_no))`);
    await q(`INSERT INTO order_lines SELECT 1 + g / 3, g % 3, 'SKU-' || (g % 500), 1 + g % 7,
               timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', NULL FROM generate_series(1, 15000) g`);
    await q(`UPDATE order_lines SET qty = qty + 1, updated_at = timestamptz '2024-06-01 00:00:00+00' + order_id * interval '1 second'
              WHERE order_id % 5 = 0`);
    // A uuid key, and an update stamp always set.
    await q(`CREATE TABLE tickets (id uuid PRIMARY KEY, title text NOT NULL, state text NOT NULL,
               updated_at timestamptz NOT NULL)`);
    await q(`INSERT INTO tickets SELECT md5('ticket' || g)::uuid, 'Ticket ' || g, 'open',
               timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, 12000) g`);
    await q(`UPDATE tickets SET state = 'closed', updated_at = updated_at + interval '1 day' WHERE title LIKE '%7'`);
    // Names that need quoting everywhere: spaces, capitals, quotes, Unicode, keywords; a generated column; a domain.
    await q(`CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%')`);
    await q(`CREATE TABLE "Customer Orders" (
               "Order ID" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
               "Customer Name" text NOT NULL, "order" int NOT NULL, "user" text, "select" text, "group" text,
               "Preço Unitário" numeric(10,2) NOT NULL, quantity int NOT NULL,
               "Total" numeric(12,2) GENERATED ALWAYS AS ("Preço Unitário" * quantity) STORED,
               "Status ""quoted""" text, email email_address,
               "Created At" timestamptz NOT NULL, "Updated At" timestamptz NOT NULL)`);
    await q(`INSERT INTO "Customer Orders" ("Customer Name", "order", "user", "select", "group", "Preço Unitário",
               quantity, "Status ""quoted""", email, "Created At", "Updated At")
             SELECT 'Cliente ' || g || ' Ñoño', g, 'u' || (g % 50), 'sel', 'g' || (g % 3), (g % 1000) / 10.0, 1 + g % 4,
                    CASE WHEN g % 2 = 0 THEN 'said "yes"' END, 'c' || g || '@example.com',
                    timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
                    timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
               FROM generate_series(1, 12000) g`);
    await q(`UPDATE "Customer Orders" SET quantity = quantity + 1, "Updated At" = "Updated At" + interval '30 days'
              WHERE "Order ID" % 11 = 0`);
    // Only created_at, an identity key: insert-only (the stamp is set once, never updated); some rows purged.
    await q(`CREATE TABLE audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
               created_at timestamptz NOT NULL, action text NOT NULL)`);
    await q(`INSERT INTO audit_log (created_at, action) SELECT timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
               'action ' || g FROM generate_series(1, 15000) g`);
    await q(`DELETE FROM audit_log WHERE id <= 100`);
    // A creation stamp, an update stamp nothing sets, a uuid key; never analyzed (read by a sample).
    await q(`CREATE TABLE signups (id uuid PRIMARY KEY, created_at timestamptz NOT NULL, email text NOT NULL,
               updated_at timestamptz) WITH (autovacuum_enabled = false)`);
    await q(`INSERT INTO signups SELECT md5('signup' || g)::uuid, timestamptz '2024-02-01 00:00:00+00' + g * interval '1 second',
               's' || g || '@example.com' FROM generate_series(1, 12000) g`);
    // A composite key with an update stamp, but rows are deleted: a key that cannot find deletes.
    await q(`CREATE TABLE stock_levels (warehouse_id int NOT NULL, sku text NOT NULL, qty int NOT NULL,
               updated_at timestamptz NOT NULL, PRIMARY KEY (warehouse_id, sku))`);
    await q(`INSERT INTO stock_levels SELECT g % 4, 'SKU-' || g, g % 90, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
               FROM generate_series(1, 12000) g`);
    await q(`UPDATE stock_levels SET qty = qty - 1, updated_at = updated_at + interval '1 hour' WHERE qty > 80`);
    await q(`DELETE FROM stock_levels WHERE qty = 0`);
    // A stamp the updates never touch (one default value in every row).
    await q(`CREATE TABLE settings_flags (id serial PRIMARY KEY, name text NOT NULL, enabled boolean NOT NULL,
               modified_at timestamptz NOT NULL DEFAULT '2020-01-01 00:00:00+00')`);
    await q(
      `INSERT INTO settings_flags (name, enabled) SELECT 'flag ' || g, g % 2 = 0 FROM generate_series(1, 11000) g`,
    );
    await q(`UPDATE settings_flags SET enabled = NOT enabled WHERE id % 13 = 0`);
    // updated_at NULL in every row, last_updated NULL in 75 %, no creation stamp; rows are updated.
    await q(`CREATE TABLE sessions (id bigserial PRIMARY KEY, state text NOT NULL, updated_at timestamptz,
               last_updated timestamptz)`);
    await q(`INSERT INTO sessions (state, last_updated) SELECT 'open',
               CASE WHEN g % 4 = 0 THEN timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' END
               FROM generate_series(1, 12000) g`);
    await q(`UPDATE sessions SET state = 'closed' WHERE id % 10 = 0`);
    // A partitioned table, root and two partitions, never analyzed (autovacuum does not analyze a root).
    await q(`CREATE TABLE measurements (id bigserial, taken_on date NOT NULL, value numeric(8,3) NOT NULL,
               created_at timestamptz NOT NULL, updated_at timestamptz, PRIMARY KEY (id, taken_on))
               PARTITION BY RANGE (taken_on)`);
    await q(
      `CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
    );
    await q(
      `CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
    );
    await q(`INSERT INTO measurements (taken_on, value, created_at) SELECT date '2024-01-01' + (g % 700), g / 7.0,
               timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, 20000) g`);
    await q(`UPDATE measurements SET value = value + 1, updated_at = created_at + interval '1 day' WHERE id % 9 = 0`);
    // A view and a materialized view over tickets.
    await q(`CREATE VIEW v_open_tickets AS SELECT id, title FROM tickets WHERE state = 'open'`);
    await q(`CREATE MATERIALIZED VIEW mv_ticket_states AS SELECT state, count(*) AS n FROM tickets GROUP BY state`);
    // A huge text column (a few rows of 3 MB each): small, reloaded whole.
    await q(`CREATE TABLE documents (id int PRIMARY KEY, title text NOT NULL, body text NOT NULL)`);
    await q(`INSERT INTO documents SELECT g, 'Doc ' || g, repeat(md5(g::text), 98304) FROM generate_series(1, 5) g`);
    // An empty table; a table named by a keyword; a table whose every name is odd.
    await q(`CREATE TABLE empty_things (id int PRIMARY KEY, note text)`);
    await q(`CREATE TABLE "group" (id int PRIMARY KEY, name text NOT NULL)`);
    await q(`INSERT INTO "group" VALUES (1, 'admins'), (2, 'users'), (3, 'guests')`);
    await q(`CREATE TABLE "Ünïcødé ""Tàble""" ("Ключ" int PRIMARY KEY, "naïve col" text, "MixedCase" int)`);
    await q(`INSERT INTO "Ünïcødé ""Tàble""" VALUES (1, 'café', 10), (2, 'crème brûlée', 20), (3, NULL, NULL)`);
    // A table the reading role may not read.
    await q(`CREATE TABLE secrets (id int PRIMARY KEY, token text NOT NULL)`);
    await q(`INSERT INTO secrets VALUES (1, 'do-not-load')`);

    await q(`CREATE ROLE ${reader} LOGIN PASSWORD '${password}'`);
    await q(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(db.name)} TO ${reader}`);
    await q(`GRANT USAGE ON SCHEMA public TO ${reader}`);
    await q(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`);
    await q(`REVOKE SELECT ON secrets FROM ${reader}`);
  });
  const url = new URL(db.url);
  url.username = reader;
  url.password = password;
  return {
    readerUrl: url.toString(),
    reader,
    pgbench,
    tables: TABLES,
    async dropRole() {
      await db.withClient(async (client) => {
        await client.query(`DROP OWNED BY ${reader}`);
        await client.query(`DROP ROLE IF EXISTS ${reader}`);
      });
    },
  };
}

/**
 * ANALYZE the tables whose statistics init should read (`signups` and the partitioned root stay unanalyzed: init
 * samples them). Run after `waitForCounters`: rows changed after an ANALYZE make its statistics stale to init.
 */
export async function analyzeSource(db: TestDatabase): Promise<void> {
  await db.withClient((client) =>
    client.query('ANALYZE order_lines, tickets, "Customer Orders", audit_log, stock_levels, settings_flags, sessions'),
  );
}

/**
 * Wait (a bounded poll) until Postgres's counters show what each table went through: a backend reports them when
 * it ends, and the reading of another backend may lag by a moment.
 */
export async function waitForCounters(
  db: TestDatabase,
  expected: Readonly<Record<string, { readonly updated?: boolean; readonly deleted?: boolean }>>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.withClient(async (client) => {
      await client.query('SELECT pg_stat_clear_snapshot()');
      return (
        await client.query<{ relname: string; upd: string; del: string }>(
          `SELECT relname, n_tup_upd::text AS upd, n_tup_del::text AS del FROM pg_stat_user_tables WHERE schemaname = 'public'`,
        )
      ).rows;
    });
    const seen = new Map(rows.map((row) => [row.relname, row]));
    const missing = Object.entries(expected).filter(([name, want]) => {
      const row = seen.get(name);
      return !row || (want.updated && Number(row.upd) === 0) || (want.deleted && Number(row.del) === 0);
    });
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`Postgres's counters never showed the history of ${missing.map(([name]) => name).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
