import { reportLeaseEnd, reportRelease, reportRenewal } from './report.js';
import '../contract/disposable.js';
import type { TransactItem } from '../contract/backend.js';
import { backoffMs } from '../contract/backoff.js';
import { sleepWith } from '../contract/clock/system.js';
import type { TimerHandle } from '../contract/clock/types.js';
import { type LeaseEndReason, LeaseLostError } from '../contract/errors/lock.js';
import { readBackUnlessUnreachable, settledWrite } from '../contract/settle.js';
import { testMutants } from './mutants.js';
import {
  decodeLockRow,
  heldBy,
  type LeaseTerms,
  type LockRow,
  type RowTarget,
  releaseWrite,
  renewWrite,
} from './row.js';
import { unbindFromSession } from './session-row.js';
import type { LockContext, SessionBinding } from './types.js';

/**
 * A `TransactItem` that checks a lock row: `lease.guard()`.
 *
 * @example
 * ```ts
 * const check: FenceCheck = lease.guard();
 * await store.backend.transact([check, { kind: 'write', partition: 'p', key: 'k', payload: 'v' }]);
 * ```
 */
export type FenceCheck = Extract<TransactItem, { kind: 'check' }>;

/**
 * What a grant hands its lease. @internal
 *
 * @example
 * ```ts
 * new Lease({ ctx: store, target: { partition: '_locks', key: 'job' }, terms, heartbeatMs: 1_000, sentAt: clock.monotonic() });
 * ```
 */
export interface LeaseInit {
  readonly ctx: LockContext;
  readonly target: RowTarget;
  readonly terms: LeaseTerms;
  readonly heartbeatMs: number | false;
  /** Monotonic time at which the grant write was sent: the lease runs `leaseMs` from here. */
  readonly sentAt: number;
  /**
   * The session the grant tied this lease to: then the lease has no heartbeat and no deadline of
   * its own, it lives as long as the session (`signal` aborts with reason `session` when the
   * session is lost), and its release also unties the row from the session.
   */
  readonly session?: SessionBinding;
  /** What the row is, for telemetry: a lock's (or permit's, or election's) row, or a session's own row. @default 'lock' */
  readonly kind?: 'lock' | 'session';
}

type State = 'held' | 'releasing' | 'lost' | 'released';
type Outcome = 'renewed' | 'lost' | { readonly error: unknown };

const RELEASE_ATTEMPTS = 3;

/**
 * The reason the renewal loop's own signal is aborted with: only its backoff sleep listens, and
 * ignores it. Given once, so that ending a lease does not build an `AbortError` (a stack trace)
 * each time.
 */
const STOPPED = new Error('the lease stopped renewing');

/**
 * A held lock (or semaphore permit). The lease is a liveness hint; `token` is the safety
 * mechanism: pass it to every system you write to, or fence store writes with it.
 *
 * - `signal` aborts (reason: {@link LeaseLostError}) the moment the lease can no longer be
 *   trusted: `leaseMs` after the last renewal that was *sent* and succeeded, which is no later
 *   than any contender can take over; or when the row shows another holder; or on `release()`
 *   (reason `released`).
 * - Heartbeats renew every `heartbeatMs` on an `unref()`ed timer; errors are retried with
 *   jittered backoff until the lease runs out; an ambiguous renewal (error after the write may
 *   have applied) is settled by reading the row back.
 * - `release()` is idempotent, waits for an in-flight renewal, and no renewal starts after it.
 *
 * @example
 * ```ts
 * await using lease = await store.lock('jobs/reindex').acquire();
 * for (const batch of batches) {
 *   lease.signal.throwIfAborted();
 *   await search.index(batch, { fencingToken: lease.token });
 * }
 * ```
 */
export class Lease implements AsyncDisposable {
  /** The lock row's key (for a semaphore permit: `<key>#<slot>`). */
  readonly key: string;
  /** The partition of the lock row. */
  readonly partition: string;
  readonly owner: string;
  /** Fencing token: strictly increasing per lock row across every grant. */
  readonly token: bigint;
  readonly data: string | undefined;
  readonly leaseMs: number;
  /** Aborted with a {@link LeaseLostError} once the lease is lost or released. */
  readonly signal: AbortSignal;

  readonly #ctx: LockContext;
  readonly #target: RowTarget;
  readonly #terms: LeaseTerms;
  readonly #heartbeatMs: number | false;
  readonly #session: SessionBinding | undefined;
  readonly #abort = new AbortController();
  /** Aborts backoff sleeps once renewing must stop. */
  readonly #stop = new AbortController();
  #state: State = 'held';
  #deadline: number;
  #lastSent: number;
  #deadlineTimer: TimerHandle | undefined;
  #beatTimer: TimerHandle | undefined;
  /** The renewal in progress; never rejects. */
  #inflight: Promise<void> | undefined;
  #release: Promise<void> | undefined;
  #ended: LeaseLostError | undefined;
  #lastError: unknown;
  readonly #kind: 'lock' | 'session';
  readonly #sentAt: number;

  /** @internal leases come from `acquire` / `tryAcquire`. */
  constructor(init: LeaseInit) {
    this.#ctx = init.ctx;
    this.#target = init.target;
    this.#terms = init.terms;
    this.#heartbeatMs = init.heartbeatMs;
    this.key = init.target.key;
    this.partition = init.target.partition;
    this.owner = init.terms.owner;
    this.token = init.terms.token;
    this.data = init.terms.data;
    this.leaseMs = init.terms.leaseMs;
    this.signal = this.#abort.signal;
    this.#lastSent = init.sentAt;
    this.#sentAt = init.sentAt;
    this.#kind = init.kind ?? 'lock';
    this.#deadline = init.sentAt + init.terms.leaseMs;
    this.#session = init.session;
    if (this.#session) {
      // no timers of its own: the session's heartbeat and deadline stand for it
      this.#session.attach(this, (message, cause) => this.#lose('session', message, cause));
      return;
    }
    this.#armDeadline();
    this.#scheduleBeat();
  }

  /** Whether the lease is still held: not lost, not released, and within its deadline. */
  get held(): boolean {
    if (this.#session) return this.#state === 'held' && this.#session.remainingMs() > 0;
    return this.#state === 'held' && this.#ctx.clock.monotonic() < this.#deadline;
  }

  /** The id of the session this lease is tied to (`store.session()`), if any. */
  get session(): string | undefined {
    return this.#session?.id;
  }

  /**
   * Milliseconds left before the lease runs out unless renewed (0 once lost or released).
   *
   * @example
   * ```ts
   * if (lease.remainingMs() < 2_000) await lease.renew();
   * ```
   */
  remainingMs(): number {
    if (this.#state !== 'held') return 0;
    if (this.#session) return this.#session.remainingMs();
    return Math.max(0, this.#deadline - this.#ctx.clock.monotonic());
  }

  /**
   * Renews now (one write), retrying errors within the lease. Resolves once renewed; rejects with
   * {@link LeaseLostError} when the lease is lost or released. For `heartbeatMs: false`.
   *
   * @example
   * ```ts
   * // AWS Lambda: no timers between invocations, renew between steps.
   * const lease = await store.lock('nightly', { heartbeatMs: false, leaseMs: 60_000 }).acquire();
   * await step1(); await lease.renew(); await step2(); await lease.release();
   * ```
   */
  async renew(): Promise<void> {
    if (this.#state !== 'held') throw this.#endError();
    if (this.#session) {
      // a session lease is renewed by renewing its session
      await this.#session.renew().catch(() => undefined);
      if (this.#state !== 'held') throw this.#endError();
      return;
    }
    await this.#enqueueRenewal();
    if (this.#state !== 'held') throw this.#endError();
  }

  /**
   * Gives the lock up: one conditional write that clears the owner but keeps the token. Waits for
   * an in-flight renewal first; idempotent (every call returns the same promise). Rejects only if
   * the store kept failing (the lock then frees itself when the lease runs out).
   *
   * @example
   * ```ts
   * const lease = await lock.acquire();
   * try { await work(lease) } finally { await lease.release() }
   * ```
   */
  release(): Promise<void> {
    this.#release ??= reportRelease(this.#ctx, this, () => this.#doRelease());
    return this.#release;
  }

  /**
   * A check of the lock row, for a store transaction: passes only while the row still carries
   * this lease's owner and token. DynamoDB evaluates it inside `TransactWriteItems`, so a stale
   * holder's write is refused by the server, whatever its clock or pauses. Partition writes take
   * it through their `fence` option; for your own DynamoDB tables, `toTransactWriteItem(store, lease.guard())`.
   *
   * @example
   * ```ts
   * await store.backend.transact([lease.guard(), { kind: 'write', partition: 'p', key: 'k', payload: 'v' }]);
   * ```
   */
  guard(): FenceCheck {
    return {
      kind: 'check',
      partition: this.partition,
      key: this.key,
      condition: heldBy(this.owner, this.token),
    };
  }

  /**
   * Ends the lease from outside (reason `taken`): the store found that another holder has the
   * lock in a way the lock row cannot show (an old-layout process, see `LegacyLayoutError`).
   * Renewals stop; the row runs out with its lease. @internal
   *
   * @example
   * ```ts
   * lease.revoke('lost: held in the old row layout', err);
   * ```
   */
  revoke(message: string, cause?: unknown): void {
    this.#lose('taken', message, cause);
  }

  /** `await using lease = await lock.acquire()` releases at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  /** Plain-object form for logs. */
  toJSON(): { key: string; partition: string; owner: string; token: string; held: boolean } {
    return {
      key: this.key,
      partition: this.partition,
      owner: this.owner,
      token: this.token.toString(),
      held: this.held,
    };
  }

  #enqueueRenewal(): Promise<void> {
    const previous = this.#inflight ?? Promise.resolve();
    const next = previous
      .then(() =>
        this.#state === 'held'
          ? reportRenewal(
              this.#ctx,
              this,
              this.#kind,
              () => this.#renewCycle(),
              () => this.#state === 'held',
            )
          : undefined,
      )
      .catch(() => undefined);
    this.#inflight = next;
    void next.then(() => {
      if (this.#inflight === next) this.#inflight = undefined;
      this.#scheduleBeat();
    });
    return next;
  }

  /** Renews, retrying with jittered backoff until it works, the lease is lost, or release starts. */
  async #renewCycle(): Promise<void> {
    for (let attempt = 1; this.#state === 'held'; attempt++) {
      const outcome = await this.#renewOnce();
      if (outcome === 'renewed' || outcome === 'lost') return;
      this.#lastError = outcome.error;
      const remaining = this.#deadline - this.#ctx.clock.monotonic();
      if (remaining <= 0) {
        this.#lose('expired', 'ran out: no renewal succeeded in time', this.#lastError);
        return;
      }
      // Back off, but retry more often as the deadline nears: several attempts fit in what is left.
      const cap = Math.min(
        this.#heartbeatMs === false ? this.leaseMs / 3 : this.#heartbeatMs,
        Math.max(10, remaining / 3),
      );
      try {
        // heartbeat retries run in the background; a manual renew() is awaited by its caller
        await sleepWith(
          this.#ctx.clock,
          Math.min(backoffMs(attempt, cap, this.#ctx.random), remaining),
          this.#stop.signal,
          {
            keepAlive: this.#heartbeatMs === false,
          },
        );
      } catch {
        return;
      }
    }
  }

  /**
   * One renewal write, settled by reading the row back after an error (`settledWrite`; not when
   * nothing answered: then it never reached the store, and a read would fail alike). A renewal
   * carries no write id: it is recognised by its own lease end on a row still naming this holder.
   * A row naming someone else (or none) loses the lease; anything else is retried.
   */
  async #renewOnce(): Promise<Outcome> {
    const sentAt = this.#ctx.clock.monotonic();
    const input = renewWrite(this.#target, this.#terms, this.#ctx.clock.now());
    const sentLeaseUntil = input.fields?.leaseUntil;
    const settled = await settledWrite(this.#ctx.backend, input, {
      readBackOn: readBackUnlessUnreachable,
      isOurs: (item) => {
        const row = decodeLockRow(item);
        return this.#names(row) && row?.leaseUntil === sentLeaseUntil;
      },
    });
    if (settled.outcome === 'applied') return this.#renewed(sentAt);
    if (settled.outcome === 'refused') {
      const current = decodeLockRow(settled.result.current);
      // Still ours, with a later lease end than this renewal's (an earlier renewal of ours that
      // reached the store late, or this wall clock stepped back): not renewed, retried. Counting
      // it as renewed would not be safe: the row did not change, so rule (b) runs on.
      if (this.#names(current))
        return {
          error: new Error(
            `renewal of "${this.key}" refused: the row still names this holder, with a later lease end (${String(current?.leaseUntil)}) than this renewal's (${String(sentLeaseUntil)})`,
          ),
        };
      this.#loseToRow(current);
      return 'lost';
    }
    const { error, readBack } = settled;
    if (!readBack?.ok) return { error };
    const row = decodeLockRow(readBack.row);
    if (!this.#names(row)) {
      this.#loseToRow(row);
      return 'lost';
    }
    return { error };
  }

  /** Whether `row` still names this holder (owner and token). */
  #names(row: LockRow | undefined): boolean {
    return row !== undefined && row.owner === this.owner && row.token === this.token;
  }

  #renewed(sentAt: number): Outcome {
    if (this.#state !== 'held') return 'renewed';
    this.#lastSent = Math.max(this.#lastSent, sentAt);
    this.#deadline = Math.max(this.#deadline, sentAt + this.leaseMs);
    this.#lastError = undefined;
    this.#armDeadline();
    return 'renewed';
  }

  #scheduleBeat(): void {
    this.#beatTimer?.cancel();
    this.#beatTimer = undefined;
    if (this.#heartbeatMs === false || this.#state !== 'held' || this.#inflight) return;
    const delay = this.#lastSent + this.#heartbeatMs - this.#ctx.clock.monotonic();
    this.#beatTimer = this.#ctx.clock.setTimeout(() => {
      this.#beatTimer = undefined;
      if (this.#state === 'held') void this.#enqueueRenewal();
    }, delay);
  }

  #armDeadline(): void {
    this.#deadlineTimer?.cancel();
    const delay = this.#deadline - this.#ctx.clock.monotonic();
    this.#deadlineTimer = this.#ctx.clock.setTimeout(() => {
      this.#deadlineTimer = undefined;
      if (this.#state !== 'held') return;
      if (this.#ctx.clock.monotonic() >= this.#deadline) {
        this.#lose('expired', 'ran out: no renewal succeeded in time', this.#lastError);
      } else {
        this.#armDeadline();
      }
    }, delay);
  }

  #loseToRow(row: LockRow | undefined): void {
    if (!row) this.#lose('gone', 'lost: the lock row was deleted');
    else if (row.token !== this.token)
      this.#lose('taken', `lost: taken over with token ${row.token ?? 'none'} by "${row.owner ?? '?'}"`);
    else this.#lose('taken', 'lost: the row no longer names this owner');
  }

  #lose(reason: LeaseEndReason, message: string, cause?: unknown): void {
    if (this.#ended) return;
    this.#ended = new LeaseLostError(
      this.key,
      this.token,
      reason,
      message,
      cause === undefined ? undefined : { cause },
    );
    if (this.#state === 'held') this.#state = 'lost';
    reportLeaseEnd(this.#ctx, this, this.#kind, reason, this.#sentAt);
    this.#beatTimer?.cancel();
    this.#deadlineTimer?.cancel();
    this.#stop.abort(STOPPED);
    this.#session?.detach(this);
    this.#abort.abort(this.#ended);
  }

  #endError(): LeaseLostError {
    return this.#ended ?? new LeaseLostError(this.key, this.token, 'released', 'was released');
  }

  async #doRelease(): Promise<void> {
    if (this.#state === 'held') this.#state = 'releasing';
    this.#beatTimer?.cancel();
    this.#stop.abort(STOPPED);
    const inflight = testMutants.releaseSkipsInflightRenewal ? undefined : this.#inflight;
    if (inflight) await this.#waitAtMost(inflight, this.#deadline - this.#ctx.clock.monotonic());
    this.#deadlineTimer?.cancel();
    const lostTo = this.#ended?.reason;
    this.#state = 'released';
    this.#lose('released', 'was released');
    if (lostTo === 'taken' || lostTo === 'gone') return;
    let lastError: unknown;
    for (let attempt = 1; attempt <= RELEASE_ATTEMPTS; attempt++) {
      try {
        // Success, or a failed condition (no longer ours): either way nothing is left to clear.
        const release = releaseWrite(this.#target, this.#terms, this.#ctx.clock.now());
        await this.#ctx.backend.write(this.#session ? unbindFromSession(release) : release);
        return;
      } catch (error) {
        lastError = error;
        if (attempt < RELEASE_ATTEMPTS)
          await this.#ctx.clock.sleep(backoffMs(attempt, 200, this.#ctx.random));
      }
    }
    throw lastError;
  }

  /** Waits for `p`, but no longer than `ms` (the in-flight renewal cannot outlive the lease's meaning). */
  async #waitAtMost(p: Promise<void>, ms: number): Promise<void> {
    if (ms <= 0) return;
    let timer: TimerHandle | undefined;
    await Promise.race([
      p,
      new Promise<void>((resolve) => (timer = this.#ctx.clock.setTimeout(resolve, ms))),
    ]);
    timer?.cancel();
  }
}
