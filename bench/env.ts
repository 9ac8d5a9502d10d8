import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { CallEvent } from '../src/index.js';
import { createTable, Dynastore, type DynastoreOptions } from '../src/index.js';
import { type LocalDynamo, startLocalDynamo } from '../src/testing.js';
import type { Meter } from './meter.js';
import { PEER_PARTITION_KEY, type PeerLockOptions, PeerLocks } from './peer/client.js';

/** The tables and clients every scenario shares. */
export interface BenchEnv {
  readonly endpoint: string;
  /** The v3 client of dynastore and of the raw baseline. */
  readonly client: DynamoDBClient;
  /** dynastore's table (its own layout, stream on). */
  readonly ourTable: string;
  /** The peer's table (HASH `id`, as its README asks). */
  readonly peerTable: string;
  /** A Dynastore on `ourTable` whose every call is counted on `meter`. */
  ours(meter: Meter, options?: Pick<DynastoreOptions, 'stream'>): Dynastore;
  /** Peer locks on `peerTable` whose every call is counted on `meter`. */
  peer(meter: Meter, options: PeerLockOptions): PeerLocks;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local and makes both tables. `stop()` kills DynamoDB Local; call it in `finally`.
 *
 * @example
 * ```ts
 * const env = await startBenchEnv();
 * try { ... } finally { await env.stop(); }
 * ```
 */
export async function startBenchEnv(): Promise<BenchEnv> {
  const local: LocalDynamo = await startLocalDynamo();
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
    return {
      endpoint: local.endpoint,
      client: local.client,
      ourTable,
      peerTable,
      ours: (meter, options) =>
        new Dynastore({
          client: local.client,
          tableName: ourTable,
          onCall: meterListener(meter),
          ...options,
        }),
      peer: (meter, options) =>
        new PeerLocks({ endpoint: local.endpoint, tableName: peerTable, meter, ...options }),
      stop: () => local.stop(),
    };
  } catch (err) {
    await local.stop();
    throw err;
  }
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
    });
  };
}
