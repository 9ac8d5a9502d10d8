import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/contract/backend.js';
import { LeaseLostError } from '../../src/contract/errors/lock.js';
import { ValidationError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { WatchEvent } from '../../src/watch/index.js';
import type { Harness } from './harness.js';
import { within } from './within.js';

/** Timing of the sessions in these tests (short, in proportion on each backend). */
export interface SessionKeyTiming {
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly maxClockSkewMs: number;
}

let seq = 0;
const fresh = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Lets time pass until `predicate()` holds (virtual or real time), failing after `maxMs`. */
async function until(h: Harness, predicate: () => boolean, maxMs: number, what: string): Promise<void> {
  for (let spent = 0; !predicate(); spent += 25) {
    if (spent > maxMs) throw new Error(`${what}: not within ${maxMs} ms`);
    await h.passTime(25);
  }
}

/**
 * Keys bound to a session (`put(key, value, { session })`): they read as usual while the session
 * lives, and as absent (get, exists, list, listPage, watch with `cause: 'session'`) once it is
 * closed, lost or taken over, by the takeover rules of the session's locks and never sooner.
 */
export function sessionKeysContract(getHarness: () => Harness, t: SessionKeyTiming): void {
  describe(`keys bound to a session (${t.leaseMs} ms lease)`, () => {
    it('read as usual while the session lives; absent to every read once it is closed; the next create replaces the row', async () => {
      const h = getHarness();
      const store = h.store();
      const kv = store.partition(fresh('bound'));
      const session = await store.session(t);
      const pair = await kv.put('members/w1', 'hello', { session });
      await kv.put('plain', 'stays');
      const row = await store.backend.get(kv.name, 'members/w1', { consistent: true });
      expect(row?.fields.session).toBe(session.id);
      expect(row?.expiresSec).toBeUndefined();
      expect((await kv.get('members/w1'))?.text()).toBe('hello');
      expect(await kv.exists('members/w1')).toBe(true);
      expect((await all(kv.list())).map((p) => p.key)).toEqual(['members/w1', 'plain']);
      await session.close();
      // the next writer replaces the dead row (no read came first): a create succeeds, compare-and-swap on its version
      const again = await kv.atomicPut('members/w1', 'again');
      expect(again.version).toBe(pair.version + 1);
      expect((await kv.get('members/w1'))?.text()).toBe('again');
    });

    for (const read of ['get', 'exists', 'list', 'listPage'] as const) {
      it(`a ${read} that finds a key bound to a dead session reads it absent and removes its row`, async () => {
        const h = getHarness();
        const store = h.store();
        const kv = store.partition(fresh(`reap-${read}`));
        const session = await store.session(t);
        await kv.put('members/w1', 'hello', { session });
        await kv.put('plain', 'stays');
        await session.close();
        expect(await store.backend.get(kv.name, 'members/w1', { consistent: true })).toBeDefined();
        if (read === 'get') expect(await kv.get('members/w1')).toBeUndefined();
        if (read === 'exists') expect(await kv.exists('members/w1')).toBe(false);
        if (read === 'list') expect((await all(kv.list())).map((p) => p.key)).toEqual(['plain']);
        if (read === 'listPage') expect((await kv.listPage()).items.map((p) => p.key)).toEqual(['plain']);
        let raw = await store.backend.get(kv.name, 'members/w1', { consistent: true });
        for (let spent = 0; raw !== undefined; spent += 25) {
          if (spent > 5_000) throw new Error('the dead row was never removed');
          await h.passTime(25);
          raw = await store.backend.get(kv.name, 'members/w1', { consistent: true });
        }
        expect(await store.backend.get(kv.name, 'plain', { consistent: true })).toBeDefined();
      });
    }

    it('the removal by a reader leaves a row written again since alone, and a failure reaches onCall and a warning', async () => {
      const h = getHarness();
      const shared = h.store();
      const kv0 = shared.partition(fresh('reap-race'));
      const session = await shared.session(t);
      await kv0.put('k', 'old', { session });
      await session.close();
      // a reader whose delete waits until another writer has written the key again
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const deletes: Promise<unknown>[] = [];
      const gated: Backend = {
        kind: shared.backend.kind,
        get: (p, k, o) => shared.backend.get(p, k, o),
        write: (i) => shared.backend.write(i),
        delete: (i) => {
          const d = gate.then(() => shared.backend.delete(i));
          deletes.push(d);
          return d;
        },
        query: (i) => shared.backend.query(i),
        transact: (i) => shared.backend.transact(i),
        changes: () => shared.backend.changes(),
      };
      const reader = new Dynastore({ backend: gated, clock: shared.clock }).partition(kv0.name);
      expect(await reader.get('k')).toBeUndefined();
      expect(deletes).toHaveLength(1);
      const fresher = await kv0.put('k', 'new');
      release();
      expect(await deletes[0]).toMatchObject({ ok: false });
      expect((await kv0.get('k'))?.version).toBe(fresher.version);
      // a delete that fails: in onCall (the backend's own report) and a process warning, once per reason
      const other = await shared.session(t);
      await kv0.put('k', 'bound again', { session: other });
      await other.close();
      const code = `TEST_${fresh('boom').replace(/\W/g, '_')}`;
      const failing: Backend = {
        ...gated,
        delete: async () => {
          throw Object.assign(new Error('the table is gone'), { code });
        },
      };
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      try {
        const failingKv = new Dynastore({ backend: failing, clock: shared.clock }).partition(kv0.name);
        expect(await failingKv.get('k')).toBeUndefined();
        for (let i = 0; i < 40 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      } finally {
        process.off('warning', onWarning);
      }
      const mine = warnings.filter((w) => w.message.includes(code));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ name: 'DynastoreWarning', code: 'DYNASTORE_SESSION_KEY_REMOVAL' });
      expect(mine[0]?.message).toMatch(/bound to dead session .*the table is gone/);
    });

    it('a put without session unbinds the key; a session-bound create refuses a live key', async () => {
      const h = getHarness();
      const store = h.store();
      const kv = store.partition(fresh('unbind'));
      const session = await store.session(t);
      const bound = await kv.atomicPut('k', 'one', { session });
      await expect(kv.atomicPut('k', 'two', { session })).rejects.toMatchObject({ code: 'KEY_EXISTS' });
      await kv.put('k', 'plain');
      const row = await store.backend.get(kv.name, 'k', { consistent: true });
      expect(row?.fields.session).toBeUndefined();
      await session.close();
      expect((await kv.get('k'))?.text()).toBe('plain');
      expect(bound.version).toBe(1);
    });

    it('a session that stops renewing: its key stays while a takeover is not allowed, then reads absent', async () => {
      const h = getHarness();
      const store = h.store();
      const kv = store.partition(fresh('stall'));
      const session = await store.session({ ...t, heartbeatMs: false });
      await kv.put('k', 'v', { session });
      const srow = await store.backend.get(session.id, session.id, { consistent: true });
      const leaseUntil = Number(srow?.fields.leaseUntil);
      await h.passTime(t.leaseMs / 2);
      expect(await kv.exists('k')).toBe(true);
      // rule (a) for a reader: lease end + maxClockSkewMs behind its clock
      await until(h, () => !session.held, 3 * t.leaseMs, 'the session runs out');
      let gone = false;
      for (let spent = 0; !gone; spent += 50) {
        if (spent > 4 * t.leaseMs) throw new Error('the key never read absent');
        gone = !(await kv.exists('k'));
        if (!gone) await h.passTime(50);
      }
      // never before the session row's lease end + maxClockSkewMs (the reader's clock is the writer's here)
      expect(h.now()).toBeGreaterThanOrEqual(leaseUntil + t.maxClockSkewMs);
    });

    it('watchPrefix: a delete with cause session once the session is closed', async () => {
      const h = getHarness();
      const store = h.store();
      const kv = store.partition(fresh('watch-close'));
      const session = await store.session(t);
      await kv.put('members/a', 'A', { session });
      const events: WatchEvent[] = [];
      const errors: unknown[] = [];
      const sub = kv.watchPrefix('members/').subscribe({
        next: (e) => events.push(e),
        error: (e) => errors.push(e),
      });
      await until(h, () => events.length >= 1, 5_000, 'the snapshot');
      expect(events[0]).toMatchObject({ type: 'put', key: 'members/a', cause: 'snapshot' });
      await kv.put('members/b', 'B', { session });
      await until(h, () => events.length >= 2, 5_000, 'the second put');
      await session.close();
      await until(h, () => events.length >= 4, 5_000, 'the session deletes');
      const deletes = events.slice(2);
      expect(deletes.map((e) => [e.type, e.key, e.cause]).sort()).toEqual([
        ['delete', 'members/a', 'session'],
        ['delete', 'members/b', 'session'],
      ]);
      expect(deletes[0]?.previous?.text()).toMatch(/^[AB]$/);
      // a reader removes the dead rows: the watch, which already reported them deleted, says nothing more
      expect(await kv.get('members/a')).toBeUndefined();
      expect(await kv.get('members/b')).toBeUndefined();
      for (let spent = 0; ; spent += 25) {
        const rows = await Promise.all(
          ['members/a', 'members/b'].map((k) => store.backend.get(kv.name, k, { consistent: true })),
        );
        if (rows.every((r) => r === undefined)) break;
        if (spent > 5_000) throw new Error('the dead rows were never removed');
        await h.passTime(25);
      }
      // a new write of the key is reported again (and nothing came between)
      await kv.put('members/a', 'A2');
      await until(h, () => events.length >= 5, 5_000, 'the re-put');
      expect(events[4]).toMatchObject({ type: 'put', key: 'members/a', cause: 'write' });
      expect(errors).toEqual([]);
      sub.unsubscribe();
    });

    it('watch: a key of a session that stalls is deleted (cause session) after the session itself is lost and no later than a contender takes its lock', async () => {
      const h = getHarness();
      const store = h.store();
      const kv = store.partition(fresh('watch-stall'));
      const session = await store.session({ ...t, heartbeatMs: false });
      const lockKey = fresh('stall-lock');
      await session.lock(lockKey).acquire({ waitMs: 0 });
      await kv.put('k', 'v', { session });
      let lostAt: number | undefined;
      session.signal.addEventListener('abort', () => {
        lostAt = h.now();
      });
      const events: WatchEvent[] = [];
      const errors: unknown[] = [];
      let deletedAt: number | undefined;
      const sub = kv.watch('k').subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'delete') deletedAt ??= h.now();
        },
        error: (e) => errors.push(e),
      });
      await until(h, () => events.length >= 1, 5_000, 'the snapshot');
      expect(events[0]).toMatchObject({ type: 'put', cause: 'snapshot' });
      const contender = h.store().lock(lockKey, t);
      let grantedAt: number | undefined;
      const granted = contender.acquire({ waitMs: 6 * t.leaseMs }).then((lease) => {
        grantedAt = h.now();
        return lease;
      });
      const lease = await within(h, granted, 8 * t.leaseMs, 10);
      await until(h, () => deletedAt !== undefined, 4 * t.leaseMs, 'the session delete');
      expect(events[1]).toMatchObject({ type: 'delete', key: 'k', cause: 'session' });
      expect(lostAt).toBeDefined();
      expect(deletedAt).toBeGreaterThanOrEqual(lostAt ?? Number.POSITIVE_INFINITY);
      // the watch learns of the death no later than the takeover (plus one feed delivery on DynamoDB)
      const slackMs = h.name === 'memory' ? 25 : 1_000;
      expect(deletedAt).toBeLessThanOrEqual((grantedAt ?? 0) + slackMs);
      expect(errors).toEqual([]);
      sub.unsubscribe();
      await lease.release();
    });

    it("a contender of the store whose watch saw the session die counts rule (b) from the watch's sighting, not from zero", async () => {
      const h = getHarness();
      const store = h.store();
      const kv = store.partition(fresh('sighting'));
      // a wide skew margin: rule (a) comes long after rule (b) here
      const skewMs = Math.round(t.leaseMs * 0.6);
      const session = await store.session({ ...t, maxClockSkewMs: skewMs, heartbeatMs: false });
      const lockKey = fresh('sighting-lock');
      await session.lock(lockKey).acquire({ waitMs: 0 });
      await kv.put('k', 'v', { session });
      const srow = await store.backend.get(session.id, session.id, { consistent: true });
      const leaseUntil = Number(srow?.fields.leaseUntil);
      let deletedAt: number | undefined;
      const sub = kv.watch('k').subscribe((e) => {
        if (e.type === 'delete') deletedAt ??= h.now();
      });
      await until(h, () => deletedAt !== undefined, 4 * t.leaseMs, 'the session delete');
      sub.unsubscribe();
      // rule (a) would allow the takeover only at leaseUntil + skew; the watch's sighting allows it now
      expect(h.now()).toBeLessThan(leaseUntil + skewMs);
      const lease = await within(
        h,
        store.lock(lockKey, { ...t, maxClockSkewMs: skewMs }).acquire({ waitMs: 4 * t.leaseMs }),
        4 * t.leaseMs,
        10,
      );
      expect(h.now()).toBeLessThan(leaseUntil + skewMs);
      await lease.release();
    });

    it('refuses a session that is not one, or has ended, before any write', async () => {
      const h = getHarness();
      const store = h.store();
      const kv = store.partition(fresh('bad-session'));
      await expect(kv.put('k', 'v', { session: {} as never })).rejects.toBeInstanceOf(ValidationError);
      const session = await store.session(t);
      await session.close();
      await expect(kv.put('k', 'v', { session })).rejects.toBeInstanceOf(LeaseLostError);
      await expect(kv.atomicPut('k', 'v', { session })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.backend.get(kv.name, 'k', { consistent: true })).toBeUndefined();
    });
  });
}
