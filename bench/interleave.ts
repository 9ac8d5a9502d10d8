import { addTotals, diffTotals, emptyTotals, type Meter } from './meter.js';
import type { Measured, SideName } from './results.js';

/** One side of an interleaved scenario: a meter and one timed operation. */
export interface Runner {
  readonly side: SideName;
  readonly meter: Meter;
  /** One operation; its wall time is the latency sample. */
  op(i: number): Promise<void>;
}

/** How many operations, in how many alternating rounds. */
export interface InterleaveOptions {
  readonly rounds: number;
  readonly opsPerRound: number;
  /** Operations per side before measuring (JIT of Node and of DynamoDB Local's JVM). */
  readonly warmupOps: number;
}

/**
 * Runs each runner's operations in alternating rounds (round r starts with runner r mod n), so a
 * slow spell of the machine lands on every side alike. Operations run one at a time.
 *
 * @example
 * ```ts
 * const m = await interleave([oursRunner, rawRunner], { rounds: 10, opsPerRound: 50, warmupOps: 100 });
 * m.ours?.latencies.length; // 500
 * ```
 */
export async function interleave(
  runners: readonly Runner[],
  options: InterleaveOptions,
): Promise<Partial<Record<SideName, Measured>>> {
  for (const r of runners) for (let i = 0; i < options.warmupOps; i++) await r.op(-1 - i);
  const out: Partial<Record<SideName, Measured>> = {};
  for (const r of runners) out[r.side] = { latencies: [], busyMs: 0, ops: 0, calls: emptyTotals() };
  let next = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (let j = 0; j < runners.length; j++) {
      const r = runners[(round + j) % runners.length]!;
      const m = out[r.side]!;
      const before = r.meter.snapshot();
      const started = performance.now();
      for (let i = 0; i < options.opsPerRound; i++) {
        const t0 = performance.now();
        await r.op(next++);
        m.latencies.push(performance.now() - t0);
      }
      m.busyMs += performance.now() - started;
      m.ops += options.opsPerRound;
      m.calls = addTotals(m.calls, diffTotals(r.meter.snapshot(), before));
    }
  }
  return out;
}

/**
 * Runs `trial(side, index)` for each side in turn, `trials` times, alternating which goes first.
 * For scenarios whose unit is a whole experiment (a handoff series, a failover).
 *
 * @example
 * ```ts
 * await alternate(['ours', 'peer'], 5, async (side, i) => { ... });
 * ```
 */
export async function alternate(
  sides: readonly SideName[],
  trials: number,
  trial: (side: SideName, index: number) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < trials; i++) {
    for (let j = 0; j < sides.length; j++) await trial(sides[(i + j) % sides.length]!, i);
  }
}
