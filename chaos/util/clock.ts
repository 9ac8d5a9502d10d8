import type { Clock } from '../../src/contract/clock/types.js';

/**
 * A clock whose wall time is off by `skewMs` (monotonic time and timers are the real ones): what
 * a process with a wrong clock sees. Give it to a `Dynastore` as its `clock`.
 *
 * @example
 * ```ts
 * const store = new Dynastore({ client, tableName, clock: skewedClock(systemClock, 1_500) });
 * ```
 */
export function skewedClock(base: Clock, skewMs: number): Clock {
  return {
    now: () => base.now() + skewMs,
    monotonic: () => base.monotonic(),
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    sleep: (ms, signal) => base.sleep(ms, signal),
  };
}

/**
 * Milliseconds on the machine's monotonic clock (`CLOCK_MONOTONIC`, as `process.hrtime`): one
 * time line shared by every process on the machine, which no wall-clock step or slew moves. Lease
 * intervals of different workers, and the nemesis's kills, are compared on it.
 *
 * @example
 * ```ts
 * const at = monoNow();
 * if (lease.held) emit('held', { m: at });
 * ```
 */
export function monoNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
