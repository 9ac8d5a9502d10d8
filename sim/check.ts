import { checkCounter } from '../chaos/checker/counter.js';
import { checkElection, ELECTION_EVENTS } from '../chaos/checker/election.js';
import { checkExclusion, type HoldEvents, type HoldLine, holdsOf } from '../chaos/checker/exclusion.js';
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
 * Beyond the skew bound, how long a holder may go on believing it holds after another holder
 * began to, as a multiple of `leaseMs`: a holder learns it was taken over by its next renewal, or
 * its lease runs out `leaseMs` after its last renewal was sent (on a monotonic clock that drifts
 * at most 2 % there), so every overlap ends within about one lease.
 */
export const BEYOND_OVERLAP_LEASES = 1.05;

/**
 * Runs the chaos harness's checkers on a simulated run's lines. In `beyond` mode, clocks were off
 * by more than the README allows: two holders at once is then expected, but fencing (the counter:
 * no lost update, no stale write accepted, increasing unique tokens; and no token or term held by
 * two processes) must still hold, and a holder taken over must learn it within about a lease (an
 * overlap longer than {@link BEYOND_OVERLAP_LEASES} leases counts); so must the key/value, watch
 * and store-boundary checks, which do not depend on clocks. Election term order and `observe()`
 * are checked on bounded seeds only.
 *
 * @example
 * ```ts
 * const verdict = checkRun(rec, { mode: 'bounded', leaseMs: 1_000 }, { counter: 41, watched: new Map([['x', 17]]) }, stoppedSubs, lost);
 * ```
 */
export function checkRun(
  rec: Recorder,
  { mode, leaseMs }: { readonly mode: ClockMode; readonly leaseMs: number },
  finals: {
    counter: number;
    watched: ReadonlyMap<string, number>;
    /** The session workload's counters, by lock key. */
    sessionCounters?: ReadonlyMap<string, number>;
  },
  stoppedSubs: ReadonlySet<string>,
  /** Records the change feeds lost, `name|partition/key|version` (what explains a watch's resync). */
  lostRecords: ReadonlySet<string> = new Set(),
): Verdict {
  const violations: Violation[] = [];
  const add = (check: string, count: number, details: readonly string[]) => {
    if (count > 0) violations.push({ check, count, details: details.slice(0, 5) });
  };
  const stats: Record<string, number> = {};

  const longest = leaseMs * BEYOND_OVERLAP_LEASES;
  for (const [group, lines] of [...rec.holds].sort((a, b) => a[0].localeCompare(b[0]))) {
    const v = checkExclusion(lines, LOCK_EVENTS);
    const name =
      group === KEYS.leaseLock
        ? 'lease'
        : group === KEYS.counterLock
          ? 'withLock'
          : group.startsWith('session/')
            ? 'session'
            : group.startsWith('wg/')
              ? 'workgroup'
              : 'semaphore';
    stats[`${name}Holds`] = (stats[`${name}Holds`] ?? 0) + v.holds;
    add(`${name}-shared-token (${group})`, v.sharedIds, v.details);
    if (mode === 'bounded') add(`${name}-exclusion (${group})`, v.overlaps, v.details);
    else {
      stats.expectedOverlaps = (stats.expectedOverlaps ?? 0) + v.overlaps;
      const long = longOverlaps(lines, LOCK_EVENTS, longest);
      add(`${name}-overlap-beyond-a-lease (${group})`, long.length, long);
    }
  }

  const e = checkElection(rec.election);
  stats.elections = e.elections;
  stats.observed = e.observed;
  add('election-two-leaders-in-a-term', e.termsWithTwoLeaders, e.details);
  if (mode === 'bounded') {
    add('election-exclusion', e.overlaps, e.details);
    add('election-term-order', e.termOrderViolations, e.details);
    add('election-observer', e.observerViolations, e.details);
  } else {
    const long = longOverlaps(rec.election, ELECTION_EVENTS, longest);
    add('election-overlap-beyond-a-lease', long.length, long);
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
    // the work group's shard counters (`wg-<n>`) share the session counters' lines and checks
    const kind = key.startsWith('wg-') ? 'workgroup' : 'session';
    stats[`${kind}CounterAcked`] = (stats[`${kind}CounterAcked`] ?? 0) + s.acknowledged;
    stats[`${kind}CounterFenced`] = (stats[`${kind}CounterFenced`] ?? 0) + s.fencedRejections;
    add(`${kind}-counter-lost-update (${key})`, s.lostUpdates, s.details);
    add(`${kind}-counter-phantom (${key})`, s.phantoms, s.details);
    add(`${kind}-counter-stale-write-accepted (${key})`, s.staleAccepted, s.details);
    add(`${kind}-counter-token-order (${key})`, s.tokenViolations, s.details);
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
  // (and so is one that failed: a prefix watch's error names no key, so it is marked on every key it saw)
  const failed = rec.watch.filter((l) => l.ev === 'watch-error' && l.sub).map((l) => l.sub as string);
  const ended: WatchLine[] = [...new Set([...stoppedSubs, ...failed])].map((sub) => ({
    w: '',
    ev: 'watch-error',
    watcher: sub,
    sub,
    key: '*',
  }));
  const w = checkWatch(withEnded(rec.watch, ended), finals.watched);
  stats.watchDelivered = w.delivered;
  stats.watchResyncs = w.resyncs;
  add('watch-gap', w.missed, w.details);
  const needless = unexplainedResyncs(rec.watch, lostRecords);
  add('watch-resync-without-loss', needless.length, needless);
  add('watch-duplicate', w.duplicates, w.details);
  add('watch-order', w.outOfOrder, w.details);

  add('store-boundary', rec.online.length, rec.online);
  return { violations, stats };
}

/**
 * Overlaps of two holds (of different leases or holders) longer than `longestMs`, explained.
 *
 * @example
 * ```ts
 * const long = longOverlaps(lines, LOCK_EVENTS, 1.05 * leaseMs);
 * ```
 */
export function longOverlaps(lines: readonly HoldLine[], e: HoldEvents, longestMs: number): string[] {
  const found: string[] = [];
  const holds = holdsOf(lines, e);
  for (let i = 0; i < holds.length; i++) {
    const h = holds[i];
    if (!h) continue;
    for (let j = i + 1; j < holds.length; j++) {
      const o = holds[j];
      if (!o || o.from > h.to) break;
      if (o.w === h.w && o.id === h.id) continue;
      const ms = Math.min(o.to, h.to) - o.from;
      if (ms > longestMs)
        found.push(
          `${h.w} (${e.id} ${h.id}) still held it ${ms.toFixed(1)} ms after ${o.w} (${e.id} ${o.id}) began to hold it (more than ${longestMs.toFixed(0)} ms, beyond the skew bound)`,
        );
    }
  }
  return found;
}

/**
 * Resyncs of a watch (`cause: 'resync'`, a jump over versions) that no lost record explains: the
 * watch took an older record for a gap. In the simulator only the lost-record fault makes gaps.
 */
function unexplainedResyncs(lines: readonly WatchLine[], lost: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const last = new Map<string, number>();
  for (const l of lines) {
    if (l.ev !== 'watch' || !l.sub || !l.key) continue;
    const id = `${l.sub}\u0000${l.key}`;
    const v = l.version ?? 0;
    const from = last.get(id) ?? 0;
    if (l.cause === 'resync' && v > from + 1) {
      let explained = false;
      for (let x = from + 1; x <= v && !explained; x++)
        explained = lost.has(`${l.w}|${KEYS.watchPartition}/${l.key}|${x}`);
      if (!explained)
        found.push(`${l.sub} ${l.key}: resync from v${from} to v${v}, but ${l.w}'s feed lost none of them`);
    }
    last.set(id, Math.max(from, v));
  }
  return found;
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
