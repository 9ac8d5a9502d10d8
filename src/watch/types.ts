import type { Backend } from '../contract/backend.js';
import type { Clock } from '../contract/clock/types.js';
import type { InvalidItemError } from '../contract/errors/store.js';
import type { KVPair } from '../contract/kv-pair.js';

/**
 * Why a {@link WatchEvent} was emitted:
 * - `snapshot`: the state found by the consistent read that starts every watch;
 * - `write`: a caller's put or delete;
 * - `expiry`: the item's `expires` passed (emitted at that moment, whether or not DynamoDB's TTL
 *   reaper has removed the row yet; the reaper's own delete is then not reported again), or a put
 *   wrote an item whose `expires` had already passed;
 * - `resync`: the change feed skipped changes of the key (a change record arrived that does not
 *   follow the state this watch knows), so the watch read the key again and reports its current
 *   state: the changes in between are not reported one by one. The change feed's contract loses
 *   nothing, so this means a feed fault, not a normal event.
 */
export type WatchCause = 'snapshot' | 'write' | 'expiry' | 'resync';

/**
 * One change of one key, as `watch` and `watchPrefix` emit it.
 *
 * @example
 * ```ts
 * kv.watch('flags').subscribe((e) => {
 *   if (e.type === 'put') console.log(e.key, '=', e.pair.text(), 'v', e.pair.version, e.cause);
 *   else console.log(e.key, 'is gone', e.cause);
 * });
 * ```
 */
export type WatchEvent = WatchPutEvent | WatchDeleteEvent;

/**
 * The key now holds `pair`.
 *
 * @example
 * ```ts
 * if (e.type === 'put') console.log(e.pair.version, e.previous?.version);
 * ```
 */
export interface WatchPutEvent {
  readonly type: 'put';
  readonly partition: string;
  readonly key: string;
  readonly pair: KVPair;
  /** What this watch last reported for the key, when it reported a value. */
  readonly previous?: KVPair;
  readonly cause: WatchCause;
}

/**
 * The key is absent now: deleted, expired, or (first event of `watch(key)`, `cause: 'snapshot'`)
 * absent when the watch started; or unreadable (`invalid` set: a row another writer left odd).
 *
 * @example
 * ```ts
 * if (e.type === 'delete' && e.cause === 'expiry') console.log(e.key, 'expired');
 * ```
 */
export interface WatchDeleteEvent {
  readonly type: 'delete';
  readonly partition: string;
  readonly key: string;
  readonly pair?: undefined;
  /**
   * Set when the key is not absent but unreadable: another writer left its row with an odd
   * attribute. The watch treats it as absent (and goes on with the other keys) until a readable
   * write; this error names the key and the attribute.
   */
  readonly invalid?: InvalidItemError;
  /** What this watch last reported for the key, when it reported a value. */
  readonly previous?: KVPair;
  readonly cause: WatchCause;
}

/**
 * What the watch functions need: the store contract and the clock that decides expiry.
 *
 * @example
 * ```ts
 * watchKey({ backend: new MemoryBackend({ clock }), clock }, 'config', 'flags');
 * ```
 */
export interface WatchDeps {
  readonly backend: Backend;
  readonly clock: Clock;
}

/**
 * Options of `watch(key)`. None yet; any name given is a `ValidationError`.
 *
 * @example
 * ```ts
 * kv.watch('a', {});
 * ```
 */
export type WatchOptions = Readonly<Record<string, never>>;

/**
 * Options of `watchPrefix(prefix)`. None yet; any name given is a `ValidationError`.
 *
 * @example
 * ```ts
 * kv.watchPrefix('jobs/', {});
 * ```
 */
export type WatchPrefixOptions = Readonly<Record<string, never>>;
