import type { Condition, TransactItem } from '../contract/backend.js';

/**
 * TEST-ONLY switches that break one lock behaviour on purpose, so the deterministic simulator
 * (`npm run sim -- --mutant <name>`) can prove its checkers catch the break. Not exported from the
 * package; nothing in the library sets them; production code only reads them, each in one line at
 * the place named in its comment.
 *
 * Only what cannot be broken from outside the library lives here: the other mutants (grants
 * without the token check, rule (b) without waiting, a watch that drops a change) are made by the
 * simulator's store wrapper in `sim/`.
 *
 * @example
 * ```ts
 * testMutants.releaseSkipsInflightRenewal = true; // sim only
 * ```
 */
export const testMutants = {
  /** `Lease.release()` (src/lock/lease.ts) stops waiting for an in-flight renewal. */
  releaseSkipsInflightRenewal: false,
  /** Takeover rule (a) (`Contender`, src/lock/contender.ts) forgets the `maxClockSkewMs` margin. */
  ruleAWithoutSkewMargin: false,
  /**
   * The session takeover rules (`SessionRows`, src/lock/session-takeover.ts, made by `Contender`
   * in src/lock/contender.ts) stop waiting: a contender takes a session's locks as soon as it has
   * read the session row once, live or not (its transaction's kill condition then holds too).
   */
  sessionTakeoverWithoutWaiting: false,
  /** `releaseWrite` (src/lock/row.ts) loses its `owner = o AND token = t` condition. */
  releaseWithoutCondition: false,
  /** `renewWrite` (src/lock/row.ts) loses its `owner = o AND token = t` condition. */
  renewalWithoutCondition: false,
  /** `grantCondition` (src/lock/row.ts) checks `token <= newToken` instead of `token < newToken`. */
  grantTokenOrEqual: false,
  /**
   * Rule (b) (`Contender.learnRow`, src/lock/contender.ts) counts from the first sight of the
   * holder (its token), not from the last change of the row: renewals no longer restart it.
   */
  ruleBFromFirstSight: false,
  /**
   * Rule (b) (`Contender.learnRow`, src/lock/contender.ts) counts from when the read (or refused
   * grant) that showed the row was *sent*, not from when its answer arrived (src/lock/acquire.ts
   * passes the send time).
   */
  ruleBFromReadSent: false,
  /**
   * The session takeover transaction (src/lock/session-takeover.ts) only checks the session row's
   * death instead of writing it dead: the session row stays live, so a late renewal of it succeeds.
   */
  sessionTakeoverWithoutKill: false,
  /** The fenced-write guard (src/lock/fence.ts) checks `owner = o AND token >= t` instead of `token = t`. */
  fenceTokenAtLeast: false,
};

/**
 * `condition` unless `drop` (mutants `releaseWithoutCondition`, `renewalWithoutCondition`: the
 * write then has no condition at all).
 *
 * @example
 * ```ts
 * const input = { partition, key, fields, ...unlessMutant(testMutants.releaseWithoutCondition, heldBy(o, t)) };
 * ```
 */
export function unlessMutant(drop: boolean, condition: Condition): { condition?: Condition } {
  return drop ? {} : { condition };
}

/**
 * The grant's token comparison: `<`, or `<=` under `grantTokenOrEqual`.
 *
 * @example
 * ```ts
 * const c = { op: 'cmp', attr: 'field:token', cmp: grantTokenCmp(), value: token };
 * ```
 */
export function grantTokenCmp(): '<' | '<=' {
  return testMutants.grantTokenOrEqual ? '<=' : '<';
}

/**
 * Where rule (b)'s observation of a changed row starts: `now`; under `ruleBFromFirstSight` the
 * earlier observation of the same token (`seen.since`); under `ruleBFromReadSent` the send time
 * of the call that returned the row.
 *
 * @example
 * ```ts
 * const since = ruleBSince(seen, row.token, sentAt, clock.monotonic());
 * ```
 */
export function ruleBSince(
  seen: { readonly token: bigint | undefined; readonly since: number } | undefined,
  token: bigint | undefined,
  sentAt: number | undefined,
  now: number,
): number {
  if (testMutants.ruleBFromFirstSight && seen && seen.token === token) return seen.since;
  if (testMutants.ruleBFromReadSent && sentAt !== undefined) return sentAt;
  return now;
}

/**
 * The session takeover's kill item, or (under `sessionTakeoverWithoutKill`) a check of its
 * condition that leaves the session row as it is.
 *
 * @example
 * ```ts
 * await backend.transact([killItem(kill), grant]);
 * ```
 */
export function killItem(item: TransactItem): TransactItem {
  if (!testMutants.sessionTakeoverWithoutKill || item.kind !== 'write' || !item.condition) return item;
  return { kind: 'check', partition: item.partition, key: item.key, condition: item.condition };
}

/**
 * The fenced-write guard, or (under `fenceTokenAtLeast`) the same check with `token >= t`.
 *
 * @example
 * ```ts
 * await backend.transact([fenceGuard(lease.guard()), item]);
 * ```
 */
export function fenceGuard<T extends TransactItem>(check: T): T {
  if (!testMutants.fenceTokenAtLeast || check.kind !== 'check' || check.condition.op !== 'and') return check;
  const all = check.condition.all.map((c) =>
    c.op === 'cmp' && c.attr === 'field:token' ? { ...c, cmp: '>=' as const } : c,
  );
  return { ...check, condition: { op: 'and', all } };
}
