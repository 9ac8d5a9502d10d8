/**
 * DynamoDB Streams' per-shard read limit, which DynamoDB Local does not enforce: on AWS a stream
 * shard serves about 5 GetRecords calls a second across all of its readers, and a reader over the
 * limit is answered HTTP 400 `LimitExceededException` ("Your request rate is too high", per the
 * GetRecords API reference; the SDKs retry it as throttling). The proxy puts this in front of
 * DynamoDB Local so that every process reading one table's stream through it shares one budget
 * per shard, as on AWS.
 */

/** The answer AWS gives a GetRecords call over the shard's limit. */
export const SHARD_LIMIT_ERROR = {
  status: 400,
  type: 'com.amazonaws.dynamodb.v20120810#LimitExceededException',
} as const;

/** Settings of {@link ShardLimiter}. */
export interface ShardLimitOptions {
  /** GetRecords calls a shard serves per second, across all readers. @default 5 */
  readonly getRecordsPerSecond?: number;
  /** Calls a shard can serve at once after a quiet spell (token bucket depth). @default getRecordsPerSecond */
  readonly burst?: number;
}

/** Where a refused call stands: the shard it read and why. */
export interface ShardRefusal {
  readonly shardId: string;
  readonly message: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Iterators remembered at most (a poller that stops abandons its last one). */
const MAX_ITERATORS = 50_000;

/**
 * A token bucket per stream shard for GetRecords. A GetRecords request names only its shard
 * iterator, so the limiter learns which shard each iterator belongs to from the GetShardIterator
 * requests (their `ShardId`) and answers, and from every GetRecords answer's `NextShardIterator`.
 * Refused calls take no token (the shard served nothing).
 *
 * @example
 * ```ts
 * const limiter = new ShardLimiter({ getRecordsPerSecond: 5 });
 * const refusal = limiter.admit('GetRecords', body, performance.now());
 * if (!refusal) { const answer = await forward(); limiter.learn('GetRecords', body, answer.body); }
 * ```
 */
export class ShardLimiter {
  /** GetRecords calls refused, by shard. */
  readonly refused: Record<string, number> = {};
  /** GetRecords calls served, by shard. */
  readonly served: Record<string, number> = {};
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #iterators = new Map<string, string>();

  constructor(options: ShardLimitOptions = {}) {
    this.#rate = options.getRecordsPerSecond ?? 5;
    this.#burst = options.burst ?? this.#rate;
    if (!(this.#rate > 0) || !(this.#burst >= 1))
      throw new Error(
        `shard limit needs a positive rate and a burst of at least 1, got ${this.#rate}/${this.#burst}`,
      );
  }

  /**
   * Whether a request may go on (undefined) or is over its shard's limit (the refusal). Only
   * GetRecords is limited; `nowMs` is a monotonic time in milliseconds.
   */
  admit(operation: string, requestBody: Buffer, nowMs: number): ShardRefusal | undefined {
    if (operation !== 'GetRecords') return undefined;
    const iterator = field(requestBody, 'ShardIterator');
    const shardId = (iterator && this.#iterators.get(iterator)) ?? 'unknown-shard';
    const bucket = this.#buckets.get(shardId) ?? { tokens: this.#burst, at: nowMs };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((nowMs - bucket.at) / 1_000) * this.#rate);
    bucket.at = nowMs;
    this.#buckets.set(shardId, bucket);
    if (bucket.tokens < 1) {
      this.refused[shardId] = (this.refused[shardId] ?? 0) + 1;
      return { shardId, message: `Rate exceeded for shard ${shardId} (dynastore shard-limit proxy)` };
    }
    bucket.tokens -= 1;
    this.served[shardId] = (this.served[shardId] ?? 0) + 1;
    return undefined;
  }

  /** Learns iterator-to-shard links from a successful answer (status 200) of a Streams call. */
  learn(operation: string, requestBody: Buffer, answerBody: Buffer): void {
    if (operation === 'GetShardIterator') {
      const shardId = field(requestBody, 'ShardId');
      const iterator = field(answerBody, 'ShardIterator');
      if (shardId && iterator) this.#remember(iterator, shardId);
    } else if (operation === 'GetRecords') {
      const iterator = field(requestBody, 'ShardIterator');
      const shardId = iterator && this.#iterators.get(iterator);
      const next = field(answerBody, 'NextShardIterator');
      if (shardId && next) this.#remember(next, shardId);
    }
  }

  #remember(iterator: string, shardId: string): void {
    if (this.#iterators.size >= MAX_ITERATORS) {
      const oldest = this.#iterators.keys().next().value;
      if (oldest !== undefined) this.#iterators.delete(oldest);
    }
    this.#iterators.set(iterator, shardId);
  }
}

function field(body: Buffer, name: string): string | undefined {
  try {
    const value = (JSON.parse(body.toString('utf8')) as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
