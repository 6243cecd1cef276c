import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '@sluice/watermark';
import { createWebhookAlertSender, decideAlert, runHealth, slackPayload } from './alerts.js';
import { createLogger } from './logger.js';

function run(id: string, status: RunRecord['status'], detail: RunRecord['detail'] = { tables: [] }): RunRecord {
  return {
    id,
    trigger: 'schedule',
    status,
    startedAt: new Date('2024-05-01T06:00:00Z'),
    endedAt: new Date('2024-05-01T06:05:00Z'),
    detail,
  };
}

const failingTable = {
  tables: [
    {
      table: 'vendas',
      status: 'failed',
      rows: 0,
      bytes: 0,
      error: { code: 'COLUMN_NOT_FOUND', message: 'column "data_atualizacao" does not exist in public.vendas' },
    },
    { table: 'clientes', status: 'success', rows: 10, bytes: 100 },
  ],
  error: { code: 'TABLES_FAILED', message: 'vendas: column "data_atualizacao" does not exist' },
};

describe('decideAlert', () => {
  it('alerts on a failed run, naming the error and the failing tables and tests', () => {
    const alert = decideAlert('novadrive', run('r2', 'failed', failingTable), run('r1', 'success'));
    expect(alert?.kind).toBe('failure');
    expect(alert?.title).toBe('Sluice run failed — novadrive');
    expect(alert?.lines).toEqual([
      'TABLES_FAILED: vendas: column "data_atualizacao" does not exist',
      'table vendas: column "data_atualizacao" does not exist in public.vendas',
    ]);
  });

  it('alerts on a run stopped by its timeout, not on one interrupted by a shutdown', () => {
    const timedOut = run('r2', 'interrupted', {
      tables: [],
      error: { code: 'INTERRUPTED', message: 'Error: run timed out after 3600000 ms' },
    });
    expect(decideAlert('p', timedOut, undefined)?.kind).toBe('failure');
    const shutdown = run('r3', 'interrupted', {
      tables: [],
      error: { code: 'INTERRUPTED', message: 'Error: interrupted by SIGTERM' },
    });
    expect(decideAlert('p', shutdown, undefined)).toBeUndefined();
  });

  it('alerts on recovery after a failure, and stays quiet between two successes', () => {
    expect(decideAlert('p', run('r2', 'success'), run('r1', 'failed'))?.kind).toBe('recovery');
    expect(decideAlert('p', run('r2', 'success'), run('r1', 'failed'))?.lines).toEqual([
      'run r2 succeeded after run r1 failed',
    ]);
    expect(decideAlert('p', run('r2', 'success'), run('r1', 'success'))).toBeUndefined();
    expect(decideAlert('p', run('r2', 'success'), undefined)).toBeUndefined();
  });

  it('alerts on a data test failing at error severity, not on a warning', () => {
    const detail = {
      tables: [],
      tests: [
        {
          name: 'price_within_list_price',
          model: 'fct_vendas',
          status: 'fail',
          severity: 'error',
          failures: 3,
          message: '3 failing rows',
        },
        { name: 'accepted_values_tipo', model: 'dim_veiculos', status: 'warn', severity: 'warn', failures: 1 },
        { name: 'unique_venda_id', model: 'fct_vendas', status: 'pass', severity: 'error', failures: 0 },
      ],
    };
    const alert = decideAlert('p', run('r2', 'success', detail), run('r1', 'success'));
    expect(alert?.kind).toBe('test-failure');
    expect(alert?.title).toBe('Sluice: 1 data test failed at error severity — p');
    expect(alert?.lines).toEqual([
      'test price_within_list_price on fct_vendas: fail (3 failing rows) — 3 failing rows',
    ]);
    const onlyWarning = { tables: [], tests: [detail.tests[1]!] };
    expect(decideAlert('p', run('r2', 'success', onlyWarning), run('r1', 'success'))).toBeUndefined();
  });
});

describe('decideAlert: one alert per failure streak', () => {
  const testFailure = {
    tables: [],
    tests: [{ name: 'price_rule', model: 'fct_vendas', status: 'fail', severity: 'error', failures: 2 }],
  };
  it('alerts on the first failure of a streak only, whatever kind the failures are, and once on recovery', () => {
    // A day of runs: ok, failed, failed, test failure, shutdown (neutral), failed, ok, ok.
    const history: RunRecord[] = [
      run('r1', 'success'),
      run('r2', 'failed', failingTable),
      run('r3', 'failed', failingTable),
      run('r4', 'success', testFailure),
      run('r5', 'interrupted', { tables: [], error: { code: 'INTERRUPTED', message: 'interrupted by SIGTERM' } }),
      run('r6', 'abandoned', { tables: [], error: { code: 'ABANDONED', message: 'its process is gone' } }),
      run('r7', 'success'),
      run('r8', 'success'),
    ];
    const kinds: Array<[string, string | undefined]> = [];
    let previous: RunRecord | undefined;
    for (const current of history) {
      kinds.push([current.id, decideAlert('p', current, previous)?.kind]);
      if (runHealth(current) !== 'neutral') previous = current;
    }
    expect(kinds).toEqual([
      ['r1', undefined],
      ['r2', 'failure'],
      ['r3', undefined],
      ['r4', undefined],
      ['r5', undefined],
      ['r6', undefined],
      ['r7', 'recovery'],
      ['r8', undefined],
    ]);
  });

  it('a streak that starts with a failing test alerts once, names the test, and recovers', () => {
    expect(decideAlert('p', run('r2', 'success', testFailure), run('r1', 'success'))?.lines).toEqual([
      'test price_rule on fct_vendas: fail (2 failing rows)',
    ]);
    expect(decideAlert('p', run('r3', 'failed', failingTable), run('r2', 'success', testFailure))).toBeUndefined();
    expect(decideAlert('p', run('r4', 'success'), run('r3', 'success', testFailure))?.kind).toBe('recovery');
  });

  it('an abandoned run starts a streak', () => {
    const abandoned = run('r2', 'abandoned', { tables: [], error: { code: 'ABANDONED', message: 'gone' } });
    expect(decideAlert('p', abandoned, run('r1', 'success'))).toMatchObject({
      kind: 'failure',
      title: 'Sluice run abandoned — p',
      lines: ['ABANDONED: gone'],
    });
  });
});

describe('slackPayload', () => {
  it('is Slack incoming-webhook JSON: a text line and a coloured attachment', () => {
    const alert = decideAlert('novadrive', run('r2', 'failed', failingTable), undefined)!;
    const payload = slackPayload(alert, 'https://sluice.example.com/');
    expect(payload.text).toBe(':red_circle: Sluice run failed — novadrive');
    const [attachment] = payload.attachments as Array<Record<string, unknown>>;
    expect(attachment?.color).toBe('#d93025');
    expect(String(attachment?.text)).toContain('• table vendas: column "data_atualizacao" does not exist');
    // The link opens the run's page, not its JSON.
    expect(String(attachment?.footer)).toContain('<https://sluice.example.com/runs/r2|r2>');
  });
});

describe('createWebhookAlertSender', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('POSTs the JSON, retries a 5xx answer, and never logs the webhook URL', async () => {
    const received: unknown[] = [];
    let calls = 0;
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        calls++;
        if (calls === 1) {
          res.writeHead(503).end('busy');
          return;
        }
        received.push({ contentType: req.headers['content-type'], body: JSON.parse(body) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret-part`;
    const lines: string[] = [];
    const log = createLogger({ format: 'json', stream: { write: (text: string) => lines.push(text) }, secrets: [url] });
    const sender = createWebhookAlertSender({ url, log, attempts: 2, retryDelayMs: 10 });
    const ok = await sender.send(decideAlert('p', run('r2', 'success'), run('r1', 'failed'))!);
    expect(ok).toBe(true);
    expect(calls).toBe(2);
    expect(received).toEqual([
      {
        contentType: 'application/json',
        body: expect.objectContaining({ text: ':large_green_circle: Sluice recovered — p' }),
      },
    ]);
    expect(lines.join('')).not.toContain('secret-part');
  });

  it('gives up quietly when the webhook stays down', async () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'json', stream: { write: (text: string) => lines.push(text) } });
    const sender = createWebhookAlertSender({ url: 'http://127.0.0.1:1/hook', log, attempts: 1, timeoutMs: 2000 });
    expect(await sender.send(decideAlert('p', run('r2', 'failed'), undefined)!)).toBe(false);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({
      level: 'warn',
      msg: 'alert webhook failed: the alert was not delivered',
      runId: 'r2',
      alert: 'failure',
    });
  });
});
