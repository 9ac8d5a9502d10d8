import type { Observable } from 'rxjs';
import type { Backend, StoredItem } from '../contract/backend.js';
import { ValidationError } from '../contract/errors/store.js';
import { queryPages } from '../contract/query-pages.js';
import { checkName, checkText, Limits, resolveOptions } from '../contract/validate.js';
import { observeWatch, type WatchSpec } from './observe.js';
import type { WatchState } from './state.js';
import type { WatchDeps, WatchEvent, WatchPrefixOptions } from './types.js';

/**
 * Watches every key of a partition that starts with `prefix` (`''`: the whole partition). First
 * one put per live key (`cause: 'snapshot'`, in key order, read with strongly consistent query
 * pages; nothing for absent keys), then every change of a matching key (`cause: 'write'` or
 * `'expiry'`). Per key: write order, no gap, no duplicate, as for `watchKey`. Changes of
 * different keys are not ordered with respect to each other, and a multi-key transaction is not
 * seen as one unit.
 *
 * Cold, never completes on its own, errors and tears down as `watchKey` does; subscriptions to the
 * same prefix that start together share one snapshot read (every page), as there.
 *
 * @example
 * ```ts
 * const jobs = new Map<string, string>();
 * watchPrefix({ backend, clock: systemClock }, 'queue', 'jobs/').subscribe((e) => {
 *   if (e.type === 'put') jobs.set(e.key, e.pair.text());
 *   else jobs.delete(e.key);
 * });
 * ```
 */
export function watchPrefix(
  deps: WatchDeps,
  partition: string,
  prefix: string,
  options?: WatchPrefixOptions,
): Observable<WatchEvent> {
  checkName('partition', partition, Limits.partitionBytes);
  checkText('prefix', prefix);
  const bytes = Buffer.byteLength(prefix, 'utf8');
  if (bytes > Limits.keyBytes)
    throw new ValidationError('prefix', `is ${bytes} bytes in UTF-8; the limit is ${Limits.keyBytes}`);
  resolveOptions('watchPrefix', options, {});
  return observeWatch(deps, new PrefixWatch(deps.backend, partition, prefix));
}

/** What `watchPrefix` watches: the keys under a prefix, read with consistent query pages. */
class PrefixWatch implements WatchSpec {
  readonly #backend: Backend;
  readonly partition: string;
  readonly #prefix: string;
  readonly snapshotId: string;

  constructor(backend: Backend, partition: string, prefix: string) {
    this.#backend = backend;
    this.partition = partition;
    this.#prefix = prefix;
    this.snapshotId = JSON.stringify(['prefix', partition, prefix]);
  }

  matches(key: string): boolean {
    return key.startsWith(this.#prefix);
  }

  async read(deliver: (rows: readonly StoredItem[]) => void, abandoned: () => boolean): Promise<void> {
    const input = { partition: this.partition, prefix: this.#prefix, consistent: true };
    for await (const page of queryPages(this.#backend, input)) {
      if (abandoned()) return;
      deliver(page.items);
    }
  }

  record(state: WatchState, rows: readonly StoredItem[]): void {
    for (const row of rows) state.snapshot(row.key, row, false);
  }
}
