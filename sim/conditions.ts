import type { Backend } from '../src/index.js';

type Condition = NonNullable<Parameters<Backend['write']>[0]['condition']>;
type WriteInput = Parameters<Backend['write']>[0];

/**
 * Recognising lock writes from the outside, by what they write (the simulator sees only the store
 * contract): a grant sets `owner`, a release clears it, a renewal sets `leaseUntil` alone; the
 * latter two are guarded by `owner = o AND token = t` (a renewal also by `leaseUntil < new`).
 */
export type LockWrite =
  | { readonly kind: 'grant'; readonly owner: string; readonly token: bigint }
  | { readonly kind: 'renew' | 'release'; readonly owner: string; readonly token: bigint }
  | undefined;

/**
 * Classifies a write as a lock grant, renewal or release (undefined: something else).
 *
 * @example
 * ```ts
 * const w = lockWrite(input); // { kind: 'renew', owner: 'p1.1', token: 1700000000000000n }
 * ```
 */
export function lockWrite(input: WriteInput): LockWrite {
  const f = input.fields;
  if (!f) return undefined;
  if (typeof f.owner === 'string' && typeof f.token === 'bigint')
    return { kind: 'grant', owner: f.owner, token: f.token };
  const held = heldByOf(input.condition);
  if (!held) return undefined;
  if (f.owner === null) return { kind: 'release', ...held };
  if (f.leaseUntil !== undefined && f.owner === undefined) return { kind: 'renew', ...held };
  return undefined;
}

function heldByOf(c: Condition | undefined): { owner: string; token: bigint } | undefined {
  // owner and token first; a renewal adds `leaseUntil < new`
  if (c?.op !== 'and' || c.all.length < 2) return undefined;
  const [a, b] = c.all;
  if (a?.op !== 'cmp' || b?.op !== 'cmp') return undefined;
  if (a.attr !== 'field:owner' || b.attr !== 'field:token') return undefined;
  if (typeof a.value !== 'string' || typeof b.value !== 'bigint') return undefined;
  return { owner: a.value, token: b.value };
}

/**
 * The parts of a grant condition: `tokenClause AND (mayTake...) [AND more...]` (an absent row
 * passes the first two, having neither token nor owner). Throws when the shape is not the one the
 * mutants know (a changed grant must update them).
 */
function grantParts(c: Condition | undefined): {
  tokenClause: Condition;
  mayTake: readonly Condition[];
  more: readonly Condition[];
} {
  if (c?.op === 'and' && c.all.length >= 2) {
    const [tokenClause, may, ...more] = c.all;
    if (tokenClause?.op === 'or' && may?.op === 'or') return { tokenClause, mayTake: may.any, more };
  }
  throw new Error(`simulator: unknown grant condition shape ${JSON.stringify(c, bigintJson)}`);
}

/**
 * Mutant "grant without the token check": the grant's condition minus `token < newToken`.
 *
 * @example
 * ```ts
 * const broken = withoutTokenCheck(input.condition);
 * ```
 */
export function withoutTokenCheck(c: Condition | undefined): Condition {
  const p = grantParts(c);
  return { op: 'and', all: [{ op: 'or', any: p.mayTake }, ...p.more] };
}

/**
 * Mutant "rule (b) without waiting": the grant may take the row as soon as the contender has
 * seen it once (version and token as last seen), as if a full lease of observation had passed.
 *
 * @example
 * ```ts
 * const broken = withImmediateObservation(input.condition, { version: 7, token: 42n });
 * ```
 */
export function withImmediateObservation(
  c: Condition | undefined,
  seen: { readonly version: number; readonly token: bigint },
): Condition {
  const p = grantParts(c);
  const observed: Condition = {
    op: 'and',
    all: [
      { op: 'cmp', attr: 'version', cmp: '=', value: seen.version },
      { op: 'cmp', attr: 'field:token', cmp: '=', value: seen.token },
    ],
  };
  return { op: 'and', all: [p.tokenClause, { op: 'or', any: [...p.mayTake, observed] }, ...p.more] };
}

/**
 * Whether a grant may take its row by rule (b): its condition carries an observation clause.
 *
 * @example
 * ```ts
 * if (observes(input)) ruleBGrants++;
 * ```
 */
export function observes(input: WriteInput): boolean {
  const c = input.condition;
  const may = c?.op === 'and' ? c.all[1] : undefined;
  return may?.op === 'or' && may.any.some((m) => m.op === 'and');
}

/** `JSON.stringify` replacer for bigints. */
export function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
