/**
 * Test support (not exported): a Snowflake emulator in a temporary folder, and a warehouse pointed at it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  HOSTILE_ACCOUNT_PARAMETERS,
  startSnowflakeEmulator,
  type EmulatorUser,
  type SnowflakeEmulator,
} from '@sluice/snowflake-emulator';
import {
  createSnowflakeWarehouse,
  type SnowflakeWarehouse,
  type SnowflakeWarehouseOptions,
} from '../snowflake-warehouse.js';

// snowflake-sdk probes cloud metadata endpoints when it is loaded, and sends connection telemetry: not in tests.
process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = 'true';

/**
 * snowflake-sdk waits 1–3 s (then longer) before it repeats an HTTP request that failed (a 5xx, a dropped
 * connection). The tests inject dozens of those; they shorten the wait to at most `maxMs` so the suites stay fast.
 * The driver still repeats the request the same way (same request id); only the pause is shorter.
 */
export function shortenDriverRetryWaits(maxMs = 50): void {
  const util = createRequire(import.meta.url)('snowflake-sdk/dist/lib/util.js') as {
    sleep: (ms: number) => Promise<void>;
    __sluiceShortened?: boolean;
  };
  if (util.__sluiceShortened) return;
  const original = util.sleep;
  util.sleep = (ms: number) => original(Math.min(ms, maxMs));
  util.__sluiceShortened = true;
}

export const TEST_USER = 'sluice_loader';
export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_DATABASE = 'ANALYTICS';

/** Options to change; a key given as `undefined` is left out (e.g. `{ password: undefined }` for key-pair login). */
export type OptionChanges = {
  readonly [K in keyof SnowflakeWarehouseOptions]?: SnowflakeWarehouseOptions[K] | undefined;
};

export interface TestEmulator extends SnowflakeEmulator {
  readonly dataDir: string;
  /** Options of a warehouse on this emulator (password login). */
  options(extra?: OptionChanges): SnowflakeWarehouseOptions;
  warehouse(extra?: OptionChanges): Promise<SnowflakeWarehouse>;
  dispose(): Promise<void>;
}

/**
 * Start an emulator with one user (password, and optionally a public key), the ANALYTICS database, and account
 * defaults chosen to break a client that does not pin its session (`HOSTILE_ACCOUNT_PARAMETERS`: another time zone,
 * case-folded quoted names, AUTOCOMMIT off, day-first input formats, …) unless `accountParameters` says otherwise.
 */
export async function startTestEmulator(
  options: {
    publicKeyPem?: string;
    users?: readonly EmulatorUser[];
    accountParameters?: Readonly<Record<string, string | number | boolean>>;
  } = {},
): Promise<TestEmulator> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-snowflake-test-'));
  const emulator = await startSnowflakeEmulator({
    dataDir,
    port: 0,
    users: [
      {
        name: TEST_USER,
        password: TEST_PASSWORD,
        ...(options.publicKeyPem ? { publicKeyPem: options.publicKeyPem } : {}),
      },
      ...(options.users ?? []),
    ],
    databases: [TEST_DATABASE],
    accountParameters: options.accountParameters ?? HOSTILE_ACCOUNT_PARAMETERS,
  });
  const warehouseOptions = (extra: OptionChanges = {}): SnowflakeWarehouseOptions => {
    const options: Record<string, unknown> = {
      account: 'emulator',
      user: TEST_USER,
      password: TEST_PASSWORD,
      warehouse: 'SLUICE_WH',
      database: TEST_DATABASE,
      accessUrl: emulator.url,
      workDir: dataDir,
      retry: { attempts: 5, baseDelayMs: 20, maxDelayMs: 200 },
      ...extra,
    };
    for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
    return options as unknown as SnowflakeWarehouseOptions;
  };
  return Object.assign(emulator, {
    dataDir,
    options: warehouseOptions,
    warehouse: (extra: OptionChanges = {}) => createSnowflakeWarehouse(warehouseOptions(extra)),
    dispose: async () => {
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}
