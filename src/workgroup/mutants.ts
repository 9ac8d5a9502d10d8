/**
 * TEST-ONLY switch that breaks a work-group member on purpose, so the deterministic simulator
 * (`npm run sim -- --mutant member-works-after-loss`) can prove its work-group checks catch it.
 * Not exported from the package; nothing in the library sets it; `Member` (src/workgroup/member.ts)
 * only reads it, in one line. (The lock switches live in src/lock/mutants.ts.)
 *
 * @example
 * ```ts
 * workGroupTestMutants.workAfterLeaseLost = true; // sim only
 * ```
 */
export const workGroupTestMutants = {
  /** A shard whose lease is lost (its session ended) keeps its `onShard` signal unaborted: the work goes on. */
  workAfterLeaseLost: false,
};
