import { DescribeTableCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyWriteLimiter } from '../../chaos/faults/key-limit.js';
import { FaultProxy, type ProxyAnswer } from '../../chaos/faults/proxy.js';
import { ShardLimiter } from '../../chaos/faults/shard-limit.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

const body = (o: object) => Buffer.from(JSON.stringify(o));

describe('ShardLimiter: DynamoDB Streams read limit per shard', () => {
  it('serves 5 GetRecords a second per shard across all readers, and refuses the rest', () => {
    const limiter = new ShardLimiter({ getRecordsPerSecond: 5 });
    limiter.learn('GetShardIterator', body({ ShardId: 'shard-a' }), body({ ShardIterator: 'it-a1' }));
    limiter.learn('GetShardIterator', body({ ShardId: 'shard-a' }), body({ ShardIterator: 'it-a2' }));
    limiter.learn('GetShardIterator', body({ ShardId: 'shard-b' }), body({ ShardIterator: 'it-b' }));
    // Two readers of shard a share one budget.
    const admitted = Array.from(
      { length: 8 },
      (_, i) =>
        limiter.admit('GetRecords', body({ ShardIterator: i % 2 ? 'it-a1' : 'it-a2' }), 0) === undefined,
    );
    expect(admitted.filter(Boolean)).toHaveLength(5);
    expect(limiter.refused['shard-a']).toBe(3);
    // Another shard has its own budget; other operations are never limited.
    expect(limiter.admit('GetRecords', body({ ShardIterator: 'it-b' }), 0)).toBeUndefined();
    expect(limiter.admit('GetItem', body({}), 0)).toBeUndefined();
    // A refusal names the shard; 200 ms later one more call is served.
    expect(limiter.admit('GetRecords', body({ ShardIterator: 'it-a1' }), 100)?.shardId).toBe('shard-a');
    expect(limiter.admit('GetRecords', body({ ShardIterator: 'it-a1' }), 300)).toBeUndefined();
    expect(limiter.admit('GetRecords', body({ ShardIterator: 'it-a1' }), 300)).toBeDefined();
  });

  it("follows a reader's iterator chain: NextShardIterator belongs to the same shard", () => {
    const limiter = new ShardLimiter({ getRecordsPerSecond: 1, burst: 1 });
    limiter.learn('GetShardIterator', body({ ShardId: 'shard-a' }), body({ ShardIterator: 'i1' }));
    expect(limiter.admit('GetRecords', body({ ShardIterator: 'i1' }), 0)).toBeUndefined();
    limiter.learn('GetRecords', body({ ShardIterator: 'i1' }), body({ NextShardIterator: 'i2' }));
    expect(limiter.admit('GetRecords', body({ ShardIterator: 'i2' }), 10)?.shardId).toBe('shard-a');
  });
});

describe('KeyWriteLimiter: DynamoDB write limit per partition key value', () => {
  const update = (id: string) => body({ TableName: 't', Key: { id: { S: id }, name: { S: 'k' } } });
  it('serves the rate per key value, a transaction item costs two units, other keys and reads are free', () => {
    const limiter = new KeyWriteLimiter({ writeUnitsPerSecond: 4 });
    const admitted = Array.from({ length: 6 }, () => limiter.admit('UpdateItem', update('_locks'), 0));
    expect(admitted.filter((r) => r === undefined)).toHaveLength(4);
    const refusal = admitted[5];
    expect(refusal?.key).toBe('_locks');
    expect(refusal?.throttlingReasons).toEqual([
      {
        reason: 'TableWriteKeyRangeThroughputExceeded',
        resource: 'arn:aws:dynamodb:local:000000000000:table/t',
      },
    ]);
    expect(limiter.refused).toEqual({ _locks: 2 });
    expect(limiter.admit('UpdateItem', update('_lock/a'), 0)).toBeUndefined();
    expect(limiter.admit('GetItem', update('_locks'), 0)).toBeUndefined();
    // 500 ms later: 2 units back; a transaction of two items on the key needs 4: refused whole
    const tx = body({
      TransactItems: [
        { ConditionCheck: { Key: { id: { S: '_locks' } } } },
        { Update: { Key: { id: { S: '_locks' } } } },
      ],
    });
    expect(limiter.admit('TransactWriteItems', tx, 500)?.key).toBe('_locks');
    expect(limiter.admit('PutItem', body({ Item: { id: { S: '_locks' } } }), 500)).toBeUndefined();
    expect(limiter.served).toEqual({ _locks: 5, '_lock/a': 1 });
  });
});

describe('FaultProxy options against DynamoDB Local', () => {
  let table: DynamoTable;
  beforeAll(async () => {
    table = await useDynamoTable();
  });
  afterAll(() => table?.cleanup());

  it('rttMs adds a fixed round trip to every call', async () => {
    const proxy = await FaultProxy.start({ port: Number(new URL(table.endpoint).port) }, undefined, 1, {
      rttMs: 40,
    });
    const client = localDynamoClient(proxy.endpoint);
    try {
      const get = () =>
        client.send(
          new GetItemCommand({ TableName: table.tableName, Key: { id: { S: 'p' }, name: { S: 'k' } } }),
        );
      await get();
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await get();
        times.push(performance.now() - t);
      }
      // Node's timers never fire early by more than their 1 ms grain.
      expect(Math.min(...times)).toBeGreaterThanOrEqual(38);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('shardLimit answers GetRecords over 5 per second per shard as AWS does: HTTP 400 LimitExceededException', async () => {
    const proxy = await FaultProxy.start({ port: Number(new URL(table.endpoint).port) }, undefined, 1, {
      shardLimit: { getRecordsPerSecond: 5 },
    });
    const answers: ProxyAnswer[] = [];
    proxy.onAnswer((a) => answers.push(a));
    const client = localDynamoClient(proxy.endpoint);
    const streams = new DynamoDBStreamsClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'dynastore', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      // A write, so the stream has a shard.
      await new Dynastore({ client, tableName: table.tableName }).partition('p').put('k', 'v');
      const arn = (await client.send(new DescribeTableCommand({ TableName: table.tableName }))).Table
        ?.LatestStreamArn;
      const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription
        ?.Shards?.[0]?.ShardId;
      const iterator = (
        await streams.send(
          new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }),
        )
      ).ShardIterator;
      const outcomes: string[] = [];
      for (let i = 0; i < 10; i++) {
        try {
          await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
          outcomes.push('ok');
        } catch (err) {
          const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
          outcomes.push(`${e.name} ${e.$metadata?.httpStatusCode}`);
        }
      }
      const served = outcomes.filter((o) => o === 'ok').length;
      expect(served).toBeGreaterThanOrEqual(5);
      expect(served).toBeLessThanOrEqual(7); // 5 at once, plus what 5/s refills while the calls run
      expect(outcomes.filter((o) => o === 'LimitExceededException 400').length).toBe(10 - served);
      expect(proxy.shardLimit?.refused[shard as string]).toBe(10 - served);
      expect(answers.filter((a) => a.errorType === 'LimitExceededException')).toHaveLength(10 - served);
    } finally {
      streams.destroy();
      client.destroy();
      await proxy.stop();
    }
  });

  it("keyWriteLimit answers writes over the key's rate as AWS does: HTTP 400 ProvisionedThroughputExceededException with ThrottlingReasons", async () => {
    const proxy = await FaultProxy.start({ port: Number(new URL(table.endpoint).port) }, undefined, 1, {
      keyWriteLimit: { writeUnitsPerSecond: 2 },
    });
    const client = localDynamoClient(proxy.endpoint, { maxAttempts: 1 });
    try {
      const write = (id: string) =>
        client.send(
          new UpdateItemCommand({
            TableName: table.tableName,
            Key: { id: { S: id }, name: { S: 'k' } },
            UpdateExpression: 'ADD version :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        );
      await write('hot');
      await write('hot');
      const err = (await write('hot').catch((e: unknown) => e)) as {
        name: string;
        $metadata: { httpStatusCode: number };
        ThrottlingReasons?: unknown;
        message: string;
      };
      expect(err.name).toBe('ProvisionedThroughputExceededException');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.ThrottlingReasons).toEqual([
        {
          reason: 'TableWriteKeyRangeThroughputExceeded',
          resource: `arn:aws:dynamodb:local:000000000000:table/${table.tableName}`,
        },
      ]);
      await write('cold'); // another key value has its own budget
      expect(proxy.counts.keyWriteLimit).toBe(1);
      expect(proxy.keyWriteLimit?.served).toEqual({ hot: 2, cold: 1 });
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });
});
