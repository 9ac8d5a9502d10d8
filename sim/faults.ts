import { between } from '../chaos/util/random.js';

/**
 * How hostile the network between the processes and the store is, per seed. Probabilities are
 * per call (store) or per delivery (feed); latencies are one way, in true ms.
 *
 * @example
 * ```ts
 * const f = drawFaults(rand, 1_000); // f.lostAnswer: a write applied whose answer never came back
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
  /** Chance that a request is in flight for {@link lateMs} before the store sees it (its answer follows). */
  readonly slow: number;
  /**
   * Chance that a write times out at the client (an ambiguous error after {@link timeoutMs}) while
   * the request still reaches the store and applies {@link lateMs} after it was sent.
   */
  readonly lateApply: number;
  /** How late a slow or late-applied request reaches the store: 0.5 to 3 leases. */
  readonly lateMs: readonly [number, number];
  /** Delay of change-feed deliveries (per batch, per process, order kept). */
  readonly feedDelayMs: readonly [number, number];
  /** Chance of a long feed stall on a batch (a stream poller that fell behind, unannounced). */
  readonly feedStall: number;
  /** Chance that a batch carries one of its records twice in a row (an at-least-once redelivery). */
  readonly feedDuplicate: number;
  /** Chance that a stall is announced: the feed reports itself behind, then caught up when it delivers. */
  readonly feedBehind: number;
  /** Chance per delivery that the process's feed fails (every listener's `onError`; new subscriptions work). */
  readonly feedError: number;
  /** Chance per delivery that the feed replays its last 1-6 records first (a poller restarted from an older position). */
  readonly feedReplay: number;
  /** Chance per record that the process's feed loses it (outside the contract: a watch must not stall on it). */
  readonly feedLose: number;
  /** How long a new subscription may wait before `ready` (a late position). */
  readonly readyMs: readonly [number, number];
}

/**
 * Fault rates for one seed: calm, noisy or hostile, drawn from the seed. Long and late requests
 * are scaled to `leaseMs`.
 *
 * @example
 * ```ts
 * const rates = drawFaults(prng(7), 1_000);
 * ```
 */
export function drawFaults(rand: () => number, leaseMs: number): FaultRates {
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
    slow: 0.004 * k * rand(),
    lateApply: 0.006 * k * rand(),
    lateMs: [leaseMs / 2, 3 * leaseMs],
    feedDelayMs: [1, between(rand, 5, 150)],
    feedStall: 0.01 * k,
    feedDuplicate: 0.02 * k,
    feedBehind: 0.5,
    feedError: 0.002 * k * rand(),
    feedReplay: 0.01 * k * rand(),
    feedLose: 0.004 * k * rand(),
    readyMs: [0, k === 0 ? 0 : between(rand, 0, 2_000)],
  };
}

/** A uniform real in [min, max]. */
export function within(rand: () => number, range: readonly [number, number]): number {
  return range[0] + rand() * (range[1] - range[0]);
}
