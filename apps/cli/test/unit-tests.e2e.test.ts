import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sluice } from './sluice-process.js';

/*
 * dbt 1.8 unit tests through the built binary, as a dbt user runs them: the unit-tests fixture (a dbt project whose
 * models/unit_tests.yml holds passing tests and one that fails on purpose) on DuckDB.
 */

const FIXTURE = fileURLToPath(new URL('../../../packages/models/src/__fixtures__/unit-tests', import.meta.url));

describe('sluice with dbt unit tests (DuckDB)', () => {
  let home: { path: string; remove(): Promise<void> };
  let project: string;
  const env = { UNIT_SHOP_DUCKDB: 'warehouse.duckdb', HOME: '/nonexistent' };

  beforeAll(async () => {
    home = await createTempDir('sluice-unit-cli-');
    project = path.join(home.path, 'unit_shop');
    await cp(FIXTURE, project, { recursive: true });
  });
  afterAll(async () => {
    await home?.remove();
  });

  it('build runs each unit test before its model; the failing one prints its diff, skips its model, exits 1', async () => {
    const run = await sluice(['build'], { cwd: project, env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}✓ unit +totals_per_customer +pass/m);
    expect(run.stdout).toMatch(/^ {2}✗ unit +open_orders_are_labelled_open +fail \(2 failing rows\)/m);
    expect(run.stdout).toMatch(/^\+\+\+ \| 2 +\| OTHER$/m);
    expect(run.stdout).toMatch(/^--- \| 2 +\| OPEN$/m);
    expect(run.stdout).toMatch(/^ {2}- model +label_orders +skipped/m);
    expect(run.stdout).toContain('skipped: test open_orders_are_labelled_open failed');
    expect(run.stdout).toMatch(/^ {2}- model +label_counts +skipped/m);
    expect(run.stdout).toMatch(/^ {2}✓ model +customer_totals +table/m);
    expect(run.stderr).not.toContain('unit_tests');
    const results = JSON.parse(await readFile(path.join(project, 'target', 'run_results.json'), 'utf8')) as {
      results: { unique_id: string; status: string }[];
    };
    expect(
      results.results.find((r) => r.unique_id === 'unit_test.unit_shop.label_orders.open_orders_are_labelled_open')
        ?.status,
    ).toBe('fail');
    const manifest = JSON.parse(await readFile(path.join(project, 'target', 'manifest.json'), 'utf8')) as {
      unit_tests: Record<string, { resource_type: string }>;
    };
    expect(Object.keys(manifest.unit_tests)).toHaveLength(10);
  });

  it('test --select test_type:unit runs only unit tests; excluding the failing one passes; ls shows unit_test', async () => {
    const only = await sluice(['test', '--select', 'test_type:unit', '--json'], { cwd: project, env });
    expect(only.code).toBe(1);
    const parsed = JSON.parse(only.stdout) as { build: { results: { id: string; status: string }[] } };
    expect(parsed.build.results.every((r) => r.id.startsWith('unit_test.'))).toBe(true);
    expect(parsed.build.results).toHaveLength(10);
    const passing = await sluice(['test', '--select', 'test_type:unit', '--exclude', 'open_orders_are_labelled_open'], {
      cwd: project,
      env,
    });
    expect(passing.code).toBe(0);
    const ls = await sluice(['ls', '--resource-type', 'unit_test'], { cwd: project, env });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^unit_test +totals_per_customer +unit test of customer_totals/m);
    expect(ls.stdout.trim().split('\n')).toHaveLength(10);
  });
});
