import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { KeyWriteLimitOptions } from '../chaos/faults/key-limit.js';
import { FaultProxy } from '../chaos/faults/proxy.js';
import type { ShardLimitOptions } from '../chaos/faults/shard-limit.js';
import { localDynamoClient } from '../src/testing/local-client.js';
import { summarize } from './stats.js';

/** What {@link calibrateDelay} measured: GetItem p50 direct and through the proxy. */
export interface DelayCheck {
  readonly targetRttMs: number;
  /** The delay the proxy was left with (its own hop through Node costs the rest). */
  readonly delayMs: number;
  readonly directP50Ms: number;
  readonly proxiedP50Ms: number;
  /** What the proxy adds per call: the median of (proxied - direct) over adjacent pairs of calls. */
  readonly addedP50Ms: number;
  readonly samples: number;
}

/**
 * The delay proxy of the benchmark: chaos's fault proxy with no faults, a fixed round trip added
 * to every DynamoDB and DynamoDB Streams call (half on the way in, half on the way out), a
 * keep-alive agent towards DynamoDB Local (no connection setup per call), and optionally
 * DynamoDB Streams' per-shard GetRecords limit and DynamoDB's per-partition-key write limit
 * (scaled down; the excess answered HTTP 400 `ProvisionedThroughputExceededException` with
 * `ThrottlingReasons: [{ reason: 'TableWriteKeyRangeThroughputExceeded', resource }]`, as AWS does).
 *
 * @example
 * ```ts
 * const proxy = await startDelayProxy(local.port, { rttMs: 4 });
 * const client = localDynamoClient(proxy.endpoint);
 * ```
 */
export function startDelayProxy(
  port: number,
  options: { rttMs: number; shardLimit?: ShardLimitOptions; keyWriteLimit?: KeyWriteLimitOptions },
): Promise<FaultProxy> {
  return FaultProxy.start({ port }, undefined, 1, options);
}

/**
 * Sets the proxy's delay so that a GetItem through it takes `targetRttMs` longer (p50) than the
 * same GetItem sent directly: measures the proxy's own hop with no delay, sets the delay to the
 * target less that hop, and measures again (the figure reported).
 *
 * @example
 * ```ts
 * const check = await calibrateDelay(proxy, local.client, 'bench_dynastore', 4);
 * check.addedP50Ms; // about 4
 * ```
 */
export async function calibrateDelay(
  proxy: FaultProxy,
  direct: DynamoDBClient,
  tableName: string,
  targetRttMs: number,
  samples = 150,
): Promise<DelayCheck> {
  const via = localDynamoClient(proxy.endpoint);
  try {
    const Key = { id: { S: 'bench-rtt' }, name: { S: 'probe' } };
    await direct.send(new PutItemCommand({ TableName: tableName, Item: { ...Key, version: { N: '1' } } }));
    const get = () => new GetItemCommand({ TableName: tableName, Key, ConsistentRead: true });
    // Adjacent pairs, in alternating order: a slow spell of a loaded machine hits both calls of a
    // pair, so the median of the differences is steadier than the difference of the medians.
    const measure = async (n: number) => {
      const d: number[] = [];
      const p: number[] = [];
      const diff: number[] = [];
      const time = async (c: DynamoDBClient) => {
        const t = performance.now();
        await c.send(get());
        return performance.now() - t;
      };
      for (let i = 0; i < n; i++) {
        const [a, b] = i % 2 === 0 ? [await time(direct), await time(via)] : [0, 0];
        const [b2, a2] = i % 2 === 1 ? [await time(via), await time(direct)] : [b, a];
        d.push(a2);
        p.push(b2);
        diff.push(b2 - a2);
      }
      return { direct: summarize(d).p50Ms, proxied: summarize(p).p50Ms, added: summarize(diff).p50Ms };
    };
    proxy.setRttMs(0);
    await measure(40); // warm both connections and the JIT
    // The proxy's own hop (Node in the middle), at least 0 and at most half the target; the delay
    // is whole milliseconds, so take the nearest, then one step towards the target if it is clearly off.
    const hop = Math.min(targetRttMs / 2, Math.max(0, (await measure(samples)).added));
    let delayMs = Math.max(0, Math.round(targetRttMs - hop));
    proxy.setRttMs(delayMs);
    let m = await measure(samples);
    // Only a clear miss moves it: on a loaded machine one measurement can be a millisecond off.
    const step = m.added < targetRttMs - 0.75 ? 1 : m.added > targetRttMs + 0.75 && delayMs > 0 ? -1 : 0;
    if (step !== 0) {
      delayMs += step;
      proxy.setRttMs(delayMs);
      m = await measure(samples);
    }
    return {
      targetRttMs,
      delayMs,
      directP50Ms: m.direct,
      proxiedP50Ms: m.proxied,
      addedP50Ms: m.added,
      samples,
    };
  } finally {
    via.destroy();
  }
}
