import type { Backend, StoredItem } from '../contract/backend.js';

/** What makes one snapshot read. */
export interface SnapshotSource {
  /**
   * Reads the rows and hands them to `deliver` in parts (one page of a prefix, or the one row of
   * a key), in order; stops early once `abandoned()` (nobody wants the rest).
   */
  read(deliver: (rows: readonly StoredItem[]) => void, abandoned: () => boolean): Promise<void>;
}

/** A watcher's part in a shared read. Its callbacks must not throw (a throw ends only that sharer). */
export interface SnapshotSharer {
  /** Each part of the snapshot, in order. */
  onRows(rows: readonly StoredItem[]): void;
  /** The read is complete; every part was delivered. */
  onDone(): void;
  /** The read failed; no more calls follow. */
  onError(err: unknown): void;
}

interface Group {
  readonly source: SnapshotSource;
  readonly sharers: Set<SnapshotSharer>;
}

/** The reads of one snapshot id: at most one running and one gathering sharers. */
interface Slot {
  running: Group | undefined;
  gathering: Group | undefined;
}

/**
 * Shares snapshot reads between watchers of the same key (or prefix) of one backend. A watcher
 * joins only once its change feed is positioned (`ready`), and only a read that has not started
 * yet, so every read it shares began after its position was fixed: gap-free as with its own read.
 *
 * Per snapshot id, a gathering read starts one microtask turn after its first sharer joins (so
 * watchers that subscribe together share it), or, while a read of that id is running, when that
 * read ends (so a steady stream of new watchers costs one read per read's duration, not one read
 * each). A sharer that leaves does not cancel the others; a read nobody is left waiting for is
 * never started, and a running one is abandoned (a prefix read stops before its next page).
 *
 * @example
 * ```ts
 * sharedReads(backend).join(id, source, watcher); // watcher: onRows, onDone, onError
 * // on unsubscribe:
 * sharedReads(backend).leave(id, watcher);
 * ```
 */
export class SharedReads {
  readonly #slots = new Map<string, Slot>();

  /** Number of snapshot ids with a read running or gathering (for tests: 0 once every watcher left). */
  get activeIds(): number {
    return this.#slots.size;
  }

  /**
   * Adds `sharer` to the next read of `id` (made by `source`; every sharer of one id must pass an
   * equivalent source). A sharer is in at most one read of an id at a time.
   */
  join(id: string, source: SnapshotSource, sharer: SnapshotSharer): void {
    let slot = this.#slots.get(id);
    if (!slot) {
      slot = { running: undefined, gathering: undefined };
      this.#slots.set(id, slot);
    }
    let group = slot.gathering;
    if (!group) {
      const gathering: Group = { source, sharers: new Set() };
      group = gathering;
      slot.gathering = gathering;
      const s = slot;
      if (!slot.running) queueMicrotask(() => this.#start(id, s, gathering));
    }
    group.sharers.add(sharer);
  }

  /** Takes `sharer` out of the read of `id` it joined, if that has not ended; idempotent. */
  leave(id: string, sharer: SnapshotSharer): void {
    const slot = this.#slots.get(id);
    if (!slot) return;
    const { gathering, running } = slot;
    if (gathering?.sharers.delete(sharer)) {
      // not started: with nobody left, it never will be
      if (gathering.sharers.size === 0) slot.gathering = undefined;
    } else if (running?.sharers.delete(sharer)) {
      if (running.sharers.size === 0) {
        // abandoned: its result goes nowhere; the next read need not wait for it
        slot.running = undefined;
        if (slot.gathering) this.#start(id, slot, slot.gathering);
      }
    }
    this.#tidy(id, slot);
  }

  #start(id: string, slot: Slot, group: Group): void {
    if (slot.gathering !== group) return;
    slot.gathering = undefined;
    if (group.sharers.size === 0) {
      this.#tidy(id, slot);
      return;
    }
    slot.running = group;
    const { sharers } = group;
    const each = (call: (sharer: SnapshotSharer) => void) => {
      for (const sharer of [...sharers]) {
        if (!sharers.has(sharer)) continue;
        try {
          call(sharer);
        } catch (err) {
          sharers.delete(sharer);
          try {
            sharer.onError(err);
          } catch {
            // nowhere left to report it
          }
        }
      }
    };
    let settled = false;
    const finish = (last: (sharer: SnapshotSharer) => void) => {
      settled = true;
      if (slot.running === group) slot.running = undefined;
      each(last);
      sharers.clear();
      if (slot.gathering && !slot.running) this.#start(id, slot, slot.gathering);
      this.#tidy(id, slot);
    };
    let read: Promise<void>;
    try {
      read = group.source.read(
        (rows) => {
          if (!settled) each((sharer) => sharer.onRows(rows));
        },
        () => settled || sharers.size === 0,
      );
    } catch (err) {
      read = Promise.reject(err);
    }
    read.then(
      () => finish((sharer) => sharer.onDone()),
      (err: unknown) => finish((sharer) => sharer.onError(err)),
    );
  }

  #tidy(id: string, slot: Slot): void {
    if (!slot.running && !slot.gathering && this.#slots.get(id) === slot) this.#slots.delete(id);
  }
}

const perBackend = new WeakMap<Backend, SharedReads>();

/**
 * The {@link SharedReads} of `backend` (one per backend object, made on first use; it holds
 * nothing once no watch of that backend is starting).
 *
 * @example
 * ```ts
 * sharedReads(backend).join(JSON.stringify(['key', 'config', 'flags']), source, sharer);
 * ```
 */
export function sharedReads(backend: Backend): SharedReads {
  let reads = perBackend.get(backend);
  if (!reads) {
    reads = new SharedReads();
    perBackend.set(backend, reads);
  }
  return reads;
}
