import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProjectConfig, resolveTarget, scheduleConfigSchema, type LoadedProject } from '@sluice/pipeline';
import { createTempDir, pollUntil, type TestDatabase } from '@sluice/testing';
import pg from 'pg';
import { createFileStateStore, type RunRecord, type StateStore } from '@sluice/watermark';
import type { Alert, AlertSender } from '../src/alerts.js';
import type { Clock } from '../src/clock.js';
import { createLogger } from '../src/logger.js';
import { Scheduler } from '../src/scheduler.js';
import { slotRunId } from '../src/slot-run-id.js';
import { createNovaDriveSource, writeNovaDriveProject } from './daemon-fixture.js';

/** Alerts kept in memory instead of posted (the webhook itself is tested against a real HTTP server elsewhere). */
class AlertInbox implements AlertSender {
  readonly alerts: Alert[] = [];
  async send(alert: Alert): Promise<boolean> {
    this.alerts.push(alert);
    return true;
  }
}

/** A clock stopped at `at`; naps last a few real milliseconds so the loop yields. */
function stoppedClock(at: string): Clock {
  return {
    now: () => new Date(at),
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, Math.min(ms, 20));
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      }),
  };
}

describe('Scheduler (in process, real pipeline): timeouts, retries, history, catch-up from the run history', () => {
  let source: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  let project: LoadedProject;
  let state: StateStore;
  const lines: string[] = [];
  const log = createLogger({ format: 'json', stream: { write: (text: string) => lines.push(text) } });

  beforeAll(async () => {
    source = await createNovaDriveSource(300);
    dir = await createTempDir();
    await writeNovaDriveProject(dir.path, {
      state: 'type: file\ndir: ${env:SLUICE_HOME}/state',
      schedule: 'cron: "0 6 * * *"',
    });
    project = await loadProjectConfig(dir.path, { SLUICE_SOURCE_URL: source.url, SLUICE_HOME: dir.path });
    state = createFileStateStore({ dir: path.join(dir.path, 'state') });
  });
  afterAll(async () => {
    await state?.close();
    await source?.drop();
    await dir?.remove();
  });

  const scheduler = (schedule: Record<string, unknown>, extra: { clock?: Clock; alerts?: AlertSender } = {}) =>
    new Scheduler({
      project,
      target: resolveTarget(project),
      state,
      schedule: scheduleConfigSchema.parse(schedule),
      log,
      workDir: path.join(dir.path, 'work'),
      holder: 'scheduler test',
      ...extra,
    });

  const finished = (id: string): Promise<RunRecord> =>
    pollUntil(
      async () => {
        const run = await state.getRun(id);
        return run && run.status !== 'running' ? run : undefined;
      },
      { what: `run ${id} to be recorded finished`, timeoutMs: 120_000 },
    );

  /**
   * Hold an ACCESS EXCLUSIVE lock on the source's `vendas` while `work` runs: an ingest cannot finish until it is
   * released, so a timeout is sure to come first, however fast or loaded the machine.
   */
  const withVendasLocked = async <T>(work: () => Promise<T>): Promise<T> => {
    const blocker = new pg.Client({ connectionString: source.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE vendas IN ACCESS EXCLUSIVE MODE');
      return await work();
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  };

  it('a step that outlives step_timeout is retried with backoff, then the run fails and alerts', async () => {
    const inbox = new AlertInbox();
    const s = scheduler(
      { retries: { attempts: 3, backoff: '10ms', max_delay: '20ms', jitter: 0 }, step_timeout: '1ms' },
      { alerts: inbox },
    );
    const run = await withVendasLocked(async () => finished((await s.trigger({})).runId));
    const runId = run.id;
    expect(run.status).toBe('failed');
    expect(run.detail.attempts).toMatchObject({ ingest: 3 });
    expect(String((run.detail.error as { message: string }).message)).toMatch(/ingest timed out after 1 ms/);
    const retries = lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'step failed: retrying' && l.runId === runId);
    expect(retries.map((l) => l.delayMs)).toEqual([10, 20]);
    await s.stop('test', 0);
    expect(inbox.alerts.map((a) => a.kind)).toEqual(['failure']);
  });

  it('a run that outlives run_timeout is recorded interrupted and alerts as a failure; the next good run is a recovery', async () => {
    // A good run first, so the timeout below starts a failure streak of its own (one alert per streak).
    const before = scheduler({ retries: { attempts: 1 } });
    expect((await finished((await before.trigger({ tables: ['estados'] })).runId)).status).toBe('success');
    await before.stop('test', 0);
    const inbox = new AlertInbox();
    const s = scheduler({ run_timeout: '5ms', retries: { attempts: 1 } }, { alerts: inbox });
    const run = await withVendasLocked(async () => finished((await s.trigger({})).runId));
    expect(run.status).toBe('interrupted');
    expect(String((run.detail.error as { message: string }).message)).toMatch(/run timed out after 5 ms/);
    await s.stop('test', 0);

    const healthy = scheduler({ retries: { attempts: 1 } }, { alerts: inbox });
    const again = await healthy.trigger({ tables: ['estados', 'cidades'] });
    const ok = await finished(again.runId);
    expect(ok.status).toBe('success');
    expect((ok.detail.tables as Array<{ table: string }>).map((t) => t.table)).toEqual(['estados', 'cidades']);
    await healthy.stop('test', 0);
    expect(inbox.alerts.map((a) => a.kind)).toEqual(['failure', 'recovery']);
  });

  it('keeps its source connections from one run to the next, and closes them when it stops', async () => {
    const sluiceBackends = async () => {
      const client = new pg.Client({ connectionString: source.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'sluice-%' AND state = 'idle' ORDER BY pid`,
        );
        return rows.map((row) => row.pid);
      } finally {
        await client.end();
      }
    };
    const s = scheduler({ retries: { attempts: 1 } });
    expect((await finished((await s.trigger({ tables: ['estados', 'vendas'] })).runId)).status).toBe('success');
    const kept = await sluiceBackends();
    expect(kept.length).toBeGreaterThan(0);
    expect((await finished((await s.trigger({ tables: ['estados', 'vendas'] })).runId)).status).toBe('success');
    // The second run took the kept connections: the same backends, and no new one.
    expect(await sluiceBackends()).toEqual(kept);
    await s.stop('test', 0);
    await pollUntil(async () => ((await sluiceBackends()).length === 0 ? true : undefined), {
      what: 'the kept source connections to close',
      timeoutMs: 10_000,
    });
  });

  it('on start: prunes history older than keep_history, closes runs left running by a dead process, and catches up the slot missed since the last one', async () => {
    const old: RunRecord = {
      id: 'old-run',
      trigger: 'api',
      status: 'success',
      startedAt: new Date('2024-01-01T00:00:00Z'),
      endedAt: new Date('2024-01-01T00:01:00Z'),
      detail: { tables: [] },
    };
    const abandoned: RunRecord = {
      id: 'abandoned-run',
      trigger: 'api',
      status: 'running',
      startedAt: new Date('2024-05-09T10:00:00Z'),
      detail: { tables: [] },
    };
    // The last scheduled slot handled was 8 May 06:00; the daemon comes back on 10 May at 09:00.
    const lastSlot: RunRecord = {
      id: slotRunId(new Date('2024-05-08T06:00:00Z')),
      trigger: 'schedule',
      status: 'success',
      startedAt: new Date('2024-05-08T06:00:01Z'),
      endedAt: new Date('2024-05-08T06:01:00Z'),
      detail: { tables: [] },
    };
    for (const run of [old, abandoned, lastSlot]) await state.saveRun(run);

    const s = scheduler(
      { cron: '0 6 * * *', catch_up: 'once', keep_history: '30d', retries: { attempts: 1 } },
      { clock: stoppedClock('2024-05-10T09:00:00Z') },
    );
    await s.start();
    const catchUpId = slotRunId(new Date('2024-05-10T06:00:00Z'), 'x').slice(0, -2);
    const catchUp = await pollUntil(
      async () => (await state.listRuns()).find((r) => r.id.startsWith(catchUpId) && r.status !== 'running'),
      { what: 'the catch-up run to be recorded finished', timeoutMs: 120_000 },
    );
    await s.stop('test', 60_000);

    expect(catchUp).toMatchObject({ trigger: 'schedule', status: 'success' });
    expect(await state.getRun('old-run')).toBeUndefined();
    // Recorded abandoned (it was recorded interrupted before runs could be recorded abandoned).
    expect(await state.getRun('abandoned-run')).toMatchObject({
      status: 'abandoned',
      detail: { error: { code: 'ABANDONED' } },
    });
    // One catch-up run for 9 and 10 May, not two.
    expect(
      (await state.listRuns())
        .filter((r) => r.trigger === 'schedule')
        .map((r) => r.id.slice(0, 16))
        .sort(),
    ).toEqual(['20240508T060000Z', '20240510T060000Z']);
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged.find((l) => l.msg === 'slot claimed (late: catch-up run)')).toMatchObject({
      slot: '2024-05-10T06:00:00.000Z',
      late: true,
      missed: 1,
    });
  });
});
