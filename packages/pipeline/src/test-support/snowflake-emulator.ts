/**
 * Test support (not exported): the account a pipeline test signs in to on the Snowflake emulator, and the
 * environment a project's Snowflake target reads it from.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type SnowflakeEmulator, startSnowflakeEmulator } from '@sluice/snowflake-emulator';

// snowflake-sdk probes cloud metadata endpoints when it is loaded, and sends connection telemetry: not in tests.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = 'true';

export const TEST_USER = 'sluice_loader';
export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_DATABASE = 'ANALYTICS';

export interface TestEmulator extends SnowflakeEmulator {
  readonly dataDir: string;
  /** Stop the emulator and remove its data folder. */
  dispose(): Promise<void>;
}

/** An emulator with the test user and the ANALYTICS database, in a temporary folder (or `dataDir`). */
export async function startTestEmulator(options: { dataDir?: string } = {}): Promise<TestEmulator> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'sluice-pipeline-emulator-')));
  const emulator = await startSnowflakeEmulator({
    dataDir,
    port: 0,
    users: [{ name: TEST_USER, password: TEST_PASSWORD }],
    databases: [TEST_DATABASE],
  });
  return Object.assign(emulator, {
    dataDir,
    dispose: async () => {
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}

/** The `SNOWFLAKE_*` variables of a target written as `${env:SNOWFLAKE_…}`, pointed at `url` (the emulator's). */
export function snowflakeEnv(url: string): Record<string, string> {
  return {
    SNOWFLAKE_ACCOUNT: 'emulator',
    SNOWFLAKE_USER: TEST_USER,
    SNOWFLAKE_PASSWORD: TEST_PASSWORD,
    SNOWFLAKE_DATABASE: TEST_DATABASE,
    SNOWFLAKE_WAREHOUSE: 'SLUICE_WH',
    SNOWFLAKE_ACCESS_URL: url,
  };
}
