import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { checkSource, placeOfPlanProblem } from './check-source.js';
import { loadProjectConfig } from './project-config.js';

const CONFIG = (tables: string) => `name: t
source:
  url: \${env:CHECK_URL}
targets:
  dev: { type: duckdb, path: w.duckdb }
target: dev
state: { type: file, dir: state }
tables:
${tables}`;

describe('checkSource (real Postgres)', () => {
  let db: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  const role = `check_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase('chk');
    await db.withClient(async (client) => {
      await client.query(
        `CREATE TABLE vendas (id_vendas int PRIMARY KEY, valor numeric(10,2), data_inclusao timestamp NOT NULL, data_atualizacao timestamp)`,
      );
      await client.query(`CREATE TABLE eventos (id bigint NOT NULL, payload text)`);
      await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'x'`);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
      await client.query(`GRANT SELECT ON eventos TO ${role}`);
      await client.query(`GRANT SELECT (id_vendas, valor) ON vendas TO ${role}`);
    });
    dir = await createTempDir('sluice-check-');
  });
  afterAll(async () => {
    await db?.withClient(async (client) => {
      await client.query(`DROP OWNED BY ${role}`);
      await client.query(`DROP ROLE ${role}`);
    });
    await dir?.remove();
    await db?.drop();
  });

  async function check(tables: string, url = db.url) {
    await writeFile(path.join(dir.path, 'sluice.yml'), CONFIG(tables));
    const project = await loadProjectConfig(dir.path, { CHECK_URL: url });
    return checkSource(project, { cursorIndexes: true });
  }

  it('says whether an index serves each cursor, and gives the index that would', async () => {
    const tables = `  vendas:
    strategy: upsert
    cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_vendas]
`;
    const before = (await check(tables)).tables[0]?.cursorIndex;
    expect(before).toEqual({
      served: false,
      suggestion: `CREATE INDEX CONCURRENTLY ON "public"."vendas" ((COALESCE("data_atualizacao", "data_inclusao")), "id_vendas")`,
    });
    await db.withClient((client) => client.query(before?.suggestion ?? ''));
    try {
      expect((await check(tables)).tables[0]?.cursorIndex?.served).toBe(true);
    } finally {
      await db.withClient((client) => client.query('DROP INDEX vendas_coalesce_id_vendas_idx'));
    }
  });

  it('plans every table of a valid config and says the server version and role', async () => {
    const result = await check(`  vendas:
    strategy: upsert
    cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_vendas]
  eventos:
    strategy: append
    cursor: [id]
`);
    expect(result.problems).toEqual([]);
    expect(result.serverVersionNum).toBeGreaterThanOrEqual(130000);
    expect(result.tables.map((t) => [t.qualified, t.readable, t.plan?.columns.length])).toEqual([
      ['public.vendas', true, 4],
      ['public.eventos', true, 2],
    ]);
  });

  it('points every problem at its key and line, all at once', async () => {
    const result = await check(`  vendas:
    strategy: upsert
    include: [id_vendas, valr]
    cursor:
      - { coalesce: [data_atualizacaoo, data_inclusao] }
      - id_vendas
  eventos:
    strategy: upsert
    cursor: [id]
  vendedores:
    strategy: full
`);
    expect(result.problems.map((p) => [p.line, p.path, p.message])).toEqual(
      [
        [11, 'tables.vendas.include', 'column "valr" does not exist in public.vendas (did you mean valor?)'],
        [
          13,
          'tables.vendas.cursor',
          'column "data_atualizacaoo" does not exist in public.vendas (did you mean data_atualizacao?)',
        ],
        [
          16,
          'tables.eventos.strategy',
          'public.eventos has no primary key, which upsert needs to merge rows: add one, or use strategy full or append',
        ],
        [18, 'tables.vendedores', 'table public.vendedores does not exist in the source'],
      ].map(([line, p, m]) => [line, p, expect.stringContaining(m as string)]),
    );
  });

  it('says which tables the role cannot read (column grants count only when they cover every column)', async () => {
    const url = new URL(db.url);
    url.username = role;
    url.password = 'x';
    const result = await check(
      `  vendas: { strategy: full }
  eventos: { strategy: full }
`,
      url.toString(),
    );
    expect(result.role).toBe(role);
    expect(result.unreadable).toEqual(['public.vendas']);
  });
});

describe('placeOfPlanProblem', () => {
  it('maps planExtraction wording to keys', () => {
    const place = (problem: string, spec = {}) => placeOfPlanProblem('t', 'public.t', spec, problem);
    expect(place('cursor[1]: column "x" does not exist in public.t')).toEqual({
      keyPath: ['tables', 't', 'cursor', '1'],
      message: 'column "x" does not exist in public.t',
    });
    expect(place('hash: column "x" does not exist in public.t').keyPath).toEqual(['tables', 't', 'hash']);
    expect(place('public.t: strategy append takes one increasing cursor column; use upsert')).toEqual({
      keyPath: ['tables', 't', 'cursor'],
      message: 'strategy append takes one increasing cursor column; use upsert',
    });
    expect(place('primary key column "id" of public.t cannot be excluded', { include: ['a'] }).keyPath).toEqual([
      'tables',
      't',
      'include',
    ]);
    expect(place('primary key column "id" of public.t cannot be excluded', { exclude: ['id'] }).keyPath).toEqual([
      'tables',
      't',
      'exclude',
    ]);
    expect(place('public.t is a view or foreign table: only strategy full can read it').keyPath).toEqual([
      'tables',
      't',
      'strategy',
    ]);
    expect(
      place('column "g" of public.t has type point, which Sluice cannot load exactly: exclude it, or hash it').keyPath,
    ).toEqual(['tables', 't']);
  });
});
