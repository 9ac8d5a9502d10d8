import type { BenchEnv } from '../env.js';
import type { ScenarioResult } from '../results.js';
import { round } from '../stats.js';

/** How far the measured added round trip may be from the target for the check to pass. */
const TOLERANCE_MS = 0.5;

/**
 * `delay proxy check`: what the delay proxy adds to a consistent GetItem (p50 through it minus
 * p50 direct, alternating), measured when the bench environment started it.
 *
 * @example
 * ```ts
 * const row = await rttCheck(env);
 * ```
 */
export async function rttCheck(env: BenchEnv): Promise<ScenarioResult> {
  const c = env.delayCheck;
  if (!c) throw new Error('no delay proxy (--rtt-ms 0)');
  return {
    name: `delay proxy check, ${c.targetRttMs} ms RTT`,
    op: 'one consistent GetItem through the delay proxy',
    settings: `${c.samples} GetItem calls direct and ${c.samples} through the proxy, alternating; the proxy delays each call ${round(c.delayMs)} ms (half each way), its own hop costs the rest`,
    network: `${c.targetRttMs} ms RTT`,
    ours: null,
    peer: null,
    raw: {
      opsPerSec: null,
      p50Ms: round(c.proxiedP50Ms),
      p99Ms: null,
      callsPerOp: 1,
      wcuPerOp: 0,
      rcuPerOp: 1,
      extra: {
        directP50Ms: round(c.directP50Ms),
        addedP50Ms: round(c.addedP50Ms),
        targetRttMs: c.targetRttMs,
        delayMs: round(c.delayMs),
      },
    },
    goal: `the proxy adds the round trip it is set to (p50, within ${TOLERANCE_MS} ms)`,
    goalMet: Math.abs(c.addedP50Ms - c.targetRttMs) <= TOLERANCE_MS,
    note: 'raw: the raw SDK v3 GetItem through the proxy; extra.directP50Ms: the same without it',
  };
}
