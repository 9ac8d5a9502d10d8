/**
 * The lock folder's internal API: what the recipes built on locks (semaphore, election) and the
 * facade need beyond the public `index.ts`. Not exported from the package; code outside `lock/`
 * imports lock only through `index.ts` and this file.
 *
 * - {@link contend}: acquire one of a set of rows ({@link SlotSet}), waiting or not;
 * - {@link liveHolder}: the holder a lock row names, if its lease is live;
 * - {@link resolveAcquireOptions}: validation of `acquire`'s options;
 * - {@link decodeLockRow}: a lock row's fields, read leniently;
 * - {@link lockOptionNames}: the lock option names, from the one list in `options.ts`;
 * - {@link checkFence} / {@link fencedTransact}: writes fenced by a lease;
 * - {@link SessionCore}: a session's row, heartbeat and tied leases (the facade's `Session`);
 * - {@link rowPartition}: the partition key of a lock's, semaphore's, election's or session's row.
 *
 * @example
 * ```ts
 * import { contend, type SlotSet } from '../lock/internal.js';
 * const lease = await contend(ctx, slots, options, { wait: false });
 * ```
 */
export { type ContendMode, contend, type SlotSet } from './acquire.js';
export { checkFence, fencedTransact } from './fence.js';
export { holderNow, liveHolder, sessionLive } from './holder.js';
export { DEFAULT_LEGACY_LAYOUT_CHECK_MS, LEGACY_PARTITIONS, LegacyLayoutCheck } from './legacy-layout.js';
export { resolveAcquireOptions } from './lock.js';
export { lockOptionNames } from './options.js';
export { checkPrefix, rowPartition } from './placement.js';
export { decodeLockRow } from './row.js';
export { SessionCore, type SessionTerms } from './session.js';
export {
  KV_SESSION_FIELD,
  KV_SESSION_SKEW_FIELD,
  kvSessionOf,
  sessionDeadInMs,
  sessionIdOfRow,
  sessionRowTarget,
} from './session-judge.js';
export { sessionRowOf } from './session-row.js';
export { recordSessionSighting } from './session-sightings.js';
