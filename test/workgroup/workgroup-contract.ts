import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/contract/backend.js';
import { KeyExistsError, ValidationError } from '../../src/contract/errors/store.js';
import { Dynastore } from '../../src/facade/dynastore.js';
import type { Session } from '../../src/facade/session.js';
import type { Member, ShardLease } from '../../src/workgroup/index.js';
import type { Harness } from '../contract/harness.js';

/** Session timing of the members (short, in proportion on each backend). */
export interface GroupTiming {
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly maxClockSkewMs: number;
}

let seq = 0;
const fresh = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

/** Lets (virtual or real) time pass until `predicate()` holds; fails after `maxMs`. Resolves to the time it took. */
async function until(h: Harness, predicate: () => boolean, maxMs: number, what: string): Promise<number> {
  const start = h.now();
  for (;;) {
    if (predicate()) return h.now() - start;
    if (h.now() - start > maxMs) throw new Error(`${what}: not within ${maxMs} ms`);
    await h.passTime(20);
  }
}

/**
 * A backend that can be frozen: from then on no call answers (a process killed with -9, as the
 * others see it: its session stops renewing and nothing it does reaches the table).
 */
function freezable(inner: Backend): { backend: Backend; freeze(): void } {
  let frozen = false;
  const never = new Promise<never>(() => undefined);
  const gate =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      frozen ? never : fn(...args);
  const backend: Backend = {
    kind: inner.kind,
    get: gate((p, k, o) => inner.get(p, k, o)),
    write: gate((i) => inner.write(i)),
    delete: gate((i) => inner.delete(i)),
    query: gate((i) => inner.query(i)),
    transact: gate((i) => inner.transact(i)),
    changes: () => inner.changes(),
  };
  return {
    backend,
    freeze: () => {
      frozen = true;
    },
  };
}

/** Who works which shard right now (from onShard), and every overlap seen. */
class Work {
  readonly active = new Map<number, string>();
  readonly overlaps: string[] = [];
  readonly starts: { shard: number; member: string; token: bigint }[] = [];

  onShard(member: string) {
    return async (shard: number, lease: ShardLease) => {
      const other = this.active.get(shard);
      if (other !== undefined)
        this.overlaps.push(`shard ${shard}: ${member} started while ${other} worked it`);
      this.active.set(shard, member);
      this.starts.push({ shard, member, token: lease.token });
      await new Promise<void>((resolve) => {
        if (lease.signal.aborted) resolve();
        else lease.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      if (this.active.get(shard) === member) this.active.delete(shard);
    };
  }
}

function balanced(members: readonly Member[], shards: number): boolean {
  const live = members.filter((m) => m.active);
  if (live.length === 0) return false;
  const all = live.flatMap((m) => m.owned()).sort((a, b) => a - b);
  if (all.length !== shards || new Set(all).size !== shards) return false;
  const lo = Math.floor(shards / live.length);
  const hi = Math.ceil(shards / live.length);
  return live.every((m) => m.owned().length >= lo && m.owned().length <= hi);
}

function holders(members: readonly Member[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of members) if (m.active) for (const s of m.owned()) out.set(s, m.id);
  return out;
}

function movedBetween(before: Map<number, string>, after: Map<number, string>): number {
  let moved = 0;
  for (const [shard, id] of after) if (before.get(shard) !== id) moved++;
  return moved;
}

/**
 * Work groups on every backend: balanced and sticky assignment, a shard never worked by two
 * members at once, graceful leave, death of a member (its session stops renewing), joins.
 */
export function workGroupContract(harness: () => Harness, t: GroupTiming, shards: number): void {
  describe(`work groups (${shards} shards, ${t.leaseMs} ms sessions)`, () => {
    const sessions: Session[] = [];
    const open = async (store: Dynastore, owner: string) => {
      const s = await store.session({ ...t, owner });
      sessions.push(s);
      return s;
    };

    it('members settle balanced; assignment() and members() agree with them; no shard is worked twice at once', async () => {
      const h = harness();
      const store = h.store();
      const name = fresh('settle');
      const group = store.workGroup(name, { shards });
      const work = new Work();
      const members: Member[] = [];
      for (const id of ['a', 'b', 'c']) {
        members.push(await group.join(await open(store, id), { onShard: work.onShard(id) }));
      }
      await until(h, () => balanced(members, shards), 10 * t.leaseMs, 'balanced');
      expect(await group.members()).toEqual(['a', 'b', 'c']);
      expect(await group.assignment()).toEqual(new Map([...holders(members)].sort((x, y) => x[0] - y[0])));
      expect(work.overlaps).toEqual([]);
      // settled: the member keys and the shard locks are not written again (only session renewals)
      const before = h.calls.length;
      await h.passTime(2 * t.leaseMs);
      const writes = h.calls
        .slice(before)
        .filter((c) => c.operation === 'UpdateItem' || c.operation === 'TransactWriteItems');
      const beats = Math.ceil((2 * t.leaseMs) / t.heartbeatMs) + 1;
      expect(writes.length).toBeLessThanOrEqual(3 * beats);
      for (const m of members) await m.leave();
      expect(work.active.size).toBe(0);
      expect(await group.members()).toEqual([]);
      expect(work.overlaps).toEqual([]);
    });

    it("a member that leaves stops each shard's work before releasing it; the others take its shards within 1 s, and only those move", async () => {
      const h = harness();
      const store = h.store();
      const group = store.workGroup(fresh('leave'), { shards });
      const work = new Work();
      const members: Member[] = [];
      for (const id of ['a', 'b', 'c']) {
        members.push(await group.join(await open(store, id), { onShard: work.onShard(id) }));
      }
      await until(h, () => balanced(members, shards), 10 * t.leaseMs, 'balanced');
      const before = holders(members);
      const leaving = members[1] as Member;
      const had = leaving.owned().length;
      const start = h.now();
      await leaving.leave();
      expect(leaving.signal.aborted).toBe(true);
      expect(leaving.owned()).toEqual([]);
      await until(h, () => balanced(members, shards), 5_000, 'rebalanced');
      const settleMs = h.now() - start;
      expect(settleMs).toBeLessThanOrEqual(1_000 + (h.name === 'memory' ? 0 : 500));
      expect(movedBetween(before, holders(members))).toBe(had);
      expect(work.overlaps).toEqual([]);
      for (const m of members) await m.leave();
    });

    it('a member that dies (its session stops renewing) loses its shards only once its session is lost; the others have them within the takeover floor + 1 s', async () => {
      const h = harness();
      const store = h.store();
      const name = fresh('death');
      const work = new Work();
      const members: Member[] = [];
      for (const id of ['a', 'b']) {
        members.push(
          await store.workGroup(name, { shards }).join(await open(store, id), { onShard: work.onShard(id) }),
        );
      }
      const doomed = freezable(store.backend);
      const doomedStore = new Dynastore({ backend: doomed.backend, clock: store.clock });
      // not in `sessions`: a frozen session's close never answers
      const victimSession = await doomedStore.session({ ...t, owner: 'victim' });
      const victim = await doomedStore.workGroup(name, { shards }).join(victimSession, {
        onShard: work.onShard('victim'),
      });
      members.push(victim);
      await until(h, () => balanced(members, shards), 10 * t.leaseMs, 'balanced');
      const had = victim.owned().length;
      expect(had).toBeGreaterThan(0);
      const before = holders(members);
      let lostAt: number | undefined;
      victimSession.signal.addEventListener('abort', () => {
        lostAt = h.now();
      });
      const killedAt = h.now();
      doomed.freeze();
      const survivors = members.filter((m) => m !== victim);
      await until(h, () => balanced(survivors, shards), 6 * t.leaseMs, 'the survivors hold every shard');
      const settleMs = h.now() - killedAt;
      expect(lostAt).toBeDefined();
      // the floor: the victim's last renewal was at most one heartbeat before the kill
      const floorMs = t.leaseMs + t.maxClockSkewMs;
      expect(settleMs).toBeLessThanOrEqual(floorMs + 1_000);
      expect(victim.signal.aborted).toBe(true);
      expect(movedBetween(before, holders(survivors))).toBe(had);
      expect(work.overlaps).toEqual([]);
      for (const m of survivors) await m.leave();
    });

    it('a member whose key someone else deleted writes it again', async () => {
      const h = harness();
      const store = h.store();
      const group = store.workGroup(fresh('rekey'), { shards });
      const member = await group.join(await open(store, 'solo'), { onShard: async () => undefined });
      await until(h, () => member.owned().length === shards, 10 * t.leaseMs, 'every shard');
      await store.partition(`_workgroups/${group.name}`).delete('members/solo');
      let back = false;
      for (let spent = 0; !back; spent += 20) {
        if (spent > 5_000) throw new Error('the member key was not written again');
        back = (await group.members()).includes('solo');
        if (!back) await h.passTime(20);
      }
      await member.leave();
    });

    it('a join moves exactly as many shards as the newcomer needs', async () => {
      const h = harness();
      const store = h.store();
      const group = store.workGroup(fresh('join'), { shards });
      const work = new Work();
      const members: Member[] = [];
      for (const id of ['a', 'b', 'c']) {
        members.push(await group.join(await open(store, id), { onShard: work.onShard(id) }));
      }
      await until(h, () => balanced(members, shards), 10 * t.leaseMs, 'balanced');
      const before = holders(members);
      members.push(await group.join(await open(store, 'd'), { onShard: work.onShard('d') }));
      const ms = await until(h, () => balanced(members, shards), 10 * t.leaseMs, 'rebalanced after the join');
      expect(ms).toBeLessThanOrEqual(2_000);
      expect(movedBetween(before, holders(members))).toBe(Math.floor(shards / 4));
      expect(work.overlaps).toEqual([]);
      for (const m of members) await m.leave();
    });

    it('refuses a second live member with the same id, bad options before any write, and ends a member whose onShard throws', async () => {
      const h = harness();
      const store = h.store();
      const group = store.workGroup(fresh('bad'), { shards });
      const s1 = await open(store, 'same');
      const s2 = await open(store, 'same');
      const m1 = await group.join(s1, { onShard: async () => undefined });
      await expect(group.join(s2, { onShard: async () => undefined })).rejects.toBeInstanceOf(KeyExistsError);
      // another shard count than the live members': refused, and its member key taken back
      await expect(
        store
          .workGroup(group.name, { shards: shards + 1 })
          .join(s2, { id: 'other', onShard: async () => undefined }),
      ).rejects.toThrow(/every member must use the same count/);
      expect(await group.members()).toEqual(['same']);
      // a group opened without a count (a tool that only looks) learns it from the members
      await until(h, () => m1.owned().length === shards, 10 * t.leaseMs, 'the lone member holds every shard');
      await h.passTime(t.heartbeatMs);
      const looking = store.workGroup(group.name);
      expect((await looking.assignment()).size).toBe(shards);
      await m1.leave();
      expect((await looking.assignment()).size).toBe(0);
      expect(() => store.workGroup('g', { shards: 0 })).toThrow(ValidationError);
      expect(() => store.workGroup('g', { shards: 1.5 })).toThrow(ValidationError);
      expect(() => store.workGroup('g').join(s2, { onShard: async () => undefined })).toThrow(
        ValidationError,
      );
      expect(() => store.workGroup('g', { shards: 2, extra: 1 } as never)).toThrow(ValidationError);
      const calls = h.calls.length;
      expect(() => group.join(s2, {} as never)).toThrow(ValidationError);
      expect(() => group.join(s2, { onShard: async () => undefined, idle: 1 } as never)).toThrow(
        ValidationError,
      );
      expect(() => group.join({} as never, { onShard: async () => undefined })).toThrow(ValidationError);
      expect(h.calls.length).toBe(calls);
      const boom = new Error('boom');
      const failing = await group.join(s2, {
        onShard: async () => {
          throw boom;
        },
      });
      await until(h, () => failing.signal.aborted, 5_000, 'the member ends');
      await expect(failing.leave()).rejects.toMatchObject({ cause: boom });
      expect(await group.members()).toEqual([]);
    });

    it('a group under a tenant prefix keeps its member keys and shard locks under it; bad prefixes are refused before any write', async () => {
      const h = harness();
      const store = h.store();
      const prefix = `t-${fresh('p')}/`;
      const name = fresh('tenant');
      const group = store.workGroup(name, { shards, prefix });
      expect(group.prefix).toBe(prefix);
      const session = await store.session({ ...t, owner: 'w1', prefix });
      sessions.push(session);
      const member = await group.join(session, { onShard: async () => undefined });
      await until(
        h,
        () => member.owned().length === shards,
        10 * t.leaseMs,
        'the lone member holds every shard',
      );
      expect(await group.members()).toEqual(['w1']);
      expect((await group.assignment()).size).toBe(shards);
      // the rows are where the prefix puts them, and nowhere else
      const keys: string[] = [];
      for await (const pair of store.partition(`${prefix}_workgroups/${name}`).list()) keys.push(pair.key);
      expect(keys).toEqual(['members/w1']);
      for await (const pair of store.partition(`_workgroups/${name}`).list()) keys.push(pair.key);
      expect(keys).toEqual(['members/w1']);
      expect((await store.lock(`_workgroups/${name}/shards/0`, { prefix }).holder())?.data).toBe('w1');
      expect(await store.lock(`_workgroups/${name}/shards/0`).holder()).toBeUndefined();
      expect(await store.workGroup(name, { shards }).members()).toEqual([]);
      // a group opened only to look at it (no shard count) follows the members under the prefix
      const seen = firstValueFrom(store.workGroup(name, { prefix }).observe());
      await h.passTime(t.heartbeatMs);
      expect([...(await seen).keys()]).toEqual(['w1']);
      await member.leave();
      const bare = await open(store, 'bare');
      const calls = h.calls.length;
      // a session of another prefix, a prefix too long for the rows, a prefix that is no string
      expect(() => group.join(bare, { onShard: async () => undefined })).toThrow(/prefix "".*prefix "t-/);
      expect(() => store.workGroup(name, { shards, prefix: 'x'.repeat(2_030) })).toThrow(ValidationError);
      expect(() => store.workGroup(name, { prefix: 'x'.repeat(2_030) })).toThrow(/workGroup\.prefix/);
      expect(() => store.workGroup(name, { prefix: 7 } as never)).toThrow(ValidationError);
      expect(h.calls.length).toBe(calls);
    });

    it('closes its sessions', async () => {
      for (const s of sessions) await s.close().catch(() => undefined);
    });
  });
}
