import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend, ChangeFeed } from '../../src/contract/backend.js';
import type { Clock } from '../../src/contract/clock/types.js';
import { LockTimeoutError } from '../../src/contract/errors/lock.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { Lease } from '../../src/lock/lease.js';
import { resolveLockOptions } from '../../src/lock/options.js';
import type { MemoryFeed } from '../../src/memory/feed.js';
import { FaultyBackend, isGrant, settle, simulation, trackUnhandled } from './support/sim.js';

let unhandled: ReturnType<typeof trackUnhandled>;
beforeEach(() => {
  unhandled = trackUnhandled();
});
afterEach(() => {
  unhandled.stop();
  expect(unhandled.errors).toEqual([]);
});

const opts = { leaseMs: 1_000, maxClockSkewMs: 100, heartbeatMs: 300, pollMs: 250 };

/** One process's store over `inner`, whose change feed is replaced by `feed` (absent, failing, behind). */
function storeWithFeed(inner: Backend, clock: Clock, feed: ChangeFeed) {
  const backend = new (class extends FaultyBackend {
    override changes(): ChangeFeed {
      return feed;
    }
  })(inner, clock);
  return { backend, store: new Dynastore({ backend, clock }) };
}

/** A feed that fails as soon as it is subscribed (a table without a stream). */
const failingFeed: ChangeFeed = {
  subscribe: (_onChanges, onError) => {
    const ready = Promise.reject(new Error('no stream'));
    ready.catch(() => {});
    queueMicrotask(() => onError(new Error('no stream')));
    return { ready, unsubscribe: () => {} };
  },
};

/** A feed that is positioned but reports itself behind (throttled) and delivers nothing. */
const throttledFeed: ChangeFeed = {
  subscribe: (_onChanges, _onError, onHealth) => {
    queueMicrotask(() => onHealth?.(false));
    return { ready: Promise.resolve(), unsubscribe: () => {} };
  },
};

describe('waiters of one process queue: one grant write per handoff, in arrival order', () => {
  it('8 waiters, 7 handoffs: no refused grant write, served first come first served', async () => {
    const sim = simulation();
    const holder = await sim.store().store.lock('job', opts).acquire();
    const p = sim.store(); // one process, 8 tasks waiting on the same lock
    const order: number[] = [];
    const leases: Lease[] = [];
    const waiters = Array.from({ length: 8 }, (_, i) =>
      settle(
        (async () => {
          await sim.clock.sleep(i); // arrive 1 ms apart
          const lease = await p.store.lock('job', opts).acquire();
          order.push(i);
          leases.push(lease);
          await sim.clock.sleep(100); // a short job
          await lease.release();
        })(),
      ),
    );
    await sim.clock.advance(2_000);
    const grantsBefore = p.backend.calls.filter((c) => isGrant(c.input)).length;
    await holder.release();
    expect(await sim.clock.advanceUntil(() => waiters.every((w) => w.done), 60_000, 1)).toBe(true);
    for (const w of waiters) expect(w.error).toBeUndefined();
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const grants = p.backend.calls.filter((c) => isGrant(c.input)).length - grantsBefore;
    // 8 handoffs (the holder's release, then 7 between the tasks), each one grant write
    expect(grants).toBe(8);
    for (let i = 1; i < leases.length; i++) {
      expect(leases[i]?.token).toBeGreaterThan(leases[i - 1]?.token as bigint);
    }
  });

  it('a head that gives up (aborted, timed out) stalls nobody: the next in line takes the release at once', async () => {
    const sim = simulation();
    const holder = await sim.store().store.lock('job', opts).acquire();
    const p = sim.store();
    const abort = new AbortController();
    const aborted = settle(p.store.lock('job', opts).acquire({ signal: abort.signal }));
    const impatient = settle(p.store.lock('job', opts).acquire({ waitMs: 500 }));
    const patient = settle(p.store.lock('job', opts).acquire());
    await sim.clock.advance(200);
    abort.abort(new Error('caller gave up'));
    await sim.clock.advance(400);
    expect(aborted.error).toEqual(new Error('caller gave up'));
    expect(impatient.error).toBeInstanceOf(LockTimeoutError);
    // the timed-out waiter never was head, yet names the holder the queue saw
    expect((impatient.error as LockTimeoutError).holder?.owner).toBe(holder.owner);
    expect(patient.done).toBe(false);
    await holder.release();
    const releasedAt = sim.clock.monotonic();
    expect(await sim.clock.advanceUntil(() => patient.done, 5_000, 1)).toBe(true);
    expect(sim.clock.monotonic() - releasedAt).toBeLessThanOrEqual(1);
    await (patient.value as Lease).release();
  });

  it('a release in this process hands over at once, without waiting for the change feed', async () => {
    const sim = simulation();
    // a feed that is positioned and healthy but delivers nothing: only a safety read (a lease later) would tell
    const silent: ChangeFeed = { subscribe: () => ({ ready: Promise.resolve(), unsubscribe: () => {} }) };
    const p = storeWithFeed(sim.memory, sim.clock, silent);
    const first = await p.store.lock('job', opts).acquire();
    const next = settle(p.store.lock('job', opts).acquire());
    await sim.clock.advance(100);
    const reads = p.backend.count('get');
    await first.release();
    const releasedAt = sim.clock.monotonic();
    expect(await sim.clock.advanceUntil(() => next.done, 5_000, 1)).toBe(true);
    expect(sim.clock.monotonic() - releasedAt).toBeLessThanOrEqual(1);
    expect(p.backend.count('get')).toBe(reads); // no read needed
    expect((next.value as Lease).token).toBeGreaterThan(first.token);
    await (next.value as Lease).release();
  });

  it('other processes still contend: each process is one contender, and the lock stays exclusive', async () => {
    const sim = simulation();
    let inside = 0;
    let peak = 0;
    const work = async (p: ReturnType<typeof sim.store>) => {
      const lease = await p.store.lock('job', opts).acquire();
      inside++;
      peak = Math.max(peak, inside);
      await sim.clock.sleep(50);
      inside--;
      await lease.release();
    };
    const processes = [sim.store(), sim.store(), sim.store()];
    const all = settle(Promise.all(processes.flatMap((p) => [work(p), work(p), work(p)])));
    expect(await sim.clock.advanceUntil(() => all.done, 60_000, 1)).toBe(true);
    expect(all.error).toBeUndefined();
    expect(peak).toBe(1);
  });

  it('a semaphore: only the head contends, each waiter gets a freed slot', async () => {
    const sim = simulation();
    const sem = (p: ReturnType<typeof sim.store>) => p.store.semaphore('pool', { permits: 2, ...opts });
    const a = sim.store();
    const held = [await sem(a).acquire(), await sem(a).acquire()];
    const p = sim.store();
    const waiters = Array.from({ length: 4 }, () => settle(sem(p).acquire()));
    await sim.clock.advance(2_000);
    const grantsBefore = p.backend.calls.filter((c) => isGrant(c.input)).length;
    await Promise.all(held.map((l) => l.release()));
    expect(await sim.clock.advanceUntil(() => waiters.filter((w) => w.done).length === 2, 5_000, 1)).toBe(
      true,
    );
    expect(p.backend.calls.filter((c) => isGrant(c.input)).length - grantsBefore).toBe(2);
    const keys = waiters.filter((w) => w.done).map((w) => (w.value as Lease).key);
    expect(new Set(keys)).toEqual(new Set(['pool#0', 'pool#1']));
    for (const w of waiters.filter((x) => x.done)) await (w.value as Lease).release();
    expect(await sim.clock.advanceUntil(() => waiters.every((w) => w.done), 5_000, 1)).toBe(true);
    for (const w of waiters) await (w.value as Lease).release();
  });
});

describe('table reads of a waiter: sparse while the feed is live, polling otherwise', () => {
  const defaults = {}; // leaseMs 10 s, heartbeat 3.33 s, pollMs 1 s
  const HOUR = 3_600_000;

  async function readsPerHour(feed: 'live' | 'failing' | 'throttled' | 'off'): Promise<number> {
    const sim = simulation();
    const holder = await sim.store().store.lock('job', defaults).acquire();
    const p =
      feed === 'failing'
        ? storeWithFeed(sim.memory, sim.clock, failingFeed)
        : feed === 'throttled'
          ? storeWithFeed(sim.memory, sim.clock, throttledFeed)
          : sim.store();
    const waiter = settle(p.store.lock('job', feed === 'off' ? { wakeOnChange: false } : defaults).acquire());
    await sim.clock.advance(HOUR);
    expect(waiter.done).toBe(false);
    const reads = p.backend.count('get');
    await holder.release();
    expect(await sim.clock.advanceUntil(() => waiter.done, 20_000, 10)).toBe(true);
    await (waiter.value as Lease).release();
    return reads;
  }

  it('live feed: about one read per lease (≤ 400 per hour at defaults); without it, one per pollMs', async () => {
    const live = await readsPerHour('live');
    const failing = await readsPerHour('failing');
    const throttled = await readsPerHour('throttled');
    const off = await readsPerHour('off');
    console.info('[reads per hour of one waiter, defaults]', { live, failing, throttled, off });
    expect(live).toBeLessThanOrEqual(400);
    expect(live).toBeGreaterThanOrEqual(3_600_000 / 12_000); // still a safety read every 1.2 leases
    // polling: a jittered 50-100 % of pollMs (1 s), about 4 800 an hour, at most 7 200
    for (const polling of [failing, throttled, off]) {
      expect(polling).toBeGreaterThan(3_600);
      expect(polling).toBeLessThanOrEqual(7_200);
    }
  });

  it('calls during one failover (2 s lease, holder cut off): a grant and at most a safety read or two', async () => {
    const timing = { leaseMs: 2_000, heartbeatMs: 667 };
    const sim = simulation();
    const a = sim.store();
    await a.store.lock('job', timing).acquire();
    const p = sim.store();
    const waiter = settle(p.store.lock('job', timing).acquire());
    await sim.clock.advance(5_000);
    const before = p.backend.calls.length;
    a.backend.down = () => new Error('cut off'); // the holder dies: no more renewals
    expect(await sim.clock.advanceUntil(() => waiter.done, 10_000, 1)).toBe(true);
    const calls = p.backend.calls.slice(before).map((c) => c.op);
    console.info('[calls by the waiter during one failover, 2 s lease]', calls);
    expect(calls.filter((op) => op === 'write')).toHaveLength(1);
    expect(calls.filter((op) => op === 'get').length).toBeLessThanOrEqual(2);
    await (waiter.value as Lease).release();
  });

  it('a live feed that missed a renewal costs at most one refused grant, never a wrong takeover', async () => {
    const sim = simulation();
    const a = sim.store();
    const holder = await a.store.lock('job', opts).acquire();
    // the waiter's feed goes quiet (positioned, reporting itself healthy, delivering nothing)
    const silent: ChangeFeed = { subscribe: () => ({ ready: Promise.resolve(), unsubscribe: () => {} }) };
    const p = storeWithFeed(sim.memory, sim.clock, silent);
    const waiter = settle(p.store.lock('job', opts).acquire());
    await sim.clock.advance(20 * opts.leaseMs);
    expect(waiter.done).toBe(false);
    expect(holder.signal.aborted).toBe(false);
    // rule (b) fired about once per lease on a stale observation: refused by the version check
    const grants = p.backend.calls.filter((c) => isGrant(c.input)).length;
    expect(grants).toBeLessThanOrEqual(20 + 2);
    await holder.release();
  });

  it('heartbeatMs: false (a Lambda) starts no Streams poller by default; wakeOnChange: true still does', async () => {
    expect(resolveLockOptions('lock', { heartbeatMs: false }).wakeOnChange).toBe(false);
    expect(resolveLockOptions('lock', { heartbeatMs: false, wakeOnChange: true }).wakeOnChange).toBe(true);
    expect(resolveLockOptions('lock', {}).wakeOnChange).toBe(true);
    const sim = simulation();
    const feed = sim.memory.changes() as MemoryFeed;
    const holder = await sim.store().store.lock('job', opts).acquire();
    const lambda = settle(
      sim
        .store()
        .store.lock('job', { ...opts, heartbeatMs: false })
        .acquire(),
    );
    await sim.clock.advance(100);
    expect(feed.listenerCount).toBe(0);
    await holder.release();
    expect(await sim.clock.advanceUntil(() => lambda.done, 2_000, 1)).toBe(true);
    await (lambda.value as Lease).release();
  });
});
