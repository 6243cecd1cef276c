import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLocalPostgres } from '@sluice/local-postgres';
import type { TestProject } from 'vitest/node';
import './test-database.js'; // declares the provided `sluicePgUrl`

/**
 * vitest global setup: one Postgres server for the whole test run — the one in `SLUICE_TEST_PG_URL` when set,
 * otherwise an embedded server on a free port, stopped and its files removed at teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.SLUICE_TEST_PG_URL;
  if (external) {
    project.provide('sluicePgUrl', external);
    return async () => undefined;
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'sluice-test-pg-'));
  const server = await startLocalPostgres({ dataDir: path.join(root, 'data'), persistent: false, durable: false });
  project.provide('sluicePgUrl', server.url);
  return async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  };
}
