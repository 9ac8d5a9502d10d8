import type { Observable } from 'rxjs';
import type { Clock } from '../contract/clock/types.js';
import type { FenceCheck, Lease, Lock, LockHolder } from '../lock/index.js';
import type { WatchEvent } from '../watch/index.js';

/**
 * What a work group needs from the session a member joins with (a `Session` from
 * `store.session()` is one): its id and liveness, and locks tied to it.
 *
 * @example
 * ```ts
 * const member = await group.join(await store.session({ leaseMs: 2_000 }), { onShard });
 * ```
 */
export interface GroupSession {
  readonly id: string;
  readonly owner: string;
  readonly leaseMs: number;
  /** The session's tenant prefix (its row's, and its locks' default); a group's must be the same. */
  readonly prefix: string;
  /** Aborted once the session is lost or closed. */
  readonly signal: AbortSignal;
  readonly held: boolean;
  /** A lock whose leases are tied to the session. */
  lock(key: string, options?: { data?: string; prefix?: string }): Lock;
}

/**
 * The member list's rows, as the facade provides them: keys bound to members' sessions
 * (`put(key, value, { session })`) in the group's partition.
 *
 * @example
 * ```ts
 * await table.create('members/w1', '{"owned":[]}', session);
 * ```
 */
export interface MemberTable {
  /** The partition the member keys live in. */
  readonly partition: string;
  /** Creates `key` bound to `session`, unless a live key is there (`KeyExistsError`). */
  create(key: string, value: string, session: GroupSession): Promise<void>;
  /** Writes `key` bound to `session`. */
  put(key: string, value: string, session: GroupSession): Promise<void>;
  /** Deletes `key` (idempotent). */
  delete(key: string): Promise<void>;
  /** The live keys under `prefix` (keys of dead sessions are absent) with their values. */
  list(prefix: string): Promise<{ readonly key: string; readonly value: string }[]>;
  /** `watchPrefix(prefix)` of the partition (keys of dead sessions: a delete with cause `session`). */
  watch(prefix: string): Observable<WatchEvent>;
}

/**
 * What a work group needs from its store (the facade builds it from a `Dynastore`).
 *
 * @example
 * ```ts
 * const deps: GroupStore = { clock, members: (partition) => table, lock: (key, prefix) => store.lock(key, { prefix }) };
 * ```
 */
export interface GroupStore {
  readonly clock: Clock;
  /** The member table in `partition` (`workGroupPartition(name, prefix)`). */
  members(partition: string): MemberTable;
  /** A plain lock on `key` under `prefix`, to read who holds it. */
  lock(
    key: string,
    prefix: string,
  ): {
    /** Who holds the lock now (`undefined` when it is free). */
    holder(): Promise<LockHolder | undefined>;
  };
}

/**
 * A shard as `onShard` gets it: the shard's lock lease (fencing token, `guard()`, and the
 * `Lease` itself for `{ fence: shard.lease }`), and `signal`, aborted the moment the member must
 * stop working the shard: before it releases the shard to another member (rebalance, leave), or
 * when the lease is lost (its session ended).
 *
 * @example
 * ```ts
 * onShard: async (shard, lease) => {
 *   while (!lease.signal.aborted) await kv.put(`progress/${shard}`, next(), { fence: lease.lease });
 * }
 * ```
 */
export interface ShardLease {
  readonly shard: number;
  /** The shard lock's fencing token of this grant. */
  readonly token: bigint;
  /** The shard's lock key. */
  readonly key: string;
  /** Aborted when the work must stop (before the shard is released, or when the lease is lost). */
  readonly signal: AbortSignal;
  /** The lock lease: pass it as `fence` to fenced writes. */
  readonly lease: Lease;
  /** A transaction item that holds only while this grant still holds the shard (`lease.guard()`). */
  guard(): FenceCheck;
}
