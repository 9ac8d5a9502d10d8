import { between } from '../chaos/util/random.js';
import { FencedError, type Session, type ShardLease } from '../src/index.js';
import { holdFor, type Proc, text } from './actors.js';

/** The work-group workload's group, its shard count and where its per-shard counters live. */
export const GROUP_KEYS = {
  group: 'wg',
  shards: 6,
  counterPartition: 'wgcounters',
  /** Exclusion lines of shard `n` are recorded under this group. */
  hold: (n: number) => `wg/${n}`,
  /** The counter key of shard `n` (its fenced-counter lines are recorded under it). */
  counter: (n: number) => `wg-${n}`,
} as const;

/**
 * Who works which shard right now (by process incarnation), for the settle check: a shard is
 * owned while some process runs its `onShard` with the shard's signal not aborted.
 */
export class ShardBoard {
  readonly #working = new Map<number, Map<string, number>>();
  /** Shards owned at some instant since {@link watchFrom} was called, with the first such instant. */
  readonly ownedSince = new Map<number, number>();
  #watching = false;
  #now: () => number;
  #alive: (w: string) => boolean;

  constructor(now: () => number, alive: (w: string) => boolean) {
    this.#now = now;
    this.#alive = alive;
  }

  start(shard: number, w: string): void {
    const m = this.#working.get(shard) ?? new Map<string, number>();
    m.set(w, (m.get(w) ?? 0) + 1);
    this.#working.set(shard, m);
    if (this.#watching && this.#alive(w) && !this.ownedSince.has(shard))
      this.ownedSince.set(shard, this.#now());
  }

  stop(shard: number, w: string): void {
    const m = this.#working.get(shard);
    const n = (m?.get(w) ?? 0) - 1;
    if (n > 0) m?.set(w, n);
    else m?.delete(w);
  }

  /** Starts the settle window: shards a live process works now count as owned at once. */
  watchFrom(): void {
    this.#watching = true;
    for (const [shard, m] of this.#working)
      if ([...m.keys()].some((w) => this.#alive(w)) && !this.ownedSince.has(shard))
        this.ownedSince.set(shard, this.#now());
  }
}

/** What the work-group actor needs besides its process. */
export interface GroupWorld {
  readonly board: ShardBoard;
  /** True time until which a member joined when the faults stopped stays in the group. */
  readonly stayUntil: () => number;
}

/**
 * Work groups: the process opens a session and joins the shared group `wg` (6 shards); each
 * shard's `onShard` work claims the shard (exclusion lines, one group per shard, claimed while
 * the shard's `signal` is not aborted: what the API tells a member) and runs fenced increments of
 * the shard's counter (lines for `checkCounter`). The member stays 2-8 leases, then leaves (its
 * work stops, its shards go to the others), and joins again with a new session; crashes and
 * pauses of the nemesis kill members and lose their sessions on the way. When the faults stop a
 * member in the group stays until `stayUntil()` so the settle check sees the group take every
 * shard again.
 *
 * @example
 * ```ts
 * void workGroupActor(proc, { board, stayUntil: () => quietAt + windowMs });
 * ```
 */
export async function workGroupActor(p: Proc, g: GroupWorld, once = false): Promise<void> {
  const w = p.name;
  let n = 0;
  while (once || !p.stopping()) {
    let session: Session | undefined;
    try {
      session = await p.store.session({
        leaseMs: p.leaseMs,
        maxClockSkewMs: p.maxClockSkewMs,
        retentionMs: p.retentionMs,
        owner: p.owner('group'),
      });
    } catch (err) {
      p.rec.note(`${w} group session open: ${text(err)}`);
    }
    p.rec.ops++;
    if (session) {
      const group = p.store.workGroup(GROUP_KEYS.group, { shards: GROUP_KEYS.shards });
      const id = `${w}#${n++}`;
      // The member asks for shards from its join on: each shard counter's token-order check
      // counts from here (a shard's work may start well after its grant, so not from there).
      for (let s = 0; s < GROUP_KEYS.shards; s++)
        p.rec.countFor(GROUP_KEYS.counter(s), { w: id, ev: 'acquire' });
      try {
        const member = await group.join(session, {
          id,
          onShard: (shard, lease) => work(p, g, id, shard, lease),
        });
        p.rec.ops++;
        p.rec.note(`${w} member ${id} joined`);
        const until = p.clock.monotonic() + between(p.rand, 2 * p.leaseMs, 8 * p.leaseMs);
        while (member.active && (p.stopping() ? p.rec.now < g.stayUntil() : p.clock.monotonic() < until))
          await p.clock.sleep(50);
        await member.leave().catch((err: unknown) => p.rec.note(`${w} member ${id} leave: ${text(err)}`));
        p.rec.ops++;
      } catch (err) {
        p.rec.note(`${w} member ${id} join: ${text(err)}`);
        p.rec.ops++;
      }
      await session.close().catch((err: unknown) => p.rec.note(`${w} group session close: ${text(err)}`));
      p.rec.ops++;
    }
    if (once) return;
    await p.clock.sleep(between(p.rand, 0, 200));
  }
}

/** One shard's `onShard` work: claims while the shard's signal stands, fenced increments alongside. */
async function work(p: Proc, g: GroupWorld, member: string, shard: number, lease: ShardLease): Promise<void> {
  const w = p.name;
  const token = lease.token.toString();
  const hold = GROUP_KEYS.hold(shard);
  const key = GROUP_KEYS.counter(shard);
  p.rec.hold(hold, { w, ev: 'granted', token, m: p.rec.now });
  p.rec.countFor(key, { w: member, ev: 'granted', token });
  g.board.start(shard, w);
  let holding = true;
  const writer = (async () => {
    while (holding && !lease.signal.aborted) {
      if ((await increment(p, member, key, lease)) === 'ambiguous') return;
      await p.clock.sleep(between(p.rand, 10, 60));
    }
  })();
  try {
    // works until told to stop (or, under a mutant that never tells it, until the run winds down)
    await holdFor(
      p,
      () =>
        !lease.signal.aborted &&
        // just after a pause the signal may not have heard yet of a loss that happened during it
        // (its timers fire in turn); past that short grace, the signal alone says whether to work
        (lease.lease.held || p.rec.now - p.resumedAt() > p.leaseMs / 10) &&
        !(p.stopping() && p.rec.now > g.stayUntil()),
      lease.signal,
      Number.POSITIVE_INFINITY,
      (m) => p.rec.hold(hold, { w, ev: 'held', token, m }),
    );
  } finally {
    holding = false;
    await writer;
    p.rec.hold(hold, { w, ev: 'release', token, m: p.rec.now });
    g.board.stop(shard, w);
  }
}

/** Reads the shard's counter, works a little (rarely past the lease), writes it + 1 fenced by the shard's lease. */
async function increment(
  p: Proc,
  w: string,
  key: string,
  lease: ShardLease,
): Promise<'ambiguous' | undefined> {
  const token = lease.token.toString();
  const kv = p.store.partition(GROUP_KEYS.counterPartition);
  let n: number;
  try {
    const pair = await kv.get(key);
    n = pair ? Number(pair.text()) : 0;
  } catch (err) {
    p.rec.note(`${p.name} ${key} counter read: ${text(err)}`);
    return undefined;
  } finally {
    p.rec.ops++;
  }
  p.rec.countFor(key, { w, ev: 'read', token, n });
  await p.clock.sleep(
    p.rand() < 0.05 ? between(p.rand, p.leaseMs / 2, 2 * p.leaseMs) : between(p.rand, 0, 30),
  );
  p.rec.countFor(key, { w, ev: 'write', token, n: n + 1 });
  try {
    await kv.put(key, String(n + 1), { fence: lease.lease });
    p.rec.countFor(key, { w, ev: 'write-ok', token, n: n + 1 });
  } catch (err) {
    p.rec.countFor(key, {
      w,
      ev: err instanceof FencedError ? 'write-fenced' : 'write-error',
      token,
      n: n + 1,
    });
    if (!(err instanceof FencedError)) return 'ambiguous';
  } finally {
    p.rec.ops++;
  }
  return undefined;
}
