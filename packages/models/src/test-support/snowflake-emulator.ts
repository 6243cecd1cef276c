import { createSnowflakeWarehouse, type SnowflakeWarehouse } from '@sluice/snowflake';
import { HOSTILE_ACCOUNT_PARAMETERS, startSnowflakeEmulator, type EmulatorStats } from '@sluice/snowflake-emulator';
import { tempDir } from './temp-project.js';

// snowflake-sdk probes cloud metadata endpoints when it is loaded, and sends connection telemetry: not in tests.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = 'true';

/**
 * A Snowflake emulator (one user, the ANALYTICS database, hostile account defaults) and a warehouse logged in to it;
 * `dispose` stops both.
 */
export async function startEmulatedSnowflake(): Promise<{
  readonly warehouse: SnowflakeWarehouse;
  /** What the emulator saw: every statement with its query tag, and whether it needed a warehouse. */
  stats(): EmulatorStats;
  dispose(): Promise<void>;
}> {
  const dir = await tempDir('sluice-models-snowflake-');
  const user = { name: 'sluice_models', password: 'correct horse battery staple' };
  const emulator = await startSnowflakeEmulator({
    dataDir: dir.path,
    port: 0,
    users: [user],
    databases: ['ANALYTICS'],
    // account defaults that break a client that does not pin its session (time zone, input formats, …)
    accountParameters: HOSTILE_ACCOUNT_PARAMETERS,
  });
  const warehouse = await createSnowflakeWarehouse({
    account: 'emulator',
    user: user.name,
    password: user.password,
    warehouse: 'SLUICE_WH',
    database: 'ANALYTICS',
    accessUrl: emulator.url,
    workDir: dir.path,
  });
  return {
    warehouse,
    stats: () => emulator.stats(),
    async dispose() {
      await warehouse.close();
      await emulator.stop();
      await dir.remove();
    },
  };
}
