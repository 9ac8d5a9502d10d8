import { randomBytes } from 'node:crypto';
import { LeaseLostError } from '../contract/errors/lock.js';
import { BackendError } from '../contract/errors/store.js';
import { readBackUnlessUnreachable, settledWrite } from '../contract/settle.js';
import { Lease } from './lease.js';
import { rowPartition } from './placement.js';
import { tokenFloor } from './row.js';
import { openSessionWrite, sessionRowOf } from './session-row.js';
import type { LockContext, SessionBinding } from './types.js';

/**
 * The resolved timing of a session (see `SessionOptions` in the facade).
 *
 * @example
 * ```ts
 * const t: SessionTerms = { leaseMs: 10_000, heartbeatMs: 3_333, maxClockSkewMs: 1_000, owner: 'w1', retentionMs: 86_400_000, data: undefined, prefix: '' };
 * ```
 */
export interface SessionTerms {
  readonly leaseMs: number;
  readonly heartbeatMs: number | false;
  readonly maxClockSkewMs: number;
  readonly owner: string;
  readonly retentionMs: number;
  readonly data: string | undefined;
  /** The prefix of the session's row (and the default prefix of its locks). */
  readonly prefix: string;
}

/** How many times `open` writes a new session row when the write took longer than the lease to confirm. */
const OPEN_ATTEMPTS = 3;

/** How many lease releases `close()` keeps in flight at once. */
const CLOSE_CONCURRENCY = 32;

/**
 * The heart of a session: one session row (partition and sort key = its id, `<prefix>_session/<random>`) renewed by
 * one heartbeat (a {@link Lease} on that row, so a renewal's deadline, retries and ambiguous
 * answers work exactly as a lock's), and the leases tied to it. When the session row's lease is
 * lost (expired, killed by a takeover, deleted), every attached lease loses at once with reason
 * `session`. `close()` releases every attached lease, then the session row.
 *
 * @example
 * ```ts
 * const core = await SessionCore.open(store, terms);
 * const lock = new Lock({ ...store, sessionBinding: core }, 'job', options);
 * ```
 */
export class SessionCore implements SessionBinding {
  readonly id: string;
  readonly leaseMs: number;
  readonly owner: string;
  readonly terms: SessionTerms;
  /** The session row's lease: aborted once the session is lost or closed. */
  readonly lease: Lease;
  readonly #attached = new Map<object, (message: string, cause: unknown) => void>();
  #closing: Promise<void> | undefined;

  private constructor(id: string, terms: SessionTerms, lease: Lease) {
    this.id = id;
    this.leaseMs = terms.leaseMs;
    this.owner = terms.owner;
    this.terms = terms;
    this.lease = lease;
    lease.signal.addEventListener('abort', () => this.#loseAll(), { once: true });
  }

  /**
   * Writes a new session row (one conditional write, settled by reading back if its answer is
   * lost) and starts its heartbeat. A write that took longer than the lease to confirm made a
   * session that is already over: it is released and another one written (three tries, then the
   * `LeaseLostError`).
   *
   * @example
   * ```ts
   * const core = await SessionCore.open(store, terms);
   * ```
   */
  static async open(ctx: LockContext, terms: SessionTerms): Promise<SessionCore> {
    let lost: unknown;
    for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
      const core = await SessionCore.#openOnce(ctx, terms);
      if (core.lease.remainingMs() > 0) return core;
      // the write took longer than the lease to confirm: the session was born dead
      lost = core.lease.signal.reason;
      await core.close().catch(() => undefined);
    }
    throw lost;
  }

  static async #openOnce(ctx: LockContext, terms: SessionTerms): Promise<SessionCore> {
    const id = rowPartition('session', terms.prefix, randomBytes(12).toString('hex'), 'session');
    const sentAt = ctx.clock.monotonic();
    const wall = ctx.clock.now();
    const leaseTerms = {
      owner: terms.owner,
      token: tokenFloor(wall),
      leaseMs: terms.leaseMs,
      retentionMs: terms.retentionMs,
      data: terms.data,
    };
    const target = sessionRowOf(id);
    const settled = await settledWrite(ctx.backend, openSessionWrite(target, leaseTerms, wall), {
      readBackOn: readBackUnlessUnreachable,
    });
    if (settled.outcome === 'unknown') throw settled.error;
    if (settled.outcome === 'refused')
      throw new BackendError('PutItem', `session row "${id}" already exists (a random id collided)`, true);
    const { sessionBinding: _none, ...plain } = ctx;
    const lease = new Lease({
      ctx: plain,
      target,
      terms: leaseTerms,
      heartbeatMs: terms.heartbeatMs,
      sentAt,
      kind: 'session',
    });
    return new SessionCore(id, terms, lease);
  }

  /** Whether the session is still live (not lost, not closed, within its deadline). */
  get held(): boolean {
    return this.lease.held && this.#closing === undefined;
  }

  /** How many leases are tied to the session now. */
  get size(): number {
    return this.#attached.size;
  }

  remainingMs(): number {
    return this.#closing ? 0 : this.lease.remainingMs();
  }

  renew(): Promise<void> {
    return this.lease.renew();
  }

  attach(lease: object, lose: (message: string, cause: unknown) => void): void {
    const ended = this.ended();
    if (ended) {
      lose(`lost: its session "${this.id}" had already ended`, ended);
      return;
    }
    this.#attached.set(lease, lose);
  }

  detach(lease: object): void {
    this.#attached.delete(lease);
  }

  ended(): Error | undefined {
    if (this.lease.signal.aborted) return this.lease.signal.reason as Error;
    if (this.#closing) return new LeaseLostError(this.id, this.lease.token, 'released', 'was closed');
    return undefined;
  }

  /**
   * Releases every lease tied to the session (release writes, a few at a time), then the session
   * row. Idempotent. Rejects with the first error if a release kept failing (that lock then frees
   * itself: its session row is released, or runs out).
   *
   * @example
   * ```ts
   * await core.close();
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const errors: unknown[] = [];
    const leases = [...this.#attached.keys()] as { release(): Promise<void> }[];
    let next = 0;
    const worker = async () => {
      while (next < leases.length) {
        const lease = leases[next++];
        await lease?.release().catch((error: unknown) => errors.push(error));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CLOSE_CONCURRENCY, leases.length) }, worker));
    await this.lease.release().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw errors[0];
  }

  #loseAll(): void {
    const reason = this.lease.signal.reason as LeaseLostError;
    const message = `lost: its session "${this.id}" ${sessionEnd(reason)}`;
    const attached = [...this.#attached.values()];
    this.#attached.clear();
    for (const lose of attached) lose(message, reason);
  }
}

function sessionEnd(err: LeaseLostError): string {
  switch (err.reason) {
    case 'expired':
      return 'ran out: no renewal succeeded in time';
    case 'taken':
      return 'was taken over (a contender found it dead and took one of its locks)';
    case 'gone':
      return 'row was deleted';
    default:
      return 'was closed';
  }
}
