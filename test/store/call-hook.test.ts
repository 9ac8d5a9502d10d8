import { beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import { BackendError } from '../../src/contract/errors/index.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { useDynamoTable } from '../support/dynamo.js';

describe('the onCall hook on DynamoDB Local', () => {
  let t: Awaited<ReturnType<typeof useDynamoTable>>;
  beforeAll(async () => {
    t = await useDynamoTable();
  });

  it('reports one event per call with operation, duration and consumed capacity', async () => {
    const events: CallEvent[] = [];
    const store = new Dynastore({ client: t.client, tableName: t.tableName, onCall: (e) => events.push(e) });
    const kv = store.partition('hook');
    const pair = await kv.put('a', 'v');
    await kv.get('a');
    await kv.atomicPut('a', 'w', { previous: pair });
    await kv.atomicPut('a', 'x', { previous: pair }).catch(() => undefined);
    // the first conditional write learns the table's mode first (one DescribeTable per store)
    expect(events.map((e) => e.operation)).toEqual([
      'UpdateItem',
      'GetItem',
      'DescribeTable',
      'UpdateItem',
      'UpdateItem',
    ]);
    expect(events[0]?.consumedCapacity).toEqual({ total: 1, writeUnits: 1 });
    expect(events[1]?.consumedCapacity).toEqual({ total: 1, readUnits: 1 });
    expect(events.every((e) => e.table === t.tableName && e.durationMs >= 0)).toBe(true);
    expect((events[4]?.error as Error | undefined)?.name).toBe('ConditionalCheckFailedException');
  });

  it('wraps AWS errors (never swallowed) and survives a throwing listener', async () => {
    const store = new Dynastore({
      client: t.client,
      tableName: 'no-such-table',
      onCall: () => {
        throw new Error('listener bug');
      },
    });
    const err = await store
      .partition('p')
      .get('k')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).operation).toBe('GetItem');
    expect((err as BackendError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
