import type { BenchEnv } from '../env.js';
import { alternate } from '../interleave.js';
import { type BenchLease, type LockSide, type LockTiming, ourLockSide, peerLockSide } from '../locks.js';
import { addTotals, diffTotals, emptyTotals } from '../meter.js';
import type { Profile } from '../profile.js';
import { type Measured, type ScenarioResult, type SideName, sideResult } from '../results.js';
import { sleep } from '../sleep.js';

/** Lease settings of the contended and failover scenarios, the same for both libraries. */
export const SHORT_TIMING: LockTiming = { leaseMs: 2_000, heartbeatMs: 667 };
const WORKERS = 8;
const HOLD_MS = 100;
const SERIES_TIMEOUT_MS = 120_000;

/**
 * `contended handoff`: 8 workers in one process ask for one lock at the same moment; each holds
 * it 100 ms (a short job), releases it and leaves, so every grant after the first is a handoff to a worker that
 * was waiting (7 per series; no barging by the releaser). A handoff is the time from the holder
 * starting its release to the next holder's acquire resolving. Calls are counted from the first
 * grant to the last.
 *
 * @example
 * ```ts
 * const row = await contendedHandoff(env, profile);
 * ```
 */
export async function contendedHandoff(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const sides = new Map<SideName, LockSide>([
    ['ours', ourLockSide(env, SHORT_TIMING)],
    ['peer', peerLockSide(env, SHORT_TIMING)],
  ]);
  const measured = new Map<SideName, Measured>();
  await alternate([...sides.keys()], profile.handoffSeries, async (name, i) => {
    const m = measured.get(name) ?? { latencies: [], busyMs: 0, ops: 0, calls: emptyTotals() };
    measured.set(name, m);
    await series(sides.get(name)!, `contended-${name}-${i}`, m);
  });
  const result = (name: SideName) => {
    const m = measured.get(name);
    if (!m) return null;
    const n = Math.max(1, m.ops);
    return sideResult(m, {
      extra: {
        readsPerHandoff: m.calls.reads / n,
        streamCallsPerHandoff: m.calls.streamCalls / n,
        refusedWritesPerHandoff: m.calls.failedConditions / n,
      },
    });
  };
  const o = result('ours');
  const p = result('peer');
  const refused = o?.extra?.refusedWritesPerHandoff;
  return {
    name: env.network === 'loopback' ? 'contended handoff' : `contended handoff, ${env.network}`,
    op: 'one handoff (release -> next waiter acquired)',
    settings: `${WORKERS} workers queue for one lock, each holds it ${HOLD_MS} ms once; leaseMs ${SHORT_TIMING.leaseMs}, heartbeatMs ${SHORT_TIMING.heartbeatMs} (both)`,
    network: env.network,
    ours: o,
    peer: p,
    goal: 'handoff driven by the change feed: p50 at least 5x lower than the peer, and at most 0.3 refused (billed) grant writes per handoff (issue 10)',
    goalMet:
      o?.p50Ms != null && p?.p50Ms != null && refused !== undefined
        ? o.p50Ms * 5 <= p.p50Ms && refused <= 0.3
        : null,
    note: 'opsPerSec: handoffs per second through the one lock; p50/p99: handoff time; calls/op include the waiters',
  };
}

async function series(side: LockSide, key: string, m: Measured): Promise<void> {
  const timeout = AbortSignal.timeout(SERIES_TIMEOUT_MS);
  let lastRelease: number | undefined;
  let first: number | undefined;
  let last = 0;
  let before = side.meter.snapshot();
  let handoffs = 0;
  const worker = async () => {
    const lease: BenchLease = await side.acquire(key, timeout);
    const at = performance.now();
    if (lastRelease === undefined) {
      first = at;
      before = side.meter.snapshot();
    } else {
      m.latencies.push(at - lastRelease);
      handoffs++;
    }
    last = at;
    await sleep(HOLD_MS);
    lastRelease = performance.now();
    await lease.release();
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  m.busyMs += last - (first ?? last);
  m.ops += handoffs;
  m.calls = addTotals(m.calls, diffTotals(side.meter.snapshot(), before));
}
