import type { ChangeRecord, StoredItem } from '../contract/backend.js';
import type { Clock, TimerHandle } from '../contract/clock/types.js';
import { isLive } from '../contract/evaluate.js';
import { invalidItemError, toPair } from '../contract/kv-pair.js';
import { watchTestMutants } from './mutants.js';
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
 * absent, an expired row counting as absent), and a record whose "after" is the known row is a
 * duplicate. A record that does not connect is either from before what the watch knows (from
 * before the snapshot, or redelivered) and skipped, or newer: then records in between were lost,
 * and `onGap(key)` is called: the caller re-reads the key and hands the row to {@link resync},
 * which reports the key's current state (`cause: 'resync'`). A record is taken as older when the
 * row it leaves (or, for a delete, the row it removed) has a version at or below the known row's;
 * anything else is a gap, including any record that says the row existed while the watch knows
 * it absent (a re-read costs one read, a missed gap would stall the key). Versions restart at 1
 * when a row is deleted and created again, so a lost delete followed by a re-creation is seen only
 * once the new row's version passes the known one (or the next delete).
 *
 * So what is emitted per key is an unbroken run of the key's real history, without repeats, even
 * across delete and re-create (where the version starts again at 1), except where a resync says
 * changes were skipped. Liveness is decided on the injected clock: an item whose `expires` passes
 * is reported deleted (`cause: 'expiry'`) by a timer at that moment; the store's later removal of
 * the row then reports nothing.
 *
 * @example
 * ```ts
 * const state = new WatchState('config', clock, (e) => subscriber.next(e), (key) => reread(key));
 * state.snapshot('a', await backend.get('config', 'a'), true);
 * feed.subscribe((changes) => changes.forEach((c) => state.apply(c)), onError);
 * ```
 */
export class WatchState {
  readonly #keys = new Map<string, KeyState>();
  readonly #partition: string;
  readonly #clock: Clock;
  readonly #emit: (event: WatchEvent) => void;
  readonly #onGap: (key: string) => void;
  readonly #gate: SessionGate | undefined;
  #disposed = false;

  /**
   * `onGap(key)`: a newer record of `key` does not connect; re-read it and call {@link resync}.
   * `gate`: the sessions of session-bound keys (absent: no key is bound to a session).
   */
  constructor(
    partition: string,
    clock: Clock,
    emit: (event: WatchEvent) => void,
    onGap: (key: string) => void,
    gate?: SessionGate,
  ) {
    this.#partition = partition;
    this.#clock = clock;
    this.#emit = emit;
    this.#onGap = onGap;
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
      const gap = !watchTestMutants.skipGaps && isNewer(change, state.row); // sim mutant watch-skips-gap
      this.#forgetIfEmpty(change.key, state);
      if (gap) this.#onGap(change.key);
      return;
    }
    this.#set(change.key, state, next, change.type === 'delete' ? change.cause : undefined);
  }

  /**
   * Takes `row` (a strongly consistent read of `key`, made after a gap) as the key's state: when it
   * differs from the row known, reports it (`cause: 'resync'`: a put of the current value, or a
   * delete when it is absent now), without the changes in between.
   */
  resync(key: string, row: StoredItem | undefined): void {
    if (this.#disposed) return;
    const state = this.#state(key);
    if (sameRow(row, state.row)) {
      this.#forgetIfEmpty(key, state);
      return;
    }
    this.#set(key, state, row, 'resync');
  }

  /** Makes `next` the known row and reports the difference; `cause` of a removal (`write`, `expiry`, `resync`). */
  #set(key: string, state: KeyState, next: StoredItem | undefined, cause: WatchCause | undefined): void {
    state.row = next;
    const now = this.#clock.now();
    const found = isLive(next, now) ? next : undefined;
    const invalid = found && invalidItemError(found);
    const live = invalid || this.#hidden(found) ? undefined : found;
    const before = state.shown;
    if (live) {
      state.shown = live;
      this.#follow(live);
      this.#arm(key, state);
      this.#emit(this.#put(key, live, before, cause === 'resync' ? 'resync' : 'write'));
    } else if (invalid) {
      // unreadable (another writer's odd row): reported, then treated as absent
      state.shown = undefined;
      this.#disarm(state);
      this.#emit({
        type: 'delete',
        partition: this.#partition,
        key,
        ...(before && { previous: toPair(before) }),
        cause: cause === 'resync' ? 'resync' : 'write',
        invalid,
      });
    } else {
      state.shown = undefined;
      this.#disarm(state);
      const why = this.#hidden(found) ? 'session' : (cause ?? 'expiry');
      if (before) this.#emit(this.#delete(key, before, why));
    }
    this.#forgetIfEmpty(key, state);
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

/**
 * Whether a record that does not connect to the known row is newer than it (a gap: records in
 * between were lost) rather than older (from before the snapshot, or redelivered): the row it
 * leaves, or for a delete the row it removed, has a higher version than the known row; or the
 * record says the row existed while the watch knows none.
 */
function isNewer(change: ChangeRecord, known: StoredItem | undefined): boolean {
  const shows = change.type === 'put' ? change.item : change.previous;
  if (!known) return shows !== undefined || change.previous !== undefined;
  if (!shows) return change.type === 'delete';
  return shows.version > known.version;
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
