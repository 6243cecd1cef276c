import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNovaDriveSchema, generateNovaDrive } from '@sluice/novadrive';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { sluice } from './sluice-process.js';

/** A valid project over NovaDrive plus `eventos`, a table without a primary key. */
const VALID = `name: broken

source:
  url: \${env:BROKEN_URL}
  schema: public

targets:
  dev:
    type: duckdb
    path: .sluice/warehouse.duckdb
target: dev

state:
  type: file
  dir: .sluice/state

tables:
  estados:
    strategy: full
  vendas:
    strategy: upsert
    cursor: [{ coalesce: [data_atualizacao, data_inclusao] }, id_vendas]
  eventos:
    strategy: append
    cursor: [id]
`;

/** The 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`${needle} not in the config`);
  return index + 1;
}

/** The line of the first line containing `needle` after the one containing `anchor`. */
function lineAfter(text: string, anchor: string, needle: string): number {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.includes(anchor));
  const index = lines.findIndex((line, i) => i > start && line.includes(needle));
  if (start < 0 || index < 0) throw new Error(`${needle} after ${anchor} not in the config`);
  return index + 1;
}

describe('broken configs: each its own message with file:line, exit 2, nothing written (the built binary)', () => {
  let db: TestDatabase;
  let home: { path: string; remove(): Promise<void> };
  let env: Record<string, string>;
  const reader = `sluice_reader_${randomBytes(4).toString('hex')}`;
  const readerPassword = randomBytes(9).toString('hex');

  beforeAll(async () => {
    db = await createTestDatabase('cfg');
    await db.withClient(async (client) => {
      await createNovaDriveSchema(client);
      await generateNovaDrive(client, { scale: 100, seed: 3 });
      await client.query(
        'CREATE TABLE eventos (id bigint NOT NULL, payload text, criado_em timestamp NOT NULL DEFAULT now())',
      );
      await client.query(`INSERT INTO eventos (id, payload) SELECT g, 'e' || g FROM generate_series(1, 20) AS g`);
      // A role that may read everything but vendas.
      await client.query(`CREATE ROLE ${reader} LOGIN PASSWORD '${readerPassword}'`);
      await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(db.name)} TO ${reader}`);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${reader}`);
      await client.query(`GRANT SELECT ON estados, eventos TO ${reader}`);
    });
    home = await createTempDir('sluice-cfg-');
    env = { BROKEN_URL: db.url };
  });
  afterAll(async () => {
    await db?.withClient(async (client) => {
      await client.query(`DROP OWNED BY ${reader}`);
      await client.query(`DROP ROLE IF EXISTS ${reader}`);
    });
    await home?.remove();
    await db?.drop();
  });

  /** A project folder holding only the given sluice.yml. */
  async function projectWith(name: string, config: string): Promise<string> {
    const dir = path.join(home.path, name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'sluice.yml'), config);
    return dir;
  }

  async function expectNothingWritten(dir: string): Promise<void> {
    expect(await readdir(dir)).toEqual(['sluice.yml']);
  }

  const cases: {
    name: string;
    config: string;
    env?: Record<string, string>;
    args?: string[];
    expected: (config: string) => string[];
  }[] = [
    {
      name: 'unknown table',
      config: VALID.replace('  estados:', '  estadoz:'),
      expected: (c) => [
        `sluice.yml:${lineOf(c, 'estadoz:')}: tables.estadoz: table public.estadoz does not exist in the source (did you mean estados?)`,
      ],
    },
    {
      name: 'misspelled column in a cursor',
      config: VALID.replace('[data_atualizacao,', '[data_atualizacaoo,'),
      expected: (c) => [
        `sluice.yml:${lineOf(c, 'data_atualizacaoo')}: tables.vendas.cursor: column "data_atualizacaoo" does not exist in public.vendas (did you mean data_atualizacao?)`,
      ],
    },
    {
      name: 'misspelled key',
      config: VALID.replace('    cursor: [id]', '    cursr: [id]'),
      expected: (c) => [`sluice.yml:${lineOf(c, 'cursr')}: tables.eventos: unknown key "cursr" (did you mean cursor?)`],
    },
    {
      name: 'missing environment variable',
      config: VALID,
      env: { BROKEN_URL: '' },
      expected: (c) => [
        `sluice.yml:${lineOf(c, 'url:')}: source.url: environment variable BROKEN_URL is not set: export it, or give a default with \${env:BROKEN_URL:-value}`,
      ],
    },
    {
      name: 'unknown target in sluice.yml',
      config: VALID.replace('target: dev', 'target: prod'),
      expected: (c) => [`sluice.yml:${lineOf(c, 'target: prod')}: target: target "prod" is not among targets (dev)`],
    },
    {
      name: 'unknown target on the command line',
      config: VALID,
      args: ['--target', 'deb'],
      expected: (c) => [
        `sluice.yml:${lineOf(c, 'targets:')}: targets: no target "deb" (from --target) (did you mean dev?); sluice.yml defines dev`,
      ],
    },
    {
      name: 'YAML syntax error',
      config: VALID.replace('    cursor: [id]', '    cursor: [id'),
      expected: () => ['sluice.yml:', ': YAML: '],
    },
    {
      name: 'upsert without a primary key',
      config: VALID.replace(
        '    strategy: append\n    cursor: [id]',
        '    strategy: upsert\n    cursor: [criado_em, id]',
      ),
      expected: (c) => [
        `sluice.yml:${lineAfter(c, 'eventos:', 'strategy: upsert')}: tables.eventos.strategy: public.eventos has no primary key, which upsert needs to merge rows: add one, or use strategy full or append`,
      ],
    },
    {
      name: 'two problems at once',
      config: VALID.replace('  estados:', '  estadoz:').replace('[data_atualizacao,', '[data_atualizacaoo,'),
      expected: (c) => [
        `sluice.yml:${lineOf(c, 'estadoz:')}: tables.estadoz: table public.estadoz does not exist`,
        `sluice.yml:${lineOf(c, 'data_atualizacaoo')}: tables.vendas.cursor: column "data_atualizacaoo" does not exist`,
        'sluice: 2 configuration problems; nothing was run',
      ],
    },
  ];

  it.each(cases)('$name', async ({ name, config, env: extra, args, expected }) => {
    const dir = await projectWith(name.replace(/\W+/g, '-'), config);
    const run = await sluice(['run', ...(args ?? [])], { cwd: dir, env: { ...env, ...extra } });
    expect(run.stdout).toBe('');
    for (const text of expected(config)) expect(run.stderr).toContain(text);
    expect(run.code).toBe(2);
    await expectNothingWritten(dir);
  });

  it('the YAML syntax error names its line', async () => {
    const config = VALID.replace('    cursor: [id]', '    cursor: [id');
    const dir = await projectWith('yaml-line', config);
    const run = await sluice(['run'], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^sluice\.yml:\d+: YAML: .*\]/m);
  });

  it('ingest and doctor report the same problems, and --json puts them in one object on stdout', async () => {
    const config = VALID.replace('[data_atualizacao,', '[data_atualizacaoo,');
    const dir = await projectWith('json', config);
    const ingest = await sluice(['ingest', '--json'], { cwd: dir, env });
    expect(ingest.code).toBe(2);
    const result = JSON.parse(ingest.stdout);
    expect(result).toMatchObject({ status: 'config-error', exitCode: 2, error: { code: 'INVALID_CONFIG' } });
    expect(result.error.problems).toEqual([
      expect.objectContaining({
        line: lineOf(config, 'data_atualizacaoo'),
        path: 'tables.vendas.cursor',
        message: expect.stringContaining('did you mean data_atualizacao?'),
      }),
    ]);
    const doctor = await sluice(['doctor'], { cwd: dir, env });
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toMatch(/✗ table +public\.vendas: its config does not work against the table/);
    expect(doctor.stdout).toContain(
      `sluice.yml:${lineOf(config, 'data_atualizacaoo')}: tables.vendas.cursor: column "data_atualizacaoo"`,
    );
    expect(doctor.stdout).toMatch(/✓ table +public\.estados/);
    await expectNothingWritten(dir);
  });

  it('doctor fails (exit 1) a table the role cannot read, with the GRANT that fixes it; run refuses before writing', async () => {
    const url = new URL(db.url);
    url.username = reader;
    url.password = readerPassword;
    const dir = await projectWith('no-grant', VALID);
    const doctor = await sluice(['doctor'], { cwd: dir, env: { BROKEN_URL: url.toString() } });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`✗ table      public.vendas: the role ${reader} cannot read it`);
    expect(doctor.stdout).toContain(
      `fix: GRANT USAGE ON SCHEMA public TO ${reader}; GRANT SELECT ON public.vendas TO ${reader};`,
    );
    expect(doctor.stdout).toMatch(/✓ table +public\.eventos: append by \(id\); no primary key/);
    expect(doctor.stdout).toMatch(/1 of \d+ checks failed$/m);
    const run = await sluice(['run'], { cwd: dir, env: { BROKEN_URL: url.toString() } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the role ${reader} cannot read public.vendas; nothing was run`);
    await expectNothingWritten(dir);
    expect(existsSync(path.join(dir, '.sluice'))).toBe(false);
  });

  it('a valid project passes the same checks and loads, a table without a primary key included', async () => {
    const dir = await projectWith('valid', VALID);
    const run = await sluice(['ingest', '--json'], { cwd: dir, env });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(
      result.ingest.tables.map((t: { table: string; status: string; rows: number }) => [t.table, t.status, t.rows]),
    ).toEqual([
      ['estados', 'success', 27],
      ['vendas', 'success', 100],
      ['eventos', 'success', 20],
    ]);
  });
});
