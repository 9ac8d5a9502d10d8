import { testMutants } from '../src/lock/mutants.js';
import { watchTestMutants } from '../src/watch/mutants.js';
import { workGroupTestMutants } from '../src/workgroup/mutants.js';

/**
 * The mutants: each breaks one thing on purpose; the simulator's checkers must catch each within
 * the seeds of a CI-style run (`--seeds 200`). Three are made from outside the library, at the
 * store boundary (`sim/connection.ts`); the others are the library's test-only switches
 * (`src/lock/mutants.ts`, `src/watch/mutants.ts`), each read in one line where the code it breaks
 * lives.
 *
 * - `grant-without-token-check`: grants are sent without `token < newToken` in their condition.
 * - `rule-b-without-waiting`: a grant may take a row as soon as its sender has seen it once.
 * - `release-skips-inflight-renewal`: `release()` does not wait for a renewal in flight.
 * - `watch-drops-first-change`: a process's change feed drops, per key, the first change after a
 *   snapshot read of that key.
 * - `rule-a-without-skew-margin`: the wall-clock takeover rule (a) forgets `maxClockSkewMs`, in the
 *   contender and in its grant's condition: a subtle break, a takeover up to the skew early, that
 *   only a contender whose clock is ahead, racing a holder that could not renew, can show. (Made at
 *   the store boundary alone it is not caught: the contender still waits by its own reckoning.)
 * - `session-takeover-without-waiting`: a contender for a lock held under a session takes it as
 *   soon as it has read the session row once (rule (b) on the session row without its wait), and
 *   the transaction's kill condition (that very row, unchanged) lets it: a live session loses its
 *   locks while it still believes it holds them.
 * - `release-without-condition`: a release clears the row whoever holds it.
 * - `rule-b-from-first-sight`: rule (b) counts from the first sight of a holder, not from the
 *   last change of its row (renewals do not restart the wait).
 * - `grant-token-or-equal`: the grant's token check is `token <= newToken`.
 * - `renewal-without-condition`: a renewal writes a new lease end whoever holds the row.
 * - `session-takeover-without-kill`: the session takeover checks that the session is dead but
 *   does not write it dead: a late renewal of the session then succeeds.
 * - `rule-b-from-read-sent`: rule (b) counts from when the read that showed the row was sent.
 * - `fence-token-at-least`: the fenced-write guard is `owner = o AND token >= t` (caught with
 *   owners reused across restarts: a dead incarnation's write in flight lands under the next one).
 * - `watch-skips-gap`: a watch skips a change record that does not connect to the row it knows
 *   even when the record is newer (the old behaviour: one lost record stalls the key silently).
 * - `member-works-after-loss`: a work-group member whose shard lease is lost (its session ended)
 *   does not abort the shard's `onShard` signal: the work goes on beside the shard's next owner
 *   (src/workgroup/mutants.ts).
 */
export const MUTANTS = [
  'grant-without-token-check',
  'rule-b-without-waiting',
  'release-skips-inflight-renewal',
  'watch-drops-first-change',
  'rule-a-without-skew-margin',
  'session-takeover-without-waiting',
  'release-without-condition',
  'rule-b-from-first-sight',
  'grant-token-or-equal',
  'renewal-without-condition',
  'session-takeover-without-kill',
  'rule-b-from-read-sent',
  'fence-token-at-least',
  'watch-skips-gap',
  'member-works-after-loss',
] as const;

/** One of {@link MUTANTS}. */
export type MutantName = (typeof MUTANTS)[number];

/** The library switch behind each mutant that needs one. */
const SWITCHES: Partial<Record<MutantName, keyof typeof testMutants>> = {
  'release-skips-inflight-renewal': 'releaseSkipsInflightRenewal',
  'rule-a-without-skew-margin': 'ruleAWithoutSkewMargin',
  'session-takeover-without-waiting': 'sessionTakeoverWithoutWaiting',
  'release-without-condition': 'releaseWithoutCondition',
  'rule-b-from-first-sight': 'ruleBFromFirstSight',
  'grant-token-or-equal': 'grantTokenOrEqual',
  'renewal-without-condition': 'renewalWithoutCondition',
  'session-takeover-without-kill': 'sessionTakeoverWithoutKill',
  'rule-b-from-read-sent': 'ruleBFromReadSent',
  'fence-token-at-least': 'fenceTokenAtLeast',
};

/**
 * Whether `name` names a mutant.
 *
 * @example
 * ```ts
 * if (!isMutant(arg)) throw new Error(`unknown mutant ${arg}`);
 * ```
 */
export function isMutant(name: string): name is MutantName {
  return (MUTANTS as readonly string[]).includes(name);
}

/**
 * Switches the library-side part of a mutant on for one run (and off again with the result).
 *
 * @example
 * ```ts
 * const off = enableMutant('release-skips-inflight-renewal');
 * try { await run() } finally { off() }
 * ```
 */
export function enableMutant(name: MutantName | undefined): () => void {
  if (name === 'member-works-after-loss') {
    workGroupTestMutants.workAfterLeaseLost = true;
    return () => {
      workGroupTestMutants.workAfterLeaseLost = false;
    };
  }
  if (name === 'watch-skips-gap') {
    watchTestMutants.skipGaps = true;
    return () => {
      watchTestMutants.skipGaps = false;
    };
  }
  const flag = name && SWITCHES[name];
  if (!flag) return () => undefined;
  testMutants[flag] = true;
  return () => {
    testMutants[flag] = false;
  };
}
