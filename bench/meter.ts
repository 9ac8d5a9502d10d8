/** Call and capacity totals of one side of a scenario. */
export interface CallTotals {
  calls: number;
  /** GetItem, Query, Scan, BatchGetItem, TransactGetItems. */
  reads: number;
  /** PutItem, UpdateItem, DeleteItem, TransactWriteItems, BatchWriteItem. */
  writes: number;
  /** DynamoDB Streams: GetRecords, GetShardIterator, DescribeStream, ListStreams. */
  streamCalls: number;
  /** Writes refused by their condition (DynamoDB charges them but reports no capacity). */
  failedConditions: number;
  /** Capacity units DynamoDB reported (`ReturnConsumedCapacity: TOTAL`). */
  rcu: number;
  wcu: number;
  /** One estimated WCU per refused single-item write (items here are < 1 KB); two per refused transaction. */
  estimatedWcu: number;
  byOperation: Record<string, number>;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
const STREAMS = new Set(['GetRecords', 'GetShardIterator', 'DescribeStream', 'ListStreams']);

/** One DynamoDB call as a meter sees it, whichever SDK made it. */
export interface MeteredCall {
  readonly operation: string;
  readonly readUnits?: number;
  readonly writeUnits?: number;
  /** The write was refused by its condition (ConditionalCheckFailed, or a cancelled transaction). */
  readonly failedCondition?: boolean;
  /** The call failed (any error, a refused condition included). */
  readonly failed?: boolean;
  /** When the call was sent (epoch ms, `performance.timeOrigin + performance.now()`), where known. */
  readonly startedAt?: number;
}

/**
 * Counts DynamoDB calls and capacity. Cumulative: take a `snapshot()` before and after a batch
 * and subtract them (`diffTotals`).
 *
 * @example
 * ```ts
 * const meter = new Meter();
 * meter.record({ operation: 'UpdateItem', writeUnits: 1 });
 * meter.snapshot().wcu; // 1
 * ```
 */
export class Meter {
  #t: CallTotals = emptyTotals();
  readonly #listeners = new Set<(call: MeteredCall, at: number) => void>();

  /** Calls `listener` with every call recorded from now on, and its time (`performance.now()`); returns an unsubscribe function. */
  listen(listener: (call: MeteredCall, at: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  record(call: MeteredCall): void {
    const at = performance.now();
    for (const listener of this.#listeners) listener(call, at);
    const t = this.#t;
    t.calls++;
    t.byOperation[call.operation] = (t.byOperation[call.operation] ?? 0) + 1;
    if (READS.has(call.operation)) t.reads++;
    if (WRITES.has(call.operation)) t.writes++;
    if (STREAMS.has(call.operation)) t.streamCalls++;
    t.rcu += call.readUnits ?? 0;
    t.wcu += call.writeUnits ?? 0;
    if (call.failedCondition) {
      t.failedConditions++;
      t.estimatedWcu += call.operation === 'TransactWriteItems' ? 2 : 1;
    }
  }

  snapshot(): CallTotals {
    return { ...this.#t, byOperation: { ...this.#t.byOperation } };
  }
}

/**
 * Totals with every count at zero.
 *
 * @example
 * ```ts
 * const t = emptyTotals(); // t.calls === 0
 * ```
 */
export function emptyTotals(): CallTotals {
  return {
    calls: 0,
    reads: 0,
    writes: 0,
    streamCalls: 0,
    failedConditions: 0,
    rcu: 0,
    wcu: 0,
    estimatedWcu: 0,
    byOperation: {},
  };
}

/**
 * `after - before`, field by field.
 *
 * @example
 * ```ts
 * const before = meter.snapshot();
 * await work();
 * const spent = diffTotals(meter.snapshot(), before);
 * ```
 */
export function diffTotals(after: CallTotals, before: CallTotals): CallTotals {
  return combine(after, before, -1);
}

/**
 * `a + b`, field by field.
 *
 * @example
 * ```ts
 * const total = addTotals(first, second);
 * ```
 */
export function addTotals(a: CallTotals, b: CallTotals): CallTotals {
  return combine(a, b, 1);
}

function combine(a: CallTotals, b: CallTotals, sign: 1 | -1): CallTotals {
  const byOperation: Record<string, number> = { ...a.byOperation };
  for (const [op, n] of Object.entries(b.byOperation)) byOperation[op] = (byOperation[op] ?? 0) + sign * n;
  for (const op of Object.keys(byOperation)) if (byOperation[op] === 0) delete byOperation[op];
  return {
    calls: a.calls + sign * b.calls,
    reads: a.reads + sign * b.reads,
    writes: a.writes + sign * b.writes,
    streamCalls: a.streamCalls + sign * b.streamCalls,
    failedConditions: a.failedConditions + sign * b.failedConditions,
    rcu: a.rcu + sign * b.rcu,
    wcu: a.wcu + sign * b.wcu,
    estimatedWcu: a.estimatedWcu + sign * b.estimatedWcu,
    byOperation,
  };
}
