import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { Dynastore, type KVPair } from '../../src/index.js';
import { Meter } from '../meter.js';
import { RawKv } from './raw-kv.js';

/** Microseconds of client-side work per operation (no network), by operation and side. */
export interface ClientCost {
  readonly put: { ours: number; raw: number };
  readonly get: { ours: number; raw: number };
  readonly cas: { ours: number; raw: number };
}

const ROUNDS = 20;

/**
 * The client-side cost of each kv operation, free of network and DynamoDB Local noise: both
 * dynastore and the raw baseline send through a stub client whose `send` answers at once with a
 * canned response, so the difference is dynastore's own work (validation, expression building,
 * decoding) per call. Interleaved rounds; mean microseconds per operation.
 *
 * @example
 * ```ts
 * const cost = await clientCost(2_000); // cost.put.ours - cost.put.raw: dynastore's overhead, µs
 * ```
 */
export async function clientCost(opsPerSide: number): Promise<ClientCost> {
  const stub = stubClient();
  const kv = new Dynastore({ client: stub, tableName: 'stub' }).partition('p');
  const raw = new RawKv(stub, 'stub', new Meter());
  const value = 'x'.repeat(100);
  let pair: KVPair = await kv.put('k', value);
  const per = Math.max(1, Math.floor(opsPerSide / ROUNDS));
  const ops = {
    put: { ours: () => kv.put('k', value), raw: () => raw.put('p', 'k', value) },
    get: { ours: () => kv.get('k'), raw: () => raw.get('p', 'k') },
    cas: {
      ours: async () => {
        pair = await kv.atomicPut('k', value, { previous: pair });
      },
      raw: () => raw.compareAndSwap('p', 'k', value, 1),
    },
  };
  const out = { put: { ours: 0, raw: 0 }, get: { ours: 0, raw: 0 }, cas: { ours: 0, raw: 0 } };
  for (const name of ['put', 'get', 'cas'] as const) {
    for (const side of ['ours', 'raw'] as const) for (let i = 0; i < per; i++) await ops[name][side](); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? (['ours', 'raw'] as const) : (['raw', 'ours'] as const)) {
        const t0 = performance.now();
        for (let i = 0; i < per; i++) await ops[name][side]();
        out[name][side] += performance.now() - t0;
      }
    }
    out[name].ours = (out[name].ours * 1000) / (per * ROUNDS);
    out[name].raw = (out[name].raw * 1000) / (per * ROUNDS);
  }
  return out;
}

/** A stand-in for DynamoDBClient: builds the real command objects' inputs, answers at once. */
function stubClient(): DynamoDBClient {
  const item = {
    id: { S: 'p' },
    name: { S: 'k' },
    version: { N: '1' },
    payload: { S: 'x'.repeat(100) },
  };
  const send = async (command: unknown) => {
    if (command instanceof GetItemCommand) return { Item: item, ConsumedCapacity: { CapacityUnits: 1 } };
    if (command instanceof UpdateItemCommand)
      return { Attributes: item, ConsumedCapacity: { CapacityUnits: 1 } };
    throw new Error('the stub answers GetItem and UpdateItem only');
  };
  return { send } as unknown as DynamoDBClient;
}
