import type { BenchEnv } from '../env.js';
import { interleave, type Runner } from '../interleave.js';
import { type LockTiming, ourLockSide, peerLockSide } from '../locks.js';
import type { Profile } from '../profile.js';
import { type ScenarioResult, sideResult } from '../results.js';

/** Default lease settings of dynastore, given to both libraries. */
export const DEFAULT_TIMING: LockTiming = { leaseMs: 10_000, heartbeatMs: 3_333 };

/**
 * `uncontended lock cycle`: one worker acquires and releases the same lock key over and over.
 * Goal (issue 6): 2 calls per cycle, and at least 1.5x the peer's throughput.
 *
 * @example
 * ```ts
 * const row = await lockCycle(env, profile);
 * ```
 */
export async function lockCycle(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const runners: Runner[] = [ourLockSide(env, DEFAULT_TIMING), peerLockSide(env, DEFAULT_TIMING)].map(
    (s) => ({
      side: s.side,
      meter: s.meter,
      op: async () => {
        const lease = await s.acquire(`cycle-${s.side}`);
        await lease.release();
      },
    }),
  );
  const m = await interleave(runners, {
    rounds: profile.cycleRounds,
    opsPerRound: profile.cycleOpsPerRound,
    warmupOps: Math.ceil(profile.warmupOps / 2),
  });
  const oursResult = m.ours ? sideResult(m.ours) : null;
  const peerResult = m.peer ? sideResult(m.peer) : null;
  return {
    name: 'uncontended lock cycle',
    op: 'acquire + release of one free lock',
    settings: `1 worker, same key each cycle, leaseMs ${DEFAULT_TIMING.leaseMs}, heartbeatMs ${Math.round(DEFAULT_TIMING.heartbeatMs)} (both)`,
    ours: oursResult,
    peer: peerResult,
    goal: '2 DynamoDB calls per cycle, and at least 1.5x the peer throughput',
    goalMet:
      oursResult && peerResult && oursResult.opsPerSec !== null && peerResult.opsPerSec !== null
        ? oursResult.callsPerOp <= 2 && oursResult.opsPerSec >= 1.5 * peerResult.opsPerSec
        : null,
  };
}
