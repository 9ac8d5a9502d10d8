import '../contract/disposable.js';
import { ValidationError } from '../contract/errors/store.js';
import { resolveOptions } from '../contract/validate.js';
import { Election } from '../election/election.js';
import type { ElectionOptions } from '../election/options.js';
import {
  type Lease,
  Lock,
  type LockContext,
  type LockOptions,
  resolveLockOptions,
  type WithLockOptions,
  withLock,
} from '../lock/index.js';
import { SessionCore } from '../lock/internal.js';
import { Semaphore, type SemaphoreOptions } from '../semaphore/semaphore.js';

/**
 * Options of `store.session(options)`: the timing of the one lease every lock of the session
 * shares. Validated like a lock's (an inconsistent combination is a `ValidationError`).
 *
 * @example
 * ```ts
 * await using session = await store.session({ leaseMs: 10_000, owner: `worker-${process.pid}` });
 * ```
 */
export interface SessionOptions {
  /**
   * How long the session (and every lease tied to it) lives without a renewal. A crashed
   * process's locks are taken over about this long (+ 0.5 % rate-drift margin) after its last
   * session renewal.
   * @default 10_000
   */
  leaseMs?: number;
  /**
   * Renew the session row every this many ms (`2 * heartbeatMs < leaseMs`): one write per beat,
   * however many locks the session holds. `false`: renew by hand with `session.renew()`.
   * @default leaseMs / 3
   */
  heartbeatMs?: number | false;
  /** The largest wall-clock difference between processes sharing the locks; below `leaseMs`. @default 1_000 */
  maxClockSkewMs?: number;
  /** Who holds the session's locks, as other processes see it. @default `<hostname>:<pid>:<random>` */
  owner?: string;
  /** A small string (at most 1 KB) stored on the session row. */
  data?: string;
  /** How long the session row (and each released lock row) stays before the table's TTL reaps it. @default 86_400_000 */
  retentionMs?: number;
  /**
   * The prefix of the session row's partition key (`<prefix>_session/<random>`), and the default
   * `prefix` of the session's locks, semaphores and elections (see `LockOptions.prefix`).
   * @default '' (no prefix)
   */
  prefix?: string;
}

/**
 * Options of `session.lock(key, options)`: a lock's options but the timing and the owner, which
 * are the session's.
 *
 * @example
 * ```ts
 * const lock = session.lock('shards/7', { data: 'reader-2' });
 * ```
 */
export type SessionLockOptions = Omit<LockOptions, SessionOwned>;

/**
 * Options of `session.semaphore(key, options)`: `permits` and the lock options a session lock takes.
 *
 * @example
 * ```ts
 * const sem = session.semaphore('encoders', { permits: 3 });
 * ```
 */
export type SessionSemaphoreOptions = Omit<SemaphoreOptions, SessionOwned>;

/**
 * Options of `session.election(name, options)`: an election's options but the timing.
 *
 * @example
 * ```ts
 * const election = session.election('scheduler', { prefix: 'tenant-a/' });
 * ```
 */
export type SessionElectionOptions = Omit<ElectionOptions, 'leaseMs' | 'heartbeatMs' | 'maxClockSkewMs'>;

/**
 * Options of `session.withLock(key, fn, options)`: a session lock's and the acquire's.
 *
 * @example
 * ```ts
 * await session.withLock('job', work, { waitMs: 5_000 });
 * ```
 */
export type SessionWithLockOptions = Omit<WithLockOptions, SessionOwned>;

/**
 * The lock options a session owns: its leases take them from the session, and passing them to
 * `session.lock()`, `session.semaphore()` or `session.withLock()` is a `ValidationError`.
 *
 * @example
 * ```ts
 * const owned: SessionOwned[] = ['leaseMs', 'heartbeatMs', 'maxClockSkewMs', 'owner'];
 * ```
 */
export type SessionOwned = 'leaseMs' | 'heartbeatMs' | 'maxClockSkewMs' | 'owner';

/**
 * One lease for many locks: a session row (a partition key of its own) renewed by one heartbeat, and
 * locks, semaphore permits and elections whose leases are tied to it instead of renewing their
 * own rows. A process holding 1 000 locks writes one renewal per `heartbeatMs` instead of 1 000.
 *
 * - A grant on a free lock is still one conditional write (the row records the session id).
 * - A session's locks live exactly as long as the session: while it is live, nobody can take them;
 *   once it is lost (its renewals failed for `leaseMs`, the process stalled, or a contender found
 *   it dead and took one of its locks), every lease's `signal` aborts at once with a
 *   `LeaseLostError` of reason `session`, and `session.signal` aborts too.
 * - Taking over a lock whose session is dead applies the usual takeover rules to the session row,
 *   and DynamoDB checks them inside the grant (one transaction that also marks the session row
 *   dead), so a paused session that wakes finds its next renewal refused.
 * - Fencing tokens stay per lock and strictly increasing; `lease.guard()` and fenced writes work
 *   unchanged.
 * - `close()` (or `await using`) releases every lease of the session, then the session row.
 *
 * @example
 * ```ts
 * await using session = await store.session({ leaseMs: 10_000 });
 * const leases = await Promise.all(shards.map((s) => session.lock(`shards/${s}`).acquire()));
 * session.signal.addEventListener('abort', () => stopAllWork());
 * ```
 */
export class Session implements AsyncDisposable {
  /**
   * The session's id, `<prefix>_session/<24 hex digits>`: its row's partition key and sort key,
   * and what its lock rows record in `session`.
   */
  readonly id: string;
  /** The session's prefix: its row's, and the default of its locks, semaphores and elections. */
  readonly prefix: string;
  readonly owner: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number | false;
  readonly maxClockSkewMs: number;
  /** Aborted with a `LeaseLostError` (the session row's) once the session is lost or closed. */
  readonly signal: AbortSignal;
  readonly #core: SessionCore;
  readonly #ctx: LockContext;

  /** @internal sessions come from `store.session()`. */
  constructor(ctx: LockContext, core: SessionCore) {
    this.#core = core;
    this.#ctx = {
      backend: ctx.backend,
      clock: ctx.clock,
      ...(ctx.random && { random: ctx.random }),
      ...(ctx.legacyLayout && { legacyLayout: ctx.legacyLayout }),
      ...(ctx.telemetry && { telemetry: ctx.telemetry }),
      sessionBinding: core,
    };
    this.id = core.id;
    this.prefix = core.terms.prefix;
    this.owner = core.owner;
    this.leaseMs = core.terms.leaseMs;
    this.heartbeatMs = core.terms.heartbeatMs;
    this.maxClockSkewMs = core.terms.maxClockSkewMs;
    this.signal = core.lease.signal;
  }

  /**
   * Opens a session: one conditional write of its row, then its heartbeat. `Dynastore.session`
   * calls this.
   *
   * @example
   * ```ts
   * const session = await Session.open(store, { leaseMs: 5_000 });
   * ```
   */
  static async open(ctx: LockContext, options?: SessionOptions): Promise<Session> {
    const o = resolveOptions('session', options, {
      leaseMs: 10_000,
      heartbeatMs: undefined as number | false | undefined,
      maxClockSkewMs: 1_000,
      owner: undefined as string | undefined,
      data: undefined as string | undefined,
      retentionMs: 86_400_000,
      prefix: '',
    });
    const r = resolveLockOptions('session', o);
    // a global table may not keep what sessions need (GlobalTableError), known before any write
    const checking = ctx.backend.checkUse?.('session');
    if (checking) await checking; // the memory backend is never global: no wait at all
    const core = await SessionCore.open(ctx, {
      leaseMs: r.leaseMs,
      heartbeatMs: r.heartbeatMs,
      maxClockSkewMs: r.maxClockSkewMs,
      owner: r.owner,
      retentionMs: r.retentionMs,
      data: r.data,
      prefix: r.prefix,
    });
    return new Session(ctx, core);
  }

  /** Whether the session is live: not lost, not closed, within its deadline. */
  get held(): boolean {
    return this.#core.held;
  }

  /** How many leases are tied to the session now. */
  get size(): number {
    return this.#core.size;
  }

  /**
   * Ms before the session runs out unless renewed (0 once lost or closed).
   *
   * @example
   * ```ts
   * if (session.remainingMs() < 2_000) await session.renew();
   * ```
   */
  remainingMs(): number {
    return this.#core.remainingMs();
  }

  /**
   * Renews the session now (one write), retrying errors within its lease; for `heartbeatMs: false`.
   * Rejects with the session's `LeaseLostError` once it is lost or closed.
   *
   * @example
   * ```ts
   * await session.renew();
   * ```
   */
  renew(): Promise<void> {
    return this.#core.renew();
  }

  /**
   * A lock on `key` whose leases are tied to this session (see {@link Lock}).
   *
   * @example
   * ```ts
   * const lease = await session.lock('shards/7').acquire({ waitMs: 5_000 });
   * ```
   */
  lock(key: string, options?: SessionLockOptions): Lock {
    return new Lock(this.#ctx, key, this.#lockOptions('session.lock', options));
  }

  /**
   * A semaphore whose permits are tied to this session (see {@link Semaphore}).
   *
   * @example
   * ```ts
   * await using permit = await session.semaphore('encoders', { permits: 3 }).acquire();
   * ```
   */
  semaphore(key: string, options: SessionSemaphoreOptions): Semaphore {
    if (options === undefined || options === null || typeof options !== 'object')
      throw new ValidationError('semaphore.permits', 'is required');
    return new Semaphore(this.#ctx, key, {
      ...this.#lockOptions('session.semaphore', options),
      permits: options.permits,
    } as SemaphoreOptions);
  }

  /**
   * An election whose leaderships are tied to this session (see {@link Election}).
   *
   * @example
   * ```ts
   * const leadership = await session.election('scheduler').campaign('node-1');
   * ```
   */
  election(name: string, options?: SessionElectionOptions): Election {
    rejectSessionOwned('session.election', options, ['leaseMs', 'heartbeatMs', 'maxClockSkewMs']);
    return new Election(this.#ctx, name, { prefix: this.prefix, ...options, ...this.#timing() });
  }

  /**
   * Acquires `key` under this session, runs `fn(lease)`, releases in `finally` (see `store.withLock`).
   *
   * @example
   * ```ts
   * await session.withLock('reports/daily', async (lease) => build({ fencingToken: lease.token }));
   * ```
   */
  async withLock<T>(
    key: string,
    fn: (lease: Lease) => Promise<T> | T,
    options?: SessionWithLockOptions,
  ): Promise<T> {
    rejectSessionOwned('session.withLock', options, SESSION_OWNED);
    return withLock(this.#ctx, key, fn, {
      prefix: this.prefix,
      ...options,
      ...this.#timing(),
      owner: this.owner,
    });
  }

  /**
   * Releases every lease of the session (release writes, a few at a time), then the session row.
   * Idempotent. Every lease's `signal` aborts with reason `released`.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void session.close());
   * ```
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** `await using session = await store.session()` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Plain-object form for logs. */
  toJSON(): { id: string; owner: string; leaseMs: number; held: boolean; leases: number } {
    return { id: this.id, owner: this.owner, leaseMs: this.leaseMs, held: this.held, leases: this.size };
  }

  #timing(): { leaseMs: number; heartbeatMs: false; maxClockSkewMs: number } {
    return { leaseMs: this.leaseMs, heartbeatMs: false, maxClockSkewMs: this.maxClockSkewMs };
  }

  #lockOptions(context: string, options: object | undefined): LockOptions {
    rejectSessionOwned(context, options, SESSION_OWNED);
    return { prefix: this.prefix, ...options, ...this.#timing(), owner: this.owner };
  }
}

const SESSION_OWNED: readonly SessionOwned[] = ['leaseMs', 'heartbeatMs', 'maxClockSkewMs', 'owner'];

function rejectSessionOwned(context: string, options: unknown, names: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new ValidationError(context, 'options must be an object');
  for (const name of names) {
    if (Object.hasOwn(options, name))
      throw new ValidationError(`${context}.${name}`, "is the session's: set it in store.session()");
  }
}
