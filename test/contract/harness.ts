import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { CallEvent } from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import type { RawRow } from '../../src/contract/decode-row.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';

/** One backend under test, with a way to let time pass that suits it. */
export interface Harness {
  readonly name: 'memory' | 'dynamodb';
  /** A store on the shared backend; `calls` collects its call events. */
  store(): Dynastore;
  readonly calls: CallEvent[];
  /** The store's wall clock. */
  now(): number;
  /** Lets `ms` of (virtual or real) time pass. */
  passTime(ms: number): Promise<void>;
  /** Stores a row as another writer would (DynamoDB `PutItem` with these attribute values). */
  putRaw(row: RawRow): Promise<void>;
  /** Writes the payload of a key the way Go dynastore's `Put` does (`ADD version 1, SET payload`). */
  goPut(partition: string, key: string, payload: string): Promise<void>;
}

export function memoryHarness(): Harness {
  const clock = new VirtualClock(Date.now());
  const calls: CallEvent[] = [];
  const backend = new MemoryBackend({ clock, onCall: (e) => calls.push(e) });
  return {
    name: 'memory',
    calls,
    store: () => new Dynastore({ backend, clock }),
    now: () => clock.now(),
    passTime: (ms) => clock.advance(ms),
    putRaw: async (row) => {
      backend.putRaw(row);
    },
    // Go touches only version and payload: the memory backend's contract write with nothing else
    goPut: async (partition, key, payload) => {
      await backend.write({ partition, key, payload });
    },
  };
}

/**
 * The UpdateItem Go dynastore's `Put` sends (table.go `buildUpdate` through the aws-sdk-go v1
 * expression builder): `ADD version 1` and `SET payload` (a string; `WriteWithBytes` sends base64
 * text), aliases numbered in order of appearance, modes sorted (ADD before SET). Nothing else.
 */
export function goUpdateInput(tableName: string, partition: string, key: string, payload: string) {
  return {
    TableName: tableName,
    Key: { id: { S: partition }, name: { S: key } },
    ExpressionAttributeNames: { '#0': 'version', '#1': 'payload' },
    ExpressionAttributeValues: { ':0': { N: '1' }, ':1': { S: payload } },
    UpdateExpression: 'ADD #0 :0\nSET #1 = :1\n',
    ReturnValues: 'ALL_NEW' as const,
  };
}

export async function dynamoHarness(): Promise<Harness> {
  const { useDynamoTable } = await import('../support/dynamo.js');
  const table = await useDynamoTable();
  const calls: CallEvent[] = [];
  return {
    name: 'dynamodb',
    calls,
    // The look for old-layout processes (one Query per store before its first grant) has its own
    // test (test/lock/legacy-layout.dynamodb.test.ts); contract tests count the protocol's own calls.
    store: () =>
      new Dynastore({
        client: table.client,
        tableName: table.tableName,
        onCall: (e) => calls.push(e),
        legacyLayoutCheckMs: false,
      }),
    now: () => Date.now(),
    passTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    putRaw: async (row) => {
      await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: row as never }));
    },
    goPut: async (partition, key, payload) => {
      await table.client.send(new UpdateItemCommand(goUpdateInput(table.tableName, partition, key, payload)));
    },
  };
}
