export { findFreePort } from './free-port.js';
export { startLocalPostgres, type LocalPostgres, type LocalPostgresOptions } from './local-postgres.js';
