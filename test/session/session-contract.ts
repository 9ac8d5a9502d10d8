import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FencedError, LeaseLostError } from '../../src/contract/errors/lock.js';
import { ValidationError } from '../../src/contract/errors/store.js';
import type { Leader } from '../../src/election/observe.js';
import type { Lease } from '../../src/lock/lease.js';
import { decodeLockRow, renewWrite } from '../../src/lock/row.js';
import type { Harness } from '../contract/harness.js';
import { within } from '../contract/within.js';

/** Timing of a test session: short on both backends, in proportion. */
export interface SessionTiming {
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly maxClockSkewMs: number;
}

let seq = 0;
const unique = (label: string) => `${label}-${Date.now().toString(36)}-${seq++}`;

/**
 * What sessions must do on every backend: the lock rows they write, that a live session's locks
 * are never taken, what losing and closing a session does, fencing across session and per-lock
 * grants, and how holders, semaphores and elections report a session-bound holder.
 */
export function sessionContract(harness: () => Harness, t: SessionTiming): void {
  const lockTiming = t;

  describe(`sessions (${t.leaseMs} ms lease)`, () => {
    it('a grant on a free lock is one conditional write; the row names the session, has no lease end and no TTL', async () => {
      const h = harness();
      const store = h.store();
      const session = await store.session(t);
      const key = unique('free');
      const before = h.calls.length;
      const lease = await session.lock(key).acquire({ waitMs: 0 });
      expect(h.calls.slice(before).map((c) => c.operation)).toEqual(['UpdateItem']);
      expect(lease.session).toBe(session.id);
      expect(lease.owner).toBe(session.owner);
      const item = await store.backend.get(`_lock/${key}`, key, { consistent: true });
      expect(item?.fields.session).toBe(session.id);
      expect(item?.fields.leaseUntil).toBeUndefined();
      expect(item?.expiresSec).toBeUndefined();
      expect(item?.fields.leaseMs).toBe(t.leaseMs);
      const srow = await store.backend.get(session.id, session.id, { consistent: true });
      expect(srow?.fields.owner).toBe(session.owner);
      await session.close();
    });

    it('one renewal per heartbeat however many locks it holds; a live session keeps them (no takeover in 4 leases)', async () => {
      const h = harness();
      const store = h.store();
      const session = await store.session(t);
      const keys = Array.from({ length: 20 }, (_, i) => unique(`many${i}`));
      const leases: Lease[] = [];
      // one after the other: 20 writes at once queue for a second on a loaded DynamoDB Local
      for (const k of keys) leases.push(await session.lock(k).acquire({ waitMs: 0 }));
      expect(session.size).toBe(20);
      // alone, the session writes one renewal per beat, none per lock
      const before = h.calls.length;
      await h.passTime(3 * t.leaseMs);
      const beats = h.calls
        .slice(before)
        .filter((c) => c.operation === 'UpdateItem' && c.error === undefined);
      expect(beats.length).toBeGreaterThanOrEqual(Math.floor((3 * t.leaseMs) / t.heartbeatMs) - 1);
      expect(beats.length).toBeLessThanOrEqual(Math.ceil((3 * t.leaseMs) / t.heartbeatMs) + 1);
      const contender = h.store().lock(keys[0] as string, lockTiming);
      const other = await h.store().session(t);
      const waiting = [
        contender.acquire({ waitMs: 4 * t.leaseMs }).then(
          () => 'granted',
          (e: unknown) => (e as Error).name,
        ),
        other
          .lock(keys[1] as string)
          .acquire({ waitMs: 4 * t.leaseMs })
          .then(
            () => 'granted',
            (e: unknown) => (e as Error).name,
          ),
      ];
      const outcomes = await within(h, Promise.all(waiting), 6 * t.leaseMs);
      expect(outcomes).toEqual(['LockTimeoutError', 'LockTimeoutError']);
      expect(leases.every((l) => !l.signal.aborted && l.held)).toBe(true);
      expect(await contender.holder()).toMatchObject({ owner: session.owner, session: session.id });
      await other.close();
      await session.close();
    });

    it('close() releases every lease (signals aborted, reason released), then the session row; others get the locks at once', async () => {
      const h = harness();
      const store = h.store();
      const session = await store.session(t);
      const keys = [unique('c1'), unique('c2'), unique('c3')];
      const leases = await Promise.all(keys.map((k) => session.lock(k).acquire({ waitMs: 0 })));
      await session.close();
      for (const l of leases) {
        expect(l.signal.aborted).toBe(true);
        expect((l.signal.reason as LeaseLostError).reason).toBe('released');
      }
      expect(session.signal.aborted).toBe(true);
      expect(session.held).toBe(false);
      const item = await store.backend.get(`_lock/${keys[0]}`, keys[0] as string, { consistent: true });
      expect(item?.fields.owner).toBeUndefined();
      expect(item?.fields.session).toBeUndefined();
      const srow = await store.backend.get(session.id, session.id, { consistent: true });
      expect(srow?.fields.owner).toBeUndefined();
      const next = await h
        .store()
        .lock(keys[0] as string, lockTiming)
        .tryAcquire();
      expect(next?.token).toBeGreaterThan(leases[0]?.token ?? 0n);
      await next?.release();
      await expect(session.lock(unique('after')).acquire({ waitMs: 0 })).rejects.toBeInstanceOf(
        LeaseLostError,
      );
    });

    it('a session that stops renewing loses every lease at once (reason session) and its locks are taken by transaction; its late renewal is refused', async () => {
      const h = harness();
      const store = h.store();
      // heartbeatMs false and no renew(): a process that stalled
      const session = await store.session({ ...t, heartbeatMs: false });
      const keys = [unique('p1'), unique('p2')];
      const leases = await Promise.all(keys.map((k) => session.lock(k).acquire({ waitMs: 0 })));
      let lostAt: number | undefined;
      leases[0]?.signal.addEventListener('abort', () => {
        lostAt = h.now();
      });
      const contender = h.store().lock(keys[0] as string, lockTiming);
      let grantedAt: number | undefined;
      const taken = await within(
        h,
        contender.acquire({ waitMs: 5 * t.leaseMs }).then((l) => {
          grantedAt = h.now();
          return l;
        }),
        6 * t.leaseMs,
      );
      expect(lostAt).toBeDefined();
      expect(lostAt).toBeLessThanOrEqual(grantedAt ?? 0);
      for (const l of leases) {
        const reason = l.signal.reason as LeaseLostError;
        expect(reason).toBeInstanceOf(LeaseLostError);
        expect(reason.reason).toBe('session');
        expect(reason.message).toMatch(/session/);
        expect((reason.cause as LeaseLostError).reason).toBe('expired');
      }
      expect(taken.token).toBeGreaterThan(leases[0]?.token ?? 0n);
      expect(h.calls.some((c) => c.operation === 'TransactWriteItems' && c.error === undefined)).toBe(true);
      // the session row was marked dead in the same transaction: a late renewal is refused
      const srow = await store.backend.get(session.id, session.id, { consistent: true });
      expect(srow?.fields.owner).toBeUndefined();
      const late = await store.backend.write(
        renewWrite(
          { partition: session.id, key: session.id },
          {
            owner: session.owner,
            token: decodeLockRow(srow)?.token ?? 0n,
            leaseMs: t.leaseMs,
            retentionMs: 86_400_000,
            data: undefined,
          },
          h.now(),
        ),
      );
      expect(late.ok).toBe(false);
      await expect(session.renew()).rejects.toBeInstanceOf(LeaseLostError);
      // its other lock goes at once: the session row says dead, no wait
      const before = h.now();
      const second = await within(
        h,
        h
          .store()
          .lock(keys[1] as string, lockTiming)
          .acquire({ waitMs: 0 }),
        1_000,
      );
      expect(h.now() - before).toBeLessThan(t.leaseMs);
      expect(second.session).toBeUndefined();
      const row = decodeLockRow(
        await store.backend.get(`_lock/${keys[1]}`, keys[1] as string, { consistent: true }),
      );
      expect(row?.session).toBeUndefined();
      expect(row?.leaseUntil).toBeDefined();
      await second.release();
      await taken.release();
      await session.close();
    });

    it('fencing tokens stay per lock and strictly increasing; fenced writes work with a session lease and refuse a stale one', async () => {
      const h = harness();
      const store = h.store();
      const key = unique('fence');
      const kv = store.partition(unique('data'));
      const tokens: bigint[] = [];
      const plain = await store.lock(key, lockTiming).acquire({ waitMs: 0 });
      tokens.push(plain.token);
      await plain.release();
      const session = await store.session({ ...t, heartbeatMs: false });
      const bound = await session.lock(key).acquire({ waitMs: 0 });
      tokens.push(bound.token);
      await kv.put('k', 'by session', { fence: bound });
      // the session stalls; another session takes the lock once it is dead
      const other = await h.store().session(t);
      const next = await within(h, other.lock(key).acquire({ waitMs: 5 * t.leaseMs }), 6 * t.leaseMs);
      tokens.push(next.token);
      expect(next.session).toBe(other.id);
      await expect(kv.put('k', 'stale', { fence: bound })).rejects.toBeInstanceOf(FencedError);
      await kv.put('k', 'by other', { fence: next });
      await other.close();
      const last = await store.lock(key, lockTiming).acquire({ waitMs: 0 });
      tokens.push(last.token);
      await last.release();
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as bigint);
      expect((await kv.get('k'))?.text()).toBe('by other');
      await session.close();
    });

    it('holder() and semaphore holders() report a session-bound holder live exactly while its session is', async () => {
      const h = harness();
      const store = h.store();
      const session = await store.session({ ...t, heartbeatMs: false });
      const key = unique('holder');
      const lease = await session.lock(key, { data: 'shard 7' }).acquire({ waitMs: 0 });
      const sem = session.semaphore(unique('sem'), { permits: 2 });
      const permit = await sem.acquire({ waitMs: 0 });
      const observer = h.store();
      const h1 = await observer.lock(key, lockTiming).holder();
      expect(h1).toMatchObject({
        owner: session.owner,
        token: lease.token,
        session: session.id,
        data: 'shard 7',
      });
      const semAsSeen = observer.semaphore(sem.key, { ...lockTiming, permits: 2 });
      expect((await semAsSeen.holders()).map((x) => x.session)).toEqual([session.id]);
      expect(permit.session).toBe(session.id);
      // no renewal: after the lease and the skew margin the session, and so its holders, are dead
      await h.passTime(t.leaseMs + t.maxClockSkewMs + 50);
      expect(await observer.lock(key, lockTiming).holder()).toBeUndefined();
      expect(await semAsSeen.holders()).toEqual([]);
      await session.close();
    });

    it("a waiter that times out on a session-bound lock names the holder with the session's lease end", async () => {
      const h = harness();
      const store = h.store();
      const session = await store.session({ ...t, heartbeatMs: false });
      const key = unique('timeout-holder');
      await session.lock(key).acquire({ waitMs: 0 });
      const waiting = h.store().lock(key, lockTiming).acquire({ waitMs: 50 });
      const error = await within(h, waiting, 10 * t.leaseMs).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'LockTimeoutError', holder: { session: session.id } });
      const expiresAt = (error as { holder: { expiresAt: Date } }).holder.expiresAt.getTime();
      expect(expiresAt).toBeGreaterThan(h.store().clock.now());
      expect(expiresAt).toBeLessThanOrEqual(h.store().clock.now() + t.leaseMs);
      await session.close();
    });

    it('a lock tied to a session row another writer left unreadable reads as InvalidItemError, not as free', async () => {
      const h = harness();
      const store = h.store();
      const session = await store.session({ ...t, heartbeatMs: false });
      const key = unique('odd-session');
      await session.lock(key).acquire({ waitMs: 0 });
      // another writer turns the session row's owner into a number
      await store.backend.write({ partition: session.id, key: session.id, fields: { owner: 7 } });
      const observer = h.store().lock(key, lockTiming);
      await expect(observer.holder()).rejects.toMatchObject({
        name: 'InvalidItemError',
        partition: session.id,
        key: session.id,
      });
      // and nobody takes it
      expect(await observer.tryAcquire()).toBeUndefined();
    });

    it('an election through a session: leader() and observe() follow the session', async () => {
      const h = harness();
      const store = h.store();
      const session = await store.session(t);
      const name = unique('elect');
      const seen: (Leader | undefined)[] = [];
      const observer = h.store().election(name, lockTiming);
      const sub = observer.observe().subscribe((l) => seen.push(l));
      const leadership = await session.election(name).campaign('node-1', { waitMs: 0 });
      expect(await observer.leader()).toMatchObject({ id: 'node-1', term: leadership.term });
      await within(
        h,
        firstValueFrom(observer.observe().pipe(filter((l) => l?.id === 'node-1'))),
        5 * t.leaseMs,
      );
      await session.close();
      expect(leadership.signal.aborted).toBe(true);
      await within(h, firstValueFrom(observer.observe().pipe(filter((l) => l === undefined))), 5 * t.leaseMs);
      expect(await observer.leader()).toBeUndefined();
      sub.unsubscribe();
      expect(seen.some((l) => l?.id === 'node-1')).toBe(true);
    });

    it('bad input is a ValidationError before any write', async () => {
      const h = harness();
      const store = h.store();
      const before = h.calls.length;
      await expect(store.session({ leaseMs: 1_000, heartbeatMs: 600 })).rejects.toThrow(ValidationError);
      await expect(store.session({ bogus: 1 } as never)).rejects.toThrow(/session.bogus: unknown option/);
      await expect(store.session({ leaseMs: 500, maxClockSkewMs: 500 })).rejects.toThrow(/maxClockSkewMs/);
      expect(h.calls.length).toBe(before);
      const session = await store.session(t);
      expect(() => session.lock('k', { leaseMs: 5 } as never)).toThrow(
        /session.lock.leaseMs: is the session's/,
      );
      expect(() => session.lock('k', { owner: 'x' } as never)).toThrow(ValidationError);
      expect(() => session.election('e', { heartbeatMs: 5 } as never)).toThrow(
        /session.election.heartbeatMs/,
      );
      expect(() => session.semaphore('s', { permits: 0 })).toThrow(/permits/);
      expect(() => session.lock('', {})).toThrow(ValidationError);
      await expect(session.withLock('k', () => 1, { maxClockSkewMs: 1 } as never)).rejects.toThrow(
        /session.withLock.maxClockSkewMs/,
      );
      expect(await session.withLock(unique('wl'), (l: Lease) => l.session)).toBe(session.id);
      await session.close();
    });
  });
}
