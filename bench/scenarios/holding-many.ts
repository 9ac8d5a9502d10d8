import type { Dynastore } from '../../src/facade/dynastore.js';
import type { BenchEnv } from '../env.js';
import { diffTotals, Meter } from '../meter.js';
import type { Profile } from '../profile.js';
import type { ScenarioResult } from '../results.js';
import { sleep } from '../sleep.js';
import { round } from '../stats.js';
import { DEFAULT_TIMING } from './lock-cycle.js';

const MINUTE_MS = 60_000;
const LOCKS = 1_000;
/**
 * Per-lock leases measured on this many locks and scaled to {@link LOCKS}: 1 000 per-lock leases
 * need 300 renewals a second, more than DynamoDB Local on a 2-core machine serves (renewals queue,
 * leases run out, and the count measures the machine, not the library). Each per-lock lease
 * renews on its own timer, so the rate is linear in the number of locks.
 */
const PER_LOCK_SAMPLE = 100;
/** Grants in flight at once while taking the locks (DynamoDB Local on 2 cores queues beyond this). */
const GRANT_CONCURRENCY = 16;

interface Held {
  release(): Promise<void>;
  readonly signal: AbortSignal;
}

interface Holding {
  writesPerMinute: number;
  wcuPerMinute: number;
  readsPerMinute: number;
  windowMs: number;
  acquireMs: number;
  lost: number;
}

/**
 * `holding 1000 locks` (issue 13): one process holds 1 000 locks at default timings (lease
 * 10 s, heartbeat every 3.3 s) for a window, first with one session, then with per-lock leases
 * (one after the other, so neither slows the other's renewals; per-lock leases on a sample of
 * {@link PER_LOCK_SAMPLE} locks, scaled). Writes per minute are counted
 * from `onCall` over the window (the grants before it are not counted) and scaled to one minute;
 * the full profile's window is one minute, the quick one's shorter (extrapolated, said in the
 * note). `ours.extra.writesPerMinute` is the session's, `ours.extra.perLockWritesPerMinute` the
 * per-lock leases'. The peer has no sessions.
 *
 * @example
 * ```ts
 * const row = await holdingManyLocks(env, profile);
 * ```
 */
export async function holdingManyLocks(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const windowMs = profile.mode === 'full' ? MINUTE_MS : profile.holdingWindowMs;
  const run = `${Date.now().toString(36)}`;
  const session = await measure(env, windowMs, async (store) => {
    const s = await store.session(DEFAULT_TIMING);
    const held = await takeAll(LOCKS, (i) => s.lock(`many-${run}-s-${i}`).acquire());
    return { held, close: () => s.close() };
  });
  const perLock = await measure(env, windowMs, async (store) => {
    const held = await takeAll(PER_LOCK_SAMPLE, (i) => store.lock(`many-${run}-p-${i}`, DEFAULT_TIMING).acquire());
    return { held, close: async () => void (await takeAll(held.length, (i) => held[i]!.release())) };
  });
  return {
    name: 'holding 1000 locks',
    op: `${LOCKS} locks held by one process for one minute`,
    settings: `leaseMs ${DEFAULT_TIMING.leaseMs}, heartbeatMs ${Math.round(DEFAULT_TIMING.heartbeatMs)} (defaults); one session vs ${LOCKS} per-lock leases, run one after the other`,
    ours: {
      opsPerSec: null,
      p50Ms: null,
      p99Ms: null,
      callsPerOp: round(session.writesPerMinute + session.readsPerMinute),
      wcuPerOp: round(session.wcuPerMinute),
      rcuPerOp: 0,
      extra: {
        writesPerMinute: round(session.writesPerMinute),
        perLockWritesPerMinute: round((perLock.writesPerMinute * LOCKS) / PER_LOCK_SAMPLE),
        perLockLocksMeasured: PER_LOCK_SAMPLE,
        wcuPerMinute: round(session.wcuPerMinute),
        perLockWcuPerMinute: round((perLock.wcuPerMinute * LOCKS) / PER_LOCK_SAMPLE),
        windowSeconds: round(windowMs / 1000),
        sessionAcquireMs: round(session.acquireMs),
        perLockAcquireMs: round(perLock.acquireMs),
        sessionLeasesLost: session.lost,
        perLockLeasesLost: perLock.lost,
      },
    },
    peer: null,
    goal: '<= 30 writes per minute with a session, against about 18 000 with per-lock leases',
    goalMet: session.writesPerMinute <= 30 && session.lost === 0,
    note: `${
      windowMs === MINUTE_MS
        ? 'writes counted over one minute after the grants'
        : `quick profile: writes counted over ${windowMs / 1000} s after the grants and extrapolated to one minute`
    }; the session holds all ${LOCKS} locks, the per-lock figure is measured on ${PER_LOCK_SAMPLE} locks and scaled by ${LOCKS / PER_LOCK_SAMPLE} (DynamoDB Local on 2 cores cannot serve 300 renewals a second); no peer (it has no sessions)`,
  };
}

async function measure(
  env: BenchEnv,
  windowMs: number,
  take: (store: Dynastore) => Promise<{ held: Held[]; close: () => Promise<void> }>,
): Promise<Holding> {
  const meter = new Meter();
  const store = env.ours(meter);
  const t0 = performance.now();
  const { held, close } = await take(store);
  const acquireMs = performance.now() - t0;
  const before = meter.snapshot();
  const start = performance.now();
  await sleep(windowMs);
  const spent = diffTotals(meter.snapshot(), before);
  const scale = MINUTE_MS / (performance.now() - start);
  const lost = held.filter((h) => h.signal.aborted).length;
  await close();
  return {
    writesPerMinute: spent.writes * scale,
    wcuPerMinute: (spent.wcu + spent.estimatedWcu) * scale,
    readsPerMinute: spent.reads * scale,
    windowMs,
    acquireMs,
    lost,
  };
}

/** Runs `n` calls of `one(i)`, `GRANT_CONCURRENCY` at a time, in order of `i`. */
async function takeAll<T>(n: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(GRANT_CONCURRENCY, n) }, worker));
  return out;
}
