import { checkCounter } from '../chaos/checker/counter.js';
import { checkElection } from '../chaos/checker/election.js';
import { checkExclusion, type HoldEvents } from '../chaos/checker/exclusion.js';
import { checkLinearizable } from '../chaos/checker/linearizability.js';
import { casRegister } from '../chaos/checker/model.js';
import { checkWatch, type WatchLine } from '../chaos/checker/watch.js';
import { KEYS } from './actors.js';
import type { Recorder } from './record.js';

/** How clocks behaved: within `maxClockSkewMs` (every check applies) or beyond (fencing only). */
export type ClockMode = 'bounded' | 'beyond';

/** One broken property, with the checker's own explanation. */
export interface Violation {
  readonly check: string;
  readonly count: number;
  readonly details: readonly string[];
}

/** What the checkers found in one run. */
export interface Verdict {
  readonly violations: readonly Violation[];
  /** Counts worth reporting even when nothing broke (evidence the run exercised something). */
  readonly stats: Record<string, number>;
}

const LOCK_EVENTS: HoldEvents = { claim: 'held', id: 'token', start: 'granted', end: 'release' };

/**
 * Runs the chaos harness's checkers on a simulated run's lines. In `beyond` mode, clocks were off
 * by more than the README allows: two holders at once is then expected and not counted, but
 * fencing (the counter: no lost update, no stale write accepted, increasing unique tokens; and
 * no token or term held by two processes) must still hold; so must the key/value, watch and
 * store-boundary checks, which do not depend on clocks.
 *
 * @example
 * ```ts
 * const verdict = checkRun(rec, 'bounded', { counter: 41, watched: new Map([['x', 17]]) }, stoppedSubs);
 * ```
 */
export function checkRun(
  rec: Recorder,
  mode: ClockMode,
  finals: {
    counter: number;
    watched: ReadonlyMap<string, number>;
    /** The session workload's counters, by lock key. */
    sessionCounters?: ReadonlyMap<string, number>;
  },
  stoppedSubs: ReadonlySet<string>,
): Verdict {
  const violations: Violation[] = [];
  const add = (check: string, count: number, details: readonly string[]) => {
    if (count > 0) violations.push({ check, count, details: details.slice(0, 5) });
  };
  const stats: Record<string, number> = {};

  for (const [group, lines] of [...rec.holds].sort((a, b) => a[0].localeCompare(b[0]))) {
    const v = checkExclusion(lines, LOCK_EVENTS);
    const name = group === KEYS.leaseLock ? 'lease' : group.startsWith('session/') ? 'session' : 'semaphore';
    stats[`${name}Holds`] = (stats[`${name}Holds`] ?? 0) + v.holds;
    add(`${name}-shared-token (${group})`, v.sharedIds, v.details);
    if (mode === 'bounded') add(`${name}-exclusion (${group})`, v.overlaps, v.details);
    else stats.expectedOverlaps = (stats.expectedOverlaps ?? 0) + v.overlaps;
  }

  const e = checkElection(rec.election);
  stats.elections = e.elections;
  stats.observed = e.observed;
  add('election-two-leaders-in-a-term', e.termsWithTwoLeaders, e.details);
  if (mode === 'bounded') {
    add('election-exclusion', e.overlaps, e.details);
    add('election-term-order', e.termOrderViolations, e.details);
    add('election-observer', e.observerViolations, e.details);
  }

  const c = checkCounter(rec.counter, finals.counter);
  stats.counterAcked = c.acknowledged;
  stats.counterFenced = c.fencedRejections;
  stats.counterAmbiguous = c.ambiguous;
  add('counter-lost-update', c.lostUpdates, c.details);
  add('counter-phantom', c.phantoms, c.details);
  add('counter-stale-write-accepted', c.staleAccepted, c.details);
  add('counter-token-order', c.tokenViolations, c.details);

  for (const [key, lines] of [...rec.sessionCounters].sort((a, b) => a[0].localeCompare(b[0]))) {
    const s = checkCounter(lines, finals.sessionCounters?.get(key) ?? 0);
    stats.sessionCounterAcked = (stats.sessionCounterAcked ?? 0) + s.acknowledged;
    stats.sessionCounterFenced = (stats.sessionCounterFenced ?? 0) + s.fencedRejections;
    add(`session-counter-lost-update (${key})`, s.lostUpdates, s.details);
    add(`session-counter-phantom (${key})`, s.phantoms, s.details);
    add(`session-counter-stale-write-accepted (${key})`, s.staleAccepted, s.details);
    add(`session-counter-token-order (${key})`, s.tokenViolations, s.details);
  }

  const l = checkLinearizable(casRegister, rec.kv, { maxSteps: 200_000 });
  stats.kvOperations = l.operations;
  stats.kvUnknown = l.keys.filter((k) => k.valid === 'unknown').length;
  const bad = l.keys.filter((k) => k.valid === false);
  add(
    'kv-linearizability',
    bad.length,
    bad.map((k) => {
      const x = k.counterexample;
      return x
        ? `key ${k.key}: after [${x.linearized.slice(-4).join('; ')}] (state ${x.state}) nothing fits ${x.stuckAt}`
        : `key ${k.key}: not linearizable`;
    }),
  );

  // A subscription the workload itself ended is no longer expected to reach the final version:
  // the watch checker knows that as a subscription that ended with an error.
  const ended: WatchLine[] = [...stoppedSubs].map((sub) => ({
    w: '',
    ev: 'watch-error',
    watcher: sub,
    sub,
    key: '*',
  }));
  const w = checkWatch(withEnded(rec.watch, ended), finals.watched);
  stats.watchDelivered = w.delivered;
  add('watch-gap', w.missed, w.details);
  add('watch-duplicate', w.duplicates, w.details);
  add('watch-order', w.outOfOrder, w.details);

  add('store-boundary', rec.online.length, rec.online);
  return { violations, stats };
}

/** Marks stopped subscriptions as ended for every key they saw (the checker tracks subscriptions per key). */
function withEnded(lines: readonly WatchLine[], ended: readonly WatchLine[]): WatchLine[] {
  const keysOf = new Map<string, Set<string>>();
  for (const l of lines) if (l.sub && l.key) keysOf.set(l.sub, (keysOf.get(l.sub) ?? new Set()).add(l.key));
  const extra = ended.flatMap((e) =>
    [...(keysOf.get(e.sub ?? '') ?? [])].map((key) => ({ ...e, w: 'end', key })),
  );
  return [...lines, ...extra];
}
