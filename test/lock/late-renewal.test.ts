import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WriteInput, WriteResult } from '../../src/contract/backend.js';
import type { LeaseLostError } from '../../src/contract/errors/lock.js';
import { isRenewal, settle, simulation, timeout, trackUnhandled } from './support/sim.js';

const LEASE = 1_000;
const SKEW = 100;
/** Where the lock row of 'job' lives (a partition key per lock). */
const ROW = { partition: '_lock/job', key: 'job' };
const opts = { leaseMs: LEASE, maxClockSkewMs: SKEW, heartbeatMs: false as const, pollMs: 250 };

let unhandled: ReturnType<typeof trackUnhandled>;
beforeEach(() => {
  unhandled = trackUnhandled();
});
afterEach(() => {
  unhandled.stop();
  expect(unhandled.errors).toEqual([]);
});

/** Makes the next renewal of `backend` time out at the client while the request is kept, to reach the store later. */
function holdNextRenewal(backend: { write(input: WriteInput): Promise<WriteResult> }) {
  const held: WriteInput[] = [];
  const write = backend.write.bind(backend);
  backend.write = (input) => {
    if (held.length === 0 && isRenewal(input)) {
      held.push(input);
      return Promise.reject(timeout());
    }
    return write(input);
  };
  return held;
}

describe('a renewal that reaches the store late', () => {
  it('never moves the lease end back, so no contender takes a lease its holder still trusts', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    const held = holdNextRenewal(a.backend);
    await sim.clock.advance(100);
    const first = settle(lease.renew()); // times out at the client; settled by a read, retried
    await sim.clock.advanceUntil(() => first.done, LEASE, 1);
    await sim.clock.advance(500 - sim.clock.monotonic());
    await lease.renew(); // lease end 1 500
    const t0 = sim.clock.now() - sim.clock.monotonic(); // wall time at monotonic 0
    const before = await sim.memory.get(ROW.partition, ROW.key);
    expect(before?.fields.leaseUntil).toBe(t0 + 1_500);
    // the first renewal's request (lease end 1 100) reaches the store now
    expect(held).toHaveLength(1);
    const late = await sim.memory.write(held[0] as WriteInput);
    expect(late.ok).toBe(false);
    expect((await sim.memory.get(ROW.partition, ROW.key))?.fields.leaseUntil).toBe(t0 + 1_500);
    // past 1 100 + skew, before the holder's deadline (1 500): the lock is still the holder's
    await sim.clock.advance(1_250 - sim.clock.monotonic());
    expect(lease.held).toBe(true);
    expect(await sim.store().store.lock('job', opts).tryAcquire()).toBeUndefined();
    await lease.release();
  });

  it('a refused renewal of a row that still names the holder is retried, not a loss', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    // the row's lease end is later than any renewal this holder can send for a while
    const row = await sim.memory.get(ROW.partition, ROW.key);
    await sim.memory.write({
      ...ROW,
      fields: { leaseUntil: Number(row?.fields.leaseUntil) + 5 * LEASE },
    });
    await sim.clock.advance(200);
    const renewal = settle(lease.renew());
    await sim.clock.advance(100);
    expect(renewal.done).toBe(false); // retrying within the lease
    expect(lease.held).toBe(true);
    await sim.clock.advanceUntil(() => renewal.done, 2 * LEASE, 1);
    const reason = lease.signal.reason as LeaseLostError;
    expect(reason.reason).toBe('expired');
    expect(String((reason.cause as Error).message)).toContain('later lease end');
  });
});
