import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import { FencedError, type LeaseLostError } from '../../src/contract/errors/lock.js';
import { toTransactWriteItem } from '../../src/dynamodb/transact-item.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { Lease } from '../../src/lock/lease.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

const opts = { leaseMs: 400, maxClockSkewMs: 50, heartbeatMs: 100, pollMs: 50 };

let t: DynamoTable;
const clients: { destroy(): void }[] = [];
beforeAll(async () => {
  t = await useDynamoTable();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await t?.cleanup();
});

/** A store with its own client, as a separate process would have. */
function newStore(options: { onCall?: (e: CallEvent) => void; maxAttempts?: number } = {}) {
  const client = localDynamoClient(t.endpoint, { maxAttempts: options.maxAttempts ?? 3 });
  clients.push(client);
  return {
    client,
    store: new Dynastore({
      client,
      tableName: t.tableName,
      ...(options.onCall && { onCall: options.onCall }),
      // calls are counted here; the look for old-layout processes has test/lock/legacy-layout.dynamodb.test.ts
      ...(options.onCall && { legacyLayoutCheckMs: false }),
    }),
  };
}

describe('locks on DynamoDB Local', () => {
  it('several stores contending: never two holders with live leases at once, tokens increasing', async () => {
    let inside: Lease | undefined;
    let violations = 0;
    const grants: bigint[] = [];
    const worker = async () => {
      const lock = newStore().store.lock('contended', opts);
      for (let round = 0; round < 3; round++) {
        const lease = await lock.acquire({ waitMs: 15_000 });
        if (inside?.held) violations++;
        inside = lease;
        grants.push(lease.token);
        await new Promise((r) => setTimeout(r, 15));
        if (inside === lease) inside = undefined;
        await lease.release();
      }
    };
    await Promise.all(Array.from({ length: 5 }, worker));
    expect(violations).toBe(0);
    expect(grants).toHaveLength(15);
    for (let i = 1; i < grants.length; i++) expect(grants[i]).toBeGreaterThan(grants[i - 1] as bigint);
  });

  it('a stale holder’s fenced writes are refused by DynamoDB itself, through the store and in a raw TransactWriteItems', async () => {
    const a = newStore();
    const b = newStore();
    const stale = await a.store.lock('fenced', { ...opts, heartbeatMs: false }).acquire(); // never renewed
    const fresh = await b.store.lock('fenced', opts).acquire({ waitMs: 5_000 }); // takes over after ~450 ms
    expect(fresh.token).toBeGreaterThan(stale.token);
    expect((stale.signal.reason as LeaseLostError).reason).toBe('expired');

    const kv = a.store.partition('fenced-data');
    await kv.put('doc', 'fresh', { fence: fresh });
    await expect(kv.put('doc', 'stale', { fence: stale })).rejects.toBeInstanceOf(FencedError);
    await expect(kv.delete('doc', { fence: stale })).rejects.toBeInstanceOf(FencedError);
    expect((await kv.get('doc'))?.text()).toBe('fresh');

    const put = {
      Put: {
        TableName: t.tableName,
        Item: { id: { S: 'raw' }, name: { S: 'doc' }, payload: { S: 'stale' } },
      },
    };
    const err = await a.client
      .send(
        new TransactWriteItemsCommand({ TransactItems: [toTransactWriteItem(a.store, stale.guard()), put] }),
      )
      .catch((e: unknown) => e as { name: string; CancellationReasons?: { Code?: string }[] });
    expect(err).toMatchObject({ name: 'TransactionCanceledException' });
    expect(
      (err as { CancellationReasons: { Code?: string }[] }).CancellationReasons.map((r) => r.Code),
    ).toEqual(['ConditionalCheckFailed', 'None']);
    await a.client.send(
      new TransactWriteItemsCommand({ TransactItems: [toTransactWriteItem(a.store, fresh.guard()), put] }),
    );
    expect((await a.store.partition('raw').get('doc'))?.text()).toBe('stale'); // written under the current lease
    await Promise.all([stale.release(), fresh.release()]);
  });

  it('costs: acquire, renewal and release are one WCU each (measured with onCall)', async () => {
    const events: CallEvent[] = [];
    const { store } = newStore({ onCall: (e) => events.push(e) });
    // once per store: the table's mode (a global table?), learnt with one DescribeTable
    await store.backend.checkUse?.('conditional-write');
    expect(events.map((e) => e.operation)).toEqual(['DescribeTable']);
    events.length = 0;
    const wcu = (from: number) =>
      events.slice(from).reduce((n, e) => n + (e.consumedCapacity?.writeUnits ?? 0), 0);
    const rcu = (from: number) =>
      events.slice(from).reduce((n, e) => n + (e.consumedCapacity?.readUnits ?? 0), 0);
    const lease = await store.lock('costs', { ...opts, heartbeatMs: false, data: 'x'.repeat(200) }).acquire();
    const acquire = { calls: events.length, wcu: wcu(0) };
    let mark = events.length;
    await lease.renew();
    const renew = { calls: events.length - mark, wcu: wcu(mark) };
    mark = events.length;
    await lease.release();
    const release = { calls: events.length - mark, wcu: wcu(mark) };

    const holder = await store.lock('costs', opts).acquire();
    mark = events.length;
    expect(await store.lock('costs', opts).tryAcquire()).toBeUndefined();
    const refused = { calls: events.length - mark, wcu: wcu(mark) };
    mark = events.length;
    await store.lock('costs', opts).holder();
    const read = { rcu: rcu(mark) };
    mark = events.length;
    await store.partition('costs-data').put('k', 'v', { fence: holder });
    const fencedPut = { wcu: wcu(mark), rcu: rcu(mark) };
    await holder.release();

    console.info(
      '[lock costs on DynamoDB Local]',
      JSON.stringify({ acquire, renew, release, refused, read, fencedPut }),
    );
    expect(acquire).toEqual({ calls: 1, wcu: 1 });
    expect(renew).toEqual({ calls: 1, wcu: 1 });
    expect(release).toEqual({ calls: 1, wcu: 1 });
    // One call. DynamoDB bills a failed conditional write 1 WCU; DynamoDB Local reports no capacity on the error.
    expect(refused.calls).toBe(1);
    expect(read.rcu).toBe(1);
  });

  it('an ambiguous write (applied, then the response lost) is reconciled: grant and renewal', async () => {
    const events: CallEvent[] = [];
    const { client, store } = newStore({ onCall: (e) => events.push(e), maxAttempts: 1 });
    let failNextUpdate = false;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (failNextUpdate && context.commandName === 'UpdateItemCommand') {
          failNextUpdate = false;
          throw Object.assign(new Error('socket hang up after the request was sent'), {
            name: 'TimeoutError',
          });
        }
        return result;
      },
      { step: 'initialize', name: 'ambiguousWrite' },
    );
    failNextUpdate = true;
    const lease = await store.lock('ambiguous', opts).acquire({ waitMs: 2_000 });
    // the table's mode (once per store), the write, then the read that settled it
    expect(events.map((e) => e.operation)).toEqual(['DescribeTable', 'UpdateItem', 'GetItem']);
    expect(await newStore().store.lock('ambiguous', opts).holder()).toMatchObject({ token: lease.token });

    const before = events.length;
    failNextUpdate = true; // the next renewal applies, but its answer is lost
    await new Promise((r) => setTimeout(r, 3 * opts.heartbeatMs));
    expect(events.slice(before).some((e) => e.operation === 'GetItem')).toBe(true);
    expect(lease.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, opts.leaseMs));
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
  });
});
