import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, CallEvent } from '../../src/contract/backend.js';
import { systemClock } from '../../src/contract/clock/system.js';
import { StreamDisabledError } from '../../src/contract/errors/watch.js';
import { defaultAttributeNames } from '../../src/contract/names.js';
import { DynamoBackend } from '../../src/dynamodb/backend.js';
import { createStreamFeed, type StreamFeed } from '../../src/dynamodb/streams/index.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { Partition } from '../../src/facade/partition.js';
import { watchKey, watchPrefix } from '../../src/watch/index.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { collect, until, withFeed } from './support.js';

let table: DynamoTable;
let calls: CallEvent[];
let feed: StreamFeed;
let backend: Backend;
let store: Dynastore;
const clock = systemClock;

beforeAll(async () => {
  // 1 000 watchers read their snapshots at once: 50 sockets, the rest queue, as intended here;
  // the SDK's warning about queued requests (after 3 s by default) would only be noise.
  table = await useDynamoTable({ client: { requestHandler: { socketAcquisitionWarningTimeout: 60_000 } } });
  calls = [];
  const dynamo = new DynamoBackend({
    client: table.client,
    tableName: table.tableName,
    names: defaultAttributeNames,
  });
  feed = createStreamFeed({
    client: table.client,
    tableName: table.tableName,
    names: defaultAttributeNames,
    clock,
    onCall: (e) => calls.push(e),
    pollIntervalMs: 50,
    idlePollIntervalMs: 100,
    lingerMs: 100,
  });
  backend = withFeed(dynamo, feed);
  store = new Dynastore({ backend, clock });
});

afterAll(async () => {
  if (feed?.listenerCount === 0) await feed.idle();
  await table?.cleanup();
});

const deps = () => ({ backend, clock });
let n = 0;
/** A fresh partition per test: tests share the table. */
function fresh(): { name: string; kv: Partition } {
  const name = `p${++n}`;
  return { name, kv: store.partition(name) };
}

describe('watch on DynamoDB Local', () => {
  it('emits the snapshot, then every change in order', async () => {
    const { name, kv } = fresh();
    await kv.put('a', 'x');
    const w = collect(watchKey(deps(), name, 'a'));
    await until(() => w.events.length === 1);
    await kv.put('a', 'y');
    await kv.put('a', 'z');
    await kv.delete('a');
    await kv.put('a', 'again');
    await until(() => w.events.length === 5, 5_000, 'five events');
    expect(w.labels()).toEqual([
      'a=x@1 snapshot',
      'a=y@2 write (was x@1)',
      'a=z@3 write (was y@2)',
      'a gone write (was z@3)',
      'a=again@1 write',
    ]);
    w.sub.unsubscribe();
  });

  it('scopes a prefix watch to its prefix and partition', async () => {
    const { name, kv } = fresh();
    const other = fresh().kv;
    await kv.put('jobs/1', 'a');
    await kv.put('jobz', 'not mine');
    const w = collect(watchPrefix(deps(), name, 'jobs/'));
    await until(() => w.events.length === 1);
    await other.put('jobs/1', 'other partition');
    await kv.put('jobs0', 'not mine either');
    await kv.put('jobs/2', 'b');
    await kv.delete('jobs/1');
    await kv.delete('jobs/nothing'); // a no-op: nothing is emitted
    await kv.put('jobs/2', 'bb');
    await until(() => w.events.length === 4, 5_000, 'four events');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(w.labels()).toEqual([
      'jobs/1=a@1 snapshot',
      'jobs/2=b@1 write',
      'jobs/1 gone write (was a@1)',
      'jobs/2=bb@2 write (was b@1)',
    ]);
    w.sub.unsubscribe();
  });

  it('reports an absent key, and expiry when expires passes', async () => {
    const { name, kv } = fresh();
    const w = collect(watchKey(deps(), name, 'lease'));
    await until(() => w.events.length === 1);
    const pair = await kv.put('lease', 'held', { ttlMs: 1_000 });
    await until(() => w.events.length === 3, 5_000, 'expiry');
    expect(w.labels()).toEqual([
      'lease gone snapshot',
      'lease=held@1 write',
      'lease gone expiry (was held@1)',
    ]);
    expect(Date.now()).toBeGreaterThanOrEqual(pair.expiresAt!.getTime());
    w.sub.unsubscribe();
  });

  it('loses nothing and repeats nothing while writers race the snapshot', async () => {
    const { name, kv } = fresh();
    await kv.put('hot', '0');
    let writing = true;
    let last = 1;
    const writers = Array.from({ length: 3 }, async () => {
      while (writing) last = Math.max(last, (await kv.put('hot', 'v')).version);
    });
    const watchers = [];
    for (let i = 0; i < 6; i++) {
      watchers.push(collect(watchKey(deps(), name, 'hot')));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // enough writes to have raced the snapshots, however slow the machine is today
    await until(() => last > 10, 20_000, 'ten writes');
    writing = false;
    await Promise.all(writers);
    for (const w of watchers) {
      await until(() => w.events.at(-1)?.pair?.version === last, 10_000, `version ${last}`);
      const versions = w.events.map((e) => e.pair?.version ?? -1);
      expect(w.events[0]?.cause).toBe('snapshot');
      expect(w.errors).toEqual([]);
      // consecutive versions from the snapshot on: no gap, no duplicate
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, k) => versions[0]! + k));
      w.sub.unsubscribe();
    }
    expect(last).toBeGreaterThan(10);
  });

  it('serves 1 000 watchers with the GetRecords calls of one', async () => {
    const { name, kv } = fresh();
    await feed.idle();
    const windowMs = 600;
    const getRecords = () => calls.filter((c) => c.operation === 'GetRecords').length;
    const measure = async (watchers: number) => {
      const before = calls.length;
      const ws = Array.from({ length: watchers }, (_, i) => collect(watchKey(deps(), name, `k${i % 10}`)));
      await until(() => ws.every((w) => w.events.length === 1), 10_000, 'snapshots');
      const start = getRecords();
      await kv.put('k0', 'x');
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      const used = getRecords() - start;
      await until(
        () => ws.filter((_, i) => i % 10 === 0).every((w) => w.events.length === 2),
        5_000,
        'the change',
      );
      const setup = calls
        .slice(before)
        .filter((c) => c.operation !== 'GetRecords')
        .map((c) => c.operation);
      for (const w of ws) w.sub.unsubscribe();
      await feed.idle();
      return { used, setup };
    };
    const one = await measure(1);
    const many = await measure(1_000);
    // one poller: the same single DescribeTable/DescribeStream/GetShardIterator start-up...
    expect(many.setup.filter((op) => op === 'DescribeTable')).toHaveLength(1);
    expect(many.setup.filter((op) => op !== 'GetItem')).toEqual(one.setup.filter((op) => op !== 'GetItem'));
    // ...and its cadence: at most one GetRecords per 50 ms poll whatever the number of watchers
    expect(one.used).toBeGreaterThan(0);
    expect(many.used).toBeLessThanOrEqual(one.used + 2);
    expect(many.used).toBeLessThanOrEqual(windowMs / 50 + 1);
  });

  it('leaves nothing running once the last watcher unsubscribes', async () => {
    const { name, kv } = fresh();
    await feed.idle();
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const ws = [collect(watchKey(deps(), name, 'a')), collect(watchPrefix(deps(), name, ''))];
    await until(() => ws[0]!.events.length === 1); // (an empty prefix has no snapshot event)
    await kv.put('a', 'x', { ttlMs: 60_000 });
    await until(() => ws.every((w) => w.events.some((e) => e.type === 'put')));
    expect(feed.polling).toBe(true);
    for (const w of ws) w.sub.unsubscribe();
    await feed.idle();
    expect(feed.polling).toBe(false);
    expect(feed.listenerCount).toBe(0);
    const count = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls.length).toBe(count);
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
  });

  it('fails with StreamDisabledError naming createTable on a table without a stream', async () => {
    const bare = `${table.tableName}-bare`;
    await table.client.send(
      new CreateTableCommand({
        TableName: bare,
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'name', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'id', KeyType: 'HASH' },
          { AttributeName: 'name', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    try {
      const names = defaultAttributeNames;
      const dynamo = new DynamoBackend({ client: table.client, tableName: bare, names });
      const bareFeed = createStreamFeed({ client: table.client, tableName: bare, names, clock, lingerMs: 0 });
      const w = collect(watchKey({ backend: withFeed(dynamo, bareFeed), clock }, 'p', 'a'));
      await until(() => w.errors.length === 1);
      expect(w.errors[0]).toBeInstanceOf(StreamDisabledError);
      expect((w.errors[0] as Error).message).toMatch(/createTable/);
      expect(w.events).toEqual([]);
      await bareFeed.idle();
    } finally {
      await table.client.send(new DeleteTableCommand({ TableName: bare }));
    }
  });
});
