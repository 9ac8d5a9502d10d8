import type { Clock, TimerHandle, TimerOptions } from './types.js';

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
    const t = setTimeout(fn, Math.max(0, ms));
    if (!options?.keepAlive) t.unref();
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
