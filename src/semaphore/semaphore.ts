import type { StoredItem } from '../contract/backend.js';
import { InvalidItemError, ValidationError } from '../contract/errors/store.js';
import { queryPages } from '../contract/query-pages.js';
import { checkInteger, checkName, Limits } from '../contract/validate.js';
import {
  type AcquireOptions,
  type Lease,
  type LockContext,
  type LockHolder,
  type LockOptions,
  type ResolvedLockOptions,
  resolveLockOptions,
} from '../lock/index.js';
import {
  contend,
  holderNow,
  LEGACY_PARTITIONS,
  resolveAcquireOptions,
  rowPartition,
  type SlotSet,
} from '../lock/internal.js';

/**
 * Most permits a semaphore may have.
 *
 * @example
 * ```ts
 * store.semaphore('pool', { permits: MAX_PERMITS });
 * ```
 */
export const MAX_PERMITS = 1000;

/**
 * Options of `store.semaphore(key, options)`: the number of permits and every lock option
 * (each permit is held by a lease with the same timing, heartbeat and fencing).
 *
 * @example
 * ```ts
 * const sem = store.semaphore('encoders', { permits: 3, leaseMs: 30_000 });
 * ```
 */
export interface SemaphoreOptions extends LockOptions {
  /** How many holders at once (1..1000). Every process must use the same number. */
  permits: number;
}

/**
 * A counting semaphore: `permits` slot rows `<key>#0` .. `<key>#<permits-1>` under one partition
 * key of its own (`<prefix>_semaphore/<key>`), each a lock with
 * its own lease and fencing token (a lease's `key` names its slot). `acquire` first writes one
 * random slot (uncontended: one write), then reads all slots in one query and takes a free one;
 * a crashed holder's permit is recovered by the same takeover rules as a lock.
 *
 * @example
 * ```ts
 * const sem = store.semaphore('encoders', { permits: 3 });
 * await using permit = await sem.acquire({ waitMs: 60_000 });
 * await encode(file, { signal: permit.signal });
 * ```
 */
export class Semaphore {
  readonly key: string;
  readonly permits: number;
  /** The partition key of the slot rows: `<prefix>_semaphore/<key>`. */
  readonly partition: string;
  /** The resolved lease options. */
  readonly options: ResolvedLockOptions;
  readonly #ctx: LockContext;
  readonly #slots: SlotSet;

  constructor(ctx: LockContext, key: string, options: SemaphoreOptions) {
    this.key = checkName('key', key, Limits.keyBytes);
    if (options === undefined || options === null || typeof options !== 'object') {
      throw new ValidationError('semaphore.permits', 'is required');
    }
    const { permits, ...lockOptions } = options;
    this.permits = checkInteger('semaphore.permits', permits, { min: 1, max: MAX_PERMITS });
    checkName('key', `${key}#${this.permits - 1}`, Limits.keyBytes);
    this.options = resolveLockOptions('semaphore', lockOptions);
    this.#ctx = ctx;
    const keys = Array.from({ length: this.permits }, (_, i) => `${key}#${i}`);
    const partition = rowPartition('semaphore', this.options.prefix, key, 'semaphore');
    this.partition = partition;
    this.#slots = {
      name: key,
      partition,
      keys,
      ...(this.options.prefix === '' && { legacyPartition: LEGACY_PARTITIONS.semaphore }),
      read: () => readSlots(ctx, partition, key, new Set(keys)),
    };
  }

  /**
   * Waits for a permit. Rejects with `LockTimeoutError` after `waitMs`, or with `signal.reason`;
   * with the last `BackendError` when the store fails (see `Lock.acquire` and `maxOutageMs`).
   *
   * @example
   * ```ts
   * const permit = await sem.acquire({ waitMs: 10_000 });
   * try { await work() } finally { await permit.release() }
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    const o = resolveAcquireOptions(options);
    const lease = await contend(this.#ctx, this.#slots, this.options, { wait: true, ...o });
    if (!lease) throw new Error('unreachable: a waiting acquire returns a lease or throws');
    return lease;
  }

  /**
   * A permit if one is free now (or its holder's lease ended more than `maxClockSkewMs` ago),
   * else undefined. Never waits.
   *
   * @example
   * ```ts
   * const permit = await sem.tryAcquire();
   * if (!permit) return 'busy';
   * ```
   */
  tryAcquire(): Promise<Lease | undefined> {
    return contend(this.#ctx, this.#slots, this.options, { wait: false });
  }

  /**
   * The current holders, one per held permit (one query). A slot row another writer left
   * unreadable is not listed (and counts as held: it is never taken over); `tryAcquire` and
   * `acquire` use the other slots.
   *
   * @example
   * ```ts
   * for (const h of await sem.holders()) console.log(h.key, h.owner, h.data);
   * ```
   */
  async holders(): Promise<LockHolder[]> {
    const rows = await this.#slots.read();
    const sessions = new Map<string, Promise<StoredItem | undefined>>();
    const holders: LockHolder[] = [];
    for (const k of this.#slots.keys) {
      try {
        const h = await holderNow(this.#ctx, rows.get(k), this.options.maxClockSkewMs, sessions);
        if (h) holders.push(h);
      } catch (err) {
        if (!(err instanceof InvalidItemError)) throw err;
      }
    }
    return holders;
  }
}

async function readSlots(
  ctx: LockContext,
  partition: string,
  key: string,
  keys: ReadonlySet<string>,
): Promise<Map<string, StoredItem | undefined>> {
  const rows = new Map<string, StoredItem | undefined>();
  for await (const page of queryPages(ctx.backend, { partition, prefix: `${key}#`, consistent: true })) {
    for (const item of page.items) if (keys.has(item.key)) rows.set(item.key, item);
  }
  return rows;
}
