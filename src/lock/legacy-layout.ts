import type { Backend, StoredItem } from '../contract/backend.js';
import type { Clock, TimerHandle } from '../contract/clock/types.js';
import { LegacyLayoutError } from '../contract/errors/lock.js';
import { isLive } from '../contract/evaluate.js';
import { queryPages } from '../contract/query-pages.js';
import { sessionLive } from './holder.js';
import type { Lease } from './lease.js';
import type { RowKind } from './placement.js';
import { decodeLockRow } from './row.js';

/**
 * The shared partitions of the old row layout (dynastore before each lock had a partition key of
 * its own), by kind. Sessions' rows were under `_sessions`.
 *
 * @example
 * ```ts
 * LEGACY_PARTITIONS.lock; // '_locks'
 * ```
 */
export const LEGACY_PARTITIONS: Readonly<Record<Exclude<RowKind, 'session'>, string>> = {
  lock: '_locks',
  semaphore: '_semaphores',
  election: '_elections',
};

const LEGACY_SESSIONS = '_sessions';

/**
 * How often a store looks again for old-layout holders while it holds leases (and at most how old
 * the look an acquire relies on may be).
 *
 * @example
 * ```ts
 * new Dynastore({ client, tableName, legacyLayoutCheckMs: DEFAULT_LEGACY_LAYOUT_CHECK_MS / 2 });
 * ```
 */
export const DEFAULT_LEGACY_LAYOUT_CHECK_MS = 60_000;

/** What one look at an old partition found: its held rows, and the session rows they name. */
interface Look {
  /** Monotonic time the look started. */
  readonly at: number;
  readonly rows: ReadonlyMap<string, StoredItem>;
  readonly sessions: ReadonlyMap<string, StoredItem | undefined>;
}

/**
 * The rows of one acquire, in the old layout: the old partition and the same sort keys (a lock's
 * key, a semaphore's slots, an election's name). Only for objects without a prefix: the old layout
 * put rows with the default placement under these partitions.
 *
 * @example
 * ```ts
 * const rows: LegacyRows = { name: 'job', partition: '_locks', keys: ['job'], skewMs: 1_000 };
 * ```
 */
export interface LegacyRows {
  readonly name: string;
  readonly partition: string;
  readonly keys: readonly string[];
  readonly skewMs: number;
}

/**
 * Detects processes of the old row layout on the same table. The old layout put every lock row
 * under one partition key (`_locks`); this one gives each lock its own. A process of each could
 * hold one lock at once, each writing its own row, so the new one looks:
 *
 * - before its first grant of a kind, and whenever its last look is older than `intervalMs`, it
 *   reads the old partition of that kind (one query of a partition that is empty once no old
 *   process is left: about 0.5 read units), and refuses a lock the old layout holds with a
 *   {@link LegacyLayoutError} (nothing is written);
 * - while it holds leases, it looks again every `intervalMs` and ends a lease whose lock an old
 *   process took meanwhile (`lease.signal` aborts, reason `taken`, cause the `LegacyLayoutError`).
 *
 * The traffic is per store, not per lock: one query per kind per `intervalMs` at most, however many
 * locks the store takes. Only DynamoDB stores look (a memory backend is private to its process).
 *
 * @example
 * ```ts
 * const check = new LegacyLayoutCheck(backend, clock, 60_000);
 * await check.assertClear({ name: 'job', partition: '_locks', keys: ['job'], skewMs: 1_000 });
 * ```
 */
export class LegacyLayoutCheck {
  readonly #backend: Backend;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #looks = new Map<string, Look>();
  readonly #looking = new Map<string, Promise<Look>>();
  readonly #held = new Map<Lease, LegacyRows>();
  #timer: TimerHandle | undefined;

  constructor(backend: Backend, clock: Clock, intervalMs: number) {
    this.#backend = backend;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /**
   * Resolves when no old-layout process holds any of `rows` (as of a look at most `intervalMs`
   * old); rejects with a {@link LegacyLayoutError} when one does, or with the store's error when
   * the look failed.
   */
  async assertClear(rows: LegacyRows): Promise<void> {
    const look = await this.#fresh(rows.partition);
    const found = this.#holder(look, rows);
    if (found) throw found;
  }

  /** Follows `lease` (granted on `rows`) until it ends: an old-layout holder found meanwhile ends it. */
  track(lease: Lease, rows: LegacyRows): void {
    if (lease.signal.aborted) return;
    this.#held.set(lease, rows);
    lease.signal.addEventListener('abort', () => this.#held.delete(lease), { once: true });
    this.#arm();
  }

  #arm(): void {
    if (this.#timer || this.#held.size === 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#sweep().finally(() => this.#arm());
    }, this.#intervalMs);
  }

  async #sweep(): Promise<void> {
    const partitions = new Set([...this.#held.values()].map((r) => r.partition));
    for (const partition of partitions) {
      let look: Look;
      try {
        look = await this.#look(partition);
      } catch {
        // the store failed (the failed Query is reported to onCall like any call): the next sweep
        // looks again, and an acquire meanwhile rejects with the error
        continue;
      }
      for (const [lease, rows] of [...this.#held]) {
        if (rows.partition !== partition) continue;
        const found = this.#holder(look, rows);
        if (!found) continue;
        this.#held.delete(lease);
        lease.revoke(`lost: ${found.message}`, found);
      }
    }
  }

  #holder(look: Look, rows: LegacyRows): LegacyLayoutError | undefined {
    const now = this.#clock.now();
    for (const key of rows.keys) {
      const item = look.rows.get(key);
      if (!item || !isLive(item, now)) continue;
      const row = decodeLockRow(item);
      if (!row?.owner || row.invalid) continue;
      const live =
        row.session !== undefined
          ? sessionLive(look.sessions.get(row.session), now, rows.skewMs)
          : row.leaseUntil !== undefined && row.leaseUntil + rows.skewMs >= now;
      if (live) return new LegacyLayoutError(rows.name, rows.partition, key, row.owner);
    }
    return undefined;
  }

  #fresh(partition: string): Promise<Look> {
    const look = this.#looks.get(partition);
    if (look && this.#clock.monotonic() - look.at < this.#intervalMs) return Promise.resolve(look);
    return this.#look(partition);
  }

  /** One look at `partition` (shared by the callers that ask while it runs). */
  #look(partition: string): Promise<Look> {
    let looking = this.#looking.get(partition);
    if (!looking) {
      looking = this.#read(partition).finally(() => this.#looking.delete(partition));
      this.#looking.set(partition, looking);
    }
    return looking;
  }

  async #read(partition: string): Promise<Look> {
    const at = this.#clock.monotonic();
    const rows = new Map<string, StoredItem>();
    for await (const page of queryPages(this.#backend, { partition, consistent: true })) {
      for (const item of page.items) if (decodeLockRow(item)?.owner !== undefined) rows.set(item.key, item);
    }
    const sessions = new Map<string, StoredItem | undefined>();
    for (const item of rows.values()) {
      const id = decodeLockRow(item)?.session;
      if (id !== undefined && !sessions.has(id))
        sessions.set(id, await this.#backend.get(LEGACY_SESSIONS, id, { consistent: true }));
    }
    const look = { at, rows, sessions };
    this.#looks.set(partition, look);
    return look;
  }
}
