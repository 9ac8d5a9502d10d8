import { SpanKind, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import type { WatchEvent } from '../../src/watch/types.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { type OtelHarness, registerOtel } from '../support/otel.js';

let otel: OtelHarness;
let t: DynamoTable;
beforeAll(async () => {
  otel = registerOtel();
  t = await useDynamoTable();
});
afterAll(async () => {
  await t?.cleanup();
  await otel?.shutdown();
});
beforeEach(() => otel.resetSpans());

/**
 * An instrumented client, as the AWS SDK instrumentation makes one: each command runs in a
 * CLIENT span `DynamoDB.<Command>` started in the active context.
 */
function instrumentedClient() {
  const client = localDynamoClient(t.endpoint);
  const tracer = trace.getTracer('fake-aws-sdk-instrumentation');
  client.middlewareStack.add(
    (next, context) => (args) =>
      tracer.startActiveSpan(
        `DynamoDB.${String(context.commandName).replace(/Command$/, '')}`,
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'aws.dynamodb' } },
        async (span) => {
          try {
            return await next(args);
          } finally {
            span.end();
          }
        },
      ),
    { step: 'initialize', name: 'fakeOtelInstrumentation' },
  );
  return client;
}

describe('OpenTelemetry on DynamoDB Local', () => {
  it("the AWS SDK's spans are children of dynastore's, which carry the database attributes", async () => {
    const client = instrumentedClient();
    const store = new Dynastore({ client, tableName: t.tableName });
    const lease = await store.lock('otel/sdk').acquire();
    await lease.release();
    const acquire = otel.spans('dynastore.lock.acquire')[0];
    const release = otel.spans('dynastore.lock.release')[0];
    expect(acquire?.attributes).toMatchObject({
      'db.system.name': 'aws.dynamodb',
      'aws.dynamodb.table_names': [t.tableName],
      'dynastore.lock.outcome': 'granted',
    });
    const sdk = otel.spans('DynamoDB.UpdateItem');
    expect(sdk).toHaveLength(2);
    expect(sdk[0]?.parentSpanContext?.spanId).toBe(acquire?.spanContext().spanId);
    expect(sdk[1]?.parentSpanContext?.spanId).toBe(release?.spanContext().spanId);
    expect(sdk[0]?.spanContext().traceId).toBe(acquire?.spanContext().traceId);
    client.destroy();
  });

  it('counts throttled requests by DynamoDB throttling reason, and still calls onCall', async () => {
    const client = localDynamoClient(t.endpoint);
    const answers = [
      [
        {
          reason: 'TableWriteKeyRangeThroughputExceeded',
          resource: `arn:aws:dynamodb:us-east-1:1:table/${t.tableName}`,
        },
      ],
      [],
    ];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const reasons = context.commandName === 'UpdateItemCommand' ? answers.shift() : undefined;
        if (reasons)
          throw Object.assign(new Error('Throughput exceeds the current capacity'), {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            ThrottlingReasons: reasons,
          });
        return next(args);
      },
      { step: 'initialize', name: 'throttleTwice' },
    );
    const calls: CallEvent[] = [];
    const store = new Dynastore({ client, tableName: t.tableName, onCall: (e) => calls.push(e) });
    const kv = store.partition('otel-throttle');
    // the caller retries a put refused for throttling until it succeeds
    const untilDone = async (put: () => Promise<unknown>) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await put();
        } catch (err) {
          if (attempt === 5) throw err;
        }
      }
    };
    await untilDone(() => kv.put('a', '1'));
    await untilDone(() => kv.put('b', '2'));
    const points = await otel.points('dynastore.dynamodb.throttled');
    expect(points.map((p) => [p.attributes.reason, p.value, p.attributes['db.operation.name']])).toEqual([
      ['TableWriteKeyRangeThroughputExceeded', 1, 'UpdateItem'],
      ['unspecified', 1, 'UpdateItem'],
    ]);
    expect(calls.filter((c) => c.error !== undefined).length).toBeGreaterThanOrEqual(2);
    client.destroy();
  });

  it("records watch lag from each record's approximate creation time", async () => {
    const store = new Dynastore({
      client: t.client,
      tableName: t.tableName,
      stream: { pollIntervalMs: 50, idlePollIntervalMs: 100, lingerMs: 100 },
    });
    const kv = store.partition('otel-watch');
    const events: WatchEvent[] = [];
    const sub = kv.watch('k').subscribe((e) => events.push(e));
    await until(() => events.length === 1); // the snapshot: the watch is positioned
    await kv.put('k', 'v');
    await until(() => events.some((e) => e.type === 'put' && e.cause === 'write'));
    sub.unsubscribe();
    const [lag] = await otel.points('dynastore.watch.lag');
    expect(lag?.value).toBeGreaterThanOrEqual(1);
    // DynamoDB gives the creation time to the second; DynamoDB Local rounds it down to the minute
    expect(lag?.sum).toBeGreaterThanOrEqual(0);
    expect((lag?.sum ?? 0) / (lag?.value ?? 1)).toBeLessThan(65);
  });
});

async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
