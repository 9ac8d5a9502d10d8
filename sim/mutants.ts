import { testMutants } from '../src/lock/mutants.js';

/**
 * The mutants: each breaks one thing on purpose; the simulator's checkers must catch each within
 * a bounded number of seeds. Three are made from outside the library, at the store boundary
 * (`sim/connection.ts`); three need the library's test-only switches (`src/lock/mutants.ts`).
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
 */
export const MUTANTS = [
  'grant-without-token-check',
  'rule-b-without-waiting',
  'release-skips-inflight-renewal',
  'watch-drops-first-change',
  'rule-a-without-skew-margin',
  'session-takeover-without-waiting',
] as const;

/** One of {@link MUTANTS}. */
export type MutantName = (typeof MUTANTS)[number];

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
  const flag =
    name === 'release-skips-inflight-renewal'
      ? 'releaseSkipsInflightRenewal'
      : name === 'rule-a-without-skew-margin'
        ? 'ruleAWithoutSkewMargin'
        : name === 'session-takeover-without-waiting'
          ? 'sessionTakeoverWithoutWaiting'
          : undefined;
  if (!flag) return () => undefined;
  testMutants[flag] = true;
  return () => {
    testMutants[flag] = false;
  };
}
