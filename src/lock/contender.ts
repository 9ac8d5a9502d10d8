import type { StoredItem, WriteInput } from '../contract/backend.js';
import { readBackUnlessUnreachable, settledWrite } from '../contract/settle.js';
import { Lease } from './lease.js';
import { ruleBSince, testMutants } from './mutants.js';
import type { ResolvedLockOptions } from './options.js';
import { reportTakeover } from './report.js';
import { decodeLockRow, grantWrite, holderOf, type LeaseTerms, type LockRow, tokenFloor } from './row.js';
import { bindToSession } from './session-row.js';
import { SessionRows } from './session-takeover.js';
import type { LockContext, LockHolder } from './types.js';

/**
 * The outcome of one grant attempt.
 *
 * @example
 * ```ts
 * const a: Attempt = await contender.attempt('job');
 * if (a.kind === 'granted') await a.lease.release();
 * ```
 */
export type Attempt =
  | { readonly kind: 'granted'; readonly lease: Lease }
  | { readonly kind: 'refused' }
  | { readonly kind: 'error'; readonly error: unknown };

/**
 * Whether a row may be taken now, and if not, how long until the takeover rules allow it.
 *
 * @example
 * ```ts
 * const { takeable, waitMs } = contender.assess('job');
 * ```
 */
export interface Assessment {
  readonly takeable: boolean;
  /** Until a takeover rule may allow it (Infinity: only a change of the row will). */
  readonly waitMs: number;
}

interface Observation {
  readonly version: number;
  readonly token: bigint | undefined;
  /** Monotonic time this exact row was first seen (after the read that returned it). */
  readonly since: number;
}

/**
 * Rule (b)'s rate-drift margin, in parts per million of the holder's `leaseMs`: 5 000 ppm (0.5 %).
 *
 * Rule (b) compares two monotonic clocks, the holder's (its deadline is `leaseMs` after it *sent*
 * its last successful renewal) and this contender's (it counts from when a read of that renewal
 * returned, which is later). Monotonic clocks have no offset to speak of here, only a rate error:
 * if this contender's clock runs at most a factor `f` faster than the holder's, waiting `f ×
 * leaseMs` on it outlasts the holder's deadline. Quartz oscillators are within about 100 ppm and
 * NTP slews a clock by at most 500 ppm, so two clocks differ by at most about 1 200 ppm; 5 000 ppm
 * is four times that (room for virtual machines whose timekeeping is worse). It does not depend on
 * `maxClockSkewMs`: wall-clock skew never enters rule (b). With a 2 s lease it is 10 ms; with the
 * default 10 s, 50 ms.
 *
 * @example
 * ```ts
 * ruleBWaitMs(2_000); // 2_011: 2 000 + 10 (drift) + 1 (rounding)
 * ```
 */
export const RULE_B_DRIFT_PPM = 5_000;

/**
 * How long rule (b) makes a contender watch an unchanged row held with `leaseMs` before taking it:
 * `leaseMs` plus {@link RULE_B_DRIFT_PPM} of it, plus 1 ms for clocks and timers that count whole
 * milliseconds (either reading may be up to 1 ms off the instant it stands for).
 *
 * @example
 * ```ts
 * ruleBWaitMs(10_000); // 10_051
 * ```
 */
export function ruleBWaitMs(leaseMs: number): number {
  return Math.ceil(leaseMs * (1 + RULE_B_DRIFT_PPM / 1e6)) + 1;
}

/**
 * What one process knows about a set of lock rows: the last row learnt per key and since when
 * (monotonic) it has seen that exact row, for rule (b). Shared by the waiters of one process that
 * queue for the same rows on the same store and clock (`WaitQueue`), so a waiter whose turn comes
 * starts from what the one before it learnt (including the row it was granted) and writes nothing
 * it already knows would be refused.
 *
 * @example
 * ```ts
 * const knowledge = new RowKnowledge();
 * const c = new Contender(ctx, '_locks', options, undefined, knowledge);
 * ```
 */
export class RowKnowledge {
  readonly known = new Map<string, LockRow | undefined>();
  readonly seen = new Map<string, Observation>();

  /**
   * Records that this process released the grant with `token` of `key` (its release write
   * succeeded), so the next waiter in line need not wait for the change feed to hear of it. The
   * row is marked free and newer than any change of that grant the feed may still deliver; the
   * next grant (a larger token) replaces it. Only a hint: the grant's condition is checked by the
   * store. Returns whether the row known was that grant's.
   */
  released(key: string, token: bigint): boolean {
    const row = this.known.get(key);
    if (!row?.owner || row.token !== token) return false;
    this.known.set(key, {
      key,
      version: Number.MAX_SAFE_INTEGER,
      owner: undefined,
      token,
      leaseMs: undefined,
      leaseUntil: undefined,
      data: undefined,
    });
    this.seen.delete(key);
    return true;
  }
}

/**
 * One contender's knowledge of a set of lock rows (one for a lock, the slots of a semaphore),
 * the takeover rules applied to it, and grant attempts.
 *
 * Takeover rules (DESIGN, "Clock skew"): a row held by someone else may be taken when
 * (a) the holder's recorded lease end + `maxClockSkewMs` is behind this process's wall clock, or
 * (b) this process has seen the very same row (version and token) unchanged for the holder's
 *     `leaseMs` plus a rate-drift margin ({@link ruleBWaitMs}) on its monotonic clock, counted from
 *     when the read (or change record) that showed it arrived. No skew margin: the holder's
 *     deadline runs `leaseMs` from when it *sent* that renewal, before anyone could read it, and
 *     monotonic clocks differ only in rate. The waiter learns each renewal from the change feed
 *     (`ChangeWaker`), so its observation restarts close to the renewal.
 * Both are re-checked by the store inside the grant's condition (rule (b): the row still has the
 * observed version and token).
 *
 * @example
 * ```ts
 * const c = new Contender(store, '_locks', options);
 * const a = await c.attempt('job');
 * if (a.kind === 'granted') use(a.lease);
 * ```
 */
export class Contender {
  readonly #ctx: LockContext;
  readonly #partition: string;
  readonly #o: ResolvedLockOptions;
  readonly #known: Map<string, LockRow | undefined>;
  readonly #seen: Map<string, Observation>;
  readonly #onAnswer: () => void;
  /** Session rows named by session-bound lock rows (made on first need). */
  #sessions: SessionRows | undefined;

  /**
   * `onAnswer` is told each time the store answered one of this contender's calls; `knowledge`
   * (default: a private one) is where rows and observations are kept.
   */
  constructor(
    ctx: LockContext,
    partition: string,
    options: ResolvedLockOptions,
    onAnswer?: () => void,
    knowledge: RowKnowledge = new RowKnowledge(),
  ) {
    this.#ctx = ctx;
    this.#partition = partition;
    this.#o = options;
    this.#onAnswer = onAnswer ?? (() => {});
    this.#known = knowledge.known;
    this.#seen = knowledge.seen;
  }

  #sessionRows(): SessionRows {
    this.#sessions ??= new SessionRows(
      this.#ctx,
      () => this.#skewMargin(),
      this.#o.retentionMs,
      testMutants.sessionTakeoverWithoutWaiting ? () => Number.NEGATIVE_INFINITY : ruleBWaitMs, // sim mutant session-takeover-without-waiting (p-sessverify)
      this.#onAnswer,
    );
    return this.#sessions;
  }

  /** The last row learnt for `key` (undefined: absent or never read). */
  known(key: string): LockRow | undefined {
    return this.#known.get(key);
  }

  /**
   * The holder the last row learnt for `key` names (undefined: free, unknown or unreadable). For a
   * row tied to a session, `expiresAt` is the session's lease end as last learnt (the epoch when
   * the session row was never read).
   */
  holder(key: string): LockHolder | undefined {
    const row = this.#known.get(key);
    const holder = holderOf(row);
    if (!holder || row?.session === undefined) return holder;
    return { ...holder, expiresAt: new Date(this.#sessions?.leaseUntil(row.session) ?? 0) };
  }

  /** Records what a read, a failed write or a change record said about `key`. */
  learn(key: string, item: StoredItem | undefined, sentAt?: number): void {
    this.learnRow(key, decodeLockRow(item), sentAt);
  }

  /** `sentAt`: when the call that returned `row` was sent (monotonic; read only by a sim mutant). */
  learnRow(key: string, row: LockRow | undefined, sentAt?: number): void {
    // The feed may deliver a change older than what a read or a write already returned (e.g. a
    // release after the grant that followed it): tokens only grow, and within one token so do
    // versions.
    if (isOlder(row, this.#known.get(key))) return;
    this.#known.set(key, row);
    if (!row?.owner) {
      this.#seen.delete(key);
      return;
    }
    const seen = this.#seen.get(key);
    if (seen && seen.version === row.version && seen.token === row.token) return;
    const since = ruleBSince(seen, row.token, sentAt, this.#ctx.clock.monotonic());
    this.#seen.set(key, { version: row.version, token: row.token, since });
  }

  /** Applies the takeover rules to what is known about `key` (unknown rows are worth a write). */
  assess(key: string): Assessment {
    if (!this.#known.has(key)) return { takeable: true, waitMs: 0 };
    const row = this.#known.get(key);
    // a row another writer left unreadable: nobody can tell who holds it, so it is never taken
    if (row?.invalid) return { takeable: false, waitMs: Number.POSITIVE_INFINITY };
    if (!row?.owner) return { takeable: true, waitMs: 0 };
    // a session lease's row is never renewed: the takeover rules apply to its session row
    if (row.session !== undefined) return this.#sessionRows().assess(row.session);
    let waitMs = Number.POSITIVE_INFINITY;
    if (row.leaseUntil !== undefined) {
      const byWall = row.leaseUntil + this.#skewMargin() - this.#ctx.clock.now();
      if (byWall < 0) return { takeable: true, waitMs: 0 };
      waitMs = byWall + 1;
    }
    const byObservation = this.#observedFor(key, row);
    if (byObservation <= 0) return { takeable: true, waitMs: 0 };
    return { takeable: false, waitMs: Math.min(waitMs, byObservation) };
  }

  /**
   * One conditional write granting `key` to this contender; a failed condition teaches the
   * current row (no extra read). An error is settled by reading the row back (`settledWrite`): the
   * write may have applied before the answer was lost (not when nothing answered: then it never
   * reached the store); the read also teaches the current row.
   */
  async attempt(key: string): Promise<Attempt> {
    const session = this.#ctx.sessionBinding;
    const ended = session?.ended();
    if (ended) return { kind: 'error', error: ended };
    const known = this.#known.get(key);
    const sentAt = this.#ctx.clock.monotonic();
    const wall = this.#ctx.clock.now();
    const floor = tokenFloor(wall);
    const token = known?.token !== undefined && known.token >= floor ? known.token + 1n : floor;
    const terms: LeaseTerms = {
      owner: this.#o.owner,
      token,
      leaseMs: session ? session.leaseMs : this.#o.leaseMs,
      retentionMs: this.#o.retentionMs,
      data: this.#o.data,
    };
    const observed =
      known?.owner !== undefined && known.token !== undefined && this.#observedFor(key, known) <= 0
        ? { version: known.version, token: known.token }
        : undefined;
    const target = { partition: this.#partition, key };
    const perLock = grantWrite(target, terms, wall, {
      expiredBefore: wall - this.#skewMargin(),
      ...(observed && { observed }),
    });
    const grant = session ? bindToSession(perLock, session.id) : perLock;
    if (known?.owner !== undefined && known.session !== undefined && !known.invalid)
      return this.#takeFromSession(key, known, grant, terms, sentAt);
    // settledWrite tags the grant with a unique write id: it tells this grant apart from any other
    // by the same owner (two acquires of one semaphore may compute the same token within a
    // millisecond), and a resent grant refused by our own row is granted.
    const settled = await settledWrite(this.#ctx.backend, grant, {
      readBackOn: readBackUnlessUnreachable,
      onAnswer: this.#onAnswer,
    });
    if (settled.outcome === 'applied') {
      // the row this grant replaced was the held one known here (the version moved by one): a takeover
      if (known?.owner !== undefined && settled.item.version === known.version + 1)
        reportTakeover(
          this.#ctx,
          key,
          known.leaseUntil !== undefined && known.leaseUntil < wall - this.#skewMargin()
            ? 'lease-expired'
            : 'observed-unchanged',
        );
      // what the next waiter of this process in line knows: the row is held (by this grant)
      this.learn(key, settled.item);
      return { kind: 'granted', lease: this.#lease(key, terms, sentAt) };
    }
    if (settled.outcome === 'refused') {
      this.learn(key, settled.result.current, sentAt);
      return { kind: 'refused' };
    }
    if (settled.readBack?.ok) this.learn(key, settled.readBack.row);
    return { kind: 'error', error: settled.error };
  }

  /** Takes over a row bound to a session the rules say is dead, in one transaction (session-takeover.ts). */
  async #takeFromSession(
    key: string,
    known: LockRow,
    grant: WriteInput,
    terms: LeaseTerms,
    sentAt: number,
  ): Promise<Attempt> {
    const r = await this.#sessionRows().take(known, grant);
    if (r.kind === 'granted') {
      reportTakeover(this.#ctx, key, 'session-dead');
      return { kind: 'granted', lease: this.#lease(key, terms, sentAt) };
    }
    if ('lockRow' in r) this.learn(key, r.lockRow);
    return r.kind === 'refused' ? { kind: 'refused' } : { kind: 'error', error: r.error };
  }

  #lease(key: string, terms: LeaseTerms, sentAt: number): Lease {
    const session = this.#ctx.sessionBinding;
    return new Lease({
      ctx: this.#ctx,
      target: { partition: this.#partition, key },
      terms,
      heartbeatMs: session ? false : this.#o.heartbeatMs,
      sentAt,
      ...(session && { session }),
    });
  }

  /** Rule (a)'s margin: `maxClockSkewMs` (0 only under the simulator's test-only mutant). */
  #skewMargin(): number {
    return testMutants.ruleAWithoutSkewMargin ? 0 : this.#o.maxClockSkewMs;
  }

  /** Ms until rule (b) allows taking `row` (<= 0: now): {@link ruleBWaitMs} after it was first seen. */
  #observedFor(key: string, row: LockRow): number {
    if (row.session !== undefined) return Number.POSITIVE_INFINITY;
    const seen = this.#seen.get(key);
    if (!seen || seen.version !== row.version || seen.token !== row.token) return Number.POSITIVE_INFINITY;
    return seen.since + ruleBWaitMs(row.leaseMs ?? this.#o.leaseMs) - this.#ctx.clock.monotonic();
  }
}

/** Whether `row` is an older state of the row than `before` (a smaller token, or the same token at a smaller version). */
function isOlder(row: LockRow | undefined, before: LockRow | undefined): boolean {
  if (!row || !before || row.token === undefined || before.token === undefined) return false;
  return row.token < before.token || (row.token === before.token && row.version < before.version);
}
