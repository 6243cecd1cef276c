import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProjectConfig, resolveTarget, scheduleConfigSchema, type LoadedProject } from '@sluice/pipeline';
import { createTempDir, createTestDatabase, pollUntil, type TestDatabase } from '@sluice/testing';
import { createFileStateStore, type RunRecord, type StateStore } from '@sluice/watermark';
import { createLogger } from '../src/logger.js';
import { Scheduler } from '../src/scheduler.js';
import { SchedulerMetrics } from '../src/scheduler-metrics.js';
import { renderStatusPage } from '../src/status-page.js';

describe('Scheduler: a table failing run after run is named on the page and in the metrics (real pipeline)', () => {
  let db: TestDatabase;
  let home: { path: string; remove(): Promise<void> };
  let project: LoadedProject;
  let state: StateStore;

  beforeAll(async () => {
    db = await createTestDatabase('schedstreak');
    await db.withClient(async (client) => {
      await client.query(`CREATE TABLE good (id int PRIMARY KEY, note text)`);
      await client.query(`INSERT INTO good VALUES (1, 'one')`);
      // Unconstrained numeric: this value does not fit DECIMAL(38,18), so `bad` fails every run.
      await client.query(`CREATE TABLE bad (id int PRIMARY KEY, amount numeric)`);
      await client.query(`INSERT INTO bad VALUES (1, 1.5), (2, 123456789012345678901234.5)`);
    });
    home = await createTempDir('sluice-sched-streak-');
    await mkdir(home.path, { recursive: true });
    await writeFile(
      path.join(home.path, 'sluice.yml'),
      'name: shop\nsource: { url: "${env:SLUICE_SOURCE_URL}" }\n' +
        'targets: { dev: { type: duckdb, path: "${env:SLUICE_HOME}/warehouse.duckdb" } }\n' +
        'target: dev\nstate: { type: file, dir: "${env:SLUICE_HOME}/state" }\n' +
        'tables:\n  good: { strategy: full }\n  bad: { strategy: full }\n',
    );
    project = await loadProjectConfig(home.path, { SLUICE_SOURCE_URL: db.url, SLUICE_HOME: home.path });
    state = createFileStateStore({ dir: path.join(home.path, 'state') });
  });
  afterAll(async () => {
    await state?.close();
    await db?.drop();
    await home?.remove();
  });

  /** The run recorded finished, and the scheduler done with it (metrics, alerts): it takes the next trigger. */
  const finished = async (scheduler: Scheduler, id: string): Promise<RunRecord> => {
    const run = await pollUntil(
      async () => {
        const found = await state.getRun(id);
        return found && found.status !== 'running' ? found : undefined;
      },
      { what: `run ${id} to be recorded finished`, timeoutMs: 120_000 },
    );
    await pollUntil(() => (scheduler.current === undefined ? true : undefined), {
      what: 'the scheduler to be done with the run',
      timeoutMs: 60_000,
    });
    return run;
  };

  it('after two failing runs: the page says since which run and why; the metrics count the runs in a row', async () => {
    const metrics = new SchedulerMetrics();
    const scheduler = new Scheduler({
      project,
      target: resolveTarget(project),
      state,
      schedule: scheduleConfigSchema.parse({ cron: '0 6 * * *', retries: { attempts: 1 } }),
      log: createLogger({ format: 'json', stream: { write: () => undefined } }),
      workDir: path.join(home.path, 'work'),
      holder: 'scheduler streak test',
      metrics,
    });
    try {
      const first = await finished(scheduler, (await scheduler.trigger({})).runId);
      await db.withClient((client) => client.query(`INSERT INTO good VALUES (2, 'two')`));
      const second = await finished(scheduler, (await scheduler.trigger({})).runId);
      for (const run of [first, second]) {
        expect(run.status).toBe('failed');
        expect(run.detail.tables).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ table: 'good', status: 'success', inserted: 1 }),
            expect.objectContaining({ table: 'bad', status: 'failed', read: 2 }),
          ]),
        );
      }

      const view = await scheduler.statusView();
      const bad = view.tables.find((t) => t.table === 'bad');
      expect(bad?.failing).toMatchObject({ runs: 2, first: { runId: first.id }, latest: { runId: second.id } });
      expect(view.tables.find((t) => t.table === 'good')?.failing).toBeUndefined();
      const html = renderStatusPage(view);
      expect(html).toMatch(/Failed 2 runs in a row, since [^<]*, run [0-9a-f]{8}…\): [^<]*column &quot;amount&quot;/);
      expect(html).toContain(`run ${first.id.slice(0, 8)}…)`);

      const text = await metrics.render(await scheduler.metricsSnapshot());
      const lines = text.split('\n');
      expect(lines).toContain('sluice_table_consecutive_failures{table="bad"} 2');
      expect(lines).toContain('sluice_table_consecutive_failures{table="good"} 0');
      expect(lines).toContain(
        `sluice_table_failing_since_timestamp_seconds{table="bad"} ${first.startedAt.getTime() / 1000}`,
      );
      expect(text).not.toContain('sluice_table_failing_since_timestamp_seconds{table="good"}');
    } finally {
      await scheduler.stop('test', 60_000);
    }
  });
});
