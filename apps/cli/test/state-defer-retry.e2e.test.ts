import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDuckDbWarehouse } from '@sluice/duckdb';
import { createTempDir } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { sluice } from './sluice-process.js';

/*
 * dbt's state workflow through the built binary, against two targets of one project: `prod` and `dev` (schemas of
 * one DuckDB file, as a team's prod and dev live in one Snowflake account). prod is built and its target/ kept as
 * the state; edits are then built in dev with state:modified+ --defer, and `retry` reruns what failed.
 */

const PROFILES = `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: warehouse.duckdb
      schema: dev
    prod:
      type: duckdb
      path: warehouse.duckdb
      schema: prod
`;

const FILES: Record<string, string> = {
  'dbt_project.yml': `name: shop\nversion: '1.0.0'\nconfig-version: 2\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n`,
  'profiles.yml': PROFILES,
  'macros/scale.sql': '{% macro scale(x) %}{{ x }} * 2{% endmacro %}\n',
  'models/numbers.sql': 'select * from (values (1), (2), (3)) as t(n)\n',
  'models/base.sql': "select n from {{ ref('numbers') }}\n",
  'models/doubled.sql': "select {{ scale('n') }} as d from {{ ref('base') }}\n",
  'models/report.sql': "{{ config(materialized='view') }}\nselect sum(d) as total from {{ ref('doubled') }}\n",
  'models/other.sql': 'select 1 as x\n',
  'seeds/factors.csv': 'k,v\n1,10\n',
  'models/schema.yml': `version: 2\nmodels:\n  - name: doubled\n    columns:\n      - name: d\n        data_tests: [not_null]\n`,
};

const env = { HOME: '/nonexistent' };

interface JsonRun {
  status: string;
  build: { results: { id: string; name: string; kind: string; status: string }[] };
}

describe('--state, state:modified / state:new, --defer and retry, against two targets (dev, prod)', () => {
  let home: { path: string; remove(): Promise<void> };
  let project: string;
  const run = (args: string[]) => sluice(args, { cwd: project, env });
  const write = (file: string, text: string) => writeFile(path.join(project, file), text);
  const names = (text: string): string[] =>
    (JSON.parse(text) as { nodes: { name: string }[] }).nodes.map((n) => n.name).sort();
  const query = async (sql: string): Promise<Record<string, unknown>[]> => {
    const warehouse = await createDuckDbWarehouse({ path: path.join(project, 'warehouse.duckdb') });
    try {
      return await warehouse.query(sql);
    } finally {
      await warehouse.close();
    }
  };

  beforeAll(async () => {
    home = await createTempDir('sluice-state-');
    project = path.join(home.path, 'shop');
    for (const [file, text] of Object.entries(FILES)) {
      await mkdir(path.dirname(path.join(project, file)), { recursive: true });
      await write(file, text);
    }
    const prod = await run(['build', '-t', 'prod']);
    expect(prod.code, prod.stderr + prod.stdout).toBe(0);
    // The state: production's artifacts, kept as a CI job keeps them.
    await cp(path.join(project, 'target'), path.join(project, 'prod-artifacts'), { recursive: true });
    await rm(path.join(project, 'target'), { recursive: true });
  });
  afterAll(async () => {
    await home?.remove();
  });

  it('an unchanged project: state:modified selects nothing, state:old everything', async () => {
    const modified = await run(['ls', '--select', 'state:modified', '--state', 'prod-artifacts', '--json']);
    expect(modified.code, modified.stderr).toBe(0);
    expect(names(modified.stdout)).toEqual([]);
    const old = await run([
      'ls',
      '--select',
      'state:old',
      '--resource-type',
      'model',
      '--state',
      'prod-artifacts',
      '--json',
    ]);
    expect(names(old.stdout)).toEqual(['base', 'doubled', 'numbers', 'other', 'report']);
    const seed = await run([
      'ls',
      '--select',
      'state:modified',
      '--resource-type',
      'seed',
      '--state',
      'prod-artifacts',
      '--json',
    ]);
    expect(names(seed.stdout)).toEqual([]);
  });

  it('build --select state:modified+ --defer builds only the edited model and its children in dev; parents read prod', async () => {
    await write('models/doubled.sql', "select {{ scale('n') }} + 100 as d from {{ ref('base') }}\n");
    const ls = await run([
      'ls',
      '--select',
      'state:modified+',
      '--resource-type',
      'model',
      '--state',
      'prod-artifacts',
      '--json',
    ]);
    expect(names(ls.stdout)).toEqual(['doubled', 'report']);
    const body = await run([
      'ls',
      '--select',
      'state:modified.body',
      '--resource-type',
      'model',
      '--state',
      'prod-artifacts',
      '--json',
    ]);
    expect(names(body.stdout)).toEqual(['doubled']);

    const build = await run([
      'build',
      '--select',
      'state:modified+',
      '--defer',
      '--state',
      'prod-artifacts',
      '-t',
      'dev',
      '--json',
    ]);
    expect(build.code, build.stderr).toBe(0);
    const result = JSON.parse(build.stdout) as JsonRun;
    expect(result.build.results.map((r) => `${r.kind} ${r.name} ${r.status}`).sort()).toEqual([
      'model doubled success',
      'model report success',
      'test not_null_doubled_d pass',
    ]);
    const compiled = await readFile(path.join(project, 'target', 'compiled', 'shop', 'models', 'doubled.sql'), 'utf8');
    expect(compiled).toContain('"prod"."base"');
    expect(compiled).not.toContain('"dev"."base"');
    expect(await query('select d from dev.doubled order by d')).toEqual([{ d: 102 }, { d: 104 }, { d: 106 }]);
    expect(await query('select total from dev.report')).toEqual([{ total: 312 }]);
    // Nothing upstream was built in dev; prod is untouched.
    expect(
      await query("select table_name from information_schema.tables where table_schema = 'dev' order by 1"),
    ).toEqual([{ table_name: 'doubled' }, { table_name: 'report' }]);
    expect(await query('select sum(d) as total from prod.doubled')).toEqual([{ total: 12 }]);
    const runResults = JSON.parse(await readFile(path.join(project, 'target', 'run_results.json'), 'utf8'));
    expect(runResults.args).toMatchObject({ which: 'build', state: 'prod-artifacts', defer: true, target: 'dev' });
  });

  it('without --defer the same build reads dev, where base does not exist: the model fails', async () => {
    const build = await run(['run', '--select', 'doubled', '-t', 'dev', '--json']);
    expect(build.code).toBe(1);
    const compiled = await readFile(path.join(project, 'target', 'compiled', 'shop', 'models', 'doubled.sql'), 'utf8');
    expect(compiled).toContain('"dev"."base"');
  });

  it('a macro edit is state:modified.macros for the models that call it; a new model is state:new; a seed edit is modified', async () => {
    await write('seeds/factors.csv', 'k,v\n1,10\n2,20\n');
    onTestFinished(() => write('seeds/factors.csv', FILES['seeds/factors.csv'] as string));
    const seed = await run([
      'ls',
      '--select',
      'state:modified.body',
      '--resource-type',
      'seed',
      '--state',
      'prod-artifacts',
      '--json',
    ]);
    expect(names(seed.stdout)).toEqual(['factors']);
    await write('macros/scale.sql', '{% macro scale(x) %}{{ x }} * 3{% endmacro %}\n');
    await write('models/fresh.sql', "select n from {{ ref('numbers') }}\n");
    onTestFinished(() => rm(path.join(project, 'models', 'fresh.sql')));
    const macros = await run([
      'ls',
      '--select',
      'state:modified.macros',
      '--resource-type',
      'model',
      '--state',
      'prod-artifacts',
      '--json',
    ]);
    expect(names(macros.stdout)).toEqual(['doubled']);
    const fresh = await run(['ls', '--select', 'state:new', '--state', 'prod-artifacts', '--json']);
    expect(names(fresh.stdout)).toEqual(['fresh']);
    const modified = await run([
      'ls',
      '--select',
      'state:modified',
      '--resource-type',
      'model',
      '--state',
      'prod-artifacts',
      '--json',
    ]);
    expect(names(modified.stdout)).toEqual(['doubled', 'fresh']);
  });

  it('state selectors without --state, unsupported sub-selectors and a manifest from another version are usage errors', async () => {
    const noState = await run(['ls', '--select', 'state:modified']);
    expect(noState.code).toBe(2);
    expect(noState.stderr).toContain('add --state DIR');
    const contract = await run(['ls', '--select', 'state:modified.contract', '--state', 'prod-artifacts']);
    expect(contract.code).toBe(2);
    expect(contract.stderr).toContain('"state:modified.contract" is not supported by Sluice');
    const deferAlone = await run(['build', '--defer']);
    expect(deferAlone.code).toBe(2);
    expect(deferAlone.stderr).toContain('--defer needs --state DIR');
    const manifest = JSON.parse(await readFile(path.join(project, 'prod-artifacts', 'manifest.json'), 'utf8'));
    delete manifest.nodes['model.shop.base'].unrendered_config;
    await mkdir(path.join(project, 'old-artifacts'), { recursive: true });
    await writeFile(path.join(project, 'old-artifacts', 'manifest.json'), JSON.stringify(manifest));
    const old = await run(['ls', '--select', 'state:modified', '--state', 'old-artifacts']);
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('manifest.json: nodes["model.shop.base"].unrendered_config is missing');
  });

  it('retry reruns only the failed and skipped nodes of the last invocation, then says there is nothing to retry', async () => {
    await write('models/doubled.sql', "select no_such_column as d from {{ ref('base') }}\n");
    const failing = await run([
      'build',
      '--select',
      'state:modified+',
      '--defer',
      '--state',
      'prod-artifacts',
      '-t',
      'dev',
      '--json',
    ]);
    expect(failing.code).toBe(1);
    const failed = JSON.parse(failing.stdout) as JsonRun;
    expect(failed.build.results.map((r) => `${r.name} ${r.status}`).sort()).toEqual([
      'doubled error',
      'not_null_doubled_d skipped',
      'report skipped',
    ]);
    await write('models/doubled.sql', "select {{ scale('n') }} as d from {{ ref('base') }}\n");
    const retry = await run(['retry', '--json']);
    expect(retry.code, retry.stderr).toBe(0);
    const retried = JSON.parse(retry.stdout) as JsonRun;
    expect(retried.build.results.map((r) => `${r.name} ${r.status}`).sort()).toEqual([
      'doubled success',
      'not_null_doubled_d pass',
      'report success',
    ]);
    // The retry ran as the failed build did: dev, deferring to prod.
    expect(await query('select total from dev.report')).toEqual([{ total: 18 }]);
    const again = await run(['retry']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to retry');
  });
});
