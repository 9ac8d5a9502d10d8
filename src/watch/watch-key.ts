import type { Observable } from 'rxjs';
import { checkName, Limits, resolveOptions } from '../contract/validate.js';
import { observeWatch } from './observe.js';
import type { WatchDeps, WatchEvent, WatchOptions } from './types.js';

/**
 * Watches one key: first its current state from a strongly consistent read (`cause: 'snapshot'`,
 * a put, or a delete with no `previous` when the key is absent or expired), then every change in
 * write order (`cause: 'write'`, or `'expiry'` when the item's `expires` passes). No change made
 * after the snapshot is missed and none is emitted twice.
 *
 * The Observable is cold: each subscription gets its own snapshot and state (and shares the
 * backend's one change feed). Subscriptions to the same key of the same backend that start
 * together (in the same tick, or while an earlier snapshot read of that key is running) share one
 * snapshot read, which starts only once each of them is positioned on the feed. It never completes on its own; it errors with `WatchCompactedError` (the stream
 * lost records this watch had not read: subscribe again), `StreamDisabledError` (the table has no
 * usable stream) or a `BackendError`; unsubscribing (or the error) tears it down, leaving no timer
 * and, once the last watcher of the table is gone, no poller. Arguments are checked at once
 * (`ValidationError`), before anything is read.
 *
 * @example
 * ```ts
 * const sub = watchKey({ backend, clock: systemClock }, 'config', 'flags').subscribe((e) => {
 *   if (e.type === 'put') applyFlags(e.pair.json());
 * });
 * // later
 * sub.unsubscribe();
 * ```
 */
export function watchKey(
  deps: WatchDeps,
  partition: string,
  key: string,
  options?: WatchOptions,
): Observable<WatchEvent> {
  checkName('partition', partition, Limits.partitionBytes);
  checkName('key', key, Limits.keyBytes);
  resolveOptions('watch', options, {});
  const { backend } = deps;
  return observeWatch(deps, {
    partition,
    matches: (k) => k === key,
    snapshotId: JSON.stringify(['key', partition, key]),
    read: async (deliver) => {
      const row = await backend.get(partition, key, { consistent: true });
      deliver(row ? [row] : []);
    },
    record: (state, rows) => state.snapshot(key, rows[0], true),
  });
}
