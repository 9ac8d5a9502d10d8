import type { BenchEnv } from '../env.js';
import { type LockSide, ourLockSide, peerLockSide } from '../locks.js';
import { diffTotals } from '../meter.js';
import type { Profile } from '../profile.js';
import type { ScenarioResult, SideResult } from '../results.js';
import { sleep } from '../sleep.js';
import { mean, round } from '../stats.js';
import { DEFAULT_TIMING } from './lock-cycle.js';

const HOUR_MS = 3_600_000;

/**
 * `holding cost`: each library holds one lock at default settings for a short window (both at
 * once: only call counts matter here). Writes per hour come from the measured interval between
 * renewals (3 600 000 ms / mean interval); WCU per hour from the measured WCU per renewal;
 * reads and other calls per hour from their count in the window, scaled.
 *
 * @example
 * ```ts
 * const row = await holdingCost(env, profile);
 * ```
 */
export async function holdingCost(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const sides = [ourLockSide(env, DEFAULT_TIMING), peerLockSide(env, DEFAULT_TIMING)];
  const [ours, peer] = await Promise.all(sides.map((s) => hold(s, profile.holdingWindowMs)));
  return {
    name: 'holding cost',
    op: 'one lock held for one hour',
    settings: `leaseMs ${DEFAULT_TIMING.leaseMs}, heartbeatMs ${Math.round(DEFAULT_TIMING.heartbeatMs)} (dynastore defaults; the peer has no default heartbeat, given the same)`,
    ours: ours ?? null,
    peer: peer ?? null,
    goal: 'one write per renewal (the floor: leaseMs / heartbeatMs renewals per lease)',
    goalMet: ours
      ? Math.abs(ours.wcuPerOp - HOUR_MS / DEFAULT_TIMING.heartbeatMs) /
          (HOUR_MS / DEFAULT_TIMING.heartbeatMs) <
        0.1
      : null,
    note: `per hour, extrapolated from renewals measured over ${profile.holdingWindowMs / 1000} s; no latency figures`,
  };
}

async function hold(side: LockSide, windowMs: number): Promise<SideResult> {
  const lease = await side.acquire(`holding-${side.side}`);
  const start = performance.now();
  const renewals: number[] = [start];
  const stopListening = side.meter.listen((call, at) => {
    if (call.operation === 'UpdateItem' || call.operation === 'PutItem') renewals.push(at);
  });
  const before = side.meter.snapshot();
  await sleep(windowMs);
  const spent = diffTotals(side.meter.snapshot(), before);
  const elapsed = performance.now() - start;
  stopListening();
  await lease.release();
  const intervals = renewals.slice(1).map((t, i) => t - renewals[i]!);
  const interval = mean(intervals);
  const writesPerHour = intervals.length > 0 ? HOUR_MS / interval : 0;
  const wcuPerRenewal = spent.writes > 0 ? (spent.wcu + spent.estimatedWcu) / spent.writes : 0;
  const scale = HOUR_MS / elapsed;
  return {
    opsPerSec: null,
    p50Ms: null,
    p99Ms: null,
    callsPerOp: round(writesPerHour + (spent.calls - spent.writes) * scale),
    wcuPerOp: round(writesPerHour * wcuPerRenewal),
    rcuPerOp: round(spent.rcu * scale),
    extra: {
      writesPerHour: round(writesPerHour),
      renewalIntervalMs: round(interval),
      renewalsMeasured: intervals.length,
      wcuPerRenewal: round(wcuPerRenewal),
      readsPerHour: round(spent.reads * scale),
    },
  };
}
