import type { Condition } from './backend.js';

/*
 * The key/value state machine, in named clauses. A row is *live* when it exists and its `expires`
 * (epoch seconds) is absent or still ahead; an expired row DynamoDB has not reaped yet is absent
 * to every read and may be overwritten by a create.
 *
 *   create (atomicPut, no previous):  absent  OR  expired
 *   compare-and-swap (previous):      version = previous.version  AND  live
 *   compare-and-delete (previous):    version = previous.version  AND  live
 */

/**
 * The row does not exist, or it expired at or before `nowSec`.
 *
 * @example
 * ```ts
 * absentOrExpired(Math.floor(Date.now() / 1000));
 * ```
 */
export function absentOrExpired(nowSec: number): Condition {
  return { op: 'or', any: [{ op: 'notExists' }, { op: 'cmp', attr: 'expires', cmp: '<=', value: nowSec }] };
}

/**
 * The row exists and has no expiry, or one after `nowSec`.
 *
 * @example
 * ```ts
 * liveAt(Math.floor(Date.now() / 1000));
 * ```
 */
export function liveAt(nowSec: number): Condition {
  return {
    op: 'and',
    all: [
      { op: 'exists' },
      {
        op: 'or',
        any: [
          { op: 'attrNotExists', attr: 'expires' },
          { op: 'cmp', attr: 'expires', cmp: '>', value: nowSec },
        ],
      },
    ],
  };
}

/**
 * The row is live and still at `version`.
 *
 * @example
 * ```ts
 * liveAtVersion(3, nowSec);
 * ```
 */
export function liveAtVersion(version: number, nowSec: number): Condition {
  return { op: 'and', all: [{ op: 'cmp', attr: 'version', cmp: '=', value: version }, liveAt(nowSec)] };
}
