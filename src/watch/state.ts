import type { ChangeRecord, StoredItem } from '../contract/backend.js';
import type { Clock, TimerHandle } from '../contract/clock/types.js';
import { isLive } from '../contract/evaluate.js';
import { invalidItemError, toPair } from '../contract/kv-pair.js';
import type { WatchCause, WatchEvent } from './types.js';

interface KeyState {
  /** The row as last known, expired or not; undefined when there is none. */
  row: StoredItem | undefined;
  /** The value last reported to the subscriber; undefined when it was told the key is absent. */
  shown: StoredItem | undefined;
  /** Fires when `shown` expires. */
  timer: TimerHandle | undefined;
}

/**
 * How a watch's state consults the sessions keys are bound to (see `SessionTracker`).
 *
 * @example
 * ```ts
 * const gate: SessionGate = { sessionOf: (row) => judge.boundTo(row)?.id, hidden: () => false, shown: () => undefined };
 * ```
 */
export interface SessionGate {
  /** The session `row` is bound to, if any. */
  sessionOf(row: StoredItem): string | undefined;
  /** Whether `row` is bound to a session known to be dead (the key then reads as absent). */
  hidden(row: StoredItem): boolean;
  /** `row`, bound to a session, is now reported: its session must be followed. */
  shown(row: StoredItem): void;
}

/**
 * Per-key bookkeeping of one watch: turns the snapshot and the change records into ordered,
 * de-duplicated {@link WatchEvent}s.
 *
 * A change record carries the row before (`previous`) and after the change. A record is applied
 * only when its "before" is the row this watch knows (same version, payload and expiry; or both
 * absent, an expired row counting as absent); records that do not connect are from before the
 * snapshot and are skipped, and a record whose "after" is the known row is a duplicate. So what
 * is emitted per key is always an unbroken run of the key's real history, without repeats, even
 * across delete and re-create (where the version starts again at 1). Liveness is decided on the
 * injected clock: an item whose `expires` passes is reported deleted (`cause: 'expiry'`) by a
 * timer at that moment; the store's later removal of the row then reports nothing.
 *
 * @example
 * ```ts
 * const state = new WatchState('config', clock, (e) => subscriber.next(e));
 * state.snapshot('a', await backend.get('config', 'a'), true);
 * feed.subscribe((changes) => changes.forEach((c) => state.apply(c)), onError);
 * ```
 */
export class WatchState {
  readonly #keys = new Map<string, KeyState>();
  readonly #partition: string;
  readonly #clock: Clock;
  readonly #emit: (event: WatchEvent) => void;
  readonly #gate: SessionGate | undefined;
  #disposed = false;

  constructor(partition: string, clock: Clock, emit: (event: WatchEvent) => void, gate?: SessionGate) {
    this.#partition = partition;
    this.#clock = clock;
    this.#emit = emit;
    this.#gate = gate;
  }

  /**
   * Session `id` is dead: every key whose reported value is bound to it is reported deleted
   * (`cause: 'session'`) and reads as absent until its next write.
   */
  sessionDied(id: string): void {
    if (this.#disposed || !this.#gate) return;
    for (const [key, state] of this.#keys) {
      const shown = state.shown;
      if (!shown || this.#gate.sessionOf(shown) !== id) continue;
      state.shown = undefined;
      this.#disarm(state);
      this.#emit(this.#delete(key, shown, 'session'));
      this.#forgetIfEmpty(key, state);
    }
  }

  /** `row`, when it is bound to a session known dead (it then reads as absent). */
  #hidden(row: StoredItem | undefined): boolean {
    return row !== undefined && (this.#gate?.hidden(row) ?? false);
  }

  #follow(row: StoredItem | undefined): void {
    if (row && this.#gate?.sessionOf(row) !== undefined) this.#gate.shown(row);
  }

  /** Records the snapshot row of `key` and reports it: a put when live; otherwise a delete if `reportAbsent`. */
  snapshot(key: string, row: StoredItem | undefined, reportAbsent: boolean): void {
    if (this.#disposed) return;
    const state = this.#state(key);
    state.row = row;
    const found = isLive(row, this.#clock.now()) ? row : undefined;
    const invalid = found && invalidItemError(found);
    const live = invalid || this.#hidden(found) ? undefined : found;
    state.shown = live;
    this.#follow(live);
    this.#arm(key, state);
    if (live) this.#emit(this.#put(key, live, undefined, 'snapshot'));
    else if (reportAbsent || invalid)
      this.#emit({
        type: 'delete',
        partition: this.#partition,
        key,
        cause: 'snapshot',
        ...(invalid && { invalid }),
      });
    this.#forgetIfEmpty(key, state);
  }

  /** Applies one change record of this watch's partition (the caller filters keys). */
  apply(change: ChangeRecord): void {
    if (this.#disposed) return;
    const state = this.#state(change.key);
    const next = change.type === 'put' ? change.item : undefined;
    if (sameRow(next, state.row)) return;
    if (!this.#connects(change.previous, state.row)) {
      this.#forgetIfEmpty(change.key, state);
      return;
    }
    state.row = next;
    const now = this.#clock.now();
    const found = isLive(next, now) ? next : undefined;
    const invalid = found && invalidItemError(found);
    const live = invalid || this.#hidden(found) ? undefined : found;
    const before = state.shown;
    if (live) {
      state.shown = live;
      this.#follow(live);
      this.#arm(change.key, state);
      this.#emit(this.#put(change.key, live, before, 'write'));
    } else if (invalid) {
      // unreadable (another writer's odd row): reported, then treated as absent
      state.shown = undefined;
      this.#disarm(state);
      this.#emit({
        type: 'delete',
        partition: this.#partition,
        key: change.key,
        ...(before && { previous: toPair(before) }),
        cause: 'write',
        invalid,
      });
    } else {
      state.shown = undefined;
      this.#disarm(state);
      const cause = this.#hidden(found) ? 'session' : change.type === 'delete' ? change.cause : 'expiry';
      if (before) this.#emit(this.#delete(change.key, before, cause));
    }
    this.#forgetIfEmpty(change.key, state);
  }

  /** Cancels every expiry timer; later calls do nothing. */
  dispose(): void {
    this.#disposed = true;
    for (const state of this.#keys.values()) this.#disarm(state);
    this.#keys.clear();
  }

  /** Keys with an expiry timer armed (for tests). */
  get armedTimers(): number {
    let n = 0;
    for (const state of this.#keys.values()) if (state.timer) n++;
    return n;
  }

  #connects(previous: StoredItem | undefined, known: StoredItem | undefined): boolean {
    if (sameRow(previous, known)) return true;
    const now = this.#clock.now();
    return !isLive(previous, now) && !isLive(known, now);
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (!state) {
      state = { row: undefined, shown: undefined, timer: undefined };
      this.#keys.set(key, state);
    }
    return state;
  }

  #forgetIfEmpty(key: string, state: KeyState): void {
    if (!state.row && !state.shown && !state.timer) this.#keys.delete(key);
  }

  #arm(key: string, state: KeyState): void {
    this.#disarm(state);
    const item = state.shown;
    if (item?.expiresSec === undefined) return;
    const wait = item.expiresSec * 1000 - this.#clock.now();
    state.timer = this.#clock.setTimeout(() => this.#expire(key, state, item), Math.max(0, wait));
  }

  #disarm(state: KeyState): void {
    state.timer?.cancel();
    state.timer = undefined;
  }

  #expire(key: string, state: KeyState, item: StoredItem): void {
    state.timer = undefined;
    if (this.#disposed || state.shown !== item) return;
    if (isLive(item, this.#clock.now())) {
      this.#arm(key, state);
      return;
    }
    state.shown = undefined;
    this.#emit(this.#delete(key, item, 'expiry'));
  }

  #put(key: string, item: StoredItem, before: StoredItem | undefined, cause: WatchCause): WatchEvent {
    return {
      type: 'put',
      partition: this.#partition,
      key,
      pair: toPair(item),
      ...(before && { previous: toPair(before) }),
      cause,
    };
  }

  #delete(key: string, before: StoredItem, cause: WatchCause): WatchEvent {
    return { type: 'delete', partition: this.#partition, key, previous: toPair(before), cause };
  }
}

/** Same presence and, when present, the same version, payload, encoding and expiry. */
function sameRow(a: StoredItem | undefined, b: StoredItem | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.version === b.version &&
    a.payload === b.payload &&
    a.encoding === b.encoding &&
    a.expiresSec === b.expiresSec
  );
}
