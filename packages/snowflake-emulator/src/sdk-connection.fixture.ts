/**
 * Test fixture: the real snowflake-sdk, pointed at an emulator. Not exported by the package.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  Connection,
  ConnectionOptions,
  RowStatement,
  FileAndStageBindStatement,
  SnowflakeError,
} from 'snowflake-sdk';
import { startSnowflakeEmulator, type SnowflakeEmulator, type SnowflakeEmulatorOptions } from './snowflake-emulator.js';

type Sdk = typeof import('snowflake-sdk');

let sdk: Sdk | undefined;

/** Load snowflake-sdk quietly: no log output, no cloud-platform probing at import. */
export async function loadSdk(): Promise<Sdk> {
  if (sdk) return sdk;
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
  process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE = 'true';
  const mod = (await import('snowflake-sdk')) as Sdk & { default?: Sdk };
  sdk = mod.default ?? mod;
  sdk.configure({ logLevel: 'OFF' });
  return sdk;
}

/** An emulator in a fresh temporary directory, removed again by `dispose`. */
export async function startTestEmulator(
  options: Omit<SnowflakeEmulatorOptions, 'dataDir'> = {},
): Promise<SnowflakeEmulator & { dataDir: string; dispose(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sf-emulator-'));
  const emulator = await startSnowflakeEmulator({ ...options, dataDir });
  return Object.assign(emulator, {
    dataDir,
    dispose: async () => {
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}

/** Connect with the real driver. */
export async function connect(url: string, options: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const snowflake = await loadSdk();
  const connection = snowflake.createConnection({
    account: 'emulator',
    username: 'sluice',
    password: 'secret',
    accessUrl: url,
    ...options,
  } as ConnectionOptions);
  await new Promise<void>((resolve, reject) => {
    connection.connect((err) => (err ? reject(err) : resolve()));
  });
  return connection;
}

/** Run one statement; resolves with the rows (objects keyed by column name) and the statement. */
export function run(
  connection: Connection,
  sqlText: string,
  options: {
    binds?: unknown[];
    fetchAsString?: ('String' | 'Boolean' | 'Number' | 'Date' | 'JSON' | 'Buffer')[];
    parameters?: Record<string, unknown>;
  } = {},
): Promise<{ rows: Record<string, unknown>[]; statement: RowStatement | FileAndStageBindStatement }> {
  return new Promise((resolve, reject) => {
    connection.execute({
      sqlText,
      ...(options.binds ? { binds: options.binds as never } : {}),
      ...(options.fetchAsString ? { fetchAsString: options.fetchAsString } : {}),
      ...(options.parameters ? { parameters: options.parameters } : {}),
      complete: (
        err: SnowflakeError | undefined,
        statement: RowStatement | FileAndStageBindStatement,
        rows: unknown[] | undefined,
      ) => {
        if (err) reject(err);
        else resolve({ rows: (rows ?? []) as Record<string, unknown>[], statement });
      },
    });
  });
}

/** Run a statement expected to fail; resolves with the driver's error. */
export async function runFailing(
  connection: Connection,
  sqlText: string,
): Promise<SnowflakeError & { sqlState?: string; code?: string | number }> {
  try {
    await run(connection, sqlText);
  } catch (error) {
    return error as SnowflakeError & { sqlState?: string };
  }
  throw new Error(`expected the statement to fail: ${sqlText}`);
}

/** Close a connection. */
export function destroy(connection: Connection): Promise<void> {
  return new Promise((resolve, reject) => connection.destroy((err) => (err ? reject(err) : resolve())));
}
