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

/**
 * A process of the old row layout (dynastore before each lock had a partition key of its own:
 * every lock row under `_locks`, semaphores under `_semaphores`, elections under `_elections`)
 * holds this very lock on the same table. Both layouts cannot see each other's rows, so both
 * could hold the lock at once: the new-layout process refuses to acquire it (and a lease it held
 * already ends with reason `taken`, this error as its cause). Stop the old processes (or let their
 * leases run out), then try again. Nothing was written.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof LegacyLayoutError) console.error(err.partition, err.key, err.owner) }
 * ```
 */
export class LegacyLayoutError extends DynastoreError {
  /** The lock (semaphore, election) named by the caller. */
  readonly lock: string;
  /** Where the old-layout row is: `_locks`, `_semaphores` or `_elections`. */
  readonly partition: string;
  /** The old row's sort key (a semaphore's slot: `<key>#<n>`). */
  readonly key: string;
  /** Who holds it in the old layout. */
  readonly owner: string;
  constructor(lock: string, partition: string, key: string, owner: string) {
    super(
      ErrorCode.LegacyLayout,
      `"${lock}" is held in the old row layout (row ${partition}/${key}, owner "${owner}"), which this version cannot see: ` +
        'stop the processes of the old dynastore (or let their leases run out) before this one takes it; see "Table layout" in the docs',
    );
    this.name = 'LegacyLayoutError';
    this.lock = lock;
    this.partition = partition;
    this.key = key;
    this.owner = owner;
  }
}
