import { describe, expect, it } from 'vitest';
import type {
  Backend,
  CallEvent,
  ChangeFeed,
  FeedSubscription,
  StoredItem,
} from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { BackendError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { watchKey, watchPrefix } from '../../src/watch/index.js';
import { sharedReads } from '../../src/watch/shared-read.js';
import { collect, withOverrides } from './support.js';

/** A memory store whose backend reports its calls; `reads()` counts snapshot reads (GetItem, Query). */
function setup() {
  const clock = new VirtualClock();
  const calls: CallEvent[] = [];
  const backend = new MemoryBackend({ clock, onCall: (e) => calls.push(e) });
  const store = new Dynastore({ backend, clock });
  const count = (op: string) => calls.filter((c) => c.operation === op).length;
  const feed = backend.changes() as unknown as { listenerCount: number };
  return { clock, backend, store, kv: store.partition('p'), calls, count, feed };
}

/** A gate: `wait()` resolves once `open()` is called. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open: () => open() };
}

describe('watchers that start together share one snapshot read (memory backend)', () => {
  it('1 000 watchers of one key: one GetItem, each gets the snapshot then every change once', async () => {
    const { clock, kv, count, feed } = setup();
    await kv.put('a', 'x');
    const ws = Array.from({ length: 1_000 }, () => collect(kv.watch('a')));
    await clock.advance(0);
    expect(count('GetItem')).toBe(1);
    await kv.put('a', 'y');
    await kv.delete('a');
    await clock.advance(0);
    for (const w of ws) {
      expect(w.labels()).toEqual(['a=x@1 snapshot', 'a=y@2 write (was x@1)', 'a gone write (was y@2)']);
      expect(w.errors).toEqual([]);
      w.sub.unsubscribe();
    }
    expect(feed.listenerCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('shares every page of a prefix read', async () => {
    const { clock, backend, count } = setup();
    for (let i = 0; i < 5; i++) await backend.write({ partition: 'p', key: `k${i}`, payload: `v${i}` });
    const paged = withOverrides(backend, {
      query: (input: Parameters<Backend['query']>[0]) => backend.query({ ...input, limit: 2 }),
    });
    const ws = Array.from({ length: 100 }, () => collect(watchPrefix({ backend: paged, clock }, 'p', 'k')));
    await clock.advance(0);
    expect(count('Query')).toBe(3); // one read: pages of 2, 2 and 1
    for (const w of ws) {
      expect(w.labels()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4'].map((k, i) => `${k}=v${i}@1 snapshot`));
      w.sub.unsubscribe();
    }
  });

  it('does not share between keys, prefixes, partitions or backends', async () => {
    const { clock, backend, store, kv, count } = setup();
    const other = new MemoryBackend({ clock });
    const ws = [
      collect(kv.watch('a')),
      collect(kv.watch('a')), // shares with the first
      collect(kv.watch('b')),
      collect(kv.watchPrefix('a')),
      collect(store.partition('q').watch('a')),
      collect(watchKey({ backend: other, clock }, 'p', 'a')),
    ];
    await clock.advance(0);
    expect(count('GetItem')).toBe(3); // a, b, q/a on `backend`; `other` reports nowhere
    expect(count('Query')).toBe(1);
    expect(ws.map((w) => w.events.length)).toEqual([1, 1, 1, 0, 1, 1]);
    for (const w of ws) w.sub.unsubscribe();
    expect(sharedReads(backend).activeIds).toBe(0);
  });

  it('a watcher that starts while a read runs waits for the next read (it was not positioned before that one)', async () => {
    const { clock, backend, count } = setup();
    await backend.write({ partition: 'p', key: 'a', payload: 'v1' });
    const slow = gate();
    let gets = 0;
    // The row is read at once; the answer arrives when the gate opens (a read that took a while).
    const b = withOverrides(backend, {
      get: async (...args: Parameters<Backend['get']>) => {
        gets++;
        const row = await backend.get(...args);
        if (gets === 1) await slow.wait();
        return row;
      },
    });
    const deps = { backend: b, clock };
    const early = collect(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    expect(gets).toBe(1);
    await backend.write({ partition: 'p', key: 'a', payload: 'v2' }); // after the read, before `late`
    await clock.advance(0);
    const late = [collect(watchKey(deps, 'p', 'a')), collect(watchKey(deps, 'p', 'a'))];
    await clock.advance(0);
    expect(gets).toBe(1); // the late ones wait for the running read to end...
    slow.open();
    await clock.advance(0);
    expect(gets).toBe(2); // ...then share the next one
    expect(count('GetItem')).toBe(2);
    await backend.write({ partition: 'p', key: 'a', payload: 'v3' });
    await clock.advance(0);
    expect(early.labels()).toEqual(['a=v1@1 snapshot', 'a=v2@2 write (was v1@1)', 'a=v3@3 write (was v2@2)']);
    for (const w of late) expect(w.labels()).toEqual(['a=v2@2 snapshot', 'a=v3@3 write (was v2@2)']);
    for (const w of [early, ...late]) w.sub.unsubscribe();
  });

  it('a watcher whose feed is positioned only after a read started does not share that read', async () => {
    const { clock, backend, count } = setup();
    await backend.write({ partition: 'p', key: 'a', payload: 'v1' });
    // The second listener of this feed is positioned late (as after a slow GetShardIterator), and
    // until then the changes are not delivered to it.
    const late = gate();
    let listeners = 0;
    const feed: ChangeFeed = {
      subscribe(onChanges, onError): FeedSubscription {
        const n = ++listeners;
        if (n === 1) return backend.changes().subscribe(onChanges, onError);
        let sub: FeedSubscription | undefined;
        let gone = false;
        const ready = late.wait().then(() => {
          if (!gone) sub = backend.changes().subscribe(onChanges, onError);
        });
        return {
          ready,
          unsubscribe: () => {
            gone = true;
            sub?.unsubscribe();
          },
        };
      },
    };
    const deps = { backend: withOverrides(backend, { changes: () => feed }), clock };
    const first = collect(watchKey(deps, 'p', 'a'));
    const second = collect(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    expect(count('GetItem')).toBe(1); // the first one's read, without the second
    await backend.write({ partition: 'p', key: 'a', payload: 'v2' }); // the second one is not positioned yet
    await clock.advance(0);
    late.open();
    await clock.advance(0);
    expect(count('GetItem')).toBe(2); // its own read, after its position was fixed
    await backend.write({ partition: 'p', key: 'a', payload: 'v3' });
    await clock.advance(0);
    expect(first.labels()).toEqual(['a=v1@1 snapshot', 'a=v2@2 write (was v1@1)', 'a=v3@3 write (was v2@2)']);
    expect(second.labels()).toEqual(['a=v2@2 snapshot', 'a=v3@3 write (was v2@2)']);
    for (const w of [first, second]) w.sub.unsubscribe();
  });

  it('loses nothing and repeats nothing while writers race the shared read', async () => {
    const { clock, backend, kv, count } = setup();
    let writes = 0;
    const write = async () => {
      writes++;
      await kv.put('a', `v${writes}`);
    };
    await write();
    // Writes land between positioning and the read, and while the read is in flight.
    const racing = withOverrides(backend, {
      get: async (...args: Parameters<Backend['get']>) => {
        await write();
        await write();
        const row = await backend.get(...args);
        await write();
        return row;
      },
    });
    const deps = { backend: racing, clock };
    const ws = Array.from({ length: 50 }, () => collect(watchKey(deps, 'p', 'a')));
    await clock.advance(0);
    // a second wave while nothing runs, a third while its read runs
    const wave2 = Array.from({ length: 50 }, () => collect(watchKey(deps, 'p', 'a')));
    await Promise.resolve();
    await Promise.resolve();
    const wave3 = Array.from({ length: 50 }, () => collect(watchKey(deps, 'p', 'a')));
    await clock.advance(0);
    await write();
    await clock.advance(0);
    expect(count('GetItem')).toBe(3);
    for (const w of [...ws, ...wave2, ...wave3]) {
      const versions = w.events.map((e) => e.pair?.version ?? -1);
      expect(w.events[0]?.cause).toBe('snapshot');
      expect(w.errors).toEqual([]);
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, k) => versions[0]! + k));
      expect(versions.at(-1)).toBe(writes);
      w.sub.unsubscribe();
    }
  });

  it('hands a read error to every sharer and leaves nothing subscribed', async () => {
    const { clock, backend, feed } = setup();
    const failing = withOverrides(backend, {
      get: async () => {
        throw new BackendError('GetItem', 'nope', false);
      },
    });
    const ws = Array.from({ length: 20 }, () => collect(watchKey({ backend: failing, clock }, 'p', 'a')));
    await clock.advance(0);
    for (const w of ws) {
      expect(w.errors).toHaveLength(1);
      expect(w.errors[0]).toBeInstanceOf(BackendError);
      expect(w.events).toEqual([]);
    }
    expect(feed.listenerCount).toBe(0);
    expect(sharedReads(failing).activeIds).toBe(0);
  });

  it('a sharer that leaves early does not cancel the others', async () => {
    const { clock, backend, kv } = setup();
    await kv.put('a', 'x');
    const slow = gate();
    const b = withOverrides(backend, {
      get: async (...args: Parameters<Backend['get']>) => {
        await slow.wait();
        return backend.get(...args);
      },
    });
    const ws = Array.from({ length: 3 }, () => collect(watchKey({ backend: b, clock }, 'p', 'a')));
    await clock.advance(0);
    ws[0]!.sub.unsubscribe();
    slow.open();
    await clock.advance(0);
    await kv.put('a', 'y');
    await clock.advance(0);
    expect(ws[0]!.events).toEqual([]);
    for (const w of ws.slice(1)) expect(w.labels()).toEqual(['a=x@1 snapshot', 'a=y@2 write (was x@1)']);
    for (const w of ws) w.sub.unsubscribe();
  });

  it('stays cold: no read before subscribe, none for watchers gone before it starts', async () => {
    const { clock, kv, count, feed, backend } = setup();
    const obs = kv.watch('a');
    const prefix = kv.watchPrefix('');
    await clock.advance(0);
    expect(count('GetItem') + count('Query')).toBe(0);
    const subs = [obs.subscribe(), obs.subscribe(), prefix.subscribe()];
    await Promise.resolve(); // positioned (the memory feed is at once), the read not yet started
    for (const s of subs) s.unsubscribe();
    await clock.advance(0);
    expect(count('GetItem') + count('Query')).toBe(0);
    expect(feed.listenerCount).toBe(0);
    expect(sharedReads(backend).activeIds).toBe(0);
  });

  it('stops a prefix read at the next page once every sharer has left', async () => {
    const { clock, backend } = setup();
    for (let i = 0; i < 6; i++) await backend.write({ partition: 'p', key: `k${i}`, payload: 'v' });
    const pages: (readonly StoredItem[])[] = [];
    const slow = gate();
    const b = withOverrides(backend, {
      query: async (input: Parameters<Backend['query']>[0]) => {
        const page = await backend.query({ ...input, limit: 2 });
        pages.push(page.items);
        if (pages.length === 1) await slow.wait();
        return page;
      },
    });
    const ws = Array.from({ length: 2 }, () => collect(watchPrefix({ backend: b, clock }, 'p', '')));
    await clock.advance(0);
    expect(pages).toHaveLength(1);
    for (const w of ws) w.sub.unsubscribe();
    slow.open();
    await clock.advance(0);
    expect(pages).toHaveLength(1);
    expect(ws.map((w) => w.events.length)).toEqual([0, 0]);
    expect(sharedReads(b).activeIds).toBe(0);
  });

  it('sets up 4x the watchers for about 4x the CPU, not 16x (no quadratic step)', async () => {
    // CPU time, best of two, and a bound well above linear: the machine may be busy. (Below
    // about 10 000 watchers the cost per watcher is lower still: fewer objects outlive a scavenge.)
    const setupCpuMs = async (n: number) => {
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 2; run++) {
        const { clock, kv } = setup();
        await kv.put('a', 'x');
        let snapshots = 0;
        const before = process.cpuUsage();
        const subs = Array.from({ length: n }, () => kv.watch('a').subscribe(() => snapshots++));
        await clock.advance(0);
        const used = process.cpuUsage(before);
        best = Math.min(best, (used.user + used.system) / 1000);
        expect(snapshots).toBe(n);
        for (const s of subs) s.unsubscribe();
      }
      return best;
    };
    await setupCpuMs(10_000); // warm up
    const small = await setupCpuMs(10_000);
    const large = await setupCpuMs(40_000);
    expect(large / small).toBeLessThan(10);
  });
});
