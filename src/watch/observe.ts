import { Observable } from 'rxjs';
import type { ChangeRecord, FeedSubscription, StoredItem } from '../contract/backend.js';
import { type SnapshotRead, sharedReads } from './shared-read.js';
import { WatchState } from './state.js';
import type { WatchDeps, WatchEvent } from './types.js';

/** How one kind of watch selects keys and reads its snapshot. */
export interface WatchSpec {
  readonly partition: string;
  /** Whether a key of `partition` belongs to this watch. */
  readonly matches: (key: string) => boolean;
  /** Names the snapshot read: watches of one backend with the same id can share one read. */
  readonly snapshotId: string;
  /** Reads the current state (strongly consistent), in parts; stops early once `abandoned()`. */
  readonly read: SnapshotRead;
  /** Records one part of the snapshot in a watcher's `state` (which reports it). */
  readonly record: (state: WatchState, rows: readonly StoredItem[]) => void;
}

/**
 * The cold Observable behind `watch` and `watchPrefix`. Per subscription: subscribe to the
 * backend's change feed first (buffering this watch's records), wait until the feed is positioned,
 * then join the next snapshot read of the same key or prefix ({@link sharedReads}: subscriptions
 * that start together share one read, which starts only after each of them is positioned), emit
 * the snapshot, then apply the buffered records and every later one through {@link WatchState}.
 * Never completes on its own. Errors with the feed's error (`WatchCompactedError`,
 * `StreamDisabledError`, `BackendError`) or the snapshot read's. Teardown (unsubscribe, or after an
 * error) leaves the feed and the shared read (without cancelling it for the others) and cancels
 * every expiry timer.
 *
 * @example
 * ```ts
 * observeWatch(deps, {
 *   partition: 'p',
 *   matches: (k) => k === 'a',
 *   snapshotId: JSON.stringify(['key', 'p', 'a']),
 *   read: async (deliver) => deliver([(await backend.get('p', 'a', { consistent: true }))].filter((r) => r !== undefined)),
 *   record: (state, rows) => state.snapshot('a', rows[0], true),
 * });
 * ```
 */
export function observeWatch(deps: WatchDeps, spec: WatchSpec): Observable<WatchEvent> {
  return new Observable<WatchEvent>((subscriber) => {
    const state = new WatchState(spec.partition, deps.clock, (event) => {
      if (!subscriber.closed) subscriber.next(event);
    });
    let buffer: ChangeRecord[] | undefined = [];
    let feed: FeedSubscription | undefined;
    let leave: (() => void) | undefined;
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
    // Once positioned, any read that starts leaves no gap before the buffered records.
    const join = () => {
      if (subscriber.closed) return;
      leave = sharedReads(deps.backend).join(spec.snapshotId, spec.read, {
        onRows: (rows) => {
          if (!subscriber.closed) spec.record(state, rows);
        },
        onDone: () => {
          leave = undefined;
          const pending = buffer ?? [];
          buffer = undefined;
          for (const change of pending) {
            if (subscriber.closed) return;
            state.apply(change);
          }
        },
        onError: (err) => {
          leave = undefined;
          fail(err);
        },
      });
    };
    feed.ready.then(join, fail).catch(fail);
    return () => {
      buffer = undefined;
      leave?.();
      leave = undefined;
      feed?.unsubscribe();
      state.dispose();
    };
  });
}
