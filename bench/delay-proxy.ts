import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
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
  /** `proxiedP50Ms - directP50Ms`: what the proxy adds per call. */
  readonly addedP50Ms: number;
  readonly samples: number;
}

/**
 * The delay proxy of the benchmark: chaos's fault proxy with no faults, a fixed round trip added
 * to every DynamoDB and DynamoDB Streams call (half on the way in, half on the way out), a
 * keep-alive agent towards DynamoDB Local (no connection setup per call), and optionally
 * DynamoDB Streams' per-shard GetRecords limit.
 *
 * @example
 * ```ts
 * const proxy = await startDelayProxy(local.port, { rttMs: 4 });
 * const client = localDynamoClient(proxy.endpoint);
 * ```
 */
export function startDelayProxy(
  port: number,
  options: { rttMs: number; shardLimit?: ShardLimitOptions },
): Promise<FaultProxy> {
  return FaultProxy.start({ port }, undefined, 1, options);
}

/**
 * Sets the proxy's delay so that a GetItem through it takes `targetRttMs` longer (p50) than the
 * same GetItem sent directly: measures with the delay at the target, takes the proxy's own hop
 * off the delay, and measures again (the figure reported). Samples alternate direct and proxied
 * calls so a slow spell of the machine hits both.
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
    const measure = async (n: number) => {
      const d: number[] = [];
      const p: number[] = [];
      for (let i = 0; i < n; i++) {
        let t = performance.now();
        await direct.send(get());
        d.push(performance.now() - t);
        t = performance.now();
        await via.send(get());
        p.push(performance.now() - t);
      }
      return { direct: summarize(d).p50Ms, proxied: summarize(p).p50Ms };
    };
    proxy.setRttMs(targetRttMs);
    await measure(30); // warm both connections and the JIT
    const first = await measure(samples);
    const hop = first.proxied - first.direct - targetRttMs;
    const delayMs = Math.min(targetRttMs, Math.max(0, targetRttMs - hop));
    proxy.setRttMs(delayMs);
    const m = await measure(samples);
    return {
      targetRttMs,
      delayMs,
      directP50Ms: m.direct,
      proxiedP50Ms: m.proxied,
      addedP50Ms: m.proxied - m.direct,
      samples,
    };
  } finally {
    via.destroy();
  }
}
