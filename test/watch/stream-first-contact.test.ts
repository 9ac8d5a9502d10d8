import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { BackendError } from '../../src/contract/errors/store.js';
import { defaultAttributeNames } from '../../src/contract/names.js';
import { FIRST_CONTACT_MS } from '../../src/dynamodb/streams/feed.js';
import { createStreamFeed } from '../../src/dynamodb/streams/index.js';
import { awsError, FakeStreams, putRecord } from './fake-streams.js';

// The first-contact limit (issue 21 item 1) is about silence: a Streams endpoint that never
// answered fails the feed within FIRST_CONTACT_MS; one that answers, even with throttling or a
// 5xx, is retried for retryForMs as before; and once positioned, outages get retryForMs.

function setup() {
  const fake = new FakeStreams();
  fake.addShard('s1');
  const clock = new VirtualClock();
  const feed = createStreamFeed({
    client: fake.dynamoClient,
    streamsClient: fake.streamsClient,
    tableName: 't',
    names: defaultAttributeNames,
    clock,
    retryForMs: 60_000,
  });
  const errors: Error[] = [];
  let ready = false;
  const sub = feed.subscribe(
    () => undefined,
    (err) => errors.push(err),
  );
  sub.ready.then(
    () => {
      ready = true;
    },
    () => undefined,
  );
  return { fake, clock, feed, errors, sub, isReady: () => ready };
}

/** A connect failure as the Node HTTP handler raises it. */
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', syscall: 'connect' });

describe('DynamoDB Streams feed: the first-contact limit', () => {
  it('an endpoint that never answers fails the feed within FIRST_CONTACT_MS, saying the stream was never reached', async () => {
    const { fake, clock, errors } = setup();
    fake.fail('DescribeStream', refused(), 1_000);
    await clock.advanceUntil(() => errors.length > 0, 60_000, 50);
    expect(clock.monotonic()).toBeLessThanOrEqual(FIRST_CONTACT_MS);
    expect(errors[0]).toBeInstanceOf(BackendError);
    expect(errors[0]).toMatchObject({ operation: 'DescribeStream', unreachable: true });
    expect(errors[0]?.message).toContain('the stream was never reached');
    expect(errors[0]?.message).toContain('AWS_ENDPOINT_URL_DYNAMODB_STREAMS');
  });

  it('an endpoint that answers with throttling or 5xx is retried past FIRST_CONTACT_MS, and positions', async () => {
    const { fake, clock, errors, isReady } = setup();
    fake.fail('DescribeStream', awsError('LimitExceededException'), 16); // over 8 s of backoff waits
    fake.fail('GetShardIterator', awsError('InternalServerError', 500), 3);
    await clock.advanceUntil(isReady, 60_000, 50);
    expect(errors).toEqual([]);
    expect(isReady()).toBe(true);
    expect(clock.monotonic()).toBeGreaterThan(FIRST_CONTACT_MS);
  });

  it('once positioned, a dead endpoint is retried for retryForMs, not FIRST_CONTACT_MS', async () => {
    const { fake, clock, errors, isReady, sub } = setup();
    await clock.advanceUntil(isReady, 5_000, 10);
    fake.write('s1', putRecord('a', 1));
    const positionedAt = clock.monotonic();
    fake.fail('GetRecords', refused(), 10_000);
    await clock.advance(FIRST_CONTACT_MS * 3);
    expect(errors).toEqual([]);
    await clock.advanceUntil(() => errors.length > 0, 120_000, 100);
    expect(clock.monotonic() - positionedAt).toBeGreaterThan(50_000);
    expect(errors[0]?.message).not.toContain('the stream was never reached');
    sub.unsubscribe();
  });
});

describe('DynamoDB Streams feed: a listener whose error handler throws', () => {
  it("others still get the error, and the handler's exception is rethrown (uncaught), not swallowed", async () => {
    const { fake, clock, feed, errors } = setup();
    const bug = new Error('bug in an error handler');
    const sub = feed.subscribe(
      () => undefined,
      () => {
        throw bug;
      },
    );
    sub.ready.catch(() => undefined);
    const uncaught: unknown[] = [];
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      fake.fail('DescribeStream', refused(), 1_000);
      await clock.advanceUntil(() => errors.length > 0, 60_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
    expect(errors).toHaveLength(1);
    expect(uncaught).toEqual([bug]);
  });
});
