import { describe, expect, it } from 'vitest';
import type { CallEvent, ChangeRecord } from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { BackendError, ValidationError } from '../../src/contract/errors/store.js';
import { StreamDisabledError, WatchCompactedError } from '../../src/contract/errors/watch.js';
import { defaultAttributeNames } from '../../src/contract/names.js';
import {
  createStreamFeed,
  type StreamFeed,
  type StreamPollOptions,
} from '../../src/dynamodb/streams/index.js';
import { awsError, deleteRecord, FakeStreams, putRecord } from './fake-streams.js';

function setup(options: Omit<StreamPollOptions, 'streamsClient'> = {}) {
  const fake = new FakeStreams();
  const clock = new VirtualClock();
  const events: CallEvent[] = [];
  const feed = createStreamFeed({
    client: fake.dynamoClient,
    streamsClient: fake.streamsClient,
    tableName: 't',
    names: defaultAttributeNames,
    clock,
    onCall: (e) => events.push(e),
    ...options,
  });
  return { fake, clock, feed, events };
}

function listen(feed: StreamFeed) {
  const got: ChangeRecord[] = [];
  const errors: Error[] = [];
  const sub = feed.subscribe(
    (changes) => got.push(...changes),
    (err) => errors.push(err),
  );
  sub.ready.catch(() => {});
  return { got, errors, sub, seen: () => got.map(label) };
}

function label(r: ChangeRecord): string {
  return r.type === 'put'
    ? `${r.key}@${r.item?.version}`
    : `${r.key}-del${r.cause === 'expiry' ? '(ttl)' : ''}`;
}

describe('DynamoDB Streams feed (scripted Streams API)', () => {
  it('positions every open shard at LATEST before ready, then delivers only later records', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1', { records: [putRecord('old', 1)] });
    fake.addShard('s0', { closed: true, records: [putRecord('older', 1)] });
    const l = listen(feed);
    await l.sub.ready;
    const iterators = fake.calls.filter((c) => c.op === 'GetShardIterator').map((c) => c.input);
    expect(iterators).toEqual([expect.objectContaining({ ShardId: 's1', ShardIteratorType: 'LATEST' })]);
    fake.write('s1', putRecord('a', 1), putRecord('a', 2), deleteRecord('a', 2));
    await clock.advance(10);
    expect(l.seen()).toEqual(['a@1', 'a@2', 'a-del']);
    expect(l.got[1]?.previous?.version).toBe(1);
    expect(l.errors).toEqual([]);
    l.sub.unsubscribe();
  });

  it('follows DescribeStream pages (LastEvaluatedShardId)', async () => {
    const { fake, clock, feed } = setup();
    fake.pageSize = 2;
    for (let i = 0; i < 5; i++) fake.addShard(`s${i}`);
    const l = listen(feed);
    await l.sub.ready;
    expect(fake.count('DescribeStream')).toBe(3);
    const starts = fake.calls
      .filter((c) => c.op === 'DescribeStream')
      .map((c) => c.input.ExclusiveStartShardId);
    expect(starts).toEqual([undefined, 's1', 's3']);
    for (let i = 0; i < 5; i++) fake.write(`s${i}`, putRecord(`k${i}`, 1));
    await clock.advance(10);
    expect(l.seen().sort()).toEqual(['k0@1', 'k1@1', 'k2@1', 'k3@1', 'k4@1']);
    l.sub.unsubscribe();
  });

  it('reads a parent to its end before its children, which start at TRIM_HORIZON', async () => {
    const { fake, clock, feed } = setup();
    fake.recordsPerCall = 2;
    fake.addShard('parent');
    const l = listen(feed);
    await l.sub.ready;
    // The parent gets 5 records (3 calls to drain), then splits; the children already hold newer records.
    fake.write(
      'parent',
      putRecord('a', 1),
      putRecord('b', 1),
      putRecord('a', 2),
      putRecord('b', 2),
      putRecord('a', 3),
    );
    fake.shards.get('parent')!.closed = true;
    fake.addShard('childA', { parentId: 'parent', records: [putRecord('a', 4), putRecord('a', 5)] });
    fake.addShard('childB', { parentId: 'parent', records: [putRecord('b', 3)] });
    await clock.advanceUntil(() => l.got.length === 8, 10_000);
    const seen = l.seen();
    expect(seen.filter((x) => x.startsWith('a'))).toEqual(['a@1', 'a@2', 'a@3', 'a@4', 'a@5']);
    expect(seen.filter((x) => x.startsWith('b'))).toEqual(['b@1', 'b@2', 'b@3']);
    // every parent record before any child record
    expect(seen.slice(0, 5)).toEqual(['a@1', 'b@1', 'a@2', 'b@2', 'a@3']);
    const childIterators = fake.calls
      .filter((c) => c.op === 'GetShardIterator' && String(c.input.ShardId).startsWith('child'))
      .map((c) => c.input.ShardIteratorType);
    expect(childIterators).toEqual(['TRIM_HORIZON', 'TRIM_HORIZON']);
    // the listing happened soon after the parent ended, not after the 60 s discovery period
    expect(clock.monotonic()).toBeLessThan(5_000);
    l.sub.unsubscribe();
  });

  it('holds back a child listed at start while its parent is still open', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('parent');
    fake.addShard('child', { parentId: 'parent', records: [putRecord('k', 2)] });
    const l = listen(feed);
    await l.sub.ready;
    fake.write('parent', putRecord('k', 1));
    await clock.advance(1_000);
    expect(l.seen()).toEqual(['k@1']);
    fake.shards.get('parent')!.closed = true;
    await clock.advanceUntil(() => l.got.length === 2, 5_000);
    expect(l.seen()).toEqual(['k@1', 'k@2']);
    l.sub.unsubscribe();
  });

  it('waits for children that DescribeStream lists late', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('parent');
    const l = listen(feed);
    await l.sub.ready;
    fake.write('parent', putRecord('k', 1));
    fake.shards.get('parent')!.closed = true;
    const child = fake.addShard('child', { parentId: 'parent', hidden: true, records: [putRecord('k', 2)] });
    await clock.advance(3_000);
    expect(l.seen()).toEqual(['k@1']);
    child.hidden = false;
    await clock.advanceUntil(() => l.got.length === 2, 5_000);
    expect(l.seen()).toEqual(['k@1', 'k@2']);
    l.sub.unsubscribe();
  });

  it('finds new shards without a known parent on the periodic listing', async () => {
    const { fake, clock, feed } = setup({ shardDiscoveryMs: 10_000 });
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    fake.addShard('s2', { records: [putRecord('new', 1)] });
    await clock.advance(5_000);
    expect(l.got).toEqual([]);
    await clock.advance(6_000);
    expect(l.seen()).toEqual(['new@1']);
    l.sub.unsubscribe();
  });

  it('lists shards again soon while the stream has no open shard (ENABLING)', async () => {
    const { fake, clock, feed } = setup();
    const l = listen(feed);
    await l.sub.ready;
    fake.addShard('s1', { records: [putRecord('k', 1)] });
    await clock.advanceUntil(() => l.got.length === 1, 3_000);
    expect(l.seen()).toEqual(['k@1']);
    l.sub.unsubscribe();
  });

  it('re-acquires an expired iterator after the last sequence number read: no loss, no repeat', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    fake.write('s1', putRecord('k', 1));
    await clock.advance(10);
    fake.expireIterators();
    fake.write('s1', putRecord('k', 2));
    await clock.advanceUntil(() => l.got.length === 2, 5_000);
    expect(l.seen()).toEqual(['k@1', 'k@2']);
    const last = fake.calls.filter((c) => c.op === 'GetShardIterator').at(-1)?.input;
    expect(last).toMatchObject({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' });
    expect(l.errors).toEqual([]);
    l.sub.unsubscribe();
  });

  it('re-reads from TRIM_HORIZON when an iterator expires before any record was read (never LATEST again)', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1', { records: [putRecord('before', 1)] });
    const l = listen(feed);
    await l.sub.ready;
    fake.expireIterators();
    fake.write('s1', putRecord('k', 1));
    await clock.advanceUntil(() => l.got.some((r) => r.key === 'k'), 5_000);
    const types = fake.calls.filter((c) => c.op === 'GetShardIterator').map((c) => c.input.ShardIteratorType);
    expect(types).toEqual(['LATEST', 'TRIM_HORIZON']);
    // the older record comes again; the watch layer de-duplicates it by version
    expect(l.seen()).toEqual(['before@1', 'k@1']);
    l.sub.unsubscribe();
  });

  it('paces throttled cycles, retries 5xx with backoff, reports every attempt, then slows down', async () => {
    const { fake, clock, feed, events } = setup();
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    fake.write('s1', putRecord('k', 1));
    fake.fail('GetRecords', awsError('LimitExceededException'), 2);
    fake.fail('GetRecords', awsError('InternalServerError', 500), 1);
    await clock.advanceUntil(() => l.got.length === 1, 10_000);
    expect(l.seen()).toEqual(['k@1']);
    const failed = events.filter((e) => e.operation === 'GetRecords' && e.error);
    expect(failed.map((e) => (e.error as Error).name)).toEqual([
      'LimitExceededException',
      'LimitExceededException',
      'InternalServerError',
    ]);
    expect(events.every((e) => e.table === 't')).toBe(true);
    // a throttled GetRecords is not retried at once: each throttled cycle doubled the pace (250,
    // then 500 ms), and every wait is at least half the pace
    const before = fake.count('GetRecords');
    await clock.advance(240);
    expect(fake.count('GetRecords')).toBe(before);
    expect(l.errors).toEqual([]);
    l.sub.unsubscribe();
  });

  it('gives up after retryForMs and hands listeners a retryable BackendError', async () => {
    const { fake, clock, feed } = setup({ retryForMs: 5_000 });
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    fake.fail('GetRecords', awsError('InternalServerError', 500), 1_000);
    await clock.advanceUntil(() => l.errors.length > 0, 20_000);
    expect(l.errors[0]).toBeInstanceOf(BackendError);
    expect((l.errors[0] as BackendError).retryable).toBe(true);
    expect(feed.listenerCount).toBe(0);
    await feed.idle();
    expect(clock.pendingTimers).toBe(0);
  });

  it('turns trimmed data into WatchCompactedError for every listener, never a silent jump', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1');
    const a = listen(feed);
    const b = listen(feed);
    await a.sub.ready;
    fake.write('s1', putRecord('k', 1));
    await clock.advance(10);
    fake.expireIterators();
    fake.shards.get('s1')!.trimmed = 1;
    await clock.advanceUntil(() => a.errors.length > 0, 5_000);
    for (const l of [a, b]) {
      expect(l.errors).toHaveLength(1);
      expect(l.errors[0]).toBeInstanceOf(WatchCompactedError);
      expect((l.errors[0] as WatchCompactedError).shardId).toBe('s1');
    }
    await feed.idle();
    // a new subscriber starts afresh
    const c = listen(feed);
    await c.sub.ready;
    expect(fake.count('DescribeTable')).toBe(2);
    c.sub.unsubscribe();
  });

  it('reports a persistent TrimmedDataAccessException from GetRecords as compaction too', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    fake.fail('GetRecords', awsError('TrimmedDataAccessException'), 4);
    await clock.advanceUntil(() => l.errors.length > 0, 5_000);
    expect(l.errors[0]).toBeInstanceOf(WatchCompactedError);
  });

  it('answers a spurious trim of a fresh position by re-reading, losing nothing (DynamoDB Local reports one when another table is created)', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    fake.write('s1', putRecord('k', 1));
    fake.fail('GetRecords', awsError('TrimmedDataAccessException'), 1);
    await clock.advanceUntil(() => l.got.length > 0, 5_000);
    expect(l.errors).toEqual([]);
    expect(l.seen()).toEqual(['k@1']);
  });

  it('fails with compaction when a position older than the retention is trimmed', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    clock.jumpWall(24 * 3600_000);
    fake.fail('GetRecords', awsError('TrimmedDataAccessException'), 1);
    await clock.advanceUntil(() => l.errors.length > 0, 5_000);
    expect(l.errors[0]).toBeInstanceOf(WatchCompactedError);
  });

  it('fails with StreamDisabledError naming createTable when the table has no stream', async () => {
    const { fake, feed } = setup();
    fake.table = {};
    const l = listen(feed);
    await expect(l.sub.ready).rejects.toBeInstanceOf(StreamDisabledError);
    expect(l.errors[0]).toBeInstanceOf(StreamDisabledError);
    expect(l.errors[0]?.message).toMatch(/createTable/);
    await feed.idle();
  });

  it('rejects a stream without old and new images', async () => {
    const { fake, feed } = setup();
    fake.table = {
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' },
      LatestStreamArn: 'arn',
    };
    const l = listen(feed);
    await expect(l.sub.ready).rejects.toThrow(/NEW_AND_OLD_IMAGES/);
  });

  it('marks TTL removals (userIdentity dynamodb.amazonaws.com) as expiry', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    fake.write(
      's1',
      putRecord('k', 1),
      deleteRecord('k', 1, { ttl: true }),
      putRecord('j', 1),
      deleteRecord('j', 1),
    );
    await clock.advance(10);
    expect(l.seen()).toEqual(['k@1', 'k-del(ttl)', 'j@1', 'j-del']);
    l.sub.unsubscribe();
  });

  it('shares one poller: 1 000 listeners cost the same GetRecords calls as one', async () => {
    const count = async (listeners: number) => {
      const { fake, clock, feed } = setup();
      fake.addShard('s1');
      fake.addShard('s2');
      const ls = Array.from({ length: listeners }, () => listen(feed));
      await Promise.all(ls.map((l) => l.sub.ready));
      for (let i = 1; i <= 20; i++) {
        fake.write(i % 2 ? 's1' : 's2', putRecord(`k${i}`, 1));
        await clock.advance(300);
      }
      await clock.advance(5_000);
      expect(ls.every((l) => l.got.length === 20)).toBe(true);
      for (const l of ls) l.sub.unsubscribe();
      return { getRecords: fake.count('GetRecords'), other: fake.calls.length - fake.count('GetRecords') };
    };
    const one = await count(1);
    const many = await count(1_000);
    expect(many).toEqual(one);
    expect(one.other).toBe(4); // DescribeTable, DescribeStream, 2 x GetShardIterator
  });

  it('polls fast while records flow and backs off to idlePollIntervalMs when idle', async () => {
    const { fake, clock, feed } = setup({ pollIntervalMs: 250, idlePollIntervalMs: 1_000 });
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    await clock.advance(10_000);
    const idle = fake.count('GetRecords');
    // 0, 500, 1500, then every 1000 ms
    expect(idle).toBeGreaterThanOrEqual(10);
    expect(idle).toBeLessThanOrEqual(12);
    const start = fake.count('GetRecords');
    for (let i = 1; i <= 8; i++) {
      fake.write('s1', putRecord('k', i));
      await clock.advance(250);
    }
    expect(fake.count('GetRecords') - start).toBeGreaterThanOrEqual(6);
    l.sub.unsubscribe();
  });

  it('lingers after the last listener leaves, is reused by a quick re-subscribe, then stops cleanly', async () => {
    const { fake, clock, feed } = setup({ lingerMs: 2_000 });
    fake.addShard('s1');
    const a = listen(feed);
    await a.sub.ready;
    a.sub.unsubscribe();
    await clock.advance(1_000);
    expect(feed.polling).toBe(true);
    const b = listen(feed);
    await b.sub.ready;
    expect(fake.count('DescribeTable')).toBe(1);
    b.sub.unsubscribe();
    await clock.advance(1_999);
    expect(feed.polling).toBe(true);
    const calls = fake.calls.length;
    await clock.advance(10);
    await feed.idle();
    expect(feed.polling).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    expect(fake.inFlight).toBe(0);
    await clock.advance(10_000);
    expect(fake.calls.length).toBeLessThanOrEqual(calls + 1);
  });

  it('aborts a request in flight when it stops', async () => {
    const { fake, clock, feed } = setup({ lingerMs: 0 });
    fake.addShard('s1');
    const l = listen(feed);
    await l.sub.ready;
    fake.hang('GetRecords');
    await clock.advance(10);
    expect(fake.inFlight).toBe(1);
    l.sub.unsubscribe();
    await feed.idle();
    expect(fake.inFlight).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(l.errors).toEqual([]);
  });

  it('removes a listener that throws and hands it its own exception', async () => {
    const { fake, clock, feed } = setup();
    fake.addShard('s1');
    const errors: Error[] = [];
    const bad = feed.subscribe(
      () => {
        throw new Error('boom');
      },
      (err) => errors.push(err),
    );
    const good = listen(feed);
    await bad.ready;
    fake.write('s1', putRecord('k', 1), putRecord('k', 2));
    await clock.advance(10);
    fake.write('s1', putRecord('k', 3));
    await clock.advance(1_000);
    expect(errors.map((e) => e.message)).toEqual(['boom']);
    expect(good.seen()).toEqual(['k@1', 'k@2', 'k@3']);
    expect(feed.listenerCount).toBe(1);
    good.sub.unsubscribe();
  });

  it('rejects unknown and invalid options', () => {
    const fake = new FakeStreams();
    const base = { client: fake.dynamoClient, tableName: 't', names: defaultAttributeNames };
    expect(() => createStreamFeed({ ...base, pollMs: 5 } as never)).toThrow(ValidationError);
    expect(() => createStreamFeed({ ...base, pollIntervalMs: 0 })).toThrow(ValidationError);
    expect(() => createStreamFeed({ ...base, pollIntervalMs: 2_000, idlePollIntervalMs: 1_000 })).toThrow(
      /idlePollIntervalMs/,
    );
    expect(() => createStreamFeed({ ...base, idlePollIntervalMs: 3_600_000 })).toThrow(ValidationError);
  });
});
