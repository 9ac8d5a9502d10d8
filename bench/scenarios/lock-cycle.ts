import type { BenchEnv } from '../env.js';
import { interleave, type Runner } from '../interleave.js';
import { type LockSide, type LockTiming, ourLockSide, PEER_VARIANTS, peerLockSide } from '../locks.js';
import type { Profile } from '../profile.js';
import { type ScenarioResult, type SideResult, sideResult } from '../results.js';

/** Default lease settings of dynastore, given to both libraries. */
export const DEFAULT_TIMING: LockTiming = { leaseMs: 10_000, heartbeatMs: 3_333 };

/**
 * `uncontended lock cycle`: one worker acquires and releases the same lock key over and over, on
 * loopback. Goal (issue 6): 2 calls per cycle, and at least 1.5x the peer's throughput.
 *
 * @example
 * ```ts
 * const row = await lockCycle(env, profile);
 * ```
 */
export async function lockCycle(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const m = await cycles(env, [ourLockSide(env, DEFAULT_TIMING), peerLockSide(env, DEFAULT_TIMING)], {
    rounds: profile.cycleRounds,
    opsPerRound: profile.cycleOpsPerRound,
    warmupOps: Math.ceil(profile.warmupOps / 2),
  });
  const oursResult = m.ours ?? null;
  const peerResult = m.peer ?? null;
  return {
    name: 'uncontended lock cycle',
    op: 'acquire + release of one free lock',
    settings: `1 worker, same key each cycle, leaseMs ${DEFAULT_TIMING.leaseMs}, heartbeatMs ${Math.round(DEFAULT_TIMING.heartbeatMs)} (both)`,
    network: env.network,
    ours: oursResult,
    peer: peerResult,
    goal: '2 DynamoDB calls per cycle, and at least 1.5x the peer throughput',
    goalMet:
      oursResult && peerResult && oursResult.opsPerSec !== null && peerResult.opsPerSec !== null
        ? oursResult.callsPerOp <= 2 && oursResult.opsPerSec >= 1.5 * peerResult.opsPerSec
        : null,
  };
}

/**
 * `uncontended lock cycle, <n> ms RTT`: the same cycle through the delay proxy, against both of
 * the peer's clients: FailClosed (no lease, no heartbeat: a put and a delete) and FailOpen (leases
 * and heartbeats: a read, a put, a put). Goal (issue 10): at least 1.0x the FailClosed client's
 * cycles per second and 1.4x the FailOpen client's.
 *
 * @example
 * ```ts
 * const row = await lockCycleRtt(env.delayed, profile);
 * ```
 */
export async function lockCycleRtt(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const m = await cycles(
    env,
    [
      ourLockSide(env, DEFAULT_TIMING),
      peerLockSide(env, DEFAULT_TIMING, PEER_VARIANTS.failClosed),
      peerLockSide(env, DEFAULT_TIMING, PEER_VARIANTS.failOpen),
    ],
    {
      rounds: profile.rttCycleRounds,
      opsPerRound: profile.cycleOpsPerRound,
      warmupOps: Math.ceil(profile.warmupOps / 4),
    },
  );
  const o = m.ours;
  const closed = m.peerFailClosed;
  const open = m.peer;
  const ratio = (a: SideResult | undefined, b: SideResult | undefined) =>
    a?.opsPerSec && b?.opsPerSec ? a.opsPerSec / b.opsPerSec : Number.NaN;
  const vsClosed = ratio(o, closed);
  const vsOpen = ratio(o, open);
  const ours = o && {
    ...o,
    extra: { ...o.extra, vsFailClosed: round2(vsClosed), vsFailOpen: round2(vsOpen) },
  };
  return {
    name: `uncontended lock cycle, ${env.network}`,
    op: 'acquire + release of one free lock',
    settings: `1 worker, same key each cycle, through the delay proxy; leaseMs ${DEFAULT_TIMING.leaseMs}, heartbeatMs ${Math.round(DEFAULT_TIMING.heartbeatMs)} (dynastore and FailOpen); FailClosed has no lease`,
    network: env.network,
    ours: ours ?? null,
    peer: open ?? null,
    peerFailClosed: closed ?? null,
    goal: 'at least 1.0x the FailClosed client and 1.4x the FailOpen client in cycles per second (issue 10)',
    goalMet: Number.isNaN(vsClosed) || Number.isNaN(vsOpen) ? null : vsClosed >= 1 && vsOpen >= 1.4,
    note: 'extra.vsFailClosed / vsFailOpen: dynastore cycles per second over the peer client',
  };
}

async function cycles(
  _env: BenchEnv,
  sides: readonly LockSide[],
  options: { rounds: number; opsPerRound: number; warmupOps: number },
): Promise<Partial<Record<LockSide['side'], SideResult>>> {
  const runners: Runner[] = sides.map((s) => ({
    side: s.side,
    meter: s.meter,
    op: async () => {
      const lease = await s.acquire(`cycle-${s.side}`);
      await lease.release();
    },
  }));
  const m = await interleave(runners, options);
  return Object.fromEntries(Object.entries(m).map(([side, measured]) => [side, sideResult(measured)]));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
