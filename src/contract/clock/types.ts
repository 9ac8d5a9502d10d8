/** Options of {@link Clock.setTimeout}. */
export interface TimerOptions {
  /** Keep the process alive until the timer fires (a wait a caller awaits). @default false */
  readonly keepAlive?: boolean;
}

/** A cancellable timer handle returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  /** Stops the timer if it has not fired yet. */
  cancel(): void;
}

/**
 * Time as dynastore sees it. Lease logic reads wall time only to write and compare `expires`
 * values other processes can see, and uses `monotonic()` for every duration it waits.
 *
 * @example
 * ```ts
 * const clock: Clock = systemClock;
 * const t0 = clock.monotonic();
 * await clock.sleep(100);
 * console.log(clock.monotonic() - t0); // >= 100
 * ```
 */
export interface Clock {
  /** Wall-clock epoch milliseconds (like `Date.now()`); may jump and may be skewed. */
  now(): number;
  /** Monotonic milliseconds (like `performance.now()`); only differences are meaningful. */
  monotonic(): number;
  /**
   * Runs `fn` after `ms`. Background timers (heartbeats, lease deadlines, lingering) never keep
   * the process alive (`unref`); pass `keepAlive` for a wait that a caller is awaiting.
   */
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
  /**
   * Resolves after `ms`, or rejects with the signal's reason when it aborts first. This is a wait
   * somebody awaits (an `acquire`, a poller while subscribed), so it keeps the process alive.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
