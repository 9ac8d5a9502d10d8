import { Observable } from 'rxjs';
import type { ChangeRecord, FeedSubscription } from '../contract/backend.js';
import { WatchState } from './state.js';
import type { WatchDeps, WatchEvent } from './types.js';

/** How one kind of watch selects keys and reads its snapshot. */
export interface WatchSpec {
  readonly partition: string;
  /** Whether a key of `partition` belongs to this watch. */
  readonly matches: (key: string) => boolean;
  /** Reads the current state (strongly consistent) into `state`; stops early once `closed()`. */
  readonly snapshot: (state: WatchState, closed: () => boolean) => Promise<void>;
}

/**
 * The cold Observable behind `watch` and `watchPrefix`. Per subscription: subscribe to the
 * backend's change feed first (buffering this watch's records), wait until the feed is positioned,
 * read the snapshot, emit it, then apply the buffered records and every later one through
 * {@link WatchState}. Never completes on its own. Errors with the feed's error
 * (`WatchCompactedError`, `StreamDisabledError`, `BackendError`) or the snapshot read's. Teardown
 * (unsubscribe, or after an error) leaves the feed and cancels every expiry timer.
 *
 * @example
 * ```ts
 * observeWatch(deps, { partition: 'p', matches: (k) => k === 'a', snapshot: async (s) => s.snapshot('a', await backend.get('p', 'a'), true) });
 * ```
 */
export function observeWatch(deps: WatchDeps, spec: WatchSpec): Observable<WatchEvent> {
  return new Observable<WatchEvent>((subscriber) => {
    const state = new WatchState(spec.partition, deps.clock, (event) => {
      if (!subscriber.closed) subscriber.next(event);
    });
    let buffer: ChangeRecord[] | undefined = [];
    let feed: FeedSubscription | undefined;
    const fail = (err: unknown) => {
      if (!subscriber.closed) subscriber.error(err);
    };
    const onChanges = (changes: readonly ChangeRecord[]) => {
      for (const change of changes) {
        if (subscriber.closed) return;
        if (change.partition !== spec.partition || !spec.matches(change.key)) continue;
        if (buffer) buffer.push(change);
        else state.apply(change);
      }
    };
    try {
      feed = deps.backend.changes().subscribe(onChanges, fail);
    } catch (err) {
      fail(err);
      return;
    }
    const ready = feed.ready;
    (async () => {
      await ready;
      if (subscriber.closed) return;
      await spec.snapshot(state, () => subscriber.closed);
      const pending = buffer ?? [];
      buffer = undefined;
      for (const change of pending) {
        if (subscriber.closed) return;
        state.apply(change);
      }
    })().catch(fail);
    return () => {
      buffer = undefined;
      feed?.unsubscribe();
      state.dispose();
    };
  });
}
