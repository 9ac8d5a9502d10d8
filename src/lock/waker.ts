import type { Backend, ChangeRecord, FeedSubscription } from '../contract/backend.js';
import type { Clock } from '../contract/clock/types.js';
import { WarningCode, warnOnce } from '../contract/warn.js';

/**
 * Lets a waiter sleep until a timeout or until the change feed reports a change to one of its
 * lock rows, whichever comes first, and tells it whether the feed can be relied on ({@link live}).
 * The feed is a bonus: if subscribing throws, `ready` rejects, or the feed fails later (e.g. the
 * table has no stream), the waker degrades to plain timed sleeps and the waiter keeps polling,
 * which keeps its promise; it says so once per process and reason with a process warning
 * (`DynastoreWarning`, code {@link WarningCode.FeedFallback}). While the feed reports itself
 * behind (throttled, retrying), it is not live either.
 *
 * A wait also ends early, with `[]`, when the feed's state changes (it became ready, fell behind,
 * caught up or failed), so the waiter can switch between sparse safety reads and polling at once.
 *
 * @example
 * ```ts
 * const waker = new ChangeWaker(backend, clock, '_locks', new Set(['job']));
 * waker.start();
 * const changes = await waker.wait(250, signal); // [] on timeout
 * waker.close();
 * ```
 */
export class ChangeWaker {
  readonly #backend: Backend;
  readonly #clock: Clock;
  readonly #partition: string;
  readonly #keys: ReadonlySet<string>;
  #sub: FeedSubscription | undefined;
  #started = false;
  #closed = false;
  #ready = false;
  #healthy = true;
  #readyAt = Number.POSITIVE_INFINITY;
  #pending: ChangeRecord[] = [];
  #stateChanges = 0;
  #notify: (() => void) | undefined;

  constructor(backend: Backend, clock: Clock, partition: string, keys: ReadonlySet<string>) {
    this.#backend = backend;
    this.#clock = clock;
    this.#partition = partition;
    this.#keys = keys;
  }

  /**
   * Whether every change of the rows is being delivered promptly: subscribed, positioned, and the
   * feed not behind. Then a waiter needs only sparse safety reads.
   */
  get live(): boolean {
    return this.#sub !== undefined && this.#ready && this.#healthy;
  }

  /**
   * Monotonic time the feed's position was fixed (Infinity before): changes committed earlier
   * may not be delivered, so a read made before it may have missed them.
   */
  get readyAt(): number {
    return this.#readyAt;
  }

  /** How many times the feed's state changed (ready, behind, caught up, failed): tells a state wake-up from a timeout. */
  get stateChanges(): number {
    return this.#stateChanges;
  }

  /** Subscribes to the feed (once); never throws. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    try {
      let early: { readonly err: unknown } | undefined;
      const sub: FeedSubscription = this.#backend.changes().subscribe(
        (changes) => this.#onChanges(changes),
        // (a feed that fails while subscribing calls this before `sub` is assigned)
        (err) => {
          if (this.#sub === undefined) early = { err };
          else this.#fallBack(sub, err);
        },
        (healthy) => this.#onHealth(healthy),
      );
      this.#sub = sub;
      if (early) {
        this.#fallBack(sub, early.err);
        return;
      }
      // A feed that cannot start (stream disabled, no permission) means: poll, and say so.
      Promise.resolve(sub?.ready).then(
        () => {
          if (this.#sub !== sub) return;
          this.#ready = true;
          this.#readyAt = this.#clock.monotonic();
          this.#changed();
        },
        (err: unknown) => this.#fallBack(sub, err),
      );
    } catch (err) {
      this.#sub = undefined;
      this.#fallBack(undefined, err);
    }
  }

  /**
   * Resolves after `ms` with `[]`, or earlier with the relevant changes (or `[]` when the feed's
   * state changed); rejects when `signal` aborts.
   */
  wait(ms: number, signal?: AbortSignal): Promise<ChangeRecord[]> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending.length > 0) return Promise.resolve(this.#pending.splice(0));
    return new Promise<ChangeRecord[]>((resolve, reject) => {
      const finish = (result: ChangeRecord[] | undefined, err?: unknown) => {
        timer.cancel();
        this.#notify = undefined;
        signal?.removeEventListener('abort', onAbort);
        if (result) resolve(result);
        else reject(err);
      };
      const onAbort = () => finish(undefined, signal?.reason);
      // an acquire() is waiting on this: keep the process alive
      const timer = this.#clock.setTimeout(() => finish([]), Math.max(0, ms), { keepAlive: true });
      this.#notify = () => finish(this.#pending.splice(0));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends the current wait (with `[]`) so the waiter looks at what it knows again. */
  nudge(): void {
    this.#notify?.();
  }

  /** Unsubscribes; idempotent. */
  close(): void {
    this.#closed = true;
    this.#drop();
  }

  #onChanges(changes: readonly ChangeRecord[]): void {
    const relevant = changes.filter((c) => c.partition === this.#partition && this.#keys.has(c.key));
    if (relevant.length === 0) return;
    this.#pending.push(...relevant);
    this.#notify?.();
  }

  #onHealth(healthy: boolean): void {
    if (this.#healthy === healthy) return;
    this.#healthy = healthy;
    this.#changed();
  }

  /** The feed failed (or could not start): poll instead, and say so unless the waker was closed. */
  #fallBack(sub: FeedSubscription | undefined, err: unknown): void {
    if (this.#closed || (sub !== undefined && this.#sub !== sub)) return;
    this.#drop();
    const reason = err instanceof Error ? err.message : String(err);
    // once per reason, not per lock: with a partition key per lock, a fleet's thousands of locks
    // failing for one reason say it once (the message names the first lock that met it)
    warnOnce(
      `dynastore: lock waiters poll the table instead of following its change feed (first: partition "${this.#partition}"), which failed: ${reason}`,
      WarningCode.FeedFallback,
      `${WarningCode.FeedFallback}:${reason}`,
    );
  }

  #drop(): void {
    const sub = this.#sub;
    this.#sub = undefined;
    try {
      sub?.unsubscribe();
    } catch {
      // nothing to do: we only wanted to stop listening
    }
    if (sub) this.#changed();
  }

  #changed(): void {
    this.#stateChanges++;
    this.#notify?.();
  }
}
