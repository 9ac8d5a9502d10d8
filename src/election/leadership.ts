import '../contract/disposable.js';
import type { FenceCheck, Lease } from '../lock/index.js';

/**
 * Being the leader of an election: a held lease on the election's lock row. `term` is the
 * lease's fencing token, so it strictly increases from one leader to the next: pass it to every
 * system the leader writes to, and have them refuse a lower one.
 *
 * `signal` aborts (reason: a `LeaseLostError`) as soon as this process can no longer be sure it
 * leads, no later than the moment another candidate could be elected, and on `resign()`.
 *
 * @example
 * ```ts
 * await using leadership = await election.campaign('node-1');
 * while (!leadership.signal.aborted) await scheduleJobs({ term: leadership.term });
 * ```
 */
export class Leadership implements AsyncDisposable {
  /** The election's name. */
  readonly election: string;
  /** The candidate id this process campaigned with. */
  readonly id: string;
  /** Strictly increasing across leaders of this election (the lock's fencing token). */
  readonly term: bigint;
  /** Aborted when leadership is lost or resigned. */
  readonly signal: AbortSignal;
  /** The lease underneath (for `guard()`-fenced store writes and manual renewal). */
  readonly lease: Lease;

  /** @internal leaderships come from `election.campaign`. */
  constructor(election: string, id: string, lease: Lease) {
    this.election = election;
    this.id = id;
    this.lease = lease;
    this.term = lease.token;
    this.signal = lease.signal;
  }

  /** Whether this process still leads (not lost, not resigned, within its lease). */
  get isLeader(): boolean {
    return this.lease.held;
  }

  /**
   * Steps down: the next candidate is elected at once (it is woken by the change feed). Idempotent.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void leadership.resign());
   * ```
   */
  resign(): Promise<void> {
    return this.lease.release();
  }

  /**
   * Renews now; for `heartbeatMs: false`. Rejects with `LeaseLostError` once leadership is gone.
   *
   * @example
   * ```ts
   * await leadership.renew();
   * ```
   */
  renew(): Promise<void> {
    return this.lease.renew();
  }

  /**
   * Milliseconds of leadership left unless renewed (0 once lost).
   *
   * @example
   * ```ts
   * if (leadership.remainingMs() < 1_000) await leadership.renew();
   * ```
   */
  remainingMs(): number {
    return this.lease.remainingMs();
  }

  /**
   * A check for a store transaction that passes only while this term still leads: DynamoDB
   * refuses the write of a deposed leader, whatever its clock (see `lease.guard()`).
   *
   * @example
   * ```ts
   * await store.backend.transact([leadership.guard(), { kind: 'write', partition: 'jobs', key: 'plan', payload }]);
   * ```
   */
  guard(): FenceCheck {
    return this.lease.guard();
  }

  /** `await using leadership = await election.campaign(id)` resigns at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.resign();
  }

  /** Plain-object form for logs (`term` as a string). */
  toJSON(): { election: string; id: string; term: string; isLeader: boolean } {
    return { election: this.election, id: this.id, term: this.term.toString(), isLeader: this.isLeader };
  }
}
