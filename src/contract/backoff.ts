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
 * Exponential backoff with "equal jitter", the one formula of every retry wait: a random delay in
 * [50 %, 100 %] of `min(capMs, baseMs * 2^doublings)`.
 *
 * @example
 * ```ts
 * equalJitterMs(0, 100, 5_000); // 50..100
 * equalJitterMs(3, 100, 5_000); // 400..800
 * ```
 */
export function equalJitterMs(
  doublings: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(30, Math.max(0, doublings)));
  return ceiling * (0.5 + random() / 2);
}

/**
 * Jittered exponential backoff of lock operations: {@link equalJitterMs} from
 * {@link BASE_BACKOFF_MS}, a random delay in [50 %, 100 %] of `min(cap, 20 * 2^(attempt-1))`.
 *
 * @example
 * ```ts
 * backoffMs(1, 1_000); // 10..20
 * backoffMs(8, 1_000); // 500..1000
 * ```
 */
export function backoffMs(attempt: number, capMs: number, random: () => number = Math.random): number {
  return equalJitterMs(attempt - 1, BASE_BACKOFF_MS, capMs, random);
}
