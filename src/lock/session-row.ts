import type { Condition, TransactItem, WriteInput } from '../contract/backend.js';
import { WRITE_ID_FIELD } from '../contract/write-id.js';
import { type LeaseTerms, LockField, mayTakeClauses, type RowTarget } from './row.js';

/*
 * A session row (partition and sort key both = the session id, `<prefix>_session/<24 hex digits>`:
 * a partition key of its own, like every lock) is a lock row of its own: owner,
 * token, leaseMs, leaseUntil, data, expires, version, renewed by the session's one heartbeat
 * (a `Lease` on it). A dead session row has no owner (closed, or killed by a takeover).
 *
 * A lock row granted to a session lease carries `session` = the session id, no `leaseUntil` and no
 * TTL while held: it is never renewed and lives exactly as long as its session row does.
 */

/**
 * Where the row of session `id` is: partition key and sort key are both the id (which starts with
 * the session's prefix), so that every contender finds the session a lock row names from the id
 * alone, and no two sessions share a partition key.
 *
 * @example
 * ```ts
 * const { partition, key } = sessionRowOf(session.id);
 * await store.backend.get(partition, key); // the raw session row
 * ```
 */
export function sessionRowOf(id: string): RowTarget {
  return { partition: id, key: id };
}

const f = (name: string) => `field:${name}` as const;

/**
 * A grant (or any write of a lock row's lease fields) turned into a session lease's grant: the
 * row names `sessionId` and has no lease end and no TTL (the session row's liveness is the lock's).
 *
 * @example
 * ```ts
 * await backend.write(bindToSession(grantWrite(target, terms, now, takeover), session.id));
 * ```
 */
export function bindToSession(write: WriteInput, sessionId: string): WriteInput {
  return {
    ...write,
    expiresSec: null,
    fields: { ...write.fields, [LockField.leaseUntil]: null, [LockField.session]: sessionId },
  };
}

/**
 * A release write that also unties the row from its session (a session lease's release).
 *
 * @example
 * ```ts
 * await backend.write(unbindFromSession(releaseWrite(target, terms, now)));
 * ```
 */
export function unbindFromSession(write: WriteInput): WriteInput {
  return { ...write, fields: { ...write.fields, [LockField.session]: null } };
}

/**
 * What a contender saw of a session row, for the kill condition.
 *
 * @example
 * ```ts
 * const seen: SessionTakeover = { sessionId: 's1', expiredBefore: Date.now() - 1_000, observed: { version: 4, token: 7n } };
 * ```
 */
export interface SessionTakeover {
  readonly sessionId: string;
  /** Rule (a): the session's recorded lease end is before this (wall clock minus max skew). */
  readonly expiredBefore: number;
  /** Rule (b): the session row is still exactly the one observed unchanged for its lease + drift. */
  readonly observed?: { readonly version: number; readonly token: bigint };
}

/**
 * The condition under which a session is dead: its row is absent, has no owner (closed or killed),
 * its lease end is before `expiredBefore` (rule (a)), or it is still the very row observed
 * unchanged for a whole session lease (rule (b)).
 *
 * @example
 * ```ts
 * sessionDead({ sessionId: 's1', expiredBefore: Date.now() - 1_000 });
 * ```
 */
export function sessionDead(takeover: SessionTakeover): Condition {
  return { op: 'or', any: [{ op: 'notExists' }, ...mayTakeClauses(takeover)] };
}

/**
 * The first item of a takeover transaction: marks the session row dead (clears owner and lease
 * end, keeps the token) under {@link sessionDead}. A paused session that wakes up finds its next
 * renewal refused, so it aborts every lease it still believes it holds.
 *
 * @example
 * ```ts
 * const kill = killSessionItem({ sessionId: 's1', expiredBefore: now - 1_000 }, now, 86_400_000);
 * ```
 */
export function killSessionItem(takeover: SessionTakeover, nowMs: number, retentionMs: number): TransactItem {
  return {
    kind: 'write',
    ...sessionRowOf(takeover.sessionId),
    expiresSec: Math.ceil((nowMs + retentionMs) / 1000),
    fields: {
      [LockField.owner]: null,
      [LockField.leaseUntil]: null,
      [LockField.data]: null,
    },
    condition: sessionDead(takeover),
  };
}

/**
 * The second item of a takeover transaction: the grant of a lock row bound to session
 * `fromSession`, allowed only while the row still names that session and its token is below the
 * new one. `grant` is the contender's usual grant write (per-lock, or already bound to its own
 * session with {@link bindToSession}); a per-lock grant also unties the row from `fromSession`.
 * The write id marks the grant, so an answer lost in the network is settled by reading the row.
 *
 * @example
 * ```ts
 * const item = sessionGrantItem(grantWrite(target, terms, now, takeover), 's1', writeId);
 * ```
 */
export function sessionGrantItem(grant: WriteInput, fromSession: string, writeId: string): TransactItem {
  const fields = grant.fields ?? {};
  return {
    kind: 'write',
    ...grant,
    fields: {
      ...fields,
      ...(fields[LockField.session] === undefined && { [LockField.session]: null }),
      [WRITE_ID_FIELD]: writeId,
    },
    condition: {
      op: 'and',
      all: [
        { op: 'cmp', attr: f(LockField.session), cmp: '=', value: fromSession },
        { op: 'cmp', attr: f(LockField.token), cmp: '<', value: tokenOf(grant) },
      ],
    },
  };
}

/**
 * The session row's first write: the session's terms, only if no row has this (random) id yet.
 *
 * @example
 * ```ts
 * await settledWrite(backend, openSessionWrite(target, terms, Date.now()), { readBackOn });
 * ```
 */
export function openSessionWrite(target: RowTarget, terms: LeaseTerms, nowMs: number): WriteInput {
  const leaseUntil = nowMs + terms.leaseMs;
  return {
    partition: target.partition,
    key: target.key,
    expiresSec: Math.ceil((leaseUntil + terms.retentionMs) / 1000),
    fields: {
      [LockField.owner]: terms.owner,
      [LockField.token]: terms.token,
      [LockField.leaseMs]: terms.leaseMs,
      [LockField.leaseUntil]: leaseUntil,
      ...(terms.data !== undefined && { [LockField.data]: terms.data }),
    },
    condition: { op: 'notExists' },
  };
}

function tokenOf(grant: WriteInput): bigint {
  const token = grant.fields?.[LockField.token];
  if (typeof token !== 'bigint') throw new Error('unreachable: a grant writes a bigint token');
  return token;
}
