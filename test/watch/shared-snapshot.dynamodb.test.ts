import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/contract/backend.js';
import { BackendError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { localDynamoClient } from '../../src/testing/local-client.js';
import { sharedReads } from '../../src/watch/shared-read.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { collect, until } from './support.js';

let table: DynamoTable;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  table = await useDynamoTable();
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await table?.cleanup();
});

/** A store of its own (own client, own Streams poller) whose calls are recorded. */
function newStore() {
  const calls: CallEvent[] = [];
  // 1 000 subscriptions at once: the SDK's warning about queued requests would only be noise.
  const client = localDynamoClient(table.endpoint, {
    requestHandler: { socketAcquisitionWarningTimeout: 60_000 },
  });
  clients.push(client);
  const store = new Dynastore({
    client,
    tableName: table.tableName,
    stream: { pollIntervalMs: 50, idlePollIntervalMs: 100, lingerMs: 0 },
    onCall: (e) => calls.push(e),
  });
  const count = (op: string) => calls.filter((c) => c.operation === op).length;
  const idle = async () => {
    const feed = store.backend.changes() as unknown as { idle(): Promise<void>; listenerCount: number };
    await feed.idle();
    return feed.listenerCount;
  };
  return { client, store, calls, count, idle };
}

describe('watchers that start together share one snapshot read (DynamoDB Local)', () => {
  it('1 000 watchers of one key subscribing at once make one GetItem, and each sees every change once', async () => {
    const { store, count, idle } = newStore();
    const kv = store.partition('one-key');
    await kv.put('a', 'x');
    const ws = Array.from({ length: 1_000 }, () => collect(kv.watch('a')));
    await until(() => ws.every((w) => w.events.length === 1), 20_000, 'every snapshot');
    expect(count('GetItem')).toBe(1); // one per watcher before
    await kv.put('a', 'y');
    await until(() => ws.every((w) => w.events.length === 2), 10_000, 'the change');
    for (const w of ws) {
      expect(w.labels()).toEqual(['a=x@1 snapshot', 'a=y@2 write (was x@1)']);
      expect(w.errors).toEqual([]);
      w.sub.unsubscribe();
    }
    expect(await idle()).toBe(0);
    expect(sharedReads(store.backend).activeIds).toBe(0);
  });

  it('200 prefix watchers share one Query', async () => {
    const { store, count } = newStore();
    const kv = store.partition('one-prefix');
    await kv.put('jobs/1', 'a');
    await kv.put('jobs/2', 'b');
    const ws = Array.from({ length: 200 }, () => collect(kv.watchPrefix('jobs/')));
    await until(() => ws.every((w) => w.events.length === 2), 20_000, 'every snapshot');
    expect(count('Query')).toBe(1);
    await kv.delete('jobs/1');
    await until(() => ws.every((w) => w.events.length === 3), 10_000, 'the change');
    for (const w of ws) {
      expect(w.labels()).toEqual([
        'jobs/1=a@1 snapshot',
        'jobs/2=b@1 snapshot',
        'jobs/1 gone write (was a@1)',
      ]);
      w.sub.unsubscribe();
    }
  });

  it('loses nothing and repeats nothing while writers race the shared snapshot reads', async () => {
    const { store, count } = newStore();
    const kv = store.partition('racing');
    const writer = newStore().store.partition('racing'); // its reads (if any) are not counted
    await writer.put('hot', '0');
    let writing = true;
    let last = 1;
    const writers = Array.from({ length: 3 }, async () => {
      while (writing) last = Math.max(last, (await writer.put('hot', 'v')).version);
    });
    // one watcher first, so that the feed is positioned and the waves below start at once
    const watchers = [collect(kv.watch('hot'))];
    await until(() => watchers[0]!.events.length > 0, 10_000, 'the first snapshot');
    const waves = 8;
    for (let i = 0; i < waves; i++) {
      for (let j = 0; j < 50; j++) watchers.push(collect(kv.watch('hot')));
      await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3) * 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    writing = false;
    await Promise.all(writers);
    for (const [i, w] of watchers.entries()) {
      await until(() => w.events.at(-1)?.pair?.version === last, 10_000, `version ${last}`).catch(
        (err: Error) => {
          // say where it stopped: an error, a stall after some version, or no event at all
          const tail = w.events.slice(-3).map((e) => `${e.cause}@${e.pair?.version ?? '-'}`);
          throw new Error(
            `watcher ${i}: ${err.message}; last events ${tail.join(', ') || 'none'}; errors ${String(w.errors)}`,
          );
        },
      );
      const versions = w.events.map((e) => e.pair?.version ?? -1);
      expect(w.events[0]?.cause).toBe('snapshot');
      expect(w.errors).toEqual([]);
      // consecutive versions from the snapshot on: no gap, no duplicate
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, k) => versions[0]! + k));
      w.sub.unsubscribe();
    }
    // at most one read per wave (a wave that starts while a read runs waits for the next one)
    expect(count('GetItem')).toBeGreaterThan(1);
    expect(count('GetItem')).toBeLessThanOrEqual(1 + waves);
    // the writes really raced the reads: the watchers' snapshots are of different versions
    expect(new Set(watchers.map((w) => w.events[0]?.pair?.version)).size).toBeGreaterThan(1);
  });

  it('hands a failed read to every sharer', async () => {
    const { client, store, idle } = newStore();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetItemCommand')
          throw Object.assign(new Error('not allowed to read'), {
            name: 'AccessDeniedException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        return next(args);
      },
      { step: 'initialize', name: 'denyGetItem' },
    );
    const ws = Array.from({ length: 30 }, () => collect(store.partition('denied').watch('a')));
    await until(() => ws.every((w) => w.errors.length === 1), 10_000, 'every error');
    for (const w of ws) {
      expect(w.errors[0]).toBeInstanceOf(BackendError);
      expect(w.events).toEqual([]);
    }
    expect(await idle()).toBe(0);
  });
});
