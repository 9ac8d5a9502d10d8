import '../contract/disposable.js';
import type { Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../contract/clock/types.js';
import { KeyExistsError, ValidationError } from '../contract/errors/store.js';
import type { Lease } from '../lock/index.js';
import { workGroupTestMutants } from './mutants.js';
import type { JoinOptions } from './options.js';
import { planShards } from './plan.js';
import { formatMemberValue, parseMemberValue } from './published.js';
import type { GroupSession, GroupStore, MemberTable, ShardLease } from './types.js';

/**
 * Where a group keeps its members and shards (names only: rows come from the table and locks).
 *
 * @example
 * ```ts
 * const names: GroupNames = { group: 'g', partition: '_workgroups/g', prefix: '', shards: 4, shardKey: (n) => `g/${n}`, memberKey: (id) => `members/${id}`, memberPrefix: 'members/' };
 * ```
 */
export interface GroupNames {
  readonly group: string;
  /** The partition of the member keys (`<prefix>_workgroups/<group>`). */
  readonly partition: string;
  /** The tenant prefix of the shard locks' rows (and of the members' sessions). */
  readonly prefix: string;
  readonly shards: number;
  /** The lock key of shard `n`. */
  shardKey(n: number): string;
  /** The member key of member `id` in the member table. */
  memberKey(id: string): string;
  /** The prefix of every member key. */
  readonly memberPrefix: string;
}

/** How many shard acquisitions (and, apart, releases) a member keeps in flight at once. */
const TAKE_CONCURRENCY = 8;

interface Held {
  readonly lease: Lease;
  readonly stop: AbortController;
  /** The shard's `onShard` work; settles once it stopped. */
  readonly work: Promise<void>;
}

/**
 * One member of a work group (from `group.join`). It holds shards through its session's locks and
 * keeps the group balanced and sticky with the others (see `planShards`):
 *
 * - membership is a key bound to the member's session (`members/<id>`, valued with the shards it
 *   holds); the member follows the others through one `watchPrefix` of the member keys (a dead
 *   member's key is deleted no later than a takeover of its locks is allowed);
 * - on every change it learns of, it releases surplus shards (stopping their `onShard` work first)
 *   and takes free ones allotted to it (a lock acquire that waits, woken by the change feed);
 * - settled, it writes nothing: the session's heartbeat is the group's whole cost.
 *
 * @example
 * ```ts
 * await using member = await group.join(session, { onShard: async (shard, lease) => work(shard, lease) });
 * console.log(member.owned());
 * ```
 */
export class Member implements AsyncDisposable {
  readonly id: string;
  readonly group: string;
  /** Aborted once the member has ended: left (reason: an `Error` saying so), or failed (the error). */
  readonly signal: AbortSignal;
  readonly #names: GroupNames;
  readonly #store: GroupStore;
  readonly #table: MemberTable;
  readonly #session: GroupSession;
  readonly #onShard: JoinOptions['onShard'];
  readonly #stopTimeoutMs: number;
  readonly #ended = new AbortController();
  readonly #owned = new Map<number, Held>();
  readonly #taking = new Map<number, AbortController>();
  readonly #releasing = new Set<number>();
  readonly #others = new Map<string, number[]>();
  #sub: Subscription | undefined;
  #safety: TimerHandle | undefined;
  #running = false;
  #dirty = false;
  #publishWanted = false;
  #publishing: Promise<void> | undefined;
  #stopping = false;
  #leaving: Promise<void> | undefined;
  #failure: unknown;
  readonly #lateShards = new Set<number>();
  readonly #onSessionEnd = () => this.#fail(this.#session.signal.reason);

  private constructor(
    names: GroupNames,
    store: GroupStore,
    session: GroupSession,
    id: string,
    options: { onShard: JoinOptions['onShard']; stopTimeoutMs: number },
  ) {
    this.#names = names;
    this.#store = store;
    this.#table = store.members(names.partition);
    this.#session = session;
    this.id = id;
    this.group = names.group;
    this.#onShard = options.onShard;
    this.#stopTimeoutMs = options.stopTimeoutMs;
    this.signal = this.#ended.signal;
  }

  /**
   * Joins: creates the member key (refused with `KeyExistsError` when a live member has this id),
   * reads the member list, follows it, and starts taking its share of the shards.
   *
   * @example
   * ```ts
   * const member = await Member.join(names, store, session, 'w1', { onShard, stopTimeoutMs: 30_000 });
   * ```
   */
  static async join(
    names: GroupNames,
    store: GroupStore,
    session: GroupSession,
    id: string,
    options: { onShard: JoinOptions['onShard']; stopTimeoutMs: number },
  ): Promise<Member> {
    const member = new Member(names, store, session, id, options);
    await member.#start();
    return member;
  }

  /** The shards this member holds now, ascending. */
  owned(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /** Whether the member is still in the group (not left, not failed). */
  get active(): boolean {
    return !this.#ended.signal.aborted && !this.#stopping;
  }

  /**
   * Leaves the group: stops taking shards, deletes the member key (so the others take its share at
   * once), stops each shard's `onShard` work and then releases the shard. Idempotent. Rejects with
   * the error that ended the member, if one did, or when some work did not stop within
   * `stopTimeoutMs`. The session stays open (it is the caller's).
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void member.leave());
   * ```
   */
  leave(): Promise<void> {
    this.#leaving ??= this.#stop(undefined);
    return this.#leaving.then(() => {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#lateShards.size > 0)
        throw new Error(
          `member "${this.id}" of work group "${this.group}": the onShard work of shards ${[...this.#lateShards].join(', ')} did not stop within ${this.#stopTimeoutMs} ms; they were released anyway`,
        );
    });
  }

  /** `await using member = await group.join(...)` leaves at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.leave();
  }

  /** Plain-object form for logs. */
  toJSON(): { id: string; group: string; owned: number[]; active: boolean } {
    return { id: this.id, group: this.group, owned: this.owned(), active: this.active };
  }

  async #start(): Promise<void> {
    const session = this.#session;
    if (!session.held) throw session.signal.reason ?? new Error('the session is closed');
    const key = this.#names.memberKey(this.id);
    try {
      await this.#table.create(key, formatMemberValue([], this.#names.shards), session);
    } catch (error) {
      if (error instanceof KeyExistsError)
        throw new KeyExistsError(
          `member "${this.id}" is already in work group "${this.group}" (a live session holds its key): pick another id`,
          error.current,
          { cause: error },
        );
      throw error;
    }
    try {
      for (const { key: k, value } of await this.#table.list(this.#names.memberPrefix)) {
        const id = k.slice(this.#names.memberPrefix.length);
        if (id === this.id) continue;
        const other = parseMemberValue(value);
        if (other.shards !== undefined && other.shards !== this.#names.shards)
          throw new ValidationError(
            'workGroup.shards',
            `is ${this.#names.shards}, but member "${id}" of work group "${this.group}" has ${other.shards}: every member must use the same count`,
          );
        this.#others.set(id, other.owned);
      }
    } catch (error) {
      await this.#table.delete(key).catch(() => undefined);
      throw error;
    }
    session.signal.addEventListener('abort', this.#onSessionEnd, { once: true });
    let snap: Set<string> | undefined;
    this.#sub = this.#table.watch(this.#names.memberPrefix).subscribe({
      next: (e) => {
        const id = e.key.slice(this.#names.memberPrefix.length);
        if (e.cause === 'snapshot') {
          if (!snap) {
            snap = new Set();
            const seen = snap;
            queueMicrotask(() => {
              for (const other of [...this.#others.keys()]) if (!seen.has(other)) this.#others.delete(other);
              this.#schedule();
            });
          }
          if (e.type === 'put') snap.add(id);
        }
        if (id === this.id) {
          // our own key reported gone because our session died: the member is over; deleted by
          // someone else: written again (the others would count us out and reach for our shards)
          if (e.type === 'delete' && e.cause === 'session') this.#fail(this.#session.signal.reason ?? e);
          else if (e.type === 'delete') this.#publish();
          return;
        }
        if (e.type === 'put') this.#others.set(id, parseMemberValue(e.pair.text()).owned);
        else this.#others.delete(id);
        this.#schedule();
      },
      error: (err: unknown) => this.#fail(err),
    });
    // a sparse safety net: re-plan once per session lease (no read; acquisitions read on their own)
    const beat = () => {
      this.#safety = this.#store.clock.setTimeout(beat, session.leaseMs);
      this.#schedule();
    };
    this.#safety = this.#store.clock.setTimeout(beat, session.leaseMs);
    this.#schedule();
  }

  #schedule(): void {
    if (!this.active) return;
    this.#dirty = true;
    if (this.#running) return;
    this.#running = true;
    queueMicrotask(() => {
      try {
        while (this.#dirty && this.active) {
          this.#dirty = false;
          this.#reconcile();
        }
      } catch (error) {
        this.#fail(error);
      } finally {
        this.#running = false;
      }
    });
  }

  /** One pass of the plan: release surplus, take allotted free shards, drop stale attempts. */
  #reconcile(): void {
    const mine = [...this.#owned.keys()].filter((s) => !this.#releasing.has(s));
    const plan = planShards({ shards: this.#names.shards, me: this.id, mine, others: this.#others });
    for (const shard of plan.release) {
      // a few at a time, as takes: a burst of release writes would delay the session's renewal
      if (this.#releasing.size >= TAKE_CONCURRENCY) break;
      this.#release(shard);
    }
    const take = new Set(plan.take);
    for (const [shard, attempt] of this.#taking) if (!take.has(shard)) attempt.abort();
    for (const shard of take) {
      // a few grants at a time: 64 at once would queue the session's own renewal behind them
      if (this.#taking.size >= TAKE_CONCURRENCY) break;
      if (!this.#taking.has(shard) && !this.#owned.has(shard)) this.#take(shard);
    }
  }

  #take(shard: number): void {
    const attempt = new AbortController();
    this.#taking.set(shard, attempt);
    const signal = AbortSignal.any([attempt.signal, this.#ended.signal]);
    const lock = this.#session.lock(this.#names.shardKey(shard), {
      data: this.id,
      prefix: this.#names.prefix,
    });
    lock.acquire({ signal }).then(
      (lease) => {
        if (this.#taking.get(shard) === attempt) this.#taking.delete(shard);
        if (!this.active || attempt.signal.aborted) {
          // granted as we gave up: hand it back at once
          lease.release().catch((error: unknown) => this.#fail(error));
          this.#schedule();
          return;
        }
        this.#work(shard, lease);
        this.#publish();
        this.#schedule();
      },
      (error: unknown) => {
        if (this.#taking.get(shard) === attempt) this.#taking.delete(shard);
        if (signal.aborted || !this.active) return;
        // the session is gone (every grant is refused) or the store failed for maxOutageMs
        this.#fail(error);
      },
    );
  }

  #work(shard: number, lease: Lease): void {
    const stop = new AbortController();
    const lost = () => {
      if (!workGroupTestMutants.workAfterLeaseLost) stop.abort(lease.signal.reason);
      // lost without our release: the session ended (the member fails with it)
      if (this.#owned.get(shard)?.lease === lease && !this.#releasing.has(shard)) {
        this.#owned.delete(shard);
        this.#publish();
        this.#schedule();
      }
    };
    lease.signal.addEventListener('abort', lost, { once: true });
    const shardLease: ShardLease = {
      shard,
      token: lease.token,
      key: lease.key,
      signal: stop.signal,
      lease,
      guard: () => lease.guard(),
    };
    const work = (async () => {
      await this.#onShard(shard, shardLease);
    })().catch((error: unknown) => {
      if (!stop.signal.aborted)
        this.#fail(
          new Error(`onShard(${shard}) of member "${this.id}" in work group "${this.group}" failed`, {
            cause: error,
          }),
        );
    });
    this.#owned.set(shard, { lease, stop, work });
  }

  /** Stops the shard's work, then releases its lock, then says so in the member key. */
  #release(shard: number): void {
    const held = this.#owned.get(shard);
    if (!held || this.#releasing.has(shard)) return;
    this.#releasing.add(shard);
    this.#handBack(shard, held)
      .then(() => {
        this.#publish();
        this.#schedule();
      })
      .catch((error: unknown) => this.#fail(error));
  }

  async #handBack(shard: number, held: Held): Promise<void> {
    held.stop.abort(new Error(`shard ${shard} of work group "${this.group}" is moving to another member`));
    if (!(await settlesWithin(held.work, this.#stopTimeoutMs, this.#store.clock)))
      this.#lateShards.add(shard);
    try {
      if (held.lease.held) await held.lease.release();
    } finally {
      if (this.#owned.get(shard) === held) this.#owned.delete(shard);
      this.#releasing.delete(shard);
    }
  }

  /** Writes the member key with the shards held now (coalesced: one write in flight at a time). */
  #publish(): void {
    if (this.#stopping || this.#ended.signal.aborted) return;
    this.#publishWanted = true;
    if (this.#publishing) return;
    this.#publishing = (async () => {
      while (this.#publishWanted && !this.#stopping) {
        this.#publishWanted = false;
        await this.#table.put(
          this.#names.memberKey(this.id),
          formatMemberValue(this.owned(), this.#names.shards),
          this.#session,
        );
      }
    })()
      .catch((error: unknown) => this.#fail(error))
      .finally(() => {
        this.#publishing = undefined;
      });
  }

  #fail(error: unknown): void {
    if (this.#ended.signal.aborted) return;
    this.#failure ??= error ?? new Error(`member "${this.id}" ended`);
    // said at once; the cleanup (stop work, release what can be released) follows
    this.#ended.abort(this.#failure);
    this.#leaving ??= this.#stop(this.#failure);
  }

  /** Leaves: no more taking or publishing, member key deleted, each shard's work stopped, then released. */
  async #stop(failure: unknown): Promise<void> {
    this.#stopping = true;
    this.#safety?.cancel();
    for (const attempt of this.#taking.values()) attempt.abort();
    this.#taking.clear();
    this.#sub?.unsubscribe();
    this.#session.signal.removeEventListener('abort', this.#onSessionEnd);
    const errors: unknown[] = [];
    await this.#publishing;
    if (this.#session.held)
      await this.#table.delete(this.#names.memberKey(this.id)).catch((error: unknown) => errors.push(error));
    // every shard's work is told to stop at once; the releases go a few at a time
    const held = [...this.#owned];
    for (const [shard, h] of held) {
      this.#releasing.add(shard);
      h.stop.abort(new Error(`member "${this.id}" is leaving work group "${this.group}"`));
    }
    let next = 0;
    const worker = async () => {
      while (next < held.length) {
        const [shard, h] = held[next++] as [number, Held];
        await this.#handBack(shard, h).catch((error: unknown) => {
          // a lost session cannot release: its locks free themselves with it
          if (this.#session.held) errors.push(error);
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(TAKE_CONCURRENCY, held.length) }, worker));
    if (failure === undefined && errors.length > 0) this.#failure = errors[0];
    this.#ended.abort(this.#failure ?? new Error(`member "${this.id}" left work group "${this.group}"`));
  }
}

async function settlesWithin(work: Promise<void>, ms: number, clock: Clock): Promise<boolean> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    timer?.cancel();
  }
}
