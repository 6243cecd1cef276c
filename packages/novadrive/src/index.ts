export {
  createNovaDriveSchema,
  existingTables as existingNovaDriveTables,
  type CreateNovaDriveSchemaOptions,
  type CreateNovaDriveSchemaResult,
} from './create-novadrive-schema.js';
export {
  generateNovaDrive,
  type GenerateNovaDriveOptions,
  type GenerateNovaDriveResult,
} from './generate-novadrive.js';
export { connectNovaDrive, type NovaDriveClient, type NovaDriveConnection } from './novadrive-client.js';
export { NOVADRIVE_CALENDAR, novaDriveDayWindow, type TimeWindow } from './novadrive-clock.js';
export { NovaDriveError, type NovaDriveErrorCode } from './novadrive-error.js';
export { NOVADRIVE_SCALE_RANGE, novaDriveSizes, type NovaDriveSizes } from './novadrive-sizes.js';
export {
  NOVADRIVE_FOREIGN_KEYS,
  NOVADRIVE_INDEXES,
  NOVADRIVE_PRIMARY_KEYS,
  NOVADRIVE_TABLES,
  type NovaDriveForeignKey,
  type NovaDriveIndex,
  type NovaDriveTable,
} from './novadrive-tables.js';
export {
  openLateTransaction,
  type LateTransaction,
  type LateTransactionOptions,
  type LateTransactionRows,
} from './open-late-transaction.js';
export {
  simulateDay,
  type DayChanges,
  type SameTimestampTable,
  type SimulateDayOptions,
  type TableChanges,
} from './simulate-day.js';
export { LIST_PRICE_RANGE, VEHICLE_TYPES, type VehicleType } from './vehicle-catalog.js';
