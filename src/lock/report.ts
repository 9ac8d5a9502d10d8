import type { LeaseEndReason } from '../contract/errors/lock.js';
import { LockTimeoutError } from '../contract/errors/lock.js';
import type { SpanName, Telemetry } from '../contract/telemetry.js';
import type { LockContext } from './types.js';

/*
 * What lock code reports to the store's telemetry (contract/telemetry.ts), at five points: an
 * acquire (span and duration), a renewal (span), a release (span), the end of a lease (hold
 * duration, and the loss counter unless released) and a takeover (counter). Each is one call at
 * its point; without telemetry each costs one property check.
 */

/** Attribute of the lock's name (the `lockName` option of `telemetry`, or the key). */
export const LOCK_NAME = 'dynastore.lock.name';

/**
 * How an acquire ended, for the `outcome` attribute.
 *
 * @example
 * ```ts
 * const outcome: AcquireOutcome = 'granted';
 * ```
 */
export type AcquireOutcome = 'granted' | 'timeout' | 'aborted' | 'error';

/**
 * Runs one acquire (`run`) in a `dynastore.lock.acquire` span and records
 * `dynastore.lock.acquire.duration` with its outcome: `granted`; `timeout` (`LockTimeoutError`, or
 * a `tryAcquire` that found the lock held); `aborted` (the caller's signal); `error`.
 *
 * @example
 * ```ts
 * return reportAcquire(ctx, slots.name, mode.signal, () => contendInner(...));
 * ```
 */
export function reportAcquire<L extends { readonly token: bigint }>(
  ctx: LockContext,
  name: string,
  signal: AbortSignal | undefined,
  run: () => Promise<L | undefined>,
): Promise<L | undefined> {
  const t = ctx.telemetry;
  if (!t) return run();
  const lockName = t.lockName(name);
  const start = ctx.clock.monotonic();
  let outcome: AcquireOutcome = 'error';
  return t.inSpan('dynastore.lock.acquire', { [LOCK_NAME]: lockName }, async (span) => {
    try {
      const lease = await run();
      outcome = lease ? 'granted' : 'timeout';
      span.setAttributes({
        'dynastore.lock.outcome': outcome,
        ...(lease && { 'dynastore.lock.token': lease.token.toString() }),
      });
      return lease;
    } catch (err) {
      outcome = signal?.aborted ? 'aborted' : err instanceof LockTimeoutError ? 'timeout' : 'error';
      span.setAttributes({ 'dynastore.lock.outcome': outcome });
      span.setError(err, outcome === 'error');
      throw err;
    } finally {
      const seconds = (ctx.clock.monotonic() - start) / 1000;
      t.record('dynastore.lock.acquire.duration', seconds, { outcome, [LOCK_NAME]: lockName });
    }
  });
}

/** What the lease reports need to know of a lease. */
interface LeaseView {
  readonly key: string;
  readonly token: bigint;
}

/**
 * Runs one renewal cycle of a lease in a `dynastore.lease.renew` span (a session's row:
 * `dynastore.session.renew`), its outcome `renewed` or `lost` from `held()` afterwards.
 *
 * @example
 * ```ts
 * await reportRenewal(ctx, this, this.#kind, () => this.#renewCycle(), () => this.#state === 'held');
 * ```
 */
export function reportRenewal(
  ctx: LockContext,
  lease: LeaseView,
  kind: 'lock' | 'session',
  run: () => Promise<void>,
  held: () => boolean,
): Promise<void> {
  const t = ctx.telemetry;
  if (!t) return run();
  const name: SpanName = kind === 'session' ? 'dynastore.session.renew' : 'dynastore.lease.renew';
  return t.inSpan(name, attributes(t, lease, kind), async (span) => {
    await run();
    span.setAttributes({ 'dynastore.lock.outcome': held() ? 'renewed' : 'lost' });
  });
}

/**
 * Runs a release in a `dynastore.lock.release` span.
 *
 * @example
 * ```ts
 * this.#release ??= reportRelease(ctx, this, () => this.#doRelease());
 * ```
 */
export function reportRelease(ctx: LockContext, lease: LeaseView, run: () => Promise<void>): Promise<void> {
  const t = ctx.telemetry;
  if (!t) return run();
  return t.inSpan('dynastore.lock.release', attributes(t, lease, 'lock'), async (span) => {
    await run();
    span.setAttributes({ 'dynastore.lock.outcome': 'released' });
  });
}

/**
 * The end of a lease: records `dynastore.lock.hold.duration` (from the grant's sending to now)
 * and, unless it was released, one `dynastore.lease.lost` with its `reason`.
 *
 * @example
 * ```ts
 * reportLeaseEnd(ctx, this, 'lock', reason, this.#grantedAt);
 * ```
 */
export function reportLeaseEnd(
  ctx: LockContext,
  lease: LeaseView,
  kind: 'lock' | 'session',
  reason: LeaseEndReason,
  grantSentAt: number,
): void {
  const t = ctx.telemetry;
  if (!t) return;
  // a session row's key is a random id: metrics name all sessions alike
  const attrs = {
    [LOCK_NAME]: kind === 'session' ? 'session' : t.lockName(lease.key),
    'dynastore.lease.kind': kind,
  };
  t.record('dynastore.lock.hold.duration', Math.max(0, ctx.clock.monotonic() - grantSentAt) / 1000, attrs);
  if (reason !== 'released') t.record('dynastore.lease.lost', 1, { ...attrs, reason });
}

/**
 * The takeover rule that let a grant take a row from another holder: `lease-expired` (rule a:
 * its lease end, plus the clock-skew margin, passed), `observed-unchanged` (rule b: the row sat
 * unchanged for a lease and more), `session-dead` (the holder's session row is dead).
 *
 * @example
 * ```ts
 * const rule: TakeoverRule = 'lease-expired';
 * ```
 */
export type TakeoverRule = 'lease-expired' | 'observed-unchanged' | 'session-dead';

/**
 * Counts one takeover in `dynastore.lock.takeover` with its `rule`.
 *
 * @example
 * ```ts
 * reportTakeover(ctx, key, 'lease-expired');
 * ```
 */
export function reportTakeover(ctx: LockContext, key: string, rule: TakeoverRule): void {
  const t = ctx.telemetry;
  if (!t) return;
  t.record('dynastore.lock.takeover', 1, { [LOCK_NAME]: t.lockName(key), rule });
}

function attributes(t: Telemetry, lease: LeaseView, kind: 'lock' | 'session') {
  return {
    ...(kind === 'session' ? { 'dynastore.session.id': lease.key } : { [LOCK_NAME]: t.lockName(lease.key) }),
    'dynastore.lock.token': lease.token.toString(),
    'dynastore.lease.kind': kind,
  };
}
