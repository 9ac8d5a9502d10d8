import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/contract/backend.js';
import type { Clock } from '../../src/contract/clock/types.js';
import { VirtualClock } from '../../src/contract/clock/virtual.js';
import type { LeaseLostError } from '../../src/contract/errors/lock.js';
import { BackendError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import { ruleBWaitMs } from '../../src/lock/contender.js';
import { decodeLockRow, grantWrite } from '../../src/lock/row.js';
import { MemoryBackend } from '../../src/memory/backend.js';

const t = { leaseMs: 1_000, heartbeatMs: 300, maxClockSkewMs: 100 };

/** The same virtual time, seen through a wall clock `offsetMs` off (monotonic time is shared). */
function skewed(clock: VirtualClock, offsetMs: number): Clock {
  return {
    now: () => clock.now() + offsetMs,
    monotonic: () => clock.monotonic(),
    setTimeout: (fn, ms, options) => clock.setTimeout(fn, ms, options),
    sleep: (ms, signal) => clock.sleep(ms, signal),
  };
}

/** A backend whose calls are held (not sent) while `paused`, and sent in order on `resume()`. */
function pausable(backend: Backend) {
  let paused = false;
  let held: (() => void)[] = [];
  const proxy = new Proxy(backend, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'changes') return value;
      return (...args: unknown[]) => {
        if (!paused) return Reflect.apply(value, target, args);
        return new Promise((resolve, reject) => {
          held.push(() => (Reflect.apply(value, target, args) as Promise<unknown>).then(resolve, reject));
        });
      };
    },
  });
  return {
    backend: proxy,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      const calls = held;
      held = [];
      for (const call of calls) call();
      return calls.length;
    },
  };
}

function world(onCall?: (operation: string) => void) {
  const clock = new VirtualClock(1_700_000_000_000);
  const backend = new MemoryBackend({ clock, ...(onCall && { onCall: (e) => onCall(e.operation) }) });
  return { clock, backend };
}

describe('sessions under a virtual clock', () => {
  it('a session paused past its lease: its locks are taken by rule (b) on the session row, its signals abort first, its late renewal is refused', async () => {
    const { clock, backend } = world();
    const net = pausable(backend);
    const mine = new Dynastore({ backend: net.backend, clock });
    // the contender's wall clock is 5 s behind: rule (a) cannot fire for 5 s, only rule (b) can
    const theirs = new Dynastore({ backend, clock: skewed(clock, -5_000) });
    const session = await mine.session(t);
    const leases = await Promise.all(['a', 'b', 'c'].map((k) => session.lock(k).acquire({ waitMs: 0 })));
    const lostAt: number[] = [];
    for (const l of leases) l.signal.addEventListener('abort', () => lostAt.push(clock.monotonic()));
    await clock.advance(t.heartbeatMs + 10); // one renewal went through
    net.pause();
    const pausedAt = clock.monotonic();
    let grantedAt: number | undefined;
    const taking = theirs
      .lock('a', t)
      .acquire({ waitMs: 10_000 })
      .then((l) => {
        grantedAt = clock.monotonic();
        return l;
      });
    await clock.advanceUntil(() => grantedAt !== undefined, 10_000);
    const taken = await taking;
    // rule (b): about one session lease (+ drift) after the paused session's row was first seen
    expect((grantedAt ?? 0) - pausedAt).toBeLessThan(ruleBWaitMs(t.leaseMs) + t.leaseMs);
    expect(lostAt).toHaveLength(3);
    expect(Math.max(...lostAt)).toBeLessThanOrEqual(grantedAt ?? 0);
    for (const l of leases) expect((l.signal.reason as LeaseLostError).reason).toBe('session');
    expect(session.signal.aborted).toBe(true);
    expect(taken.token).toBeGreaterThan(leases[0]?.token ?? 0n);
    const dead = await backend.get(session.id, session.id);
    expect(dead?.fields.owner).toBeUndefined();
    // the session wakes: its renewal (held while paused) reaches the store and is refused
    expect(net.resume()).toBeGreaterThan(0);
    await clock.advance(t.leaseMs);
    const after = await backend.get(session.id, session.id);
    expect(after?.fields.owner).toBeUndefined();
    expect(after?.version).toBe(dead?.version);
    // its other locks go at once: the session row says dead
    const b = await theirs.lock('b', t).tryAcquire();
    expect(b).toBeDefined();
    expect(decodeLockRow(await backend.get('_lock/a', 'a'))?.owner).toBe(taken.owner);
  });

  it('a live session is never taken over by contenders whose wall clocks are off by less than maxClockSkewMs', async () => {
    const { clock, backend } = world();
    const session = await new Dynastore({ backend, clock: skewed(clock, -90) }).session(t);
    const keys = ['k0', 'k1', 'k2', 'k3'];
    for (const k of keys) await session.lock(k).acquire({ waitMs: 0 });
    const ahead = new Dynastore({ backend, clock: skewed(clock, 90) });
    const otherSession = await ahead.session(t);
    const outcomes = Promise.all([
      ahead.lock('k0', t).acquire({ waitMs: 20 * t.leaseMs }),
      otherSession.lock('k1').acquire({ waitMs: 20 * t.leaseMs }),
      ahead.semaphore('s', { ...t, permits: 1 }).acquire({ waitMs: 0 }),
    ]).then(
      () => 'granted',
      (e: unknown) => (e as Error).name,
    );
    let outcome: string | undefined;
    void outcomes.then((o) => {
      outcome = o;
    });
    await clock.advanceUntil(() => outcome !== undefined, 25 * t.leaseMs);
    expect(outcome).toBe('LockTimeoutError');
    expect(session.held).toBe(true);
    expect(session.size).toBe(4);
    await otherSession.close();
    await session.close();
  });

  it('per-lock rule (b) never applies to a session-bound row: the store refuses such a grant', async () => {
    const { clock, backend } = world();
    const store = new Dynastore({ backend, clock });
    const session = await store.session(t);
    const lease = await session.lock('held').acquire({ waitMs: 0 });
    const row = decodeLockRow(await backend.get('_lock/held', 'held'));
    await clock.advance(5 * t.leaseMs);
    const now = clock.now();
    const grant = grantWrite(
      { partition: '_lock/held', key: 'held' },
      {
        owner: 'intruder',
        token: (row?.token ?? 0n) + 1n,
        leaseMs: t.leaseMs,
        retentionMs: 86_400_000,
        data: undefined,
      },
      now,
      {
        expiredBefore: now - t.maxClockSkewMs,
        observed: { version: row?.version ?? 0, token: row?.token ?? 0n },
      },
    );
    const r = await backend.write(grant);
    expect(r.ok).toBe(false);
    expect(lease.held).toBe(true);
    await session.close();
  });

  it('an answer lost after the takeover transaction applied is settled by reading the row back', async () => {
    const calls: string[] = [];
    const { clock, backend } = world((op) => calls.push(op));
    let loseNext = false;
    let transacts = 0;
    const lossy = new Proxy(backend, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== 'transact') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<Backend['transact']>) => {
          transacts++;
          const result = await target.transact(...args);
          if (loseNext) {
            loseNext = false;
            throw new BackendError('TransactWriteItems', 'socket hang up after the request was sent', true, {
              ambiguous: true,
            });
          }
          return result;
        };
      },
    });
    const session = await new Dynastore({ backend, clock }).session({ ...t, heartbeatMs: false });
    await session.lock('x').acquire({ waitMs: 0 });
    await clock.advance(t.leaseMs + t.maxClockSkewMs + 10); // the session is dead by rule (a)
    const contender = new Dynastore({ backend: lossy, clock });
    loseNext = true;
    const before = calls.length;
    const lease = await contender.lock('x', t).acquire({ waitMs: 0 });
    // the blind grant (refused), the session row's read, the transaction (answer lost), the read back
    expect(calls.slice(before)).toEqual(['UpdateItem', 'GetItem', 'TransactWriteItems', 'GetItem']);
    expect(transacts).toBe(1);
    expect(lease.held).toBe(true);
    const row = decodeLockRow(await backend.get('_lock/x', 'x'));
    expect(row).toMatchObject({ owner: lease.owner, token: lease.token });
    expect(row?.session).toBeUndefined();
    await lease.release();
  });
});
