import { between } from '../chaos/util/random.js';

/**
 * How hostile the network between the processes and the store is, per seed. Probabilities are
 * per call; latencies are one way, in true ms.
 *
 * @example
 * ```ts
 * const f = drawFaults(rand); // f.lostAnswer: a write applied whose answer never came back
 * ```
 */
export interface FaultRates {
  /** The store refuses before applying (throttling): retryable, not ambiguous. */
  readonly throttle: number;
  /** The request times out before the store applies it: the caller cannot know (ambiguous write). */
  readonly timeoutBefore: number;
  /** The store applies the write, and the answer is lost: an ambiguous error. */
  readonly lostAnswer: number;
  /** One-way latency range. */
  readonly latencyMs: readonly [number, number];
  /** Chance of a latency spike on a leg, and its size. */
  readonly spike: number;
  readonly spikeMs: readonly [number, number];
  /** How long a client waits before calling a request timed out. */
  readonly timeoutMs: readonly [number, number];
  /** Delay of change-feed deliveries (per batch, per process, order kept). */
  readonly feedDelayMs: readonly [number, number];
  /** Chance of a long feed stall on a batch (a stream poller that fell behind). */
  readonly feedStall: number;
  /** Chance that a batch carries one of its records twice in a row (an at-least-once redelivery). */
  readonly feedDuplicate: number;
}

/**
 * Fault rates for one seed: calm, noisy or hostile, drawn from the seed.
 *
 * @example
 * ```ts
 * const rates = drawFaults(prng(7));
 * ```
 */
export function drawFaults(rand: () => number): FaultRates {
  const level = rand();
  const k = level < 0.2 ? 0 : level < 0.6 ? 1 : 2.5;
  return {
    throttle: 0.02 * k * rand(),
    timeoutBefore: 0.02 * k * rand(),
    lostAnswer: 0.03 * k * rand(),
    latencyMs: [1, between(rand, 2, 12)],
    spike: 0.01 * k,
    spikeMs: [50, between(rand, 100, 600)],
    timeoutMs: [50, between(rand, 100, 400)],
    feedDelayMs: [1, between(rand, 5, 150)],
    feedStall: 0.01 * k,
    feedDuplicate: 0.02 * k,
  };
}

/** A uniform real in [min, max]. */
export function within(rand: () => number, range: readonly [number, number]): number {
  return range[0] + rand() * (range[1] - range[0]);
}
