/**
 * TEST-ONLY switches that break one lock behaviour on purpose, so the deterministic simulator
 * (`npm run sim -- --mutant <name>`) can prove its checkers catch the break. Not exported from the
 * package; nothing in the library sets them; production code only reads them. Each switch is read
 * at the place named in its comment.
 *
 * Only what cannot be broken from outside the library lives here: the other mutants (grants
 * without the token check, rule (b) without waiting, a watch that drops a change) are made by the
 * simulator's store wrapper in `sim/`.
 *
 * @example
 * ```ts
 * testMutants.releaseSkipsInflightRenewal = true; // sim only
 * ```
 */
export const testMutants = {
  /** `Lease.release()` (src/lock/lease.ts) stops waiting for an in-flight renewal. */
  releaseSkipsInflightRenewal: false,
  /** Takeover rule (a) (`Contender`, src/lock/contender.ts) forgets the `maxClockSkewMs` margin. */
  ruleAWithoutSkewMargin: false,
  /**
   * The session takeover rules (`SessionRows`, src/lock/session-takeover.ts, made by `Contender`
   * in src/lock/contender.ts) stop waiting: a contender takes a session's locks as soon as it has
   * read the session row once, live or not (its transaction's kill condition then holds too).
   */
  sessionTakeoverWithoutWaiting: false,
};
