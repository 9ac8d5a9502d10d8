import type { DescribeTableCommandOutput } from '@aws-sdk/client-dynamodb';
import type { ShardIteratorType } from '@aws-sdk/client-dynamodb-streams';
import type { ChangeRecord } from '../../contract/backend.js';
import { equalJitterMs } from '../../contract/backoff.js';
import type { Clock } from '../../contract/clock/types.js';
import { DynastoreError } from '../../contract/errors/base.js';
import { StreamDisabledError, WatchCompactedError } from '../../contract/errors/watch.js';
import type { AttributeNames } from '../../contract/names.js';
import type { Telemetry } from '../../contract/telemetry.js';
import { wrapAwsError } from '../errors.js';
import { replaceStreamSteps } from '../stream-steps.js';
import { isThrottling, type StreamCalls, type StreamListing } from './calls.js';
import { recordLag, toChangeRecord } from './decode.js';
import { ShardTracker, type TrackedShard } from './shards.js';

/** A position older than this (wall clock) may have been trimmed: DynamoDB keeps records 24 h. */
const RESUME_LIMIT_MS = 23 * 60 * 60_000;
/** With no open shard, or after a shard ends, list shards again at most this often until one shows up... */
const CHILD_DISCOVERY_GAP_MS = 1_000;
/** ...for at most this long. */
const CHILD_DISCOVERY_WINDOW_MS = 60_000;
/**
 * Longest pause between two polls the throttling pace grows to (see {@link StreamPoller}): at
 * 30 s, a hundred readers of one shard make about 5 calls a second between them, DynamoDB Streams'
 * per-shard limit.
 */
export const MAX_THROTTLE_PACE_MS = 30_000;
/** Each poll cycle without a throttled call shortens the pace by this factor. */
const PACE_DECAY = 0.9;

/** What one {@link StreamPoller} run needs. */
export interface PollerDeps {
  readonly calls: StreamCalls;
  readonly tableName: string;
  readonly names: AttributeNames;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly pollIntervalMs: number;
  readonly idlePollIntervalMs: number;
  readonly shardDiscoveryMs: number;
  /** Receives each GetRecords batch (one shard, in stream order). */
  readonly deliver: (changes: readonly ChangeRecord[]) => void;
  /** Told `false` when a call is being retried (changes arrive late), `true` after the next cycle without a retry. */
  readonly onHealth?: (healthy: boolean) => void;
  /** Whether a listener relies on prompt delivery (a lock waiter): then no slowing to the idle pace. */
  readonly prompt?: () => boolean;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Where `dynastore.watch.lag` is recorded, once per record read. */
  readonly telemetry?: Telemetry;
}

interface ReadOutcome {
  readonly records: number;
  /** Poll again without waiting (an iterator to re-acquire, children to start). */
  readonly again: boolean;
}

/**
 * One run of the Streams poller: {@link StreamPoller.position} finds the stream and fixes the
 * starting point (LATEST on every open shard), then {@link StreamPoller.run} polls until the
 * signal aborts or something fatal happens (thrown: {@link WatchCompactedError},
 * {@link StreamDisabledError}, or a `BackendError`). Each cycle lists shards when due, reads every
 * readable shard once (in parallel; a child only after its parent ended), delivers each batch,
 * then waits: `pollIntervalMs` after records, doubling up to `idlePollIntervalMs` while idle
 * (but not while a lock waiter listens: how late it learns of a renewal is how late it may take
 * over from a crashed holder, so it gets `pollIntervalMs`, 4 GetRecords/s per shard by default).
 *
 * Throttling (DynamoDB Streams serves about 5 GetRecords per second per shard across all its
 * readers, and every process that watches or waits is one): a throttled GetRecords is not retried
 * at once (other calls are retried by {@link StreamCalls} with jittered exponential backoff); each
 * poll cycle that met throttling doubles this poller's pace (from `pollIntervalMs` up to {@link MAX_THROTTLE_PACE_MS}); every
 * wait between cycles is then at least a random 50-100 % of the pace, and each cycle without a
 * retried call shortens the pace by 10 %. So many readers of one shard settle, each on its own
 * jittered schedule, near the rate the shard serves, instead of retrying in step (no retry
 * storm), and speed up gradually once the others leave. The poller keeps its position meanwhile
 * (changes arrive late, none is lost) and reports itself unhealthy (`onHealth(false)`) from the
 * first retried call until a cycle runs without one at a pace no slower than
 * `idlePollIntervalMs`, so lock waiters poll the table instead of trusting a lagging feed.
 * Throttling never fails the poller: it is the shard's capacity speaking, not a fault (a reader
 * paced at 30 s makes two calls a minute, and a shard busy with other readers may refuse several
 * in a row); the iterator, if it expires meanwhile, is re-acquired after the last record read.
 *
 * @example
 * ```ts
 * const poller = new StreamPoller(deps);
 * await poller.position();
 * await poller.run();
 * ```
 */
export class StreamPoller {
  readonly #d: PollerDeps;
  readonly #tracker = new ShardTracker();
  #streamArn = '';
  #lastDiscovery = 0;
  #retried = false;
  #throttled = false;
  #healthy = true;
  #paceMs = 0;

  constructor(deps: PollerDeps) {
    this.#d = deps;
  }

  /** Called by the calls layer when an attempt is retried: unhealthy until a clean cycle; throttling slows the pace. */
  noteRetry(err?: unknown): void {
    this.#retried = true;
    if (isThrottling(err)) this.#throttled = true;
    this.#setHealth(false);
  }

  /** The current throttling pace (0: not throttled lately). */
  get paceMs(): number {
    return this.#paceMs;
  }

  async position(): Promise<void> {
    const { calls, clock } = this.#d;
    const table = await this.#wrap('DescribeTable', () => calls.describeTable());
    this.#streamArn = this.#checkTable(table);
    const listing = await this.#describe();
    const latest = this.#tracker.initial(listing.shards, clock.now());
    this.#lastDiscovery = clock.monotonic();
    await settleAll(
      latest.map(async (shard) => {
        shard.iterator = await this.#acquire(shard);
        if (!shard.iterator) this.#tracker.finish(shard, clock.monotonic());
      }),
    );
  }

  async run(): Promise<void> {
    const { clock, signal, pollIntervalMs, idlePollIntervalMs } = this.#d;
    let delay = 0;
    while (!signal.aborted) {
      if (this.#discoveryDue()) await this.#discover();
      const outcomes = await settleAll(this.#tracker.reading().map((shard) => this.#read(shard)));
      const records = outcomes.reduce((n, o) => n + o.records, 0);
      if (outcomes.some((o) => o.again)) delay = 0;
      else if (records > 0 || this.#d.prompt?.()) delay = pollIntervalMs;
      else delay = Math.min(idlePollIntervalMs, Math.max(delay, pollIntervalMs / 2) * 2);
      if (this.#throttled) {
        this.#paceMs = Math.min(MAX_THROTTLE_PACE_MS, Math.max(pollIntervalMs, this.#paceMs * 2));
      } else if (!this.#retried) {
        this.#paceMs = this.#paceMs * PACE_DECAY < pollIntervalMs ? 0 : this.#paceMs * PACE_DECAY;
      }
      // healthy: a cycle without retries, at a pace no slower than the idle one
      this.#setHealth(!this.#retried && this.#paceMs <= idlePollIntervalMs);
      this.#retried = false;
      this.#throttled = false;
      const paced = this.#paceMs > 0 ? equalJitterMs(0, this.#paceMs, this.#paceMs, this.#d.random) : 0;
      await clock.sleep(Math.max(delay, paced), signal);
    }
  }

  #setHealth(healthy: boolean): void {
    if (this.#healthy === healthy) return;
    this.#healthy = healthy;
    this.#d.onHealth?.(healthy);
  }

  #checkTable(out: DescribeTableCommandOutput): string {
    const table = out.Table;
    const spec = table?.StreamSpecification;
    const arn = table?.LatestStreamArn;
    const fix =
      "createTable({ client, tableName }) makes tables with the right stream; for an existing table, UpdateTable with StreamSpecification { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }";
    if (!spec?.StreamEnabled || !arn) {
      throw new StreamDisabledError(
        this.#d.tableName,
        `table "${this.#d.tableName}" has no DynamoDB stream, so it cannot be watched: ${fix}`,
      );
    }
    if (spec.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
      throw new StreamDisabledError(
        this.#d.tableName,
        `table "${this.#d.tableName}" streams ${spec.StreamViewType ?? 'no'} images; watch needs NEW_AND_OLD_IMAGES. ${replaceStreamSteps(this.#d.tableName)}`,
        { ...(spec.StreamViewType !== undefined && { viewType: spec.StreamViewType }) },
      );
    }
    return arn;
  }

  async #describe(): Promise<StreamListing> {
    let listing: StreamListing;
    try {
      listing = await this.#d.calls.describeStream(this.#streamArn);
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException' && !this.#d.signal.aborted) {
        throw new StreamDisabledError(
          this.#d.tableName,
          `the stream of table "${this.#d.tableName}" no longer exists (table deleted, or stream disabled)`,
          { cause: err },
        );
      }
      throw wrapAwsError('DescribeStream', err);
    }
    if (listing.status === 'DISABLED' || listing.status === 'DISABLING') {
      throw new StreamDisabledError(
        this.#d.tableName,
        `the stream of table "${this.#d.tableName}" is ${listing.status}`,
      );
    }
    return listing;
  }

  #discoveryDue(): boolean {
    const now = this.#d.clock.monotonic();
    const since = now - this.#lastDiscovery;
    if (since >= this.#d.shardDiscoveryMs) return true;
    if (since < CHILD_DISCOVERY_GAP_MS) return false;
    // no open shard (a stream still ENABLING) or a shard ended without a listed child yet
    return !this.#tracker.hasOpen() || this.#tracker.awaitingChildren(now, CHILD_DISCOVERY_WINDOW_MS);
  }

  async #discover(): Promise<void> {
    const listing = await this.#describe();
    this.#tracker.merge(listing.shards, this.#d.clock.now());
    this.#lastDiscovery = this.#d.clock.monotonic();
  }

  async #read(shard: TrackedShard): Promise<ReadOutcome> {
    const { calls, clock, signal, names } = this.#d;
    if (!shard.iterator) {
      shard.iterator = await this.#acquire(shard);
      if (!shard.iterator) {
        this.#tracker.finish(shard, clock.monotonic());
        return { records: 0, again: true };
      }
    }
    let out: Awaited<ReturnType<StreamCalls['getRecords']>>;
    try {
      out = await calls.getRecords(shard.iterator);
    } catch (err) {
      if (signal.aborted) throw err;
      const name = errorName(err);
      if (isThrottling(err)) {
        // Not retried by the calls layer: this cycle ends and the next waits for the pace. Never
        // fatal: the position is kept (an iterator that expires meanwhile is re-acquired after
        // the last record read), so changes arrive late but none is lost.
        this.noteRetry(err);
        return { records: 0, again: false };
      }
      if (name === 'ExpiredIteratorException') {
        shard.iterator = undefined; // re-acquired next cycle
        return { records: 0, again: false };
      }
      if (name === 'TrimmedDataAccessException' && this.#mayRecover(shard)) {
        shard.iterator = undefined; // re-acquired next cycle, after the last record read
        return { records: 0, again: true };
      }
      if (name === 'TrimmedDataAccessException' || name === 'ResourceNotFoundException')
        throw compacted(shard, err);
      throw wrapAwsError('GetRecords', err);
    }
    shard.trimRecoveries = 0;
    shard.lastReadAt = clock.now();
    const raw = out.Records ?? [];
    const last = raw[raw.length - 1]?.dynamodb?.SequenceNumber;
    if (last !== undefined) shard.lastSequence = last;
    const changes: ChangeRecord[] = [];
    const { telemetry } = this.#d;
    for (const record of raw) {
      if (telemetry) recordLag(telemetry, record, clock.now());
      const change = toChangeRecord(record, names);
      if (change) changes.push(change);
    }
    if (changes.length > 0 && !signal.aborted) this.#d.deliver(changes);
    shard.iterator = out.NextShardIterator;
    if (!shard.iterator) {
      this.#tracker.finish(shard, clock.monotonic());
      return { records: raw.length, again: true };
    }
    return { records: raw.length, again: false };
  }

  /**
   * Whether a `TrimmedDataAccessException` on `shard` can be answered by re-acquiring the
   * iterator instead of failing the watch. Records live 24 hours, so a position read (or taken)
   * less than 23 hours ago cannot really have been trimmed; DynamoDB Local nevertheless reports it
   * when another table with a stream is created. Re-acquiring resumes after the last record read
   * (or re-reads the shard, which the watchers de-duplicate), so nothing is skipped. Three failed
   * attempts in a row, or an old position, end the watch with `WatchCompactedError`.
   */
  #mayRecover(shard: TrackedShard): boolean {
    if (this.#d.clock.now() - shard.lastReadAt > RESUME_LIMIT_MS) return false;
    shard.trimRecoveries = (shard.trimRecoveries ?? 0) + 1;
    if (shard.start === 'LATEST') shard.start = 'TRIM_HORIZON';
    return shard.trimRecoveries <= 3;
  }

  /**
   * A fresh iterator: after the last record read when there is one; otherwise where the shard
   * starts (LATEST only the first time: taking LATEST again could skip records, so later
   * re-acquisitions without a sequence number re-read from TRIM_HORIZON and rely on the
   * watchers' de-duplication). Undefined when the shard is gone before it was ever read.
   */
  async #acquire(shard: TrackedShard): Promise<string | undefined> {
    const { calls, clock } = this.#d;
    const resume = shard.lastSequence !== undefined;
    const type: ShardIteratorType = resume ? 'AFTER_SEQUENCE_NUMBER' : shard.start;
    if (!resume && type === 'TRIM_HORIZON' && clock.now() - shard.lastReadAt > RESUME_LIMIT_MS) {
      throw compacted(shard, undefined, 'no read for over 23 hours; records may have been trimmed');
    }
    try {
      const iterator = await calls.getShardIterator(this.#streamArn, shard.id, type, shard.lastSequence);
      if (type === 'LATEST') shard.start = 'TRIM_HORIZON';
      return iterator;
    } catch (err) {
      const name = errorName(err);
      if (this.#d.signal.aborted) throw err;
      if (name === 'ResourceNotFoundException' && type === 'LATEST') return undefined;
      if (name === 'TrimmedDataAccessException' || name === 'ResourceNotFoundException')
        throw compacted(shard, err);
      throw wrapAwsError('GetShardIterator', err);
    }
  }

  async #wrap<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (this.#d.signal.aborted || err instanceof DynastoreError) throw err;
      throw wrapAwsError(operation, err);
    }
  }
}

/** Like `Promise.all`, but waits for every promise before rethrowing the first failure (nothing left in flight). */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { name?: string }).name : undefined;
}

function compacted(shard: TrackedShard, cause: unknown, why?: string): WatchCompactedError {
  const reason = why ?? `${errorName(cause) ?? 'error'}: ${(cause as Error | undefined)?.message ?? ''}`;
  return new WatchCompactedError(
    `lost the position in stream shard ${shard.id} (${reason}); changes may have been missed, subscribe again for a fresh snapshot`,
    { cause, shardId: shard.id },
  );
}
