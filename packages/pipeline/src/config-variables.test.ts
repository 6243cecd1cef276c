import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseProjectConfig } from './project-config.js';

const SECRET = 'postgres://reader:s3cr3t-from-a-file@db:5432/app';

const project = (url: string, extra = '') => `name: shop
source:
  url: ${url}
targets:
  dev: { type: duckdb, path: wh.duckdb }
target: dev
state: { type: file, dir: state }
tables:
  orders: { strategy: full }
${extra}`;

describe('secrets from files in sluice.yml', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-secrets-'));
    file = path.join(dir, 'sluice.yml');
    mkdirSync(path.join(dir, 'secrets'));
    // Written as `echo … > file` would: the trailing line break is not part of the value.
    writeFileSync(path.join(dir, 'secrets', 'source_url'), `${SECRET}\n`);
    writeFileSync(path.join(dir, 'secrets', 'empty'), '');
    writeFileSync(path.join(dir, 'secrets', 'salt'), 'pepper\r\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const problems = (text: string, env: NodeJS.ProcessEnv = {}): string[] => {
    try {
      parseProjectConfig(text, file, env);
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).not.toContain('s3cr3t');
      return message.split('\n');
    }
  };

  it('reads ${file:PATH}, absolute or relative to the project folder, without the trailing line break', () => {
    const absolute = parseProjectConfig(project(`\${file:${path.join(dir, 'secrets', 'source_url')}}`), file, {});
    expect(absolute.source.url).toBe(SECRET);
    const relative = parseProjectConfig(
      project('${file:secrets/source_url}', 'ingest:\n  hash_salt: salt-${file:secrets/salt}\n'),
      file,
      {},
    );
    expect(relative.source.url).toBe(SECRET);
    expect(relative.ingest.hash_salt).toBe('salt-pepper');
  });

  it('falls back from ${env:NAME} to the file named by NAME_FILE; NAME itself wins when set', () => {
    const fromFile = parseProjectConfig(project('${env:SHOP_PG_URL}'), file, {
      SHOP_PG_URL_FILE: path.join(dir, 'secrets', 'source_url'),
    });
    expect(fromFile.source.url).toBe(SECRET);
    const relative = parseProjectConfig(project('${env:SHOP_PG_URL}'), file, {
      SHOP_PG_URL: '',
      SHOP_PG_URL_FILE: 'secrets/source_url',
    });
    expect(relative.source.url).toBe(SECRET);
    const direct = parseProjectConfig(project('${env:SHOP_PG_URL}'), file, {
      SHOP_PG_URL: 'postgres://direct@h/db',
      SHOP_PG_URL_FILE: path.join(dir, 'secrets', 'missing'),
    });
    expect(direct.source.url).toBe('postgres://direct@h/db');
  });

  it('uses the default of ${file:PATH:-default} only when the file does not exist', () => {
    expect(parseProjectConfig(project('${file:secrets/missing:-postgres://fallback@h/db}'), file, {}).source.url).toBe(
      'postgres://fallback@h/db',
    );
    expect(
      parseProjectConfig(project('${file:secrets/source_url:-postgres://fallback@h/db}'), file, {}).source.url,
    ).toBe(SECRET);
    // A folder where a file should be is a mistake, not an absent secret: the default does not hide it.
    expect(problems(project('${file:secrets:-postgres://fallback@h/db}'))).toEqual([
      'sluice.yml:3: source.url: file secrets cannot be read (EISDIR): name a file, not a folder',
    ]);
  });

  it('names the file and the key of a missing, unreadable or empty secret, never a value', () => {
    expect(problems(project('${file:/run/secrets/sluice_source_url}'))).toEqual([
      'sluice.yml:3: source.url: file /run/secrets/sluice_source_url cannot be read (ENOENT): create it, or mount the secret there',
    ]);
    expect(problems(project('${file:secrets/empty}'))).toEqual([
      'sluice.yml:3: source.url: file secrets/empty is empty: write the value into it, or give a default with ${file:secrets/empty:-value}',
    ]);
    // NAME_FILE is an explicit choice: a missing file is an error even where the reference has a default.
    expect(
      problems(project('${env:SHOP_PG_URL:-postgres://fallback@h/db}'), {
        SHOP_PG_URL_FILE: '/run/secrets/shop_pg_url',
      }),
    ).toEqual([
      'sluice.yml:3: source.url: environment variable SHOP_PG_URL is not set and SHOP_PG_URL_FILE names /run/secrets/shop_pg_url, which cannot be read (ENOENT): create it, or mount the secret there',
    ]);
    expect(problems(project('${env:SHOP_PG_URL}'), { SHOP_PG_URL_FILE: path.join(dir, 'secrets', 'empty') })).toEqual([
      `sluice.yml:3: source.url: environment variable SHOP_PG_URL is not set and SHOP_PG_URL_FILE names ${path.join(dir, 'secrets', 'empty')}, which is empty`,
    ]);
    expect(problems(project('${file:}'))).toEqual([
      'sluice.yml:3: source.url: ${file:} names no file: write ${file:/run/secrets/NAME}',
    ]);
  });

  it('keeps a secret read from a file out of validation messages', () => {
    // The secret lands where a number is expected: the schema error names the key, not what was read.
    const found = problems(project('postgres://u@h/db', 'ingest:\n  parallelism: ${file:secrets/source_url}\n'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^sluice\.yml:11: ingest\.parallelism: /);
  });
});
