import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LeaseLostError } from '../../src/contract/errors/lock.js';
import { BackendError } from '../../src/contract/errors/store.js';
import { RULE_B_DRIFT_PPM, ruleBWaitMs } from '../../src/lock/contender.js';
import type { Lease } from '../../src/lock/lease.js';
import { isGrant, isRelease, isRenewal, settle, simulation, trackUnhandled } from './support/sim.js';

const LEASE = 1_000;
const SKEW = 100;
const opts = { leaseMs: LEASE, maxClockSkewMs: SKEW, heartbeatMs: 300, pollMs: 250 };

let unhandled: ReturnType<typeof trackUnhandled>;
beforeEach(() => {
  unhandled = trackUnhandled();
});
afterEach(() => {
  unhandled.stop();
  expect(unhandled.errors).toEqual([]);
});

/** Monotonic time at which the lease's signal aborted. */
function abortTime(lease: Lease, clock: { monotonic(): number }): { at?: number } {
  const out: { at?: number } = {};
  lease.signal.addEventListener('abort', () => {
    out.at = clock.monotonic();
  });
  return out;
}

describe('heartbeats keep the lease; loss is signalled no later than a takeover', () => {
  it('a renewing holder keeps the lock for many leases; a waiter never gets it', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    const waiter = settle(sim.store().store.lock('job', opts).acquire());
    await sim.clock.advance(20 * LEASE);
    expect(waiter.done).toBe(false);
    expect(lease.signal.aborted).toBe(false);
    expect(a.backend.calls.filter((c) => isRenewal(c.input)).length).toBe(Math.floor((20 * LEASE) / 300));
    await lease.release();
    await sim.clock.advance(1);
    expect(waiter.done).toBe(true);
    await (waiter.value as Lease).release();
  });

  it('after a crash the waiter takes over within leaseMs + skew + one poll, never before the holder aborted', async () => {
    for (const crashAt of [100, 450, 777, 1_234]) {
      const sim = simulation();
      const a = sim.store();
      const lease = await a.store.lock('job', opts).acquire();
      const aborted = abortTime(lease, sim.clock);
      const waiter = settle(sim.store().store.lock('job', opts).acquire());
      await sim.clock.advance(crashAt);
      a.backend.down = () => new BackendError('UpdateItem', 'ECONNREFUSED', true); // the holder is cut off
      const lastRenewal = Math.floor(crashAt / 300) * 300;
      expect(await sim.clock.advanceUntil(() => waiter.done, 5 * LEASE, 1)).toBe(true);
      const takenAt = sim.clock.monotonic();
      expect(aborted.at).toBe(lastRenewal + LEASE);
      expect((lease.signal.reason as LeaseLostError).reason).toBe('expired');
      expect((lease.signal.reason as LeaseLostError).cause).toBeInstanceOf(BackendError);
      expect(takenAt).toBeGreaterThan(aborted.at as number);
      expect(takenAt).toBeLessThanOrEqual(lastRenewal + LEASE + SKEW + 250 + 2);
      expect((waiter.value as Lease).token).toBeGreaterThan(lease.token);
    }
  });

  it('a lock whose holder died long ago is taken at once, with one write', async () => {
    const sim = simulation();
    const old = await sim
      .store()
      .store.lock('job', { ...opts, heartbeatMs: false })
      .acquire();
    await sim.clock.advance(3_600_000); // the holder vanished an hour ago
    const b = sim.store();
    const lease = await b.store.lock('job', opts).tryAcquire();
    expect(lease).toBeDefined();
    expect(b.backend.calls.map((c) => c.op)).toEqual(['write']);
    expect(lease?.token).toBeGreaterThan(old.token);
    expect(old.signal.aborted).toBe(true);
  });

  it('a holder whose renewal stalls past its lease (a pause) aborts before the takeover, and its late write fails', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    const aborted = abortTime(lease, sim.clock);
    const waiter = settle(sim.store().store.lock('job', opts).acquire());
    await sim.clock.advance(250);
    a.backend.latencyMs = 5_000; // the next renewal (at 300) reaches the store at 5300
    expect(await sim.clock.advanceUntil(() => waiter.done, 5 * LEASE, 1)).toBe(true);
    expect(aborted.at).toBe(LEASE);
    expect(sim.clock.monotonic()).toBeGreaterThan(LEASE);
    await sim.clock.advance(6_000);
    expect((lease.signal.reason as LeaseLostError).reason).toBe('expired');
    const b = waiter.value as Lease;
    expect(b.signal.aborted).toBe(false);
    expect(await sim.store().store.lock('job', opts).holder()).toMatchObject({ token: b.token });
  });
});

describe('clock skew', () => {
  for (const skew of [-99, -40, 0, 40, 99]) {
    it(`a contender whose wall clock is off by ${skew} ms never displaces a live holder, and takes over a crashed one only after the holder aborted`, async () => {
      const sim = simulation();
      const a = sim.store();
      const lease = await a.store.lock('job', opts).acquire();
      const aborted = abortTime(lease, sim.clock);
      const waiter = settle(sim.store(skew).store.lock('job', opts).acquire());
      await sim.clock.advance(10 * LEASE);
      expect(waiter.done).toBe(false);
      expect(lease.signal.aborted).toBe(false);
      a.backend.down = () => new BackendError('UpdateItem', 'ECONNRESET', true);
      expect(await sim.clock.advanceUntil(() => waiter.done, 5 * LEASE, 1)).toBe(true);
      expect(sim.clock.monotonic()).toBeGreaterThan(aborted.at as number);
    });
  }

  it('tryAcquire takes an unrenewed lease exactly when its end + maxClockSkewMs has passed on its clock, not before', async () => {
    const sim = simulation();
    const lease = await sim
      .store()
      .store.lock('job', { ...opts, heartbeatMs: false })
      .acquire();
    const contender = sim.store(40).store.lock('job', opts); // its wall clock runs 40 ms ahead
    await sim.clock.advance(LEASE - 10);
    expect(await contender.tryAcquire()).toBeUndefined();
    await sim.clock.advance(10);
    expect(lease.signal.aborted).toBe(true); // the holder gave up at LEASE
    await sim.clock.advance(SKEW - 40 - 1); // contender's clock: leaseUntil + SKEW - 1
    expect(await contender.tryAcquire()).toBeUndefined();
    await sim.clock.advance(2);
    expect(await contender.tryAcquire()).toBeDefined();
  });

  it('a contender whose clock is an hour behind still takes over a crashed holder (monotonic rule)', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    const aborted = abortTime(lease, sim.clock);
    const waiter = settle(sim.store(-3_600_000).store.lock('job', opts).acquire());
    await sim.clock.advance(500);
    a.backend.down = () => new BackendError('UpdateItem', 'ECONNRESET', true);
    expect(await sim.clock.advanceUntil(() => waiter.done, 5 * LEASE, 1)).toBe(true);
    const takenAt = sim.clock.monotonic();
    expect(takenAt).toBeGreaterThan(aborted.at as number);
    // last renewal at 300; seen by the next poll at most 250 later; then leaseMs + skew
    expect(takenAt).toBeLessThanOrEqual(300 + 250 + LEASE + SKEW + 2);
  });

  it('beyond maxClockSkewMs a contender may take a live lease early: the holder learns it at its next renewal and fenced writes are refused', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    await sim.clock.advance(100);
    const early = await sim.store(5_000).store.lock('job', opts).tryAcquire();
    expect(early).toBeDefined(); // the documented limit: clocks 5 s apart with maxClockSkewMs 100
    await expect(a.store.partition('out').put('k', 'stale', { fence: lease })).rejects.toMatchObject({
      name: 'FencedError',
      token: lease.token,
      currentToken: early?.token,
    });
    await sim.clock.advance(300);
    expect((lease.signal.reason as LeaseLostError).reason).toBe('taken');
  });
});

describe('heartbeat robustness', () => {
  it('transient renewal errors and throttling are retried with backoff inside the lease', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    a.backend.faults.push({ op: 'write', when: 'before', count: 6, match: isRenewal });
    await sim.clock.advance(5 * LEASE);
    expect(lease.signal.aborted).toBe(false);
    const renewals = a.backend.calls.filter((c) => isRenewal(c.input)).length;
    expect(renewals).toBeGreaterThan(6 + 10);
    expect(await a.store.lock('job', opts).holder()).toMatchObject({ token: lease.token });
    await lease.release();
  });

  it('persistent renewal errors end the lease at its deadline with reason "expired" and the last error as cause', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    const aborted = abortTime(lease, sim.clock);
    a.backend.faults.push({ op: 'write', when: 'before', count: 1_000, match: isRenewal });
    await sim.clock.advance(3 * LEASE);
    expect(aborted.at).toBe(LEASE);
    const reason = lease.signal.reason as LeaseLostError;
    expect(reason).toMatchObject({ name: 'LeaseLostError', reason: 'expired', code: 'LEASE_LOST' });
    expect(reason.cause).toBeInstanceOf(BackendError);
    const attempts = a.backend.calls.filter((c) => isRenewal(c.input)).length;
    await sim.clock.advance(10 * LEASE);
    expect(a.backend.calls.filter((c) => isRenewal(c.input)).length).toBe(attempts); // renewing stopped
    expect(sim.clock.pendingTimers).toBe(0);
  });

  it('an ambiguous renewal (applied, answer lost) is reconciled by one read and credited', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    a.backend.faults.push({ op: 'write', when: 'after', match: isRenewal });
    await sim.clock.advance(300);
    expect(a.backend.count('get')).toBe(1);
    expect(a.backend.calls.filter((c) => isRenewal(c.input)).length).toBe(1); // no second write needed
    expect(lease.remainingMs()).toBe(LEASE); // credited from the ambiguous renewal's send time
    await sim.clock.advance(3 * LEASE);
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
  });

  it('an ambiguous renewal that did not apply is retried', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    a.backend.faults.push({
      op: 'write',
      when: 'before',
      match: isRenewal,
      error: () => new BackendError('UpdateItem', 'TimeoutError', true),
    });
    await sim.clock.advance(300);
    await sim.clock.advance(50);
    expect(a.backend.count('get')).toBe(1);
    expect(a.backend.calls.filter((c) => isRenewal(c.input)).length).toBe(2);
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
  });

  it('an ambiguous grant (applied, answer lost) still returns the lease', async () => {
    const sim = simulation();
    const a = sim.store();
    a.backend.faults.push({ op: 'write', when: 'after', match: isGrant });
    const lease = await a.store.lock('job', opts).acquire();
    expect(a.backend.count('get')).toBe(1);
    expect(await a.store.lock('job', opts).holder()).toMatchObject({
      token: lease.token,
      owner: lease.owner,
    });
    await lease.release();
  });

  it('acquire retries transient errors; a wait in which no call answered ends with the last error', async () => {
    const sim = simulation();
    const a = sim.store();
    a.backend.down = () => new BackendError('UpdateItem', 'ThrottlingException', true);
    const p = settle(a.store.lock('job', opts).acquire({ waitMs: 2_000 }));
    await sim.clock.advance(2_100);
    expect(p.error).toBeInstanceOf(BackendError);
    expect((p.error as BackendError).message).toContain('ThrottlingException');
    expect(a.backend.count('write')).toBeGreaterThan(3);
  });

  it('a non-retryable store error fails acquire at once', async () => {
    const sim = simulation();
    const a = sim.store();
    a.backend.down = () => new BackendError('UpdateItem', 'ResourceNotFoundException', false);
    await expect(a.store.lock('job', opts).acquire()).rejects.toMatchObject({ name: 'BackendError' });
  });

  it('with heartbeatMs: false no renewal timer runs; renew() extends by hand', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', { ...opts, heartbeatMs: false }).acquire();
    expect(sim.clock.pendingTimers).toBe(1); // the deadline only, unref'd on the system clock
    await sim.clock.advance(900);
    await lease.renew();
    expect(lease.remainingMs()).toBe(LEASE);
    await sim.clock.advance(900);
    expect(a.backend.calls.filter((c) => isRenewal(c.input)).length).toBe(1);
    expect(lease.signal.aborted).toBe(false);
    await sim.clock.advance(200);
    expect(lease.signal.aborted).toBe(true);
    await expect(lease.renew()).rejects.toMatchObject({ name: 'LeaseLostError', reason: 'expired' });
  });
});

describe('release and renewal never race', () => {
  it('release waits for an in-flight renewal, then writes once; nothing runs after', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    await sim.clock.advance(299);
    a.backend.latencyMs = 100;
    await sim.clock.advance(1); // the renewal is now in flight
    expect(a.backend.calls.filter((c) => isRenewal(c.input)).length).toBe(1);
    const released = settle(lease.release());
    await sim.clock.advance(50);
    expect(released.done).toBe(false); // still waiting for the renewal
    expect(a.backend.calls.filter((c) => isRelease(c.input)).length).toBe(0);
    await sim.clock.advance(200);
    expect(released.done).toBe(true);
    expect(released.error).toBeUndefined();
    const writes = a.backend.count('write');
    expect(a.backend.calls.filter((c) => isRelease(c.input)).length).toBe(1);
    await sim.clock.advance(10 * LEASE);
    expect(a.backend.count('write')).toBe(writes);
    expect(sim.clock.pendingTimers).toBe(0);
    expect(await sim.store().store.lock('job', opts).holder()).toBeUndefined();
  });

  it('release during a renewal backoff stops the retries', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    a.backend.faults.push({ op: 'write', when: 'before', count: 1_000, match: isRenewal });
    await sim.clock.advance(310);
    const renewals = a.backend.calls.filter((c) => isRenewal(c.input)).length;
    expect(renewals).toBeGreaterThan(0);
    await lease.release();
    await sim.clock.advance(5 * LEASE);
    expect(a.backend.calls.filter((c) => isRenewal(c.input)).length).toBe(renewals);
    expect(await a.store.lock('job', opts).holder()).toBeUndefined();
    expect(sim.clock.pendingTimers).toBe(0);
  });

  it('releasing a lease lost to a takeover writes nothing and resolves', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    a.backend.down = () => new BackendError('UpdateItem', 'ECONNRESET', true);
    const b = settle(sim.store().store.lock('job', opts).acquire());
    await sim.clock.advanceUntil(() => b.done, 5 * LEASE);
    a.backend.down = undefined;
    const writes = a.backend.count('write');
    await sim.clock.advance(LEASE); // a's last renewal attempt may still be running
    await lease.release();
    // a release of an expired (not taken) lease tries one conditional clear, which fails harmlessly
    expect(a.backend.count('write') - writes).toBeLessThanOrEqual(1);
    expect(await a.store.lock('job', opts).holder()).toMatchObject({ token: (b.value as Lease).token });
  });

  it('release retries a failed write and rejects when the store keeps failing', async () => {
    const sim = simulation();
    const a = sim.store();
    const lease = await a.store.lock('job', opts).acquire();
    a.backend.faults.push({ op: 'write', when: 'before', count: 1, match: isRelease });
    const first = settle(lease.release());
    await sim.clock.advance(100);
    expect(first.done && first.error === undefined).toBe(true);
    expect(a.backend.calls.filter((c) => isRelease(c.input)).length).toBe(2);
    expect(await a.store.lock('job', opts).holder()).toBeUndefined();
    const second = await a.store.lock('job', opts).acquire();
    a.backend.down = () => new BackendError('UpdateItem', 'ECONNRESET', true);
    const p = settle(second.release());
    await sim.clock.advance(1_000);
    expect(p.error).toBeInstanceOf(BackendError);
    expect(second.signal.aborted).toBe(true);
  });
});

describe('a grant confirmed too late', () => {
  it('is not handed out when its lease already ran out: freed, and the next attempt is used', async () => {
    const sim = simulation();
    const a = sim.store();
    a.backend.latencyMs = LEASE + 100; // the first grant is confirmed after its lease ended
    const pending = settle(a.store.lock('slow', opts).acquire({ waitMs: 10 * LEASE }));
    await sim.clock.advance(LEASE + 150);
    a.backend.latencyMs = 0;
    await sim.clock.advanceUntil(() => pending.done, 5 * LEASE);
    const lease = pending.value as Lease;
    expect(lease.signal.aborted).toBe(false);
    expect(lease.remainingMs()).toBeGreaterThan(0);
    expect(a.backend.calls.filter((c) => isGrant(c.input)).length).toBeGreaterThanOrEqual(2);
    await lease.release();
  });

  it('tryAcquire gives undefined rather than an expired lease', async () => {
    const sim = simulation();
    const a = sim.store();
    a.backend.latencyMs = LEASE + 100;
    const pending = settle(a.store.lock('slow2', opts).tryAcquire());
    await sim.clock.advanceUntil(() => pending.done, 5 * LEASE);
    expect(pending.error).toBeUndefined();
    expect(pending.value).toBeUndefined();
  });
});

describe('rule (b): a whole lease plus the drift margin on the monotonic clock, no skew margin', () => {
  // A skew allowance half the lease: under the old rule (b) it would show as a 500 ms late takeover.
  const wide = { leaseMs: LEASE, maxClockSkewMs: 500, heartbeatMs: 300, pollMs: 250 };
  const grantObserved = (input: unknown) =>
    isGrant(input) &&
    JSON.stringify((input as { condition?: unknown }).condition, (_k, v) =>
      typeof v === 'bigint' ? String(v) : v,
    ).includes('"attr":"version"');

  it('a holder that stops renewing is taken at its own deadline + the drift margin, not + maxClockSkewMs', async () => {
    expect(ruleBWaitMs(LEASE)).toBe(LEASE + (LEASE * RULE_B_DRIFT_PPM) / 1e6 + 1);
    for (const crashAt of [100, 450, 777, 1_234]) {
      const sim = simulation();
      const a = sim.store();
      const lease = await a.store.lock('job', wide).acquire();
      const aborted = abortTime(lease, sim.clock);
      // its wall clock is 5 s behind: rule (a) cannot fire within this test, only rule (b)
      const b = sim.store(-5_000);
      const waiter = settle(b.store.lock('job', wide).acquire());
      await sim.clock.advance(crashAt);
      a.backend.down = () => new BackendError('UpdateItem', 'ECONNREFUSED', true); // killed: no more renewals
      const lastRenewal = Math.floor(crashAt / 300) * 300;
      expect(await sim.clock.advanceUntil(() => waiter.done, 5 * LEASE, 1)).toBe(true);
      const takenAt = sim.clock.monotonic();
      expect(aborted.at).toBe(lastRenewal + LEASE); // the holder's own deadline
      expect(takenAt).toBeGreaterThan(aborted.at as number);
      // the waiter learnt the last renewal from the change feed at once, so: deadline + margin (+1 step)
      expect(takenAt).toBeLessThanOrEqual(lastRenewal + ruleBWaitMs(LEASE) + 1);
      expect(b.backend.calls.filter((c) => c.op === 'write' && grantObserved(c.input)).length).toBe(1);
      expect((waiter.value as Lease).token).toBeGreaterThan(lease.token);
      await (waiter.value as Lease).release();
    }
  });

  it('without the change feed the waiter learns the last renewal at a poll: deadline + margin + pollMs at most', async () => {
    const polling = { ...wide, wakeOnChange: false };
    for (const crashAt of [100, 450, 777, 1_234]) {
      const sim = simulation();
      const a = sim.store();
      const lease = await a.store.lock('job', polling).acquire();
      const aborted = abortTime(lease, sim.clock);
      const waiter = settle(sim.store(-5_000).store.lock('job', polling).acquire());
      await sim.clock.advance(crashAt);
      a.backend.down = () => new BackendError('UpdateItem', 'ECONNREFUSED', true);
      const lastRenewal = Math.floor(crashAt / 300) * 300;
      expect(await sim.clock.advanceUntil(() => waiter.done, 5 * LEASE, 1)).toBe(true);
      const takenAt = sim.clock.monotonic();
      expect(takenAt).toBeGreaterThan(aborted.at as number);
      expect(takenAt).toBeLessThanOrEqual(lastRenewal + wide.pollMs + ruleBWaitMs(LEASE) + 1);
      await (waiter.value as Lease).release();
    }
  });

  /**
   * A holder renewing by hand 1 ms before each deadline (the latest a live holder renews), and a
   * waiter whose monotonic clock runs `rate` times as fast: whether the waiter ever takes it.
   */
  async function liveHolderTaken(holderSkewMs: number, waiterSkewMs: number, rate: number): Promise<boolean> {
    const sim = simulation();
    const a = sim.store(holderSkewMs);
    const manual = { ...wide, heartbeatMs: false as const };
    const lease = await a.store.lock('job', manual).acquire();
    const waiter = settle(sim.store(waiterSkewMs, rate).store.lock('job', wide).acquire());
    for (let i = 0; i < 10 && !waiter.done; i++) {
      await sim.clock.advance(LEASE - 1);
      if (waiter.done) break;
      expect(lease.remainingMs()).toBe(1);
      await lease.renew();
      expect(lease.signal.aborted).toBe(false);
    }
    if (!waiter.done) {
      await lease.release();
      await sim.clock.advanceUntil(() => waiter.done, LEASE, 1);
      await (waiter.value as Lease).release();
      return false;
    }
    await (waiter.value as Lease).release();
    return true;
  }

  for (const [holderSkew, waiterSkew] of [
    [0, -5_000],
    [5_000, 0],
    [3_000, -3_000],
    [0, 0],
    [-400, 99],
  ] as const) {
    it(`a live holder is never taken by rule (b): wall clocks ${holderSkew} / ${waiterSkew} ms, the waiter's monotonic clock ${RULE_B_DRIFT_PPM} ppm fast`, async () => {
      expect(await liveHolderTaken(holderSkew, waiterSkew, 1 + RULE_B_DRIFT_PPM / 1e6)).toBe(false);
    });
  }

  it('the margin is what holds: a waiter whose clock runs twice the margin fast takes a live holder', async () => {
    expect(await liveHolderTaken(0, -5_000, 1 + (2 * RULE_B_DRIFT_PPM) / 1e6)).toBe(true);
  });
});
