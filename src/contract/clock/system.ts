import type { Clock, TimerHandle, TimerOptions } from './types.js';

/** Node's longest single timer (2^31-1 ms, 24.8 days). */
const LONGEST_TIMER_MS = 2_147_483_647;

/**
 * The real clock: `Date.now()`, `performance.now()`, background timers `unref()`ed and awaited
 * waits (`sleep`) kept alive.
 *
 * @example
 * ```ts
 * const store = new Dynastore({ client, tableName, clock: systemClock });
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle {
    // Node fires a timer over 2^31-1 ms after 1 ms instead (a watched key with a 30-day TTL would
    // spin): longer waits run as a chain of shorter timers.
    let t: ReturnType<typeof setTimeout>;
    const arm = (remaining: number) => {
      const step = Math.min(Math.max(0, remaining), LONGEST_TIMER_MS);
      t = setTimeout(() => (remaining > LONGEST_TIMER_MS ? arm(remaining - step) : fn()), step);
      if (!options?.keepAlive) t.unref();
    };
    arm(ms);
    return { cancel: () => clearTimeout(t) };
  },
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(systemClock, ms, signal, { keepAlive: true });
  },
};

/**
 * `sleep` on top of any clock's `setTimeout`, honouring an AbortSignal. Without `keepAlive` it is a
 * background wait that does not keep the process alive.
 *
 * @example
 * ```ts
 * await sleepWith(clock, 100, signal); // a background retry pause
 * ```
 */
export function sleepWith(
  clock: Pick<Clock, 'setTimeout'>,
  ms: number,
  signal?: AbortSignal,
  options?: TimerOptions,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      ms,
      options,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
