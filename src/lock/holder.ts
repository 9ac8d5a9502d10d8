import type { StoredItem } from '../contract/backend.js';
import { InvalidItemError } from '../contract/errors/store.js';
import { isLive } from '../contract/evaluate.js';
import { decodeLockRow, holderOf } from './row.js';
import { sessionRowOf } from './session-row.js';
import type { LockContext, LockHolder } from './types.js';

/**
 * The holder a row names, unless the row is TTL-expired or the lease ended more than `skewMs`
 * before `nowMs`. Throws `InvalidItemError` for a row another writer left unreadable.
 *
 * @example
 * ```ts
 * liveHolder(item, Date.now(), 1_000);
 * ```
 */
export function liveHolder(
  item: StoredItem | undefined,
  nowMs: number,
  skewMs: number,
): LockHolder | undefined {
  if (!isLive(item, nowMs)) return undefined;
  const row = decodeLockRow(item);
  if (row?.invalid)
    throw new InvalidItemError(item.partition, item.key, row.invalid.attribute, row.invalid.reason);
  const holder = holderOf(row);
  if (!holder || holder.expiresAt.getTime() + skewMs < nowMs) return undefined;
  return holder;
}

/**
 * Whether session row `item` is live at `nowMs`: it exists, has an owner, and its lease end +
 * `skewMs` has not passed (the same rule (a) a contender applies). Throws `InvalidItemError` for
 * a live session row another writer left unreadable: nobody can tell whether that session lives
 * (no contender takes its locks), so it is neither live nor dead.
 *
 * @example
 * ```ts
 * sessionLive(await backend.get(id, id), Date.now(), 1_000); // a session row: see sessionRowOf
 * ```
 */
export function sessionLive(item: StoredItem | undefined, nowMs: number, skewMs: number): boolean {
  if (!isLive(item, nowMs)) return false;
  const row = decodeLockRow(item);
  if (row?.invalid)
    throw new InvalidItemError(item.partition, item.key, row.invalid.attribute, row.invalid.reason);
  if (!row?.owner) return false;
  return row.leaseUntil !== undefined && row.leaseUntil + skewMs >= nowMs;
}

/**
 * The holder lock row `item` names, if its lease is live, like `liveHolder`; for a row tied to a
 * session, live exactly while its session row is (one more strongly consistent read, of the
 * session row; `sessions` caches them across the rows of one call), with the session's lease end
 * as `expiresAt`. Throws `InvalidItemError` when the lock row, or the session row it names, was left
 * unreadable by another writer.
 *
 * @example
 * ```ts
 * const h = await holderNow(store, await backend.get('_lock/job', 'job'), 1_000);
 * ```
 */
export async function holderNow(
  ctx: LockContext,
  item: StoredItem | undefined,
  skewMs: number,
  sessions = new Map<string, Promise<StoredItem | undefined>>(),
): Promise<LockHolder | undefined> {
  const nowMs = ctx.clock.now();
  const row = isLive(item, nowMs) ? decodeLockRow(item) : undefined;
  const id = row?.session;
  if (id === undefined || row?.invalid) return liveHolder(item, nowMs, skewMs);
  const holder = holderOf(row);
  if (!holder) return undefined;
  let read = sessions.get(id);
  if (!read) {
    const at = sessionRowOf(id);
    read = ctx.backend.get(at.partition, at.key, { consistent: true });
    sessions.set(id, read);
  }
  const session = await read;
  // a session row another writer left unreadable: nobody can tell whether the session lives, so no
  // contender takes its locks; sessionLive says so (InvalidItemError) rather than report them free
  if (!sessionLive(session, ctx.clock.now(), skewMs)) return undefined;
  const sessionRow = decodeLockRow(session);
  return { ...holder, expiresAt: new Date(sessionRow?.leaseUntil ?? 0) };
}
