import type { LockHolder } from '../lock-holder.js';
import { DynastoreError, ErrorCode } from './base.js';

/**
 * `acquire({ waitMs })` gave up: the lock (or every permit of a semaphore) stayed held for
 * `waitMs`. `holder` is the last holder seen, when one was seen; `cause` the last backend error,
 * when the wait ended while the store was failing. (When no store call answered during the whole
 * wait, `acquire` rejects with that `BackendError` itself.)
 *
 * @example
 * ```ts
 * try { await lock.acquire({ waitMs: 5_000 }) } catch (err) {
 *   if (err instanceof LockTimeoutError) console.log('still held by', err.holder?.owner);
 * }
 * ```
 */
export class LockTimeoutError extends DynastoreError {
  readonly key: string;
  readonly waitedMs: number;
  readonly holder: LockHolder | undefined;
  constructor(key: string, waitedMs: number, holder?: LockHolder, options?: { cause?: unknown }) {
    super(
      ErrorCode.LockTimeout,
      `lock "${key}" not acquired within ${Math.round(waitedMs)} ms${holder ? ` (held by "${holder.owner}")` : ''}`,
      options,
    );
    this.name = 'LockTimeoutError';
    this.key = key;
    this.waitedMs = waitedMs;
    this.holder = holder;
  }
}

/**
 * Why a lease ended:
 * - `expired`: no renewal succeeded within the lease (the store failed or the process stalled);
 * `cause` is the last renewal error, if any;
 * - `taken`: the row shows another holder (someone took it over after the lease ran out);
 * - `gone`: the lock row was deleted;
 * - `released`: this process released it;
 * - `session`: the session the lease was tied to (`store.session()`) was lost (expired, taken
 *   over, or its row gone); `cause` is the session's own `LeaseLostError`.
 *
 * @example
 * ```ts
 * if ((lease.signal.reason as LeaseLostError).reason === 'taken') alertOps();
 * ```
 */
export type LeaseEndReason = 'expired' | 'taken' | 'gone' | 'released' | 'session';

/**
 * The reason `lease.signal` aborts with: the lease is no longer held, so work guarded by it must
 * stop (and fenced writes made with its token are refused by DynamoDB).
 *
 * @example
 * ```ts
 * lease.signal.addEventListener('abort', () => {
 *   const err = lease.signal.reason as LeaseLostError;
 *   console.warn(`lost ${err.key} (${err.reason})`);
 * });
 * ```
 */
export class LeaseLostError extends DynastoreError {
  readonly key: string;
  readonly token: bigint;
  readonly reason: LeaseEndReason;
  constructor(
    key: string,
    token: bigint,
    reason: LeaseEndReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.LeaseLost, `lease on "${key}" (token ${token}) ${message}`, options);
    this.name = 'LeaseLostError';
    this.key = key;
    this.token = token;
    this.reason = reason;
  }
}

/**
 * A write fenced by a lease was refused by the store itself: the lock row no longer carries the
 * lease's token and owner (the lease ended and, possibly, a newer holder exists). Nothing was
 * written. `currentToken` is the token the row holds now (undefined when the row is gone).
 *
 * @example
 * ```ts
 * try { await kv.put('report', body, { fence: lease }) } catch (err) {
 *   if (err instanceof FencedError) console.warn('stale holder, token', err.token);
 * }
 * ```
 */
export class FencedError extends DynastoreError {
  readonly key: string;
  readonly token: bigint;
  readonly currentToken: bigint | undefined;
  constructor(key: string, token: bigint, currentToken: bigint | undefined, options?: { cause?: unknown }) {
    super(
      ErrorCode.Fenced,
      `write fenced by lock "${key}" token ${token} refused: the lock row ${
        currentToken === undefined ? 'is gone' : `is at token ${currentToken}`
      }`,
      options,
    );
    this.name = 'FencedError';
    this.key = key;
    this.token = token;
    this.currentToken = currentToken;
  }
}
