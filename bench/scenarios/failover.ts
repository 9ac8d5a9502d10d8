import { fileURLToPath } from 'node:url';
import { spawnGuarded } from '../../src/testing/guarded-process.js';
import type { BenchEnv } from '../env.js';
import { alternate } from '../interleave.js';
import { type LockSide, ourLockSide, peerLockSide } from '../locks.js';
import { addTotals, diffTotals, emptyTotals } from '../meter.js';
import type { Profile } from '../profile.js';
import { type Measured, type ScenarioResult, type SideName, sideResult } from '../results.js';
import { sleep, waitUntil } from '../sleep.js';
import { SHORT_TIMING } from './contended.js';

const CHILD = fileURLToPath(new URL('./failover-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `failover after kill -9`: a child process takes the lock and heartbeats; a contender in this
 * process starts waiting; after one to two heartbeats (a random phase) the child gets SIGKILL.
 * Measured: from the kill to the contender's acquire resolving. Same lease settings for both.
 *
 * @example
 * ```ts
 * const row = await failover(env, profile);
 * ```
 */
export async function failover(env: BenchEnv, profile: Profile): Promise<ScenarioResult> {
  const sides = new Map<SideName, LockSide>([
    ['ours', ourLockSide(env, SHORT_TIMING)],
    ['peer', peerLockSide(env, SHORT_TIMING)],
  ]);
  const measured = new Map<SideName, Measured>();
  await alternate([...sides.keys()], profile.failovers, async (name, i) => {
    const m = measured.get(name) ?? { latencies: [], busyMs: 0, ops: 0, calls: emptyTotals() };
    measured.set(name, m);
    await trial(env, sides.get(name)!, `failover-${name}-${i}`, m);
  });
  const { leaseMs, heartbeatMs } = SHORT_TIMING;
  const result = (name: SideName) => {
    const m = measured.get(name);
    return m
      ? sideResult(m, { throughput: false, extra: { readsPerFailover: m.calls.reads / Math.max(1, m.ops) } })
      : null;
  };
  const o = result('ours');
  // issue 6: lease + one heartbeat + one poll; issue 3 adds maxClockSkewMs (1000) in place of the heartbeat.
  const pollMs = Math.min(1_000, leaseMs / 4);
  const bound = leaseMs + Math.max(heartbeatMs, 1_000) + pollMs;
  return {
    name: 'failover after kill -9',
    op: 'one takeover (SIGKILL of the holder -> contender acquired)',
    settings: `holder in a child process, leaseMs ${leaseMs}, heartbeatMs ${Math.round(heartbeatMs)} (both); dynastore maxClockSkewMs 1000 (default), peer trustLocalTime`,
    ours: o,
    peer: result('peer'),
    goal: `at most lease + max(one heartbeat, maxClockSkewMs) + one poll = ${Math.round(bound)} ms`,
    goalMet: o?.latency ? o.latency.maxMs <= bound : null,
    note: 'calls counted on the contender only; p50/p99: time from SIGKILL to the new holder',
  };
}

async function trial(env: BenchEnv, side: LockSide, key: string, m: Measured): Promise<void> {
  const table = side.side === 'ours' ? env.ourTable : env.peerTable;
  const { leaseMs, heartbeatMs } = SHORT_TIMING;
  const child = spawnGuarded(
    process.execPath,
    ['--import', 'tsx', CHILD, side.side, env.endpoint, table, key, String(leaseMs), String(heartbeatMs)],
    { cwd: REPO },
  );
  try {
    await waitUntil(
      () => child.output().includes('held') || child.exitInfo() !== undefined,
      60_000,
      'the holder',
    );
    if (!child.output().includes('held')) throw new Error(`failover holder exited: ${child.output()}`);
    const pid = await child.pid;
    const before = side.meter.snapshot();
    const stop = new AbortController();
    const contender = side.acquire(key, stop.signal);
    contender.catch(() => {});
    await sleep(heartbeatMs * (1 + Math.random()));
    process.kill(pid, 'SIGKILL');
    const killedAt = performance.now();
    const timeout = setTimeout(() => stop.abort(new Error('no takeover within 30 s')), 30_000);
    const lease = await contender.finally(() => clearTimeout(timeout));
    m.latencies.push(performance.now() - killedAt);
    m.ops++;
    m.calls = addTotals(m.calls, diffTotals(side.meter.snapshot(), before));
    await lease.release();
  } finally {
    await child.stop(2_000);
  }
}
