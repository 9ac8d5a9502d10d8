import type { ChangeFeed, ChangeRecord, FeedSubscription } from '../contract/backend.js';

type Listener = { onChanges: (changes: readonly ChangeRecord[]) => void };

/**
 * The memory backend's change feed: records are queued as writes commit and delivered in one
 * batch per microtask turn, in commit order, to every listener.
 *
 * @example
 * ```ts
 * const feed = new MemoryFeed();
 * const sub = feed.subscribe((changes) => console.log(changes), console.error);
 * feed.push({ type: 'delete', partition: 'p', key: 'k', cause: 'write' });
 * ```
 */
export class MemoryFeed implements ChangeFeed {
  readonly #listeners = new Set<Listener>();
  #queue: ChangeRecord[] = [];
  #scheduled = false;

  /** Number of current listeners (for tests that check nothing is left subscribed). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  subscribe(
    onChanges: (changes: readonly ChangeRecord[]) => void,
    _onError: (err: Error) => void,
  ): FeedSubscription {
    const listener: Listener = { onChanges };
    this.#listeners.add(listener);
    return {
      ready: Promise.resolve(),
      unsubscribe: () => {
        this.#listeners.delete(listener);
      },
    };
  }

  push(record: ChangeRecord): void {
    if (this.#listeners.size === 0) return;
    this.#queue.push(record);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const batch = this.#queue;
      this.#queue = [];
      for (const listener of [...this.#listeners]) {
        if (this.#listeners.has(listener)) listener.onChanges(batch);
      }
    });
  }
}
