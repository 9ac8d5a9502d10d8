import { equalJitterMs } from './backoff.js';
import type { Clock } from './clock/types.js';

/** Options of {@link retry}. */
export interface RetryOptions {
  readonly clock: Clock;
  /** Aborting stops the waiting and rethrows the signal's reason. */
  readonly signal?: AbortSignal;
  /** Cap of the first wait; each retry doubles it. @default 100 */
  readonly baseMs?: number;
  /** Longest single wait. @default 5_000 */
  readonly maxMs?: number;
  /** Give up (rethrow the last error) when the next wait would end later than this after the first try. @default 60_000 */
  readonly budgetMs?: number;
  /** Whether an error is worth another try. */
  readonly retryable: (err: unknown) => boolean;
  /** Called before each wait. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * Runs `fn` until it succeeds, waiting between tries with exponential backoff and "equal jitter"
 * ({@link equalJitterMs}: half the cap fixed, half random), on the injected clock. Non-retryable errors, an aborted
 * signal, or an exhausted time budget rethrow the last error.
 *
 * @example
 * ```ts
 * const out = await retry(() => client.send(cmd), { clock: systemClock, retryable: isRetryableAwsError });
 * ```
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock, signal, retryable, onRetry } = options;
  const baseMs = options.baseMs ?? 100;
  const maxMs = options.maxMs ?? 5_000;
  const budgetMs = options.budgetMs ?? 60_000;
  const random = options.random ?? Math.random;
  const started = clock.monotonic();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (signal?.aborted || !retryable(err)) throw err;
      const delayMs = equalJitterMs(attempt, baseMs, maxMs, random);
      if (clock.monotonic() - started + delayMs > budgetMs) throw err;
      onRetry?.(err, attempt, delayMs);
      await clock.sleep(delayMs, signal);
    }
  }
}
