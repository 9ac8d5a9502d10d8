import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../chaos/faults/proxy.js';
import { AmbiguousWriteError } from '../../src/contract/errors/store.js';
import type { KVPair } from '../../src/contract/kv-pair.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { Partition } from '../../src/facade/partition.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';

/**
 * Found by the chaos run (the KV history with the SDK's default retries was not linearizable),
 * reproduced deterministically through the fault proxy, and fixed: these are the regression tests.
 *
 * The shared scenario: our write is applied by DynamoDB, its answer is held past the client's
 * request timeout (500 ms), and while the SDK waits to retry, another writer changes the row.
 * The SDK used to send the same request again, applying it a second time. Now the DynamoDB
 * backend lets the SDK resend a write only after a throttle (certainly not applied); after a
 * timeout, reset or 5xx it fails with an ambiguous BackendError, which put/atomicPut settle by
 * reading the row back (their write id there: applied; otherwise AmbiguousWriteError).
 */

let table: DynamoTable;
let proxy: FaultProxy;
let slow: DynamoDBClient;
let mine: Partition;
let other: Partition;

beforeAll(async () => {
  table = await useDynamoTable();
  proxy = await FaultProxy.start({ port: Number(new URL(table.endpoint).port) }, undefined, 1);
  // Our client goes through the proxy and gives up on a request after 500 ms (then the SDK
  // retries: 3 attempts in all, its default); the other writer talks to DynamoDB Local directly.
  slow = localDynamoClient(proxy.endpoint, {
    requestHandler: { requestTimeout: 500, throwOnRequestTimeout: true },
  });
  mine = new Dynastore({ client: slow, tableName: table.tableName }).partition('known-bugs');
  other = new Dynastore({ client: table.client, tableName: table.tableName }).partition('known-bugs');
  proxy.setPlan({ stallMs: 1_500 });
});

afterAll(async () => {
  slow?.destroy();
  await proxy?.stop();
  await table?.cleanup();
});

/** Polls (directly) until `key` satisfies `done`: our first attempt has been applied. */
async function waitFor(key: string, done: (p: KVPair | undefined) => boolean): Promise<KVPair | undefined> {
  let seen = await other.get(key);
  for (let i = 0; !done(seen) && i < 200; i++) seen = await other.get(key);
  expect(done(seen), `our first attempt on "${key}" was never applied`).toBe(true);
  return seen;
}

/** Settles a promise into its value or its error. */
const settle = <T>(p: Promise<T>): Promise<T | unknown> => p.catch((err: unknown) => err);

describe('found by chaos: an SDK resend re-applied a write that took effect and was then overwritten', () => {
  // put(k, 'mine') applies at version v+1; 'theirs' is written at v+2; the SDK's retry of our
  // put passes `writeId <> :id` (the row now carries their id) and writes 'mine' again at v+3.
  // A reader saw 'mine', then 'theirs', then 'mine' again, from one put: not linearizable (the
  // chaos checker reports it as "value stored at versions v+1, v+3 (written once)").
  // Expected: our put is applied once (it may then report AmbiguousWriteError), so 'theirs' stays.
  it('put is not applied a second time over a newer write', async () => {
    const first = await other.put('put', 'v0');
    proxy.injectNext('write', 'timeoutAfterApply');
    const outcome = settle(mine.put('put', 'mine'));
    await waitFor('put', (p) => p?.text() === 'mine');
    const theirs = await other.put('put', 'theirs');
    expect(theirs.version).toBe(first.version + 2);
    const result = await outcome;
    const final = await other.get('put');
    expect({ text: final?.text(), version: final?.version }).toEqual({
      text: 'theirs',
      version: first.version + 2,
    });
    if (!(result instanceof AmbiguousWriteError)) expect((result as KVPair).version).toBe(first.version + 1);
  });

  // delete(k) removes the row; 'theirs' is then created; the SDK's retry of our unconditional
  // DeleteItem removes 'theirs' too. A reader saw the key absent, then 'theirs', then absent.
  // Expected: the delete applies once, and 'theirs' (written after it) stays.
  it('delete does not remove a row written after it took effect', async () => {
    await other.put('del', 'v0');
    proxy.injectNext('write', 'timeoutAfterApply');
    const outcome = settle(mine.delete('del'));
    await waitFor('del', (p) => p === undefined);
    await other.put('del', 'theirs');
    await outcome;
    expect((await other.get('del'))?.text()).toBe('theirs');
  });

  // atomicPut(k, 'mine') (create) applies at version 1; another process deletes the key; the
  // SDK's retry finds the key absent again and creates 'mine' a second time, and the caller is
  // told it created the key once. A reader saw 'mine', then absent, then 'mine' again.
  // Expected: the create applies once (reporting success or AmbiguousWriteError), the key stays absent.
  it('atomicPut (create) is not applied again after the key it created was deleted', async () => {
    proxy.injectNext('write', 'timeoutAfterApply');
    const outcome = settle(mine.atomicPut('create', 'mine'));
    await waitFor('create', (p) => p?.text() === 'mine');
    await other.delete('create');
    await outcome;
    expect(await other.get('create')).toBeUndefined();
  });
});
