/**
 * DynamoDB's per-partition-key write limit, which DynamoDB Local does not enforce: on AWS one
 * partition key value serves about 1 000 write units a second (a write of up to 1 KB is one unit;
 * an item of a transaction, two), whatever the table's capacity; the excess is answered HTTP 400
 * `ProvisionedThroughputExceededException` with a `ThrottlingReasons` list naming
 * `TableWriteKeyRangeThroughputExceeded` and the table's ARN (the SDKs retry it as throttling).
 * The proxy puts this in front of DynamoDB Local, scaled down (a few dozen units a second) so that
 * DynamoDB Local on a small machine can reach it: one token bucket per partition key value,
 * shared by every client of the proxy.
 */

/** The answer AWS gives a write over its partition key's limit (the error's `__type`). */
export const KEY_LIMIT_ERROR = {
  status: 400,
  type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  reason: 'TableWriteKeyRangeThroughputExceeded',
} as const;

/** Settings of {@link KeyWriteLimiter}. */
export interface KeyWriteLimitOptions {
  /** Write units one partition key value serves per second (AWS: about 1 000). */
  readonly writeUnitsPerSecond: number;
  /** Units a key can take at once after a quiet spell (token bucket depth). @default writeUnitsPerSecond */
  readonly burst?: number;
  /** The table's partition key attribute. @default 'id' */
  readonly partitionAttribute?: string;
}

/** Where a refused call stands: the key over its limit, and the error body's extra fields. */
export interface KeyRefusal {
  readonly key: string;
  readonly message: string;
  /** `ThrottlingReasons`, as AWS puts it in the error body. */
  readonly throttlingReasons: readonly { readonly reason: string; readonly resource: string }[];
}

interface Bucket {
  tokens: number;
  at: number;
}

/** What one write call asks of each partition key value. */
function unitsByKey(operation: string, body: Record<string, unknown>, attr: string): Map<string, number> {
  const units = new Map<string, number>();
  const add = (keyOrItem: unknown, n: number) => {
    const v = (keyOrItem as Record<string, { S?: unknown }> | undefined)?.[attr]?.S;
    if (typeof v === 'string') units.set(v, (units.get(v) ?? 0) + n);
  };
  switch (operation) {
    case 'UpdateItem':
    case 'DeleteItem':
      add(body.Key, 1);
      break;
    case 'PutItem':
      add(body.Item, 1);
      break;
    case 'TransactWriteItems':
      for (const t of (body.TransactItems as Record<string, { Key?: unknown; Item?: unknown }>[]) ?? []) {
        const one = t.Update ?? t.Delete ?? t.ConditionCheck ?? t.Put;
        add(one?.Key ?? one?.Item, 2);
      }
      break;
    case 'BatchWriteItem':
      for (const requests of Object.values((body.RequestItems as Record<string, unknown[]>) ?? {})) {
        for (const r of requests as { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }[])
          add(r.PutRequest?.Item ?? r.DeleteRequest?.Key, 1);
      }
      break;
    default:
      break;
  }
  return units;
}

/**
 * A token bucket per partition key value for write calls (UpdateItem, PutItem, DeleteItem,
 * TransactWriteItems at two units an item, BatchWriteItem). A call is refused whole when any of
 * its keys lacks the units; a refused call takes none (nothing was written).
 *
 * @example
 * ```ts
 * const limiter = new KeyWriteLimiter({ writeUnitsPerSecond: 40 });
 * const refusal = limiter.admit('UpdateItem', body, performance.now());
 * ```
 */
export class KeyWriteLimiter {
  /** Write calls refused, by partition key value. */
  readonly refused: Record<string, number> = {};
  /** Write units served, by partition key value. */
  readonly served: Record<string, number> = {};
  readonly #rate: number;
  readonly #burst: number;
  readonly #attr: string;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: KeyWriteLimitOptions) {
    this.#rate = options.writeUnitsPerSecond;
    this.#burst = options.burst ?? this.#rate;
    this.#attr = options.partitionAttribute ?? 'id';
    if (!(this.#rate > 0) || !(this.#burst >= 2))
      throw new Error(
        `key write limit needs a positive rate and a burst of at least 2 (a transaction item), got ${this.#rate}/${this.#burst}`,
      );
  }

  /** Whether a request may go on (undefined) or is over a key's limit; `nowMs` is monotonic. */
  admit(operation: string, requestBody: Buffer, nowMs: number): KeyRefusal | undefined {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(requestBody.toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const units = unitsByKey(operation, body, this.#attr);
    if (units.size === 0) return undefined;
    for (const [key, n] of units) {
      const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: nowMs };
      bucket.tokens = Math.min(this.#burst, bucket.tokens + ((nowMs - bucket.at) / 1_000) * this.#rate);
      bucket.at = nowMs;
      this.#buckets.set(key, bucket);
      if (bucket.tokens < n) {
        this.refused[key] = (this.refused[key] ?? 0) + 1;
        const table = typeof body.TableName === 'string' ? body.TableName : 'unknown';
        return {
          key,
          message: `Throughput exceeds the current capacity for one or more partition keys of table ${table} (dynastore key-limit proxy: ${this.#rate} write units/s per key)`,
          throttlingReasons: [
            {
              reason: KEY_LIMIT_ERROR.reason,
              resource: `arn:aws:dynamodb:local:000000000000:table/${table}`,
            },
          ],
        };
      }
    }
    for (const [key, n] of units) {
      const bucket = this.#buckets.get(key) as Bucket;
      bucket.tokens -= n;
      this.served[key] = (this.served[key] ?? 0) + n;
    }
    return undefined;
  }

  /** Forgets the counts (not the buckets): the start of a measured window. */
  resetCounts(): void {
    for (const k of Object.keys(this.refused)) delete this.refused[k];
    for (const k of Object.keys(this.served)) delete this.served[k];
  }
}
