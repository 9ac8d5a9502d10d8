import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import { BackendError, LeaseLostError } from '../../src/contract/errors/index.js';
import { wrapAwsError } from '../../src/dynamodb/errors.js';
import { describeThrottle, throttleReasonsOf } from '../../src/dynamodb/throttle.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { startThrottleProxy, type ThrottleAnswer, type ThrottleProxy } from '../support/throttle-proxy.js';

const ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/t';
const HOT_KEY: ThrottleAnswer = {
  type: 'ProvisionedThroughputExceededException',
  reasons: [{ reason: 'TableWriteKeyRangeThroughputExceeded', resource: ARN }],
};

describe('throttling reasons, read from the AWS wire format', () => {
  let t: DynamoTable;
  let proxy: ThrottleProxy;
  beforeAll(async () => {
    t = await useDynamoTable();
    proxy = await startThrottleProxy(t.endpoint);
  });
  afterAll(async () => {
    await proxy.close();
    await t.cleanup();
  });

  const storeVia = (events: CallEvent[], maxAttempts = 2) =>
    new Dynastore({
      client: localDynamoClient(proxy.endpoint, { maxAttempts }),
      tableName: t.tableName,
      onCall: (e) => events.push(e),
    });

  it('a throttled write that gives up is a BackendError with the reasons, and says which limit', async () => {
    const events: CallEvent[] = [];
    proxy.throttle = (op) => (op === 'UpdateItem' ? HOT_KEY : undefined);
    try {
      const err = await storeVia(events)
        .partition('p')
        .put('k', 'v')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      const b = err as BackendError;
      expect(b.throttled).toBe(true);
      expect(b.retryable).toBe(true);
      expect(b.throttleReasons).toEqual(['TableWriteKeyRangeThroughputExceeded']);
      expect(b.message).toMatch(/TableWriteKeyRangeThroughputExceeded/);
      expect(b.message).toMatch(/one partition key value/);
      // onCall: the one call, with both throttled attempts' reasons (maxAttempts 2)
      const update = events.filter((e) => e.operation === 'UpdateItem');
      expect(update).toHaveLength(1);
      expect(update[0]?.throttleReasons).toEqual([
        'TableWriteKeyRangeThroughputExceeded',
        'TableWriteKeyRangeThroughputExceeded',
      ]);
      expect((update[0]?.error as Error | undefined)?.name).toBe('ProvisionedThroughputExceededException');
    } finally {
      proxy.throttle = undefined;
    }
  });

  it("reads ThrottlingException's lowercase member and answers without reasons", async () => {
    const events: CallEvent[] = [];
    proxy.throttle = (op) =>
      op === 'GetItem'
        ? {
            type: 'ThrottlingException',
            member: 'throttlingReasons',
            reasons: [{ reason: 'TableReadAccountLimitExceeded', resource: ARN }],
          }
        : op === 'Query'
          ? { type: 'RequestLimitExceeded' }
          : undefined;
    try {
      const store = storeVia(events, 1);
      const get = (await store
        .partition('p')
        .get('k')
        .catch((e: unknown) => e)) as BackendError;
      expect(get.throttleReasons).toEqual(['TableReadAccountLimitExceeded']);
      expect(get.message).toMatch(/per-table throughput quota/);
      const list = (await store
        .partition('p')
        .listPage()
        .catch((e: unknown) => e)) as BackendError;
      expect(list).toBeInstanceOf(BackendError);
      expect(list.throttled).toBe(true);
      expect(list.throttleReasons).toEqual([]);
      expect(list.message).toMatch(/named no throttling reason/);
      expect(events.find((e) => e.operation === 'Query')?.throttleReasons).toEqual([]);
    } finally {
      proxy.throttle = undefined;
    }
  });

  it('a call that the SDK retried past a throttle succeeds, and onCall still reports the throttle', async () => {
    const events: CallEvent[] = [];
    let once = true;
    proxy.throttle = (op) => {
      if (op !== 'UpdateItem' || !once) return undefined;
      once = false;
      return HOT_KEY;
    };
    try {
      await storeVia(events, 3).partition('p').put('retried', 'v');
      const update = events.find((e) => e.operation === 'UpdateItem');
      expect(update?.error).toBeUndefined();
      expect(update?.throttleReasons).toEqual(['TableWriteKeyRangeThroughputExceeded']);
      // an unthrottled call carries no throttleReasons
      await storeVia(events, 3).partition('p').get('retried');
      expect(events.find((e) => e.operation === 'GetItem')).not.toHaveProperty('throttleReasons');
    } finally {
      proxy.throttle = undefined;
    }
  });

  it('a lease renewed through throttling until its deadline is lost, and its cause says throttled', async () => {
    const store = storeVia([], 1);
    const lease = await store.lock('throttled-lease', { leaseMs: 1_500, heartbeatMs: 300 }).acquire();
    const lost = new Promise<unknown>((resolve) =>
      lease.signal.addEventListener('abort', () => resolve(lease.signal.reason), { once: true }),
    );
    proxy.throttle = (op) => (op === 'UpdateItem' ? HOT_KEY : undefined);
    try {
      const reason = await lost;
      expect(reason).toBeInstanceOf(LeaseLostError);
      expect((reason as LeaseLostError).reason).toBe('expired');
      const cause = (reason as LeaseLostError).cause;
      expect(cause).toBeInstanceOf(BackendError);
      expect((cause as BackendError).throttled).toBe(true);
      expect((cause as BackendError).throttleReasons).toEqual(['TableWriteKeyRangeThroughputExceeded']);
      expect((cause as BackendError).message).toMatch(/throttled/);
      // it kept renewing through the throttling (several renewals refused), not one try
      expect(proxy.throttled.filter((op) => op === 'UpdateItem').length).toBeGreaterThan(1);
    } finally {
      proxy.throttle = undefined;
    }
  });
});

describe('throttling reasons (unit)', () => {
  it('reads both spellings, skips malformed entries, and ignores errors that are not throttling', () => {
    expect(
      throttleReasonsOf({
        name: 'ProvisionedThroughputExceededException',
        ThrottlingReasons: [
          { reason: 'TableWriteProvisionedThroughputExceeded', resource: ARN },
          { nope: 1 },
        ],
      }),
    ).toEqual([{ reason: 'TableWriteProvisionedThroughputExceeded', resource: ARN }]);
    expect(
      throttleReasonsOf({
        name: 'ThrottlingException',
        throttlingReasons: [{ reason: 'IndexReadKeyRangeThroughputExceeded' }],
      }),
    ).toEqual([{ reason: 'IndexReadKeyRangeThroughputExceeded' }]);
    expect(throttleReasonsOf({ name: 'ValidationException' })).toBeUndefined();
    expect(throttleReasonsOf('ProvisionedThroughputExceededException')).toBeUndefined();
  });

  it('names each kind of limit', () => {
    expect(describeThrottle([{ reason: 'TableWriteKeyRangeThroughputExceeded' }])).toMatch(/hot key/);
    expect(describeThrottle([{ reason: 'TableReadProvisionedThroughputExceeded' }])).toMatch(
      /provisioned read capacity/,
    );
    expect(describeThrottle([{ reason: 'IndexWriteAccountLimitExceeded' }])).toMatch(/an index.*quota/);
    expect(describeThrottle([{ reason: 'TableWriteMaxOnDemandThroughputExceeded' }])).toMatch(
      /maximum on-demand/,
    );
    expect(describeThrottle([{ reason: 'SomethingNew' }])).toBe('throttled: SomethingNew');
  });

  it('a transaction cancelled by throttling is a retryable, throttled BackendError', () => {
    const err = wrapAwsError(
      'TransactWriteItems',
      Object.assign(new Error('Transaction cancelled'), {
        name: 'TransactionCanceledException',
        CancellationReasons: [{ Code: 'ThrottlingError' }, { Code: 'None' }],
      }),
    );
    expect(err.throttled).toBe(true);
    expect(err.retryable).toBe(true);
    expect(err.throttleReasons).toEqual([]);
  });

  it('a BackendError that is not throttling has no reasons', () => {
    const err = wrapAwsError('GetItem', Object.assign(new Error('bad'), { name: 'ValidationException' }));
    expect(err.throttled).toBe(false);
    expect(err.throttleReasons).toEqual([]);
  });
});
