import type { Backend } from '../contract/backend.js';
import type { Clock } from '../contract/clock/types.js';

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
}
