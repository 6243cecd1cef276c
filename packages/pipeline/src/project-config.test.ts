import { describe, expect, it } from 'vitest';
import { ConfigError, parseProjectConfig } from './project-config.js';

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
      'sluice.yml:1: name: must be a plain SQL identifier (letters, digits, _)',
    ]);
    expect(
      problems(
        'name: shop\ntargets:\n  dev: { type: duckdb, path: wh.duckdb }\ntables:\n  orders: { strategy: full }\n',
        {},
      ),
    ).toEqual([
      'sluice.yml:5: source: tables: lists tables to ingest, but there is no source: add source: { url: postgres://… }',
    ]);
  });
});
