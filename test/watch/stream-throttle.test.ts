import { type DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { defaultAttributeNames } from '../../src/contract/names.js';
import { createStreamFeed } from '../../src/dynamodb/streams/index.js';
import { awsError, FakeStreams, putRecord } from './fake-streams.js';

/**
 * DynamoDB Streams' per-shard read limit in front of the scripted endpoint: at most `perSecond`
 * GetRecords calls in any second (virtual clock), across every reader; the rest are refused with
 * LimitExceededException, as AWS does.
 */
function shardLimit(fake: FakeStreams, clock: VirtualClock, perSecond: number) {
  const served: number[] = [];
  const stats = { attempts: [] as number[], throttled: 0 };
  const client = {
    send: async (cmd: unknown, options?: { abortSignal?: AbortSignal }) => {
      if (cmd instanceof GetRecordsCommand) {
        const now = clock.monotonic();
        stats.attempts.push(now);
        while (served.length > 0 && (served[0] as number) <= now - 1_000) served.shift();
        if (served.length >= perSecond) {
          stats.throttled++;
          throw awsError('LimitExceededException');
        }
        served.push(now);
      }
      return (fake.streamsClient.send as (c: unknown, o?: unknown) => Promise<unknown>)(cmd, options);
    },
  } as unknown as DynamoDBStreamsClient;
  return { client, stats };
}

describe('Streams poller under the per-shard read limit (5 GetRecords/s across readers)', () => {
  it('20 readers settle near the limit (no retry storm), report themselves behind, keep every change', async () => {
    const fake = new FakeStreams();
    fake.addShard('s1');
    const clock = new VirtualClock();
    const limit = shardLimit(fake, clock, 5);
    const readers = Array.from({ length: 20 }, () => {
      const feed = createStreamFeed({
        client: fake.dynamoClient,
        streamsClient: limit.client,
        tableName: 't',
        names: defaultAttributeNames,
        clock,
      });
      const r = { feed, got: [] as string[], errors: [] as Error[], health: [] as boolean[] };
      const sub = feed.subscribe(
        (changes) => r.got.push(...changes.map((c) => `${c.key}@${c.item?.version}`)),
        (err) => r.errors.push(err),
        (healthy) => r.health.push(healthy),
      );
      sub.ready.catch(() => {});
      return { ...r, sub };
    });
    await clock.advance(10);
    for (let i = 1; i <= 12; i++) {
      fake.write('s1', putRecord('k', i));
      await clock.advance(10_000);
    }
    const window = (from: number, to: number) =>
      limit.stats.attempts.filter((at) => at >= from && at < to).length / ((to - from) / 1_000);
    const settled = window(60_000, 120_000);
    console.info('[20 readers, 5 GetRecords/s per shard]', {
      firstTenSecondsPerSecond: window(0, 10_000),
      settledPerSecond: settled,
      throttledShare: limit.stats.throttled / limit.stats.attempts.length,
    });
    // without pacing: 20 readers at the idle pace (1/s each) plus their retries, about 25/s
    expect(settled).toBeLessThan(12);
    // late (a reader may be paced at up to 30 s and throttled again), never lost
    const caughtUp = await clock.advanceUntil(() => readers.every((r) => r.got.length >= 12), 300_000, 1_000);
    if (!caughtUp)
      console.info(readers.map((r) => [r.got.length, r.errors.map((e) => e.message), r.health.join()]));
    expect(caughtUp).toBe(true);
    for (const r of readers) {
      expect(r.errors).toEqual([]);
      expect(r.health).toContain(false); // told the waiters it lagged
      expect(r.got).toEqual(Array.from({ length: 12 }, (_, i) => `k@${i + 1}`)); // late, never lost
      r.sub.unsubscribe();
    }
    await clock.advance(5_000);
    for (const r of readers) await r.feed.idle();
  });

  it('keeps its busy pace while a lock waiter (a listener with onHealth) listens: renewals reach it promptly', async () => {
    const fake = new FakeStreams();
    fake.addShard('s1');
    const clock = new VirtualClock();
    const feed = createStreamFeed({
      client: fake.dynamoClient,
      streamsClient: fake.streamsClient,
      tableName: 't',
      names: defaultAttributeNames,
      clock,
    });
    const watcher = feed.subscribe(
      () => {},
      () => {},
    );
    await watcher.ready;
    await clock.advance(5_000);
    let before = fake.count('GetRecords');
    await clock.advance(10_000);
    const idle = fake.count('GetRecords') - before;
    const waiter = feed.subscribe(
      () => {},
      () => {},
      () => {},
    );
    await clock.advance(1_000);
    before = fake.count('GetRecords');
    await clock.advance(10_000);
    const prompt = fake.count('GetRecords') - before;
    expect(idle).toBeLessThanOrEqual(11); // idle pace: 1/s
    expect(prompt).toBeGreaterThanOrEqual(39); // busy pace: every 250 ms
    waiter.unsubscribe();
    watcher.unsubscribe();
    await clock.advance(5_000);
    await feed.idle();
  });

  it('one reader: healthy again once throttling stops and its pace is back to the idle one', async () => {
    const fake = new FakeStreams();
    fake.addShard('s1');
    const clock = new VirtualClock();
    const feed = createStreamFeed({
      client: fake.dynamoClient,
      streamsClient: fake.streamsClient,
      tableName: 't',
      names: defaultAttributeNames,
      clock,
    });
    const health: boolean[] = [];
    const sub = feed.subscribe(
      () => {},
      () => {},
      (healthy) => health.push(healthy),
    );
    await sub.ready;
    fake.fail('GetRecords', awsError('LimitExceededException'), 3);
    await clock.advance(200);
    expect(health).toEqual([false]);
    await clock.advance(30_000);
    expect(health).toEqual([false, true]);
    const before = fake.count('GetRecords');
    await clock.advance(60_000);
    expect(fake.count('GetRecords') - before).toBeGreaterThanOrEqual(55); // back to its idle pace, 1/s
    sub.unsubscribe();
    await clock.advance(5_000);
    await feed.idle();
  });
});
