/** A latency distribution summarised for the results file and the chart. */
export interface Quantiles {
  readonly n: number;
  readonly minMs: number;
  readonly p5Ms: number;
  readonly p25Ms: number;
  readonly p50Ms: number;
  readonly p75Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * The q-quantile (0..1) of ascending `sorted`, linearly interpolated between neighbours.
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 * ```
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

/**
 * Summarises samples (milliseconds) into the quantiles the report uses.
 *
 * @example
 * ```ts
 * summarize([3.1, 2.9, 5.0]).p50Ms; // 3.1
 * ```
 */
export function summarize(samples: readonly number[]): Quantiles {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    minMs: s[0] ?? Number.NaN,
    p5Ms: quantile(s, 0.05),
    p25Ms: quantile(s, 0.25),
    p50Ms: quantile(s, 0.5),
    p75Ms: quantile(s, 0.75),
    p95Ms: quantile(s, 0.95),
    p99Ms: quantile(s, 0.99),
    maxMs: s[s.length - 1] ?? Number.NaN,
  };
}

/**
 * Rounds for the results file: 3 significant digits below 1000, whole numbers above, 4 decimals at most.
 *
 * @example
 * ```ts
 * round(1234.5678); // 1235
 * round(0.012345); // 0.0123
 * ```
 */
export function round(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return Number(x.toFixed(Math.min(digits, 4)));
}

/**
 * Mean of the samples (NaN when empty).
 *
 * @example
 * ```ts
 * mean([1, 2, 3]); // 2
 * ```
 */
export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}
