import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Backend, ChangeFeed, FeedSubscription } from '../../src/contract/backend.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import { BackendError, ValidationError } from '../../src/contract/errors/store.js';
import { WatchCompactedError } from '../../src/contract/errors/watch.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { MemoryBackend } from '../../src/memory/backend.js';
import { watchKey, watchPrefix } from '../../src/watch/index.js';
import { fmt, collect as record, withOverrides as wrap } from './support.js';

function setup() {
  const clock = new VirtualClock();
  const backend = new MemoryBackend({ clock });
  const store = new Dynastore({ backend, clock });
  const deps = { backend, clock };
  return { clock, backend, store, deps, kv: store.partition('p') };
}

describe('watch(key) on the memory backend', () => {
  it('emits the absent snapshot, then every change in order with the previous value', async () => {
    const { clock, deps, kv } = setup();
    const w = record(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    await kv.put('a', 'x');
    await kv.put('a', 'y');
    await kv.put('other', 'z');
    await kv.delete('a');
    await kv.delete('a'); // deleting what is absent emits nothing
    await clock.advance(0);
    expect(w.labels()).toEqual([
      'a gone snapshot',
      'a=x@1 write',
      'a=y@2 write (was x@1)',
      'a gone write (was y@2)',
    ]);
    w.sub.unsubscribe();
  });

  it('starts with the current value and does not repeat it', async () => {
    const { clock, deps, kv } = setup();
    await kv.put('a', 'x');
    await kv.put('a', 'y');
    const w = record(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    await kv.put('a', 'z');
    await clock.advance(0);
    expect(w.labels()).toEqual(['a=y@2 snapshot', 'a=z@3 write (was y@2)']);
    w.sub.unsubscribe();
  });

  it('reports a re-created key (its version starts again at 1)', async () => {
    const { clock, deps, kv } = setup();
    await kv.put('a', 'x');
    await kv.put('a', 'y');
    const w = record(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    await kv.delete('a');
    await kv.put('a', 'new');
    await kv.put('a', 'newer');
    await clock.advance(0);
    expect(w.labels()).toEqual([
      'a=y@2 snapshot',
      'a gone write (was y@2)',
      'a=new@1 write',
      'a=newer@2 write (was new@1)',
    ]);
    w.sub.unsubscribe();
  });

  it('reports expiry when expires passes, before the reaper, and not again when the row is reaped', async () => {
    const { clock, backend, deps, kv } = setup();
    const w = record(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    const pair = await kv.put('a', 'x', { ttlMs: 5_000 });
    await clock.advance(0);
    const expiresAt = pair.expiresAt!.getTime();
    let expiredAt = 0;
    const probe = watchKey(deps, 'p', 'a').subscribe((e) => {
      if (e.cause === 'expiry') expiredAt = clock.now();
    });
    await clock.advance(expiresAt - clock.now() - 1);
    expect(w.labels()).toEqual(['a gone snapshot', 'a=x@1 write']);
    await clock.advance(1);
    expect(w.labels().at(-1)).toBe('a gone expiry (was x@1)');
    expect(expiredAt).toBe(expiresAt);
    expect(backend.reap()).toBe(1);
    await clock.advance(0);
    expect(w.events).toHaveLength(3);
    await kv.put('a', 'back');
    await clock.advance(0);
    expect(w.labels().at(-1)).toBe('a=back@1 write');
    probe.unsubscribe();
    w.sub.unsubscribe();
  });

  it('treats a write over an expired, unreaped row as a put of a new value', async () => {
    const { clock, deps, kv } = setup();
    await kv.put('a', 'x', { ttlMs: 1_000 });
    await clock.advance(2_000);
    const w = record(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    await kv.put('a', 'y');
    await clock.advance(0);
    expect(w.labels()).toEqual(['a gone snapshot', 'a=y@2 write']);
    w.sub.unsubscribe();
  });

  it('does not report a put of an already-expired item as a put', async () => {
    const { clock, backend, deps, kv } = setup();
    const w = record(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    const past = Math.floor(clock.now() / 1000) - 10;
    await backend.write({ partition: 'p', key: 'a', payload: 'stale', expiresSec: past });
    await clock.advance(0);
    expect(w.labels()).toEqual(['a gone snapshot']);
    await kv.put('a', 'live');
    await backend.write({ partition: 'p', key: 'a', payload: 'stale', expiresSec: past });
    await clock.advance(0);
    expect(w.labels()).toEqual(['a gone snapshot', 'a=live@2 write', 'a gone expiry (was live@2)']);
    w.sub.unsubscribe();
  });

  it('tears down on unsubscribe: leaves the feed and cancels expiry timers', async () => {
    const { clock, backend, deps, kv } = setup();
    await kv.put('a', 'x', { ttlMs: 60_000 });
    const w = record(watchKey(deps, 'p', 'a'));
    await clock.advance(0);
    expect(clock.pendingTimers).toBe(1);
    const feed = backend.changes() as ChangeFeed & { listenerCount: number };
    expect(feed.listenerCount).toBe(1);
    w.sub.unsubscribe();
    expect(feed.listenerCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('is cold: each subscription gets its own snapshot', async () => {
    const { clock, deps, kv } = setup();
    const obs = watchKey(deps, 'p', 'a');
    await kv.put('a', 'x');
    const first = firstValueFrom(obs);
    await clock.advance(0);
    await kv.put('a', 'y');
    const second = firstValueFrom(obs);
    await clock.advance(0);
    expect(fmt(await first)).toBe('a=x@1 snapshot');
    expect(fmt(await second)).toBe('a=y@2 snapshot');
  });

  it('checks its arguments before reading anything', () => {
    const { deps } = setup();
    expect(() => watchKey(deps, 'p', '')).toThrow(ValidationError);
    expect(() => watchKey(deps, '', 'a')).toThrow(ValidationError);
    expect(() => watchKey(deps, 'p', 'x'.repeat(1025))).toThrow(ValidationError);
    expect(() => watchKey(deps, 'p', 'a', { signal: 1 } as never)).toThrow(/unknown option/);
    expect(() => watchPrefix(deps, 'p', 'x'.repeat(1025))).toThrow(ValidationError);
    expect(() => watchPrefix(deps, 'p', 'a', { pageSize: 1 } as never)).toThrow(ValidationError);
  });
});

describe('watchPrefix on the memory backend', () => {
  it('emits a snapshot of live keys under the prefix in key order, then their changes only', async () => {
    const { clock, deps, kv, store } = setup();
    const other = store.partition('q');
    await kv.put('jobs/2', 'b');
    await kv.put('jobs/1', 'a');
    await kv.put('jobx', 'no');
    await kv.put('jobs/old', 'gone', { ttlMs: 1_000 });
    await clock.advance(2_000);
    const w = record(watchPrefix(deps, 'p', 'jobs/'));
    await clock.advance(0);
    await other.put('jobs/1', 'other partition');
    await kv.put('jobs/3', 'c');
    await kv.put('jobz', 'no');
    await kv.delete('jobs/1');
    await kv.put('jobs/2', 'bb');
    await clock.advance(0);
    expect(w.labels()).toEqual([
      'jobs/1=a@1 snapshot',
      'jobs/2=b@1 snapshot',
      'jobs/3=c@1 write',
      'jobs/1 gone write (was a@1)',
      'jobs/2=bb@2 write (was b@1)',
    ]);
    w.sub.unsubscribe();
  });

  it('reads every page of the snapshot', async () => {
    const { clock, backend } = setup();
    const pages: number[] = [];
    const paged: Backend = wrap(backend, {
      query: async (input: Parameters<Backend['query']>[0]) => {
        const page = await backend.query({ ...input, limit: 2 });
        pages.push(page.items.length);
        return page;
      },
      changes: () => backend.changes(),
    });
    for (let i = 0; i < 5; i++) await backend.write({ partition: 'p', key: `k${i}`, payload: 'v' });
    const w = record(watchPrefix({ backend: paged, clock }, 'p', ''));
    await clock.advance(0);
    expect(w.events.map((e) => e.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(pages).toEqual([2, 2, 1]);
    w.sub.unsubscribe();
  });
});

describe('snapshot and stream together', () => {
  it('loses nothing and repeats nothing while writers race the snapshot read', async () => {
    const { clock, backend, kv } = setup();
    let writes = 0;
    const write = async () => {
      writes++;
      await kv.put('a', `v${writes}`);
    };
    await write();
    // Writes land between ready and the read, and while the read is in flight.
    const racing: Backend = wrap(backend, {
      get: async (...args: Parameters<Backend['get']>) => {
        await write();
        await write();
        const row = await backend.get(...args);
        await write();
        return row;
      },
      changes: () => backend.changes(),
    });
    const w = record(watchKey({ backend: racing, clock }, 'p', 'a'));
    await clock.advance(0);
    await write();
    await clock.advance(0);
    const versions = w.events.map((e) => e.pair?.version);
    expect(versions).toEqual([3, 4, 5]);
    expect(w.events[0]?.cause).toBe('snapshot');
    w.sub.unsubscribe();
  });

  it('skips records from before the snapshot, across delete and re-create', async () => {
    const { clock, backend, kv } = setup();
    await kv.put('a', 'old1');
    await kv.put('a', 'old2');
    await kv.put('a', 'old3');
    // A feed that delivers, to each new listener, the records committed shortly before it subscribed.
    const history: Parameters<Parameters<ChangeFeed['subscribe']>[0]>[0][number][] = [];
    backend.changes().subscribe(
      (c) => history.push(...c),
      () => {},
    );
    await kv.delete('a');
    await kv.put('a', 'new1');
    await kv.put('a', 'new2');
    await clock.advance(0);
    const replaying: ChangeFeed = {
      subscribe(onChanges, onError): FeedSubscription {
        const sub = backend.changes().subscribe(onChanges, onError);
        queueMicrotask(() => onChanges([...history]));
        return sub;
      },
    };
    const b: Backend = wrap(backend, { changes: () => replaying });
    const w = record(watchKey({ backend: b, clock }, 'p', 'a'));
    await clock.advance(0);
    await kv.put('a', 'new3');
    await clock.advance(0);
    expect(w.labels()).toEqual(['a=new2@2 snapshot', 'a=new3@3 write (was new2@2)']);
    w.sub.unsubscribe();
  });

  it('ends with the feed error and leaves the feed', async () => {
    const { clock, backend } = setup();
    let fail: (err: Error) => void = () => {};
    let unsubscribed = 0;
    const feed: ChangeFeed = {
      subscribe(_onChanges, onError) {
        fail = onError;
        return { ready: Promise.resolve(), unsubscribe: () => unsubscribed++ };
      },
    };
    const b: Backend = wrap(backend, { changes: () => feed });
    const w = record(watchKey({ backend: b, clock }, 'p', 'a'));
    await clock.advance(0);
    fail(new WatchCompactedError('lost'));
    expect(w.errors[0]).toBeInstanceOf(WatchCompactedError);
    expect(unsubscribed).toBe(1);
    expect(w.events).toHaveLength(1);
  });

  it('ends with the snapshot read error', async () => {
    const { clock, backend } = setup();
    const b: Backend = wrap(backend, {
      get: async () => {
        throw new BackendError('GetItem', 'nope', false);
      },
      changes: () => backend.changes(),
    });
    const w = record(watchKey({ backend: b, clock }, 'p', 'a'));
    await clock.advance(0);
    expect(w.errors[0]).toBeInstanceOf(BackendError);
    expect((backend.changes() as ChangeFeed & { listenerCount: number }).listenerCount).toBe(0);
  });

  it('ends when ready rejects', async () => {
    const { clock, backend } = setup();
    const feed: ChangeFeed = {
      subscribe: () => ({ ready: Promise.reject(new Error('no stream')), unsubscribe: () => {} }),
    };
    const b: Backend = wrap(backend, { changes: () => feed });
    const err = await firstValueFrom(
      watchKey({ backend: b, clock }, 'p', 'a').pipe(take(1), toArray()),
    ).catch((e) => e);
    await clock.advance(0);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('no stream');
  });
});
