import { ValidationError } from '../contract/errors/store.js';
import type { Lease } from './lease.js';
import { Lock } from './lock.js';
import { type LockOptions, lockOptionNames } from './options.js';
import type { AcquireOptions, LockContext } from './types.js';

/**
 * Options of `store.withLock`: the lock's and the acquire's.
 *
 * @example
 * ```ts
 * await store.withLock('job', work, { leaseMs: 30_000, waitMs: 60_000 });
 * ```
 */
export interface WithLockOptions extends LockOptions, AcquireOptions {}

/**
 * Acquires `key`, runs `fn(lease)`, and releases in `finally` (a failed release is not
 * reported: the lock frees itself when the lease runs out). `fn` should watch `lease.signal` and
 * pass `lease.token` downstream. If the lease was lost while `fn` ran and `fn` did not throw,
 * `withLock` rejects with the `LeaseLostError` (the work was not done under the lock throughout).
 *
 * @example
 * ```ts
 * const count = await withLock(store, 'counters/daily', async (lease) => {
 *   return recompute({ signal: lease.signal, fencingToken: lease.token });
 * }, { waitMs: 10_000 });
 * ```
 */
export async function withLock<T>(
  ctx: LockContext,
  key: string,
  fn: (lease: Lease) => Promise<T> | T,
  options?: WithLockOptions,
): Promise<T> {
  if (typeof fn !== 'function') throw new ValidationError('withLock.fn', 'must be a function');
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
    throw new ValidationError('withLock', 'options must be an object');
  const { waitMs, signal, ...lockOptions } = options ?? {};
  for (const name of Object.keys(lockOptions)) {
    if (!lockOptionNames.includes(name)) {
      throw new ValidationError(
        `withLock.${name}`,
        `unknown option (known: waitMs, signal, ${lockOptionNames.join(', ')})`,
      );
    }
  }
  const lock = new Lock(ctx, key, lockOptions);
  const lease = await lock.acquire({
    ...(waitMs !== undefined && { waitMs }),
    ...(signal !== undefined && { signal }),
  });
  let result: T;
  try {
    result = await fn(lease);
  } catch (error) {
    await lease.release().catch(() => undefined);
    throw error;
  }
  const lost: unknown = lease.signal.aborted ? lease.signal.reason : undefined;
  await lease.release().catch(() => undefined);
  if (lost !== undefined) throw lost;
  return result;
}
