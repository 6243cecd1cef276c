import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTestDatabase, type TestDatabase } from '@sluice/testing';
import { createPostgresStateStore, type RunRecord } from '@sluice/watermark';
import { slotOfRunId } from '../src/slot-run-id.js';
import {
  createNovaDriveSource,
  startDaemon,
  writeNovaDriveProject,
  type DaemonProcess,
  type LogLine,
} from './daemon-fixture.js';

describe('sluice-scheduler: two daemons on one Postgres state store', () => {
  let source: TestDatabase;
  let stateDb: TestDatabase;
  let dir: { path: string; remove(): Promise<void> };
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    [source, stateDb] = await Promise.all([createNovaDriveSource(300), createTestDatabase('state')]);
    dir = await createTempDir();
    await writeNovaDriveProject(dir.path, {
      state: 'type: postgres\nurl: ${env:SLUICE_STATE_URL}\nschema: sluice_state',
      // A slot every 2 seconds: both daemons see the same slots and race for them.
      schedule: 'cron: "*/2 * * * * *"\ntimezone: UTC\ncatch_up: skip\nretries: { attempts: 1 }',
    });
  });
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
    await source?.drop();
    await stateDb?.drop();
    await dir?.remove();
  });

  it('runs every slot exactly once, whichever daemon claims it', async () => {
    const env = { SLUICE_SOURCE_URL: source.url, SLUICE_HOME: dir.path, SLUICE_STATE_URL: stateDb.url };
    const a = startDaemon('a', ['--project', dir.path], env);
    const b = startDaemon('b', ['--project', dir.path], env);
    daemons.push(a, b);
    await Promise.all([a.url(), b.url()]);

    // Wait until both daemons have seen (claimed or lost) at least three common slots, and a run has finished.
    const seen = (d: DaemonProcess) =>
      new Set(
        d.logs
          .filter((l) => l.msg.startsWith('slot claimed') || l.msg === 'slot taken by another daemon')
          .map((l) => String(l.slot)),
      );
    const common = () => [...seen(a)].filter((slot) => seen(b).has(slot));
    await a.waitForLog(
      () => common().length >= 3 && [...a.logs, ...b.logs].some((l) => l.msg === 'run finished'),
      'three slots seen by both',
      60_000,
    );
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(await b.stop('SIGTERM')).toBe(0);

    const claims = (d: DaemonProcess) =>
      d.logs.filter((l: LogLine) => l.msg.startsWith('slot claimed')).map((l) => String(l.slot));
    const claimedByA = claims(a);
    const claimedByB = claims(b);
    // Every slot both daemons saw was claimed by exactly one of them.
    for (const slot of common()) {
      expect(Number(claimedByA.includes(slot)) + Number(claimedByB.includes(slot)), slot).toBe(1);
    }
    expect(new Set([...claimedByA, ...claimedByB]).size).toBe(claimedByA.length + claimedByB.length);

    // The shared history holds one record per slot: a run, or a skip for a slot that passed during a run.
    const state = createPostgresStateStore({ url: stateDb.url, schema: 'sluice_state' });
    let runs: RunRecord[];
    try {
      runs = await state.listRuns();
    } finally {
      await state.close();
    }
    const scheduled = runs.filter((r) => r.trigger === 'schedule');
    const slots = scheduled.map((r) => slotOfRunId(r.id)?.toISOString());
    expect(slots.every((s) => s !== undefined)).toBe(true);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots.sort()).toEqual([...claimedByA, ...claimedByB].sort());
    const ran = scheduled.filter((r) => r.status !== 'skipped');
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.every((r) => r.status === 'success' || r.status === 'interrupted')).toBe(true);
    // Runs never overlapped: each started after the one before had ended.
    const ordered = [...ran].sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime());
    for (let i = 1; i < ordered.length; i++) {
      const before = ordered[i - 1]!;
      expect(before.endedAt!.getTime()).toBeLessThanOrEqual(ordered[i]!.startedAt.getTime());
    }
  });
});
