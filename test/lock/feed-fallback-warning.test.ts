import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Backend, ChangeFeed } from '../../src/contract/backend.js';
import type { Clock } from '../../src/contract/clock/types.js';
import { WarningCode } from '../../src/contract/warn.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { Lease } from '../../src/lock/lease.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { dynamoEndpoint } from '../support/dynamo.js';
import { FaultyBackend, settle, simulation } from './support/sim.js';

// Issue 21 item 1: lock waiters whose change feed cannot start keep their promise by polling the
// table, and say so (a process warning), instead of falling back silently.

let warnings: Error[];
const onWarning = (w: Error) => warnings.push(w);
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});
const fallbacks = () => warnings.filter((w) => (w as { code?: string }).code === WarningCode.FeedFallback);

/** A store over `inner` whose change feed is `feed`. */
function storeWithFeed(inner: Backend, clock: Clock, feed: ChangeFeed) {
  const backend = new (class extends FaultyBackend {
    override changes(): ChangeFeed {
      return feed;
    }
  })(inner, clock);
  return { backend, store: new Dynastore({ backend, clock }) };
}

/** Fails as soon as it is subscribed, as a table without a stream does. */
const failingFeed: ChangeFeed = {
  subscribe: (_onChanges, onError) => {
    const ready = Promise.reject(new Error('no stream here'));
    ready.catch(() => undefined);
    queueMicrotask(() => onError(new Error('no stream here')));
    return { ready, unsubscribe: () => undefined };
  },
};

const timing = { leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100, pollMs: 100 };
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

let endpoint: string;
beforeAll(async () => {
  endpoint = await dynamoEndpoint(); // starts the run's DynamoDB Local if no file has yet
});

describe('a lock waiter whose change feed fails polls, and says so', () => {
  it('memory backend: one DynastoreWarning per reason, naming the reason; the waiter still gets the lock', async () => {
    const sim = simulation();
    const holder = await sim.store().store.lock('job', timing).acquire();
    const p = storeWithFeed(sim.memory, sim.clock, failingFeed);
    const first = settle(p.store.lock('job', timing).acquire());
    const second = settle(
      p.store
        .lock('other', timing)
        .acquire({ waitMs: 0 })
        .catch(() => undefined),
    );
    await sim.clock.advance(500);
    await tick();
    expect(fallbacks()).toHaveLength(1);
    expect(fallbacks()[0]).toMatchObject({ name: 'DynastoreWarning' });
    expect(fallbacks()[0]?.message).toContain('no stream here');
    expect(fallbacks()[0]?.message).toContain('poll');
    // another lock (another partition key) whose waiter meets the same reason: not said again
    const blocker = await sim.store().store.lock('job2', timing).acquire({ waitMs: 0 });
    const again = settle(p.store.lock('job2', timing).acquire());
    await sim.clock.advance(500);
    await tick();
    expect(fallbacks()).toHaveLength(1);
    await holder.release();
    expect(await sim.clock.advanceUntil(() => first.done, 5_000, 10)).toBe(true);
    await (first.value as Lease).release();
    expect(second.done).toBe(true);
    await blocker.release();
    expect(await sim.clock.advanceUntil(() => again.done, 5_000, 10)).toBe(true);
    await (again.value as Lease | undefined)?.release();
  });

  it('a waiter that never needed the feed, or gave up on it itself, warns nothing', async () => {
    const sim = simulation();
    const p = storeWithFeed(sim.memory, sim.clock, failingFeed);
    const lease = await p.store.lock('free', timing).acquire(); // granted at once: no waiting, no feed
    await sim.clock.advance(500);
    await tick();
    await lease.release();
    expect(fallbacks()).toEqual([]);
  });

  it('DynamoDB Local, a table without a stream: the waiter warns, polls, and is granted on release', async () => {
    const client = localDynamoClient(endpoint);
    const tableName = `no-stream-${Date.now().toString(36)}`;
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
      const a = new Dynastore({ client, tableName });
      const b = new Dynastore({ client, tableName });
      const holder = await a.lock('job', timing).acquire();
      const waiting = b.lock('job', timing).acquire({ waitMs: 10_000 });
      const deadline = Date.now() + 10_000;
      while (fallbacks().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(fallbacks()).toHaveLength(1);
      expect(fallbacks()[0]?.message).toMatch(/has no DynamoDB stream/);
      await holder.release();
      const lease = await waiting;
      expect(lease.token).toBeGreaterThan(holder.token);
      await lease.release();
    } finally {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    }
  });
});
