import { type CounterLine, checkCounter } from './counter.js';
import { checkExclusion, type HoldEvents, type HoldLine } from './exclusion.js';

/** One line of a session worker: a lock event carries the lock's `key`. */
export type SessionLine = HoldLine & { readonly t: number; readonly key?: string };

/** What {@link checkSessions} found, summed over the lock keys. */
export interface SessionVerdict {
  /** Sessions opened, and how the ones that ended before the run did ended (`session-end` reasons). */
  readonly sessions: number;
  readonly sessionEnds: Record<string, number>;
  /** Keys of the pool that were held at least once. */
  readonly keys: number;
  /** The most locks one session held at once. */
  readonly maxLocksPerSession: number;
  readonly holds: number;
  readonly claims: number;
  /** Holds of one key by different leases that overlapped in time (per key, as `checkExclusion`). */
  readonly overlaps: number;
  readonly maxOverlapMs: number;
  /** Tokens of one key claimed by two workers. */
  readonly sharedIds: number;
  /** Grants of a key whose previous holder had not released it (dead, paused or its session lost). */
  readonly takeovers: number;
  /** The fenced counters (one per key), summed. */
  readonly increments: number;
  readonly acknowledged: number;
  readonly ambiguous: number;
  readonly fencedRejections: number;
  readonly lostUpdates: number;
  readonly phantoms: number;
  readonly staleAccepted: number;
  readonly tokenViolations: number;
  /** Overlaps + shared tokens + every counter violation: zero in a correct run. */
  readonly violations: number;
  readonly details: readonly string[];
}

const EVENTS: HoldEvents = { claim: 'held', id: 'token', start: 'granted', end: 'release' };

/**
 * Checks the session workload: per lock key, lease exclusion (`checkExclusion` on that key's
 * claims: no two holders at once, whether session or not) and the key's fenced counter
 * (`checkCounter` against its final value: no lost update, no stale write accepted).
 *
 * @example
 * ```ts
 * const v = checkSessions(sessionGroup.lines, new Map([['k0', 17]]));
 * if (v.violations > 0) console.error(v.details);
 * ```
 */
export function checkSessions(
  lines: readonly SessionLine[],
  finals: ReadonlyMap<string, number>,
): SessionVerdict {
  const byKey = new Map<string, SessionLine[]>();
  const sessionEnds: Record<string, number> = {};
  let sessions = 0;
  for (const l of lines) {
    if (l.ev === 'session') sessions++;
    if (l.ev === 'session-end') {
      const reason = String(l.reason);
      sessionEnds[reason] = (sessionEnds[reason] ?? 0) + 1;
    }
    if (typeof l.key !== 'string') continue;
    let list = byKey.get(l.key);
    if (!list) {
      list = [];
      byKey.set(l.key, list);
    }
    list.push(l);
  }
  const details: string[] = [];
  let v = {
    holds: 0,
    claims: 0,
    overlaps: 0,
    maxOverlapMs: 0,
    sharedIds: 0,
    takeovers: 0,
    increments: 0,
    acknowledged: 0,
    ambiguous: 0,
    fencedRejections: 0,
    lostUpdates: 0,
    phantoms: 0,
    staleAccepted: 0,
    tokenViolations: 0,
  };
  for (const [key, list] of [...byKey].sort((a, b) => a[0].localeCompare(b[0]))) {
    const x = checkExclusion(list, EVENTS);
    const c = checkCounter(list as readonly CounterLine[], finals.get(key) ?? 0);
    v = {
      holds: v.holds + x.holds,
      claims: v.claims + x.claims,
      overlaps: v.overlaps + x.overlaps,
      maxOverlapMs: Math.max(v.maxOverlapMs, x.maxOverlapMs),
      sharedIds: v.sharedIds + x.sharedIds,
      takeovers: v.takeovers + takeovers(list),
      increments: v.increments + c.operations,
      acknowledged: v.acknowledged + c.acknowledged,
      ambiguous: v.ambiguous + c.ambiguous,
      fencedRejections: v.fencedRejections + c.fencedRejections,
      lostUpdates: v.lostUpdates + c.lostUpdates,
      phantoms: v.phantoms + c.phantoms,
      staleAccepted: v.staleAccepted + c.staleAccepted,
      tokenViolations: v.tokenViolations + c.tokenViolations,
    };
    for (const d of [...x.details, ...(c.violations > 0 ? c.details : [])]) {
      if (details.length < 20) details.push(`${key}: ${d}`);
    }
  }
  return {
    sessions,
    sessionEnds,
    keys: byKey.size,
    maxLocksPerSession: maxHeldAtOnce(lines),
    ...v,
    violations: v.overlaps + v.sharedIds + v.lostUpdates + v.phantoms + v.staleAccepted + v.tokenViolations,
    details,
  };
}

/** Grants (in the machine's monotonic order) of one key while its previous grant was not released. */
function takeovers(lines: readonly SessionLine[]): number {
  const timed = lines
    .filter((l) => typeof l.m === 'number')
    .sort((a, b) => (a.m as number) - (b.m as number));
  let holder: string | undefined;
  let n = 0;
  for (const l of timed) {
    const lease = `${l.w}\u0000${String(l.token)}`;
    if (l.ev === 'granted') {
      if (holder !== undefined && holder !== lease) n++;
      holder = lease;
    } else if (l.ev === 'release' && holder === lease) holder = undefined;
  }
  return n;
}

/** The most keys one worker (one session at a time) held at once: `granted` to `release`. */
function maxHeldAtOnce(lines: readonly SessionLine[]): number {
  const held = new Map<string, number>();
  let max = 0;
  for (const l of lines) {
    if (l.ev !== 'granted' && l.ev !== 'release') continue;
    const n = (held.get(l.w) ?? 0) + (l.ev === 'granted' ? 1 : -1);
    held.set(l.w, n);
    max = Math.max(max, n);
  }
  return max;
}
