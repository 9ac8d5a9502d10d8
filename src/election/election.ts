import { type Observable, shareReplay } from 'rxjs';
import type { StoredItem } from '../contract/backend.js';
import { checkName, Limits } from '../contract/validate.js';
import { type Lease, type LockContext, type ResolvedLockOptions, resolveLockOptions } from '../lock/index.js';
import {
  type ContendMode,
  contend,
  decodeLockRow,
  LEGACY_PARTITIONS,
  resolveAcquireOptions,
  rowPartition,
  type SlotSet,
  sessionRowOf,
} from '../lock/internal.js';
import { Leadership } from './leadership.js';
import { type Leader, leaderChanges, leaderOf } from './observe.js';
import {
  candidateLockOptions,
  type ElectionOptions,
  electionTiming,
  resolveElectionOptions,
} from './options.js';
import { type LeaderCallbacks, type LeaderRunOptions, type LeaderRunResult, runForLeader } from './runner.js';

/**
 * Options of `campaign`.
 *
 * @example
 * ```ts
 * await election.campaign('node-1', { signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface CampaignOptions {
  /** Stop campaigning: `campaign` rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Give up with `LockTimeoutError` after this long; `0` tries once. @default Infinity */
  waitMs?: number;
}

/**
 * Leader election among any number of processes, on top of a lock: the leader is the holder of
 * the election's lock row (partition `<prefix>_election/<name>`, key = the name), its term the lease's
 * fencing token. Get one from `store.election(name, options)`.
 *
 * @example
 * ```ts
 * const election = store.election('scheduler', { leaseMs: 10_000 });
 * const leadership = await election.campaign(`worker-${process.pid}`);
 * leadership.signal.addEventListener('abort', () => process.exit(1)); // deposed: stop at once
 * election.observe().subscribe((leader) => console.log('leader:', leader?.id, leader?.term));
 * ```
 */
export class Election {
  /** The election's name (the lock row's key). */
  readonly name: string;
  /** The partition key of the election's row: `<prefix>_election/<name>`. */
  readonly partition: string;
  /** The resolved timing and placement (defaults filled in). */
  readonly options: Omit<ResolvedLockOptions, 'owner' | 'data'>;
  readonly #ctx: LockContext;
  readonly #lockOptions: ResolvedLockOptions;
  readonly #slots: SlotSet;
  #observed: Observable<Leader | undefined> | undefined;

  constructor(ctx: LockContext, name: string, options?: ElectionOptions) {
    this.name = checkName('election', name, Limits.keyBytes);
    this.#lockOptions = resolveElectionOptions(options);
    this.options = electionTiming(this.#lockOptions);
    this.#ctx = ctx;
    const partition = rowPartition('election', this.#lockOptions.prefix, name, 'election');
    this.partition = partition;
    this.#slots = {
      name,
      partition,
      keys: [name],
      ...(this.#lockOptions.prefix === '' && { legacyPartition: LEGACY_PARTITIONS.election }),
      read: async () =>
        new Map<string, StoredItem | undefined>([
          [name, await ctx.backend.get(partition, name, { consistent: true })],
        ]),
    };
  }

  /**
   * Campaigns as `candidateId` and resolves once elected (at once when nobody leads; a leader
   * that died is replaced once its lease ran out). Rejects with the signal's reason when aborted,
   * or `LockTimeoutError` after `waitMs`; with the last `BackendError` once every store call has
   * failed for `maxOutageMs` (at once when it cannot heal). Candidate ids must be unique among
   * live candidates.
   *
   * @example
   * ```ts
   * await using leadership = await election.campaign('node-1', { signal });
   * console.log(`leading, term ${leadership.term}`);
   * ```
   */
  async campaign(candidateId: string, options?: CampaignOptions): Promise<Leadership> {
    const id = checkName('candidateId', candidateId, 512);
    const o = resolveAcquireOptions(options, 'campaign');
    const elect = async () => {
      const lease = await this.#contend(id, { wait: true, ...o });
      if (!lease) throw new Error('unreachable: a waiting campaign returns a lease or throws');
      return new Leadership(this.name, id, lease);
    };
    const t = this.#ctx.telemetry;
    if (!t) return elect();
    const attributes = {
      'dynastore.election.name': t.lockName(this.name),
      'dynastore.election.candidate': id,
    };
    return t.inSpan('dynastore.election.campaign', attributes, async (span) => {
      const leadership = await elect();
      span.setAttributes({
        'dynastore.lock.outcome': 'granted',
        'dynastore.lock.token': String(leadership.term),
      });
      return leadership;
    });
  }

  /**
   * One attempt that never waits: the leadership, or undefined when someone else leads.
   *
   * @example
   * ```ts
   * const leadership = await election.tryCampaign('node-1');
   * if (!leadership) return;
   * ```
   */
  async tryCampaign(candidateId: string): Promise<Leadership | undefined> {
    const id = checkName('candidateId', candidateId, 512);
    const lease = await this.#contend(id, { wait: false });
    return lease && new Leadership(this.name, id, lease);
  }

  /**
   * The current leader (one strongly consistent read; two when the leader's lease is tied to a
   * session), or undefined when nobody leads or the last leader's lease (or session) ended more
   * than `maxClockSkewMs` ago.
   *
   * @example
   * ```ts
   * const leader = await election.leader();
   * console.log(leader ? `${leader.id} (term ${leader.term})` : 'no leader');
   * ```
   */
  async leader(): Promise<Leader | undefined> {
    const { maxClockSkewMs } = this.#lockOptions;
    const partition = this.partition;
    const item = await this.#ctx.backend.get(partition, this.name, { consistent: true });
    const session = decodeLockRow(item)?.session;
    const sessionRow =
      session === undefined
        ? undefined
        : await this.#ctx.backend.get(sessionRowOf(session).partition, session, { consistent: true });
    return leaderOf(item, this.#ctx.clock.now(), maxClockSkewMs, sessionRow);
  }

  /**
   * The leader as an Observable: the current value first, then each change of leader (not the
   * heartbeats), `undefined` while nobody leads. One change-feed subscription and one read per
   * election object however many subscribers; a late subscriber gets the latest value at once.
   *
   * @example
   * ```ts
   * const sub = election.observe().subscribe((leader) => console.log(leader ? `${leader.id} leads` : 'no leader'));
   * sub.unsubscribe();
   * ```
   */
  observe(): Observable<Leader | undefined> {
    this.#observed ??= leaderChanges({
      backend: this.#ctx.backend,
      clock: this.#ctx.clock,
      partition: this.partition,
      key: this.name,
      maxClockSkewMs: this.#lockOptions.maxClockSkewMs,
    }).pipe(shareReplay({ bufferSize: 1, refCount: true }));
    return this.#observed;
  }

  /**
   * Runs for leader with callbacks, in the style of Kubernetes' leader election: campaigns,
   * calls `onStartedLeading(signal)` once elected, and `onStoppedLeading()` exactly once when it
   * ends (even if it never led); `onNewLeader(id, term)` whenever another candidate (or this one)
   * becomes leader. Resolves when the work returns (then it resigns), when leadership is lost, or
   * when `signal` aborts (then it resigns too). Rejects (after resigning and `onStoppedLeading`)
   * when a callback throws, campaigning fails, or, with `onNewLeader`, the change feed that
   * `observe()` follows fails (its error: `ValidationError` naming the missing Streams package,
   * `StreamDisabledError`, `BackendError`, `InvalidItemError`).
   *
   * @example
   * ```ts
   * await election.run('node-1', {
   *   onStartedLeading: async (signal) => { while (!signal.aborted) await tick(signal); },
   *   onStoppedLeading: () => console.log('no longer leading'),
   *   onNewLeader: (id) => console.log('leader is now', id),
   * }, { signal: shutdown.signal });
   * ```
   */
  run(candidateId: string, callbacks: LeaderCallbacks, options?: LeaderRunOptions): Promise<LeaderRunResult> {
    return runForLeader(this, candidateId, callbacks, options, this.#ctx.clock);
  }

  /** Contends for the election's row as `candidateId` (the lock's owner). */
  #contend(candidateId: string, mode: ContendMode): Promise<Lease | undefined> {
    const options = resolveLockOptions('election', candidateLockOptions(this.#lockOptions, candidateId));
    return contend(this.#ctx, this.#slots, options, mode);
  }
}
