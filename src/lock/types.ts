import type { Backend } from '../contract/backend.js';
import type { Clock } from '../contract/clock/types.js';
import type { Telemetry } from '../contract/telemetry.js';
import type { LegacyLayoutCheck } from './legacy-layout.js';

export type { LockHolder } from '../contract/lock-holder.js';

/**
 * Options of `acquire`.
 *
 * @example
 * ```ts
 * const lease = await lock.acquire({ waitMs: 30_000, signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface AcquireOptions {
  /**
   * Give up with `LockTimeoutError` after this long (with the last `BackendError` instead when no
   * store call answered meanwhile). `0` tries once. @default Infinity
   */
  waitMs?: number;
  /** Stop waiting: `acquire` rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * What lock code needs from its store: the contract and the clock (a `Dynastore` is one).
 *
 * @example
 * ```ts
 * const ctx: LockContext = { backend: new MemoryBackend({ clock }), clock };
 * ```
 */
export interface LockContext {
  readonly backend: Backend;
  readonly clock: Clock;
  /** Jitter source in [0, 1) (a `Dynastore`'s `random` option). @default Math.random */
  readonly random?: () => number;
  /**
   * The session grants are tied to (`store.session()`): a lease granted through this context
   * writes the session's id into the lock row and is never renewed on its own; it lives as long as
   * the session. Absent: per-lock leases with their own heartbeat.
   */
  readonly sessionBinding?: SessionBinding;
  /**
   * Looks for processes of the old row layout on the same table before grants and while leases
   * are held (DynamoDB stores; see `LegacyLayoutCheck`). Absent: no look.
   */
  readonly legacyLayout?: LegacyLayoutCheck;
  /** Where spans and metrics go (a `Dynastore`'s OpenTelemetry reporting); absent: nowhere. */
  readonly telemetry?: Telemetry | undefined;
}

/**
 * What a lease tied to a session needs from it (implemented by `SessionCore`, src/lock/session.ts).
 *
 * @example
 * ```ts
 * const ctx: LockContext = { backend, clock, sessionBinding: core }; // core: a SessionCore
 * ```
 */
export interface SessionBinding {
  /** The session row's key in `_sessions`; lock rows of its leases carry it in `session`. */
  readonly id: string;
  /** The session's lease length (lock rows of its leases record it as their `leaseMs`). */
  readonly leaseMs: number;
  /** Ms until the session runs out unless renewed (0 once lost or closed). */
  remainingMs(): number;
  /** Renews the session now (for `heartbeatMs: false`); rejects once it is lost or closed. */
  renew(): Promise<void>;
  /**
   * Ties a granted lease to the session: `lose(message, cause)` is called once if the session is
   * lost while the lease is attached (at once when it already is).
   */
  attach(lease: object, lose: (message: string, cause: unknown) => void): void;
  /** Unties a lease (it was released or lost). */
  detach(lease: object): void;
  /** Why the session ended (lost or closed), if it did: new grants are refused with it. */
  ended(): Error | undefined;
}
