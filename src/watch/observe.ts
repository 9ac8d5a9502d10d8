import { Observable, type Subscriber } from 'rxjs';
import type { ChangeRecord, FeedSubscription, StoredItem } from '../contract/backend.js';
import { SessionTracker } from './sessions.js';
import { type SnapshotSharer, type SnapshotSource, sharedReads } from './shared-read.js';
import { type SessionGate, WatchState } from './state.js';
import type { WatchDeps, WatchEvent } from './types.js';

/** How one kind of watch selects keys and reads its snapshot (its `read` may be shared). */
export interface WatchSpec extends SnapshotSource {
  readonly partition: string;
  /** Names the snapshot read: watches of one backend with the same id can share one read. */
  readonly snapshotId: string;
  /** Whether a key of `partition` belongs to this watch. */
  matches(key: string): boolean;
  /** Records one part of the snapshot in a watcher's `state` (which reports it). */
  record(state: WatchState, rows: readonly StoredItem[]): void;
}

/**
 * The cold Observable behind `watch` and `watchPrefix`. Per subscription: subscribe to the
 * backend's change feed first (buffering this watch's records), wait until the feed is positioned,
 * then join the next snapshot read of the same key or prefix ({@link sharedReads}: subscriptions
 * that start together share one read, which starts only after each of them is positioned), emit
 * the snapshot, then apply the buffered records and every later one through {@link WatchState}.
 * When a record shows that records of a key were lost (a newer record that does not connect to
 * the row the watch knows), the key is read again (strongly consistent) and its current state
 * reported (`cause: 'resync'`); that key's records arriving meanwhile wait for the read. A failed
 * re-read ends the watch with its error. Never completes on its own. Errors with the feed's error (`WatchCompactedError`,
 * `StreamDisabledError`, `BackendError`) or the snapshot read's. Teardown (unsubscribe, or after an
 * error) leaves the feed and the shared read (without cancelling it for the others) and cancels
 * every expiry timer.
 *
 * @example
 * ```ts
 * observeWatch(deps, {
 *   partition: 'p',
 *   snapshotId: JSON.stringify(['key', 'p', 'a']),
 *   matches: (k) => k === 'a',
 *   read: async (deliver) => {
 *     const row = await backend.get('p', 'a', { consistent: true });
 *     deliver(row ? [row] : []);
 *   },
 *   record: (state, rows) => state.snapshot('a', rows[0], true),
 * });
 * ```
 */
export function observeWatch(deps: WatchDeps, spec: WatchSpec): Observable<WatchEvent> {
  return new Observable<WatchEvent>((subscriber) => {
    const watcher = new Watcher(deps, spec, subscriber);
    watcher.start();
    return watcher;
  });
}

/**
 * One subscription (a class, not a bundle of closures: a process may start 10 000 at once).
 * It is the subscription's teardown, and its part in the shared snapshot read.
 */
class Watcher implements SnapshotSharer {
  readonly #deps: WatchDeps;
  readonly #spec: WatchSpec;
  readonly #subscriber: Subscriber<WatchEvent>;
  readonly #state: WatchState;
  /** This watch's records until the snapshot is applied; then undefined. */
  #buffer: ChangeRecord[] | undefined = [];
  #feed: FeedSubscription | undefined;
  /** In a shared snapshot read, not yet ended. */
  #joined = false;
  /** Keys being read again after a gap, with their records that arrived meanwhile. */
  readonly #resyncing = new Map<string, ChangeRecord[]>();
  /** The sessions of session-bound keys (when the deps can judge sessions). */
  readonly #sessions: SessionTracker | undefined;
  /** Snapshot parts wait for their keys' session rows to be read: applied in order through this. */
  #snapshotChain: Promise<void> = Promise.resolve();

  constructor(deps: WatchDeps, spec: WatchSpec, subscriber: Subscriber<WatchEvent>) {
    this.#deps = deps;
    this.#spec = spec;
    this.#subscriber = subscriber;
    const judge = deps.sessions;
    let gate: SessionGate | undefined;
    if (judge) {
      const tracker = new SessionTracker(
        deps,
        judge,
        (id) => this.#state.sessionDied(id),
        (err) => this.#fail(err),
      );
      this.#sessions = tracker;
      gate = {
        sessionOf: (row) => judge.boundTo(row)?.id,
        hidden: (row) => {
          const bound = judge.boundTo(row);
          return bound !== undefined && tracker.isDead(bound.id);
        },
        shown: (row) => {
          const bound = judge.boundTo(row);
          if (bound) tracker.want(bound.id, bound.skewMs);
        },
      };
    }
    this.#state = new WatchState(
      spec.partition,
      deps.clock,
      (event) => {
        if (!subscriber.closed) subscriber.next(event);
      },
      (key) => this.#reread(key),
      gate,
    );
  }

  start(): void {
    const fail = (err: unknown) => this.#fail(err);
    try {
      this.#feed = this.#deps.backend.changes().subscribe((changes) => this.#onChanges(changes), fail);
    } catch (err) {
      fail(err);
      return;
    }
    this.#feed.ready.then(() => this.#join(), fail).catch(fail);
  }

  /** Teardown: leaves the feed and the shared read, cancels the expiry timers. */
  unsubscribe(): void {
    this.#buffer = undefined;
    if (this.#joined) sharedReads(this.#deps.backend).leave(this.#spec.snapshotId, this);
    this.#joined = false;
    this.#feed?.unsubscribe();
    this.#state.dispose();
    this.#sessions?.dispose();
  }

  onRows(rows: readonly StoredItem[]): void {
    const tracker = this.#sessions;
    const judge = this.#deps.sessions;
    if (!tracker || !judge) {
      if (!this.#subscriber.closed) this.#spec.record(this.#state, rows);
      return;
    }
    // read the session rows of session-bound keys before reporting them: a key of a dead session
    // is never reported live
    const wanted = rows.flatMap((row) => {
      const bound = judge.boundTo(row);
      return bound ? [bound] : [];
    });
    this.#snapshotChain = this.#snapshotChain
      .then(() => tracker.preload(wanted))
      .then(() => {
        if (!this.#subscriber.closed) this.#spec.record(this.#state, rows);
      });
    this.#snapshotChain.catch((err: unknown) => this.#fail(err));
  }

  onDone(): void {
    this.#joined = false;
    const applyBuffer = () => {
      const pending = this.#buffer ?? [];
      this.#buffer = undefined;
      for (const change of pending) {
        if (this.#subscriber.closed) return;
        this.#route(change);
      }
    };
    if (!this.#sessions) {
      applyBuffer();
      return;
    }
    this.#snapshotChain = this.#snapshotChain.then(applyBuffer);
    this.#snapshotChain.catch((err: unknown) => this.#fail(err));
  }

  onError(err: unknown): void {
    this.#joined = false;
    this.#fail(err);
  }

  /** Ends the subscription with `err` (teardown follows). */
  #fail(err: unknown): void {
    if (!this.#subscriber.closed) this.#subscriber.error(err);
  }

  /** Positioned on the feed: any read that starts from now on leaves no gap before the buffered records. */
  #join(): void {
    if (this.#subscriber.closed) return;
    this.#joined = true;
    sharedReads(this.#deps.backend).join(this.#spec.snapshotId, this.#spec, this);
  }

  #onChanges(changes: readonly ChangeRecord[]): void {
    const spec = this.#spec;
    const judge = this.#deps.sessions;
    for (const change of changes) {
      if (this.#subscriber.closed) return;
      if (judge && this.#sessions) {
        const id = judge.sessionAt(change.partition, change.key);
        if (id !== undefined && this.#sessions.tracks(id)) {
          this.#sessions.onRow(id, change.type === 'put' ? change.item : undefined);
          continue;
        }
      }
      if (change.partition !== spec.partition || !spec.matches(change.key)) continue;
      if (this.#buffer) this.#buffer.push(change);
      else this.#route(change);
    }
  }

  /** Applies a record, or holds it while its key is being read again. */
  #route(change: ChangeRecord): void {
    const waiting = this.#resyncing.get(change.key);
    if (waiting) waiting.push(change);
    else this.#state.apply(change);
  }

  /** After a gap in `key`'s records: one consistent read, the state it shows, then the records held meanwhile. */
  #reread(key: string): void {
    if (this.#resyncing.has(key) || this.#subscriber.closed) return;
    this.#resyncing.set(key, []);
    const { backend } = this.#deps;
    backend.get(this.#spec.partition, key, { consistent: true }).then(
      (row) => {
        const held = this.#resyncing.get(key) ?? [];
        this.#resyncing.delete(key);
        if (this.#subscriber.closed) return;
        this.#state.resync(key, row);
        for (const change of held) {
          if (this.#subscriber.closed) return;
          this.#route(change);
        }
      },
      (err: unknown) => this.#fail(err),
    );
  }
}
