import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { FaultProxy } from '../chaos/faults/proxy.js';
import type { CallEvent } from '../src/index.js';
import { createTable, Dynastore, type DynastoreOptions } from '../src/index.js';
import { localDynamoClient } from '../src/testing/local-client.js';
import { type LocalDynamo, startLocalDynamo } from '../src/testing.js';
import { calibrateDelay, type DelayCheck, startDelayProxy } from './delay-proxy.js';
import type { Meter } from './meter.js';
import { PEER_PARTITION_KEY, type PeerLockOptions, PeerLocks } from './peer/client.js';
import { epochNow } from './sleep.js';

/** The tables and clients every scenario shares. */
export interface BenchEnv {
  /** Where the clients send: DynamoDB Local itself, or the delay proxy in front of it. */
  readonly endpoint: string;
  /** `loopback`, or `<n> ms RTT` through the delay proxy. */
  readonly network: string;
  /** DynamoDB Local's port (scenarios start their own proxies in front of it). */
  readonly localPort: number;
  /** The round trip the delay proxy adds (`targetMs`) and the delay that makes it so (`delayMs`); undefined with `--rtt-ms 0`. */
  readonly rtt: { readonly targetMs: number; readonly delayMs: number } | undefined;
  /** The same tables through the delay proxy (undefined on the proxied env itself, or with `--rtt-ms 0`). */
  readonly delayed: BenchEnv | undefined;
  /** What the delay proxy's check measured (GetItem p50 direct and through it). */
  readonly delayCheck: DelayCheck | undefined;
  /** The v3 client of dynastore and of the raw baseline. */
  readonly client: DynamoDBClient;
  /** dynastore's table (its own layout, stream on). */
  readonly ourTable: string;
  /** The peer's table (HASH `id`, as its README asks). */
  readonly peerTable: string;
  /** A Dynastore on `ourTable` whose every call is counted on `meter`. */
  ours(meter: Meter, options?: Pick<DynastoreOptions, 'stream' | 'telemetry'>): Dynastore;
  /** Peer locks on `peerTable` whose every call is counted on `meter`. */
  peer(meter: Meter, options: PeerLockOptions): PeerLocks;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local, makes both tables and (unless `rttMs` is 0) the delay proxy, calibrated
 * so that it adds `rttMs` to a call. `stop()` stops the proxy and DynamoDB Local; call it in `finally`.
 *
 * @example
 * ```ts
 * const env = await startBenchEnv({ rttMs: 4 });
 * try { ... } finally { await env.stop(); }
 * ```
 */
export async function startBenchEnv(options: { rttMs: number }): Promise<BenchEnv> {
  const local: LocalDynamo = await startLocalDynamo();
  let proxy: FaultProxy | undefined;
  try {
    const ourTable = 'bench_dynastore';
    const peerTable = 'bench_peer_locks';
    await createTable({ client: local.client, tableName: ourTable });
    await local.client.send(
      new CreateTableCommand({
        TableName: peerTable,
        AttributeDefinitions: [{ AttributeName: PEER_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: PEER_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilTableExists({ client: local.client, maxWaitTime: 60 }, { TableName: peerTable });
    const tables = { ourTable, peerTable, localPort: local.port };
    let delayed: BenchEnv | undefined;
    let delayCheck: DelayCheck | undefined;
    let rtt: BenchEnv['rtt'];
    if (options.rttMs > 0) {
      const p = await startDelayProxy(local.port, { rttMs: options.rttMs });
      proxy = p;
      delayCheck = await calibrateDelay(p, local.client, ourTable, options.rttMs);
      rtt = { targetMs: options.rttMs, delayMs: delayCheck.delayMs };
      const client = localDynamoClient(p.endpoint);
      delayed = envOn(tables, p.endpoint, client, `${options.rttMs} ms RTT`, rtt, async () => {
        client.destroy();
        await p.stop();
      });
    }
    return {
      ...envOn(tables, local.endpoint, local.client, 'loopback', rtt, async () => {
        await delayed?.stop();
        await local.stop();
      }),
      delayed,
      delayCheck,
    };
  } catch (err) {
    await proxy?.stop();
    await local.stop();
    throw err;
  }
}

function envOn(
  t: { ourTable: string; peerTable: string; localPort: number },
  endpoint: string,
  client: DynamoDBClient,
  network: string,
  rtt: BenchEnv['rtt'],
  stop: () => Promise<void>,
): BenchEnv {
  return {
    endpoint,
    client,
    network,
    rtt,
    ...t,
    delayed: undefined,
    delayCheck: undefined,
    ours: (meter, options) =>
      new Dynastore({ client, tableName: t.ourTable, onCall: meterListener(meter), ...options }),
    peer: (meter, options) => new PeerLocks({ endpoint, tableName: t.peerTable, meter, ...options }),
    stop,
  };
}

/**
 * An `onCall` listener feeding a meter.
 *
 * @example
 * ```ts
 * new Dynastore({ client, tableName, onCall: meterListener(meter) });
 * ```
 */
export function meterListener(meter: Meter): (event: CallEvent) => void {
  return (event) => {
    const name = (event.error as { name?: string } | undefined)?.name;
    meter.record({
      operation: event.operation,
      readUnits: event.consumedCapacity?.readUnits,
      writeUnits: event.consumedCapacity?.writeUnits,
      failedCondition: name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException',
      failed: event.error !== undefined,
      startedAt: epochNow() - event.durationMs,
    });
  };
}
