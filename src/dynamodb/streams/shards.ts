import type { Shard } from '@aws-sdk/client-dynamodb-streams';

/**
 * One shard as the poller tracks it:
 * - `waiting`: its parent is still being read (parents are read to the end before children, so
 *   each key's changes stay in order across a split);
 * - `reading`: polled every cycle;
 * - `done`: read to its end (or closed before the poller started, so it holds nothing new).
 */
export interface TrackedShard {
  readonly id: string;
  readonly parentId: string | undefined;
  phase: 'waiting' | 'reading' | 'done';
  /** Where to start when there is no `lastSequence` to resume after. */
  start: 'LATEST' | 'TRIM_HORIZON';
  iterator: string | undefined;
  /** Sequence number of the last record read, to resume after when the iterator expires. */
  lastSequence: string | undefined;
  /** Wall-clock ms of the last successful read (or of positioning). */
  lastReadAt: number;
  /** Trimmed-data errors answered by re-acquiring the iterator since the last good read. */
  trimRecoveries?: number;
  /** Wall-clock ms when it ended during this run (undefined for shards closed at start). */
  endedAt: number | undefined;
}

function isOpen(shard: Shard): boolean {
  return shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
}

/**
 * The shard lineage bookkeeping of one poller run, free of I/O.
 *
 * First listing ({@link ShardTracker.initial}): open shards are read from LATEST (the feed's
 * starting point), unless their parent is open too, in which case they wait for it and then start
 * at TRIM_HORIZON; closed shards hold only the past and are `done`. Later listings
 * ({@link ShardTracker.merge}): a new shard waits for its parent if that parent is still being
 * read, else it is read from TRIM_HORIZON (all of it is newer than the feed's start).
 *
 * @example
 * ```ts
 * const tracker = new ShardTracker();
 * for (const shard of tracker.initial(listing.shards, Date.now())) shard.iterator = await latest(shard.id);
 * ```
 */
export class ShardTracker {
  readonly #shards = new Map<string, TrackedShard>();

  /** Registers the first listing; returns the shards to position at LATEST now. */
  initial(listing: readonly Shard[], now: number): TrackedShard[] {
    const open = new Set(listing.filter(isOpen).map((s) => s.ShardId));
    const latest: TrackedShard[] = [];
    for (const shard of listing) {
      if (!shard.ShardId) continue;
      const parentOpen = shard.ParentShardId !== undefined && open.has(shard.ParentShardId);
      const phase = !isOpen(shard) ? 'done' : parentOpen ? 'waiting' : 'reading';
      const tracked = this.#add(shard, phase, parentOpen ? 'TRIM_HORIZON' : 'LATEST', now);
      if (phase === 'reading') latest.push(tracked);
    }
    return latest;
  }

  /**
   * Registers a later listing: adds shards not seen before and forgets `done` shards the listing
   * no longer has (trimmed after 24 hours). Returns how many shards are new.
   */
  merge(listing: readonly Shard[], now: number): number {
    let added = 0;
    const listed = new Set<string>();
    for (const shard of listing) {
      if (!shard.ShardId) continue;
      listed.add(shard.ShardId);
      if (this.#shards.has(shard.ShardId)) continue;
      const parent = shard.ParentShardId === undefined ? undefined : this.#shards.get(shard.ParentShardId);
      const waits = parent !== undefined && parent.phase !== 'done';
      this.#add(shard, waits ? 'waiting' : 'reading', 'TRIM_HORIZON', now);
      added++;
    }
    for (const [id, shard] of this.#shards) {
      if (shard.phase === 'done' && !listed.has(id)) this.#shards.delete(id);
    }
    return added;
  }

  /** Marks a shard read to its end and lets its children start. */
  finish(shard: TrackedShard, now: number): void {
    shard.phase = 'done';
    shard.iterator = undefined;
    shard.endedAt = now;
    for (const child of this.#shards.values()) {
      if (child.parentId === shard.id && child.phase === 'waiting') child.phase = 'reading';
    }
  }

  /** Shards to poll this cycle, parents first. */
  reading(): TrackedShard[] {
    return [...this.#shards.values()].filter((s) => s.phase === 'reading');
  }

  /**
   * Whether a shard that ended less than `withinMs` ago has no child listed yet: DynamoDB lists
   * children shortly after a parent closes, so the poller lists shards again soon.
   */
  awaitingChildren(now: number, withinMs: number): boolean {
    for (const shard of this.#shards.values()) {
      if (shard.endedAt === undefined || now - shard.endedAt > withinMs) continue;
      if (![...this.#shards.values()].some((c) => c.parentId === shard.id)) return true;
    }
    return false;
  }

  /** Whether any shard is being read or waits for its parent. */
  hasOpen(): boolean {
    for (const shard of this.#shards.values()) if (shard.phase !== 'done') return true;
    return false;
  }

  get(id: string): TrackedShard | undefined {
    return this.#shards.get(id);
  }

  get size(): number {
    return this.#shards.size;
  }

  #add(shard: Shard, phase: TrackedShard['phase'], start: TrackedShard['start'], now: number): TrackedShard {
    const tracked: TrackedShard = {
      id: shard.ShardId ?? '',
      parentId: shard.ParentShardId,
      phase,
      start,
      iterator: undefined,
      lastSequence: undefined,
      lastReadAt: now,
      endedAt: undefined,
    };
    this.#shards.set(tracked.id, tracked);
    return tracked;
  }
}
