/**
 * What one member of a work group sees: the group's shard count, its own id and the shards it
 * holds, and every other live member with the shards it last published.
 *
 * @example
 * ```ts
 * const view: GroupView = { shards: 64, me: 'w1', mine: [0, 1], others: new Map([['w2', [2, 3]]]) };
 * ```
 */
export interface GroupView {
  readonly shards: number;
  readonly me: string;
  readonly mine: readonly number[];
  readonly others: ReadonlyMap<string, readonly number[]>;
}

/**
 * What a member should do now: hold `target` shards, release `release` (surplus), try to take
 * `take` (free shards allotted to it).
 *
 * @example
 * ```ts
 * const { target, release, take } = planShards(view);
 * ```
 */
export interface ShardPlan {
  readonly target: number;
  readonly release: readonly number[];
  readonly take: readonly number[];
}

/**
 * Each live member's share of `shards`: ⌊N/M⌋, and ⌈N/M⌉ for N mod M of them. The larger shares go
 * to the members that hold the most shards now, a holding of ⌈N/M⌉ or more counting as ⌈N/M⌉
 * (ties: the smaller id), so that reaching the balance moves as few shards as possible (sticky: a
 * member never gives up a shard another member would only have to give back), and the choice does
 * not flip while members release their surplus. Every member computes the same targets from the
 * same view.
 *
 * @example
 * ```ts
 * targets(64, new Map([['a', 13], ['b', 13], ['c', 0]])); // a: 22, b: 21, c: 21
 * ```
 */
export function targets(shards: number, counts: ReadonlyMap<string, number>): Map<string, number> {
  const ids = [...counts.keys()];
  const m = ids.length;
  const out = new Map<string, number>();
  if (m === 0) return out;
  const base = Math.floor(shards / m);
  const extra = shards % m;
  // a holding of ⌈N/M⌉ or more counts as ⌈N/M⌉: which of those members keeps the larger share
  // changes nothing in the moves, and ranking them by id keeps the choice stable while they
  // release their surplus (ranked by raw counts, it could flip mid-way and move a shard twice)
  const ceil = base + (extra > 0 ? 1 : 0);
  const rank = (id: string) => Math.min(counts.get(id) ?? 0, ceil);
  const ranked = ids.sort((a, b) => rank(b) - rank(a) || compareIds(a, b));
  ranked.forEach((id, i) => {
    out.set(id, base + (i < extra ? 1 : 0));
  });
  return out;
}

/**
 * The plan of member `view.me` (pure; the member runs it again on every change it learns of):
 * - surplus (it holds more than its target): release the highest-numbered shards it holds;
 * - deficit: the shards no live member holds or published are handed out in ascending order to the
 *   members short of their target, in id order, each taking its shortfall; `take` is this member's
 *   part. Members with the same view never pick the same free shard; with different views (one
 *   learnt of a change before another) the lock decides, and the loser drops its attempt when it
 *   learns that the shard is taken.
 *
 * @example
 * ```ts
 * planShards({ shards: 4, me: 'b', mine: [], others: new Map([['a', [0, 1, 2, 3]]]) });
 * // { target: 2, release: [], take: [] }: a has to release 2 and 3 first
 * ```
 */
export function planShards(view: GroupView): ShardPlan {
  const counts = new Map<string, number>([[view.me, view.mine.length]]);
  for (const [id, owned] of view.others) if (id !== view.me) counts.set(id, owned.length);
  const goal = targets(view.shards, counts);
  const target = goal.get(view.me) ?? 0;
  const mine = [...view.mine].sort((a, b) => a - b);
  if (mine.length > target) return { target, release: mine.slice(target).reverse(), take: [] };
  if (mine.length === target) return { target, release: [], take: [] };
  const claimed = new Set<number>(mine);
  for (const [id, owned] of view.others) if (id !== view.me) for (const s of owned) claimed.add(s);
  const free: number[] = [];
  for (let s = 0; s < view.shards; s++) if (!claimed.has(s)) free.push(s);
  const short = [...counts.keys()].sort(compareIds);
  let next = 0;
  for (const id of short) {
    const want = Math.max(0, (goal.get(id) ?? 0) - (counts.get(id) ?? 0));
    const part = free.slice(next, next + want);
    next += want;
    if (id === view.me) return { target, release: [], take: part };
  }
  return { target, release: [], take: [] };
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
