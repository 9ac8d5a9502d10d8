export type { FenceCheck, LeaseInit } from './lease.js';
export { Lease } from './lease.js';
export { Lock } from './lock.js';
export type { LockOptions, ResolvedLockOptions } from './options.js';
export { DEFAULT_LOCK_PARTITION, resolveLockOptions } from './options.js';
export type { LeaseTerms, RowTarget } from './row.js';
export type { AcquireOptions, LockContext, LockHolder, SessionBinding } from './types.js';
export type { WithLockOptions } from './with-lock.js';
export { withLock } from './with-lock.js';
