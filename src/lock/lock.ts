import type { StoredItem } from '../contract/backend.js';
import { checkDuration, checkName, checkSignal, Limits, resolveOptions } from '../contract/validate.js';
import { contend, type SlotSet } from './acquire.js';
import { holderNow } from './holder.js';
import type { Lease } from './lease.js';
import { LEGACY_PARTITIONS } from './legacy-layout.js';
import { type LockOptions, type ResolvedLockOptions, resolveLockOptions } from './options.js';
import { rowPartition } from './placement.js';
import type { AcquireOptions, LockContext, LockHolder } from './types.js';

/**
 * A distributed lock on one key: a row in the store's table, granted by conditional writes,
 * held by a heartbeating {@link Lease} with a fencing token. Get one from `store.lock(key)`.
 *
 * @example
 * ```ts
 * const lock = store.lock('jobs/reindex', { leaseMs: 10_000 });
 * const lease = await lock.acquire({ waitMs: 30_000 });
 * try {
 *   await reindex({ fencingToken: lease.token, signal: lease.signal });
 * } finally {
 *   await lease.release();
 * }
 * ```
 */
export class Lock {
  readonly key: string;
  /** The partition key of the lock's row: `<prefix>_lock/<key>` (its sort key is `key`). */
  readonly partition: string;
  /** The resolved options (defaults filled in). */
  readonly options: ResolvedLockOptions;
  readonly #ctx: LockContext;
  readonly #slots: SlotSet;

  constructor(ctx: LockContext, key: string, options?: LockOptions) {
    this.key = checkName('key', key, Limits.keyBytes);
    this.options = resolveLockOptions('lock', options);
    this.#ctx = ctx;
    const partition = rowPartition('lock', this.options.prefix, key, 'lock');
    this.partition = partition;
    this.#slots = {
      name: key,
      partition,
      keys: [key],
      ...(this.options.prefix === '' && { legacyPartition: LEGACY_PARTITIONS.lock }),
      read: async () =>
        new Map<string, StoredItem | undefined>([
          [key, await ctx.backend.get(partition, key, { consistent: true })],
        ]),
    };
  }

  /** This lock's owner id (the `owner` option or the generated default). */
  get owner(): string {
    return this.options.owner;
  }

  /**
   * Waits until the lock is granted. Uncontended: one conditional write. A holder that died long
   * ago is taken over at once; a live one is waited for (polling, woken by the change feed).
   * Rejects with `LockTimeoutError` after `waitMs`, or with `signal.reason`. Store errors: a
   * non-retryable `BackendError` rejects at once; retryable ones (unreachable endpoint,
   * throttling, 5xx) once every call has failed for `maxOutageMs`, or when `waitMs` ends before
   * any call answered.
   *
   * @example
   * ```ts
   * await using lease = await lock.acquire({ waitMs: 5_000 });
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    const o = resolveAcquireOptions(options);
    const lease = await contend(this.#ctx, this.#slots, this.options, { wait: true, ...o });
    if (!lease) throw new Error('unreachable: a waiting acquire returns a lease or throws');
    return lease;
  }

  /**
   * One attempt, never waiting: the lease, or undefined when someone holds the lock. Still takes
   * over a lock whose holder's lease ended more than `maxClockSkewMs` ago.
   *
   * @example
   * ```ts
   * const lease = await lock.tryAcquire();
   * if (!lease) return; // someone else is on it
   * ```
   */
  tryAcquire(): Promise<Lease | undefined> {
    return contend(this.#ctx, this.#slots, this.options, { wait: false });
  }

  /**
   * Who holds the lock now (one strongly consistent read; two when a session holds it), or
   * undefined when it is free or its holder's lease (or session) ended more than
   * `maxClockSkewMs` ago.
   *
   * @example
   * ```ts
   * const h = await lock.holder();
   * console.log(h ? `held by ${h.owner}` : 'free');
   * ```
   */
  async holder(): Promise<LockHolder | undefined> {
    const item = await this.#ctx.backend.get(this.partition, this.key, { consistent: true });
    // a row tied to a session is live while the session row is (one more read, for those rows only)
    return holderNow(this.#ctx, item, this.options.maxClockSkewMs);
  }
}

/**
 * Validates {@link AcquireOptions}.
 *
 * @example
 * ```ts
 * resolveAcquireOptions({ waitMs: 1_000 }); // { waitMs: 1000 }
 * ```
 */
export function resolveAcquireOptions(
  options: AcquireOptions | undefined,
  context = 'acquire',
): {
  waitMs: number;
  signal?: AbortSignal;
} {
  const o = resolveOptions(context, options, {
    waitMs: Number.POSITIVE_INFINITY,
    signal: undefined as AbortSignal | undefined,
  });
  const waitMs =
    o.waitMs === Number.POSITIVE_INFINITY
      ? o.waitMs
      : checkDuration(`${context}.waitMs`, o.waitMs, { allowZero: true });
  const signal = checkSignal(`${context}.signal`, o.signal);
  return { waitMs, ...(signal && { signal }) };
}
