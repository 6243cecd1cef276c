import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { loadProjectConfig, openStateStore, readRunRecord, type TableOutcome } from '@sluice/pipeline';
import {
  createTempDir,
  createTestDatabase,
  diffFingerprints,
  fingerprintPostgresTable,
  fingerprintWarehouseTable,
  type TestDatabase,
} from '@sluice/testing';
import {
  analyzeSource,
  createRealWorldSource,
  pgbenchTraffic,
  waitForCounters,
  type RealWorldSource,
} from './real-world-source.js';
import { sluice } from './sluice-process.js';

/** How init must decide each table of the real-world source, and what its comment must say. */
const EXPECTED: Readonly<
  Record<string, { strategy: string; cursor?: unknown[]; deletes?: 'reconcile'; says: readonly (string | RegExp)[] }>
> = {
  pgbench_accounts: {
    strategy: 'full',
    says: [/updated \([\d,]+ updates counted\) but no column says when: reloaded whole every run/],
  },
  pgbench_branches: { strategy: 'full', says: ['1 row: small, reloaded whole every run'] },
  pgbench_tellers: { strategy: 'full', says: ['10 rows: small, reloaded whole every run'] },
  pgbench_history: { strategy: 'full', says: ['no primary key: reloaded whole every run'] },
  page_views: { strategy: 'full', says: ['no primary key'] },
  order_lines: {
    strategy: 'upsert',
    cursor: [{ coalesce: ['updated_at', 'created_at'] }, 'order_id', 'line_no'],
    says: [
      'upsert by (coalesce(updated_at, created_at), order_id, line_no): new and changed rows',
      'updated_at shows when a row changed; it is NULL in 80% of rows (pg_stats), read as "not changed since created": it falls back to created_at (NOT NULL).',
      'Deletes are not found (that needs a single integer key; this table has composite key order_id (integer), line_no (integer))',
    ],
  },
  tickets: {
    strategy: 'upsert',
    cursor: ['updated_at', 'id'],
    says: ['upsert by (updated_at, id)', 'updated_at shows when a row changed; it is NOT NULL.', 'key id (uuid)'],
  },
  'Customer Orders': {
    strategy: 'upsert',
    cursor: ['Updated At', 'Order ID'],
    deletes: 'reconcile',
    says: [
      'upsert by ("Updated At", "Order ID")',
      'key "Order ID" (bigint, an identity)',
      'Deletes: found by comparing the keys on both sides (deletes: reconcile).',
    ],
  },
  audit_log: {
    strategy: 'append',
    cursor: ['id'],
    deletes: 'reconcile',
    says: [
      'append by id: looks insert-only (no updates counted, no change column)',
      'id is an identity, so new rows have larger keys.',
    ],
  },
  signups: {
    strategy: 'upsert',
    cursor: ['created_at', 'id'],
    says: [
      'looks insert-only (no updates counted), new rows by created_at',
      'updated_at is NULL in every row (a sample of 12,000 rows, as Postgres has not analyzed it): nothing sets it, so it cannot show changes.',
    ],
  },
  stock_levels: {
    strategy: 'full',
    says: [
      /deleted from \([\d,]+ deletes counted\), and its key cannot find deletes: reloaded whole every run/,
      'To load it incrementally instead (rows deleted in the source then stay in the warehouse): strategy: upsert, cursor: (updated_at, warehouse_id, sku).',
    ],
  },
  settings_flags: {
    strategy: 'full',
    says: [
      /updated \([\d,]+ updates counted\) but no column says when/,
      /modified_at holds one value in every row \(pg_stats\) although Postgres counted [\d,]+ updates: the updates do not set it/,
    ],
  },
  sessions: {
    strategy: 'full',
    says: [
      /updated \([\d,]+ updates counted\) but no column says when/,
      'updated_at is NULL in every row (pg_stats): nothing sets it, so it cannot show changes.',
      'last_updated is NULL in 75% of rows (pg_stats) and no never-NULL creation column can stand in for it',
    ],
  },
  measurements: {
    strategy: 'upsert',
    cursor: [{ coalesce: ['updated_at', 'created_at'] }, 'id', 'taken_on'],
    says: [
      'Partitioned: its partitions measurements_2024, measurements_2025 are read through it, so each row is loaded once.',
      /updated_at shows when a row changed; it is NULL in 89% of rows \(a sample of 20,000 rows, as Postgres has not analyzed it\)/,
    ],
  },
  documents: { strategy: 'full', says: ['5 rows: small'] },
  empty_things: { strategy: 'full', says: ['0 rows: small'] },
  group: { strategy: 'full', says: ['3 rows: small'] },
  'Ünïcødé "Tàble"': { strategy: 'full', says: ['3 rows: small'] },
};

/** Every comment of sluice.yml as prose: wrapped lines joined, the `#` and indentation gone. */
function prose(config: string): string {
  return config
    .split('\n')
    .filter((line) => /^\s*# /.test(line))
    .map((line) => line.replace(/^\s*# +/, ''))
    .join(' ');
}

/** The comment block written right above a table's key in sluice.yml, joined into one text. */
function commentAbove(config: string, name: string): string {
  const lines = config.split('\n');
  const key = `  ${/^[A-Za-z_][A-Za-z0-9_./-]*$/.test(name) ? name : JSON.stringify(name)}:`;
  const at = lines.indexOf(key);
  if (at < 0) throw new Error(`no entry ${key} in sluice.yml`);
  const block: string[] = [];
  for (let i = at - 1; i >= 0 && /^ {2}# /.test(lines[i] as string); i--) block.unshift(lines[i] as string);
  return block.map((line) => line.replace(/^ {2}# +/, '')).join(' ');
}

describe('init on a database no one here designed, then run, then change it and run again (the built binary)', () => {
  let db: TestDatabase;
  let source: RealWorldSource;
  let home: { path: string; remove(): Promise<void> };
  let project: string;
  let env: Record<string, string>;
  let config: string;
  let sizes: Map<string, number>;

  beforeAll(async () => {
    db = await createTestDatabase('world');
    source = await createRealWorldSource(db);
    // The decisions read Postgres's counters: wait until they show the history the shapes went through.
    await waitForCounters(db, {
      pgbench_accounts: { updated: true },
      stock_levels: { updated: true, deleted: true },
      settings_flags: { updated: true },
      sessions: { updated: true },
      tickets: { updated: true },
      order_lines: { updated: true },
      'Customer Orders': { updated: true },
      audit_log: { deleted: true },
      measurements_2024: { updated: true },
    });
    await analyzeSource(db);
    home = await createTempDir('sluice-world-');
    project = path.join(home.path, 'shop');
    env = { PGPASSWORD: new URL(source.readerUrl).password };
  }, 300_000);
  afterAll(async () => {
    await home?.remove();
    await source?.dropRole();
    await db?.drop();
  });

  async function warehouseEqualsSource(): Promise<void> {
    const warehouse = await createDuckDbWarehouse({ path: path.join(project, '.sluice', 'warehouse.duckdb') });
    try {
      const loaded = await warehouse.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND table_name NOT LIKE '\\_sluice%' ESCAPE '\\' ORDER BY 1`,
      );
      // Every table once: no partition, view or unreadable table beside them.
      expect(loaded.map((row) => row.table_name).sort()).toEqual(source.tables.map((table) => table.name).sort());
      await db.withClient(async (client) => {
        for (const table of source.tables) {
          const at = { schema: 'public', name: table.name };
          // char(n) as COPY writes it, padded (the warehouse keeps the padding; `::text` would drop it).
          const padded = await client.query<{ column_name: string }>(
            `SELECT column_name FROM information_schema.columns
              WHERE table_schema = 'public' AND table_name = $1 AND data_type = 'character'`,
            [table.name],
          );
          const expressions = Object.fromEntries(
            padded.rows.map(({ column_name: c }) => {
              const q = client.escapeIdentifier(c);
              return [c, `CASE WHEN ${q} IS NOT NULL THEN concat(${q}) END`];
            }),
          );
          const expected = await fingerprintPostgresTable(client, at, table.columns, table.key, expressions);
          const actual = await fingerprintWarehouseTable(warehouse, { ...at, schema: 'raw' }, table.columns, table.key);
          expect(diffFingerprints(expected, actual), table.name).toEqual([]);
        }
      });
    } finally {
      await warehouse.close();
    }
  }

  it('sluice init --from URL proposes each table once and explains each choice with what the data says', async () => {
    const init = await sluice(['init', '--from', source.readerUrl, '--project', project], { env });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    config = await readFile(path.join(project, 'sluice.yml'), 'utf8');
    expect(config).not.toContain(new URL(source.readerUrl).password);
    const { config: parsed } = await loadProjectConfig(project, {});
    expect(Object.keys(parsed.tables).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [name, want] of Object.entries(EXPECTED)) {
      const table = parsed.tables[name];
      expect(table?.strategy, name).toBe(want.strategy);
      expect(table?.cursor, name).toEqual(want.cursor);
      expect(table?.deletes, name).toBe(want.deletes ?? 'none');
      const said = commentAbove(config, name);
      for (const claim of want.says) {
        if (typeof claim === 'string') expect(said, name).toContain(claim);
        else expect(said, name).toMatch(claim);
      }
    }
    // The counts a comment quotes are Postgres's own.
    await db.withClient(async (client) => {
      for (const name of ['pgbench_accounts', 'stock_levels', 'settings_flags', 'sessions']) {
        const { rows } = await client.query<{ ins: string; upd: string; del: string }>(
          `SELECT sum(n_tup_ins)::text AS ins, sum(n_tup_upd)::text AS upd, sum(n_tup_del)::text AS del
             FROM pg_stat_user_tables WHERE relname = $1`,
          [name],
        );
        const n = (text: string | undefined) => Number(text ?? 0).toLocaleString('en-US');
        expect(commentAbove(config, name), name).toContain(
          `Postgres counted ${n(rows[0]?.ins)} inserts, ${n(rows[0]?.upd)} updates and ${n(rows[0]?.del)} deletes`,
        );
      }
      // The NULL shares the comments quote are the data's.
      const share = async (sql: string) =>
        Math.round(Number((await client.query<{ f: string }>(sql)).rows[0]?.f) * 100);
      expect(await share('SELECT avg((updated_at IS NULL)::int)::text AS f FROM order_lines')).toBe(80);
      expect(await share('SELECT avg((last_updated IS NULL)::int)::text AS f FROM sessions')).toBe(75);
      expect(await share('SELECT avg((updated_at IS NULL)::int)::text AS f FROM measurements')).toBe(89);
    });
    // Partitions through their root only; views and what the role cannot read are left out, said, and ready to add.
    expect(config).not.toMatch(/^ {2}measurements_202[45]:/m);
    const said = prose(config);
    expect(said).toContain('left out: v_open_tickets: a view: its rows come from tables that are loaded themselves');
    expect(config).toContain('  # v_open_tickets:\n  #   strategy: full');
    expect(said).toContain('left out: mv_ticket_states: a materialized view');
    expect(said).toContain(
      `left out: secrets: the role ${source.reader} cannot read it (GRANT SELECT ON "public"."secrets" TO "${source.reader}"; fixes that).`,
    );
    expect(config).toContain('  # secrets:\n  #   strategy: full');
    // Names of every spelling, written so YAML reads them back as Postgres stores them.
    expect(config).toContain('  "Customer Orders":\n    strategy: upsert\n    cursor: ["Updated At", "Order ID"]');
    expect(config).toContain('  "Ünïcødé \\"Tàble\\"":\n    strategy: full');
    const model = await readFile(path.join(project, 'models', 'stage', 'stg_customer_orders.sql'), 'utf8');
    for (const column of ['order', 'user', 'select', 'group'])
      expect(model).toContain(`{{ adapter.quote('${column}') }}`);
    expect(model).toContain('    "Preço Unitário",\n');
    expect(model).toContain('    "Status ""quoted""",\n');
    expect(init.stdout).toContain("export PGPASSWORD='…'");
  }, 120_000);

  it('init refuses to overwrite it, naming the flag that exists; doctor passes the project as init wrote it', async () => {
    const again = await sluice(['init', '--from', source.readerUrl, '--project', project], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      'sluice init never overwrites it. Edit it, or run init in an empty folder (--project DIR)',
    );
    expect(again.stderr).not.toContain('--dir');
    expect(await readFile(path.join(project, 'sluice.yml'), 'utf8')).toBe(config);
    const doctor = await sluice(['doctor'], { cwd: project, env });
    expect(doctor.stderr).toBe('');
    expect(doctor.code, doctor.stdout).toBe(0);
  }, 120_000);

  it('sluice run is green: every table loaded once, through its root when partitioned, equal to its source', async () => {
    const run = await sluice(['run', '--json'], { cwd: project, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const tables = result.ingest.tables as { table: string; status: string; rows: number }[];
    expect(tables.map((table) => table.table).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(tables.filter((table) => table.status !== 'success' && table.status !== 'unchanged')).toEqual([]);
    expect(tables.find((table) => table.table === 'measurements')?.rows).toBe(20_000);
    // The staging models (every name quoted as it needs) built; their key tests, where run, passed.
    const nodes = result.build.results as { uniqueId?: string; id?: string; status: string }[];
    expect(nodes.length).toBeGreaterThanOrEqual(Object.keys(EXPECTED).length);
    expect(nodes.filter((node) => !['success', 'pass'].includes(node.status))).toEqual([]);
    await warehouseEqualsSource();
  }, 300_000);

  it('after updates, inserts and deletes, every table with a key and a change column loads incrementally, and all equal the source', async () => {
    sizes = new Map();
    await db.withClient(async (client) => {
      const q = (sql: string) => client.query(sql);
      // Insert-only tables get inserts (and deletes where the key finds them); the others every kind of change.
      await q(`INSERT INTO page_views SELECT now(), '/new/' || g, 100000 + g FROM generate_series(1, 10) g`);
      await q(`UPDATE page_views SET path = path || '?v=2' WHERE visitor % 1000 = 0`);
      await q(`DELETE FROM page_views WHERE visitor % 997 = 0`);
      await q(`UPDATE order_lines SET qty = qty + 10, updated_at = clock_timestamp() WHERE order_id % 100 = 1`);
      await q(
        `INSERT INTO order_lines SELECT 90000 + g, 0, 'SKU-NEW', 1, clock_timestamp(), NULL FROM generate_series(1, 25) g`,
      );
      await q(`UPDATE tickets SET state = 'reopened', updated_at = clock_timestamp() WHERE title LIKE '%33'`);
      await q(`INSERT INTO tickets SELECT md5('new ticket' || g)::uuid, 'New ' || g, 'open', clock_timestamp()
                 FROM generate_series(1, 15) g`);
      await q(`UPDATE "Customer Orders" SET "Customer Name" = 'Renamed ' || "Order ID", "Updated At" = clock_timestamp()
                WHERE "Order ID" % 500 = 7`);
      await q(`INSERT INTO "Customer Orders" ("Customer Name", "order", "Preço Unitário", quantity, email, "Created At", "Updated At")
               SELECT 'Nova ' || g, 0, 9.99, 2, 'n' || g || '@example.com', clock_timestamp(), clock_timestamp()
                 FROM generate_series(1, 12) g`);
      await q(`DELETE FROM "Customer Orders" WHERE "Order ID" IN (5, 6, 7000)`);
      await q(
        `INSERT INTO audit_log (created_at, action) SELECT clock_timestamp(), 'later ' || g FROM generate_series(1, 30) g`,
      );
      await q(`DELETE FROM audit_log WHERE id IN (200, 201, 202, 9000)`);
      await q(`INSERT INTO signups SELECT md5('late signup' || g)::uuid, clock_timestamp(), 'late' || g || '@example.com', NULL
                 FROM generate_series(1, 20) g`);
      await q(
        `UPDATE stock_levels SET qty = qty + 5, updated_at = clock_timestamp() WHERE warehouse_id = 1 AND qty < 3`,
      );
      await q(`INSERT INTO stock_levels VALUES (9, 'SKU-NEW', 4, clock_timestamp())`);
      await q(`DELETE FROM stock_levels WHERE warehouse_id = 2 AND qty = 1`);
      await q(`UPDATE settings_flags SET enabled = NOT enabled WHERE id % 101 = 0`);
      await q(`INSERT INTO settings_flags (name, enabled) VALUES ('new flag', true)`);
      await q(`DELETE FROM settings_flags WHERE id = 17`);
      await q(`UPDATE sessions SET state = 'expired', last_updated = clock_timestamp() WHERE id % 250 = 0`);
      await q(`INSERT INTO sessions (state) SELECT 'open' FROM generate_series(1, 8)`);
      await q(`DELETE FROM sessions WHERE id IN (3, 4)`);
      await q(`UPDATE measurements SET value = value * 2, updated_at = clock_timestamp() WHERE id % 400 = 3`);
      await q(`INSERT INTO measurements (taken_on, value, created_at) VALUES ('2024-03-01', 1.5, clock_timestamp()),
                 ('2025-07-01', 2.5, clock_timestamp())`);
      await q(`UPDATE documents SET body = repeat('z', 2500000) WHERE id = 2`);
      await q(`DELETE FROM documents WHERE id = 5`);
      await q(`INSERT INTO empty_things VALUES (1, 'no longer empty')`);
      await q(`INSERT INTO "group" VALUES (4, 'auditors')`);
      await q(`UPDATE "Ünïcødé ""Tàble""" SET "naïve col" = 'déjà vu' WHERE "Ключ" = 3`);
    });
    await pgbenchTraffic(db, source.pgbench, 2);
    const changed = {
      order_lines: 150 + 25,
      tickets: 120 + 15,
      'Customer Orders': 24 + 12,
      audit_log: 30,
      signups: 20,
      measurements: 50 + 2,
    };
    // The changes are the data's: count them there, not by hand.
    await db.withClient(async (client) => {
      const one = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n);
      expect(
        await one(
          `SELECT count(*)::text AS n FROM order_lines WHERE coalesce(updated_at, created_at) > now() - interval '1 hour'`,
        ),
      ).toBe(changed.order_lines);
      expect(await one(`SELECT count(*)::text AS n FROM tickets WHERE updated_at > now() - interval '1 hour'`)).toBe(
        changed.tickets,
      );
      expect(
        await one(`SELECT count(*)::text AS n FROM "Customer Orders" WHERE "Updated At" > now() - interval '1 hour'`),
      ).toBe(changed['Customer Orders']);
      expect(
        await one(
          `SELECT count(*)::text AS n FROM measurements WHERE coalesce(updated_at, created_at) > now() - interval '1 hour'`,
        ),
      ).toBe(changed.measurements);
      for (const table of source.tables) {
        sizes.set(table.name, await one(`SELECT count(*)::text AS n FROM ${client.escapeIdentifier(table.name)}`));
      }
    });

    const run = await sluice(['run', '--json'], { cwd: project, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const json = new Map(
      (
        result.ingest.tables as {
          table: string;
          rows: number;
          lateRows: number;
          read?: string;
          window?: { from: unknown } | null;
        }[]
      ).map((t) => [t.table, t]),
    );

    // The run record says how each table was read: incremental tables read only their changes.
    const loaded = await loadProjectConfig(project, {});
    const state = openStateStore(loaded);
    let outcomes: Map<string, TableOutcome>;
    try {
      const [last] = await state.listRuns({ limit: 1 });
      expect(last?.id).toBe(result.runId);
      outcomes = new Map(readRunRecord(last as NonNullable<typeof last>).detail.tables.map((t) => [t.table, t]));
    } finally {
      await state.close();
    }
    for (const [name, rows] of Object.entries(changed)) {
      const outcome = outcomes.get(name);
      expect(outcome?.strategy, name).toBe(EXPECTED[name]?.strategy);
      expect(outcome?.status, name).toBe('success');
      // Read from the previous run's position on (a window, by a late-commit sweep), not the whole table: the rows
      // past the cursor are exactly those changed. (A sweep also re-reads rows written by transactions that were
      // still open anywhere on the server at the previous run, behind the cursor: `lateRows`.)
      const read = json.get(name);
      expect(read?.read, name).not.toBe('all');
      expect(read?.window?.from, name).not.toBeNull();
      expect((read?.rows ?? 0) - (read?.lateRows ?? 0), name).toBe(rows);
      expect(outcome?.rows, name).toBe(read?.rows);
      expect(rows, name).toBeLessThan((sizes.get(name) ?? 0) / 10);
    }
    expect(outcomes.get('Customer Orders')?.deleted).toBe(3);
    expect(outcomes.get('audit_log')?.deleted).toBe(4);
    for (const name of ['pgbench_accounts', 'stock_levels', 'settings_flags', 'sessions', 'page_views']) {
      expect(outcomes.get(name)?.strategy, name).toBe('full');
      expect(outcomes.get(name)?.rows, name).toBe(sizes.get(name));
    }
    await warehouseEqualsSource();
  }, 300_000);
});
