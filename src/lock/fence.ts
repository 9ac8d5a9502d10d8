import type { Backend, StoredItem, TransactItem } from '../contract/backend.js';
import { FencedError } from '../contract/errors/lock.js';
import { ValidationError } from '../contract/errors/store.js';
import { Lease } from './lease.js';
import { fenceGuard } from './mutants.js';
import { decodeLockRow } from './row.js';

/**
 * Checks a `fence` option: a {@link Lease} from this library.
 *
 * @example
 * ```ts
 * const lease = checkFence('put.fence', options.fence);
 * ```
 */
export function checkFence(field: string, fence: unknown): Lease | undefined {
  if (fence === undefined) return undefined;
  if (!(fence instanceof Lease))
    throw new ValidationError(field, 'must be a Lease from lock.acquire() or semaphore.acquire()');
  return fence;
}

/**
 * Runs `item` in one transaction with `lease.guard()`: the store applies it only if the lock row
 * still carries the lease's owner and token. A refused guard is a {@link FencedError}; a refused
 * `item` condition returns the row that failed it.
 *
 * @example
 * ```ts
 * const r = await fencedTransact(backend, lease, { kind: 'write', partition: 'p', key: 'k', payload: 'v' });
 * ```
 */
export async function fencedTransact(
  backend: Backend,
  lease: Lease,
  item: TransactItem,
): Promise<{ readonly ok: true } | { readonly ok: false; readonly current: StoredItem | undefined }> {
  const result = await backend.transact([fenceGuard(lease.guard()), item]);
  if (result.ok) return { ok: true };
  if (result.failed[0])
    throw new FencedError(lease.key, lease.token, decodeLockRow(result.current[0])?.token);
  return { ok: false, current: result.current[1] };
}
