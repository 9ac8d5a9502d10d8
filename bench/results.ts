import type { CallTotals } from './meter.js';
import { type Quantiles, round, summarize } from './stats.js';

/**
 * Who ran a side: this package; the peer library (`peer`: its FailOpen client with leases and
 * heartbeats, `trustLocalTime: true`; `peerDefault`: the same with `trustLocalTime` at its default,
 * false; `peerFailClosed`: its FailClosed client, no lease and no heartbeat); or the raw SDK v3
 * baseline of `kv` scenarios.
 */
export type SideName = 'ours' | 'oursOtel' | 'peer' | 'peerFailClosed' | 'peerDefault' | 'raw';

/** Every side, in the order tables and charts show them. */
export const SIDES: readonly SideName[] = [
  'ours',
  'oursOtel',
  'peer',
  'peerFailClosed',
  'peerDefault',
  'raw',
];

/** One side of a scenario, as written to results.json. */
export interface SideResult {
  /** Operations per second of one worker; null where throughput means nothing (failover, holding). */
  readonly opsPerSec: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** DynamoDB (and DynamoDB Streams) calls per operation. */
  readonly callsPerOp: number;
  /** Reported WCU plus the estimate for refused conditional writes (see README). */
  readonly wcuPerOp: number;
  readonly rcuPerOp: number;
  /** The latency distribution behind p50/p99 (drawn in latency.svg). */
  readonly latency?: Quantiles;
  /** Calls per operation, by DynamoDB operation. */
  readonly operations?: Record<string, number>;
  /** Scenario-specific figures (handoff reads, failover time, writes per hour, ...). */
  readonly extra?: Record<string, number>;
}

/** One row of the results. */
export interface ScenarioResult {
  readonly name: string;
  /** What one operation is (a put, an acquire+release cycle, a handoff, ...). */
  readonly op: string;
  /** Lease and load settings, in words. */
  readonly settings: string;
  /**
   * What stood between the clients and DynamoDB Local: `loopback`, or the delay proxy (`4 ms RTT`,
   * with `, 5 GetRecords/s per shard` when the Streams limit was on). Absent: loopback.
   */
  readonly network?: string;
  readonly ours: SideResult | null;
  /** `dynamodb-lock-client` (FailOpen, `trustLocalTime: true`); null when it has no equivalent. */
  readonly peer: SideResult | null;
  /** `dynamodb-lock-client`'s FailClosed client (no lease, no heartbeat), where measured. */
  readonly peerFailClosed?: SideResult | null;
  /** `dynamodb-lock-client` FailOpen with `trustLocalTime` at its default (false), where measured. */
  readonly peerDefault?: SideResult | null;
  /** dynastore with an OpenTelemetry SDK registered (the telemetry scenario only; `ours` has it off). */
  readonly oursOtel?: SideResult | null;
  /** The same raw `@aws-sdk/client-dynamodb` commands (kv scenarios only). */
  readonly raw?: SideResult | null;
  /** The goal for this scenario, and whether this run met it (null: not judged). */
  readonly goal?: string;
  readonly goalMet?: boolean | null;
  /** Why a side is missing, or how a figure was derived. */
  readonly note?: string;
}

/** The whole results file. */
export interface BenchResults {
  readonly scenarios: ScenarioResult[];
  readonly machine: Record<string, string | number>;
  readonly versions: Record<string, string>;
  readonly mode: 'quick' | 'full';
  readonly startedAt: string;
  readonly wallSeconds: number;
}

/** Raw measurements of one side: latency samples, busy time, operations and call totals. */
export interface Measured {
  readonly latencies: number[];
  /** Wall time spent in this side's batches (excluding the other side's). */
  busyMs: number;
  ops: number;
  calls: CallTotals;
}

/**
 * Turns measurements into a {@link SideResult}; `throughput: false` for scenarios where
 * operations per second of one worker is not meaningful.
 *
 * @example
 * ```ts
 * const ours = sideResult(measured.ours, { extra: { readsPerHandoff: 1.2 } });
 * ```
 */
export function sideResult(
  m: Measured,
  options: { throughput?: boolean; extra?: Record<string, number> } = {},
): SideResult {
  const q = summarize(m.latencies);
  const ops = Math.max(1, m.ops);
  const operations: Record<string, number> = {};
  for (const [op, n] of Object.entries(m.calls.byOperation)) operations[op] = round(n / ops);
  const extra =
    options.extra && Object.fromEntries(Object.entries(options.extra).map(([k, v]) => [k, round(v)]));
  return {
    opsPerSec: options.throughput === false || m.busyMs <= 0 ? null : round(m.ops / (m.busyMs / 1000)),
    p50Ms: q.n > 0 ? round(q.p50Ms) : null,
    p99Ms: q.n > 0 ? round(q.p99Ms) : null,
    callsPerOp: round(m.calls.calls / ops),
    wcuPerOp: round((m.calls.wcu + m.calls.estimatedWcu) / ops),
    rcuPerOp: round(m.calls.rcu / ops),
    ...(q.n > 0 && { latency: roundQuantiles(q) }),
    operations,
    ...(extra && { extra }),
  };
}

function roundQuantiles(q: Quantiles): Quantiles {
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, round(v)])) as unknown as Quantiles;
}
