export {
  startSnowflakeEmulator,
  type EmulatorUser,
  type SnowflakeEmulator,
  type SnowflakeEmulatorOptions,
} from './snowflake-emulator.js';
export {
  FaultController,
  type FaultEvent,
  type FaultRule,
  type RequestMatcher,
  type SessionExpiry,
} from './fault-controller.js';
export type { EmulatorStats, StatementRecord } from './emulator-stats.js';
export { SnowflakeEmulatorError, type SnowflakeEmulatorErrorCode } from './emulator-error.js';
export {
  HOSTILE_ACCOUNT_PARAMETERS,
  PARAMETER_RULES,
  type ParameterRule,
} from './session-parameter-rules.js';
