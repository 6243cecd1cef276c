import type { NodeResult } from '@sluice/models';
import type { BuildResult } from '@sluice/pipeline';
import { describe, expect, it } from 'vitest';
import { buildReport } from './build-report.js';
import type { Output } from './output.js';
import { nodeLines } from './run-progress.js';

const plain = (s: string) => s;
const out: Output = {
  line: () => undefined,
  error: () => undefined,
  write: () => undefined,
  color: false,
  live: false,
  columns: 120,
  bold: plain,
  dim: plain,
  red: plain,
  green: plain,
  yellow: plain,
};

/** A node result as the model runner makes it: a failure's message ends with the compiled SQL's path. */
function node(name: string, kind: NodeResult['kind'], status: NodeResult['status'], extra: Partial<NodeResult> = {}) {
  const compiledPath = `compiled/shop/models/${name}.sql`;
  const failed = status === 'error' || status === 'fail' || status === 'warn';
  const result: NodeResult = {
    id: `${kind}.shop.${name}`,
    name,
    kind,
    status,
    message: failed ? `${name} went wrong — compiled SQL: target/${compiledPath}` : status,
    file: `models/${name}.sql`,
    elapsedMs: 5,
    compiledPath,
    ...extra,
  };
  return result;
}

function build(results: NodeResult[]): BuildResult {
  return {
    run: {
      status: 'error',
      startedAt: '2026-12-07T08:00:00Z',
      finishedAt: '2026-12-07T08:00:01Z',
      elapsedMs: 1000,
      results,
      counts: { success: 0, error: 0, skipped: 0, cancelled: 0, pass: 0, warn: 0, fail: 0 },
      args: {
        select: [],
        exclude: [],
        threads: 1,
        fullRefresh: false,
        runTests: 'after-each-model',
        resourceTypes: ['model', 'test'],
      },
      target: { name: 'dev', type: 'duckdb', schema: 'main' },
    },
    artifacts: [],
    lineagePage: 'target/docs/index.html',
    testedNodes: new Map(),
  };
}

describe('the closing report of a build', () => {
  const results = [
    node('orders', 'model', 'success'),
    node('broken', 'model', 'error'),
    node('after_broken', 'model', 'skipped'),
    node('positive_amount', 'test', 'fail', { failures: 2 }),
    node('bad_sql_test', 'test', 'error'),
    node('unique_orders_id', 'test', 'pass'),
    node('soft_rule', 'test', 'warn', { failures: 1 }),
    node('stg_orders', 'model', 'success', { reused: 'nothing it reads changed' }),
  ];

  it('names each failing node’s compiled SQL once, and keeps tests that errored apart from tests that failed', () => {
    const lines = buildReport(build(results), out);
    const text = lines.join('\n');
    expect(text.match(/compiled\/shop\/models\/broken\.sql/g)).toHaveLength(1);
    expect(text.match(/compiled\/shop\/models\/bad_sql_test\.sql/g)).toHaveLength(1);
    expect(lines).toContain('ERROR model broken: broken went wrong');
    expect(lines).toContain('FAIL test positive_amount: positive_amount went wrong');
    expect(lines).toContain('ERROR test bad_sql_test: bad_sql_test went wrong');
    expect(lines).toContain('    compiled SQL: target/compiled/shop/models/broken.sql');
    expect(lines).toContain(
      'models: 1 built, 1 failed, 1 skipped, 1 reused; tests: 1 passed, 1 warned, 1 failed, 1 errored — 1.00 s',
    );
    // dbt's own closing line, counted as dbt counts (a failing test is an ERROR there too).
    expect(lines).toContain('Done. PASS=2 WARN=1 ERROR=3 SKIP=1 REUSED=1 TOTAL=8');
  });

  it('the progress line of a failed node leaves the compiled SQL’s path to the report', () => {
    const [, message] = nodeLines(node('broken', 'model', 'error'), 30, out);
    expect(message).toBe('      broken went wrong');
  });
});
