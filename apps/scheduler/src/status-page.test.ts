import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProjectConfig, openStateStore, openWarehouse, resolveTarget, runPipeline } from '@sluice/pipeline';
import { createTempDir } from '@sluice/testing';
import type { RunRecord } from '@sluice/watermark';
import { esc, renderStatusPage, type StatusView } from './status-page.js';

const now = new Date('2024-05-02T09:00:00Z');

function view(runs: RunRecord[], extra: Partial<StatusView> = {}): StatusView {
  return {
    project: 'novadrive',
    now,
    cron: '0 6 * * *',
    timezone: 'America/Sao_Paulo',
    paused: false,
    stopping: false,
    current: undefined,
    nextRun: new Date('2024-05-03T09:00:00Z'),
    runs,
    tables: [
      {
        table: 'vendas',
        lastLoaded: new Date('2024-05-02T09:00:40Z'),
        rows: 1234,
        status: 'success',
        error: undefined,
      },
      { table: 'clientes', lastLoaded: undefined, rows: undefined, status: undefined, error: undefined },
    ],
    docsAvailable: true,
    ...extra,
  };
}

describe('renderStatusPage', () => {
  it('shows a failing data test of the last run, with its model, severity and failing rows', () => {
    const run: RunRecord = {
      id: '20240502T090000Z-abc123',
      trigger: 'schedule',
      status: 'success',
      startedAt: new Date('2024-05-02T09:00:00Z'),
      endedAt: new Date('2024-05-02T09:01:10Z'),
      detail: {
        tables: [{ table: 'vendas', status: 'success', rows: 1234, bytes: 99999 }],
        models: [{ name: 'fct_vendas', status: 'success', seconds: 2.5 }],
        tests: [
          {
            name: 'price_within_list_price',
            model: 'fct_vendas',
            status: 'fail',
            severity: 'error',
            failures: 17,
            message: '17 sales paid above the list price',
          },
          { name: 'not_null_cliente_id', model: 'dim_clientes', status: 'pass', severity: 'error', failures: 0 },
        ],
      },
    };
    const html = renderStatusPage(view([run]));
    expect(html).toContain('<h2>Failing tests</h2>');
    expect(html).toContain(
      '<strong>price_within_list_price</strong><div class="dim">on fct_vendas</div><div class="dim">17 sales paid above the list price</div></td><td><span class="pill bad">fail</span><div class="dim">error</div></td><td class="num">17</td>',
    );
    expect(html).not.toContain('not_null_cliente_id');
    expect(html).toContain('Needs attention');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<a href="/docs/">Lineage and model docs</a>');
    expect(html).toContain('3 May 2024, 06:00'); // next run, in São Paulo time
  });

  it('shows a failed run: the error, the failing table, and the table freshness', () => {
    const run: RunRecord = {
      id: 'r-failed',
      trigger: 'api',
      status: 'failed',
      startedAt: new Date('2024-05-02T08:59:00Z'),
      endedAt: new Date('2024-05-02T08:59:30Z'),
      detail: {
        tables: [
          {
            table: 'vendas',
            status: 'failed',
            rows: 0,
            bytes: 0,
            error: { code: 'X', message: 'column "data_atualizacao" does not exist' },
          },
        ],
        error: { code: 'TABLES_FAILED', message: 'vendas failed' },
      },
    };
    const html = renderStatusPage(view([run], { docsAvailable: false }));
    expect(html).toContain('<h2>Last run failed</h2>');
    expect(html).toContain('Table <strong>vendas</strong>: column &quot;data_atualizacao&quot; does not exist');
    expect(html).toContain('<strong>clientes</strong></td><td class="nowrap"><span class="dim">never</span>');
    expect(html).not.toContain('TABLES_FAILED'); // the failing table says it all
    expect(html).toContain('1,234');
    expect(html).toContain('(not built yet)');
  });

  it('escapes every value that comes from data', () => {
    const run: RunRecord = {
      id: 'r1',
      trigger: '<script>alert(1)</script>',
      status: 'failed',
      startedAt: now,
      detail: { tables: [], error: { code: 'E', message: '<img src=x onerror=alert(1)>' } },
    };
    const html = renderStatusPage(view([run]));
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(esc(`a&b"c'<d>`)).toBe('a&amp;b&quot;c&#39;&lt;d&gt;');
  });

  it('says when nothing ran yet, when paused, and what is running', () => {
    const html = renderStatusPage(
      view([], { paused: true, current: { runId: 'r9', trigger: 'api', startedAt: new Date('2024-05-02T08:58:00Z') } }),
    );
    expect(html).toContain('No runs yet.');
    expect(html).toContain('<span class="badge paused">Paused</span>');
    expect(html).toContain('Next run: <strong>paused</strong>');
    // The link opens the run's page (it opened its raw JSON before).
    expect(html).toContain('Running now: <a href="/runs/r9">r9</a> (api, started 2 min ago)');
  });

  it('never says all tests passed when a failed model left tests unrun', () => {
    const run: RunRecord = {
      id: 'r-model-failed',
      trigger: 'schedule',
      status: 'failed',
      startedAt: new Date('2024-05-02T08:00:00Z'),
      endedAt: new Date('2024-05-02T08:01:00Z'),
      detail: {
        tables: [],
        models: [{ name: 'fct_vendas', status: 'error', message: 'Binder Error: column x not found' }],
        tests: [
          ...Array.from({ length: 49 }, (_, i) => ({ name: `t${i}`, status: 'pass', severity: 'error' })),
          ...Array.from({ length: 8 }, (_, i) => ({ name: `s${i}`, status: 'skipped', severity: 'error' })),
        ],
        error: { code: 'BUILD_FAILED', message: '1 model(s) or test(s) failed: fct_vendas' },
      },
    };
    const html = renderStatusPage(view([run]));
    expect(html).not.toContain('All 57 tests passed');
    expect(html).not.toMatch(/All \d+ tests passed/);
    expect(html).toContain('49 of 57 tests passed in the last run; 8 did not run');
    expect(html).toContain('Model <strong>fct_vendas</strong>: Binder Error');
  });

  it('shows the last finished run beside a run in progress in another process, and tables the run never reached', () => {
    const failed: RunRecord = {
      id: 'r-failed',
      trigger: 'schedule',
      status: 'failed',
      startedAt: new Date('2024-05-02T06:00:00Z'),
      endedAt: new Date('2024-05-02T06:00:05Z'),
      detail: {
        version: 1,
        scope: { steps: ['ingest'], runTests: 'after-each-model' },
        attempts: { ingest: 1, build: 0 },
        tables: [],
        models: [],
        tests: [],
        error: { code: 'SOURCE_UNREACHABLE', message: 'cannot connect to the source Postgres at db:5432' },
      },
    };
    const running: RunRecord = {
      id: 'r-running',
      trigger: 'api',
      status: 'running',
      startedAt: new Date('2024-05-02T08:59:00Z'),
      detail: {
        version: 1,
        attempts: { ingest: 1, build: 0 },
        tables: [],
        models: [],
        tests: [],
        heartbeatAt: '2024-05-02T08:59:55Z',
      },
    };
    const html = renderStatusPage(
      view([running, failed], {
        tables: [
          {
            table: 'vendas',
            lastLoaded: undefined,
            rows: undefined,
            status: 'not reached',
            error: 'not reached: cannot connect to the source Postgres at db:5432',
          },
        ],
      }),
    );
    expect(html).toContain(
      '<span class="badge failing">Needs attention</span> <span class="badge running">Running</span>',
    );
    expect(html).toContain('Running now (another process): <a href="/runs/r-running">r-running</a>');
    expect(html).toContain('last heartbeat 5 s ago');
    expect(html).toContain('<h2>Last run failed</h2>');
    expect(html).toContain('SOURCE_UNREACHABLE');
    expect(html).toContain('<span class="pill bad">not reached</span>');
    expect(html).not.toContain('<span class="pill ok">unchanged</span>');
  });

  it('offers the run, pause and resume forms only with a token, posting to this origin', () => {
    expect(renderStatusPage(view([]))).toContain('Start the daemon with SLUICE_SCHEDULER_TOKEN set');
    const html = renderStatusPage(view([], { tokenConfigured: true }));
    expect(html).toContain('<form method="post" action="/actions/run" id="run-form">');
    expect(html).toContain('<input type="password" name="token" required autocomplete="current-password"');
    expect(html).toContain('<input type="checkbox" name="tables" value="vendas">');
    expect(html).toContain('<form method="post" action="/actions/pause" id="pause-form">');
    expect(renderStatusPage(view([], { tokenConfigured: true, paused: true }))).toContain('action="/actions/resume"');
  });
});

describe('renderStatusPage over the record a real build wrote', () => {
  it('names the model each failing test is on', async () => {
    const dir = await createTempDir();
    try {
      await writeFile(
        path.join(dir.path, 'sluice.yml'),
        `name: shop
source: { url: "postgres://nobody@127.0.0.1:1/none" }
targets: { dev: { type: duckdb, path: .sluice/warehouse.duckdb, schema: analytics } }
target: dev
state: { type: file, dir: .sluice/state }
tables: { orders: { strategy: full } }
`,
      );
      await mkdir(path.join(dir.path, 'models'));
      await mkdir(path.join(dir.path, 'tests'));
      await writeFile(
        path.join(dir.path, 'models', 'orders.sql'),
        'select 1 as id union all select 1 union all select 2\n',
      );
      await writeFile(
        path.join(dir.path, 'models', 'schema.yml'),
        'version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [unique]\n',
      );
      await writeFile(
        path.join(dir.path, 'tests', 'no_order_two.sql'),
        "select * from {{ ref('orders') }} where id = 2\n",
      );
      const project = await loadProjectConfig(dir.path, {});
      const target = resolveTarget(project);
      const warehouse = await openWarehouse(project, target.config);
      const state = openStateStore(project);
      try {
        const result = await runPipeline({
          project,
          warehouse,
          state,
          workDir: path.join(dir.path, '.sluice', 'work'),
          trigger: 'schedule',
          target,
          steps: ['build'],
        });
        const failed = result.build?.run.results.filter((r) => r.kind === 'test' && r.status === 'fail') ?? [];
        expect(failed.map((r) => r.name).sort()).toEqual(['no_order_two', 'unique_orders_id']);
        const record = await state.getRun(result.runId);
        const html = renderStatusPage(view([record!]));
        for (const test of failed)
          expect(html).toContain(`<strong>${test.name}</strong><div class="dim">on orders</div>`);
      } finally {
        await warehouse.close();
        await state.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
