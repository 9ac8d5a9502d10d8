import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RawRow } from '../../src/contract/decode-row.js';
import { InvalidItemError, ValidationError } from '../../src/contract/errors/store.js';
import { defaultAttributeNames } from '../../src/contract/names.js';
import { changeFromStream, isTtlService } from '../../src/contract/stream-change.js';
import { toChangeRecord } from '../../src/dynamodb/streams/decode.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import {
  changesFromStreamEvent,
  type DynamoDBStreamEvent,
  type DynamoDBStreamRecord,
  forEachChange,
  type StreamChange,
  streamFilterCriteria,
} from '../../src/trigger/index.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { matchesFilter, passesCriteria } from '../support/event-filter.js';
import { streamAsLambdaEvent } from '../support/lambda-stream.js';

let t: DynamoTable;
let event: DynamoDBStreamEvent & {
  streamArn: string;
  raw: Awaited<ReturnType<typeof streamAsLambdaEvent>>['raw'];
};
const TTL_SERVICE = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };

/** The writes, in order: key/value rows of two partitions, rows another writer left, a lock and a session. */
beforeAll(async () => {
  t = await useDynamoTable();
  const store = new Dynastore({ client: t.client, tableName: t.tableName });
  const config = store.partition('config');
  await config.put('a', 'on');
  await config.put('jobs/1', new Uint8Array([1, 2, 3]));
  await config.put('jobs/2', 'x', { ttlMs: 60_000 });
  await config.put('a', 'off');
  await config.delete('jobs/1');
  await store.partition('other').put('jobs/9', 'z');
  // another writer: an `expires` that is not a number, and a binary payload (B)
  await t.client.send(
    new PutItemCommand({
      TableName: t.tableName,
      Item: { id: { S: 'config' }, name: { S: 'odd' }, version: { N: '1' }, expires: { S: 'soon' } },
    }),
  );
  await t.client.send(
    new PutItemCommand({
      TableName: t.tableName,
      Item: {
        id: { S: 'config' },
        name: { S: 'bin' },
        version: { N: '1' },
        payload: { B: new Uint8Array([255, 0, 16]) },
      },
    }),
  );
  const lease = await store.lock('job', { leaseMs: 5_000 }).acquire();
  await lease.release();
  const session = await store.session({ leaseMs: 5_000 });
  await session.close();
  event = await streamAsLambdaEvent(t.client, t.tableName, 12);
});

afterAll(() => t?.cleanup());

const brief = (c: StreamChange) => ({
  type: c.type,
  partition: c.partition,
  key: c.key,
  cause: c.cause,
  ...(c.type === 'put' && { version: c.pair.version, text: c.pair.text() }),
  ...(c.previous && { previousVersion: c.previous.version }),
  ...(c.type === 'delete' && c.invalid && { invalid: c.invalid.attribute }),
});

describe('changesFromStreamEvent on records read from DynamoDB Local', () => {
  it('gives the key/value changes in order, with pairs, previous values and causes; skips lock and session rows', () => {
    const changes = changesFromStreamEvent(event);
    expect(changes.map(brief)).toEqual([
      { type: 'put', partition: 'config', key: 'a', cause: 'write', version: 1, text: 'on' },
      {
        type: 'put',
        partition: 'config',
        key: 'jobs/1',
        cause: 'write',
        version: 1,
        text: '\u0001\u0002\u0003',
      },
      { type: 'put', partition: 'config', key: 'jobs/2', cause: 'write', version: 1, text: 'x' },
      {
        type: 'put',
        partition: 'config',
        key: 'a',
        cause: 'write',
        version: 2,
        text: 'off',
        previousVersion: 1,
      },
      { type: 'delete', partition: 'config', key: 'jobs/1', cause: 'write', previousVersion: 1 },
      { type: 'put', partition: 'other', key: 'jobs/9', cause: 'write', version: 1, text: 'z' },
      { type: 'delete', partition: 'config', key: 'odd', cause: 'write', invalid: 'expires' },
      {
        type: 'put',
        partition: 'config',
        key: 'bin',
        cause: 'write',
        version: 1,
        text: '\ufffd\u0000\u0010',
      },
    ]);
    const [, jobs1, jobs2] = changes;
    expect(jobs1?.type === 'put' && [...jobs1.pair.bytes()]).toEqual([1, 2, 3]);
    const bin = changes.at(-1);
    expect(bin?.type === 'put' && [...bin.pair.bytes()]).toEqual([255, 0, 16]);
    expect(jobs2?.type === 'put' && jobs2.pair.expiresAt).toBeInstanceOf(Date);
    for (const c of changes) {
      expect(c.coordination).toBe(false);
      expect(c.record.sequenceNumber).toMatch(/^\d+$/);
      expect(c.record.eventSourceARN).toBe(event.streamArn);
      expect(Math.abs((c.record.createdAt?.getTime() ?? 0) - Date.now())).toBeLessThan(120_000);
    }
    const odd = changes.find((c) => c.key === 'odd');
    expect(odd?.type === 'delete' && odd.invalid).toBeInstanceOf(InvalidItemError);
  });

  it('reports lock and session rows when asked for, marked as coordination rows', () => {
    const changes = changesFromStreamEvent(event, { includeCoordinationRows: true });
    const coordination = changes.filter((c) => c.coordination);
    expect(coordination.length).toBeGreaterThanOrEqual(4); // lock grant and release, session open and close
    expect(coordination.some((c) => c.key === 'job' && c.fields.owner !== undefined)).toBe(true);
    expect(changes.length).toBe(8 + coordination.length);
  });

  it('decodes each record exactly as the Streams poller does (one decoder)', () => {
    expect(event.raw.length).toBe(event.Records.length);
    event.raw.forEach((sdkRecord, i) => {
      const lambda = event.Records[i] as DynamoDBStreamRecord;
      const d = lambda.dynamodb;
      const viaLambda = changeFromStream(
        {
          eventName: lambda.eventName,
          keys: d?.Keys as RawRow,
          oldImage: d?.OldImage as RawRow,
          newImage: d?.NewImage as RawRow,
          ttlRemoval: isTtlService(lambda.userIdentity?.type, lambda.userIdentity?.principalId),
        },
        defaultAttributeNames,
      );
      const viaPoller = toChangeRecord(sdkRecord, defaultAttributeNames);
      // the one difference of shape: binary arrives as base64 text in Lambda, so compare the decoded rows
      if (lambda.dynamodb?.NewImage?.payload?.B === undefined) expect(viaLambda).toEqual(viaPoller);
    });
    const bin = changesFromStreamEvent(event, { partition: 'config', prefix: 'bin' });
    const viaPoller = toChangeRecord(
      event.raw.find((r) => r.dynamodb?.Keys?.name?.S === 'bin')!,
      defaultAttributeNames,
    );
    expect(bin[0]?.type === 'put' && bin[0].pair.text()).toBe(
      Buffer.from(viaPoller?.item?.payload ?? '', 'base64').toString('utf8'),
    );
  });

  it("reports a delete by DynamoDB's TTL service as an expiry", () => {
    const remove = event.Records.find(
      (r) => r.eventName === 'REMOVE' && r.dynamodb?.Keys?.name?.S === 'jobs/1',
    )!;
    const ttl = { Records: [{ ...remove, userIdentity: TTL_SERVICE }] };
    expect(changesFromStreamEvent(ttl).map(brief)).toEqual([
      { type: 'delete', partition: 'config', key: 'jobs/1', cause: 'expiry', previousVersion: 1 },
    ]);
    // another service's identity is a write
    const other = {
      Records: [{ ...remove, userIdentity: { type: 'Service', principalId: 'other.amazonaws.com' } }],
    };
    expect(changesFromStreamEvent(other)[0]?.cause).toBe('write');
  });

  it('filters by partition and by key prefix within it', () => {
    expect(changesFromStreamEvent(event, { partition: 'other' }).map((c) => c.key)).toEqual(['jobs/9']);
    expect(changesFromStreamEvent(event, { partition: 'config', prefix: 'jobs/' }).map((c) => c.key)).toEqual(
      ['jobs/1', 'jobs/2', 'jobs/1'],
    );
    expect(changesFromStreamEvent(event, { prefix: 'jobs/' }).map((c) => c.key)).toEqual([
      'jobs/1',
      'jobs/2',
      'jobs/1',
      'jobs/9',
    ]);
  });

  it('never throws on a record: odd ones give events carrying invalid', () => {
    const real = event.Records[0] as DynamoDBStreamRecord;
    const odd: unknown[] = [
      null,
      42,
      {},
      { eventName: 'INSERT' },
      { eventName: 'INSERT', dynamodb: { Keys: 5 } },
      { eventName: 'TRUNCATE', dynamodb: real.dynamodb },
      { ...real, dynamodb: { ...real.dynamodb, NewImage: undefined, StreamViewType: 'KEYS_ONLY' } },
      { ...real, dynamodb: { ...real.dynamodb, Keys: { id: { N: '1' }, name: { S: 'a' } } } },
      { ...real, dynamodb: { ...real.dynamodb, NewImage: { ...real.dynamodb?.NewImage, version: null } } },
    ];
    const changes = changesFromStreamEvent({ Records: odd as DynamoDBStreamRecord[] });
    expect(changes).toHaveLength(odd.length);
    for (const c of changes) {
      expect(c.type).toBe('delete');
      expect(c.type === 'delete' && c.invalid).toBeInstanceOf(InvalidItemError);
    }
    expect(changes.map((c) => (c.type === 'delete' ? c.invalid?.attribute : ''))).toEqual([
      'record',
      'record',
      'dynamodb.Keys',
      'dynamodb.Keys',
      'dynamodb.Keys',
      'eventName',
      'dynamodb.NewImage',
      'id',
      'version',
    ]);
  });

  it('never throws on arbitrary records, real ones bent at random included (property)', () => {
    const real = event.Records as DynamoDBStreamRecord[];
    const bent = fc
      .tuple(
        fc.constantFrom(...real),
        fc.constantFrom('Keys', 'NewImage', 'OldImage', 'ApproximateCreationDateTime'),
        fc.anything(),
      )
      .map(([r, field, value]) => ({ ...r, dynamodb: { ...r.dynamodb, [field]: value } }));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.anything(), bent, fc.constantFrom(...real))), (records) => {
        const changes = changesFromStreamEvent(
          { Records: records as DynamoDBStreamRecord[] },
          { includeCoordinationRows: true },
        );
        expect(changes.length).toBeLessThanOrEqual(records.length);
      }),
      { numRuns: 300 },
    );
  });

  it('an object that cannot be turned into a primitive, in any field, gives an event, not an exception', () => {
    // found by the property above in CI: ApproximateCreationDateTime { toString: 0 } threw a TypeError
    const poison = { toString: 0, valueOf: 0 };
    const real = (event.Records as DynamoDBStreamRecord[])[0]!;
    for (const field of ['ApproximateCreationDateTime', 'SequenceNumber', 'Keys', 'NewImage', 'OldImage']) {
      const record = { ...real, dynamodb: { ...real.dynamodb, [field]: poison } } as DynamoDBStreamRecord;
      expect(() => changesFromStreamEvent({ Records: [record] }), field).not.toThrow();
    }
    const top = {
      ...real,
      eventID: poison,
      eventName: poison,
      eventSourceARN: poison,
    } as unknown as DynamoDBStreamRecord;
    expect(() => changesFromStreamEvent({ Records: [top] })).not.toThrow();
  });

  it('rejects bad options and an event that is not one, before reading a record', () => {
    expect(() => changesFromStreamEvent({} as DynamoDBStreamEvent)).toThrow(ValidationError);
    expect(() => changesFromStreamEvent(event, { partitions: 'x' } as never)).toThrow(/unknown option/);
    expect(() => changesFromStreamEvent(event, { partition: '' })).toThrow(ValidationError);
    expect(() => changesFromStreamEvent(event, { prefix: 3 } as never)).toThrow(ValidationError);
    expect(() => changesFromStreamEvent(event, { includeCoordinationRows: 'yes' } as never)).toThrow(
      ValidationError,
    );
    expect(() => changesFromStreamEvent(event, { attributeNames: { key: 'id' } })).toThrow(ValidationError);
  });
});

describe('streamFilterCriteria', () => {
  it('is the FilterCriteria of the event filtering syntax on dynamodb.Keys', () => {
    expect(streamFilterCriteria({ partition: 'config', prefix: 'jobs/' })).toEqual({
      Filters: [
        { Pattern: '{"dynamodb":{"Keys":{"id":{"S":["config"]},"name":{"S":[{"prefix":"jobs/"}]}}}}' },
      ],
    });
    expect(
      streamFilterCriteria({ partition: 'p', attributeNames: { partition: 'pk' } }).Filters[0]?.Pattern,
    ).toBe('{"dynamodb":{"Keys":{"pk":{"S":["p"]}}}}');
  });

  it("the evaluator follows AWS's documented example (so it can fail)", () => {
    const pattern = { dynamodb: { Keys: { CustomerName: { S: ['AnyCompany Industries'] } } } };
    expect(
      matchesFilter(pattern, { dynamodb: { Keys: { CustomerName: { S: 'AnyCompany Industries' } } } }),
    ).toBe(true);
    expect(matchesFilter(pattern, { dynamodb: { Keys: { CustomerName: { S: 'Other' } } } })).toBe(false);
    expect(matchesFilter(pattern, { dynamodb: { Keys: {} } })).toBe(false);
    expect(() => matchesFilter({ a: [{ 'equals-ignore-case': 'x' }] }, { a: 'x' })).toThrow(/unknown/);
  });

  it.each([
    { partition: 'config' },
    { partition: 'config', prefix: 'jobs/' },
    { partition: 'other', prefix: 'jobs/' },
    { prefix: 'jobs/' },
    { partition: 'nowhere' },
  ])('lets through exactly the records changesFromStreamEvent keeps for %j', (filter) => {
    const criteria = streamFilterCriteria(filter);
    const passed = { Records: event.Records.filter((r) => passesCriteria(criteria, r)) };
    expect(changesFromStreamEvent(passed).map(brief)).toEqual(
      changesFromStreamEvent(event, filter).map(brief),
    );
  });

  it('rejects a filter that would match everything, and bad options', () => {
    expect(() => streamFilterCriteria({})).toThrow(ValidationError);
    expect(() => streamFilterCriteria({ prefix: '' })).toThrow(ValidationError);
    expect(() => streamFilterCriteria({ partition: 'a', includeCoordinationRows: true } as never)).toThrow(
      /unknown option/,
    );
    expect(() => streamFilterCriteria({ partition: 'x'.repeat(2049) })).toThrow(ValidationError);
  });
});

describe('forEachChange', () => {
  it('runs the handler in order and returns no failures when all succeed', async () => {
    const seen: string[] = [];
    const result = await forEachChange(event, async (c) => {
      await new Promise((r) => setTimeout(r, 1));
      seen.push(`${c.partition}/${c.key}`);
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(changesFromStreamEvent(event).map((c) => `${c.partition}/${c.key}`));
  });

  it('names the first record whose handler threw and runs none after it', async () => {
    const seen: string[] = [];
    const errors: unknown[] = [];
    const boom = new Error('downstream is down');
    const result = await forEachChange(
      event,
      (c) => {
        if (c.key === 'jobs/2') throw boom;
        seen.push(c.key);
      },
      { onError: (err, c) => errors.push([err, c.key]) },
    );
    const failed = event.Records.find((r) => r.dynamodb?.Keys?.name?.S === 'jobs/2');
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: failed?.dynamodb?.SequenceNumber }] });
    expect(seen).toEqual(['a', 'jobs/1']);
    expect(errors).toEqual([[boom, 'jobs/2']]);
  });

  it('logs a handler error when no onError is given', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const result = await forEachChange(event, () => {
        throw new Error('nope');
      });
      expect(result.batchItemFailures).toHaveLength(1);
      expect(log).toHaveBeenCalledTimes(1);
      expect(String(log.mock.calls[0]?.[0])).toMatch(/config\/a/);
    } finally {
      log.mockRestore();
    }
  });

  it("keeps going with another stream's records when a batch mixes streams", async () => {
    const otherArn = `${event.streamArn}-other`;
    const mixed = {
      Records: event.Records.flatMap((r) => [r, { ...r, eventSourceARN: otherArn }]),
    };
    const seen: string[] = [];
    const result = await forEachChange(mixed, (c) => {
      if (c.record.eventSourceARN === event.streamArn && c.key === 'a') throw new Error('first stream fails');
      seen.push(`${c.record.eventSourceARN === otherArn ? 'other' : 'first'}:${c.key}`);
    });
    expect(result.batchItemFailures).toHaveLength(1);
    expect(seen.filter((s) => s.startsWith('first:'))).toEqual([]);
    expect(seen.filter((s) => s.startsWith('other:'))).toHaveLength(8);
  });

  it('rejects a handler that is not a function', async () => {
    await expect(forEachChange(event, 'x' as never)).rejects.toThrow(ValidationError);
  });
});
