import { spawn, spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pollUntil, requireTool, type TestDatabase } from '@sluice/testing';
import { createPostgresStateStore, type StateStore } from '@sluice/watermark';
import { DEPLOY } from './deploy-tools.js';

/** The advisory lock (pg_locks classid, objid) a state store holds while it holds its run lock. */
async function runLockOf(url: string, schema: string): Promise<{ classid: string; objid: string }> {
  const store = createPostgresStateStore({ url, schema });
  const lock = await store.acquireLock('pipeline', { holder: 'finding the key' });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "select classid::text, objid::text from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())",
    );
    expect(rows).toHaveLength(1);
    return rows[0] as { classid: string; objid: string };
  } finally {
    await client.end();
    await lock.release();
    await store.close();
  }
}

describe('deploy/backup.sh', () => {
  let keyDb: TestDatabase;
  beforeAll(async () => {
    keyDb = await createTestDatabase('lockkey');
  });
  afterAll(() => keyDb?.drop());

  it('takes the run lock by the key every sluice run and daemon uses', async () => {
    for (const schema of ['sluice_state', 'other_state']) {
      const { classid, objid } = await runLockOf(keyDb.url, schema);
      const key = BigInt.asIntN(64, (BigInt(classid) << 32n) | BigInt(objid)).toString();
      const result = spawnSync(
        'bash',
        [
          '-c',
          `source <(sed -n '/^run_lock_key()/,/^}/p' "$0"); run_lock_key "$1"`,
          path.join(DEPLOY, 'backup.sh'),
          schema,
        ],
        { encoding: 'utf8' },
      );
      expect(result.stdout.trim()).toBe(key);
    }
  });

  // The Postgres parts run for real: psql (Debian's postgresql-client) stands in for the one in the state-db
  // container, against the test server. pg_dump is only recorded (the client here may be older than the server),
  // and `docker compose cp` copies a file: what is checked is that both happen under the run lock.
  // Where psql is missing the test is skipped (named at the end of the run); .ci/run installs it.
  describe('backup under the run lock (psql against the test server, stand-in docker)', () => {
    let stateDb: TestDatabase;
    let store: StateStore;
    let sandbox: string;
    beforeAll(async () => {
      stateDb = await createTestDatabase('state');
      store = createPostgresStateStore({ url: stateDb.url, schema: 'sluice_state' });
      await store.listRuns({ limit: 1 }); // creates the schema, as a daemon's first start does
      sandbox = await mkdtemp(path.join(os.tmpdir(), 'sluice-backup-'));
    });
    afterAll(async () => {
      await store?.close();
      await stateDb?.drop();
      if (sandbox) await rm(sandbox, { recursive: true, force: true });
    });

    it('waits for the run in progress, then dumps the state and copies the warehouse while holding the lock', async (ctx) => {
      requireTool(ctx, 'psql'); // the stand-in docker runs psql from PATH
      const deploy = path.join(sandbox, 'deploy');
      await cp(DEPLOY, deploy, { recursive: true, filter: (src) => path.basename(src) !== '.env' });
      const example = await readFile(path.join(DEPLOY, '.env.example'), 'utf8');
      await writeFile(path.join(deploy, '.env'), example.replaceAll('GENERATED', '0123abcd'));
      const volume = path.join(sandbox, 'volume');
      await mkdir(volume);
      await writeFile(path.join(volume, 'warehouse.duckdb'), 'the warehouse file');
      const bin = path.join(sandbox, 'bin');
      await mkdir(bin);
      const calls = path.join(sandbox, 'calls.log');
      const { objid } = await runLockOf(stateDb.url, 'sluice_state');
      const lockHeld = `psql "${stateDb.url}" -qAtX -c "select count(*) from pg_locks where locktype = 'advisory' and granted and objid = ${objid}"`;
      await writeFile(
        path.join(bin, 'docker'),
        `#!/usr/bin/env bash
echo "docker $*" >> "${calls}"
[ "$1" = compose ] || exit 1
shift
case "$*" in
  "exec -T state-db psql -U sluice -d sluice "*) shift 7; exec psql "${stateDb.url}" "$@" ;;
  "exec -T state-db pg_dump "*) echo "pg_dump with the run lock held by $(${lockHeld}) session(s)" >> "${calls}"; echo "stand-in dump" ;;
  "cp scheduler:/var/lib/sluice/warehouse.duckdb "*)
    echo "cp with the run lock held by $(${lockHeld}) session(s)" >> "${calls}"
    touch "${sandbox}/at-cp"
    for _ in $(seq 1 600); do [ -f "${sandbox}/go" ] && break; sleep 0.1; done
    cp "${volume}/warehouse.duckdb" "$3" ;;
  "exec -T scheduler test -f "*) exit 1 ;;
  *) exit 1 ;;
esac
`,
      );
      await chmod(path.join(bin, 'docker'), 0o755);

      // A run in progress holds the lock.
      const run = await store.acquireLock('pipeline', { holder: 'a run in progress' });
      const target = path.join(sandbox, 'backup-1');
      const child = spawn('bash', [path.join(deploy, 'backup.sh'), 'backup', target], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const admin = new pg.Client({ connectionString: stateDb.url });
      await admin.connect();
      try {
        // The backup's session waits on the lock: nothing is dumped while the run goes on.
        const waiting = async () =>
          (
            await admin.query(
              "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and objid = $1",
              [objid],
            )
          ).rows[0].n as number;
        await pollUntil(async () => (await waiting()) > 0, { what: "the backup's session to wait for the run lock" });
        expect(await waiting()).toBe(1);
        expect(await readFile(calls, 'utf8')).not.toContain('pg_dump');
        await run.release();

        // While it copies, no run can start.
        await pollUntil(
          () =>
            readFile(path.join(sandbox, 'at-cp')).then(
              () => true,
              () => false,
            ),
          {
            what: 'the backup to reach the copy of the warehouse',
            describe: () => stderr,
          },
        );
        await expect(store.acquireLock('pipeline', { holder: 'a run that must wait' })).rejects.toMatchObject({
          code: 'LOCK_HELD',
        });
        await writeFile(path.join(sandbox, 'go'), '');
        expect(await exited, stderr).toBe(0);
      } finally {
        await admin.end();
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      const log = await readFile(calls, 'utf8');
      expect(log).toContain('pg_dump with the run lock held by 1 session(s)');
      expect(log).toContain('cp with the run lock held by 1 session(s)');
      expect(log).toContain(
        'docker compose exec -T state-db pg_dump -U sluice -d sluice --format=custom --schema=sluice_state',
      );
      expect(await readFile(path.join(target, 'state.dump'), 'utf8')).toBe('stand-in dump\n');
      expect(await readFile(path.join(target, 'warehouse.duckdb'), 'utf8')).toBe('the warehouse file');
      // And released afterwards: the next run takes the lock.
      const next = await store.acquireLock('pipeline', { holder: 'the next run' });
      await next.release();
    }, 120_000);
  });
});
