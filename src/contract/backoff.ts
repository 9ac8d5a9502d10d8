/**
 * First retry delay of lock operations, before doubling.
 *
 * @example
 * ```ts
 * backoffMs(1, 1_000) <= BASE_BACKOFF_MS; // true
 * ```
 */
export const BASE_BACKOFF_MS = 20;

/**
 * Jittered exponential backoff: a random delay in [50 %, 100 %] of `min(cap, 20 * 2^(attempt-1))`.
 *
 * @example
 * ```ts
 * backoffMs(1, 1_000); // 10..20
 * backoffMs(8, 1_000); // 500..1000
 * ```
 */
export function backoffMs(attempt: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, BASE_BACKOFF_MS * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return ceiling * (0.5 + random() / 2);
}
