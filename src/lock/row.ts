import type { Condition, StoredItem, WriteInput } from '../contract/backend.js';
import { grantTokenCmp, testMutants, unlessMutant } from './mutants.js';
import type { LockHolder } from './types.js';

/*
 * A lock row (partition `_locks` by default, key = the lock key):
 *
 *   owner       S   the holder; absent while free
 *   token       N   the fencing token of the last grant; kept when the lock is released
 *   leaseMs     N   the holder's lease length
 *   leaseUntil  N   lease end, epoch ms on the holder's wall clock; absent while free
 *   data        S   the holder's `data` option
 *   session     S   the id of the session the lease is tied to (session leases only: such a row
 *                   has no leaseUntil and no TTL while held; it is live exactly while its session
 *                   row in `_sessions` is, see session-row.ts)
 *   expires     N   TTL (epoch s): lease end (or release time) + retentionMs
 *   version     N   +1 on every write (grant, renewal, release)
 */

/**
 * Logical field names of a lock row.
 *
 * @example
 * ```ts
 * row.fields[LockField.token]; // the last fencing token
 * ```
 */
export const LockField = {
  owner: 'owner',
  token: 'token',
  leaseMs: 'leaseMs',
  leaseUntil: 'leaseUntil',
  data: 'data',
  session: 'session',
} as const;

const f = (name: string) => `field:${name}` as const;

/**
 * A lock row, decoded.
 *
 * @example
 * ```ts
 * const row: LockRow | undefined = decodeLockRow(item);
 * if (row?.owner) console.log(row.owner, row.token);
 * ```
 */
export interface LockRow {
  readonly key: string;
  readonly version: number;
  readonly owner: string | undefined;
  readonly token: bigint | undefined;
  readonly leaseMs: number | undefined;
  readonly leaseUntil: number | undefined;
  readonly data: string | undefined;
  /** The session the lease is tied to (its liveness is the session row's), if any. */
  readonly session?: string;
  /**
   * Set when another writer left the row unreadable as a lock (an owner that is not a string, a
   * token that is not a whole number, a lease end that is not a date, or an odd layout
   * attribute): nobody can tell who holds it. Contenders never take such a row by the takeover
   * rules; it reads as `InvalidItemError`.
   */
  readonly invalid?: { readonly attribute: string; readonly reason: string };
}

/**
 * Decodes a stored lock row (tokens may come back as `number` or `bigint`).
 *
 * @example
 * ```ts
 * const row = decodeLockRow(await backend.get('_locks', 'job'));
 * ```
 */
export function decodeLockRow(item: StoredItem | undefined): LockRow | undefined {
  if (!item) return undefined;
  const x = item.fields;
  const owner = x[LockField.owner];
  const token = x[LockField.token];
  const leaseMs = x[LockField.leaseMs];
  const leaseUntil = x[LockField.leaseUntil];
  const data = x[LockField.data];
  const session = x[LockField.session];
  const invalid = item.invalid
    ? { attribute: item.invalid.attribute, reason: item.invalid.reason }
    : oddLockField(item);
  return {
    ...(invalid && { invalid }),
    key: item.key,
    version: item.version,
    owner: typeof owner === 'string' ? owner : undefined,
    token: asBigInt(token),
    leaseMs:
      typeof leaseMs === 'number' ? leaseMs : typeof leaseMs === 'bigint' ? Number(leaseMs) : undefined,
    leaseUntil:
      typeof leaseUntil === 'number'
        ? leaseUntil
        : typeof leaseUntil === 'bigint'
          ? Number(leaseUntil)
          : undefined,
    data: typeof data === 'string' ? data : undefined,
    ...(typeof session === 'string' && { session }),
  };
}

/** Latest epoch ms a `Date` holds. */
const MAX_DATE_MS = 8.64e15;

/** The first lock attribute of a type or range no dynastore holder writes, if any. */
function oddLockField(item: StoredItem): { attribute: string; reason: string } | undefined {
  const x = item.fields;
  const opaque = item.opaque ?? [];
  for (const name of [
    LockField.owner,
    LockField.token,
    LockField.leaseMs,
    LockField.leaseUntil,
    LockField.data,
    LockField.session,
  ]) {
    if (opaque.includes(name))
      return { attribute: name, reason: 'is of a type no lock writes (a map, list, set, binary or null)' };
  }
  const owner = x[LockField.owner];
  if (owner !== undefined && typeof owner !== 'string')
    return { attribute: LockField.owner, reason: `is ${typeof owner}, not a string` };
  const data = x[LockField.data];
  if (data !== undefined && typeof data !== 'string')
    return { attribute: LockField.data, reason: `is ${typeof data}, not a string` };
  const session = x[LockField.session];
  if (session !== undefined && typeof session !== 'string')
    return { attribute: LockField.session, reason: `is ${typeof session}, not a string` };
  const token = x[LockField.token];
  if (token !== undefined && (asBigInt(token) === undefined || (asBigInt(token) as bigint) < 0n))
    return { attribute: LockField.token, reason: `is ${String(token)}, not a whole number >= 0` };
  const leaseUntil = x[LockField.leaseUntil];
  if (leaseUntil !== undefined && !(typeof leaseUntil === 'number' && Math.abs(leaseUntil) <= MAX_DATE_MS))
    return { attribute: LockField.leaseUntil, reason: `is ${String(leaseUntil)}, not epoch milliseconds` };
  const leaseMs = x[LockField.leaseMs];
  if (leaseMs !== undefined && !(typeof leaseMs === 'number' && leaseMs > 0 && leaseMs <= MAX_DATE_MS))
    return {
      attribute: LockField.leaseMs,
      reason: `is ${String(leaseMs)}, not a positive number of milliseconds`,
    };
  return undefined;
}

function asBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

/**
 * The holder a row names, or undefined when the row is free.
 *
 * @example
 * ```ts
 * const h = holderOf(row);
 * ```
 */
export function holderOf(row: LockRow | undefined): LockHolder | undefined {
  if (!row?.owner || row.token === undefined || row.invalid) return undefined;
  return {
    key: row.key,
    owner: row.owner,
    token: row.token,
    data: row.data,
    expiresAt: new Date(row.leaseUntil ?? 0),
    leaseMs: row.leaseMs ?? 0,
    ...(row.session !== undefined && { session: row.session }),
  };
}

/**
 * The fencing token floor at wall time `nowMs`: `nowMs * 1000`. Grants take
 * `max(floor, lastToken + 1)`, so tokens keep increasing even after the row (and its last
 * token) was deleted, as long as clocks are not off by more than the time since the last grant.
 *
 * @example
 * ```ts
 * tokenFloor(1_700_000_000_000); // 1_700_000_000_000_000n
 * ```
 */
export function tokenFloor(nowMs: number): bigint {
  return BigInt(Math.floor(nowMs)) * 1000n;
}

/**
 * What a grant may take over, beyond a free or absent row.
 *
 * @example
 * ```ts
 * const t: TakeoverClauses = { expiredBefore: Date.now() - 1_000, observed: { version: 7, token: 42n } };
 * ```
 */
export interface TakeoverClauses {
  /** Rule (a): the recorded lease end is before this (contender's wall clock minus max skew). */
  readonly expiredBefore: number;
  /** Rule (b): the row is still exactly the one observed unchanged for a full lease + drift margin. */
  readonly observed?: { readonly version: number; readonly token: bigint };
}

/**
 * The condition of a grant with token `token`: the row's token is absent or below `token`, and
 * the row is free (no owner), expired by the wall-clock rule, or unchanged since the observation.
 * An absent row passes both halves (it has neither token nor owner), so it needs no clause of its
 * own: the condition stays as short as the rules it checks.
 *
 * @example
 * ```ts
 * grantCondition(42n, { expiredBefore: Date.now() - 1_000 });
 * ```
 */
export function grantCondition(token: bigint, takeover: TakeoverClauses): Condition {
  // a session lease is never renewed on its own row: only its session row says it is dead
  const mayTake = mayTakeClauses(takeover, [{ op: 'attrNotExists', attr: f(LockField.session) }]);
  return {
    op: 'and',
    all: [
      {
        op: 'or',
        any: [
          { op: 'attrNotExists', attr: f(LockField.token) },
          { op: 'cmp', attr: f(LockField.token), cmp: grantTokenCmp(), value: token },
        ],
      },
      { op: 'or', any: mayTake },
    ],
  };
}

/**
 * The takeover rules as clauses on a held row (lock or session row): it has no owner, its lease end
 * is before `expiredBefore` (rule (a)), or it is still exactly the observed version and token
 * (rule (b); `observedAlso` adds clauses to that one).
 *
 * @example
 * ```ts
 * const anyOf = mayTakeClauses({ expiredBefore: Date.now() - 1_000 });
 * ```
 */
export function mayTakeClauses(
  takeover: TakeoverClauses,
  observedAlso: readonly Condition[] = [],
): Condition[] {
  const clauses: Condition[] = [
    { op: 'attrNotExists', attr: f(LockField.owner) },
    { op: 'cmp', attr: f(LockField.leaseUntil), cmp: '<', value: takeover.expiredBefore },
  ];
  if (takeover.observed) {
    clauses.push({
      op: 'and',
      all: [
        { op: 'cmp', attr: 'version', cmp: '=', value: takeover.observed.version },
        { op: 'cmp', attr: f(LockField.token), cmp: '=', value: takeover.observed.token },
        ...observedAlso,
      ],
    });
  }
  return clauses;
}

/**
 * The row still names this holder: owner and token both match. Guards renewals, releases and
 * fenced writes.
 *
 * @example
 * ```ts
 * heldBy('web-1:42:ab', 1_700_000_000_000_000n);
 * ```
 */
export function heldBy(owner: string, token: bigint): Condition {
  return {
    op: 'and',
    all: [
      { op: 'cmp', attr: f(LockField.owner), cmp: '=', value: owner },
      { op: 'cmp', attr: f(LockField.token), cmp: '=', value: token },
    ],
  };
}

/**
 * The condition of a renewal to lease end `leaseUntil`: {@link heldBy} (owner and token), and the
 * recorded lease end is before `leaseUntil` (it never moves back).
 *
 * @example
 * ```ts
 * renewCondition({ owner: 'web-1', token: 42n }, Date.now() + 10_000);
 * ```
 */
export function renewCondition(
  holder: { readonly owner: string; readonly token: bigint },
  leaseUntil: number,
): Condition {
  return {
    op: 'and',
    all: [
      { op: 'cmp', attr: f(LockField.owner), cmp: '=', value: holder.owner },
      { op: 'cmp', attr: f(LockField.token), cmp: '=', value: holder.token },
      { op: 'cmp', attr: f(LockField.leaseUntil), cmp: '<', value: leaseUntil },
    ],
  };
}

/**
 * Where a lock row lives and who writes it.
 *
 * @example
 * ```ts
 * const target: RowTarget = { partition: '_locks', key: 'job' };
 * ```
 */
export interface RowTarget {
  readonly partition: string;
  readonly key: string;
}

/**
 * What a grant or renewal writes.
 *
 * @example
 * ```ts
 * const terms: LeaseTerms = { owner: 'w1', token: 42n, leaseMs: 10_000, retentionMs: 86_400_000, data: undefined };
 * ```
 */
export interface LeaseTerms {
  readonly owner: string;
  readonly token: bigint;
  readonly leaseMs: number;
  readonly retentionMs: number;
  readonly data: string | undefined;
}

/**
 * The grant write: owner, token, lease end and TTL, under {@link grantCondition}.
 *
 * @example
 * ```ts
 * await backend.write(grantWrite(target, terms, Date.now(), { expiredBefore: Date.now() - 1_000 }));
 * ```
 */
export function grantWrite(
  target: RowTarget,
  terms: LeaseTerms,
  nowMs: number,
  takeover: TakeoverClauses,
): WriteInput {
  const leaseUntil = nowMs + terms.leaseMs;
  return {
    partition: target.partition,
    key: target.key,
    expiresSec: ttlSec(leaseUntil, terms.retentionMs),
    fields: {
      [LockField.owner]: terms.owner,
      [LockField.token]: terms.token,
      [LockField.leaseMs]: terms.leaseMs,
      [LockField.leaseUntil]: leaseUntil,
      [LockField.data]: terms.data ?? null,
    },
    condition: grantCondition(terms.token, takeover),
  };
}

/**
 * The renewal write: a new lease end (and TTL), only while the row still names this holder and
 * its lease end is before the new one. The second clause keeps a late renewal (one that timed out
 * at the holder and reached the store after a later one) from moving the lease end back: rule (a)
 * would then let a contender take a lease its holder still trusts.
 *
 * @example
 * ```ts
 * await backend.write(renewWrite(target, terms, Date.now()));
 * ```
 */
export function renewWrite(target: RowTarget, terms: LeaseTerms, nowMs: number): WriteInput {
  const leaseUntil = nowMs + terms.leaseMs;
  return {
    partition: target.partition,
    key: target.key,
    expiresSec: ttlSec(leaseUntil, terms.retentionMs),
    fields: { [LockField.leaseUntil]: leaseUntil, [LockField.leaseMs]: terms.leaseMs },
    ...unlessMutant(testMutants.renewalWithoutCondition, renewCondition(terms, leaseUntil)),
  };
}

/**
 * The release write: clears owner, lease end and data but keeps the token (the next grant must
 * exceed it), only while the row still names this holder. The row stays for `retentionMs`.
 *
 * @example
 * ```ts
 * await backend.write(releaseWrite(target, terms, Date.now()));
 * ```
 */
export function releaseWrite(target: RowTarget, terms: LeaseTerms, nowMs: number): WriteInput {
  return {
    partition: target.partition,
    key: target.key,
    expiresSec: ttlSec(nowMs, terms.retentionMs),
    fields: {
      [LockField.owner]: null,
      [LockField.leaseUntil]: null,
      [LockField.data]: null,
      [LockField.leaseMs]: null,
    },
    ...unlessMutant(testMutants.releaseWithoutCondition, heldBy(terms.owner, terms.token)),
  };
}

function ttlSec(fromMs: number, retentionMs: number): number {
  return Math.ceil((fromMs + retentionMs) / 1000);
}
