import type { StoredItem } from '../contract/backend.js';
import type { TimerHandle } from '../contract/clock/types.js';
import { isRetryable } from '../contract/errors/store.js';
import { retry } from '../contract/retry.js';
import type { SessionJudge, WatchDeps } from './types.js';

/**
 * How many dead session ids one watch remembers (about 60 KB): a write bound to one of them that
 * arrives later is hidden at once; past this, such a write is shown until its session row is read
 * (one read), then reported deleted (`cause: 'session'`).
 */
export const DEAD_REMEMBERED = 1_024;

interface Tracked {
  /** The session row as last learnt (undefined: absent, or not read yet when `known` is false). */
  item: StoredItem | undefined;
  known: boolean;
  /** Monotonic time this exact row (its version) was first seen. */
  since: number;
  /** The largest wall-clock margin a key bound to it declared. */
  skewMs: number;
  dead: boolean;
  timer: TimerHandle | undefined;
  /** A strongly consistent read of the row is running. */
  reading: Promise<void> | undefined;
}

/**
 * One watch's knowledge of the sessions its keys are bound to. Each tracked session's row is
 * followed through the change feed (every renewal is a write of it) and judged by the takeover
 * rules of the session's locks ({@link SessionJudge.deadInMs}): absent or with no owner, it is dead
 * at once; otherwise a timer fires when rule (a) (lease end + skew, wall clock) or rule (b) (the
 * same row seen unchanged for a lease + drift margin) would allow a takeover. A verdict is never
 * taken on the feed's word alone: before a session is declared dead, one strongly consistent read
 * must show the very same row (a feed that lags cannot make a live session look dead). Dead is
 * final: `onDead(id)` is called once, and then the session is forgotten (the watch reported every
 * key it showed bound to it deleted, so none is left): only its id stays, among the last
 * {@link DEAD_REMEMBERED} dead ones, so that a late write bound to it is still hidden. A long-lived
 * watch over a churning fleet so keeps a bounded memory of sessions.
 *
 * @example
 * ```ts
 * const tracker = new SessionTracker(deps, judge, (id) => state.sessionDied(id), (err) => fail(err));
 * await tracker.preload([{ id: 's1', skewMs: 1_000 }]);
 * ```
 */
export class SessionTracker {
  readonly #deps: WatchDeps;
  readonly #judge: SessionJudge;
  readonly #onDead: (id: string) => void;
  readonly #onError: (err: unknown) => void;
  readonly #sessions = new Map<string, Tracked>();
  /** The ids of the last sessions found dead, oldest first (a Set keeps insertion order). */
  readonly #dead = new Set<string>();
  #disposed = false;

  constructor(
    deps: WatchDeps,
    judge: SessionJudge,
    onDead: (id: string) => void,
    onError: (err: unknown) => void,
  ) {
    this.#deps = deps;
    this.#judge = judge;
    this.#onDead = onDead;
    this.#onError = onError;
  }

  /** Whether session `id` is known to be dead. */
  isDead(id: string): boolean {
    return this.#dead.has(id) || (this.#sessions.get(id)?.dead ?? false);
  }

  /** Whether session `id` is followed (its row changes matter). */
  tracks(id: string): boolean {
    return this.#sessions.has(id);
  }

  /** How many sessions are followed now (dead ones are forgotten once reported). */
  get size(): number {
    return this.#sessions.size;
  }

  /** Starts following session `id` (reading its row once) unless it already is, or is known dead. */
  want(id: string, skewMs: number): void {
    if (this.#dead.has(id)) return;
    const s = this.#entry(id, skewMs);
    if (!s.known && !s.reading) this.#read(id, s).catch((err: unknown) => this.#fail(err));
  }

  /** Follows every session of `wanted` and resolves once each one's row has been read once. */
  async preload(wanted: readonly { readonly id: string; readonly skewMs: number }[]): Promise<void> {
    await Promise.all(
      wanted.map(({ id, skewMs }) => {
        if (this.#dead.has(id)) return undefined;
        const s = this.#entry(id, skewMs);
        if (s.known) return undefined;
        return s.reading ?? this.#read(id, s);
      }),
    );
  }

  /** A change of session `id`'s row, from the feed (`item` undefined: the row was deleted). */
  onRow(id: string, item: StoredItem | undefined): void {
    const s = this.#sessions.get(id);
    if (!s || s.dead || this.#disposed) return;
    this.#learn(id, s, item);
    this.#judgeNow(id, s, false);
  }

  /** Cancels every timer; later calls do nothing. */
  dispose(): void {
    this.#disposed = true;
    for (const s of this.#sessions.values()) s.timer?.cancel();
    this.#sessions.clear();
    this.#dead.clear();
  }

  #entry(id: string, skewMs: number): Tracked {
    let s = this.#sessions.get(id);
    if (!s) {
      s = {
        item: undefined,
        known: false,
        since: this.#deps.clock.monotonic(),
        skewMs,
        dead: false,
        timer: undefined,
        reading: undefined,
      };
      this.#sessions.set(id, s);
    } else if (skewMs > s.skewMs) s.skewMs = skewMs;
    return s;
  }

  /** Learns a newer row (a row with a lower version than the one known is an older answer). */
  #learn(id: string, s: Tracked, item: StoredItem | undefined): boolean {
    const before = s.item;
    if (s.known && before && item && item.version < before.version) return false;
    if (s.known && before && item && item.version === before.version) return false;
    s.item = item;
    s.known = true;
    s.since = this.#deps.clock.monotonic();
    this.#judge.sighted?.(id, item, s.since);
    return true;
  }

  /** One strongly consistent read of the row (retried while the error is retryable). */
  #read(id: string, s: Tracked): Promise<void> {
    const { partition, key } = this.#judge.locate(id);
    const clock = this.#deps.clock;
    const run = async () => {
      const item = await retry(() => this.#deps.backend.get(partition, key, { consistent: true }), {
        clock,
        retryable: isRetryable,
        budgetMs: 30_000,
      });
      s.reading = undefined;
      if (this.#disposed || s.dead) return;
      // a row read just now is the current one: a verdict on it stands (rule (b) cannot count
      // a row first seen now; rule (a) and "no owner" read the row itself)
      const same = s.known && sameRow(s.item, item);
      const learnt = this.#learn(id, s, item);
      this.#judgeNow(id, s, learnt || same);
    };
    s.reading = run().catch((err: unknown) => {
      s.reading = undefined;
      throw err;
    });
    return s.reading;
  }

  /**
   * Applies the takeover rules to what is known. `confirmed`: a consistent read just showed this
   * row unchanged (or absent), so a verdict of dead stands; otherwise it is confirmed by a read.
   */
  #judgeNow(id: string, s: Tracked, confirmed: boolean): void {
    s.timer?.cancel();
    s.timer = undefined;
    if (s.dead || this.#disposed || !s.known) return;
    const clock = this.#deps.clock;
    const ms = this.#judge.deadInMs(s.item, s.since, clock.monotonic(), clock.now(), s.skewMs);
    if (ms <= 0) {
      if (confirmed || !s.item) {
        s.dead = true;
        this.#onDead(id);
        this.#forget(id);
        return;
      }
      if (!s.reading) this.#read(id, s).catch((err: unknown) => this.#fail(err));
      return;
    }
    if (ms === Number.POSITIVE_INFINITY) return;
    s.timer = clock.setTimeout(() => {
      s.timer = undefined;
      this.#judgeNow(id, s, false);
    }, ms);
  }

  /** Session `id` is dead and reported: keep only its id (the last {@link DEAD_REMEMBERED}). */
  #forget(id: string): void {
    this.#sessions.delete(id);
    this.#dead.add(id);
    if (this.#dead.size > DEAD_REMEMBERED) {
      const oldest = this.#dead.values().next().value;
      if (oldest !== undefined) this.#dead.delete(oldest);
    }
  }

  #fail(err: unknown): void {
    if (!this.#disposed) this.#onError(err);
  }
}

function sameRow(a: StoredItem | undefined, b: StoredItem | undefined): boolean {
  if (!a || !b) return a === b;
  return a.version === b.version;
}
