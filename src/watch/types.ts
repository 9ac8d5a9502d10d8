import type { Backend, StoredItem } from '../contract/backend.js';
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
 * - `session`: the key was bound to a session (`put(key, value, { session })`) that is closed,
 *   lost or taken over (emitted no later than a takeover of that session's locks is allowed).
 */
export type WatchCause = 'snapshot' | 'write' | 'expiry' | 'resync' | 'session';

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
  /** How to tell the session a row is bound to, and whether it lives (the facade passes lock's rules). Absent: rows are never session-bound. */
  readonly sessions?: SessionJudge;
}

/**
 * What a watch needs to know about sessions to report a session-bound key absent once its session
 * is dead: which session a row is bound to, where session rows live, and the takeover rules applied
 * to a session row (implemented with the lock folder's rules, passed in by the facade).
 *
 * @example
 * ```ts
 * const judge: SessionJudge = { boundTo: kvSessionOf, locate: sessionRowTarget, sessionAt: sessionIdOfRow, deadInMs: sessionDeadInMs };
 * ```
 */
export interface SessionJudge {
  /** The session `item` is bound to, and the wall-clock margin (ms) to apply to it. */
  boundTo(item: StoredItem): { readonly id: string; readonly skewMs: number } | undefined;
  /** Where session `id`'s row lives. */
  locate(id: string): { readonly partition: string; readonly key: string };
  /** The session whose row is at (`partition`, `key`), if that is a session row. */
  sessionAt(partition: string, key: string): string | undefined;
  /**
   * Ms until the takeover rules allow taking the session's locks, given its row `item` seen
   * unchanged since monotonic `seenSince` (0: dead now; Infinity: never by itself).
   */
  deadInMs(
    item: StoredItem | undefined,
    seenSince: number,
    nowMonotonic: number,
    nowMs: number,
    skewMs: number,
  ): number;
  /**
   * Session `id`'s row `item` was first seen at monotonic `since` (shared with the process's lock
   * contenders, whose rule (b) may then count from it).
   */
  sighted?(id: string, item: StoredItem | undefined, since: number): void;
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
