import type { Observable } from 'rxjs';
import { map, scan } from 'rxjs';
import { ValidationError } from '../contract/errors/store.js';
import { type GroupNames, Member } from './member.js';
import {
  type JoinOptions,
  resolveJoinOptions,
  resolveWorkGroupOptions,
  WORK_GROUP_MARKER,
  type WorkGroupOptions,
} from './options.js';
import { parseMemberValue } from './published.js';
import type { GroupSession, GroupStore } from './types.js';

/** How many shard locks `assignment()` reads at once. */
const READ_CONCURRENCY = 16;

/**
 * A work group: `shards` shards of work spread over the live members of a fleet, each shard a
 * lock held through a member's session (fencing tokens and fenced writes work per shard; a shard
 * is never held by two members at once). With M live members each holds ⌊N/M⌋ or ⌈N/M⌉ shards
 * once settled; a join or a leave moves no more shards than that balance needs. A member that
 * leaves stops its work and releases its shards so that others take them at once; a member that
 * dies loses them when its session can be taken over. Get one from `store.workGroup(name, options)`.
 *
 * Rows: member keys `members/<id>` in partition `<prefix>_workgroups/<name>` (bound to the
 * members' sessions, valued with the shards each holds), and one lock per shard,
 * `_workgroups/<name>/shards/<n>`, under the same prefix (its row: `<prefix>_lock/_workgroups/...`).
 * With `prefix: 'tenant-a/'`, every row of the group starts with `tenant-a/`, so an IAM
 * `dynamodb:LeadingKeys` condition confines it; members join with sessions of that prefix.
 *
 * @example
 * ```ts
 * const group = store.workGroup('encoders', { shards: 64 });
 * await using session = await store.session({ leaseMs: 2_000 });
 * await using member = await group.join(session, {
 *   onShard: async (shard, lease) => encode(shard, lease.signal),
 * });
 * console.log(member.owned(), await group.assignment());
 * ```
 */
export class WorkGroup {
  readonly name: string;
  /** The shard count given to `store.workGroup` (undefined: a group opened only to look at it). */
  readonly shards: number | undefined;
  /** The tenant prefix of the group's rows ('' for none). */
  readonly prefix: string;
  readonly #store: GroupStore;
  readonly #memberPrefix = 'members/';

  constructor(store: GroupStore, name: string, options?: WorkGroupOptions) {
    const o = resolveWorkGroupOptions(name, options);
    this.name = name;
    this.shards = o.shards;
    this.prefix = o.prefix;
    this.#store = store;
  }

  #names(shards: number): GroupNames {
    const name = this.name;
    const memberPrefix = this.#memberPrefix;
    return {
      group: name,
      partition: this.#partition(),
      prefix: this.prefix,
      shards,
      shardKey: (n) => workGroupShardKey(name, n),
      memberKey: (id) => `${memberPrefix}${id}`,
      memberPrefix,
    };
  }

  /**
   * Joins the group with `session`: resolves once the member key is written and the member list
   * read; the member then takes its share of shards in the background, calling `onShard` for each.
   * Rejects with `KeyExistsError` when a live member already has this id.
   *
   * @example
   * ```ts
   * await using member = await group.join(session, { id: 'w1', onShard: async (shard, lease) => {} });
   * ```
   */
  join(session: GroupSession, options: JoinOptions): Promise<Member> {
    if (typeof session !== 'object' || session === null || typeof session.lock !== 'function')
      throw new ValidationError('join.session', 'must be a Session from store.session()');
    const o = resolveJoinOptions(options, session.owner);
    if (this.shards === undefined)
      throw new ValidationError('workGroup.shards', 'is required to join: store.workGroup(name, { shards })');
    if (session.prefix !== this.prefix)
      throw new ValidationError(
        'join.session',
        `has prefix "${session.prefix}" but work group "${this.name}" has prefix "${this.prefix}": every row of a member (session, member key, shard locks) lives under one prefix; pass the same to store.session({ prefix }) and store.workGroup(name, { prefix })`,
      );
    return Member.join(this.#names(this.shards), this.#store, session, o.id, o);
  }

  /**
   * The live members' ids, sorted (one query of the member keys; a member whose session is dead
   * is not listed).
   *
   * @example
   * ```ts
   * console.log(await group.members()); // ['w1', 'w2']
   * ```
   */
  async members(): Promise<string[]> {
    const rows = await this.#store.members(this.#partition()).list(this.#memberPrefix);
    return rows.map((r) => r.key.slice(this.#memberPrefix.length)).sort();
  }

  /**
   * The live members and the shards each says it holds (what it last published; the locks are the
   * truth, see `assignment()`), by id: one query of the member keys.
   *
   * @example
   * ```ts
   * for (const [id, owned] of await group.published()) console.log(id, owned.length);
   * ```
   */
  async published(): Promise<Map<string, number[]>> {
    const rows = await this.#store.members(this.#partition()).list(this.#memberPrefix);
    const out = rows.map(
      (r) => [r.key.slice(this.#memberPrefix.length), parseMemberValue(r.value).owned] as const,
    );
    return new Map(out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  }

  /**
   * Who holds each shard now, from the shard locks (one strongly consistent read per shard, plus
   * one per holding session): shard number to member id; a free shard is absent from the map.
   * Without `shards`, the count the live members publish (none live: an empty map).
   *
   * @example
   * ```ts
   * for (const [shard, member] of await group.assignment()) console.log(shard, member);
   * ```
   */
  async assignment(): Promise<Map<number, string>> {
    const shards = this.shards ?? (await this.#publishedShards());
    const out = new Map<number, string>();
    let next = 0;
    const worker = async () => {
      while (next < shards) {
        const shard = next++;
        const holder = await this.#store.lock(workGroupShardKey(this.name, shard), this.prefix).holder();
        if (holder) out.set(shard, holder.data ?? holder.owner);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, shards) }, worker));
    return new Map([...out].sort((a, b) => a[0] - b[0]));
  }

  #partition(): string {
    return workGroupPartition(this.name, this.prefix);
  }

  /** The shard count the live members publish (0 when none is live). */
  async #publishedShards(): Promise<number> {
    const rows = await this.#store.members(this.#partition()).list(this.#memberPrefix);
    for (const row of rows) {
      const shards = parseMemberValue(row.value).shards;
      if (shards !== undefined) return shards;
    }
    return 0;
  }

  /**
   * The group as its members publish it, live: member id to the shards it says it holds, sorted,
   * first from a snapshot, then after every change (a member that dies disappears no later than
   * a takeover of its shards is allowed). The locks stay the truth (`assignment()`); a member
   * publishes a shard after it got it and drops it after it released it.
   *
   * @example
   * ```ts
   * group.observe().subscribe((members) => console.log([...members]));
   * ```
   */
  observe(): Observable<ReadonlyMap<string, readonly number[]>> {
    const prefix = this.#memberPrefix;
    return this.#store
      .members(this.#partition())
      .watch(prefix)
      .pipe(
        scan((members, e) => {
          const next = new Map(members);
          const id = e.key.slice(prefix.length);
          if (e.type === 'put') next.set(id, parseMemberValue(e.pair.text()).owned);
          else next.delete(id);
          return next;
        }, new Map<string, number[]>()),
        map((members) => new Map([...members].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))),
      );
  }
}

/**
 * The lock key of shard `n` of work group `group`.
 *
 * @example
 * ```ts
 * workGroupShardKey('encoders', 7); // '_workgroups/encoders/shards/7'
 * ```
 */
export function workGroupShardKey(group: string, n: number): string {
  return `${WORK_GROUP_MARKER}${group}/shards/${n}`;
}

/**
 * The partition of work group `group`'s member keys, under the group's `prefix` (default none).
 *
 * @example
 * ```ts
 * store.partition(workGroupPartition('encoders')).watchPrefix('members/');
 * workGroupPartition('encoders', 'tenant-a/'); // 'tenant-a/_workgroups/encoders'
 * ```
 */
export function workGroupPartition(group: string, prefix = ''): string {
  return `${prefix}${WORK_GROUP_MARKER}${group}`;
}
