export { createFileStateStore, type FileStateStoreOptions } from './file-state-store.js';
export { assertPosition, type JsonObject, type JsonValue, type Position, type PositionValue } from './position.js';
export { createPostgresStateStore } from './deferred-postgres-state-store.js';
export type { PostgresStateStoreOptions } from './postgres-state-options.js';
export { describeHolder, StateError, type LockHolder, type StateErrorCode } from './state-error.js';
export {
  createStateStore,
  parseStateStoreConfig,
  type StateStoreConfig,
  type StateStoreConfigProblem,
  type StateStoreConfigResult,
} from './state-store-config.js';
export {
  RUN_STATUSES,
  type CommitMeta,
  type ListRunsOptions,
  type RunCursor,
  type SaveRunOptions,
  type LockOptions,
  type ResetMeta,
  type RunRecord,
  type RunStatus,
  type StateEvent,
  type StateLock,
  type StateStore,
  type StateStoreOptions,
  type Watermark,
  type WatermarkHistoryEntry,
  type WatermarkStore,
} from './state-store.js';
