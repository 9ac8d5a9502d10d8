import type { Observable } from 'rxjs';
import type { Backend, StoredItem } from '../contract/backend.js';
import { checkName, Limits, resolveOptions } from '../contract/validate.js';
import { observeWatch, type WatchSpec } from './observe.js';
import type { WatchState } from './state.js';
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
 * snapshot read, which starts only once each of them is positioned on the feed. It never
 * completes on its own; it errors with `WatchCompactedError` (the stream lost records this watch
 * had not read: subscribe again), `StreamDisabledError` (the table has no usable stream) or a
 * `BackendError`; unsubscribing (or the error) tears it down, leaving no timer and, once the last
 * watcher of the table is gone, no poller. Arguments are checked at once (`ValidationError`),
 * before anything is read.
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
  return observeWatch(deps, new KeyWatch(deps.backend, partition, key));
}

/** What `watchKey` watches: one key, read with one consistent GetItem (a class: no closures per watch). */
class KeyWatch implements WatchSpec {
  readonly #backend: Backend;
  readonly partition: string;
  readonly #key: string;
  readonly snapshotId: string;

  constructor(backend: Backend, partition: string, key: string) {
    this.#backend = backend;
    this.partition = partition;
    this.#key = key;
    this.snapshotId = JSON.stringify(['key', partition, key]);
  }

  matches(key: string): boolean {
    return key === this.#key;
  }

  async read(deliver: (rows: readonly StoredItem[]) => void): Promise<void> {
    const row = await this.#backend.get(this.partition, this.#key, { consistent: true });
    deliver(row ? [row] : []);
  }

  record(state: WatchState, rows: readonly StoredItem[]): void {
    state.snapshot(this.#key, rows[0], true);
  }
}
