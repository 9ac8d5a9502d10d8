import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { dynamoEndpoint } from '../support/dynamo.js';

// Issue 21 items 6 and 8: library errors carry what is needed to fix them. A table of another key
// schema is a TableMismatchError saying how it differs, on every path (kv, lock, election, watch),
// not DynamoDB's raw "The number of conditions on the keys is invalid"; a missing table is named
// with its endpoint and region; a missing region says where to set it.

let endpoint: string;
let client: DynamoDBClient;
const otherSchema = `lib-other-schema-${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  endpoint = await dynamoEndpoint();
  client = localDynamoClient(endpoint);
  // another key schema, with the stream a watch needs (so the watch gets as far as its snapshot)
  await client.send(
    new CreateTableCommand({
      TableName: otherSchema,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
});

afterAll(async () => {
  await client?.send(new DeleteTableCommand({ TableName: otherSchema })).catch(() => undefined);
  client?.destroy();
});

const mismatch = () =>
  expect.objectContaining({
    name: 'TableMismatchError',
    code: 'TABLE_MISMATCH',
    message: expect.stringMatching(
      new RegExp(
        `^table "${otherSchema}" does not have the dynastore key schema: HASH key is 'pk' \\(S\\); expected 'id' \\(S\\); RANGE key is 'sk' \\(S\\); expected 'name' \\(S\\) .*createTable`,
      ),
    ),
    cause: expect.objectContaining({ name: 'ValidationException' }),
  });

describe('a table with another key schema: every library path says how it differs', () => {
  const store = () => new Dynastore({ client, tableName: otherSchema });
  const timing = { leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100 };

  it('kv: get, put, atomicPut, delete, list', async () => {
    const kv = store().partition('p');
    await expect(kv.get('k')).rejects.toEqual(mismatch());
    await expect(kv.put('k', 'v')).rejects.toEqual(mismatch());
    await expect(kv.atomicPut('k', 'v')).rejects.toEqual(mismatch());
    await expect(kv.delete('k')).rejects.toEqual(mismatch());
    await expect(kv.listPage({ prefix: 'a' })).rejects.toEqual(mismatch());
  });

  it('lock: acquire (at once, not after maxOutageMs), tryAcquire, holder; semaphore', async () => {
    const started = performance.now();
    await expect(store().lock('job', timing).acquire({ waitMs: 20_000 })).rejects.toEqual(mismatch());
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(store().lock('job', timing).tryAcquire()).rejects.toEqual(mismatch());
    await expect(store().lock('job', timing).holder()).rejects.toEqual(mismatch());
    await expect(
      store()
        .semaphore('sem', { ...timing, permits: 2 })
        .tryAcquire(),
    ).rejects.toEqual(mismatch());
  });

  it('election: campaign, leader(), observe(), run()', async () => {
    const election = store().election('e', timing);
    await expect(election.campaign('a', { waitMs: 20_000 })).rejects.toEqual(mismatch());
    await expect(election.leader()).rejects.toEqual(mismatch());
    await expect(firstValueFrom(election.observe())).rejects.toEqual(mismatch());
    await expect(
      election.run('a', { onStartedLeading: () => undefined, onNewLeader: () => undefined }),
    ).rejects.toEqual(mismatch());
  });

  it('watch and watchPrefix', async () => {
    const kv = store().partition('p');
    await expect(firstValueFrom(kv.watch('k'))).rejects.toEqual(mismatch());
    await expect(firstValueFrom(kv.watchPrefix('a'))).rejects.toEqual(mismatch());
  });
});

describe('errors name what is missing and where to set it', () => {
  it('a missing table: named, with the endpoint and region it was looked for at', async () => {
    const missing = `no-such-table-${Date.now().toString(36)}`;
    const kv = new Dynastore({ client, tableName: missing }).partition('p');
    const err = await kv.get('k').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ code: 'BACKEND', operation: 'GetItem' });
    const message = (err as Error).message;
    expect(message).toContain('ResourceNotFoundException'); // DynamoDB's own words stay
    expect(message).toContain(`table "${missing}" not found at ${endpoint}, region us-east-1`);
    expect(message).toContain('createTable');
    // the watch path (DescribeTable through the Streams poller) names it too
    const watched = await firstValueFrom(kv.watch('k')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(watched).toMatchObject({ code: 'BACKEND', operation: 'DescribeTable' });
    expect((watched as Error).message).toContain(`table "${missing}" not found at ${endpoint}`);
    // and a lock gives up at once, with the same message
    await expect(new Dynastore({ client, tableName: missing }).lock('l').acquire()).rejects.toMatchObject({
      message: expect.stringContaining(`table "${missing}" not found`),
    });
  });

  it('no region: says to set the client region option or AWS_REGION', async () => {
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const noRegion = new DynamoDBClient({
      endpoint,
      credentials: { accessKeyId: 'dynastore', secretAccessKey: 'local' },
    });
    try {
      const err = await new Dynastore({ client: noRegion, tableName: otherSchema })
        .partition('p')
        .get('k')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toMatchObject({ code: 'BACKEND' });
      expect((err as Error).message).toMatch(/Region is missing/);
      expect((err as Error).message).toContain("client's region option");
      expect((err as Error).message).toContain('AWS_REGION');
    } finally {
      noRegion.destroy();
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
  });
});
