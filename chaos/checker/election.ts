import {
  checkExclusion,
  type ExclusionVerdict,
  type HoldEvents,
  type HoldLine,
  holdsOf,
} from './exclusion.js';

/** The election workers' events (see chaos/workers/election.ts). */
export const ELECTION_EVENTS: HoldEvents = { claim: 'leading', id: 'term', start: 'elected', end: 'resign' };

/** What {@link checkElection} found. */
export interface ElectionVerdict {
  /** `campaign` calls that resolved (elected). */
  readonly elections: number;
  /** Terms in which someone actually led (claimed leadership at least once). */
  readonly terms: number;
  /** Leaders SIGKILLed while leading. */
  readonly leaderKills: number;
  /** Terms with more than one leader (`elected` by two candidates, or claimed by two workers). */
  readonly termsWithTwoLeaders: number;
  /** Terms that did not increase: in the order leaders began to lead, a term not above every earlier one. */
  readonly termOrderViolations: number;
  /** Leaders whose leadership intervals overlapped (two leaders at once). */
  readonly overlaps: number;
  /** From each leader's SIGKILL to the next `elected` of another candidate (ms). */
  readonly failoverMs: readonly number[];
  /** Leaders reported by `observe()` (all candidates together). */
  readonly observed: number;
  /**
   * `observe()` going back to a lower term, or naming for a term another leader than the one
   * elected in it.
   */
  readonly observerViolations: number;
  /** The sum of the kinds of violation above: zero in a correct run. */
  readonly violations: number;
  readonly exclusion: ExclusionVerdict;
  readonly details: readonly string[];
}

/**
 * Checks an election run: one leader per term, terms strictly increasing in the order leaders
 * began to lead, never two leaders at once (from the leaders' own checks of `isLeader`), and
 * measures failover after a leader is SIGKILLed.
 *
 * @example
 * ```ts
 * const v = checkElection(electionGroup.lines);
 * if (v.violations > 0) console.error(v.details);
 * ```
 */
export function checkElection(lines: readonly HoldLine[]): ElectionVerdict {
  const details: string[] = [];
  const note = (s: string) => {
    if (details.length < 20) details.push(s);
  };
  const exclusion = checkExclusion(lines, ELECTION_EVENTS);
  const leadersOf = new Map<string, Set<string>>();
  let elections = 0;
  for (const l of lines) {
    if (l.ev !== 'elected') continue;
    elections++;
    const term = String(l.term);
    leadersOf.set(term, (leadersOf.get(term) ?? new Set()).add(l.w));
  }
  let termsWithTwoLeaders = 0;
  for (const [term, ws] of leadersOf) {
    if (ws.size < 2) continue;
    termsWithTwoLeaders++;
    note(`term ${term} elected ${ws.size} leaders: ${[...ws].join(', ')}`);
  }
  // First claim of each term, in time order: the terms must strictly increase along it.
  const firstClaim = new Map<string, { w: string; from: number }>();
  for (const h of holdsOf(lines, ELECTION_EVENTS)) {
    const f = firstClaim.get(h.id);
    if (!f || h.from < f.from) firstClaim.set(h.id, { w: h.w, from: h.from });
  }
  let termOrderViolations = 0;
  let highest: bigint | undefined;
  let highestBy = '';
  for (const [term, f] of [...firstClaim].sort((a, b) => a[1].from - b[1].from)) {
    const t = BigInt(term);
    if (highest !== undefined && t <= highest) {
      termOrderViolations++;
      note(`${f.w} began to lead term ${term} after ${highestBy} had led term ${highest}`);
    }
    if (highest === undefined || t > highest) {
      highest = t;
      highestBy = f.w;
    }
  }
  for (const d of exclusion.details) note(d);
  const overlaps = exclusion.overlaps;
  // What observers saw: per observer, terms never go down, and each term names its elected leader.
  let observed = 0;
  let observerViolations = 0;
  const lastSeen = new Map<string, bigint>();
  const timed = lines.filter((l) => l.ev === 'observed' && typeof l.m === 'number');
  for (const l of timed.sort((a, b) => (a.m as number) - (b.m as number))) {
    if (l.term === null || l.term === undefined) continue;
    observed++;
    const term = BigInt(String(l.term));
    const before = lastSeen.get(l.w);
    if (before !== undefined && term < before) {
      observerViolations++;
      note(`${l.w} observed term ${term} after term ${before}`);
    }
    lastSeen.set(l.w, before !== undefined && before > term ? before : term);
    const elected = leadersOf.get(String(l.term));
    if (elected && !elected.has(String(l.id))) {
      observerViolations++;
      note(`${l.w} observed ${String(l.id)} leading term ${term}, elected: ${[...elected].join(', ')}`);
    }
  }
  return {
    elections,
    terms: firstClaim.size,
    leaderKills: exclusion.kills,
    termsWithTwoLeaders: Math.max(termsWithTwoLeaders, exclusion.sharedIds),
    termOrderViolations,
    overlaps,
    failoverMs: exclusion.takeoverMs,
    observed,
    observerViolations,
    violations:
      Math.max(termsWithTwoLeaders, exclusion.sharedIds) +
      termOrderViolations +
      overlaps +
      observerViolations,
    exclusion,
    details,
  };
}
