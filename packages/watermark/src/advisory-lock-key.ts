import { createHash } from 'node:crypto';

/** A Postgres advisory lock key, as the bigint passed to `pg_advisory_lock` and as `pg_locks` shows it. */
export interface AdvisoryLockKey {
  /** The signed 64-bit key, as a decimal string (bind it as `$1::bigint`). */
  readonly key: string;
  /** `pg_locks.classid`: the high 32 bits. */
  readonly classid: string;
  /** `pg_locks.objid`: the low 32 bits (`objsubid` is 1 for a bigint key). */
  readonly objid: string;
}

/**
 * A deterministic advisory lock key for a lock name in a state schema: the first 8 bytes of
 * sha256(`sluice-state:<schema>:<kind>:<name>`). The same name in two state schemas gives two different locks.
 */
export function advisoryLockKey(schema: string, kind: 'lock' | 'init', name: string): AdvisoryLockKey {
  const digest = createHash('sha256').update(`sluice-state:${schema}:${kind}:${name}`).digest();
  const unsigned = digest.readBigUInt64BE(0);
  return {
    key: digest.readBigInt64BE(0).toString(),
    classid: (unsigned >> 32n).toString(),
    objid: (unsigned & 0xffffffffn).toString(),
  };
}
