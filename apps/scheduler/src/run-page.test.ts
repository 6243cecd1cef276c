import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@sluice/watermark';
import { renderRunPage, type RunPageView } from './run-page.js';

const now = new Date('2024-05-02T09:05:00Z');

function page(run: RunRecord, extra: Partial<RunPageView> = {}): string {
  return renderRunPage({
    project: 'novadrive',
    now,
    timezone: 'UTC',
    run,
    configuredTables: ['estados', 'vendas', 'clientes'],
    cancellable: false,
    tokenConfigured: true,
    ...extra,
  });
}

const failedRun: RunRecord = {
  id: '20240502T090000Z-abc123',
  trigger: 'schedule',
  status: 'failed',
  startedAt: new Date('2024-05-02T09:00:00Z'),
  endedAt: new Date('2024-05-02T09:02:30Z'),
  detail: {
    version: 1,
    scope: { steps: ['ingest', 'build'], runTests: 'after-each-model' },
    attempts: { ingest: 1, build: 1 },
    holder: { name: 'sluice-scheduler on web-1 pid 42', host: 'web-1', pid: 42 },
    tables: [
      {
        table: 'estados',
        strategy: 'full',
        status: 'unchanged',
        rows: 27,
        read: 27,
        bytes: 800,
        inserted: 0,
        updated: 0,
        deleted: 0,
        seconds: 0.12,
      },
      {
        table: 'vendas',
        strategy: 'upsert',
        status: 'success',
        rows: 1204,
        bytes: 98133,
        inserted: 1100,
        updated: 100,
        deleted: 4,
        seconds: 1.5,
      },
    ],
    models: [
      { name: 'stg_vendas', status: 'success', startedAt: '2024-05-02T09:01:00.000Z', seconds: 2 },
      { name: 'fct_vendas', status: 'success', startedAt: '2024-05-02T09:01:02.000Z', seconds: 6 },
    ],
    tests: [
      {
        name: 'price_within_list_price',
        model: 'fct_vendas',
        status: 'fail',
        severity: 'error',
        failures: 17,
        startedAt: '2024-05-02T09:01:08.000Z',
        seconds: 0.5,
        message: '17 sales paid above the list price',
        samples: [
          { id_vendas: '97', valor_pago: '120000.00', preco_lista: '60000.00' },
          { id_vendas: '194', valor_pago: '<b>2</b>', preco_lista: null },
        ],
        storedIn: 'analytics_audit.price_within_list_price',
      },
      { name: 'unique_id', model: 'fct_vendas', status: 'pass', severity: 'error', failures: 0, seconds: 0.1 },
    ],
    log: [
      { at: '2024-05-02T09:00:00.100Z', level: 'info', msg: 'run started (trigger schedule)' },
      {
        at: '2024-05-02T09:01:09.000Z',
        level: 'error',
        msg: 'test price_within_list_price fail in 0.50 s (17 failing rows)',
      },
    ],
    error: { code: 'BUILD_FAILED', message: '1 model(s) or test(s) failed: price_within_list_price' },
  },
};

describe('renderRunPage', () => {
  it('shows per table rows read, inserted, updated, deleted, bytes and time; a table the run never reached', () => {
    const html = page(failedRun);
    expect(html).toContain(
      '<tr><td><strong>vendas</strong><div class="dim">upsert</div></td><td><span class="pill ok">success</span></td><td class="num">1,204</td><td class="num">1,100</td><td class="num">100</td><td class="num">4</td><td class="num">96 KB</td><td class="num">1.50 s</td></tr>',
    );
    expect(html).toContain('<strong>clientes</strong></td><td><span class="pill bad">not reached</span>');
    expect(html).toContain('Run by sluice-scheduler on web-1 pid 42');
  });

  it('shows the error with what to do, the failing test with its sample rows, the timeline and the log', () => {
    const html = page(failedRun);
    expect(html).toContain('<strong>BUILD_FAILED</strong>: 1 model(s) or test(s) failed: price_within_list_price');
    expect(html).toContain('<strong>What to do:</strong> A model or a data test failed');
    expect(html).toContain('all of them in <code>analytics_audit.price_within_list_price</code>');
    expect(html).toContain('<th>id_vendas</th><th>valor_pago</th><th>preco_lista</th>');
    expect(html).toContain('<tr><td>97</td><td>120000.00</td><td>60000.00</td></tr>');
    expect(html).toContain('<td>&lt;b&gt;2&lt;/b&gt;</td><td><span class="dim">null</span></td>');
    // The timeline: bars placed on one axis from the first start to the last end (09:01:00 to 09:01:08.5).
    expect(html).toContain('From 09:01:00 to 09:01:08 (8.50 s).');
    expect(html).toMatch(
      /fct_vendas <span class="dim">model<\/span><\/div><div class="tl-track"><div class="tl-bar " style="left:23\.53%;width:70\.59%">/,
    );
    expect(html).toContain('09:00:00 INFO  run started (trigger schedule)');
    expect(html).toContain('<span class="lvl-error">09:01:09 ERROR test price_within_list_price fail');
  });

  it('offers a cancel form for a run of this daemon, and refreshes itself while it runs', () => {
    const running: RunRecord = {
      id: 'r-live',
      trigger: 'api',
      status: 'running',
      startedAt: new Date('2024-05-02T09:04:00Z'),
      detail: {
        version: 1,
        attempts: { ingest: 1, build: 0 },
        tables: [],
        models: [],
        tests: [],
        heartbeatAt: '2024-05-02T09:04:55Z',
      },
    };
    const html = page(running, { cancellable: true });
    expect(html).toContain('<form method="post" action="/runs/r-live/cancel" id="cancel-form">');
    expect(html).toContain('<meta http-equiv="refresh" content="10">');
    expect(html).toContain('last heartbeat 5 s ago');
    expect(page(running, { cancellable: false })).not.toContain('cancel-form');
    expect(page(failedRun)).not.toContain('http-equiv="refresh"');
  });
});
