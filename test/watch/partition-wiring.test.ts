import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { type DynamoTable, useDynamoTable } from '../support/dynamo.js';
import { collect, until } from './support.js';

describe('partition.watch through Dynastore', () => {
  let table: DynamoTable;
  beforeAll(async () => {
    table = await useDynamoTable();
  });
  afterAll(() => table?.cleanup());

  it('works on the memory backend under a virtual clock', async () => {
    const clock = new VirtualClock();
    const kv = new Dynastore({ backend: new MemoryBackend({ clock }), clock }).partition('config');
    const w = collect(kv.watch('flags'));
    await clock.advance(0);
    await kv.put('flags', 'on', { ttlMs: 1_000 });
    await clock.advance(2_000);
    expect(w.labels()).toEqual(['flags gone snapshot', 'flags=on@1 write', 'flags gone expiry (was on@1)']);
    w.sub.unsubscribe();
    expect(clock.pendingTimers).toBe(0);
  });

  it('works on DynamoDB through the backend change feed', async () => {
    const calls: string[] = [];
    const store = new Dynastore({
      client: table.client,
      tableName: table.tableName,
      stream: { pollIntervalMs: 50, idlePollIntervalMs: 100, lingerMs: 0 },
      onCall: (e) => calls.push(`${e.operation}${e.error ? `!${(e.error as Error).name}` : ''}`),
    });
    const kv = store.partition('config');
    const key = collect(kv.watch('a'));
    const prefix = collect(kv.watchPrefix('a'));
    await until(() => key.events.length === 1);
    await kv.put('a', 'x');
    await kv.put('ab', 'y');
    await until(() => key.events.length === 2 && prefix.events.length === 2, 5_000, 'events').catch((err) => {
      throw new Error(
        `${err.message}: key ${key.labels()} prefix ${prefix.labels()} calls ${calls.join(',')}`,
      );
    });
    expect(key.labels()).toEqual(['a gone snapshot', 'a=x@1 write']);
    expect(prefix.labels()).toEqual(['a=x@1 write', 'ab=y@1 write']);
    key.sub.unsubscribe();
    prefix.sub.unsubscribe();
    const feed = store.backend.changes() as { idle?: () => Promise<void>; polling?: boolean };
    await feed.idle?.();
    expect(feed.polling).toBe(false);
  });
});
