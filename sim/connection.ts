import { type Backend, BackendError, type ChangeRecord, type StoredItem } from '../src/index.js';
import type { SimClock } from './clock.js';
import { lockWrite, observes, withImmediateObservation, withoutTokenCheck } from './conditions.js';
import { within } from './faults.js';
import { describeItem, type Network } from './network.js';
import type { Owner } from './world.js';

type ChangeFeed = ReturnType<Backend['changes']>;
type WriteInput = Parameters<Backend['write']>[0];
type TransactItem = Parameters<Backend['transact']>[0][number];

interface LeaseTrack {
  leaseMs: number;
  /** Monotonic send time of the last grant or renewal answered `ok` (the lease runs from it). */
  lastOkSent: number;
  renewalsInFlight: number;
}

/**
 * One process incarnation's connection to the shared store, implementing the store contract with
 * faults at its boundary. A request travels to the store (a world event that no pause or crash of
 * the sender stops), is throttled, lost before applying, or applied, and its answer travels back
 * (an event of the process: it waits while the process is paused and never arrives after it
 * crashed). A write's answer may be lost after it applied: the caller sees an ambiguous error.
 * Mutants that live at this boundary rewrite grant conditions here.
 *
 * @example
 * ```ts
 * const backend = new Connection(net, owner, clock, 'p1.1', onViolation);
 * const store = new Dynastore({ backend, clock, random });
 * ```
 */
export class Connection implements Backend {
  readonly kind = 'memory';
  readonly #net: Network;
  readonly #owner: Owner;
  readonly #clock: SimClock;
  readonly #name: string;
  readonly #feed: ProcessFeed;
  readonly #leases = new Map<string, LeaseTrack>();
  /** Lock rows as this process last saw them (for the rule (b) mutant). */
  readonly #seen = new Map<string, StoredItem | undefined>();
  readonly #violation: (what: string) => void;
  /** Backend calls answered to this process. */
  calls = 0;

  constructor(net: Network, owner: Owner, clock: SimClock, name: string, violation: (what: string) => void) {
    this.#net = net;
    this.#owner = owner;
    this.#clock = clock;
    this.#name = name;
    this.#violation = violation;
    this.#feed = new ProcessFeed(net, owner, name, (records) => {
      for (const r of records) this.#see(r.partition, r.key, r.type === 'put' ? r.item : undefined);
    });
  }

  /** Stops this incarnation's feed (crash). */
  close(): void {
    this.#feed.close();
  }

  get(partition: string, key: string, options?: { consistent?: boolean }): Promise<StoredItem | undefined> {
    return this.#call(
      'GetItem',
      false,
      async () => {
        const item = await this.#net.store.get(partition, key, options);
        if (this.#net.mutant === 'watch-drops-first-change') this.#feed.dropNextAfter(partition, key, item);
        return item;
      },
      (item) => this.#see(partition, key, item),
    );
  }

  query(input: Parameters<Backend['query']>[0]) {
    return this.#call('Query', false, async () => {
      const page = await this.#net.store.query(input);
      if (this.#net.mutant === 'watch-drops-first-change')
        for (const item of page.items) this.#feed.dropNextAfter(input.partition, item.key, item);
      return page;
    });
  }

  write(input: WriteInput) {
    const lw = lockWrite(input);
    let sent = input;
    if (lw?.kind === 'grant') sent = this.#mutateGrant(input);
    const sentAt = this.#clock.monotonic();
    // a lease is its row's owner and token: one owner may hold two rows with the same token
    const id = lw ? `${input.partition}/${input.key}|${lw.owner}|${lw.token}` : '';
    if (lw?.kind === 'release') this.#checkRelease(id, sentAt);
    const track = lw?.kind === 'renew' ? this.#leases.get(id) : undefined;
    if (track) track.renewalsInFlight++;
    return this.#call(
      'UpdateItem',
      true,
      async () => {
        const result = await this.#net.store.write(sent);
        if (result.ok && lw?.kind === 'grant')
          this.#net.granted(input.partition, input.key, lw.token, this.#owner);
        return result;
      },
      (result) => {
        if (!result.ok) this.#see(input.partition, input.key, result.current);
        else this.#see(input.partition, input.key, result.item);
        if (lw?.kind === 'grant' && result.ok && observes(sent)) this.#net.stats.ruleBGrants++;
        if (lw?.kind === 'grant' && result.ok) {
          this.#leases.set(id, {
            leaseMs: Number(input.fields?.leaseMs),
            lastOkSent: sentAt,
            renewalsInFlight: 0,
          });
        }
        if (track && result.ok) track.lastOkSent = Math.max(track.lastOkSent, sentAt);
      },
      () => {
        if (track) track.renewalsInFlight--;
        if (lw?.kind === 'release') this.#leases.delete(id);
      },
    );
  }

  delete(input: Parameters<Backend['delete']>[0]) {
    return this.#call('DeleteItem', true, () => this.#net.store.delete(input));
  }

  transact(items: readonly TransactItem[]) {
    return this.#call('TransactWriteItems', true, async () => {
      const result = await this.#net.store.transact(items);
      // a session takeover's grant is the transaction's lock write
      if (result.ok)
        for (const item of items) {
          const f = item.kind === 'write' ? item.fields : undefined;
          if (typeof f?.owner === 'string' && typeof f.token === 'bigint')
            this.#net.granted(item.partition, item.key, f.token, this.#owner);
        }
      return result;
    });
  }

  changes(): ChangeFeed {
    return this.#feed;
  }

  /**
   * The release of a lease must not be sent while a renewal of that lease is in flight, unless
   * the lease already ran out (DESIGN: "Release waits for an in-flight renewal").
   */
  #checkRelease(id: string, now: number): void {
    const t = this.#leases.get(id);
    if (!t || t.renewalsInFlight === 0) return;
    // (a microsecond of slack: timers convert between true and process time in floating point)
    if (now < t.lastOkSent + t.leaseMs - 0.001) {
      this.#violation(
        `release of ${id} sent while a renewal of it was in flight, ${(t.lastOkSent + t.leaseMs - now).toFixed(1)} ms before its lease ran out`,
      );
    }
  }

  #mutateGrant(input: WriteInput): WriteInput {
    if (this.#net.mutant === 'grant-without-token-check') {
      return { ...input, condition: withoutTokenCheck(input.condition) };
    }
    if (this.#net.mutant === 'rule-b-without-waiting') {
      const seen = this.#seen.get(`${input.partition}/${input.key}`);
      const token = seen?.fields.token;
      if (seen && typeof seen.fields.owner === 'string' && typeof token === 'bigint') {
        return {
          ...input,
          condition: withImmediateObservation(input.condition, { version: seen.version, token }),
        };
      }
    }
    return input;
  }

  #see(partition: string, key: string, item: StoredItem | undefined): void {
    if (this.#net.mutant !== 'rule-b-without-waiting') return;
    if (item && item.fields.token === undefined) return;
    this.#seen.set(`${partition}/${key}`, item);
  }

  /**
   * One request: to the store (maybe throttled or lost on the way), applied, and the answer back
   * (maybe lost after the store applied a write). `onAnswer` sees a result the process receives;
   * `onSettled` runs however the call ends.
   */
  #call<T>(
    operation: string,
    isWrite: boolean,
    apply: () => Promise<T>,
    onAnswer?: (result: T) => void,
    onSettled?: () => void,
  ): Promise<T> {
    const { world, rates } = this.#net;
    const net = this.#net;
    return new Promise<T>((resolve, reject) => {
      const back = (delay: number, settle: () => void) => {
        world.at(world.now + delay, this.#owner, () => {
          this.calls++;
          onSettled?.();
          settle();
        });
      };
      const fail = (delay: number, message: string, retryable: boolean, ambiguous: boolean) => {
        net.log.add(`${this.#name} ${operation} ${message}`);
        back(delay, () => reject(new BackendError(operation, message, retryable, { ambiguous })));
      };
      if (isWrite && net.chance(rates.lateApply)) {
        // the client gives up (an ambiguous timeout); the request is still on its way, and applies late
        fail(
          within(net.rand, rates.timeoutMs),
          'TimeoutError, the store applies it later (simulated)',
          true,
          true,
        );
        net.stats.lateApplied++;
        world.at(world.now + within(net.rand, rates.lateMs), undefined, () => {
          net.log.add(`${this.#name} ${operation} applied late`);
          apply().catch(() => undefined);
        });
        return;
      }
      const slow = net.chance(rates.slow);
      if (slow) net.stats.slowRequests++;
      world.at(world.now + (slow ? within(net.rand, rates.lateMs) : this.#leg()), undefined, () => {
        if (net.chance(rates.throttle)) {
          fail(this.#leg(), 'ProvisionedThroughputExceededException (simulated)', true, false);
          return;
        }
        if (net.chance(rates.timeoutBefore)) {
          fail(within(net.rand, rates.timeoutMs), 'TimeoutError before applying (simulated)', true, isWrite);
          return;
        }
        apply().then(
          (result) => {
            if (isWrite && net.chance(rates.lostAnswer)) {
              fail(within(net.rand, rates.timeoutMs), 'TimeoutError after applying (simulated)', true, true);
              return;
            }
            back(this.#leg(), () => {
              onAnswer?.(result);
              resolve(result);
            });
          },
          (err: unknown) => back(this.#leg(), () => reject(err)),
        );
      });
    });
  }

  /** One-way latency: a few ms, sometimes a spike. */
  #leg(): number {
    const { rand, rates } = this.#net;
    const base = within(rand, rates.latencyMs);
    return this.#net.chance(rates.spike) ? base + within(rand, rates.spikeMs) : base;
  }
}

/** A change record and its place in the store's commit order. */
interface Numbered {
  readonly r: ChangeRecord;
  readonly i: number;
}

/** One subscription to a process's feed. */
interface Listener {
  readonly onChanges: (changes: readonly ChangeRecord[]) => void;
  readonly onError: (err: Error) => void;
  readonly onHealth: ((healthy: boolean) => void) | undefined;
  /** Records from this commit index on are delivered (infinity until `ready`). */
  since: number;
}

/**
 * One process's change feed: a delayed, order-keeping copy of the store's (one poller per
 * process, shared by its subscriptions), delivered as events of the process (stalled while it is
 * paused, gone once it crashed). Faults, per seed: stalls (some announced: behind, then caught up),
 * a record delivered twice, a replay of the last few records (a poller restarted from an older
 * position), a lost record (outside the contract), a failure (every subscription's `onError`), a
 * late `ready`. For the watch mutant it drops, per key, the first change after a snapshot read.
 */
class ProcessFeed implements ChangeFeed {
  readonly #net: Network;
  readonly #owner: Owner;
  readonly #name: string;
  readonly #listeners = new Set<Listener>();
  readonly #onDeliver: (records: readonly ChangeRecord[]) => void;
  readonly #detach: () => void;
  #lastAt = 0;
  /** The batch of the delivery scheduled and not yet made. */
  #pending: Numbered[] | undefined;
  /** The last records delivered (what a replay repeats). */
  #recent: Numbered[] = [];
  /** Whether the feed told its listeners it is behind. */
  #behind = false;
  /** Mutant: per key, drop the first change to a version above the one the last snapshot read saw. */
  readonly #dropAbove = new Map<string, number>();

  constructor(
    net: Network,
    owner: Owner,
    name: string,
    onDeliver: (records: readonly ChangeRecord[]) => void,
  ) {
    this.#net = net;
    this.#owner = owner;
    this.#name = name;
    this.#onDeliver = onDeliver;
    this.#detach = net.attach(this);
  }

  subscribe(
    onChanges: (changes: readonly ChangeRecord[]) => void,
    onError: (err: Error) => void,
    onHealth?: (healthy: boolean) => void,
  ) {
    const { world, rand, rates } = this.#net;
    const l: Listener = { onChanges, onError, onHealth, since: Number.POSITIVE_INFINITY };
    this.#listeners.add(l);
    // a late position is a fault: once the faults stop (calm), a new subscription is positioned at
    // once (the delay is still drawn, so the random stream, hence the history so far, is unchanged)
    const late = within(rand, rates.readyMs);
    const ready = new Promise<void>((resolve) => {
      world.at(world.now + (this.#net.calm ? 0 : late), this.#owner, () => {
        // positioned: what is committed from now on is delivered (and maybe a little before)
        l.since = Math.max(0, this.#net.commits - Math.floor(rand() * 3));
        resolve();
      });
    });
    return {
      ready,
      unsubscribe: () => {
        this.#listeners.delete(l);
      },
    };
  }

  close(): void {
    this.#detach();
    this.#listeners.clear();
  }

  dropNextAfter(partition: string, key: string, item: StoredItem | undefined): void {
    this.#dropAbove.set(`${partition}/${key}`, item?.version ?? 0);
  }

  /** The store committed `records`, the first at commit index `first`. */
  push(records: readonly ChangeRecord[], first: number): void {
    if (this.#listeners.size === 0) return;
    const net = this.#net;
    const { world, rates, rand } = net;
    let batch: Numbered[] = records.map((r, k) => ({ r, i: first + k }));
    if (this.#dropAbove.size > 0) batch = batch.filter((x) => !this.#drop(x.r));
    if (rates.feedLose > 0) batch = batch.filter((x) => !this.#lose(x.r));
    if (batch.length > 0 && net.chance(rates.feedDuplicate)) {
      const i = Math.floor(rand() * batch.length);
      batch.splice(i, 0, batch[i] as Numbered);
    }
    // Like a stream poller, a delivery still waiting takes what was committed since on board.
    if (this.#pending) {
      this.#pending.push(...batch);
      return;
    }
    let delay = within(rand, rates.feedDelayMs);
    let announced = false;
    if (net.chance(rates.feedStall)) {
      delay += within(rand, [500, 3_000]);
      announced = !this.#behind && net.chance(rates.feedBehind);
    }
    const replay = net.chance(rates.feedReplay) ? this.#recent.slice(-1 - Math.floor(rand() * 6)) : [];
    const failing = net.chance(rates.feedError);
    const at = Math.max(this.#lastAt, world.now + delay);
    this.#lastAt = at;
    const pending = batch;
    this.#pending = pending;
    if (announced) {
      this.#behind = true;
      world.at(world.now, this.#owner, () => this.#health(false));
    }
    world.at(at, this.#owner, () => {
      if (this.#pending === pending) this.#pending = undefined;
      if (announced) {
        this.#behind = false;
        this.#health(true);
      }
      if (failing) {
        this.#fail();
        return;
      }
      if (replay.length > 0) {
        net.stats.feedReplays++;
        net.log.add(`${this.#name} feed replays ${replay.length} records`);
      }
      const all = replay.length > 0 ? [...replay, ...pending] : pending;
      this.#recent = [...this.#recent, ...pending].slice(-6);
      this.#onDeliver(all.map((x) => x.r));
      for (const l of [...this.#listeners]) {
        const mine = all.filter((x) => x.i >= l.since).map((x) => x.r);
        if (mine.length > 0) l.onChanges(mine);
      }
    });
  }

  #health(healthy: boolean): void {
    this.#net.log.add(`${this.#name} feed ${healthy ? 'caught up' : 'behind'}`);
    for (const l of [...this.#listeners]) l.onHealth?.(healthy);
  }

  /** The poller failed: every subscription ends with the error (a new one starts afresh). */
  #fail(): void {
    this.#net.stats.feedErrors++;
    this.#net.log.add(`${this.#name} feed failed`);
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const l of listeners)
      l.onError(new BackendError('GetRecords', 'the change feed failed (simulated)', true));
  }

  #lose(r: ChangeRecord): boolean {
    if (!this.#net.chance(this.#net.rates.feedLose)) return false;
    this.#net.lost(this.#name, r);
    return true;
  }

  #drop(r: ChangeRecord): boolean {
    const k = `${r.partition}/${r.key}`;
    const above = this.#dropAbove.get(k);
    if (above === undefined || r.type !== 'put' || (r.item?.version ?? 0) <= above) return false;
    this.#dropAbove.set(k, Number.POSITIVE_INFINITY);
    this.#net.log.add(
      `mutant dropped ${r.partition}/${r.key} ${describeItem(r.item)} from ${this.#name}'s feed`,
    );
    return true;
  }
}
