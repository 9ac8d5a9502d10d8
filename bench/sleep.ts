/**
 * Resolves after `ms` (rejects with the signal's reason if it aborts first).
 *
 * @example
 * ```ts
 * await sleep(50);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `check` every `everyMs` until it returns true; rejects after `timeoutMs`.
 *
 * @example
 * ```ts
 * await waitUntil(() => child.output().includes('held'), 30_000);
 * ```
 */
export async function waitUntil(
  check: () => boolean,
  timeoutMs: number,
  what = 'condition',
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Now in epoch milliseconds with sub-millisecond resolution, comparable between processes on one
 * machine (`performance.timeOrigin + performance.now()`).
 *
 * @example
 * ```ts
 * const at = epochNow();
 * ```
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
