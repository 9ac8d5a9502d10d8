/**
 * Resolves when `signal` aborts, keeping the process alive until then (the library's timers and
 * child processes are `unref()`ed on purpose, so a CLI that waits for Ctrl-C must hold it open).
 *
 * @example
 * ```ts
 * await untilAborted(signal); // Ctrl-C
 * ```
 */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setInterval(() => {}, 1 << 30);
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Runs `work` while holding the process open (see {@link untilAborted}).
 *
 * @example
 * ```ts
 * const code = await keepingAlive(() => child.exited);
 * ```
 */
export async function keepingAlive<T>(work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1 << 30);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
