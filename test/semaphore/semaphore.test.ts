import { describe, expect, it } from 'vitest';
import { BackendError, ValidationError } from '../../src/contract/errors/store.js';
import type { Lease } from '../../src/lock/lease.js';
import { settle, simulation } from '../lock/support/sim.js';

const opts = { leaseMs: 1_000, maxClockSkewMs: 100, heartbeatMs: 300, pollMs: 250 };

describe('semaphore', () => {
  it('grants up to `permits` holders, each on its own slot; the next one waits for a release', async () => {
    const sim = simulation();
    const sem = () => sim.store().store.semaphore('encoders', { permits: 3, ...opts });
    const first = sim.store();
    const p1 = await first.store.semaphore('encoders', { permits: 3, ...opts }).acquire();
    expect(first.backend.calls.map((c) => c.op)).toEqual(['write']); // uncontended: one write
    const p2 = await sem().acquire();
    const p3 = await sem().acquire();
    expect(new Set([p1.key, p2.key, p3.key])).toEqual(new Set(['encoders#0', 'encoders#1', 'encoders#2']));
    expect(await sem().tryAcquire()).toBeUndefined();
    const holders = await sem().holders();
    expect(holders.map((h) => h.token).sort()).toEqual([p1.token, p2.token, p3.token].sort());
    const waiter = settle(sem().acquire());
    await sim.clock.advance(5_000);
    expect(waiter.done).toBe(false);
    await p2.release();
    await sim.clock.advance(0);
    expect(waiter.done).toBe(true);
    expect((waiter.value as Lease).key).toBe(p2.key);
    expect((waiter.value as Lease).token).toBeGreaterThan(p2.token);
  });

  it('recovers a crashed holder’s permit like a lock', async () => {
    const sim = simulation();
    const crashed = sim.store();
    const a = await crashed.store.semaphore('s', { permits: 1, ...opts }).acquire();
    crashed.backend.down = () => new BackendError('UpdateItem', 'ECONNRESET', true);
    const waiter = settle(
      sim
        .store()
        .store.semaphore('s', { permits: 1, ...opts })
        .acquire(),
    );
    expect(await sim.clock.advanceUntil(() => waiter.done, 5_000, 1)).toBe(true);
    expect(a.signal.aborted).toBe(true);
    expect(sim.clock.monotonic()).toBeLessThanOrEqual(1_000 + 100 + 250 + 2);
  });

  it('never has more than `permits` live holders under contention', async () => {
    const sim = simulation();
    let live = 0;
    let peak = 0;
    const worker = async (i: number) => {
      const sem = sim.store(((i * 31) % 80) - 40).store.semaphore('pool', { permits: 3, ...opts });
      for (let round = 0; round < 3; round++) {
        const permit = await sem.acquire();
        live++;
        peak = Math.max(peak, live);
        await sim.clock.sleep(40 + ((i * 17 + round * 11) % 90));
        live--;
        await permit.release();
      }
    };
    const all = settle(Promise.all(Array.from({ length: 10 }, (_, i) => worker(i))));
    expect(await sim.clock.advanceUntil(() => all.done, 60_000, 5)).toBe(true);
    expect(all.error).toBeUndefined();
    expect(peak).toBe(3);
  });

  it('validates permits and options at construction', () => {
    const { store, backend } = simulation().store();
    expect(() => store.semaphore('s', { permits: 0 })).toThrow(ValidationError);
    expect(() => store.semaphore('s', { permits: 1.5 })).toThrow(ValidationError);
    expect(() => store.semaphore('s', { permits: 1_001 })).toThrow(ValidationError);
    expect(() => store.semaphore('s', {} as never)).toThrow(ValidationError);
    expect(() => store.semaphore('s', undefined as never)).toThrow(ValidationError);
    expect(() => store.semaphore('s', { permits: 2, nope: 1 } as never)).toThrow(ValidationError);
    expect(() =>
      store.semaphore('s', { permits: 2, leaseMs: 100, heartbeatMs: 60, maxClockSkewMs: 10 }),
    ).toThrow(ValidationError);
    expect(store.semaphore('s', { permits: 2 }).partition).toBe('_semaphore/s');
    expect(backend.calls).toHaveLength(0);
  });

  it('ignores rows of other semaphores sharing the key prefix', async () => {
    const sim = simulation();
    const { store } = sim.store();
    const nested = await store.semaphore('a#1', { permits: 1, ...opts }).acquire(); // row 'a#1#0'
    const outer = store.semaphore('a', { permits: 2, ...opts });
    const x = await outer.acquire();
    const y = await outer.acquire();
    expect(new Set([x.key, y.key])).toEqual(new Set(['a#0', 'a#1']));
    expect((await outer.holders()).map((h) => h.key).sort()).toEqual(['a#0', 'a#1']);
    await Promise.all([nested.release(), x.release(), y.release()]);
  });
});
