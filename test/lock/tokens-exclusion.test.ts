import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeFeed } from '../../src/contract/backend.js';
import { FencedError, LeaseLostError } from '../../src/contract/errors/lock.js';
import { BackendError } from '../../src/contract/errors/store.js';
import type { Lease } from '../../src/lock/lease.js';
import { settle, simulation, trackUnhandled } from './support/sim.js';

const opts = { leaseMs: 1_000, maxClockSkewMs: 100, heartbeatMs: 300, pollMs: 250, retentionMs: 5_000 };

let unhandled: ReturnType<typeof trackUnhandled>;
beforeEach(() => {
  unhandled = trackUnhandled();
});
afterEach(() => {
  unhandled.stop();
  expect(unhandled.errors).toEqual([]);
});

describe('fencing tokens strictly increase per key', () => {
  it('across release, crash takeover, deletion of the row (by hand and by TTL) and deletion while held', async () => {
    const sim = simulation();
    const tokens: bigint[] = [];
    const lock = () => sim.store().store.lock('job', opts);

    const l1 = await lock().acquire(); // released normally
    tokens.push(l1.token);
    await l1.release();

    const crashed = sim.store();
    const l2 = await crashed.store.lock('job', opts).acquire(); // then its process is cut off
    tokens.push(l2.token);
    crashed.backend.down = () => new BackendError('UpdateItem', 'ECONNRESET', true);
    const l3p = settle(lock().acquire());
    expect(await sim.clock.advanceUntil(() => l3p.done, 5_000)).toBe(true);
    const l3 = l3p.value as Lease;
    tokens.push(l3.token);

    await sim.clock.advance(1);
    sim.memory.purge('_lock/job', 'job'); // an operator deletes the row while l3 holds it
    await sim.clock.advance(300);
    expect((l3.signal.reason as LeaseLostError).reason).toBe('gone');
    const l4 = await lock().acquire();
    tokens.push(l4.token);
    await l4.release();

    await sim.clock.advance(6_000); // past retention
    expect(sim.memory.reap()).toBe(1);
    const l5 = await lock().acquire();
    tokens.push(l5.token);
    await l5.release();

    await sim.clock.advance(1);
    sim.memory.purge('_lock/job', 'job'); // deleted right after a release
    await sim.clock.advance(1);
    const l6 = await lock().acquire();
    tokens.push(l6.token);
    await l6.release();

    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as bigint);
  });

  it('a free row whose token is ahead of this clock is granted in a second write with token + 1', async () => {
    const sim = simulation();
    const ahead = sim.store(60_000);
    const first = await ahead.store.lock('job', opts).acquire(); // a clock a minute ahead set a high token
    await first.release();
    const b = sim.store();
    const lease = await b.store.lock('job', opts).acquire();
    expect(lease.token).toBe(first.token + 1n);
    expect(b.backend.count('write')).toBe(2);
  });
});

describe('mutual exclusion under contention', () => {
  it('12 contenders with skewed clocks, latency and transient faults: never two holders whose leases are live', async () => {
    const sim = simulation();
    let inside: Lease | undefined;
    const grants: bigint[] = [];
    let violations = 0;
    const worker = async (i: number) => {
      const p = sim.store(((i * 37) % 90) - 45);
      p.backend.latencyMs = (i % 4) * 3;
      if (i % 3 === 0) p.backend.faults.push({ op: 'write', when: i % 2 ? 'after' : 'before', count: 3 });
      const lock = p.store.lock('hot', opts);
      for (let round = 0; round < 4; round++) {
        const lease = await lock.acquire();
        if (inside?.held) violations++;
        inside = lease;
        grants.push(lease.token);
        await sim.clock.sleep(50 + ((i * 13 + round * 7) % 120));
        if (inside === lease) inside = undefined;
        await lease.release();
      }
    };
    const all = settle(Promise.all(Array.from({ length: 12 }, (_, i) => worker(i))));
    expect(await sim.clock.advanceUntil(() => all.done, 120_000, 5)).toBe(true);
    expect(all.error).toBeUndefined();
    expect(violations).toBe(0);
    expect(grants).toHaveLength(48);
    for (let i = 1; i < grants.length; i++) expect(grants[i]).toBeGreaterThan(grants[i - 1] as bigint);
  });
});

describe('waiting', () => {
  it('a waiter is woken by the change feed as soon as the lock is released, long before its next poll', async () => {
    const sim = simulation();
    const slowPoll = { ...opts, pollMs: 5_000, leaseMs: 60_000, heartbeatMs: 20_000 };
    const lease = await sim.store().store.lock('job', slowPoll).acquire();
    const b = sim.store();
    const waiter = settle(b.store.lock('job', slowPoll).acquire());
    await sim.clock.advance(30_000);
    const reads = b.backend.count('get');
    expect(reads).toBeLessThanOrEqual(30_000 / 2_500 + 10); // bounded polling
    await lease.release();
    await sim.clock.advance(0);
    expect(waiter.done).toBe(true);
    await (waiter.value as Lease).release();
  });

  for (const failure of ['subscribe throws', 'ready rejects', 'onError fires'] as const) {
    it(`falls back to polling when the feed fails (${failure})`, async () => {
      const sim = simulation();
      const lease = await sim.store().store.lock('job', opts).acquire();
      const b = sim.store();
      b.backend.changes = (): ChangeFeed => ({
        subscribe(_onChanges, onError) {
          if (failure === 'subscribe throws') throw new Error('stream disabled');
          if (failure === 'onError fires') queueMicrotask(() => onError(new Error('stream gone')));
          return {
            ready: failure === 'ready rejects' ? Promise.reject(new Error('no stream')) : Promise.resolve(),
            unsubscribe() {},
          };
        },
      });
      const waiter = settle(b.store.lock('job', opts).acquire());
      await sim.clock.advance(500);
      await lease.release();
      expect(await sim.clock.advanceUntil(() => waiter.done, 300, 5)).toBe(true); // within one poll
      expect(waiter.error).toBeUndefined();
    });
  }
});

describe('withLock', () => {
  it('passes the lease, returns fn’s value and releases', async () => {
    const sim = simulation();
    const { store } = sim.store();
    const result = await store.withLock('job', async (lease) => `token ${lease.token}`, opts);
    expect(result).toMatch(/^token \d+$/);
    expect(await store.lock('job', opts).holder()).toBeUndefined();
  });

  it('releases and rethrows when fn throws', async () => {
    const sim = simulation();
    const { store } = sim.store();
    await expect(
      store.withLock('job', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.lock('job').holder()).toBeUndefined();
  });

  it('rejects with the LeaseLostError when the lease was lost while fn ran', async () => {
    const sim = simulation();
    const a = sim.store();
    const run = settle(
      a.store.withLock(
        'job',
        async (lease) => {
          a.backend.down = () => new BackendError('UpdateItem', 'ECONNRESET', true);
          await sim.clock.sleep(2_000);
          a.backend.down = undefined;
          return lease.signal.aborted;
        },
        opts,
      ),
    );
    await sim.clock.advanceUntil(() => run.done, 10_000);
    expect(run.error).toBeInstanceOf(LeaseLostError);
    expect((run.error as LeaseLostError).reason).toBe('expired');
  });
});

describe('fenced writes', () => {
  it('a current lease writes; a stale one is refused with FencedError and nothing is written', async () => {
    const sim = simulation();
    const a = sim.store();
    const kv = a.store.partition('reports');
    const lease = await a.store.lock('job', opts).acquire();
    const pair = await kv.put('daily', 'v1', { fence: lease });
    expect(pair.text()).toBe('v1');
    const updated = await kv.atomicPut('daily', 'v2', { previous: pair, fence: lease });
    expect(updated.version).toBe(pair.version + 1);
    await expect(kv.atomicPut('daily', 'v3', { previous: pair, fence: lease })).rejects.toMatchObject({
      name: 'KeyModifiedError',
    });

    a.backend.down = () => new BackendError('UpdateItem', 'ECONNRESET', true);
    const b = settle(sim.store().store.lock('job', opts).acquire());
    await sim.clock.advanceUntil(() => b.done, 5_000);
    a.backend.down = undefined;
    const err = await kv.put('daily', 'stale', { fence: lease }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FencedError);
    expect(err).toMatchObject({ code: 'FENCED', token: lease.token, currentToken: (b.value as Lease).token });
    await expect(kv.delete('daily', { fence: lease })).rejects.toBeInstanceOf(FencedError);
    expect((await kv.get('daily'))?.text()).toBe('v2');
    expect(await kv.delete('daily', { fence: b.value as Lease })).toBe(true);
    expect(await kv.delete('daily', { fence: b.value as Lease })).toBe(false);
  });

  it('guard() fences any store transaction, and is refused after release', async () => {
    const sim = simulation();
    const { store } = sim.store();
    const lease = await store.lock('job', opts).acquire();
    const write = { kind: 'write', partition: 'p', key: 'k', payload: 'x' } as const;
    expect(await store.backend.transact([lease.guard(), write])).toEqual({ ok: true });
    await lease.release();
    const r = await store.backend.transact([lease.guard(), write]);
    expect(r.ok).toBe(false);
  });

  it('rejects a fence that is not a lease', async () => {
    const sim = simulation();
    const kv = sim.store().store.partition('p');
    await expect(kv.put('k', 'v', { fence: {} as never })).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
