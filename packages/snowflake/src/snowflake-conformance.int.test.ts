import { afterAll, beforeAll } from 'vitest';
import { describeWarehouseConformance } from '@sluice/testing';
import { startTestEmulator, type TestEmulator } from './__tests__/test-emulator.js';

// The one Warehouse conformance suite every engine passes, here against the real snowflake-sdk and the emulator.
let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator?.dispose();
});

describeWarehouseConformance('snowflake (through the emulator)', () => emulator.warehouse());
