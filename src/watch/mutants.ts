/**
 * TEST-ONLY switch that breaks the watch on purpose, so the deterministic simulator
 * (`npm run sim -- --mutant watch-skips-gap`) can prove that its lost-record feed fault and its
 * watch checker catch a watch that stalls. Not exported from the package; nothing in the library
 * sets it; `WatchState.apply` (src/watch/state.ts) only reads it. (The lock switches live in
 * src/lock/mutants.ts; the watch may not import the lock's floor.)
 *
 * @example
 * ```ts
 * watchTestMutants.skipGaps = true; // sim only
 * ```
 */
export const watchTestMutants = {
  /** A change record newer than the row a watch knows, that does not connect to it, is skipped (no resync). */
  skipGaps: false,
};
