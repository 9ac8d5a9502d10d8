import type { StoredItem } from '../contract/backend.js';
import { readBackUnlessUnreachable, settledWrite } from '../contract/settle.js';
import { Lease } from './lease.js';
import { testMutants } from './mutants.js';
import type { ResolvedLockOptions } from './options.js';
import { decodeLockRow, grantWrite, type LeaseTerms, type LockRow, tokenFloor } from './row.js';
import type { LockContext } from './types.js';

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
 * One contender's knowledge of a set of lock rows (one for a lock, the slots of a semaphore),
 * the takeover rules applied to it, and grant attempts.
 *
 * Takeover rules (DESIGN, "Clock skew"): a row held by someone else may be taken when
 * (a) the holder's recorded lease end + `maxClockSkewMs` is behind this process's wall clock, or
 * (b) this process has seen the very same row (version and token) unchanged for the holder's
 *     `leaseMs` + `maxClockSkewMs` on its monotonic clock, counted from when the read returned.
 * Both are re-checked by the store inside the grant's condition.
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
  readonly #known = new Map<string, LockRow | undefined>();
  readonly #seen = new Map<string, Observation>();
  readonly #onAnswer: () => void;

  /** `onAnswer` is told each time the store answered one of this contender's calls. */
  constructor(ctx: LockContext, partition: string, options: ResolvedLockOptions, onAnswer?: () => void) {
    this.#ctx = ctx;
    this.#partition = partition;
    this.#o = options;
    this.#onAnswer = onAnswer ?? (() => {});
  }

  /** The last row learnt for `key` (undefined: absent or never read). */
  known(key: string): LockRow | undefined {
    return this.#known.get(key);
  }

  /** Records what a read, a failed write or a change record said about `key`. */
  learn(key: string, item: StoredItem | undefined): void {
    this.learnRow(key, decodeLockRow(item));
  }

  learnRow(key: string, row: LockRow | undefined): void {
    const before = this.#known.get(key);
    // The feed may replay a change older than what a read already returned.
    if (row && before && row.token === before.token && row.version < before.version) return;
    this.#known.set(key, row);
    if (!row?.owner) {
      this.#seen.delete(key);
      return;
    }
    const seen = this.#seen.get(key);
    if (seen && seen.version === row.version && seen.token === row.token) return;
    this.#seen.set(key, { version: row.version, token: row.token, since: this.#ctx.clock.monotonic() });
  }

  /** Applies the takeover rules to what is known about `key` (unknown rows are worth a write). */
  assess(key: string): Assessment {
    if (!this.#known.has(key)) return { takeable: true, waitMs: 0 };
    const row = this.#known.get(key);
    // a row another writer left unreadable: nobody can tell who holds it, so it is never taken
    if (row?.invalid) return { takeable: false, waitMs: Number.POSITIVE_INFINITY };
    if (!row?.owner) return { takeable: true, waitMs: 0 };
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
    const known = this.#known.get(key);
    const sentAt = this.#ctx.clock.monotonic();
    const wall = this.#ctx.clock.now();
    const floor = tokenFloor(wall);
    const token = known?.token !== undefined && known.token >= floor ? known.token + 1n : floor;
    const terms: LeaseTerms = {
      owner: this.#o.owner,
      token,
      leaseMs: this.#o.leaseMs,
      retentionMs: this.#o.retentionMs,
      data: this.#o.data,
    };
    const observed =
      known?.owner !== undefined && known.token !== undefined && this.#observedFor(key, known) <= 0
        ? { version: known.version, token: known.token }
        : undefined;
    const target = { partition: this.#partition, key };
    const grant = grantWrite(target, terms, wall, {
      expiredBefore: wall - this.#skewMargin(),
      ...(observed && { observed }),
    });
    // settledWrite tags the grant with a unique write id: it tells this grant apart from any other
    // by the same owner (two acquires of one semaphore may compute the same token within a
    // millisecond), and a resent grant refused by our own row is granted.
    const settled = await settledWrite(this.#ctx.backend, grant, {
      readBackOn: readBackUnlessUnreachable,
      onAnswer: this.#onAnswer,
    });
    if (settled.outcome === 'applied') return { kind: 'granted', lease: this.#lease(key, terms, sentAt) };
    if (settled.outcome === 'refused') {
      this.learn(key, settled.result.current);
      return { kind: 'refused' };
    }
    if (settled.readBack?.ok) this.learn(key, settled.readBack.row);
    return { kind: 'error', error: settled.error };
  }

  #lease(key: string, terms: LeaseTerms, sentAt: number): Lease {
    return new Lease({
      ctx: this.#ctx,
      target: { partition: this.#partition, key },
      terms,
      heartbeatMs: this.#o.heartbeatMs,
      sentAt,
    });
  }

  /** Rule (a)'s margin: `maxClockSkewMs` (0 only under the simulator's test-only mutant). */
  #skewMargin(): number {
    return testMutants.ruleAWithoutSkewMargin ? 0 : this.#o.maxClockSkewMs;
  }

  /** Ms until rule (b) allows taking `row` (<= 0: now). */
  #observedFor(key: string, row: LockRow): number {
    const seen = this.#seen.get(key);
    if (!seen || seen.version !== row.version || seen.token !== row.token) return Number.POSITIVE_INFINITY;
    const needed = (row.leaseMs ?? this.#o.leaseMs) + this.#o.maxClockSkewMs;
    return seen.since + needed - this.#ctx.clock.monotonic();
  }
}
