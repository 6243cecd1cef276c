import { describe, expect, it } from 'vitest';
import { ConfigError, parseProjectConfig, postgresUrlProblem } from './project-config.js';

const valid = `name: shop
source:
  url: \${env:SHOP_PG_URL}
targets:
  dev: { type: duckdb, path: wh.duckdb }
target: dev
state: { type: file, dir: state }
tables:
  orders:
    strategy: upsert
    cursor: [{ coalesce: [updated_at, created_at] }, id]
`;

function problems(text: string, env: NodeJS.ProcessEnv = { SHOP_PG_URL: 'postgres://u:p@h/db' }): string[] {
  try {
    parseProjectConfig(text, '/project/sluice.yml', env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
}

describe('parseProjectConfig', () => {
  it('reads a valid project, with defaults and environment values', () => {
    const config = parseProjectConfig(valid, '/project/sluice.yml', { SHOP_PG_URL: 'postgres://u:p@h/db' });
    expect(config.source).toEqual({ url: 'postgres://u:p@h/db', schema: 'public' });
    expect(config.raw_schema).toBe('raw');
    expect(config.tables.orders).toMatchObject({ strategy: 'upsert', deletes: 'none', late_commits: 'auto' });
    expect(config.ingest).toMatchObject({ parallelism: 4, chunk_mb: 128, first_load_parallelism: 2 });
  });

  it('points a misspelled key at its line with the closest valid key', () => {
    expect(problems(valid.replace('    strategy: upsert', '    strategy: upsert\n    delets: reconcile'))).toEqual([
      'sluice.yml:11: tables.orders: unknown key "delets" (did you mean deletes?)',
    ]);
  });

  it('names a missing environment variable without printing any value', () => {
    expect(problems(valid, {})).toEqual([
      'sluice.yml:3: source.url: environment variable SHOP_PG_URL is not set: export it, or give a default with ${env:SHOP_PG_URL:-value}',
    ]);
  });

  it('reports schema problems with their lines, then every cross-key problem at once', () => {
    const broken = valid
      .replace('target: dev', 'target: prod')
      .replace('    cursor: [{ coalesce: [updated_at, created_at] }, id]\n', '')
      .concat('  items:\n    strategy: sometimes\n');
    const found = problems(broken);
    expect(
      found.some((p) => p.startsWith('sluice.yml:12: tables.items.strategy:')),
      found.join('\n'),
    ).toBe(true);
    const withoutBadStrategy = problems(
      valid
        .replace('target: dev', 'target: prod')
        .replace('    cursor: [{ coalesce: [updated_at, created_at] }, id]\n', ''),
    );
    expect(withoutBadStrategy).toEqual([
      'sluice.yml:6: target: target "prod" is not among targets (dev)',
      'sluice.yml:10: tables.orders.cursor: strategy upsert needs a cursor, e.g. cursor: [updated_at, id]',
    ]);
  });

  it('reports a YAML syntax error with its line', () => {
    expect(problems('name: shop\nsource: [unclosed\n')[0]).toMatch(/^sluice\.yml:\d+: YAML: /);
  });

  it('says in words what is wrong and what to write: no validator text', () => {
    expect(problems(valid.replace('  orders:\n', '  - orders:\n').replace(/\n {4}/g, '\n      '))).toEqual([
      'sluice.yml:8: tables: expected a mapping of names to their settings, got a list (write each entry as "name: settings", without a leading "- "), e.g. tables: { orders: { strategy: upsert, cursor: [updated_at, id] } }',
    ]);
    expect(problems(valid.replace('    strategy: upsert', '    strategy: upsrt'))).toEqual([
      'sluice.yml:10: tables.orders.strategy: "upsrt" is not one of append, upsert, full (did you mean upsert?)',
    ]);
    expect(problems(valid.replace('type: duckdb', 'type: duck'))).toEqual([
      'sluice.yml:5: targets.dev.type: "duck" is not one of duckdb, snowflake (did you mean duckdb?)',
    ]);
    expect(problems(valid.replace('source:\n  url: ${env:SHOP_PG_URL}\n', ''))).toEqual([
      'sluice.yml:6: source: tables: lists tables to ingest, but there is no source: add source: { url: postgres://… }',
    ]);
    expect(problems('')).toEqual([
      'sluice.yml:1: the file is empty: write its settings as "key: value" (sluice init --from postgres://… writes one), or remove it when dbt_project.yml and profiles.yml say everything',
    ]);
    expect(
      problems(valid.replace('    strategy: upsert', '    strategy: upsert\n    include: [a]\n    exclude: [b]')),
    ).toEqual([
      'sluice.yml:12: tables.orders.exclude: include and exclude cannot both be given: include lists the only columns to load, exclude the columns to leave out; keep one',
    ]);
    expect(
      problems(valid.replace('type: duckdb, path: wh.duckdb', 'type: duckdb, path: wh.duckdb, account: x')),
    ).toEqual([
      'sluice.yml:5: targets.dev: unknown key "account": it is a snowflake setting, and this target is type: duckdb',
    ]);
  });

  it('takes names of any spelling, as Postgres stores them', () => {
    const odd = valid
      .replace('  orders:', '  "Order Items ü":\n    schema: Loja Sul')
      .replace(
        '[{ coalesce: [updated_at, created_at] }, id]',
        '[{ coalesce: ["Updated At", "created at"] }, "select", "it\'s \\"x\\""]',
      );
    const config = parseProjectConfig(odd, '/project/sluice.yml', { SHOP_PG_URL: 'postgres://u:p@h/db' });
    expect(config.tables['Order Items ü']).toMatchObject({
      schema: 'Loja Sul',
      cursor: [{ coalesce: ['Updated At', 'created at'] }, 'select', 'it\'s "x"'],
    });
  });

  it('refuses a source URL that is not a Postgres URL, naming the setting and never the value', () => {
    expect(postgresUrlProblem('postgres://app:secret@db.internal:5432/shop?sslmode=require')).toBeUndefined();
    expect(postgresUrlProblem('postgresql:///shop?host=/var/run/postgresql')).toBeUndefined();
    expect(postgresUrlProblem('mysql://app@db/shop')).toBe(
      'a mysql:// URL: Sluice reads PostgreSQL only; write postgres://user@host:5432/database',
    );
    expect(postgresUrlProblem('postgres//db/shop')).toBe(
      'the colon after "postgres" is missing: write postgres://user@host:5432/database',
    );
    expect(postgresUrlProblem('postgres://app:secret@db:notaport/shop')).toBe(
      'the port "notaport" is not a number: write postgres://user@host:5432/database',
    );
    expect(postgresUrlProblem('postgres://db:99999/shop')).toBe('the port 99999 is out of range (1 to 65535)');
    expect(postgresUrlProblem('db.internal')).toBe('not a URL: write postgres://user@host:5432/database');
    const found = problems(valid, { SHOP_PG_URL: 'mysql://app:s3cret@db/shop' });
    expect(found).toEqual([
      'sluice.yml:3: source.url: a mysql:// URL: Sluice reads PostgreSQL only; write postgres://user@host:5432/database',
    ]);
    expect(found.join('\n')).not.toContain('s3cret');
  });
});

describe('parseProjectConfig: what sluice.yml may leave out', () => {
  it('needs no tables, source or state to build models; a name must still be an identifier', () => {
    const config = parseProjectConfig(
      'name: shop\ntargets:\n  dev: { type: duckdb, path: wh.duckdb }\n',
      '/p/sluice.yml',
      {},
    );
    expect(config).toMatchObject({
      name: 'shop',
      target: 'dev',
      tables: {},
      state: { type: 'file', dir: '.sluice/state' },
    });
    expect(config.source.url).toBe('');
    expect(problems('name: 12 shop\ntargets:\n  dev: { type: duckdb, path: wh.duckdb }\n', {})).toEqual([
      'sluice.yml:1: name: "12 shop" is not a plain identifier (letters, digits and _, not starting with a digit), e.g. name: shop',
    ]);
    expect(
      problems(
        'name: shop\ntargets:\n  dev: { type: duckdb, path: wh.duckdb }\ntables:\n  orders: { strategy: full }\n',
        {},
      ),
    ).toEqual([
      'sluice.yml:4: source: tables: lists tables to ingest, but there is no source: add source: { url: postgres://… }',
    ]);
  });
});
