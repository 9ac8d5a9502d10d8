import type { StoredItem } from '../contract/backend.js';
import { isLive } from '../contract/evaluate.js';
import { ruleBWaitMs } from './contender.js';
import { decodeLockRow } from './row.js';
import { sessionRowOf } from './session-row.js';

/*
 * Rows bound to a session (lock rows, and key/value rows written with `put(key, value, { session })`)
 * carry the session's id in `session`. A key/value row also records the writer session's
 * `maxClockSkewMs` in `sessionSkewMs`, so that a reader applies the same wall-clock margin the
 * session's lock contenders do.
 */

/**
 * The field of a key/value row that names its session.
 *
 * @example
 * ```ts
 * item.fields[KV_SESSION_FIELD]; // '3f2a...'
 * ```
 */
export const KV_SESSION_FIELD = 'session';
/**
 * The field of a key/value row that records its session's `maxClockSkewMs`.
 *
 * @example
 * ```ts
 * item.fields[KV_SESSION_SKEW_FIELD]; // 1000
 * ```
 */
export const KV_SESSION_SKEW_FIELD = 'sessionSkewMs';

/**
 * Where session `id`'s row lives (one place, so that a change of the table layout is one change).
 *
 * @example
 * ```ts
 * const { partition, key } = sessionRowTarget(session.id);
 * ```
 */
export function sessionRowTarget(id: string): { readonly partition: string; readonly key: string } {
  return sessionRowOf(id);
}

/**
 * The session id a row change at (`partition`, `key`) is the session row of, if it is one.
 *
 * @example
 * ```ts
 * sessionIdOfRow(change.partition, change.key); // '3f2a...' or undefined
 * ```
 */
export function sessionIdOfRow(partition: string, key: string): string | undefined {
  const row = sessionRowOf(key);
  return row.partition === partition && row.key === key && SESSION_ID.test(key) ? key : undefined;
}

/** A session id: `<prefix>_session/` and 24 hex digits (see `placement.ts`). */
const SESSION_ID = /_session\/[0-9a-f]{24}$/;

/**
 * The session a key/value row is bound to, and the skew margin its writer declared.
 *
 * @example
 * ```ts
 * const bound = kvSessionOf(item); // { id: '3f2a...', skewMs: 1_000 } or undefined
 * ```
 */
export function kvSessionOf(item: StoredItem | undefined): { id: string; skewMs: number } | undefined {
  const id = item?.fields[KV_SESSION_FIELD];
  if (typeof id !== 'string') return undefined;
  const skew = item?.fields[KV_SESSION_SKEW_FIELD];
  const skewMs = typeof skew === 'number' && Number.isFinite(skew) && skew >= 0 ? skew : DEFAULT_SKEW_MS;
  return { id, skewMs };
}

const DEFAULT_SKEW_MS = 1_000;

/**
 * How long until the takeover rules allow taking the locks of the session whose row is `item`,
 * as one observer sees it: 0 when it is dead now (absent, TTL-expired, or with no owner: closed or
 * killed), else the earlier of rule (a) (its lease end + `skewMs` behind `nowMs`, wall clock) and
 * rule (b) (this very row seen unchanged since monotonic `seenSince` for `ruleBWaitMs(leaseMs)`).
 * `Infinity` for a row another writer left unreadable: nobody takes such a session's locks.
 *
 * @example
 * ```ts
 * const ms = sessionDeadInMs(row, seenAt, clock.monotonic(), clock.now(), 1_000);
 * if (ms <= 0) console.log('dead');
 * ```
 */
export function sessionDeadInMs(
  item: StoredItem | undefined,
  seenSince: number,
  nowMonotonic: number,
  nowMs: number,
  skewMs: number,
): number {
  if (!isLive(item, nowMs)) return 0;
  const row = decodeLockRow(item);
  if (!row || row.invalid) return Number.POSITIVE_INFINITY;
  if (!row.owner) return 0;
  const byWall = row.leaseUntil === undefined ? Number.POSITIVE_INFINITY : row.leaseUntil + skewMs - nowMs;
  const byObservation =
    row.leaseMs === undefined
      ? Number.POSITIVE_INFINITY
      : seenSince + ruleBWaitMs(row.leaseMs) - nowMonotonic;
  return Math.max(0, Math.min(byWall < 0 ? 0 : byWall + 1, byObservation));
}
