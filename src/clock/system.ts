import type { Clock, TimerHandle } from './types.js';

/**
 * The real clock: `Date.now()`, `performance.now()` and `unref()`ed timers.
 *
 * @example
 * ```ts
 * const store = new Dynastore({ client, tableName, clock: systemClock });
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(systemClock, ms, signal);
  },
};

/** `sleep` on top of any clock's `setTimeout`, honouring an AbortSignal. */
export function sleepWith(clock: Pick<Clock, 'setTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
