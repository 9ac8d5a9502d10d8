import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, ChangeFeed } from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { FaultyBackend } from '../lock/support/sim.js';
import { dynamoEndpoint } from '../support/dynamo.js';

// Issue 21 item 2: election.run's onNewLeader follows the change feed; when the feed fails the
// run must not go on silently without it: it ends with the feed's error (after resigning and
// onStoppedLeading).

const timing = { leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100 };

/** `inner`, with a change feed that fails `afterMs` (virtual) after it is subscribed. */
function withFailingFeed(inner: Backend, clock: VirtualClock, afterMs: number, error: Error): Backend {
  const feed: ChangeFeed = {
    subscribe: (_onChanges, onError) => {
      const timer = clock.setTimeout(() => onError(error), afterMs);
      return { ready: Promise.resolve(), unsubscribe: () => timer.cancel() };
    },
  };
  return new (class extends FaultyBackend {
    override changes(): ChangeFeed {
      return feed;
    }
  })(inner, clock);
}

let endpoint: string;
beforeAll(async () => {
  endpoint = await dynamoEndpoint(); // starts the run's DynamoDB Local if no file has yet
});

describe('election.run with onNewLeader when the change feed fails', () => {
  it('memory backend: a feed failing while this process leads ends the run with that error, after resigning', async () => {
    const clock = new VirtualClock(Date.now());
    const memory = new MemoryBackend({ clock });
    const boom = new Error('the feed broke');
    const store = new Dynastore({ backend: withFailingFeed(memory, clock, 2_000, boom), clock });
    const calls: string[] = [];
    let settled: { error?: unknown; value?: unknown } | undefined;
    store
      .election('feed-fails', timing)
      .run('node-1', {
        onStartedLeading: (signal) =>
          new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
        onStoppedLeading: () => {
          calls.push('stopped');
        },
        onNewLeader: (id) => {
          calls.push(`new:${id}`);
        },
      })
      .then(
        (value) => {
          settled = { value };
        },
        (error: unknown) => {
          settled = { error };
        },
      );
    await clock.advance(1_000);
    expect(settled).toBeUndefined(); // leading, notified
    expect(calls).toEqual(['new:node-1']);
    await clock.advance(1_500);
    expect(settled).toEqual({ error: boom });
    expect(calls).toEqual(['new:node-1', 'stopped']);
    // it resigned: nobody leads
    expect(
      await new Dynastore({ backend: memory, clock }).election('feed-fails', timing).leader(),
    ).toBeUndefined();
  });

  it('without onNewLeader the feed is not followed, and its failure does not end the run', async () => {
    const clock = new VirtualClock(Date.now());
    const memory = new MemoryBackend({ clock });
    const store = new Dynastore({ backend: withFailingFeed(memory, clock, 10, new Error('x')), clock });
    const stop = new AbortController();
    const run = store.election('no-follow', timing).run(
      'node-1',
      {
        onStartedLeading: (signal) => new Promise<void>((r) => signal.addEventListener('abort', () => r())),
      },
      { signal: stop.signal },
    );
    await clock.advance(2_000);
    stop.abort();
    await clock.advance(10);
    expect(await run).toMatchObject({ ended: 'aborted' });
  });

  it('DynamoDB Local, a table without a stream: the run rejects with StreamDisabledError', async () => {
    const client = localDynamoClient(endpoint);
    const tableName = `run-no-stream-${Date.now().toString(36)}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'id', KeyType: 'HASH' },
          { AttributeName: 'name', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'name', AttributeType: 'S' },
        ],
      }),
    );
    try {
      const store = new Dynastore({ client, tableName });
      let stopped = 0;
      const started = performance.now();
      const run = store.election('no-stream', timing).run('node-1', {
        onStartedLeading: (signal) => new Promise<void>((r) => signal.addEventListener('abort', () => r())),
        onStoppedLeading: () => {
          stopped++;
        },
        onNewLeader: () => undefined,
      });
      await expect(run).rejects.toMatchObject({ name: 'StreamDisabledError', tableName });
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(stopped).toBe(1);
      expect(await store.election('no-stream', timing).leader()).toBeUndefined();
    } finally {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    }
  });
});
